/**
 * Parallel rollouts for learning attackers, on piscina worker threads.
 *
 * The learner stays in the main thread. Each collection round ships its acting weights (a flat
 * Float32Array, transferred, one copy per task) plus its exploration state to N workers; each worker
 * rebuilds a local copy of the network once (cached by spec), plays its share of the episodes of the
 * scenario against a defender kind, and returns the transitions as flat typed arrays (transferred)
 * with per-episode stats. The main thread adds them in episode order and trains.
 *
 * Determinism: episode i is played with seed episodeSeed(seed, i) by a policy whose exploration is
 * reseeded from that seed, so the batch is the same whatever the number of workers (given the same
 * tfjs backend in every thread; workers and the in-thread fallback both use initTf's choice).
 * The learner plays one attacker (`agent`, default the first); other attackers, if any, wait.
 *
 * Worker file: piscina runs plain JS, so from dist/ we use ./rollout-worker.js beside this file, and
 * from the TypeScript source (vitest) dist/attackers/rollout-worker.js; without a compiled worker,
 * or with workers <= 1, rollouts run in this thread with the same code.
 */
import { Piscina } from 'piscina';
import { hash32 } from '../shared/prng.js';
import { initTf } from '../nn/runtime.js';
import { runEpisode, type EpisodeOutcome, type Policy } from '../range/agent.js';
import { RangeEnv } from '../range/env.js';
import { loadScenario } from '../range/presets.js';
import type { Scenario } from '../range/scenario.js';
import { NoopDefender, RandomDefender } from '../range/baselines.js';
import { DqnAttacker } from './dqn.js';
import type { LearnerMode, LearnerSpec, LearningAttacker, Transition } from './learner.js';
import { PgAttacker } from './policy-gradient.js';
import { CyrangeError } from '../shared/errors.js';
import { compiledWorkerPath, contiguousChunks } from '../shared/worker-path.js';

// ------------------------------------------------------------------------------- defenders in workers

/** Defender kinds a worker can build by name (workers cannot receive class instances). */
export const rolloutDefenderKinds = ['none', 'noop', 'random'] as const;
export type RolloutDefenderKind = (typeof rolloutDefenderKinds)[number];

export function createRolloutDefender(kind: string): Policy {
  switch (kind) {
    case 'none':
    case 'noop':
      return new NoopDefender();
    case 'random':
      return new RandomDefender();
    default:
      throw new CyrangeError(`rollout defender: unknown kind "${kind}" (expected one of ${rolloutDefenderKinds.join(', ')})`);
  }
}

// ------------------------------------------------------------------------------- task and result

/** A preset name or scenario file path, or the scenario itself (JSON-cloneable). */
export type ScenarioRef = string | Scenario;

export interface RolloutTask {
  scenario: ScenarioRef;
  learner: LearnerSpec;
  weights: Float32Array;
  exploration: number;
  mode: LearnerMode;
  defender: RolloutDefenderKind;
  agent?: string;
  telemetry: boolean;
  seed: number;
  episodes: number[];
}

/** One episode: stats plus its transitions as flat arrays (n rows each; absent in eval mode: n = 0). */
export interface EpisodeRollout {
  index: number;
  seed: number;
  outcome: EpisodeOutcome;
  /** The learner's undiscounted return. */
  return: number;
  /** env.step calls (all agents' decision points). */
  steps: number;
  /** Simulated seconds. */
  duration: number;
  n: number;
  obs: Float32Array;
  mask: Uint8Array;
  action: Int32Array;
  reward: Float32Array;
  elapsed: Float32Array;
  nextObs: Float32Array;
  nextMask: Uint8Array;
  done: Uint8Array;
}

export interface RolloutTaskResult {
  episodes: EpisodeRollout[];
}

export function episodeSeed(seed: number, i: number): number {
  return hash32(seed >>> 0, i, 0x5eed);
}

