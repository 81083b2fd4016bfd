/**
 * One grid cell of an experiment: a scenario, an attacker kind, a defender kind and a seed, evaluated
 * frozen for `evalEpisodes` episodes. Nothing trains here: a learning attacker is the agent its training
 * job saved (jobs.ts; one frozen instance per attacker of the scenario), a baseline kind plays every
 * attacker of the scenario, and an ML defence loads the detector its detector job saved.
 *
 * The episode seeds depend on the scenario, the seed and the episode number only, so every defence (and
 * both learning kinds) of a seed plays the same evaluation episodes: defences are compared paired.
 * Returns per-episode metrics (defined in src/range/metrics.ts) and the training summary of its job.
 * Runs in whatever thread calls it (the runner calls it on piscina workers).
 */
import { join } from 'node:path';
import { Rng } from '../shared/prng.js';
import { CyrangeError } from '../shared/errors.js';
import { loadScenario } from '../range/presets.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode, type Policy } from '../range/agent.js';
import { episodeMetrics, type EpisodeMetrics } from '../range/metrics.js';
import { createAttacker, type AttackerKind } from '../attackers/registry.js';
import { Detector } from '../detectors/detector.js';
import { createDefense, type DefenderKind } from '../defenders/registry.js';
import { loadTrainedAttackers, type CurvePoint } from '../train/attacker-job.js';
import { currentTfRuntime } from '../nn/runtime.js';
import { readAttackerJob } from '../train/attacker-job.js';

export interface CellBudget {
  /** Frozen evaluation episodes (per cell). */
  evalEpisodes: number;
  /** Scripted-attacker episodes of telemetry for ML detectors. */
  detectorEpisodes: number;
  /** Random-forest trees and autoencoder epochs (smaller in quick profiles). */
  rfTrees?: number;
  aeEpochs?: number;
}

export interface CellSpec {
  id: string;
  /** Scenario as loadScenario takes it, and its name in the plan (episode seeds derive from the name). */
  scenario: string;
  scenarioName: string;
  attacker: AttackerKind;
  defender: DefenderKind;
  seed: number;
  budget: CellBudget;
  /** Keys of the jobs the cell loads (jobs/attackers/KEY, jobs/detectors/KEY), null when it needs none. */
  attackerJob: string | null;
  detectorJob: string | null;
}

/** What a learning cell's attacker went through before evaluation (from its job's job.json). */
export interface CellTraining {
  job: string;
  episodes: number;
  envSteps: number;
  gradientSteps: number;
  wallSeconds: number;
  against: string;
  curve: CurvePoint[];
}

export interface CellResult {
  id: string;
  spec: CellSpec;
  hosts: number;
  metrics: EpisodeMetrics[];
  /** Null for baseline attacker kinds. */
  training: CellTraining | null;
  wallSeconds: number;
  envSteps: number;
  tfBackend: string | null;
}

/** Seed of evaluation episode `i` of a (scenario, seed): the same for every attacker kind and defence. */
export function evalEpisodeSeed(scenarioName: string, seed: number, i: number): number {
  return new Rng(seed).split(`evaluation|${scenarioName}`).split(i).seed;
}

/** Where a cell finds its jobs' outputs: the attacker job's directory (job.json, agent/) and the detector's model directory. */
export interface CellJobDirs {
  attackerJob: string | null;
  detector: string | null;
}

export async function runCell(spec: CellSpec, dirs: CellJobDirs): Promise<CellResult> {
  const t0 = performance.now();
  const scenario = loadScenario(spec.scenario);
  const env = new RangeEnv(scenario);
  let attackers: Record<string, Policy>;
  let training: CellTraining | null = null;
  if (spec.attackerJob !== null) {
    const dir = dirs.attackerJob;
    if (dir === null) throw new Error(`${spec.id}: no directory given for its attacker job ${spec.attackerJob}`);
    const job = readAttackerJob(dir);
    if (!job) throw new CyrangeError(`${dir}: the attacker's training job has not finished (no job.json)`);
    training = { job: spec.attackerJob, episodes: job.episodes, envSteps: job.envSteps, gradientSteps: job.gradientSteps, wallSeconds: job.wallSeconds, against: job.spec.against, curve: job.curve };
    attackers = await loadTrainedAttackers(join(dir, 'agent'), env);
  } else {
    attackers = {};
    for (const id of env.attackerIds) attackers[id] = await createAttacker(spec.attacker, { env, agent: id, seed: spec.seed });
  }
  if (spec.detectorJob !== null && dirs.detector === null) throw new Error(`${spec.id}: no directory given for its detector ${spec.detectorJob}`);
  const detector = dirs.detector !== null ? (await Detector.load(dirs.detector)).detector : undefined;
  const defense = await createDefense(spec.defender, env, detector ? { detector } : {});
  const metrics: EpisodeMetrics[] = [];
  let envSteps = 0;
  try {
    for (let i = 0; i < spec.budget.evalEpisodes; i++) {
      const ep = runEpisode(env, { ...defense.policies, ...attackers }, evalEpisodeSeed(spec.scenarioName, spec.seed, i));
      envSteps += ep.steps;
      metrics.push(episodeMetrics(env, ep, defense.recorder));
    }
  } finally {
    for (const a of Object.values(attackers)) (a as { dispose?: () => void }).dispose?.();
  }
  return {
    id: spec.id,
    spec,
    hosts: scenario.hosts.length,
    metrics,
    training,
    wallSeconds: (performance.now() - t0) / 1000,
    envSteps,
    tfBackend: currentTfRuntime()?.backend ?? null,
  };
}
