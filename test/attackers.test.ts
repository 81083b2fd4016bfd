import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf } from '../src/nn/runtime.js';
import { Rng } from '../src/shared/prng.js';
import { CyrangeError } from '../src/shared/errors.js';
import { runEpisode, type Policy } from '../src/range/agent.js';
import { RangeEnv, type AgentInfo, type Observation, type RangeEvent, type StepResult } from '../src/range/env.js';
import { generateScenario } from '../src/range/generate.js';
import { DqnAttacker } from '../src/attackers/dqn.js';
import { PgAttacker, maskedSoftmax, policyLossGrad } from '../src/attackers/policy-gradient.js';
import { TransitionCollector, type LearningAttacker } from '../src/attackers/learner.js';
import { attackerKinds, attackerRegistry, createAttacker, loadLearningAttacker, registerAttacker } from '../src/attackers/registry.js';
import { DefendedRolloutPool, defendedRolloutWorkerPath, learnFromRollouts } from '../src/train/rollouts.js';

// ------------------------------------------------------------------------------------------------
// A tiny deterministic chain with the range's conventions: states 0..5, start 0, +1 on reaching 5
// (terminates), -0.01 per simulated second. Actions: 0 wait (2 s), 1 left (1 s), 2 right (1 s),
// 3 a "trap" that is always masked (the env throws if it is ever taken). Left is masked at state 0.
// Optimal: right x5, return 1 - 0.05 = 0.95. Truncated at 20 s.
// ------------------------------------------------------------------------------------------------
const AG = 'attacker_0';
class ChainEnv {
  readonly possibleAgents = [AG];
  readonly attackerIds = [AG];
  readonly defenderIds: string[] = [];
  readonly windowsClosed = 0;
  private s = 0;
  private t = 0;
  private done = true;
  private log: RangeEvent[] = [];
  constructor(readonly n = 6, readonly limit = 20) {}
  get isDone(): boolean { return this.done; }
  get time(): number { return this.t; }
  get eventLog(): readonly RangeEvent[] { return this.log; }
  actionSpace(): { n: number } { return { n: 4 }; }
  observationSpace(): { shape: number[] } { return { shape: [this.n] }; }
  isAttacker(a: string): boolean { return a === AG; }
  private obs(): Observation {
    const v = new Float32Array(this.n);
    v[this.s] = 1;
    return { kind: 'attacker', time: this.t, vector: v };
  }
  private info(elapsed: number): AgentInfo {
    return { role: 'attacker', ready: !this.done, elapsed, busyUntil: this.t };
  }
  actionMask(): Uint8Array {
    return Uint8Array.from([1, this.s > 0 ? 1 : 0, 1, 0]);
  }
  reset(): { observations: Record<string, Observation>; infos: Record<string, AgentInfo> } {
    this.s = 0;
    this.t = 0;
    this.done = false;
    this.log = [];
    return { observations: { [AG]: this.obs() }, infos: { [AG]: this.info(0) } };
  }
  step(actions: Record<string, unknown>): StepResult {
    const a = (actions[AG] as number | undefined) ?? 0;
    if (!this.actionMask()[a]) throw new Error(`masked action ${a} taken in state ${this.s}`);
    const dt = a === 0 ? 2 : 1;
    if (a === 1) this.s--;
    if (a === 2) this.s++;
    this.t += dt;
    let r = -0.01 * dt;
    const term = this.s === this.n - 1;
    if (term) {
      r += 1;
      this.log.push({ t: this.t, type: 'exfiltration', agent: AG, host: 0, value: 1 });
    }
    const trunc = !term && this.t >= this.limit;
    this.done = term || trunc;
    return {
      observations: { [AG]: this.obs() },
      rewards: { [AG]: r },
      terminations: { [AG]: term },
      truncations: { [AG]: trunc },
      infos: { [AG]: this.info(dt) },
      events: [],
      time: this.t,
      dt,
    };
  }
}
const chain = new ChainEnv();
const chainEnv = chain as unknown as RangeEnv;
const play = (p: Policy, seed: number) => runEpisode(chainEnv, { [AG]: p }, seed);