export function pack(index: number, seed: number, ts: Transition[], S: number, A: number): Omit<EpisodeRollout, 'outcome' | 'return' | 'steps' | 'duration'> {
  const n = ts.length;
  const r = {
    index, seed, n,
    obs: new Float32Array(n * S), mask: new Uint8Array(n * A), action: new Int32Array(n), reward: new Float32Array(n),
    elapsed: new Float32Array(n), nextObs: new Float32Array(n * S), nextMask: new Uint8Array(n * A), done: new Uint8Array(n),
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

/** The transitions of a packed episode, in order (views into its arrays). */
export function unpack(ep: EpisodeRollout, S: number, A: number): Transition[] {
  const out: Transition[] = [];
  for (let i = 0; i < ep.n; i++) {
    out.push({
      obs: ep.obs.subarray(i * S, (i + 1) * S),
      mask: ep.mask.subarray(i * A, (i + 1) * A),
      action: ep.action[i]!,
      reward: ep.reward[i]!,
      elapsed: ep.elapsed[i]!,
      nextObs: ep.nextObs.subarray(i * S, (i + 1) * S),
      nextMask: ep.nextMask.subarray(i * A, (i + 1) * A),
      done: ep.done[i] === 1,
    });
  }
  return out;
}

export function transferList(r: RolloutTaskResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const e of r.episodes) for (const a of [e.obs, e.mask, e.action, e.reward, e.elapsed, e.nextObs, e.nextMask, e.done]) out.push(a.buffer as ArrayBuffer);
  return out;
}

// ------------------------------------------------------------------------------- playing (worker or here)

/** Per-thread caches: a network per learner spec, an env per scenario. */
const actors = new Map<string, LearningAttacker>();
const envs = new Map<string, RangeEnv>();

export function actorFor(spec: LearnerSpec): LearningAttacker {
  const key = JSON.stringify(spec);
  let a = actors.get(key);
  if (!a) {
    const o = { ...(spec.hyperparameters as object), obsSize: spec.obsSize, nActions: spec.nActions };
    a = spec.kind === 'dqn' ? new DqnAttacker(o) : new PgAttacker(o);
    actors.set(key, a);
  }
  return a;
}

function envFor(ref: ScenarioRef, telemetry: boolean): RangeEnv {
  const key = `${telemetry}:${typeof ref === 'string' ? ref : JSON.stringify(ref)}`;
  let e = envs.get(key);
  if (!e) {
    e = new RangeEnv(typeof ref === 'string' ? loadScenario(ref) : ref, { telemetry });
    envs.set(key, e);
  }
  return e;
}

/** Plays the task's episodes with a thread-local copy of the learner's network. */
export async function runRolloutTask(task: RolloutTask): Promise<RolloutTaskResult> {
  await initTf();
  const env = envFor(task.scenario, task.telemetry);
  const agent = task.agent ?? env.attackerIds[0];
  if (agent === undefined || !env.isAttacker(agent)) throw new CyrangeError(`rollouts: "${String(agent)}" is not an attacker of the scenario`);
  const S = task.learner.obsSize;
  const A = task.learner.nActions;
  if (env.observationSpace(agent).shape[0] !== S || env.actionSpace(agent).n !== A) {
    throw new CyrangeError(`rollouts: the learner takes ${S} inputs and ${A} actions, the scenario gives ${env.observationSpace(agent).shape[0]} and ${env.actionSpace(agent).n}`);
  }
  const actor = actorFor(task.learner);
  actor.setWeights(task.weights);
  actor.setExplorationState(task.exploration);
  actor.mode = task.mode;
  let buf: Transition[] = [];
  actor.sink = (t) => buf.push(t);
  const episodes: EpisodeRollout[] = [];
  for (const i of task.episodes) {
    const seed = episodeSeed(task.seed, i);
    const policies: Record<string, Policy> = { [agent]: actor };
    for (const d of env.defenderIds) policies[d] = createRolloutDefender(task.defender);
    buf = [];
    const res = runEpisode(env, policies, seed);
    episodes.push({ ...pack(i, seed, buf, S, A), outcome: res.outcome, return: res.returns[agent] ?? 0, steps: res.steps, duration: res.duration });
  }
  actor.sink = null;
  return { episodes };
}

// ------------------------------------------------------------------------------- the pool (main thread)

/** The compiled worker file, or null when there is none (then rollouts run in this thread). */
export function rolloutWorkerPath(): string | null {
  return compiledWorkerPath(import.meta.url, 'rollout-worker.js');
}

export interface RolloutPoolOptions {
  scenario: ScenarioRef;
  /** Worker threads; 0 or 1 plays in this thread. */
  workers: number;
  defender?: RolloutDefenderKind;
  /** The attacker the learner plays (default: the scenario's first). */
  agent?: string;
  /** Defender telemetry features (default off: 'none' and 'random' defenders do not read them). */
  telemetry?: boolean;
}

export interface RolloutBatch {
  episodes: EpisodeRollout[];
  envSteps: number;
  decisions: number;
  wallSeconds: number;
  /** Environment steps per second over the whole collection (all threads). */
  envStepsPerSecond: number;
}

export class RolloutPool {
  private pool: Piscina<RolloutTask, RolloutTaskResult> | null = null;
  readonly workers: number;
  readonly workerFile: string | null;

  constructor(private readonly opts: RolloutPoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 0) throw new RangeError(`RolloutPool: workers must be a non-negative integer, got ${opts.workers}`);
    if (opts.defender !== undefined) createRolloutDefender(opts.defender); // throws on an unknown kind
    this.workerFile = opts.workers > 1 ? rolloutWorkerPath() : null;
    this.workers = this.workerFile === null ? 1 : opts.workers;
  }

  /** True when episodes run on worker threads. */
  get parallel(): boolean {
    return this.workerFile !== null;
  }

  /** Plays episodes firstEpisode .. firstEpisode+episodes-1 with the learner's current weights. */
  async collect(learner: LearningAttacker, o: { episodes: number; seed: number; firstEpisode?: number; mode?: LearnerMode }): Promise<RolloutBatch> {
    const t0 = performance.now();
    const first = o.firstEpisode ?? 0;
    const all = Array.from({ length: o.episodes }, (_, k) => first + k);
    const base: Omit<RolloutTask, 'weights' | 'episodes'> = {
      scenario: this.opts.scenario,
      learner: learner.spec(),
      exploration: learner.explorationState(),
      mode: o.mode ?? learner.mode,
      defender: this.opts.defender ?? 'none',
      telemetry: this.opts.telemetry ?? false,
      seed: o.seed,
      ...(this.opts.agent === undefined ? {} : { agent: this.opts.agent }),
    };
    const weights = learner.getWeights();
    let results: RolloutTaskResult[];
    if (this.workerFile === null) {
      results = [await runRolloutTask({ ...base, weights, episodes: all })];
    } else {
      this.pool ??= new Piscina<RolloutTask, RolloutTaskResult>({ filename: this.workerFile, minThreads: this.workers, maxThreads: this.workers, idleTimeout: 30_000 });
      const pool = this.pool;
      results = await Promise.all(contiguousChunks(all, this.workers).map((episodes) => {
        const w = weights.slice();
        return pool.run({ ...base, weights: w, episodes }, { transferList: [w.buffer] });
      }));
    }
    const episodes = results.flatMap((r) => r.episodes).sort((a, b) => a.index - b.index);
    const wallSeconds = (performance.now() - t0) / 1000;
    const envSteps = episodes.reduce((n, e) => n + e.steps, 0);
    return { episodes, envSteps, decisions: episodes.reduce((n, e) => n + e.n, 0), wallSeconds, envStepsPerSecond: envSteps / Math.max(wallSeconds, 1e-9) };
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p) await p.destroy();
  }
}

