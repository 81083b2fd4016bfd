/**
 * Deep Q-Network attacker, CleanRL style: the loop reads top to bottom in this file.
 *
 *   act(obs)           epsilon-greedy over the allowed actions; epsilon falls linearly with the
 *                      transitions collected (train mode), evalEpsilon in eval mode
 *   observe(step)      closes the decision-to-decision transition -> addTransition
 *   addTransition(t)   n-step transitions into the replay buffer, then the update schedule (the only
 *                      one, for this thread's episodes and for rollout workers' alike): once
 *                      learningStarts transitions are stored, a gradient step every trainFrequency
 *                      transitions
 *   trainStep()        sample a batch, Double-DQN masked targets, Huber loss, clip, Adam; the target
 *                      network follows every targetSyncEvery gradient steps. Scalars: td_loss, q_mean,
 *                      grad_norm per gradient step; episode_return and epsilon per episode.
 *
 * Defaults follow the reference paper's attacker (MLP 128/64/32, Adam lr 1e-3, gamma 0.95 (here 0.9 per 10 s, below), replay
 * 100k, batch 64, epsilon-greedy with decay, a target network), plus the usual improvements:
 *   - Double DQN targets (online net picks a', target net values it), on by default;
 *   - Huber loss and global gradient-norm clipping;
 *   - action masking everywhere: exploration samples only allowed actions, greedy acting takes the
 *     best allowed action, and the target's max / argmax runs over the *next* state's allowed actions
 *     (the replay buffer stores the next mask), so a masked action is never chosen or bootstrapped from;
 *   - semi-MDP discounting: a transition that lasted `elapsed` simulated seconds is discounted by
 *     gamma^(elapsed / timeUnit), whatever the number of decisions in between. The paper's 0.95 is per
 *     decision; a decision here lasts 1-25 s, so timeUnit defaults to 10 s, and gamma is 0.9 per 10 s:
 *     an objective one minute away keeps half its value, five minutes away 4 % (0.9 per second would
 *     keep 1e-14 and leave an attacker no reason to be patient, so no reason to trade speed for
 *     stealth). Not 0.95 (the policy gradient's): the attacker's reward pays every second of control of
 *     its footholds and exfiltration ends the episode, so with the longer horizon DQN on medium learned,
 *     in 2 seeds of 5, to hold its footholds and wait instead of exfiltrating (docs/learning-budgets.md);
 *   - rewards scaled by 0.1 (the range pays host values of 1-100) to keep Q-values near the Huber zone;
 *   - 3-step targets and one gradient step per 4 transitions (Rainbow's n, CleanRL's Atari frequency):
 *     with one-step targets and a step per transition, DQN on the range found a stealthy policy against
 *     the rule-based MAS and lost it again a few rounds later; with these it kept it (two seeds).
 *
 * Randomness: the network initialisers are seeded from `seed`; exploration uses an Rng reseeded at
 * every episode from (seed, episode seed), replay sampling its own Rng from `seed` (checkpointed with
 * the replay buffer, the target network and Adam's moments, see trainingState). Same seed, same run.
 */
import { CyrangeError } from '../shared/errors.js';
import { Rng, hash32 } from '../shared/prng.js';
import { Mlp, MlpTrainer } from '../nn/mlp.js';
import type { ActContext } from '../range/agent.js';
import type { Action, Observation, StepResult } from '../range/env.js';
import {
  TransitionCollector, attackerVector, discount, freshCounters, maskedArgmax, safeAction, stateF32, transitionArrays, transitionsFromArrays, uniformMasked,
  type LearnerMode, type PackedTransitions, type LearnerSpec, type LearningAttacker, type MaskSource, type ScalarLog, type StateArray, type TrainingCounters, type TrainingState, type Transition,
} from './learner.js';
import { dqnTrainingStateSchema, parseLearnerState } from './formats.js';
import { loadAgent, saveAgent, type LoadAgentOptions } from './agent-dir.js';

// ------------------------------------------------------------------------------- hyperparameters

