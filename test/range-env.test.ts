import { describe, expect, it } from 'vitest';
import { generateScenario } from '../src/range/generate.js';
import { loadScenario, presetNames } from '../src/range/presets.js';
import { ATTACKER_GLOBAL_FEATURES, ATTACKER_HOST_FEATURES, RangeEnv, type Action, type DefenderObservation } from '../src/range/env.js';
import { runEpisode, type Policy } from '../src/range/agent.js';
import { PRIV_ROOT, PRIV_USER } from '../src/range/network.js';
import { N_FEATURES } from '../src/range/telemetry.js';
import { RandomAttacker, ScriptedAttacker } from '../src/range/baselines.js';
import { NoopDefender, RandomDefender } from '../src/range/baselines.js';
import { Rng } from '../src/shared/prng.js';
import { sampleMasked } from '../src/range/agent.js';

const K = ATTACKER_HOST_FEATURES.length;
const G = ATTACKER_GLOBAL_FEATURES.length;

/** Checks the env contract at one decision point; returns nothing, throws on a violation. */
function checkDecisionPoint(env: RangeEnv, observations: Record<string, unknown>): void {
  const net = env.network;
  const bad: string[] = [];
  // Plain checks in the hot loops (vitest's expect is too slow per element); one expect at the end.
  const ok = (cond: unknown, what: string): void => {
    if (!cond && bad.length < 10) bad.push(`${what} at t=${env.time}`);
  };
  for (const id of Object.keys(observations)) {
    const mask = env.actionMask(id);
    ok(mask.length === env.actionSpace(id).n, `${id} mask length`);
    ok(mask[0] === 1, `${id} mask[0]`);
    if (env.isAttacker(id)) {
      const obs = observations[id] as { kind: string; vector: Float32Array };
      ok(obs.kind === 'attacker', 'attacker obs kind');
      ok(obs.vector.length === env.observationSpace(id).shape[0], 'attacker obs length');
      const know = env.attackerKnowledge(id);
      for (let h = 0; h < net.nHosts; h++) {
        const o = h * K;
        const priv = env.privilege(id, h);
        // Observation encoding matches the true state.
        ok(obs.vector[o] === know.discovered[h], `discovered ${h}`);
        if (know.discovered[h]) {
          ok(obs.vector[o + 1] === know.scanned[h], `scanned ${h}`);
          ok(obs.vector[o + 2] === (priv >= PRIV_USER ? 1 : 0), `privUser ${h}`);
          ok(obs.vector[o + 3] === (priv === PRIV_ROOT ? 1 : 0), `privRoot ${h}`);
          ok(obs.vector[o + 4] === know.crownKnown[h], `crown ${h}`);
          if (know.crownKnown[h]) ok(net.crownJewel[h] === 1, `crown truth ${h}`);
        } else {
          for (let k = 0; k < K; k++) ok(obs.vector[o + k] === 0, `undiscovered ${h} leaks`);
          ok(priv === 0, `priv on undiscovered ${h}`);
        }
        // Masks never allow an impossible action.
        const L = env.attackerLayout;
        if (mask[L.scanHost(h)]) ok(know.discovered[h] && !know.scanned[h], `scanHost ${h}`);
        const st = env.hostStatus(h);
        const contact = priv > 0 && !st.isolated && !st.offline;
        ok(obs.vector[o + 9] === (know.discovered[h] && contact ? 1 : 0), `contact ${h}`);
        if (mask[L.escalate(h)]) {
          ok(priv === PRIV_USER && contact && net.localVulns[h]!.length > 0, `escalate ${h}`);
        }
        if (mask[L.exfiltrate(h)]) {
          ok(net.crownJewel[h] === 1 && priv >= PRIV_USER && contact, `exfiltrate ${h}`);
        }
        if (mask[L.lateral(h)]) {
          ok(know.credentialsHeld.some((c) => net.credValidOn[c]![h] && net.credPriv[c]! > priv) && net.hostHasMgmt[h] === 1, `lateral ${h}`);
        }
        for (let s = 0; s < net.maxSlots; s++) {
          if (!mask[L.exploit(h, s)]) continue;
          const slot = net.exploitSlots[h]![s];
          ok(know.scanned[h] === 1 && slot !== undefined && net.vulns[slot.vuln]!.grants > priv && !env.isPatched(h, s), `exploit ${h}/${s}`);
        }
      }
      const g = net.nHosts * K;
      ok(Math.abs(obs.vector[g]! - env.time / env.timeLimit) < 1e-5, 'time feature');
      ok(G === 6, 'globals');
      ok(obs.vector[g + 4] === (know.quiet ? 1 : 0), 'tempo feature');
      ok(obs.vector[g + 5] === mask[env.attackerLayout.rotate()], 'source blocked feature offered with the rotate action');
      // Exactly one tempo switch is offered: to the tempo the attacker is not in.
      ok(mask[env.attackerLayout.tempo(true)] === (know.quiet ? 0 : 1) && mask[env.attackerLayout.tempo(false)] === (know.quiet ? 1 : 0), 'tempo mask');
    } else {
      const obs = observations[id] as DefenderObservation;
      ok(obs.kind === 'defender', 'defender kind');
      ok(obs.features.length === obs.hosts.length * N_FEATURES, 'features length');
      const shape = env.observationSpace(id).shape;
      ok(shape[0] === obs.hosts.length && shape[1] === N_FEATURES, 'defender shape');
      const zoneSet = new Set<number>(obs.hosts);
      for (let a = 1; a < mask.length; a++) {
        if (!mask[a]) continue;
        const d = env.defenderLayout.decode(a);
        if (d.type === 'monitor') continue;
        ok(zoneSet.has(d.host), `${id} acts outside its zones`);
        const st = env.hostStatus(d.host);
        if (d.type === 'isolate') ok(!st.isolated, 'isolate isolated');
        if (d.type === 'restore') ok(st.isolated || st.blocked, 'restore healthy');
        if (d.type === 'patch') ok(d.slot < env.network.exploitSlots[d.host]!.length && !env.isPatched(d.host, d.slot) && !st.offline, 'patch a real, unpatched slot of an online host');
      }
      for (const x of obs.features) ok(Number.isFinite(x) && x >= 0, 'feature finite, non-negative');
    }
  }
  expect(bad).toEqual([]);
}

