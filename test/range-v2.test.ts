/**
 * Range v2: intrusions persist and come back, the defence pipeline takes time, and the defender return
 * ranks the sanity defences as it must.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/range/presets.js';
import { RangeEnv, type Action, type RangeEvent } from '../src/range/env.js';
import { runEpisode, type ActContext, type Policy } from '../src/range/agent.js';
import { NoopDefender, ScriptedAttacker } from '../src/range/baselines.js';
import { PRIV_ROOT } from '../src/range/network.js';
import { episodeMetrics, incidentsOf } from '../src/range/metrics.js';
import { createDefense } from '../src/defenders/registry.js';
import { pairedTTest } from '../src/shared/paired-tests.js';

/** A scripted attacker until `until` returns true, then waits (to freeze the state for a check). */
function attackerUntil(stop: (env: RangeEnv) => boolean): Policy {
  const s = new ScriptedAttacker();
  return {
    reset: (ctx) => s.reset(ctx),
    act: (o, ctx) => (stop(ctx.env) ? 0 : s.act(o, ctx)),
    observe: (r, a) => s.observe(r, a),
  };
}

/** A defender that runs `plan` (one action per decision, once each, when the mask allows it). */
function planned(plan: (env: RangeEnv) => number | null): Policy {
  return { act: (_o, ctx: ActContext): Action => { const a = plan(ctx.env); return a !== null && ctx.mask[a] ? a : 0; } };
}

function policies(env: RangeEnv, attacker: Policy, defender: (id: string) => Policy = () => new NoopDefender()): Record<string, Policy> {
  const p: Record<string, Policy> = { attacker_0: attacker };
  for (const d of env.defenderIds) p[d] = defender(d);
  return p;
}

const firstFoothold = (env: RangeEnv): number | null => env.compromisedHosts()[0] ?? null;

describe('containment is not the end', () => {
  it('isolating the only foothold does not end the episode: the implant stays, cut off', () => {
    const env = new RangeEnv(loadScenario('small'));
    let target: number | null = null;
    const attacker = attackerUntil((e) => e.compromisedHosts().length > 0);
    const isolate = planned((e) => {
      target ??= firstFoothold(e);
      return target === null ? null : e.defenderLayout.encode('isolate', target);
    });
    const r = runEpisode(env, policies(env, attacker, () => isolate), 7);
    expect(target).not.toBeNull();
    expect(r.outcome).toBe('timeout');
    expect(r.duration).toBe(env.timeLimit);
    expect(env.hostStatus(target!).isolated).toBe(true);
    expect(env.privilege('attacker_0', target!)).toBeGreaterThan(0);
    expect(env.liveFootholds()).toBe(0);
    const contained = r.events.find((e) => e.type === 'foothold-contained');
    expect(contained).toMatchObject({ host: target, reason: 'isolated' });
    // The incident is contained but not eradicated: its eradication time is censored at the episode end.
    const inc = incidentsOf(r.events, r.duration).find((i) => i.host === target)!;
    expect(inc.timeToContain.event).toBe(true);
    expect(inc.timeToEradicate).toEqual({ time: r.duration - inc.start, event: false });
  });

  it('restoring an isolated host that was not eradicated gives the implant back', () => {
    const env = new RangeEnv(loadScenario('small'));
    let target: number | null = null;
    let step = 0;
    const attacker = attackerUntil((e) => e.compromisedHosts().length > 0);
    const defender = planned((e) => {
      target ??= firstFoothold(e);
      if (target === null) return null;
      const st = e.hostStatus(target);
      if (step === 0 && !st.isolated) return e.defenderLayout.encode('isolate', target);
      step = 1;
      return st.isolated ? e.defenderLayout.encode('restore', target) : null;
    });
    const r = runEpisode(env, policies(env, attacker, (id) => (id === env.defenderIds[0] ? defender : new NoopDefender())), 7);
    expect(target).not.toBeNull();
    const types = r.events.filter((e) => 'host' in e && e.host === target && e.type.startsWith('foothold')).map((e) => e.type);
    expect(types).toEqual(['foothold-contained', 'foothold-reconnected']);
    expect(env.liveFootholds()).toBeGreaterThan(0);
    const m = episodeMetrics(env, r, null);
    expect(m.reentries).toBe(1);
    expect(m.incidents.find((i) => i.host === target)!.regained).toBe(true);
  });
});

