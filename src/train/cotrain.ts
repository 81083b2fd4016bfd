/**
 * Adaptive co-training. Each round:
 *   (a) the attacker trains against the current defence (learning kinds only);
 *   (b) the defenders retrain on the labelled telemetry of those episodes (random forest supervised,
 *       autoencoder on the benign windows), added to the telemetry they started from;
 *   (c) both are evaluated frozen on fresh seeds, and the round is recorded.
 * Everything is seeded: the same config gives the same round records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../shared/prng.js';
import { loadedPlugins } from '../shared/plugins.js';
import type { Scenario } from '../range/scenario.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode, type Policy } from '../range/agent.js';
import { N_FEATURES } from '../range/telemetry.js';
import { createAttacker, type AttackerKind } from '../attackers/registry.js';
import { isLearningAttacker, type LearningAttacker } from '../attackers/learner.js';
import { sharedLearnerPolicies } from '../attackers/shared-policy.js';
import { pretrainFromDemonstrations } from '../attackers/imitation.js';
import { collectTelemetry, episodeRows } from './collect.js';
import { Detector, type DetectorKind, type DetectorTrainOptions, type LabelledData } from '../detectors/detector.js';
import type { EpisodeMetrics } from '../range/metrics.js';
import { createDefense, defenseDetector, type DefenderKind } from '../defenders/registry.js';
import { DefendedRolloutPool, learnFromRollouts } from './rollouts.js';
import { recordEpisode, summariseEpisodes, type EpisodeRecord } from './episodes.js';
import type { ScalarSink } from './scalars.js';

export { quietShare } from './episodes.js';

export interface CoTrainConfig {
  scenario: Scenario;
  attacker: AttackerKind;
  defender: DefenderKind;
  /** Co-training rounds (0 = evaluate only). */
  rounds: number;
  /** Attacker training episodes per round. */
  trainEpisodes: number;
  /** Frozen evaluation episodes per round. */
  evalEpisodes: number;
  /** Scripted-attacker episodes for the initial detector (ML defenders without `detector`). */
  detectorEpisodes: number;
  seed: number;
  detectorOptions?: DetectorTrainOptions;
  /** A trained initial detector (e.g. from a cache), else one is trained here. */
  detector?: Detector;
  /** Initial labelled telemetry (kept to retrain on). */
  telemetry?: LabelledData;
  /** Retrain ML defenders each round on the new episodes (default true). */
  retrainDefenders?: boolean;
  attackerHyperparameters?: Record<string, unknown>;
  /** Where the hyperparameters came from, for error messages (e.g. "--hyperparameters"). */
  attackerSource?: string;
  /** Continue from a saved attacker (resume, or a cached warm start). */
  attackerPolicy?: Policy;
  /** Behaviour-cloning warm start of learning attackers from this many scripted episodes (0 = none). */
  demoEpisodes?: number;
  /** Round number to start at (resume). */
  startRound?: number;
  onRound?(record: RoundRecord, state: { attacker: Policy; detector: Detector | null; telemetry: LabelledData | null }): Promise<void> | void;
  /**
   * Worker threads for the attacker's training episodes (default 1: in this thread, learning online).
   * With more, a round's training episodes play in parallel with the round's starting weights and the
   * learner trains on them afterwards (see rollouts.ts).
   */
  workers?: number;
  /**
   * Receives the learning attacker's training scalars (losses, returns, exploration; see train/scalars.ts)
   * with the round they belong to, as training goes.
   */
  scalars?: ScalarSink;
  /** Called after every episode (training and evaluation), for progress display. */
  onEpisode?(info: { round: number; phase: 'train' | 'eval'; episode: number; of: number; steps: number }): void;
  /** Checked between episodes; when true the loop stops after the current round's bookkeeping. */
  shouldStop?(): boolean;
}

/** One co-training round: its frozen evaluation summarised (EpisodeSummary, under these names) and the training it did. */
export interface RoundRecord {
  round: number;
  attackerSuccess: number;
  timeToObjective: number | null;
  detectionF1: number;
  /** Mean defender return of the evaluation episodes, its healthy-host cost, re-entries per episode. */
  defenderReturn: number;
  healthyHostCost: number;
  reentries: number;
  /** Kaplan-Meier medians over the evaluation episodes' incidents, with their censored shares (EpisodeSummary). */
  timeToDetect: number | null;
  responseLatency: number | null;
  responseLatencyCensoredShare: number | null;
  timeToContain: number | null;
  compromiseRate: number;
  chainLength: number;
  /** The quiet shares of the evaluation episodes: see EpisodeSummary (train/episodes.ts). */
  quietTempoShare: number;
  quietOpeningShare: number;
  quietActionShare: number;
  meanAttackerReward: number;
  detectorValidationF1: number | null;
  trainEpisodes: number;
  envSteps: number;
  gradientSteps: number;
  wallSeconds: number;
  stepsPerSecond: number;
  /** Attacker gradient steps per wall-clock second of the round (CleanRL's SPS, for the learner). */
  gradientStepsPerSecond: number;
}