function randomRun(env: RangeEnv, seed: number, maxSteps: number): void {
  const rng = new Rng(seed);
  let { observations, infos } = env.reset({ seed });
  expect(Object.keys(observations).sort()).toEqual([...env.possibleAgents].sort());
  for (let i = 0; i < maxSteps && !env.isDone; i++) {
    checkDecisionPoint(env, observations);
    const actions: Record<string, Action> = {};
    for (const id of Object.keys(observations)) {
      expect(infos[id]!.ready).toBe(true);
      actions[id] = sampleMasked(env.actionMask(id), rng, env.isAttacker(id) ? 0.05 : 0.9);
    }
    const t0 = env.time;
    const r = env.step(actions);
    for (const id of env.possibleAgents) {
      expect(r.rewards).toHaveProperty(id);
      expect(r.terminations).toHaveProperty(id);
      expect(r.truncations).toHaveProperty(id);
      expect(r.infos[id]!.invalidAction).toBeUndefined();
      expect(Number.isFinite(r.rewards[id])).toBe(true);
    }
    expect(r.dt).toBeGreaterThan(0);
    expect(r.time).toBeCloseTo(t0 + r.dt, 6);
    // Time resolution is 0.1 s.
    expect(Math.abs(r.time * 10 - Math.round(r.time * 10))).toBeLessThan(1e-6);
    // Busy agents are not asked to act.
    for (const id of env.possibleAgents) expect(id in r.observations).toBe(r.infos[id]!.ready || env.isDone);
    observations = r.observations;
    infos = r.infos;
  }
}

describe('env checker', () => {
  for (const name of ['small', 'medium', 'large']) {
    it(`preset ${name}: API contract, masks, observation encoding`, () => {
      expect(presetNames()).toContain(name);
      const env = new RangeEnv(loadScenario(name));
      randomRun(env, 3, 250);
    });
  }
  it('a generated 1,000-host network', () => {
    const env = new RangeEnv(generateScenario({ hosts: 1000, seed: 9 }));
    expect(env.network.nHosts).toBe(1000);
    randomRun(env, 4, 25);
  });
  it('rejects out-of-range actions and replaces masked ones with a wait', () => {
    const env = new RangeEnv(loadScenario('small'));
    env.reset({ seed: 1 });
    expect(() => env.step({ attacker_0: env.actionSpace('attacker_0').n })).toThrow(RangeError);
    env.reset({ seed: 1 });
    const masked = env.actionMask('attacker_0').indexOf(0);
    const r = env.step({ attacker_0: masked });
    expect(r.infos.attacker_0!.invalidAction).toBe(true);
  });
});

function undefended(env: RangeEnv, attacker: Policy): Record<string, Policy> {
  const p: Record<string, Policy> = { attacker_0: attacker };
  for (const d of env.defenderIds) p[d] = new NoopDefender();
  return p;
}