describe('re-entry', () => {
  it('after a perimeter block the attacker needs new infrastructure, then comes back in', () => {
    const env = new RangeEnv(loadScenario('small'));
    const L = env.defenderLayout;
    let target: number | null = null;
    let phase = 0;
    // Evict the first foothold (reimage), block the outside addresses seen on it; then stand by.
    const defender = planned((e) => {
      target ??= firstFoothold(e);
      if (target === null) return null;
      if (phase === 0 && e.privilege('attacker_0', target) > 0) return L.encode('reimage', target);
      phase = Math.max(phase, 1);
      if (phase === 1) {
        phase = 2;
        return L.encode('blockSource', target);
      }
      return null;
    });
    const r = runEpisode(env, policies(env, new ScriptedAttacker(), (id) => (id === env.defenderIds[0] ? defender : new NoopDefender())), 3);
    const blockDone = r.events.find((e) => e.type === 'response-done' && e.action === 'blockSource') as Extract<RangeEvent, { type: 'response-done' }> | undefined;
    expect(blockDone?.effective).toBe(true);
    // Blocked: the attacker's next move is new infrastructure, and it pays the rotation time.
    const rotate = r.events.find((e) => e.type === 'rotate' && e.t >= blockDone!.t);
    expect(rotate).toBeDefined();
    const fromOutside = r.events.filter((e) => e.type === 'attack' && e.source === null && e.start >= blockDone!.t && e.start < rotate!.t - env.sim.rotateSeconds + 1e-9);
    expect(fromOutside.filter((e) => (e as { success: boolean }).success)).toEqual([]);
    // Then it re-enters a host it held before.
    const back = r.events.find((e) => e.type === 'compromise' && e.t > rotate!.t && e.reentry === true);
    expect(back).toBeDefined();
  });

  it('a reset credential stops working', () => {
    const env = new RangeEnv(loadScenario('small'));
    const net = env.network;
    const L = env.attackerLayout;
    let resetAt: number | null = null;
    let tried = 0;
    const scripted = new ScriptedAttacker();
    // Attack until a credential is stolen; once it has been reset, try every log-on the mask offers.
    const attacker: Policy = {
      reset: (ctx) => scripted.reset(ctx),
      act: (o, ctx) => {
        if (ctx.env.attackerKnowledge('attacker_0').credentialsHeld.length === 0) return scripted.act(o, ctx);
        if (resetAt === null) return 0;
        for (let h = 0; h < net.nHosts; h++) if (ctx.mask[L.lateral(h)]) { tried++; return L.lateral(h); }
        return 0;
      },
      observe: (r, a) => scripted.observe(r, a),
    };
    let sent = false;
    const defender: Policy = {
      act: (_o, ctx) => {
        const held = ctx.env.attackerKnowledge('attacker_0').credentialsHeld;
        if (held.length === 0 || sent) return 0;
        const h = [...Array(net.nHosts).keys()].find((x) => held.every((c) => net.credsOnHost[x]!.includes(c) || net.credValidOn[c]![x] === 1));
        if (h === undefined) return 0;
        const a = ctx.env.defenderLayout.encode('resetCredentials', h);
        if (!ctx.mask[a]) return 0;
        sent = true;
        return a;
      },
      observe: (r) => {
        const done = r.events.find((e) => e.type === 'response-done' && e.action === 'resetCredentials');
        if (done) resetAt = done.t;
      },
    };
    // Every zone agent may reset any credential it sees; give the plan to all of them (only one acts).
    const r = runEpisode(env, policies(env, attacker, () => defender), 4);
    expect(resetAt).not.toBeNull();
    expect(tried).toBeGreaterThan(0);
    const laterals = r.events.filter((e) => e.type === 'attack' && e.action === 'lateral' && e.start >= resetAt!);
    // Every attempt but possibly the last (still running when the episode ended) completed, and failed.
    expect(laterals.length).toBeGreaterThanOrEqual(tried - 1);
    expect(laterals.length).toBeGreaterThan(0);
    expect(laterals.every((e) => !(e as { success: boolean }).success)).toBe(true);
  });

  it('a patched vulnerability slot is closed to exploits and the host restarts', () => {
    const env = new RangeEnv(loadScenario('small'));
    const net = env.network;
    const h = [...Array(net.nHosts).keys()].find((x) => net.zoneKinds[net.hostZone[x]!] === 'dmz' && net.exploitSlots[x]!.length > 0)!;
    // The defender that watches h patches slot 0; the attacker must never be offered that exploit again.
    let patched = false;
    const patcher = planned((e) => (patched ? null : ((patched = true), e.defenderLayout.encode('patch', h, 0))));
    const owner = env.defenderIds.find((id) => { env.reset({ seed: 1 }); return env.actionMask(id)[env.defenderLayout.encode('patch', h, 0)] === 1; })!;
    const L = env.attackerLayout;
    let exploitOffered = false;
    const watcher: Policy = {
      act: (o, ctx) => {
        if (patched && ctx.env.isPatched(h, 0) && ctx.mask[L.exploit(h, 0)]) exploitOffered = true;
        return new ScriptedAttacker().act(o, ctx);
      },
    };
    const r = runEpisode(env, policies(env, watcher, (id) => (id === owner ? patcher : new NoopDefender())), 1);
    expect(env.isPatched(h, 0)).toBe(true);
    expect(exploitOffered).toBe(false);
    const done = r.events.find((e) => e.type === 'response-done' && e.action === 'patch')!;
    expect(done).toMatchObject({ host: h, slot: 0 });
    expect(r.events.some((e) => e.type === 'exfiltration' || e.t > done.t)).toBe(true);
    expect(env.defenderReturn.business).toBeGreaterThan(0);
  });
});