export interface CoTrainResult {
  rounds: RoundRecord[];
  /** Metrics of the last round's evaluation episodes. */
  evaluation: EpisodeMetrics[];
  attacker: Policy;
  detector: Detector | null;
  telemetry: LabelledData | null;
}

function appendRows(d: LabelledData, rows: { X: ArrayLike<number>; y: ArrayLike<number>; w: ArrayLike<number> }): LabelledData {
  const n = d.nRows + rows.y.length;
  const X = new Float32Array(n * N_FEATURES);
  X.set(d.X);
  X.set(rows.X, d.X.length);
  const y = new Int32Array(n);
  y.set(d.y);
  y.set(rows.y, d.nRows);
  const weights = new Float32Array(n);
  weights.set(d.weights ?? new Float32Array(d.nRows).fill(1));
  weights.set(rows.w, d.nRows);
  return { ...d, X, y, weights, nRows: n };
}

/**
 * The attacker policies of every attacker id of `env`: the learner shared by all of them (see
 * attackers/shared-policy.ts), or for a baseline kind `attacker` for the first id and a fresh instance of
 * the kind for each other one (baselines keep per-episode state).
 */
async function attackerPolicies(cfg: CoTrainConfig, env: RangeEnv, attacker: Policy, learner: LearningAttacker | null): Promise<Record<string, Policy>> {
  if (learner) return sharedLearnerPolicies(learner, env, cfg.scenario.name);
  const out: Record<string, Policy> = {};
  for (const [i, id] of env.attackerIds.entries()) out[id] = i === 0 ? attacker : await createAttacker(cfg.attacker, { env, agent: id, seed: cfg.seed });
  return out;
}

