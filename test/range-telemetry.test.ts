import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/range/presets.js';
import { RangeEnv } from '../src/range/env.js';
import { runEpisode, type Policy } from '../src/range/agent.js';
import { FEATURES, N_FEATURES, STAGE, TelemetryModel } from '../src/range/telemetry.js';
import { ScriptedAttacker } from '../src/range/baselines.js';
import { NoopDefender } from '../src/range/baselines.js';
import { mean } from '../src/shared/stats.js';

const F = (name: (typeof FEATURES)[number]): number => FEATURES.indexOf(name);

/** Collect per-stage feature columns over several undefended scripted-attacker episodes. */
function collect(): Map<number, Float32Array[]> {
  const env = new RangeEnv(loadScenario('small'));
  const byStage = new Map<number, Float32Array[]>();
  for (let seed = 0; seed < 6; seed++) {
    const p: Record<string, Policy> = { attacker_0: new ScriptedAttacker() };
    for (const d of env.defenderIds) p[d] = new NoopDefender();
    runEpisode(env, p, seed);
    for (let w = 0; w < env.windowsClosed; w++) {
      const { features, labels } = env.readWindow(w);
      for (let h = 0; h < labels.length; h++) {
        const list = byStage.get(labels[h]!) ?? [];
        list.push(features.slice(h * N_FEATURES, (h + 1) * N_FEATURES));
        byStage.set(labels[h]!, list);
      }
    }
  }
  return byStage;
}

describe('telemetry', () => {
  const data = collect();
  const col = (stage: number, f: number): number => mean((data.get(stage) ?? []).map((r) => r[f]!));

  it('labels every attack stage of a kill chain', () => {
    for (const s of [STAGE.benign, STAGE.recon, STAGE.exploit, STAGE.privesc, STAGE.lateral, STAGE.exfiltration, STAGE.c2]) {
      expect(data.get(s)?.length ?? 0, `stage ${s}`).toBeGreaterThan(0);
    }
    // Attacked windows are a small minority, as in real traffic.
    expect(data.get(STAGE.benign)!.length).toBeGreaterThan(10 * (data.get(STAGE.recon)!.length));
  });

  it('attacked host-windows differ from benign ones in the expected features', () => {
    const b = STAGE.benign;
    expect(col(STAGE.recon, F('failedConnections'))).toBeGreaterThan(5 * col(b, F('failedConnections')) + 1);
    expect(col(STAGE.recon, F('synRatio'))).toBeGreaterThan(col(b, F('synRatio')));
    expect(col(STAGE.exploit, F('packetsIn'))).toBeGreaterThan(col(b, F('packetsIn')));
    expect(col(STAGE.privesc, F('privilegeEvents'))).toBeGreaterThan(3 * col(b, F('privilegeEvents')));
    expect(col(STAGE.lateral, F('remoteAdminSessions'))).toBeGreaterThan(10 * col(b, F('remoteAdminSessions')));
    expect(col(STAGE.exfiltration, F('egressBytesInternet'))).toBeGreaterThan(20 * col(b, F('egressBytesInternet')));
  });

  it('benign traffic has busy and quiet periods, bursts and suspicious-looking admin sessions', () => {
    const roles = new Uint8Array(40).fill(0);
    const zones = new Int32Array(40);
    const t = new TelemetryModel(roles, zones, 1, 7);
    const acts: number[] = [];
    for (let h = 0; h < 40; h++) for (let w = 0; w < 600; w++) acts.push(t.activity(h, w));
    expect(Math.min(...acts)).toBeLessThan(0.4);
    expect(Math.max(...acts)).toBeGreaterThan(4);
    const out = new Float32Array(N_FEATURES);
    let admin = 0;
    for (let h = 0; h < 40; h++) for (let w = 0; w < 3000; w++) {
      t.read(h, w, out, 0);
      if (out[F('remoteAdminSessions')]! > 0) admin++;
    }
    expect(admin).toBeGreaterThan(0);
    // A window reads the same whenever and however often it is read.
    const a = new Float32Array(N_FEATURES);
    const b2 = new Float32Array(N_FEATURES);
    t.read(3, 77, a, 0);
    t.read(5, 12, b2, 0);
    t.read(3, 77, b2, 0);
    expect(Array.from(b2)).toEqual(Array.from(a));
  });
});

describe('telemetry of a slow attacker', () => {
  // The stealthy scripted attacker goes quiet: its footprint is spread thin over many windows.
  const env = new RangeEnv(loadScenario('small'));
  const p: Record<string, Policy> = { attacker_0: new ScriptedAttacker({ stealthy: true }) };
  for (const d of env.defenderIds) p[d] = new NoopDefender();
  runEpisode(env, p, 3);
  const counts = FEATURES.map((_, i) => i).filter((i) => !['synRatio', 'meanFlowDuration', 'meanPacketSize', 'outInByteRatio'].includes(FEATURES[i]!));

  it('counts whole events, so a thin footprint shows in some windows and not in others', () => {
    let fractional = 0;
    let inconsistent = 0;
    let touchedOnly = 0;
    let labelled = 0;
    for (let w = 0; w < env.windowsClosed; w++) {
      const { features, labels } = env.readWindow(w);
      for (let h = 0; h < labels.length; h++) {
        for (const f of counts) if (!Number.isInteger(features[h * N_FEATURES + f]!)) fractional++;
        const x = (name: (typeof FEATURES)[number]): number => features[h * N_FEATURES + F(name)]!;
        // Bounds every benign record obeys: an attack record that broke them would give itself away.
        if (x('distinctSrcHosts') > x('flowsIn') || x('distinctDstHosts') > x('flowsOut') || x('distinctDstPorts') > x('flowsOut')) inconsistent++;
        if (labels[h]! > 0) labelled++;
        else if (env['telemetry'].touchedStage(h, w) > 0) touchedOnly++;
      }
    }
    expect(fractional).toBe(0);
    expect(inconsistent).toBe(0);
    // Some touched host-windows carried no whole event and are labelled benign (a quiet zone scan brushes
    // every host of the zone with a fraction of a flow); a good share still shows.
    expect(touchedOnly).toBeGreaterThan(0);
    expect(labelled).toBeGreaterThan(touchedOnly / 2);
  });

  it('labels a window an attack only when the attack left a trace in it', () => {
    const t = env['telemetry'] as TelemetryModel;
    for (let w = 0; w < env.windowsClosed; w++) {
      for (let h = 0; h < env.network.nHosts; h++) {
        const l = t.label(h, w);
        expect(l === 0 || l === t.touchedStage(h, w)).toBe(true);
      }
    }
  });
});
