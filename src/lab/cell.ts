/**
 * One grid cell of an experiment: a scenario, an attacker kind, a defender kind and a seed, run with a
 * training budget (co-training rounds for learning attackers, telemetry episodes for ML detectors) and
 * evaluated frozen on fresh seeds. Returns per-episode metrics (defined in src/range/metrics.ts).
 * Runs in whatever thread calls it (the runner calls it on piscina workers).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../range/presets.js';
import { createAttacker, isLearningKind, loadLearningAttacker, type AttackerKind } from '../attackers/registry.js';
import { pretrainFromDemonstrations } from '../attackers/imitation.js';
import type { LearningAttacker } from '../attackers/learner.js';
import { RangeEnv } from '../range/env.js';
import { Detector, type DetectorKind } from '../detectors/detector.js';
import { collectTelemetry } from '../train/collect.js';
import type { EpisodeMetrics } from '../range/metrics.js';
import { defenseDetector, type DefenderKind } from '../defenders/registry.js';
import { coTrain, type RoundRecord } from '../train/cotrain.js';
import { currentTfRuntime } from '../nn/runtime.js';

export interface CellBudget {
  /** Co-training rounds for learning attackers (0 = evaluate the untrained policy). */
  rounds: number;
  /** Attacker training episodes per round. */
  trainEpisodes: number;
  /** Frozen evaluation episodes (per cell). */
  evalEpisodes: number;
  /** Scripted-attacker episodes of telemetry for ML detectors. */
  detectorEpisodes: number;
  /**
   * Behaviour-cloning warm start of learning attackers from scripted episodes (default 6; 0 = none).
   * Shared, like detectors, by the cells with the same scenario, attacker kind and seed.
   */
  demoEpisodes?: number;
  /** Random-forest trees and autoencoder epochs (smaller in quick profiles). */
  rfTrees?: number;
  aeEpochs?: number;
}

export interface CellSpec {
  id: string;
  scenario: string;
  attacker: AttackerKind;
  defender: DefenderKind;
  seed: number;
  budget: CellBudget;
}

export interface CellResult {
  id: string;
  spec: CellSpec;
  hosts: number;
  metrics: EpisodeMetrics[];
  rounds: RoundRecord[];
  wallSeconds: number;
  envSteps: number;
  tfBackend: string | null;
}

/**
 * Detectors are shared by every cell with the same scenario, kind, seed and budget: the first cell to
 * need one trains and saves it under `cacheDir`, later ones load it.
 */
async function detectorFor(spec: CellSpec, kind: DetectorKind, hostsScenario: ReturnType<typeof loadScenario>, cacheDir: string | undefined): Promise<Detector> {
  const b = spec.budget;
  const key = `${spec.scenario.replace(/[^A-Za-z0-9_.-]/g, '_')}-${kind}-s${spec.seed}-e${b.detectorEpisodes}-t${b.rfTrees ?? 50}-a${b.aeEpochs ?? 15}`;
  const dir = cacheDir ? join(cacheDir, key) : null;
  if (dir && existsSync(join(dir, 'manifest.json'))) return (await Detector.load(dir)).detector;
  const data = collectTelemetry(hostsScenario, { episodes: b.detectorEpisodes, seed: spec.seed });
  const { detector, validation, trainRows } = await Detector.train(kind, data, {
    seed: spec.seed,
    rf: { nTrees: b.rfTrees ?? 50, workers: 1 },
    ae: { epochs: b.aeEpochs ?? 15 },
  });
  if (dir) {
    try {
      await detector.save(dir, { seed: spec.seed, training: { source: 'env', scenario: spec.scenario, episodes: b.detectorEpisodes, rows: data.nRows, trainRows }, validation });
    } catch {
      // Another worker saved the same detector first; ours is identical (same seed and data).
    }
  }
  return detector;
}

/** A learning attacker warm-started from demonstrations, cached under `cacheDir` (null for baseline kinds). */
async function warmAttacker(spec: CellSpec, scenario: ReturnType<typeof loadScenario>, cacheDir: string | undefined): Promise<LearningAttacker | null> {
  if (!isLearningKind(spec.attacker)) return null;
  const demos = spec.budget.demoEpisodes ?? 6;
  if (demos <= 0) return null;
  const key = `${spec.scenario.replace(/[^A-Za-z0-9_.-]/g, '_')}-${spec.attacker}-s${spec.seed}-d${demos}-ns`;
  const dir = cacheDir ? join(cacheDir, key) : null;
  const env = new RangeEnv(scenario);
  const sizes = { obsSize: env.observationSpace(env.attackerIds[0]!).shape[0]!, nActions: env.actionSpace(env.attackerIds[0]!).n };
  if (dir && existsSync(join(dir, 'agent.json'))) {
    try {
      return await loadLearningAttacker(dir, sizes);
    } catch {
      // A half-written cache entry from a concurrent cell: fall through and train our own.
    }
  }
  const learner = (await createAttacker(spec.attacker, { env, seed: spec.seed })) as LearningAttacker;
  await pretrainFromDemonstrations(learner, scenario, { episodes: demos, seed: spec.seed, demonstrators: ['noisy', 'stealthy'] });
  if (dir) {
    const tmp = `${dir}.tmp-${process.pid}-${Math.floor(performance.now())}`;
    try {
      await learner.save(tmp);
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return learner;
}

export async function runCell(spec: CellSpec, opts: { detectorCacheDir?: string; attackerCacheDir?: string } = {}): Promise<CellResult> {
  const t0 = performance.now();
  const scenario = loadScenario(spec.scenario);
  const detectorKind = defenseDetector(spec.defender);
  const detector = detectorKind !== null ? await detectorFor(spec, detectorKind as DetectorKind, scenario, opts.detectorCacheDir) : undefined;
  const warm = await warmAttacker(spec, scenario, opts.attackerCacheDir ?? (opts.detectorCacheDir ? join(opts.detectorCacheDir, '..', 'attackers') : undefined));
  const b = spec.budget;
  const r = await coTrain({
    scenario,
    attacker: spec.attacker,
    defender: spec.defender,
    rounds: b.rounds,
    trainEpisodes: b.trainEpisodes,
    evalEpisodes: b.evalEpisodes,
    detectorEpisodes: b.detectorEpisodes,
    seed: spec.seed,
    ...(detector ? { detector } : {}),
    ...(warm ? { attackerPolicy: warm } : {}),
    // Cells compare defences at a fixed detector; co-training of detectors is `cyrange train`'s job.
    retrainDefenders: false,
  });
  const learner = r.attacker as { dispose?: () => void };
  learner.dispose?.();
  return {
    id: spec.id,
    spec,
    hosts: scenario.hosts.length,
    metrics: r.evaluation,
    rounds: r.rounds,
    wallSeconds: (performance.now() - t0) / 1000,
    envSteps: r.rounds.reduce((s, x) => s + x.envSteps, 0),
    tfBackend: currentTfRuntime()?.backend ?? null,
  };
}
