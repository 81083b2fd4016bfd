import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateScenario } from '../src/range/generate.js';
import type { Scenario } from '../src/range/scenario.js';
import { RangeEnv } from '../src/range/env.js';
import { runEpisode, type Policy } from '../src/range/agent.js';
import { NoopDefender } from '../src/range/baselines.js';
import { createAttacker } from '../src/attackers/registry.js';
import type { LearningAttacker } from '../src/attackers/learner.js';
import { SharedLearnerPolicy } from '../src/attackers/shared-policy.js';
import { loadTrainedAttackers, readAttackerJob, trainAttackerJob } from '../src/train/attacker-job.js';
import { coTrain } from '../src/train/cotrain.js';
import { evaluateAttacker } from '../src/train/evaluate.js';

const tmp = mkdtempSync(join(tmpdir(), 'cyrange-jobs-'));

// A 20-host generated network with a 300 s limit: the untrained networks rarely reach the crown jewel in
// it, a trained attacker does (as in train.test.ts).
const one = generateScenario({ hosts: 20, seed: 1, timeLimit: 300 });
// The same network with two attackers, the second starting a minute later (the paper's scenario B shape).
const two: Scenario = { ...one, name: 'two-attackers', attackers: [{ id: 'attacker_0', stealth: 0 }, { id: 'attacker_1', stealth: 0, startAfter: 60 }] };

function scenarioFile(s: Scenario): string {
  const f = join(tmp, `${s.name}.json`);
  writeFileSync(f, JSON.stringify(s));
  return f;
}

/** Frozen play of the env's attackers on fixed seeds, without a defence: success rate and mean attacker return. */
function frozen(env: RangeEnv, attackers: Record<string, Policy>, episodes = 20): { success: number; ret: number } {
  let success = 0;
  let ret = 0;
  for (let i = 0; i < episodes; i++) {
    const policies: Record<string, Policy> = { ...attackers };
    for (const d of env.defenderIds) policies[d] = new NoopDefender();
    const ep = runEpisode(env, policies, 70_000 + i);
    if (ep.outcome === 'exfiltration') success++;
    for (const id of env.attackerIds) ret += ep.returns[id]! / env.attackerIds.length;
  }
  return { success: success / episodes, ret: ret / episodes };
}

/** The untrained learner of `kind` (same seed and hyperparameters as the job), one frozen instance per attacker. */
async function untrained(env: RangeEnv, kind: string, seed: number): Promise<Record<string, Policy>> {
  const out: Record<string, Policy> = {};
  for (const id of env.attackerIds) {
    const a = (await createAttacker(kind, { env, agent: id, seed })) as LearningAttacker;
    a.mode = 'eval';
    out[id] = a;
  }
  return out;
}

