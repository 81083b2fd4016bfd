/**
 * The common interface of learning attackers (DQN, policy gradient) and what they share:
 *
 *  - `mode`: 'train' collects transitions and updates weights; 'eval' never touches the weights and
 *    acts deterministically for a given episode seed (DQN: greedy with evalEpsilon exploration; PG: sampled or argmax).
 *  - transition collection for the semi-MDP: the env asks an agent to act only at its decision
 *    points, rewards accrue every step, so a transition runs from one decision to the next and its
 *    reward is the sum of the step rewards in between; `elapsed` (simulated seconds) drives the
 *    discount gamma^(elapsed / timeUnit).
 *  - the `agent.json` manifest written beside the tfjs layers model, and its validation on load.
 *
 * Episode end: terminated and truncated both count as `done`. The attacker observation carries the
 * time fraction, so the time limit is part of the state and hitting it is a true termination
 * (Pardo et al., "Time Limits in Reinforcement Learning", 2018); nothing is bootstrapped past it.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { Mlp, type FlatWeights } from '../nn/mlp.js';
import { loadLayersModelFromDir, saveLayersModel, MODEL_JSON } from '../nn/io.js';
import type { Rng } from '../shared/prng.js';
import type { ActContext, Policy } from '../range/agent.js';
import type { Action, Observation, StepResult } from '../range/env.js';

export const AGENT_MANIFEST = 'agent.json';
/** Bump when the manifest or the saved model layout changes incompatibly. */
export const AGENT_FORMAT = 1;

export type LearnerMode = 'train' | 'eval';
export type LearnerKind = 'dqn' | 'pg';

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

export interface AgentManifest {
  format: number;
  kind: LearnerKind;
  obsSize: number;
  nActions: number;
  hyperparameters: Record<string, unknown>;
  counters: TrainingCounters;
}

/** Anything that gives the current action mask of an agent (RangeEnv, or a test env). */
export interface MaskSource {
  actionMask(agent: string): Uint8Array;
}

export interface LearningAttacker extends Policy {
  readonly kind: LearnerKind;
  mode: LearnerMode;
  readonly obsSize: number;
  readonly nActions: number;
  readonly counters: TrainingCounters;
  /**
   * When set, transitions observed in train mode go here instead of into learning: rollout workers
   * act with exploration but never train their local copy.
   */
  sink: ((t: Transition) => void) | null;
  /** Learners need only the mask from the context (handy for tests and tools that own the loop). */
  act(obs: Observation, ctx: ActContext | { mask: Uint8Array }): Action;
  /** Collects the transition that ends at this step (train mode); trains on schedule. */
  observe(result: StepResult, agent: string): void;
  /** Adds a transition collected elsewhere (e.g. by rollout workers), in episode order. */
  addTransition(t: Transition): void;
  /** One update (DQN: one gradient step on a replay batch; PG: one update on the finished episodes). Returns the loss, or null if there was nothing to learn from yet. */
  trainStep(): number | null;
  /** Marks an episode end (called automatically by observe when the episode is done). */
  endEpisode(): void;
  /** Acting-network weights, flat (a fresh, transferable copy). */
  getWeights(): Float32Array;
  setWeights(w: Float32Array): void;
  /** Everything a worker needs to rebuild an acting copy: kind, sizes, hyperparameters. */
  spec(): LearnerSpec;
  /** Exploration state shipped with the weights to rollout workers (e.g. DQN's current epsilon). */
  explorationState(): number;
  setExplorationState(x: number): void;
  save(dir: string): Promise<void>;
  /**
   * Frees what the garbage collector cannot (e.g. tfjs tensors a plugin's learner holds). The built-in
   * learners keep their weights in wasm memory and have nothing to free.
   */
  dispose?(): void;
}

export interface LearnerSpec {
  kind: LearnerKind;
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

// ------------------------------------------------------------------------------- manifest I/O

export async function writeManifest(dir: string, m: AgentManifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, AGENT_MANIFEST), JSON.stringify(m, null, 2) + '\n');
}

/**
 * Reads and validates `dir/agent.json`: format not newer than ours, the expected kind, positive
 * integer sizes (and equal to `expect` when given). Errors name the file and the field.
 */
