/**
 * Co-training rollouts on worker threads: training episodes of a round play in parallel against the
 * round's defence (any defender kind; ML detectors travel as a model directory the workers load), with
 * the learner's current weights shipped as a transferred buffer. Workers return the learner's
 * transitions and the labelled telemetry rows the defenders retrain on, as flat typed arrays.
 *
 * Collect-then-train: with workers, a round's training episodes all use the weights at the start of the
 * round (the learner trains on their transitions afterwards), so results depend on the worker setting
 * but not on how many workers there are or which worker plays which episode.
 */
import { Piscina } from 'piscina';
import { Rng } from '../shared/prng.js';
import type { Scenario } from '../range/scenario.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode } from '../range/agent.js';
import { initTf } from '../nn/runtime.js';
import { actorFor, addRollouts, pack, unpack, type EpisodeRollout } from '../attackers/rollouts.js';
import type { LearnerSpec, LearningAttacker, Transition } from '../attackers/learner.js';
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
}

export interface DefendedRolloutResult {
  episodes: EpisodeRollout[];
  X: Float32Array;
  y: Int32Array;
  w: Float32Array;
}

const envs = new Map<string, RangeEnv>();
const detectors = new Map<string, Detector>();

/** Plays a task's episodes in this thread (the worker calls it; so does the single-thread fallback). */
export async function runDefendedRollouts(task: DefendedRolloutTask): Promise<DefendedRolloutResult> {
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
  const agent = env.attackerIds[0]!;
  const actor = actorFor(task.learner);
  actor.setWeights(task.weights);
  actor.setExplorationState(task.exploration);
  actor.mode = 'train';
  let buf: Transition[] = [];
  actor.sink = (t) => buf.push(t);
  const episodes: EpisodeRollout[] = [];
  const X: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  for (const [index, seed] of task.episodes) {
    buf = [];
    const res = runEpisode(env, { ...defense.policies, [agent]: actor }, seed);
    episodes.push({ ...pack(index, seed, buf, task.learner.obsSize, task.learner.nActions), outcome: res.outcome, return: res.returns[agent] ?? 0, steps: res.steps, duration: res.duration });
    const rows = episodeRows(env, new Rng(task.rowSeed).split(index), task.benignShare);
    for (const x of rows.X) X.push(x);
    for (const v of rows.y) y.push(v);
    for (const v of rows.w) w.push(v);
  }
  actor.sink = null;
  return { episodes, X: Float32Array.from(X), y: Int32Array.from(y), w: Float32Array.from(w) };
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

/** Feeds the episodes' transitions to the learner in episode order and trains; returns gradient steps. */
export function learnFromRollouts(learner: LearningAttacker, results: DefendedRolloutResult[]): number {
  const eps = results.flatMap((r) => r.episodes).sort((a, b) => a.index - b.index);
  let grads = 0;
  if (learner.kind === 'dqn') {
    const added = addRollouts(learner, { episodes: eps });
    const freq = Number(learner.spec().hyperparameters.trainFrequency ?? 4);
    for (let k = 0; k < Math.round(added / freq); k++) if (learner.trainStep() !== null) grads++;
    return grads;
  }
  // Policy gradient: episode by episode, so it takes one update per `episodesPerUpdate` episodes as when
  // learning online (one update per round would learn several times slower per episode played). All of
  // a round's episodes were played with the round's starting weights, so the updates after the first are
  // slightly off-policy (uncorrected REINFORCE on stale episodes); leftover episodes wait for the next round.
  const g0 = learner.counters.gradientSteps;
  for (const ep of eps) {
    for (const t of unpack(ep, learner.obsSize, learner.nActions)) learner.addTransition(t);
    learner.endEpisode();
  }
  return learner.counters.gradientSteps - g0;
}