function randomMask(rng: Rng, n: number): Uint8Array {
  const density = rng.next();
  const m = new Uint8Array(n);
  for (let j = 0; j < n; j++) m[j] = rng.next() < density ? 1 : 0;
  if (!m.some(Boolean)) m[rng.int(n)] = 1;
  return m;
}

const dqnChainHp = { hidden: [32, 32], learningStarts: 64, batchSize: 32, epsilonDecaySteps: 600, epsilonEnd: 0.05, targetSyncEvery: 50, learningRate: 3e-3 };
const pgChainHp = { hidden: [32], valueHidden: [32], learningRate: 1e-2, valueLearningRate: 1e-2, episodesPerUpdate: 4, entropyCoef: 0.01 };

function train(agent: LearningAttacker, episodes: number): void {
  agent.mode = 'train';
  for (let ep = 0; ep < episodes; ep++) play(agent, ep);
}

let dir = '';
beforeAll(async () => {
  await initTf();
  dir = await mkdtemp(join(tmpdir(), 'cyrange-attackers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chain task', () => {
  it('DQN learns the optimal return, deterministically for a seed', () => {
    const run = (): { ret: number; w: Float32Array } => {
      const d = new DqnAttacker({ obsSize: 6, nActions: 4, seed: 3, ...dqnChainHp });
      train(d, 120);
      d.mode = 'eval';
      const ret = play(d, 999).returns[AG]!;
      const w = d.getWeights();
      return { ret, w };
    };
    const a = run();
    expect(a.ret).toBeCloseTo(0.95, 6);
    const b = run();
    expect(Array.from(b.w)).toEqual(Array.from(a.w));
  });

  it('policy gradient learns the optimal return (argmax in eval)', () => {
    const p = new PgAttacker({ obsSize: 6, nActions: 4, seed: 5, ...pgChainHp });
    train(p, 200);
    p.mode = 'eval';
    expect(play(p, 999).returns[AG]).toBeCloseTo(0.95, 6);
    expect(p.counters.gradientSteps).toBe(50);
  });
});

describe('action masks', () => {
  it('masked actions are never chosen (DQN train/eval, PG train/eval/sampled eval)', () => {
    const N = 40;
    const agents: LearningAttacker[] = [
      new DqnAttacker({ obsSize: 8, nActions: N, seed: 1, epsilonStart: 0.5, epsilonEnd: 0.5 }),
      new PgAttacker({ obsSize: 8, nActions: N, seed: 1 }),
      new PgAttacker({ obsSize: 8, nActions: N, seed: 2, evalSample: true }),
    ];
    const rng = new Rng(11);
    for (const ag of agents) {
      for (const mode of ['train', 'eval'] as const) {
        ag.mode = mode;
        ag.reset?.({ env: chainEnv, agent: AG, seed: 1 });
        for (let k = 0; k < 300; k++) {
          const mask = randomMask(rng, N);
          const obs: Observation = { kind: 'attacker', time: 0, vector: Float32Array.from({ length: 8 }, () => rng.normal() * 3) };
          const a = ag.act(obs, { mask }) as number;
          expect(mask[a]).toBe(1);
        }
      }
    }
  });

  it('DQN targets never bootstrap from a masked next action (plain and Double DQN)', () => {
    for (const doubleDqn of [false, true]) {
      const d = new DqnAttacker({ obsSize: 5, nActions: 6, seed: 4, gamma: 0.9, timeUnit: 1, doubleDqn, rewardScale: 2 });
      const x = Float32Array.from([0.3, -1, 2, 0.5, 1]);
      const qT = d.qValues(x, 'target');
      const qO = d.qValues(x, 'online');
      const order = [...qT.keys()].sort((i, j) => qT[j]! - qT[i]!);
      const best = order[0]!;
      const mask = new Uint8Array(6).fill(1);
      mask[best] = 0;
      const pick = (q: Float32Array): number => [...q.keys()].filter((j) => mask[j]).sort((i, j) => q[j]! - q[i]!)[0]!;
      const aStar = doubleDqn ? pick(qO) : order[1]!;
      const batch = {
        reward: Float32Array.from([0.5, 0.5, 0.5]),
        elapsed: Float32Array.from([1, 2.5, 1]),
        nextObs: Float32Array.from([...x, ...x, ...x]),
        nextMask: Uint8Array.from([...mask, ...mask, ...mask]),
        done: Uint8Array.from([0, 0, 1]),
      };
      const y = d.tdTargets(batch, 3);
      expect(y[0]).toBeCloseTo(1 + 0.9 * qT[aStar]!, 5);
      expect(y[1]).toBeCloseTo(1 + Math.pow(0.9, 2.5) * qT[aStar]!, 5);
      expect(y[2]).toBeCloseTo(1, 6);
      expect(Math.abs(y[0]! - (1 + 0.9 * qT[best]!))).toBeGreaterThan(1e-6);
    }
  });

  it('n-step DQN stores time-discounted reward sums and flushes the episode end', () => {
    const d = new DqnAttacker({ obsSize: 2, nActions: 3, seed: 1, gamma: 0.5, timeUnit: 1, nStep: 3 });
    const rewards = [1, 2, 4, 8];
    const elapsed = [1, 1, 2, 1];
    rewards.forEach((r, i) => d.addTransition({
      obs: Float32Array.from([i, 0]), mask: Uint8Array.from([1, 1, 1]), action: 1, reward: r, elapsed: elapsed[i]!,
      nextObs: Float32Array.from([i + 1, 0]), nextMask: Uint8Array.from([1, 1, 1]), done: i === 3,
    }));
    const rb = d.replay as unknown as { size: number; reward: Float32Array; elapsed: Float32Array; done: Uint8Array; obs: Float32Array; nextObs: Float32Array };
    expect(rb.size).toBe(4);
    // 1 + 0.5*2 + 0.25*4; 2 + 0.5*4 + 0.5^3*8; 4 + 0.5^2*8; 8
    expect(Array.from(rb.reward.slice(0, 4))).toEqual([3, 5, 6, 8]);
    expect(Array.from(rb.elapsed.slice(0, 4))).toEqual([4, 4, 3, 1]);
    expect(Array.from(rb.done.slice(0, 4))).toEqual([0, 1, 1, 1]);
    expect([rb.obs[0], rb.nextObs[0], rb.obs[2], rb.nextObs[2]]).toEqual([0, 3, 1, 4]);
    expect(d.counters.envSteps).toBe(4);
  });

  it('policy-gradient logits gradient matches finite differences and is 0 on masked logits', () => {
    const rng = new Rng(3);
    const rows = 3;
    const n = 5;
    const logits = Float64Array.from({ length: rows * n }, () => rng.normal());
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1]);
    const act = Int32Array.from([3, 2, 4]);
    const adv = Float64Array.from([1.5, -0.7, 0.3]);
    const grad = new Float32Array(rows * n);
    policyLossGrad(logits, mask, act, adv, 0.1, rows, n, grad);
    const f = (z: Float64Array): number => policyLossGrad(z, mask, act, adv, 0.1, rows, n, new Float32Array(rows * n));
    for (let k = 0; k < rows * n; k++) {
      if (!mask[k]) {
        expect(grad[k]).toBe(0);
        continue;
      }
      const up = logits.slice();
      const dn = logits.slice();
      up[k]! += 1e-5;
      dn[k]! -= 1e-5;
      expect(grad[k]!).toBeCloseTo((f(up) - f(dn)) / 2e-5, 5);
    }
  });

  it('masked softmax gives masked actions zero probability', () => {
    const p = new Float64Array(4);
    const h = maskedSoftmax([5, 1, 1, 9], 0, [0, 1, 1, 0], 0, 4, p);
    expect(Array.from(p)).toEqual([0, 0.5, 0.5, 0]);
    expect(h).toBeCloseTo(Math.log(2), 12);
  });
});

describe('semi-MDP transitions', () => {
  it('sums rewards between the agent own decisions and records elapsed time and the next mask', () => {
    const c = new TransitionCollector(2, 3);
    c.reset({ actionMask: () => Uint8Array.from([1, 0, 1]) });
    c.onAct(Float32Array.from([1, 0]), Uint8Array.from([1, 1, 1]), 2);
    const step = (r: number, ready: boolean, elapsed: number, term = false): StepResult => ({
      observations: ready ? { [AG]: { kind: 'attacker', time: 0, vector: Float32Array.from([0, 1]) } } : {},
      rewards: { [AG]: r }, terminations: { [AG]: term }, truncations: { [AG]: false },
      infos: { [AG]: { role: 'attacker', ready, elapsed, busyUntil: 0 } }, events: [], time: 0, dt: 0,
    });
    expect(c.onStep(step(0.5, false, 0), AG)).toBeNull();
    expect(c.onStep(step(0.25, false, 0), AG)).toBeNull();
    const t = c.onStep(step(1, true, 3.5), AG)!;
    expect(t.reward).toBe(1.75);
    expect(t.elapsed).toBe(3.5);
    expect(t.action).toBe(2);
    expect(Array.from(t.nextObs)).toEqual([0, 1]);
    expect(Array.from(t.nextMask)).toEqual([1, 0, 1]);
    expect(t.done).toBe(false);
    c.onAct(t.nextObs, t.nextMask, 0);
    const last = c.onStep(step(-1, true, 1, true), AG)!;
    expect(last.done).toBe(true);
    expect(Array.from(last.nextMask)).toEqual([0, 0, 0]);
  });
});

describe('eval mode and persistence', () => {
  it('eval mode never changes the weights', () => {
    for (const ag of [new DqnAttacker({ obsSize: 6, nActions: 4, seed: 8, ...dqnChainHp, learningStarts: 1, batchSize: 4 }), new PgAttacker({ obsSize: 6, nActions: 4, seed: 8, ...pgChainHp, episodesPerUpdate: 1 })] as LearningAttacker[]) {
      train(ag, 3); // something to learn from is in the buffers
      ag.mode = 'eval';
      const before = ag.getWeights();
      const counters = { ...ag.counters };
      for (let ep = 0; ep < 5; ep++) play(ag, 100 + ep);
      expect(ag.trainStep()).toBeNull();
      expect(Array.from(ag.getWeights())).toEqual(Array.from(before));
      expect(ag.counters).toEqual(counters);
    }
  });

  it('save/load reproduces eval actions exactly; the manifest is checked', async () => {
    const rng = new Rng(21);
    for (const ag of [new DqnAttacker({ obsSize: 6, nActions: 4, seed: 9, ...dqnChainHp }), new PgAttacker({ obsSize: 6, nActions: 4, seed: 9, ...pgChainHp })] as LearningAttacker[]) {
      train(ag, 30);
      const d = join(dir, ag.kind);
      await ag.save(d);
      const back = await loadLearningAttacker(d, { obsSize: 6, nActions: 4 });
      expect(back.kind).toBe(ag.kind);
      expect(back.mode).toBe('eval');
      expect(back.counters).toEqual(ag.counters);
      expect(Array.from(back.getWeights())).toEqual(Array.from(ag.getWeights()));
      ag.mode = 'eval';
      // Eval acting may explore a little (DQN evalEpsilon) from an Rng reseeded per episode: same seed, same actions.
      ag.reset?.({ env: chainEnv, agent: AG, seed: 77 });
      back.reset?.({ env: chainEnv, agent: AG, seed: 77 });
      for (let k = 0; k < 200; k++) {
        const obs: Observation = { kind: 'attacker', time: 0, vector: Float32Array.from({ length: 6 }, () => rng.normal()) };
        const mask = randomMask(rng, 4);
        expect(back.act(obs, { mask })).toBe(ag.act(obs, { mask }));
      }
      expect(play(back, 5).returns[AG]).toBe(play(ag, 5).returns[AG]);
    }
    const file = join(dir, 'dqn', 'agent.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await expect(PgAttacker.load(join(dir, 'dqn'))).rejects.toThrow(/agent\.json: kind: this is a "dqn" agent/);
    await expect(DqnAttacker.load(join(dir, 'dqn'), { obsSize: 7 })).rejects.toThrow(/agent\.json: obsSize/);
    await writeFile(file, JSON.stringify({ ...manifest, format: 99 }));
    await expect(DqnAttacker.load(join(dir, 'dqn'))).rejects.toThrow(CyrangeError);
    await expect(DqnAttacker.load(join(dir, 'dqn'))).rejects.toThrow(/agent\.json: format: 99 is newer/);
    await writeFile(file, JSON.stringify({ ...manifest, nActions: 5 }));
    await expect(DqnAttacker.load(join(dir, 'dqn'))).rejects.toThrow(/model\.json: the network has 4 outputs but agent\.json expects 5/);
    await writeFile(file, JSON.stringify({ ...manifest, hyperparameters: { gama: 0.9 } }));
    await expect(DqnAttacker.load(join(dir, 'dqn'))).rejects.toThrow(/hyperparameters\.gama: not a dqn hyperparameter/);
  });
});

describe('training state', () => {
  it.each(['dqn', 'pg'] as const)('%s: saved with its training state and loaded back, it trains on exactly as the original', async (kind) => {
    // Small buffers and an update batch of 3 episodes: the replay ring wraps, and after 10 episodes one is waiting for an update.
    const hp = kind === 'dqn' ? { ...dqnChainHp, bufferSize: 40, learningStarts: 30, nStep: 3 } : { ...pgChainHp, episodesPerUpdate: 3 };
    const a = (await createAttacker(kind, { obsSize: 6, nActions: 4, seed: 12, hyperparameters: hp })) as LearningAttacker;
    train(a, 10);
    const scalars: string[] = [];
    const d = join(dir, `state-${kind}`);
    await a.save(d, { training: true });
    const b = await loadLearningAttacker(d, { obsSize: 6, nActions: 4, training: true });
    expect(b.counters).toEqual(a.counters);
    for (const [ag, tag] of [[a, 'a'], [b, 'b']] as const) ag.onScalar = (name, step, value) => scalars.push(`${tag} ${name} ${step} ${value}`);
    train(a, 25);
    train(b, 25);
    expect(a.counters.gradientSteps).toBeGreaterThan(5);
    expect(Array.from(b.getWeights())).toEqual(Array.from(a.getWeights()));
    const strip = (tag: string): string[] => scalars.filter((x) => x.startsWith(tag)).map((x) => x.slice(2));
    expect(strip('b')).toEqual(strip('a'));
    expect(strip('a').length).toBeGreaterThan(25);
    // Without its training state, the same agent starts its optimizer (and buffers) afresh: training differs.
    const c = await loadLearningAttacker(d, { obsSize: 6, nActions: 4 });
    const a2 = await loadLearningAttacker(d, { obsSize: 6, nActions: 4, training: true });
    train(c, 25);
    train(a2, 25);
    expect(Array.from(c.getWeights())).not.toEqual(Array.from(a2.getWeights()));
    // A damaged training state is a one-line error naming the file.
    await writeFile(join(d, 'training.json'), JSON.stringify({ format: 1, kind, state: {}, arrays: [] }));
    await expect(loadLearningAttacker(d, { training: true })).rejects.toThrow(/training\.json: state: /);
  });
});

describe('registry', () => {
  it('creates every kind and refuses unknown ones', async () => {
    const env = new RangeEnv(generateScenario({ hosts: 20, seed: 1, timeLimit: 60 }), { telemetry: false });
    env.reset({ seed: 1 });
    for (const k of attackerKinds()) {
      const p = await createAttacker(k, { env, seed: 1, hyperparameters: {} });
      const r = runEpisode(env, { [env.attackerIds[0]!]: p }, 3);
      expect(['exfiltration', 'contained', 'timeout']).toContain(r.outcome);
    }
    await expect(createAttacker('dqnn', { source: 'exp.json: attackers[0].kind' })).rejects.toThrow(/exp\.json: attackers\[0\]\.kind: unknown attacker kind "dqnn"/);
    await expect(createAttacker('dqn', { env, hyperparameters: { gama: 1 } as object })).rejects.toThrow(CyrangeError);
    await expect(createAttacker('pg', { env, source: 'exp.json: attackers[0]', hyperparameters: { gamma: 2 } })).rejects.toThrow(/exp\.json: attackers\[0\]: hyperparameters: pg: gamma/);
    // null (JSON's Infinity) only where Infinity means off.
    await expect(createAttacker('dqn', { env, hyperparameters: { learningRate: null } })).rejects.toThrow(/^attacker kind "dqn": hyperparameters\.learningRate: expected a number, got null$/);
    await expect(createAttacker('dqn', { env, hyperparameters: { learningRate: Infinity } })).rejects.toThrow(CyrangeError);
    // An infinite setting survives the JSON manifest (written as null).
    const inf = (await createAttacker('dqn', { obsSize: 6, nActions: 4, hyperparameters: { maxGradNorm: Infinity, hidden: [8] } })) as DqnAttacker;
    await inf.save(join(dir, 'inf'));
    const back = await DqnAttacker.load(join(dir, 'inf'));
    expect(back.config.maxGradNorm).toBe(Infinity);
    expect(back.config.hidden).toEqual([8]);
    // Agent directories load through the registry entry of the kind their agent.json names.
    const file = join(dir, 'inf', 'agent.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...manifest, kind: 'dqn-plugin' }));
    await expect(loadLearningAttacker(join(dir, 'inf'))).rejects.toThrow(/agent\.json: kind: unknown attacker kind "dqn-plugin"/);
    const loads: string[] = [];
    registerAttacker('dqn-plugin', {
      description: 'a plugin kind that saves under its own name', learning: true,
      create: (o) => createAttacker('dqn', o),
      load: async (d, o) => {
        loads.push(d);
        await writeFile(file, JSON.stringify(manifest));
        return DqnAttacker.load(d, o);
      },
    });
    const viaPlugin = await loadLearningAttacker(join(dir, 'inf'), { obsSize: 6 });
    expect(loads).toEqual([join(dir, 'inf')]);
    expect(Array.from(viaPlugin.getWeights())).toEqual(Array.from(back.getWeights()));
    expect(attackerRegistry.get('dqn-plugin').learning).toBe(true);
  });
});

// A 20-host generated network with a short time limit: the random attacker rarely reaches the crown
// jewel in time, the scripted kill chain always does (the `small` preset's 900 s limit lets even the
// random attacker exfiltrate in every episode, so it cannot show learning).
const rangeScenario = generateScenario({ hosts: 20, seed: 1, timeLimit: 150 });

describe('rollouts', () => {
  it('gives the same episodes whatever the number of workers, and the learner trains on them', async () => {
    const env = new RangeEnv(rangeScenario, { telemetry: false });
    const d = (await createAttacker('dqn', { env, seed: 2, hyperparameters: { epsilonStart: 0.5, epsilonEnd: 0.5, learningStarts: 40, batchSize: 16 } })) as DqnAttacker;
    const one = new DefendedRolloutPool(1);
    const two = new DefendedRolloutPool(2);
    const base = { scenario: rangeScenario, learner: d.spec(), exploration: d.explorationState(), defender: 'random', detectorDir: null, benignShare: 0.05, rowSeed: 3, plugins: [] };
    const pairs: [number, number][] = [[0, 11], [1, 12], [2, 13], [3, 14]];
    try {
      // The vitest global setup builds dist/ first, so the compiled worker exists and this runs on 2 threads.
      expect(two.parallel).toBe(defendedRolloutWorkerPath() !== null);
      expect(two.parallel).toBe(true);
      expect(one.parallel).toBe(false);
      const a = (await one.run(base, d.getWeights(), pairs)).flatMap((r) => r.episodes);
      const b = (await two.run(base, d.getWeights(), pairs)).flatMap((r) => r.episodes).sort((x, y) => x.index - y.index);
      expect(b.map((e) => e.index)).toEqual([0, 1, 2, 3]);
      expect(b.map((e) => [e.seed, e.outcome, e.return, e.steps, e.n])).toEqual(a.map((e) => [e.seed, e.outcome, e.return, e.steps, e.n]));
      expect(Array.from(b[3]!.action)).toEqual(Array.from(a[3]!.action));
      expect(Array.from(b[1]!.nextObs)).toEqual(Array.from(a[1]!.nextObs));
      const decisions = a.reduce((n, e) => n + e.n, 0);
      expect(decisions).toBeGreaterThan(40);
      // The learner takes them in episode order and its own schedule trains.
      const w0 = d.getWeights();
      const grads = learnFromRollouts(d, await two.run(base, d.getWeights(), pairs));
      expect(d.counters.episodes).toBe(4);
      expect(d.counters.envSteps).toBe(decisions);
      expect(grads).toBeGreaterThan(0);
      expect(d.counters.gradientSteps).toBe(grads);
      expect(Array.from(d.getWeights())).not.toEqual(Array.from(w0));
    } finally {
      await one.close();
      await two.close();
    }
  });
});