describe('the defence pipeline takes time', () => {
  it('a detection and the response it triggers never share an instant', async () => {
    const env = new RangeEnv(loadScenario('small'));
    for (const kind of ['rule-mas', 'static-range', 'oracle']) {
      const defense = await createDefense(kind, env);
      let responses = 0;
      for (let seed = 0; seed < 4; seed++) {
        const r = runEpisode(env, { ...defense.policies, attacker_0: new ScriptedAttacker() }, seed);
        const alerts = r.events.filter((e) => e.type === 'alert') as Extract<RangeEvent, { type: 'alert' }>[];
        for (const e of r.events) {
          if (e.type !== 'response' || e.action === 'restore') continue;
          responses++;
          // Every response follows an alert on its host strictly earlier, never in the same instant.
          const before = alerts.filter((a) => a.host === e.host && a.t <= e.t);
          expect(before.length).toBeGreaterThan(0);
          expect(before.every((a) => a.t < e.t)).toBe(true);
        }
        for (const inc of episodeMetrics(env, r, defense.recorder).incidents) {
          if (inc.responseLatency && inc.responseLatency.event) expect(inc.responseLatency.time).toBeGreaterThan(0);
        }
      }
      expect(responses).toBeGreaterThan(0);
    }
  });
});

describe('defender return: the sanity rows order as they must', () => {
  it('oracle beats flag-all and no defence on small, paired over seeds (scripted attackers)', async () => {
    const env = new RangeEnv(loadScenario('small'));
    const returns = async (kind: string, stealthy: boolean): Promise<number[]> => {
      const defense = await createDefense(kind, env);
      const out: number[] = [];
      for (let seed = 100; seed < 112; seed++) {
        const r = runEpisode(env, { ...defense.policies, attacker_0: new ScriptedAttacker({ stealthy }) }, seed);
        out.push(episodeMetrics(env, r, defense.recorder).defenderReturn);
      }
      return out;
    };
    for (const stealthy of [false, true]) {
      const oracle = await returns('oracle', stealthy);
      for (const other of ['flag-all', 'none']) {
        const o = await returns(other, stealthy);
        const t = pairedTTest(oracle, o);
        expect(t.meanDiff).toBeGreaterThan(0);
        expect(t.pValue).toBeLessThan(0.01);
      }
    }
  });
});

describe('attack mix per scenario', () => {
  it('an attacker limited to stages acts only in them, and one with a start time waits until then', () => {
    const base = loadScenario('small');
    const scenario = { ...base, attackers: [{ id: 'attacker_0', stealth: 0, stages: ['recon', 'exploit'] as const, startAfter: 0 }, { id: 'attacker_1', stealth: 0, stages: ['recon', 'exploit', 'privesc', 'lateral', 'exfiltration'] as const, startAfter: 120 }] };
    const env = new RangeEnv(scenario as unknown as typeof base);
    const p: Record<string, Policy> = { attacker_0: new ScriptedAttacker(), attacker_1: new ScriptedAttacker() };
    for (const d of env.defenderIds) p[d] = new NoopDefender();
    const r = runEpisode(env, p, 2);
    const acts = (agent: string): Extract<RangeEvent, { type: 'attack' }>[] => r.events.filter((e) => e.type === 'attack' && e.agent === agent) as Extract<RangeEvent, { type: 'attack' }>[];
    expect(acts('attacker_0').length).toBeGreaterThan(0);
    expect(acts('attacker_0').every((e) => ['scanZone', 'scanHost', 'exploit'].includes(e.action))).toBe(true);
    expect(r.events.some((e) => e.type === 'compromise' && e.agent === 'attacker_0')).toBe(true);
    expect(acts('attacker_1').length).toBeGreaterThan(0);
    expect(Math.min(...acts('attacker_1').map((e) => e.start))).toBeGreaterThanOrEqual(120);
  });
});