export interface DqnConfig {
  /** Hidden layer widths (paper: 128/64/32). */
  hidden: number[];
  learningRate: number;
  /** Discount per `timeUnit` seconds of simulated time. */
  gamma: number;
  /** Seconds that count as one discount step (semi-MDP). */
  timeUnit: number;
  bufferSize: number;
  batchSize: number;
  /** Transitions collected before the first gradient step. */
  learningStarts: number;
  /** One gradient step every this many transitions. */
  trainFrequency: number;
  /** Target network update every this many gradient steps. */
  targetSyncEvery: number;
  /** Target update rate: 1 = hard copy, < 1 = Polyak averaging. */
  tau: number;
  epsilonStart: number;
  epsilonEnd: number;
  /** Transitions over which epsilon falls linearly from start to end. */
  epsilonDecaySteps: number;
  /**
   * Exploration in frozen evaluation (Mnih et al. 2015 evaluate with 0.05): a purely greedy policy can
   * loop forever between two near-equal cheap actions (wait, tempo switches); a little noise ends such loops.
   */
  evalEpsilon: number;
  doubleDqn: boolean;
  /**
   * n-step targets: a stored transition sums the rewards of n decisions (each discounted by the time
   * before it) and bootstraps from the state n decisions on, so an outcome reaches the opening
   * decision in a fraction of the updates. 1 = plain one-step DQN.
   */
  nStep: number;
  huberDelta: number;
  /** Global gradient-norm clip; Infinity (null in JSON) = off. */
  maxGradNorm: number;
  /** Rewards are multiplied by this before learning (the range's rewards are in host-value units). */
  rewardScale: number;
  seed: number;
}

export const DQN_DEFAULTS: DqnConfig = {
  hidden: [128, 64, 32],
  learningRate: 1e-3,
  // See "semi-MDP discounting" above.
  gamma: 0.9,
  timeUnit: 10,
  bufferSize: 100_000,
  batchSize: 64,
  // Sized for training from scratch in a few hundred episodes (an episode is 20-300 decisions): the
  // former 1,000 / 20,000 / 500 left epsilon near 0.5 after 300 small-range episodes; these converge on
  // small, medium and large in 150-200 episodes (docs/learning-budgets.md).
  learningStarts: 500,
  trainFrequency: 4,
  targetSyncEvery: 250,
  tau: 1,
  epsilonStart: 1,
  epsilonEnd: 0.05,
  epsilonDecaySteps: 5_000,
  evalEpsilon: 0.05,
  doubleDqn: true,
  nStep: 3,
  huberDelta: 1,
  maxGradNorm: 10,
  rewardScale: 0.1,
  seed: 0,
};

/** Settings whose documented "off" value is Infinity (null in JSON). */
export const DQN_OFF: readonly (keyof DqnConfig)[] = ['maxGradNorm'];

export interface DqnOptions extends Partial<DqnConfig> {
  obsSize: number;
  nActions: number;
}

// ------------------------------------------------------------------------------- replay buffer

/** A batch in flat row-major arrays (rows x obsSize, rows x nActions, ...); DQN needs no acting mask. */
export type DqnBatch = Omit<PackedTransitions, 'n' | 'mask'>;

const REPLAY_FIELDS = ['obs', 'nextObs', 'nextMask', 'action', 'reward', 'elapsed', 'done'] as const;

/** Circular buffer of flat arrays; grows by doubling up to `capacity` so small runs stay small. */
export class ReplayBuffer {
  size = 0;
  private pos = 0;
  private cap = 0;
  private obs = new Float32Array(0);
  private nextObs = new Float32Array(0);
  private nextMask = new Uint8Array(0);
  private action = new Int32Array(0);
  private reward = new Float32Array(0);
  private elapsed = new Float32Array(0);
  private done = new Uint8Array(0);

  constructor(readonly capacity: number, readonly obsSize: number, readonly nActions: number) {}

  private width(f: (typeof REPLAY_FIELDS)[number]): number {
    return f === 'obs' || f === 'nextObs' ? this.obsSize : f === 'nextMask' ? this.nActions : 1;
  }

  private resize(cap: number): void {
    for (const f of REPLAY_FIELDS) {
      const old = this[f];
      const a = new (old.constructor as new (n: number) => typeof old)(cap * this.width(f));
      a.set(old.subarray(0, Math.min(old.length, a.length)));
      (this as unknown as Record<string, StateArray>)[f] = a;
    }
    this.cap = cap;
  }

