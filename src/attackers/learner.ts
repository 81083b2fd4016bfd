/**
 * The common interface of learning attackers (DQN, policy gradient, a plugin's) and what they share:
 *
 *  - `mode`: 'train' collects transitions and updates weights; 'eval' never touches the weights and
 *    acts deterministically for a given episode seed (DQN: greedy with evalEpsilon exploration; PG: sampled or argmax).
 *  - the training loop, the same for every learner (each algorithm file shows its own steps in order):
 *      act(obs)          choose an action (exploring in train mode)
 *      observe(step)     close the decision-to-decision transition (TransitionCollector) and pass it to
 *      addTransition(t)  store it, then run the algorithm's update schedule: the one place that decides
 *                        when trainStep() runs, whether transitions come from this thread's episodes or
 *                        from rollout workers (which hand theirs over in episode order)
 *      trainStep()       one update; its loss and other scalars go to `onScalar`
 *  - transition collection for the semi-MDP: the env asks an agent to act only at its decision
 *    points, rewards accrue every step, so a transition runs from one decision to the next and its
 *    reward is the sum of the step rewards in between; `elapsed` (simulated seconds) drives the
 *    discount gamma^(elapsed / timeUnit).
 *
 * Episode end: terminated and truncated both count as `done`. The attacker observation carries the
 * time fraction, so the time limit is part of the state and hitting it is a true termination
 * (Pardo et al., "Time Limits in Reinforcement Learning", 2018); nothing is bootstrapped past it.
 *
 * No tfjs here (nor in formats.ts or registry.ts): importing the registry stays cheap.
 */
import { CyrangeError } from '../shared/errors.js';
import type { Rng } from '../shared/prng.js';
import type { ActContext, Policy } from '../range/agent.js';
import type { Action, Observation, RangeEnv, StepResult } from '../range/env.js';

export type LearnerMode = 'train' | 'eval';

/** What creating an attacker takes (see registry.ts). */
export interface CreateAttackerOptions {
  /** Sizes for learning kinds: give them, or an env and the attacker id to read them from. */
  obsSize?: number;
  nActions?: number;
  env?: RangeEnv;
  agent?: string;
  /** Seed for learning kinds' initialisation and exploration (baselines are seeded per episode). */
  seed?: number;
  /** Hyperparameter overrides for learning kinds (checked against the kind's defaults). */
  hyperparameters?: Readonly<Record<string, unknown>>;
  /** Where the kind came from, for error messages (e.g. "experiments/x.json: attackers[0].kind"). */
  source?: string;
}

/** What loading a learning attacker from an agent directory takes. */
export interface LoadLearnerOptions {
  /** Sizes the agent must have (the env's); a saved agent of other sizes is refused. */
  obsSize?: number;
  nActions?: number;
  /** Also restore its training state (a checkpoint saved with save(dir, { training: true })), to continue training exactly. */
  training?: boolean;
}

/** One decision-to-decision transition of one agent. Arrays are owned by the transition (copies). */
export interface Transition {
  obs: Float32Array;
  /** Mask at the time of acting (policy gradient needs it for the masked softmax). */
  mask: Uint8Array;
  action: number;
  /** Sum of the agent's step rewards from this decision to its next one (or the episode end). */
  reward: number;
  /** Simulated seconds from this decision to the next. */
  elapsed: number;
  nextObs: Float32Array;
  /** Mask at the next decision (all zeros when done): targets never bootstrap from masked actions. */
  nextMask: Uint8Array;
  done: boolean;
}

export interface TrainingCounters {
  /** Decisions taken in train mode (environment steps from this agent's point of view). */
  envSteps: number;
  /** Gradient (optimizer) steps. */
  gradientSteps: number;
  /** Episodes finished in train mode. */
  episodes: number;
}

/** Anything that gives the current action mask of an agent (RangeEnv, or a test env). */
export interface MaskSource {
  actionMask(agent: string): Uint8Array;
}

/**
 * A training scalar: `step` counts the learner's own steps for the name (gradient steps for losses,
 * episodes for episode_return and epsilon). The caller adds the round (see train/scalars.ts).
 */
export type ScalarLog = (name: string, step: number, value: number) => void;

/** Typed arrays a learner's training state may hold. */
export type StateArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Everything besides the acting weights that shapes further training (optimizer moments, a target
 * network, a replay buffer, PRNG states, episodes waiting for an update): what a checkpoint needs for
 * a resumed run to equal an uninterrupted one. `state` is plain JSON; big data goes in `arrays`.
 */
export interface TrainingState {
  state: Record<string, unknown>;
  arrays: Record<string, StateArray>;
}