describe('trainAttackerJob', () => {
  it.each([['pg', 200], ['dqn', 200]] as const)('%s trained once from no warm start beats its untrained policy frozen, with a learning curve and gradient steps', async (kind, episodes) => {
    const out = join(tmp, `job-${kind}`);
    const r = await trainAttackerJob({ scenario: scenarioFile(one), kind, seed: 2, episodes, curveEvery: 100, curveEpisodes: 5 }, out);
    expect(r.gradientSteps).toBeGreaterThan(0);
    expect(r.curve.map((p) => p.episodes)).toEqual([100, 200]);
    expect(r.curve[1]!.gradientSteps).toBe(r.gradientSteps);
    expect(readAttackerJob(out)).toEqual(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')));
    const env = new RangeEnv(one, { telemetry: false });
    const before = frozen(env, await untrained(env, kind, 2));
    const after = frozen(env, await loadTrainedAttackers(r.agentDir, env));
    expect(after.success).toBeGreaterThanOrEqual(0.8);
    expect(after.success).toBeGreaterThan(before.success);
    expect(after.ret).toBeGreaterThan(before.ret + 100);
  }, 90_000);
});

describe('several attackers: parameter sharing', () => {
  it.each(['pg', 'dqn'] as const)('%s: one learner acts for every attacker and learns from all of them; each loads as its own frozen instance', async (kind) => {
    const out = join(tmp, `job-two-${kind}`);
    const r = await trainAttackerJob({ scenario: scenarioFile(two), kind, seed: 3, episodes: 150, curveEvery: 75, curveEpisodes: 4 }, out);
    // Each attacker's episode is an episode for the learner: two per env episode (for PG one update per
    // two, the default episodesPerUpdate).
    const manifest = JSON.parse(readFileSync(join(r.agentDir, 'agent.json'), 'utf8')) as { counters: { episodes: number; gradientSteps: number } };
    expect(manifest.counters.episodes).toBe(2 * 150);
    if (kind === 'pg') expect(r.gradientSteps).toBe(150);
    else expect(r.gradientSteps).toBeGreaterThan(0);
    const env = new RangeEnv(two, { telemetry: false });
    const loaded = await loadTrainedAttackers(r.agentDir, env);
    expect(Object.keys(loaded)).toEqual(['attacker_0', 'attacker_1']);
    expect(loaded.attacker_0).not.toBe(loaded.attacker_1);
    expect(Array.from((loaded.attacker_0 as LearningAttacker).getWeights())).toEqual(Array.from((loaded.attacker_1 as LearningAttacker).getWeights()));
    const before = frozen(env, await untrained(env, kind, 3));
    const after = frozen(env, loaded);
    expect(after.success).toBeGreaterThanOrEqual(0.8);
    expect(after.ret).toBeGreaterThan(before.ret + 100);
    // `attackers evaluate` plays every attacker of the scenario with its own frozen copy too.
    const ev = await evaluateAttacker({ env: two, model: r.agentDir, defender: 'none', episodes: 10, seed: 5 });
    expect(ev.kind).toBe(kind);
    expect(ev.successRate).toBeGreaterThanOrEqual(0.8);
  }, 90_000);

  it('rollout workers play every attacker with the shared learner: the same rounds whatever the number of workers', async () => {
    const run = async (workers: number): Promise<unknown[]> => {
      const r = await coTrain({ scenario: two, attacker: 'dqn', defender: 'none', rounds: 1, trainEpisodes: 6, evalEpisodes: 2, detectorEpisodes: 1, demoEpisodes: 0, seed: 6, workers, attackerHyperparameters: { learningStarts: 100, batchSize: 16 } });
      return r.rounds.map(({ wallSeconds, stepsPerSecond, gradientStepsPerSecond, ...rest }) => rest);
    };
    const a = await run(2);
    expect((a[0] as { gradientSteps: number }).gradientSteps).toBeGreaterThan(0);
    expect(await run(3)).toEqual(a);
  }, 60_000);

  it('each attacker id gets its own transitions (its decisions, its rewards), handed over when its episode ends', async () => {
    const env = new RangeEnv(two, { telemetry: false });
    const learner = (await createAttacker('pg', { env, seed: 5, hyperparameters: { episodesPerUpdate: 1000 } })) as LearningAttacker;
    learner.mode = 'train';
    const got: { n: number; done: boolean }[] = [];
    let n = 0;
    learner.sink = (t) => got.push({ n: n++, done: t.done });
    const policies: Record<string, Policy> = { attacker_0: new SharedLearnerPolicy(learner), attacker_1: new SharedLearnerPolicy(learner) };
    const decisions: Record<string, number> = { attacker_0: 0, attacker_1: 0 };
    for (const id of env.attackerIds) {
      const p = policies[id]!;
      const act = p.act.bind(p);
      p.act = (o, c) => {
        decisions[id]!++;
        return act(o, c);
      };
    }
    for (const d of env.defenderIds) policies[d] = new NoopDefender();
    const ep = runEpisode(env, policies, 11);
    // One transition per decision of each attacker; two episode ends, each closing one attacker's run of transitions.
    expect(got).toHaveLength(decisions.attacker_0! + decisions.attacker_1!);
    expect(decisions.attacker_1).toBeGreaterThan(0);
    const ends = got.filter((t) => t.done).map((t) => t.n);
    expect(ends).toHaveLength(2);
    expect(ends[1]).toBe(got.length - 1);
    expect(ends[0]! + 1 === decisions.attacker_0 || ends[0]! + 1 === decisions.attacker_1).toBe(true);
    expect(ep.steps).toBeGreaterThan(0);
  });
});
