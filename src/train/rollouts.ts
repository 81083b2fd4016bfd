/**
 * Co-training rollouts on worker threads: training episodes of a round play in parallel against the
 * round's defence (any defender kind; ML detectors travel as a model directory the workers load), with
 * the learner's current weights shipped as a transferred buffer. Workers return the learner's
 * transitions and the labelled telemetry rows the defenders retrain on, as flat typed arrays.
 *
 * Workers build their acting copy of the learner through the attacker registry, after importing the
 * plugins the main thread loaded, so a plugin's learning kind trains here like a built-in one.
 *
 * Collect-then-train: with workers, a round's training episodes all use the weights at the start of the
 * round, and the learner takes their transitions afterwards in episode order (its own update schedule
 * decides when to train, as online), so results depend on the worker setting but not on how many workers
 * there are or which worker plays which episode.
 */
import { Piscina } from 'piscina';
import { CyrangeError } from '../shared/errors.js';
import { Rng } from '../shared/prng.js';
import { loadPlugins } from '../shared/plugins.js';
import type { Scenario } from '../range/scenario.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode, type EpisodeOutcome } from '../range/agent.js';
import { initTf } from '../nn/runtime.js';
import { createAttacker } from '../attackers/registry.js';
import {
  isLearningAttacker, packTransitions, unpackTransitions, PACKED_FIELDS,
  type LearnerSpec, type LearningAttacker, type PackedTransitions, type Transition,
} from '../attackers/learner.js';
import { sharedLearnerPolicies } from '../attackers/shared-policy.js';
import { Detector } from '../detectors/detector.js';
import { createDefense, type DefenderKind } from '../defenders/registry.js';
import { episodeRows } from './collect.js';
import { compiledWorkerPath, contiguousChunks } from '../shared/worker-path.js';

export interface DefendedRolloutTask {
  scenario: Scenario;
  learner: LearnerSpec;
  weights: Float32Array;
  exploration: number;
  defender: DefenderKind;
  detectorDir: string | null;
  /** (episode index, seed) pairs. */
  episodes: [number, number][];
  benignShare: number;
  rowSeed: number;
  /** Plugin modules (resolved specifiers) to import before building anything. */
  plugins: string[];
}

/** One episode: stats plus the learner's transitions as flat arrays. */
export interface EpisodeRollout extends PackedTransitions {
  index: number;
  seed: number;
  outcome: EpisodeOutcome;
  /** The learner's undiscounted return (with several attackers: their mean). */
  return: number;
  /** env.step calls (all agents' decision points). */
  steps: number;
  /** Simulated seconds. */
  duration: number;
}

export interface DefendedRolloutResult {
  episodes: EpisodeRollout[];
  X: Float32Array;
  y: Int32Array;
  w: Float32Array;
}

/** Per-thread caches: an acting copy per learner spec, an env per scenario, a detector per directory. */
const actors = new Map<string, LearningAttacker>();
const envs = new Map<string, RangeEnv>();
const detectors = new Map<string, Detector>();

/** A thread-local acting copy of a learner (built once per spec through the attacker registry). */
async function actorFor(spec: LearnerSpec): Promise<LearningAttacker> {
  const key = JSON.stringify(spec);
  let a = actors.get(key);
  if (!a) {
    const p = await createAttacker(spec.kind, { obsSize: spec.obsSize, nActions: spec.nActions, hyperparameters: spec.hyperparameters, source: `rollout worker: learner kind "${spec.kind}"` });
    if (!isLearningAttacker(p)) throw new CyrangeError(`rollout worker: attacker kind "${spec.kind}" did not create a learning attacker`);
    a = p;
    actors.set(key, a);
  }
  return a;
}