export interface LearningAttacker extends Policy {
  /** The kind its agent directories are saved under (a registered attacker kind with a `load`). */
  readonly kind: string;
  mode: LearnerMode;
  readonly obsSize: number;
  readonly nActions: number;
  readonly counters: TrainingCounters;
  /**
   * When set, transitions observed in train mode go here instead of into learning: rollout workers
   * act with exploration but never train their local copy.
   */
  sink: ((t: Transition) => void) | null;
  /** Where training scalars go (losses, returns, exploration), or null. */
  onScalar: ScalarLog | null;
  /** Learners need only the mask from the context (handy for tests and tools that own the loop). */
  act(obs: Observation, ctx: ActContext | { mask: Uint8Array }): Action;
  /** Collects the transition that ends at this step (train mode) and hands it to addTransition. */
  observe(result: StepResult, agent: string): void;
  /** Stores a transition (in episode order) and runs the update schedule. */
  addTransition(t: Transition): void;
  /** One update (DQN: one gradient step on a replay batch; PG: one update on the finished episodes). Returns the loss, or null if there was nothing to learn from yet. */
  trainStep(): number | null;
  /** Acting-network weights, flat (a fresh, transferable copy). */
  getWeights(): Float32Array;
  setWeights(w: Float32Array): void;
  /** Everything a worker needs to rebuild an acting copy: kind, sizes, hyperparameters. */
  spec(): LearnerSpec;
  /** Exploration state shipped with the weights to rollout workers (e.g. DQN's current epsilon). */
  explorationState(): number;
  setExplorationState(x: number): void;
  trainingState(): TrainingState;
  /** Restores what trainingState() returned (on a learner built with the same hyperparameters and sizes). */
  restoreTrainingState(s: TrainingState, source: string): void;
  /** Saves the agent directory (networks + agent.json); with `training`, also its training state (for checkpoints). */
  save(dir: string, opts?: { training?: boolean }): Promise<void>;
  /**
   * Frees what the garbage collector cannot (e.g. tfjs tensors a plugin's learner holds). The built-in
   * learners keep their weights in wasm memory and have nothing to free.
   */
  dispose?(): void;
}

export interface LearnerSpec {
  kind: string;
  obsSize: number;
  nActions: number;
  hyperparameters: Record<string, unknown>;
}

/** A learning attacker of any kind (built-in or a plugin's): it has training counters and a trainStep. */
export function isLearningAttacker(p: Policy): p is LearningAttacker {
  const q = p as { trainStep?: unknown; counters?: unknown; getWeights?: unknown };
  return typeof q.trainStep === 'function' && typeof q.getWeights === 'function' && typeof q.counters === 'object' && q.counters !== null;
}

export function freshCounters(): TrainingCounters {
  return { envSteps: 0, gradientSteps: 0, episodes: 0 };
}

/** The attacker feature vector of an observation (learners only play attacker roles). */
export function attackerVector(obs: Observation, size: number): Float32Array {
  if (obs.kind !== 'attacker') throw new Error(`learning attacker given a ${obs.kind} observation`);
  if (obs.vector.length !== size) throw new Error(`learning attacker: observation has ${obs.vector.length} values, the network takes ${size}`);
  return obs.vector;
}

/** Semi-MDP discount for a transition that lasted `elapsed` simulated seconds. */
export function discount(gamma: number, elapsed: number, timeUnit: number): number {
  return Math.pow(gamma, elapsed / timeUnit);
}

/**
 * Turns the env's step stream into decision-to-decision transitions for one agent.
 * act() records (obs, mask, action); every step adds the agent's reward; when the agent is asked to
 * act again (its observation is present) or the episode ends, the transition closes.
 */
export class TransitionCollector {
  private obs: Float32Array | null = null;
  private mask: Uint8Array | null = null;
  private action = 0;
  private reward = 0;
  private masks: MaskSource | null = null;

  constructor(private readonly obsSize: number, private readonly nActions: number) {}

  reset(masks: MaskSource | null): void {
    this.masks = masks;
    this.obs = null;
    this.mask = null;
    this.reward = 0;
  }

  onAct(obs: Float32Array, mask: Uint8Array, action: number): void {
    this.obs = obs.slice();
    this.mask = mask.slice();
    this.action = action;
    this.reward = 0;
  }

  /** Returns the transition that closed at this step, or null. */
  onStep(result: StepResult, agent: string): Transition | null {
    this.reward += result.rewards[agent] ?? 0;
    const done = Boolean(result.terminations[agent] || result.truncations[agent]);
    const next = result.observations[agent];
    if (this.obs === null || this.mask === null || (next === undefined && !done)) return null;
    const nextObs = next === undefined ? new Float32Array(this.obsSize) : attackerVector(next, this.obsSize).slice();
    let nextMask: Uint8Array;
    if (done) nextMask = new Uint8Array(this.nActions);
    else {
      if (this.masks === null) throw new Error('TransitionCollector: no mask source (reset() was not given the env)');
      nextMask = this.masks.actionMask(agent).slice();
    }
    const t: Transition = {
      obs: this.obs,
      mask: this.mask,
      action: this.action,
      reward: this.reward,
      elapsed: result.infos[agent]?.elapsed ?? 0,
      nextObs,
      nextMask,
      done,
    };
    this.obs = null;
    this.mask = null;
    this.reward = 0;
    return t;
  }
}

/** Uniform over allowed actions (wait included); -1 if none is allowed. */
export function uniformMasked(mask: Uint8Array, rng: Rng): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  if (n === 0) return -1;
  let k = rng.int(n);
  for (let i = 0; i < mask.length; i++) if (mask[i] && k-- === 0) return i;
  return -1;
}