/** Feeds a batch's transitions to the learner, episode by episode, in order. */
export function addRollouts(learner: LearningAttacker, batch: Pick<RolloutBatch, 'episodes'>): number {
  let n = 0;
  for (const ep of batch.episodes) {
    for (const t of unpack(ep, learner.obsSize, learner.nActions)) {
      learner.addTransition(t);
      n++;
    }
  }
  return n;
}

// ------------------------------------------------------------------------------- a training loop

export interface RolloutTrainLog {
  iteration: number;
  episodes: number;
  envSteps: number;
  /** Environment steps per second during collection (CleanRL's SPS). */
  envStepsPerSecond: number;
  gradientSteps: number;
  gradientStepsPerSecond: number;
  meanReturn: number;
  successRate: number;
  exploration: number;
}

export interface RolloutTrainOptions {
  iterations: number;
  episodesPerIteration: number;
  seed: number;
  /** DQN: gradient steps per collected transition (default 1 / trainFrequency). */
  gradientStepsPerTransition?: number;
  onIteration?: (log: RolloutTrainLog) => void;
}

/**
 * Collect-then-train: each iteration plays a batch of episodes in parallel with the current weights,
 * adds the transitions, then trains (DQN: gradient steps in proportion to the new transitions;
 * PG: one update on the new episodes).
 */
export async function trainWithRollouts(learner: LearningAttacker, pool: RolloutPool, o: RolloutTrainOptions): Promise<RolloutTrainLog[]> {
  const logs: RolloutTrainLog[] = [];
  learner.mode = 'train';
  for (let it = 0; it < o.iterations; it++) {
    const batch = await pool.collect(learner, { episodes: o.episodesPerIteration, seed: o.seed, firstEpisode: it * o.episodesPerIteration, mode: 'train' });
    const exploration = learner.explorationState();
    const added = addRollouts(learner, batch);
    const t0 = performance.now();
    let grads = 0;
    if (learner.kind === 'dqn') {
      const perT = o.gradientStepsPerTransition ?? 1 / ((learner as DqnAttacker).config.trainFrequency);
      const n = Math.round(added * perT);
      for (let k = 0; k < n; k++) if (learner.trainStep() !== null) grads++;
    } else if (learner.trainStep() !== null) grads++;
    const trainSeconds = (performance.now() - t0) / 1000;
    const log: RolloutTrainLog = {
      iteration: it,
      episodes: batch.episodes.length,
      envSteps: batch.envSteps,
      envStepsPerSecond: batch.envStepsPerSecond,
      gradientSteps: grads,
      gradientStepsPerSecond: grads / Math.max(trainSeconds, 1e-9),
      meanReturn: batch.episodes.reduce((s, e) => s + e.return, 0) / Math.max(1, batch.episodes.length),
      successRate: batch.episodes.filter((e) => e.outcome === 'exfiltration').length / Math.max(1, batch.episodes.length),
      exploration,
    };
    logs.push(log);
    o.onIteration?.(log);
  }
  return logs;
}

/** One log line, CleanRL style. */
export function formatRolloutLog(l: RolloutTrainLog): string {
  return `iter ${l.iteration}: return ${l.meanReturn.toFixed(2)}, success ${(100 * l.successRate).toFixed(0)}%, SPS ${l.envStepsPerSecond.toFixed(0)}, grad/s ${l.gradientStepsPerSecond.toFixed(0)}, explore ${l.exploration.toFixed(3)}`;
}