/** Plays a task's episodes in this thread (the worker calls it; so does the single-thread fallback). */
export async function runDefendedRollouts(task: DefendedRolloutTask): Promise<DefendedRolloutResult> {
  await loadPlugins(task.plugins, 'rollout worker: plugin');
  await initTf();
  const key = JSON.stringify(task.scenario);
  let env = envs.get(key);
  if (!env) {
    env = new RangeEnv(task.scenario);
    envs.set(key, env);
  }
  let detector: Detector | undefined;
  if (task.detectorDir) {
    detector = detectors.get(task.detectorDir);
    if (!detector) {
      detector = (await Detector.load(task.detectorDir)).detector;
      detectors.set(task.detectorDir, detector);
    }
  }
  const defense = await createDefense(task.defender, env, detector ? { detector } : {});
  const actor = await actorFor(task.learner);
  actor.setWeights(task.weights);
  actor.setExplorationState(task.exploration);
  actor.mode = 'train';
  // Every attacker id plays the shared learner; an agent's transitions arrive when its episode ends.
  const attackers = sharedLearnerPolicies(actor, env, task.scenario.name);
  const ids = env.attackerIds;
  let buf: Transition[] = [];
  actor.sink = (t) => buf.push(t);
  const episodes: EpisodeRollout[] = [];
  const X: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  for (const [index, seed] of task.episodes) {
    buf = [];
    const res = runEpisode(env, { ...defense.policies, ...attackers }, seed);
    const ret = ids.reduce((s, id) => s + (res.returns[id] ?? 0), 0) / Math.max(1, ids.length);
    episodes.push({ ...packTransitions(buf, task.learner.obsSize, task.learner.nActions), index, seed, outcome: res.outcome, return: ret, steps: res.steps, duration: res.duration });
    const rows = episodeRows(env, new Rng(task.rowSeed).split(index), task.benignShare);
    for (const x of rows.X) X.push(x);
    for (const v of rows.y) y.push(v);
    for (const v of rows.w) w.push(v);
  }
  actor.sink = null;
  return { episodes, X: Float32Array.from(X), y: Int32Array.from(y), w: Float32Array.from(w) };
}

/** The buffers of a result, to transfer instead of copy. */
export function transferList(r: DefendedRolloutResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [r.X.buffer as ArrayBuffer, r.y.buffer as ArrayBuffer, r.w.buffer as ArrayBuffer];
  for (const e of r.episodes) for (const f of PACKED_FIELDS) out.push(e[f].buffer as ArrayBuffer);
  return out;
}

export function defendedRolloutWorkerPath(): string | null {
  return compiledWorkerPath(import.meta.url, 'rollout-worker.js');
}

/** A pool of rollout workers for co-training (falls back to this thread without a compiled worker). */
export class DefendedRolloutPool {
  private pool: Piscina<DefendedRolloutTask, DefendedRolloutResult> | null = null;
  private readonly file: string | null;
  constructor(readonly workers: number) {
    this.file = workers > 1 ? defendedRolloutWorkerPath() : null;
  }
  get parallel(): boolean {
    return this.file !== null;
  }
  async run(base: Omit<DefendedRolloutTask, 'episodes' | 'weights'>, weights: Float32Array, episodes: [number, number][]): Promise<DefendedRolloutResult[]> {
    if (!this.file) return [await runDefendedRollouts({ ...base, weights, episodes })];
    this.pool ??= new Piscina<DefendedRolloutTask, DefendedRolloutResult>({ filename: this.file, minThreads: this.workers, maxThreads: this.workers, idleTimeout: 30_000 });
    const pool = this.pool;
    return Promise.all(contiguousChunks(episodes, this.workers).map((eps) => {
      const wc = weights.slice();
      return pool.run({ ...base, weights: wc, episodes: eps }, { transferList: [wc.buffer] });
    }));
  }
  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p) await p.destroy();
  }
}

/**
 * Hands the episodes' transitions to the learner in episode order; its update schedule trains as they
 * arrive (as online). Returns the gradient steps taken.
 *
 * All of a round's episodes were played with the round's starting weights, so updates after the first
 * learn from slightly stale behaviour (off-policy for policy gradient, uncorrected); episodes that do not
 * complete an update batch wait for the next round, as online.
 */
export function learnFromRollouts(learner: LearningAttacker, results: DefendedRolloutResult[]): number {
  const eps = results.flatMap((r) => r.episodes).sort((a, b) => a.index - b.index);
  const g0 = learner.counters.gradientSteps;
  for (const ep of eps) for (const t of unpackTransitions(ep, learner.obsSize, learner.nActions)) learner.addTransition(t);
  return learner.counters.gradientSteps - g0;
}