/** Index of the largest value among allowed entries (lowest index on ties); -1 if none is allowed. */
export function maskedArgmax(values: ArrayLike<number>, mask: ArrayLike<number>, offset = 0, n = mask.length, maskOffset = 0): number {
  let best = -1;
  let bestV = -Infinity;
  for (let j = 0; j < n; j++) {
    if (!mask[maskOffset + j]) continue;
    const v = values[offset + j] as number;
    if (best < 0 || v > bestV) {
      best = j;
      bestV = v;
    }
  }
  return best;
}

/** The action to return when the policy's choice would be undefined (nothing allowed): wait. */
export function safeAction(a: number): Action {
  return a < 0 ? 0 : a;
}

// ------------------------------------------------------------------------------- transitions as flat arrays

/**
 * Transitions as flat row-major arrays (n rows each), to ship to and from workers (rewards and elapsed
 * times in float32) and to checkpoint (in float64: exactly the values the learner holds).
 */
export interface PackedTransitions<R extends Float32Array | Float64Array = Float32Array> {
  n: number;
  obs: Float32Array;
  mask: Uint8Array;
  action: Int32Array;
  reward: R;
  elapsed: R;
  nextObs: Float32Array;
  nextMask: Uint8Array;
  done: Uint8Array;
}

export const PACKED_FIELDS = ['obs', 'mask', 'action', 'reward', 'elapsed', 'nextObs', 'nextMask', 'done'] as const;

export function packTransitions(ts: readonly Transition[], S: number, A: number): PackedTransitions;
export function packTransitions(ts: readonly Transition[], S: number, A: number, exact: true): PackedTransitions<Float64Array>;
export function packTransitions(ts: readonly Transition[], S: number, A: number, exact = false): PackedTransitions<Float32Array | Float64Array> {
  const n = ts.length;
  const real = (k: number): Float32Array | Float64Array => (exact ? new Float64Array(k) : new Float32Array(k));
  const r: PackedTransitions<Float32Array | Float64Array> = {
    n,
    obs: new Float32Array(n * S), mask: new Uint8Array(n * A), action: new Int32Array(n), reward: real(n),
    elapsed: real(n), nextObs: new Float32Array(n * S), nextMask: new Uint8Array(n * A), done: new Uint8Array(n),
  };
  ts.forEach((t, i) => {
    r.obs.set(t.obs, i * S);
    r.nextObs.set(t.nextObs, i * S);
    r.mask.set(t.mask, i * A);
    r.nextMask.set(t.nextMask, i * A);
    r.action[i] = t.action;
    r.reward[i] = t.reward;
    r.elapsed[i] = t.elapsed;
    r.done[i] = t.done ? 1 : 0;
  });
  return r;
}

/** The transitions of a packed batch, in order (views into its arrays). */
export function unpackTransitions(p: PackedTransitions<Float32Array | Float64Array>, S: number, A: number): Transition[] {
  const out: Transition[] = [];
  for (let i = 0; i < p.n; i++) {
    out.push({
      obs: p.obs.subarray(i * S, (i + 1) * S),
      mask: p.mask.subarray(i * A, (i + 1) * A),
      action: p.action[i]!,
      reward: p.reward[i]!,
      elapsed: p.elapsed[i]!,
      nextObs: p.nextObs.subarray(i * S, (i + 1) * S),
      nextMask: p.nextMask.subarray(i * A, (i + 1) * A),
      done: p.done[i] === 1,
    });
  }
  return out;
}

/** A Float32Array of a training state, or a CyrangeError naming the file. */
export function stateF32(ts: TrainingState, name: string, source: string): Float32Array {
  const a = ts.arrays[name];
  if (!(a instanceof Float32Array)) throw new CyrangeError(`${source}: arrays: ${name}: missing or not float32`);
  return a;
}

/** Transitions as named training-state arrays (`prefix.obs`, ...; rewards and times exact), and back. */
export function transitionArrays(prefix: string, ts: readonly Transition[], S: number, A: number): Record<string, StateArray> {
  const p = packTransitions(ts, S, A, true);
  return Object.fromEntries(PACKED_FIELDS.map((f) => [`${prefix}.${f}`, p[f]]));
}

export function transitionsFromArrays(prefix: string, arrays: Record<string, StateArray>, n: number, S: number, A: number, source: string): Transition[] {
  const get = <T extends StateArray>(f: string, ctor: new (n: number) => T, width: number): T => {
    const a = arrays[`${prefix}.${f}`];
    if (!(a instanceof ctor) || a.length !== n * width) throw new CyrangeError(`${source}: ${prefix}.${f}: expected ${n * width} values of ${ctor.name}`);
    return a;
  };
  return unpackTransitions({
    n,
    obs: get('obs', Float32Array, S), mask: get('mask', Uint8Array, A), action: get('action', Int32Array, 1), reward: get('reward', Float64Array, 1),
    elapsed: get('elapsed', Float64Array, 1), nextObs: get('nextObs', Float32Array, S), nextMask: get('nextMask', Uint8Array, A), done: get('done', Uint8Array, 1),
  }, S, A);
}