describe('episodes', () => {
  it('same seed gives an identical trajectory and telemetry; another seed differs', () => {
    const env = new RangeEnv(loadScenario('small'));
    const pol = (): Record<string, Policy> => {
      const p: Record<string, Policy> = { attacker_0: new RandomAttacker() };
      for (const d of env.defenderIds) p[d] = new RandomDefender(0.05);
      return p;
    };
    const digest = (seed: number): string => {
      let tel = 0;
      const r = runEpisode(env, pol(), seed, {
        onStep: (res, e) => {
          const o = res.observations.defender_dmz as DefenderObservation | undefined;
          if (o) for (const x of o.features) tel = (tel * 31 + x) % 1e9;
          void e;
        },
      });
      const all = env.readWindow(env.windowsClosed - 1);
      return JSON.stringify({ steps: r.steps, t: r.duration, ev: r.events, ret: r.returns, tel, last: Array.from(all.features.slice(0, 200)) });
    };
    const a = digest(11);
    expect(digest(11)).toBe(a);
    expect(digest(12)).not.toBe(a);
  });

  it('the scripted kill-chain attacker reaches a crown jewel on small when undefended', () => {
    const env = new RangeEnv(loadScenario('small'));
    for (const stealthy of [false, true]) {
      let wins = 0;
      for (let seed = 0; seed < 5; seed++) {
        const r = runEpisode(env, undefended(env, new ScriptedAttacker({ stealthy })), seed);
        if (r.outcome === 'exfiltration') {
          wins++;
          const ex = r.events.find((e) => e.type === 'exfiltration')!;
          expect(env.network.crownJewel[(ex as { host: number }).host]).toBe(1);
          expect(r.events.some((e) => e.type === 'compromise')).toBe(true);
        }
      }
      expect(wins).toBeGreaterThanOrEqual(4);
    }
  });

  it('the stealthy variant is slower but leaves a smaller footprint', () => {
    const env = new RangeEnv(loadScenario('medium'));
    const stats = (stealthy: boolean): { time: number; failed: number } => {
      let time = 0;
      let failed = 0;
      for (let seed = 0; seed < 4; seed++) {
        const r = runEpisode(env, undefended(env, new ScriptedAttacker({ stealthy })), seed);
        time += r.duration;
        for (let w = 0; w < env.windowsClosed; w++) failed += env.readWindow(w).features.reduce((s, x, i) => (i % N_FEATURES === 9 ? s + x : s), 0);
      }
      return { time, failed: failed / time };
    };
    const loud = stats(false);
    const quiet = stats(true);
    expect(quiet.time).toBeGreaterThan(loud.time);
    expect(quiet.failed).toBeLessThan(loud.failed);
  });

  it('the quiet tempo is the attacker\'s choice: later actions take longer and are marked quiet', () => {
    const env = new RangeEnv(loadScenario('small'));
    const L = env.attackerLayout;
    const zoneScan = L.scanZone(0, false);
    // Scan a zone loud, go quiet, scan it again: the quiet scan lasts 1 + 1.5 * 0.9 = 2.35x as long.
    const script = [zoneScan, L.tempo(true), zoneScan];
    let i = 0;
    const att: Policy = { act: (_o, ctx) => (i < script.length ? (expect(ctx.mask[script[i]!]).toBe(1), script[i++]!) : 0) };
    const p: Record<string, Policy> = { attacker_0: att };
    for (const d of env.defenderIds) p[d] = new NoopDefender();
    env.reset({ seed: 3 });
    expect(env.actionMask('attacker_0')[L.tempo(false)]).toBe(0);
    const r = runEpisode(env, p, 3);
    const scans = r.events.filter((e) => e.type === 'attack' && e.action === 'scanZone') as { t: number; start: number; quiet?: boolean }[];
    expect(scans.map((e) => e.quiet === true)).toEqual([false, true]);
    expect((scans[1]!.t - scans[1]!.start) / (scans[0]!.t - scans[0]!.start)).toBeCloseTo(2.35, 1);
    const tempo = r.events.filter((e) => e.type === 'tempo');
    expect(tempo).toHaveLength(1);
    expect(env.attackerKnowledge('attacker_0').quiet).toBe(true);
  });

  it('truncates at the time limit when nothing happens', () => {
    const env = new RangeEnv(loadScenario('small'));
    const idle = runEpisode(env, { attacker_0: { act: () => 0 } }, 5);
    expect(idle.outcome).toBe('timeout');
    expect(idle.duration).toBe(env.timeLimit);
  });
});
