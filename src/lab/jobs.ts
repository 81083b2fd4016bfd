/**
 * Prerequisite jobs of an experiment run, run once on the worker pool before the cells that need them:
 *   attacker   train a learning attacker kind once per (scenario, kind, seed) from no warm start against
 *              the training defence (src/train/attacker-job.ts); every cell of that attacker and seed
 *              evaluates the same frozen agent against its defence;
 *   detector   train the ML detector of a kind once per (scenario, kind, seed) on scripted-attacker
 *              telemetry; every defence using that kind loads it;
 *   flow       train a detector kind on a real flow-data CSV and keep its validation figures (the
 *              reference paper's Table 6); no cell depends on it.
 * Each job writes its directory under `jobs/` of the run directory. A job whose output is complete and
 * was made for the same job spec is reused (resume); anything else there is replaced. This file holds the
 * job specs, their keys and directories, and the readers the report uses; job-run.ts runs them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isLearningKind } from '../attackers/registry.js';
import { defenseDetector } from '../defenders/registry.js';
import type { DetectorKind } from '../detectors/detector.js';
import { readAttackerJob, type AttackerJobResult } from '../train/attacker-job.js';
import type { FlowValidationResult } from './run-format.js';
import { attackerJobKey, canonicalJson, detectorJobKey, keyPart, scenarioName, trainingFor, type AttackerTraining, type ExperimentPlan, type ScenarioEntry } from './spec.js';

export const JOBS_DIR = 'jobs';
export const JOB_LOG_FILE = 'jobs.jsonl';
export const FLOW_RESULT_FILE = 'result.json';

export interface AttackerJob {
  type: 'attacker';
  key: string;
  /** Scenario as loadScenario takes it, and its name in the plan. */
  scenario: string;
  scenarioName: string;
  kind: string;
  seed: number;
  training: AttackerTraining;
}

export interface DetectorJob {
  type: 'detector';
  key: string;
  scenario: string;
  scenarioName: string;
  kind: DetectorKind;
  seed: number;
  /** Scripted-attacker telemetry episodes, random-forest trees, autoencoder epochs. */
  episodes: number;
  rfTrees: number;
  aeEpochs: number;
}

export interface FlowJob {
  type: 'flow';
  key: string;
  /** Data set name (the CSV's base name) and file. */
  dataset: string;
  file: string;
  kind: DetectorKind;
  seed: number;
  /** Undefined: the detector's own defaults (as `cyrange defenders train` trains on CSVs). */
  rfTrees?: number;
  aeEpochs?: number;
  maxRows?: number;
}

export type Job = AttackerJob | DetectorJob | FlowJob;

/** Defaults of detectors trained on range telemetry when the budget does not say. */
export const DETECTOR_DEFAULTS = { rfTrees: 50, aeEpochs: 15 } as const;

const SUBDIR: Record<Job['type'], string> = { attacker: 'attackers', detector: 'detectors', flow: 'flow' };

export function jobDir(runDir: string, job: Pick<Job, 'type' | 'key'>): string {
  return join(runDir, JOBS_DIR, SUBDIR[job.type], job.key);
}

/** A job's identity as stored beside its output (a reused output must have been made for the same spec). */
export function jobIdentity(job: Job): string {
  return canonicalJson(job);
}

/**
 * The shared flow-data directory: `$CYRANGE_SHARED_DATASETS`, else `<package>/../shared/datasets`
 * (next to the repository, where the project's shared data lives).
 */
export function sharedDatasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.CYRANGE_SHARED_DATASETS;
  if (v && v.trim()) return v;
  return fileURLToPath(new URL('../../../shared/datasets', import.meta.url));
}

/** The CSV files of the flow-data directory (sorted), or why there are none. */
export function flowDataFiles(dir: string): { files: { name: string; path: string; bytes: number }[]; absent: string | null } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { files: [], absent: `no flow-data directory at ${dir} (set CYRANGE_SHARED_DATASETS)` };
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .sort()
    .map((f) => ({ name: basename(f, '.csv').replace(/\.csv$/i, ''), path: join(dir, f), bytes: statSync(join(dir, f)).size }));
  return { files, absent: files.length ? null : `no .csv files in ${dir}` };
}

export function flowJobKey(dataset: string, kind: string): string {
  return `${keyPart(dataset)}-${kind}`;
}