export async function coTrain(cfg: CoTrainConfig): Promise<CoTrainResult> {
  const env = new RangeEnv(cfg.scenario);
  const attackerId = env.attackerIds[0]!;
  const detectorKind = defenseDetector(cfg.defender) as DetectorKind | null;
  const isMl = detectorKind !== null;
  const root = new Rng(cfg.seed).split('cotrain');
  let telemetry: LabelledData | null = cfg.telemetry ?? null;
  let detector: Detector | null = cfg.detector ?? null;
  let detectorValidationF1: number | null = null;
  if (isMl && !detector) {
    telemetry ??= collectTelemetry(cfg.scenario, { episodes: cfg.detectorEpisodes, seed: cfg.seed });
    const r = await Detector.train(detectorKind!, telemetry, { seed: cfg.seed, ...cfg.detectorOptions });
    detector = r.detector;
    detectorValidationF1 = r.validation.f1;
  }
  const attacker: Policy =
    cfg.attackerPolicy ??
    (await createAttacker(cfg.attacker, {
      env, agent: attackerId, seed: cfg.seed,
      ...(cfg.attackerHyperparameters ? { hyperparameters: cfg.attackerHyperparameters } : {}),
      ...(cfg.attackerSource ? { source: cfg.attackerSource } : {}),
    }));
  const learner: LearningAttacker | null = isLearningAttacker(attacker) ? attacker : null;
  // Every attacker of the scenario: one shared learner (parameter sharing), or a baseline instance each.
  const attackers = await attackerPolicies(cfg, env, attacker, learner);
  if (learner && !cfg.attackerPolicy && (cfg.demoEpisodes ?? 0) > 0) {
    await pretrainFromDemonstrations(learner, cfg.scenario, { episodes: cfg.demoEpisodes!, seed: cfg.seed, demonstrators: ['noisy', 'stealthy'] });
  }
  const rounds: RoundRecord[] = [];
  let evaluation: EpisodeMetrics[] = [];
  let round = cfg.startRound ?? 0;
  const sink = cfg.scalars;
  if (learner && sink) learner.onScalar = (name, step, value) => sink({ round, step, name, value });
  const pool = learner && (cfg.workers ?? 1) > 1 ? new DefendedRolloutPool(cfg.workers!) : null;
  const tmpRoot = pool?.parallel ? mkdtempSync(join(tmpdir(), 'cyrange-cotrain-')) : null;
  try {
  const total = Math.max(cfg.rounds, 1);
  for (; round < total; round++) {
    const t0 = performance.now();
    let envSteps = 0;
    const g0 = learner?.counters.gradientSteps ?? 0;
    const defense = await createDefense(cfg.defender, env, detector ? { detector } : {});
    // (a) Attacker training against the current defence.
    let trained = 0;
    if (learner && cfg.rounds > 0 && pool?.parallel) {
      learner.mode = 'train';
      let detectorDir: string | null = null;
      if (detector) {
        detectorDir = join(tmpRoot!, `round-${round}`);
        await detector.save(detectorDir, { seed: cfg.seed, training: { source: 'cotrain-round' }, validation: { rows: 0, tp: 0, fp: 0, fn: 0, tn: 0, precision: NaN, recall: NaN, f1: NaN, fpr: NaN } }, true);
      }
      const pairs: [number, number][] = Array.from({ length: cfg.trainEpisodes }, (_, i) => [i, root.split(`train:${round}:${i}`).seed]);
      const results = await pool.run(
        { scenario: cfg.scenario, learner: learner.spec(), exploration: learner.explorationState(), defender: cfg.defender, detectorDir, benignShare: 0.05, rowSeed: root.split(`rows:${round}`).seed, plugins: loadedPlugins() },
        learner.getWeights(),
        pairs,
      );
      for (const r of results) {
        for (const ep of r.episodes) {
          envSteps += ep.steps;
          trained++;
          cfg.onEpisode?.({ round, phase: 'train', episode: trained, of: cfg.trainEpisodes, steps: ep.steps });
        }
        if (isMl && telemetry) telemetry = appendRows(telemetry, r);
      }
      learnFromRollouts(learner, results);
    } else if (learner && cfg.rounds > 0) {
      learner.mode = 'train';
      const rowsRng = root.split(`rows:${round}`);
      for (let i = 0; i < cfg.trainEpisodes; i++) {
        if (cfg.shouldStop?.()) break;
        const ep = runEpisode(env, { ...defense.policies, ...attackers }, root.split(`train:${round}:${i}`).seed);
        envSteps += ep.steps;
        trained++;
        cfg.onEpisode?.({ round, phase: 'train', episode: i + 1, of: cfg.trainEpisodes, steps: ep.steps });
        if (isMl && telemetry) telemetry = appendRows(telemetry, episodeRows(env, rowsRng, 0.05));
      }
    }
    // Interrupted mid-round: drop the partial round so checkpoints stay at a round boundary.
    if (cfg.shouldStop?.()) break;
    // (b) Defenders retrain on what they saw.
    if (isMl && telemetry && trained > 0 && (cfg.retrainDefenders ?? true)) {
      const r = await Detector.train(detectorKind!, telemetry, { seed: cfg.seed + round + 1, ...cfg.detectorOptions });
      detector = r.detector;
      detectorValidationF1 = r.validation.f1;
    }
    // (c) Frozen evaluation on fresh seeds.
    if (learner) learner.mode = 'eval';
    const evalDefense = await createDefense(cfg.defender, env, detector ? { detector } : {});
    const records: EpisodeRecord[] = [];
    for (let i = 0; i < cfg.evalEpisodes; i++) {
      const ep = runEpisode(env, { ...evalDefense.policies, ...attackers }, root.split(`eval:${round}:${i}`).seed);
      envSteps += ep.steps;
      cfg.onEpisode?.({ round, phase: 'eval', episode: i + 1, of: cfg.evalEpisodes, steps: ep.steps });
      records.push(recordEpisode(env, ep, evalDefense.recorder, env.attackerIds));
    }
    evaluation = records.map((r) => r.metrics);
    if (learner) learner.mode = 'train';
    const wall = (performance.now() - t0) / 1000;
    const sum = summariseEpisodes(records);
    const rec: RoundRecord = {
      round,
      attackerSuccess: sum.successRate,
      timeToObjective: sum.meanTimeToObjective,
      detectionF1: sum.detectionF1,
      defenderReturn: sum.defenderReturn,
      healthyHostCost: sum.healthyHostCost,
      reentries: sum.reentries,
      timeToDetect: sum.timeToDetect,
      responseLatency: sum.responseLatency,
      responseLatencyCensoredShare: sum.responseLatencyCensoredShare,
      timeToContain: sum.timeToContain,
      compromiseRate: sum.compromiseRate,
      chainLength: sum.chainLength,
      quietTempoShare: sum.quietTempoShare,
      quietOpeningShare: sum.quietOpeningShare,
      quietActionShare: sum.quietActionShare,
      meanAttackerReward: sum.meanReward,
      detectorValidationF1,
      trainEpisodes: trained,
      envSteps,
      gradientSteps: (learner?.counters.gradientSteps ?? 0) - g0,
      wallSeconds: wall,
      stepsPerSecond: wall > 0 ? envSteps / wall : 0,
      gradientStepsPerSecond: wall > 0 ? ((learner?.counters.gradientSteps ?? 0) - g0) / wall : 0,
    };
    rounds.push(rec);
    await cfg.onRound?.(rec, { attacker, detector, telemetry });
    if (cfg.shouldStop?.()) break;
  }
  } finally {
    if (learner) learner.onScalar = null;
    await pool?.close();
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  }
  return { rounds, evaluation, attacker, detector, telemetry };
}