  add(t: Transition): void {
    // Until full, pos === size, so growing keeps the ring contiguous.
    if (this.pos >= this.cap && this.cap < this.capacity) this.resize(Math.min(this.capacity, Math.max(1024, this.cap * 2)));
    const i = this.pos;
    this.obs.set(t.obs, i * this.obsSize);
    this.nextObs.set(t.nextObs, i * this.obsSize);
    this.nextMask.set(t.nextMask, i * this.nActions);
    this.action[i] = t.action;
    this.reward[i] = t.reward;
    this.elapsed[i] = t.elapsed;
    this.done[i] = t.done ? 1 : 0;
    this.pos = (this.pos + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Uniform sample with replacement into `out` (reused between calls). */
  sample(rows: number, rng: Rng, out: DqnBatch): void {
    const S = this.obsSize;
    const A = this.nActions;
    for (let r = 0; r < rows; r++) {
      const i = rng.int(this.size);
      out.obs.set(this.obs.subarray(i * S, (i + 1) * S), r * S);
      out.nextObs.set(this.nextObs.subarray(i * S, (i + 1) * S), r * S);
      out.nextMask.set(this.nextMask.subarray(i * A, (i + 1) * A), r * A);
      out.action[r] = this.action[i]!;
      out.reward[r] = this.reward[i]!;
      out.elapsed[r] = this.elapsed[i]!;
      out.done[r] = this.done[i]!;
    }
  }

  /** Ring position and the stored rows (views), for a checkpoint. */
  state(): { size: number; pos: number; cap: number; arrays: Record<string, StateArray> } {
    const arrays = Object.fromEntries(REPLAY_FIELDS.map((f) => [`replay.${f}`, this[f].subarray(0, this.size * this.width(f))]));
    return { size: this.size, pos: this.pos, cap: this.cap, arrays };
  }

  restore(s: { size: number; pos: number; cap: number }, arrays: Record<string, StateArray>, source: string): void {
    if (s.cap > this.capacity || s.size > s.cap || s.pos >= Math.max(1, this.capacity) || (s.size < this.capacity && s.pos !== s.size)) {
      throw new CyrangeError(`${source}: replay: size ${s.size}, pos ${s.pos}, cap ${s.cap} do not fit a buffer of ${this.capacity}`);
    }
    this.size = 0;
    this.resize(s.cap);
    for (const f of REPLAY_FIELDS) {
      const a = arrays[`replay.${f}`];
      if (a === undefined || a.constructor !== this[f].constructor || a.length !== s.size * this.width(f)) throw new CyrangeError(`${source}: replay.${f}: expected ${s.size * this.width(f)} values`);
      this[f].set(a as never);
    }
    this.size = s.size;
    this.pos = s.pos;
  }
}

export function allocBatch(rows: number, obsSize: number, nActions: number): DqnBatch {
  return {
    obs: new Float32Array(rows * obsSize),
    action: new Int32Array(rows),
    reward: new Float32Array(rows),
    elapsed: new Float32Array(rows),
    nextObs: new Float32Array(rows * obsSize),
    nextMask: new Uint8Array(rows * nActions),
    done: new Uint8Array(rows),
  };
}

// ------------------------------------------------------------------------------- the agent

export class DqnAttacker implements LearningAttacker {
  readonly kind = 'dqn';
  mode: LearnerMode = 'train';
  sink: ((t: Transition) => void) | null = null;
  onScalar: ScalarLog | null = null;
  readonly obsSize: number;
  readonly nActions: number;
  readonly config: Readonly<DqnConfig>;
  readonly counters: TrainingCounters = freshCounters();
  readonly replay: ReplayBuffer;

  private readonly online: Mlp;
  private readonly target: Mlp;
  private readonly trainer: MlpTrainer;
  private readonly replayRng: Rng;
  private actRng: Rng;
  private readonly collector: TransitionCollector;
  private readonly batch: DqnBatch;
  private readonly y: Float32Array;
  private epsilonOverride: number | null = null;
  /** Decisions of the current episode not yet stored as n-step transitions. */
  private pending: Transition[] = [];
  /** Undiscounted return of the current training episode so far (for the episode_return scalar). */
  private episodeReturn = 0;

  constructor(opts: DqnOptions) {
    const { obsSize, nActions, ...rest } = opts;
    this.config = validateDqnConfig({ ...DQN_DEFAULTS, ...rest });
    this.obsSize = obsSize;
    this.nActions = nActions;
    const c = this.config;
    const rng = new Rng(c.seed);
    this.online = Mlp.create({ inputDim: obsSize, hidden: c.hidden, outputDim: nActions, seed: rng.split('q-network') });
    this.target = Mlp.create({ inputDim: obsSize, hidden: c.hidden, outputDim: nActions, seed: rng.split('q-network') });
    this.target.copyFrom(this.online);
    this.trainer = new MlpTrainer(this.online, { learningRate: c.learningRate, clipNorm: c.maxGradNorm });
    this.replay = new ReplayBuffer(c.bufferSize, obsSize, nActions);
    this.replayRng = rng.split('replay');
    this.actRng = rng.split('act');
    this.collector = new TransitionCollector(obsSize, nActions);
    this.batch = allocBatch(c.batchSize, obsSize, nActions);
    this.y = new Float32Array(c.batchSize);
  }

  /** Current exploration rate: linear decay over the transitions collected so far. */
  get epsilon(): number {
    if (this.epsilonOverride !== null) return this.epsilonOverride;
    const c = this.config;
    const f = Math.min(1, this.counters.envSteps / Math.max(1, c.epsilonDecaySteps));
    return c.epsilonStart + f * (c.epsilonEnd - c.epsilonStart);
  }

  // ---- acting

  reset(ctx: { env: MaskSource; agent: string; seed: number }): void {
    // Exploration is reseeded per episode, so its state never crosses an episode (or a checkpoint).
    this.actRng = new Rng(hash32(this.config.seed, ctx.seed)).split('act');
    this.collector.reset(ctx.env);
    this.pending.length = 0;
    this.episodeReturn = 0;
  }

  /** Q-values of one observation (online network, or the target network). */
  qValues(x: Float32Array, net: 'online' | 'target' = 'online'): Float32Array {
    return (net === 'online' ? this.online : this.target).forward(x, 1);
  }

  act(obs: Observation, ctx: ActContext | { mask: Uint8Array }): Action {
    const x = attackerVector(obs, this.obsSize);
    const mask = ctx.mask;
    let a: number;
    const eps = this.mode === 'train' ? this.epsilon : this.config.evalEpsilon;
    if (eps > 0 && this.actRng.next() < eps) a = uniformMasked(mask, this.actRng);
    else a = maskedArgmax(this.qValues(x), mask);
    if (this.mode === 'train') this.collector.onAct(x, mask, a < 0 ? 0 : a);
    return safeAction(a);
  }

  // ---- collecting

  observe(result: StepResult, agent: string): void {
    if (this.mode !== 'train') return;
    const t = this.collector.onStep(result, agent);
    if (t === null) return;
    if (this.sink !== null) this.sink(t);
    else this.addTransition(t);
    if (t.done) this.collector.reset(null);
  }

  /** One decision's transition, in episode order: n-step transitions into the replay buffer, then the schedule. */
  addTransition(t: Transition): void {
    const c = this.config;
    this.counters.envSteps++;
    this.episodeReturn += t.reward;
    this.storeNStep(t);
    if (t.done) {
      this.counters.episodes++;
      this.onScalar?.('episode_return', this.counters.episodes, this.episodeReturn);
      this.onScalar?.('epsilon', this.counters.episodes, this.epsilon);
      this.episodeReturn = 0;
    }
    // The update schedule.
    if (this.replay.size >= c.learningStarts && this.counters.envSteps % c.trainFrequency === 0) this.trainStep();
  }

  private storeNStep(t: Transition): void {
    const n = this.config.nStep;
    if (n <= 1) {
      this.replay.add(t);
      return;
    }
    const q = this.pending;
    q.push(t);
    if (q.length >= n) this.replay.add(this.nStepFrom(0));
    if (q.length >= n) q.shift();
    if (t.done) {
      // The episode ended: the remaining decisions get their (shorter) returns to the end.
      for (let i = 0; i < q.length; i++) this.replay.add(this.nStepFrom(i));
      q.length = 0;
    }
  }

  /** Transition from pending[i] to the last pending one: rewards discounted by the time before each. */
  private nStepFrom(i: number): Transition {
    const c = this.config;
    const q = this.pending;
    const first = q[i]!;
    const last = q[q.length - 1]!;
    let reward = 0;
    let elapsed = 0;
    for (let k = i; k < q.length; k++) {
      reward += discount(c.gamma, elapsed, c.timeUnit) * q[k]!.reward;
      elapsed += q[k]!.elapsed;
    }
    return { obs: first.obs, mask: first.mask, action: first.action, reward, elapsed, nextObs: last.nextObs, nextMask: last.nextMask, done: last.done };
  }

  // ---- learning

  /**
   * TD targets y = r * rewardScale + gamma^(elapsed/timeUnit) * (1 - done) * Q_target(s', a*), where
   * a* = argmax over allowed next actions of Q_online(s') (Double DQN) or of Q_target(s') (plain).
   * A next state with no allowed action bootstraps 0.
   */
  tdTargets(b: Pick<DqnBatch, 'reward' | 'elapsed' | 'nextObs' | 'nextMask' | 'done'>, rows: number, out: Float32Array = new Float32Array(rows)): Float32Array {
    const c = this.config;
    const A = this.nActions;
    // Views of each net's output buffer (two different networks, so neither overwrites the other).
    const qTarget = this.target.forwardRows(b.nextObs, rows);
    const qSelect = c.doubleDqn ? this.online.forwardRows(b.nextObs, rows) : qTarget;
    const sel = qSelect.out;
    const mask = b.nextMask;
    for (let i = 0; i < rows; i++) {
      let boot = 0;
      if (!b.done[i]) {
        const a = maskedArgmax(sel, mask, i * qSelect.stride, A, i * A);
        if (a >= 0) boot = qTarget.out[i * qTarget.stride + a]!;
      }
      out[i] = b.reward[i]! * c.rewardScale + discount(c.gamma, b.elapsed[i]!, c.timeUnit) * boot;
    }
    return out;
  }

  /** One gradient step on a replay batch; null before learningStarts (or in eval mode). */
  trainStep(): number | null {
    const c = this.config;
    if (this.mode !== 'train' || this.replay.size < Math.max(c.batchSize, c.learningStarts)) return null;
    const B = c.batchSize;
    const A = this.nActions;
    const b = this.batch;
    this.replay.sample(B, this.replayRng, b);
    const y = this.tdTargets(b, B, this.y);
    const delta = c.huberDelta;
    let qSum = 0;
    const loss = this.trainer.step(b.obs, B, (q, grad) => {
      let l = 0;
      for (let i = 0; i < B; i++) {
        const k = i * A + b.action[i]!;
        const e = q[k]! - y[i]!;
        const ae = Math.abs(e);
        qSum += q[k]!;
        l += ae <= delta ? 0.5 * e * e : delta * (ae - 0.5 * delta);
        grad[k] = (ae <= delta ? e : delta * Math.sign(e)) / B;
      }
      return l / B;
    });
    const step = ++this.counters.gradientSteps;
    if (step % c.targetSyncEvery === 0) this.syncTarget();
    this.onScalar?.('td_loss', step, loss);
    this.onScalar?.('q_mean', step, qSum / B);
    if (Number.isFinite(this.trainer.lastGradNorm)) this.onScalar?.('grad_norm', step, this.trainer.lastGradNorm);
    return loss;
  }

  /** Target <- tau * online + (1 - tau) * target. */
  syncTarget(): void {
    const tau = this.config.tau;
    if (tau >= 1) {
      this.target.copyFrom(this.online);
      return;
    }
    const o = this.online.getWeights().data;
    const t = this.target.getWeights();
    for (let i = 0; i < o.length; i++) t.data[i] = tau * o[i]! + (1 - tau) * t.data[i]!;
    this.target.setWeights(t);
  }

  // ---- weights, rollouts, persistence

  getWeights(): Float32Array {
    return this.online.getWeights().data;
  }

  setWeights(w: Float32Array): void {
    this.online.setWeights(w);
  }

  /** Also sets the target network (a fresh copy of the online one). */
  setAllWeights(w: Float32Array): void {
    this.online.setWeights(w);
    this.target.copyFrom(this.online);
  }

  spec(): LearnerSpec {
    return { kind: 'dqn', obsSize: this.obsSize, nActions: this.nActions, hyperparameters: { ...this.config } };
  }

  explorationState(): number {
    return this.epsilon;
  }

  /** Fixes epsilon (rollout workers act with the learner's current epsilon). */
  setExplorationState(eps: number): void {
    this.epsilonOverride = eps;
  }

  /** Target network, Adam's moments, the replay buffer and its Rng, the unfinished n-step queue. */
  trainingState(): TrainingState {
    const adam = this.trainer.state();
    const replay = this.replay.state();
    return {
      state: {
        adam: { t: adam.t },
        replayRng: this.replayRng.getState(),
        replay: { size: replay.size, pos: replay.pos, cap: replay.cap },
        pending: this.pending.length,
        episodeReturn: this.episodeReturn,
      },
      arrays: {
        target: this.target.getWeights().data,
        'adam.m': adam.m,
        'adam.v': adam.v,
        ...replay.arrays,
        ...transitionArrays('pending', this.pending, this.obsSize, this.nActions),
      },
    };
  }

  restoreTrainingState(ts: TrainingState, source: string): void {
    const s = parseLearnerState(source, dqnTrainingStateSchema, ts.state);
    const f32 = (name: string): Float32Array => stateF32(ts, name, source);
    this.target.setWeights(f32('target'));
    this.trainer.setState({ t: s.adam.t, m: f32('adam.m'), v: f32('adam.v') });
    this.replay.restore(s.replay, ts.arrays, source);
    this.replayRng.setState(s.replayRng);
    this.pending = transitionsFromArrays('pending', ts.arrays, s.pending, this.obsSize, this.nActions, source);
    this.episodeReturn = s.episodeReturn;
  }

  /**
   * Saves the online network (tfjs layers model: model.json + weights.bin) and agent.json; with
   * `training`, the training state too (a checkpoint). Without it a loaded agent starts its target as a
   * copy of the online network, its optimizer and replay buffer afresh.
   */
  async save(dir: string, opts: { training?: boolean } = {}): Promise<void> {
    await saveAgent(dir, [{ sub: '', net: this.online }], { kind: 'dqn', obsSize: this.obsSize, nActions: this.nActions, hyperparameters: { ...this.config }, counters: { ...this.counters } }, opts.training ? this : null);
  }

  /**
   * Loads an agent saved by save(); refuses another kind, a newer format, or sizes other than
   * `opts`' (the env's). The loaded agent is in eval mode.
   */
  static async load(dir: string, opts: LoadAgentOptions = {}): Promise<DqnAttacker> {
    return loadAgent(dir, 'dqn', DQN_DEFAULTS, DQN_OFF, opts, [{ sub: '', outputs: 'actions' }], (hp, m, [online]) => {
      const agent = new DqnAttacker({ ...hp, obsSize: m.obsSize, nActions: m.nActions });
      agent.setAllWeights(online!.data);
      return agent;
    });
  }
}

function validateDqnConfig(c: DqnConfig): DqnConfig {
  const pos = (k: keyof DqnConfig): void => {
    const v = c[k];
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`dqn: ${k} must be a positive number, got ${String(v)}`);
  };
  (['learningRate', 'timeUnit', 'tau', 'epsilonDecaySteps', 'huberDelta', 'maxGradNorm'] as const).forEach(pos);
  for (const k of ['bufferSize', 'batchSize', 'trainFrequency', 'targetSyncEvery', 'nStep'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new RangeError(`dqn: ${k} must be a whole number >= 1, got ${c[k]}`);
  }
  if (!(Number.isInteger(c.learningStarts) && c.learningStarts >= 0)) throw new RangeError(`dqn: learningStarts must be a whole number >= 0, got ${c.learningStarts}`);
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw new RangeError(`dqn: gamma must be in [0, 1], got ${c.gamma}`);
  for (const k of ['evalEpsilon', 'epsilonStart', 'epsilonEnd'] as const) {
    if (!(c[k] >= 0 && c[k] <= 1)) throw new RangeError(`dqn: ${k} must be in [0, 1], got ${c[k]}`);
  }
  if (!(c.tau <= 1)) throw new RangeError(`dqn: tau must be in (0, 1], got ${c.tau}`);
  if (!(Number.isFinite(c.rewardScale) && Number.isInteger(c.seed))) throw new RangeError(`dqn: rewardScale must be finite and seed a whole number`);
  if (!c.hidden.every((h) => Number.isInteger(h) && h > 0)) throw new RangeError(`dqn: hidden must be positive integers, got ${JSON.stringify(c.hidden)}`);
  return { ...c, hidden: [...c.hidden] };
}