export async function readManifest(dir: string, kind: LearnerKind | null, expect: { obsSize?: number; nActions?: number } = {}): Promise<AgentManifest> {
  const file = join(dir, AGENT_MANIFEST);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    throw new CyrangeError(`${file}: cannot read agent manifest (${(e as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new CyrangeError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CyrangeError(`${file}: expected a JSON object`);
  const o = v as Record<string, unknown>;
  const int = (field: string): number => {
    const x = o[field];
    if (typeof x !== 'number' || !Number.isInteger(x) || x <= 0) throw new CyrangeError(`${file}: ${field}: expected a positive integer, got ${JSON.stringify(x)}`);
    return x;
  };
  const format = int('format');
  if (format > AGENT_FORMAT) throw new CyrangeError(`${file}: format: ${format} is newer than this cyrange supports (${AGENT_FORMAT}); upgrade cyrange`);
  if (o.kind !== 'dqn' && o.kind !== 'pg') throw new CyrangeError(`${file}: kind: expected "dqn" or "pg", got ${JSON.stringify(o.kind)}`);
  if (kind !== null && o.kind !== kind) throw new CyrangeError(`${file}: kind: this is a "${o.kind}" agent, expected "${kind}"`);
  const obsSize = int('obsSize');
  const nActions = int('nActions');
  if (expect.obsSize !== undefined && obsSize !== expect.obsSize) throw new CyrangeError(`${file}: obsSize: the agent takes ${obsSize} inputs, this environment gives ${expect.obsSize}`);
  if (expect.nActions !== undefined && nActions !== expect.nActions) throw new CyrangeError(`${file}: nActions: the agent has ${nActions} actions, this environment has ${expect.nActions}`);
  const hp = o.hyperparameters;
  if (typeof hp !== 'object' || hp === null || Array.isArray(hp)) throw new CyrangeError(`${file}: hyperparameters: expected an object`);
  const c = (o.counters ?? {}) as Record<string, unknown>;
  const count = (k: keyof TrainingCounters): number => {
    const x = c[k] ?? 0;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new CyrangeError(`${file}: counters.${k}: expected a non-negative integer`);
    return x;
  };
  return {
    format,
    kind: o.kind,
    obsSize,
    nActions,
    hyperparameters: hp as Record<string, unknown>,
    counters: { envSteps: count('envSteps'), gradientSteps: count('gradientSteps'), episodes: count('episodes') },
  };
}

/** Checks a loaded network's input/output widths against the manifest. */
export function checkModelSize(file: string, model: { inputs: { shape: (number | null)[] }[]; outputs: { shape: (number | null)[] }[] }, obsSize: number, outDim: number): void {
  const inp = model.inputs[0]?.shape[1];
  const out = model.outputs[0]?.shape[1];
  if (inp !== obsSize) throw new CyrangeError(`${file}: the network takes ${String(inp)} inputs but agent.json obsSize is ${obsSize}`);
  if (out !== outDim) throw new CyrangeError(`${file}: the network has ${String(out)} outputs but agent.json expects ${outDim}`);
}

/**
 * Reads hyperparameters back from a manifest: known keys with the default's type are taken, the
 * rest are refused so a typo or a stale file does not silently change training.
 */
export function hyperparametersFrom<T extends object>(file: string, defaults: T, hp: Record<string, unknown>): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(hp)) {
    if (!(k in defaults)) throw new CyrangeError(`${file}: hyperparameters.${k}: unknown hyperparameter`);
    const d = (defaults as Record<string, unknown>)[k];
    // JSON has no Infinity: JSON.stringify wrote an infinite setting (e.g. maxGradNorm: off) as null.
    if (v === null && typeof d === 'number') {
      (out as Record<string, unknown>)[k] = Infinity;
      continue;
    }
    const ok = Array.isArray(d) ? Array.isArray(v) && v.every((x) => typeof x === 'number') : typeof v === typeof d;
    if (!ok) throw new CyrangeError(`${file}: hyperparameters.${k}: expected ${Array.isArray(d) ? 'an array of numbers' : `a ${typeof d}`}`);
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

// ------------------------------------------------------------------------------- persistence

/** One network of an agent and the subdirectory it is saved in ('' = the agent directory itself). */
export interface AgentNet {
  sub: string;
  /** Output width: the action count, or a fixed number (1 for a value network). */
  outputs: 'actions' | number;
}

/** Saves an agent: each network as a tfjs layers model (model.json + weights.bin), then agent.json. */
export async function saveAgent(dir: string, nets: { sub: string; net: Mlp }[], m: Omit<AgentManifest, 'format'>): Promise<void> {
  for (const n of nets) {
    const model = n.net.toLayersModel();
    try {
      await saveLayersModel(model, n.sub ? join(dir, n.sub) : dir);
    } finally {
      model.dispose();
    }
  }
  await writeManifest(dir, { format: AGENT_FORMAT, ...m });
}

/**
 * Loads what saveAgent wrote. Checks agent.json (kind, format, sizes against `expect`, the env's),
 * its hyperparameters against `defaults`, and each network's input and output widths; `build` makes
 * the agent from the hyperparameters and the networks' flat weights. The agent gets the saved
 * counters and is in eval mode.
 */
export async function loadAgent<A extends LearningAttacker, C extends object>(
  dir: string,
  kind: LearnerKind,
  defaults: C,
  expect: { obsSize?: number; nActions?: number },
  nets: AgentNet[],
  build: (hp: Partial<C>, m: AgentManifest, weights: FlatWeights[]) => A,
): Promise<A> {
  const m = await readManifest(dir, kind, expect);
  const hp = hyperparametersFrom(join(dir, AGENT_MANIFEST), defaults, m.hyperparameters);
  const weights: FlatWeights[] = [];
  for (const n of nets) {
    const d = n.sub ? join(dir, n.sub) : dir;
    const model = await loadLayersModelFromDir(d);
    try {
      checkModelSize(join(d, MODEL_JSON), model, m.obsSize, n.outputs === 'actions' ? m.nActions : n.outputs);
      weights.push(Mlp.fromLayersModel(model).getWeights());
    } finally {
      model.dispose();
    }
  }
  let agent: A;
  try {
    agent = build(hp, m, weights);
  } catch (e) {
    // Config validation throws RangeError("dqn: nStep must be ..."): name the file the value came from.
    if (e instanceof RangeError) throw new CyrangeError(`${join(dir, AGENT_MANIFEST)}: hyperparameters: ${e.message}`);
    throw e;
  }
  Object.assign(agent.counters, m.counters);
  agent.mode = 'eval';
  return agent;
}