/** Every job of a plan: attacker and detector jobs for its cells, flow jobs for its flow validation. */
export function expandJobs(plan: ExperimentPlan, resolveScenarioEntry: (e: ScenarioEntry) => string, flowFiles: readonly { name: string; path: string }[]): Job[] {
  const jobs: Job[] = [];
  const seen = new Set<string>();
  const add = (j: Job): void => {
    const id = `${j.type}/${j.key}`;
    if (!seen.has(id)) {
      seen.add(id);
      jobs.push(j);
    }
  };
  const b = plan.budget;
  for (const sc of plan.scenarios) {
    const path = resolveScenarioEntry(sc);
    const name = scenarioName(sc);
    for (const seed of plan.seeds) {
      for (const kind of plan.attackers.filter(isLearningKind)) add({ type: 'attacker', key: attackerJobKey(name, kind, seed), scenario: path, scenarioName: name, kind, seed, training: trainingFor(plan, name, kind) });
      for (const d of plan.defenders) {
        const kind = defenseDetector(d) as DetectorKind | null;
        if (kind === null) continue;
        add({ type: 'detector', key: detectorJobKey(name, kind, seed), scenario: path, scenarioName: name, kind, seed, episodes: b.detectorEpisodes, rfTrees: b.rfTrees ?? DETECTOR_DEFAULTS.rfTrees, aeEpochs: b.aeEpochs ?? DETECTOR_DEFAULTS.aeEpochs });
      }
    }
  }
  const fv = plan.flowValidation;
  if (fv)
    for (const f of flowFiles)
      for (const kind of fv.kinds)
        add({ type: 'flow', key: flowJobKey(f.name, kind), dataset: f.name, file: f.path, kind, seed: plan.seeds[0]!, ...(fv.maxRows !== undefined ? { maxRows: fv.maxRows } : {}) });
  return jobs;
}

// ---------------------------------------------------------------------------------------------
// Job outputs as the report reads them
// ---------------------------------------------------------------------------------------------

const validationSchema = z.object({ rows: z.number(), tp: z.number(), fp: z.number(), fn: z.number(), tn: z.number(), precision: z.number().nullable(), recall: z.number().nullable(), f1: z.number().nullable(), fpr: z.number().nullable(), accuracy: z.number().nullable() });

/** result.json of a flow job. */
export const flowResultSchema = z.object({
  job: z.string(),
  dataset: z.string(),
  kind: z.string(),
  seed: z.number().int(),
  rows: z.number().int(),
  trainRows: z.number().int(),
  perClass: z.record(z.string(), z.number()),
  validation: validationSchema,
  wallSeconds: z.number(),
});
export type FlowResult = z.output<typeof flowResultSchema>;

/** A finished flow job's result made for `job`, or null. */
export function readFlowResult(dir: string, job?: FlowJob): FlowResult | null {
  const f = join(dir, FLOW_RESULT_FILE);
  if (!existsSync(f)) return null;
  try {
    const r = flowResultSchema.parse(JSON.parse(readFileSync(f, 'utf8')));
    return job === undefined || r.job === jobIdentity(job) ? r : null;
  } catch {
    return null;
  }
}

/** A finished attacker job made for `job` (same scenario, kind, seed and training), or null. */
export function readAttackerJobFor(dir: string, job: AttackerJob): AttackerJobResult | null {
  const r = readAttackerJob(dir);
  if (!r) return null;
  const want = canonicalJson({ scenario: job.scenario, kind: job.kind, seed: job.seed, ...job.training });
  const have = canonicalJson({ scenario: r.spec.scenario, kind: r.spec.kind, seed: r.spec.seed, episodes: r.spec.episodes, against: r.spec.against, curveEvery: r.spec.curveEvery, curveEpisodes: r.spec.curveEpisodes, hyperparameters: r.spec.hyperparameters });
  return want === have ? r : null;
}

/** Table 6 figures of a run: every flow job's validation, or why there are none. */
export function readFlowValidation(runDir: string, m: { flowData: { dir: string; files: { name: string }[]; absent: string | null } | null; plan: { flowValidation: { kinds: readonly string[] } | null } }): FlowValidationResult | null {
  if (!m.plan.flowValidation || !m.flowData) return null;
  const rows: FlowValidationResult['rows'] = [];
  const missing: string[] = [];
  for (const f of m.flowData.files)
    for (const kind of m.plan.flowValidation.kinds) {
      const key = flowJobKey(f.name, kind);
      const r = readFlowResult(jobDir(runDir, { type: 'flow', key }));
      if (!r) {
        missing.push(key);
        continue;
      }
      const v = r.validation;
      rows.push({ dataset: r.dataset, kind: r.kind, seed: r.seed, rows: r.rows, trainRows: r.trainRows, validationRows: v.rows, accuracy: v.accuracy, precision: v.precision, recall: v.recall, f1: v.f1 });
    }
  return { dir: m.flowData.dir, absent: m.flowData.absent, rows, missing };
}

/** One line of jobs.jsonl: what happened to a job in a session (the outputs themselves are the record). */
export const jobLogSchema = z.object({
  type: z.enum(['attacker', 'detector', 'flow']),
  key: z.string(),
  status: z.enum(['ok', 'reused', 'failed']),
  error: z.string().optional(),
  wallSeconds: z.number(),
});
export type JobLog = z.output<typeof jobLogSchema>;

/** Whether a job's output is complete and was made for this job (checked before dispatching it). */
export function jobDone(runDir: string, job: Job): boolean {
  const dir = jobDir(runDir, job);
  if (job.type === 'attacker') return readAttackerJobFor(dir, job) !== null;
  if (job.type === 'flow') return readFlowResult(dir, job) !== null;
  return readDetectorJobMeta(dir) === jobIdentity(job);
}

/** The job identity a detector job stored in its model manifest (training.job), or null. */
export function readDetectorJobMeta(dir: string): string | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { training?: { job?: unknown } };
    return typeof m.training?.job === 'string' ? m.training.job : null;
  } catch {
    return null;
  }
}
