/**
 * The run directory's on-disk format, in one place: file names, and zod schemas for `manifest.json`,
 * the lines of `cells.jsonl` and `results.json`. The runner writes these files, the report reads them.
 *
 *   manifest.json   spec + sha256, profile, plan, seeds, versions, tfjs backend, git commit, machine, sessions
 *   cells.jsonl     one line per finished cell: {"id", "status": "ok", ...CellResult} or {"id", "status": "failed", "error"}
 *   results.json    every aggregate, test and claim of the report (a pure function of cells.jsonl, the job
 *                   outputs and the plan; every number carries its n)
 * Job outputs (jobs/) have their own formats: src/train/attacker-job.ts, the detector model directory, jobs.ts.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { schemaError } from '../shared/schema-errors.js';
import { CyrangeError } from '../shared/errors.js';
import { curvePointSchema } from '../train/attacker-job.js';
import { VERDICTS } from '../shared/verdict.js';
import type { EpisodeMetrics } from '../range/metrics.js';
import type { CellBudget, CellResult } from './cell.js';
import { budgetSchema, flowValidationSchema, storedExperimentSchema, trainingSchema } from './spec.js';

export const MANIFEST_FILE = 'manifest.json';
export const CELLS_FILE = 'cells.jsonl';
export const RESULTS_FILE = 'results.json';
export const LOCK_FILE = 'run.lock';
export const REPORT_FILES = ['table.md', 'table.csv', 'units.csv', RESULTS_FILE, 'latency.svg', 'f1.svg', 'training.svg', 'report.html'] as const;
/** Files cyrange writes at the top of a run directory (with jobs/, the only ones `--force` replaces). */
export const OWN_FILES: readonly string[] = [MANIFEST_FILE, CELLS_FILE, 'jobs.jsonl', LOCK_FILE, 'cotraining.svg', ...REPORT_FILES];

const int = z.number().int();
const num = z.number();
const numOrNull = z.number().nullable();

// ---------------------------------------------------------------------------------------------
// cells.jsonl
// ---------------------------------------------------------------------------------------------

export const cellBudgetSchema = budgetSchema;

export const cellSpecSchema = z.object({
  id: z.string(),
  scenario: z.string(),
  scenarioName: z.string(),
  attacker: z.string(),
  defender: z.string(),
  seed: int,
  budget: cellBudgetSchema,
  attackerJob: z.string().nullable(),
  detectorJob: z.string().nullable(),
});

/**
 * Episode metrics as stored (EpisodeMetrics of src/range/metrics.ts, the one definition of each metric).
 * JSON has no NaN, so undefined detection ratios are stored as null. Fields the lab does not read pass
 * through unchecked.
 */
const censoredTimeSchema = z.strictObject({ time: num, event: z.boolean() });
const incidentSchema = z.looseObject({
  agent: z.string(),
  host: int,
  start: num,
  end: num,
  gained: num,
  reentry: z.boolean(),
  timeToDetect: censoredTimeSchema,
  responseLatency: censoredTimeSchema.nullable(),
  timeToContain: censoredTimeSchema,
  timeToEradicate: censoredTimeSchema,
  regained: z.boolean(),
});

export const storedEpisodeSchema = z.looseObject({
  seed: int,
  outcome: z.string(),
  duration: num,
  steps: int,
  defenderReturn: num,
  returnParts: z.strictObject({ damage: num, exfiltration: num, business: num }),
  healthyHostCost: num,
  attackerSuccess: num,
  timeToObjective: numOrNull,
  firstMaliciousAction: numOrNull,
  compromiseRate: num,
  chainLength: num,
  reentries: int,
  attackPhases: num,
  incidents: z.array(incidentSchema),
  healthyResponses: num,
  detection: z.looseObject({ rows: int, tp: num, fp: num, fn: num, tn: num, precision: numOrNull, recall: numOrNull, f1: numOrNull, fpr: numOrNull }),
});
export type StoredEpisode = z.output<typeof storedEpisodeSchema>;
// Every field of EpisodeMetrics is in the stored schema (a new field fails to compile here until it is).
const _everyField: [Exclude<keyof EpisodeMetrics, keyof typeof storedEpisodeSchema.shape>] extends [never] ? true : false = true;
void _everyField;

/** A learning cell's training (CellTraining of cell.ts, from its job's job.json; curve of src/train/attacker-job.ts). */
export const storedTrainingSchema = z.object({
  job: z.string(),
  episodes: int,
  envSteps: num,
  gradientSteps: num,
  wallSeconds: num,
  against: z.string(),
  curve: z.array(curvePointSchema),
});

export const okCellSchema = z.object({
  status: z.literal('ok'),
  id: z.string(),
  spec: cellSpecSchema,
  hosts: int,
  metrics: z.array(storedEpisodeSchema),
  training: storedTrainingSchema.nullable(),
  wallSeconds: num,
  envSteps: num,
  tfBackend: z.string().nullable(),
});
export const failedCellSchema = z.object({ status: z.literal('failed'), id: z.string(), error: z.string() });
export const cellRecordSchema = z.discriminatedUnion('status', [okCellSchema, failedCellSchema]);
export type OkCellRecord = z.output<typeof okCellSchema>;
export type CellRecord = z.output<typeof cellRecordSchema>;

/**
 * Records of a cells.jsonl file. Lines that do not parse (a torn last line after a crash) or are not
 * cell records are skipped and counted in `skipped`. An id's ok record wins over its failed ones (a
 * resumed run retries failed cells); a repeated ok record keeps the first.
 */
export function readCellsFile(path: string): { records: CellRecord[]; skipped: number } {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  let skipped = 0;
  const byId = new Map<string, CellRecord>();
  const failedOnly = new Map<string, CellRecord>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    // the last line has no newline after it when the write was torn
    if (i === lines.length - 1) {
      skipped++;
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      skipped++;
      return;
    }
    const r = cellRecordSchema.safeParse(json);
    if (!r.success) {
      skipped++;
      return;
    }
    const rec = r.data;
    if (rec.status === 'ok') {
      if (!byId.has(rec.id)) byId.set(rec.id, rec);
      failedOnly.delete(rec.id);
    } else if (!byId.has(rec.id)) failedOnly.set(rec.id, rec);
  });
  return { records: [...byId.values(), ...failedOnly.values()], skipped };
}

// ---------------------------------------------------------------------------------------------
// manifest.json
// ---------------------------------------------------------------------------------------------

/** Whether `dir` holds a manifest.json written by a cyrange run (of any format): what --force may replace. */
export function isRunDirectory(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { tool?: unknown; specSha256?: unknown };
    return m.tool === 'cyrange' && typeof m.specSha256 === 'string';
  } catch {
    return false;
  }
}

const jobCounts = z.object({ total: int, done: int, failed: int });

export const manifestSchema = z.object({
  /** 2: attackers trained once in jobs, cells evaluate frozen (issue 11); 1 had co-training per cell. */
  format: z.literal(2),
  tool: z.literal('cyrange'),
  experiment: z.string(),
  specSource: z.string(),
  specSha256: z.string().regex(/^[0-9a-f]{64}$/),
  spec: storedExperimentSchema,
  /** Plugin modules the run imported (resolved file URLs or package names); absent in older runs. */
  plugins: z.array(z.string()).default([]),
  profile: z.string().nullable(),
  plan: z.object({
    scenarios: z.array(z.string()),
    attackers: z.array(z.string()),
    defenders: z.array(z.string()),
    seeds: z.array(int),
    budget: cellBudgetSchema,
    training: trainingSchema.nullable(),
    flowValidation: flowValidationSchema.nullable(),
  }),
  scenarios: z.array(z.object({ name: z.string(), hosts: int, source: z.string() })),
  seeds: z.array(int),
  /** The flow-data directory the flow validation read (null: no flow validation in the plan). */
  flowData: z.object({ dir: z.string(), files: z.array(z.object({ name: z.string(), bytes: int })), absent: z.string().nullable() }).nullable(),
  packageVersions: z.record(z.string(), z.string()),
  tfBackend: z.string().nullable(),
  gitCommit: z.string().nullable(),
  machine: z.object({ cpu: z.string(), cores: int, totalMemoryBytes: num, platform: z.string(), arch: z.string() }),
  node: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  sessions: z.array(z.object({ startedAt: z.string(), endedAt: z.string().nullable(), workers: int, cellsRun: int, jobsRun: int, interrupted: z.boolean() })),
  cells: jobCounts,
  jobs: jobCounts,
});
export type RunManifest = z.output<typeof manifestSchema>;

/**
 * The manifest of `dir`, or null when there is none or the file is not a cyrange manifest at all.
 * A cyrange manifest that fails the schema is a one-line error naming the file and the field.
 */
export function readManifest(dir: string): RunManifest | null {
  const p = join(dir, MANIFEST_FILE);
  if (!existsSync(p)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
  if (json === null || typeof json !== 'object' || (json as { tool?: unknown }).tool !== 'cyrange') return null;
  const format = (json as { format?: unknown }).format;
  if (format === 1) throw new CyrangeError(`${p}: format 1: a run from before attackers were trained once per seed (co-training per cell); re-run it (or --force over it)`);
  const r = manifestSchema.safeParse(json);
  if (!r.success) throw schemaError(p, r.error);
  return r.data;
}

// ---------------------------------------------------------------------------------------------
// results.json
// ---------------------------------------------------------------------------------------------

const ciMethod = z.enum(['bca', 'percentile', 'none']);

/** A metric as aggregated (metric-table.ts); `range` and `horizon` use null for infinity / not applicable. */
export const metricInfoSchema = z.object({
  key: z.string(),
  label: z.string(),
  unit: z.string(),
  kind: z.enum(['mean', 'censored']),
  range: z.tuple([numOrNull, numOrNull]),
  /** Censored times: the common horizon of the restricted means (the largest time observed in the run). */
  horizon: numOrNull,
});

/** One cell's value of one metric (the unit of analysis is the seed: one cell = one seed). */
export const unitValueSchema = z.object({
  /** Episodes' mean, or for censored times the Kaplan-Meier restricted mean to the horizon. */
  value: numOrNull,
  /** Observations behind it: episodes where defined, or incidents (events and censorings). */
  n: int,
  /** Censored times only: KM median (null when S never reaches 0.5) and censored share. */
  median: numOrNull.optional(),
  censoredShare: numOrNull.optional(),
});

export const unitSchema = z.object({
  attacker: z.string(),
  scenario: z.string(),
  defender: z.string(),
  seed: int,
  episodes: int,
  values: z.record(z.string(), unitValueSchema),
});
export type Unit = z.output<typeof unitSchema>;

/** A group (attacker x scenario x defender) summarised over its seeds. */
export const summarySchema = z.object({
  /** Mean over seeds of the cells' values, with a bootstrap interval over seeds. */
  mean: numOrNull,
  ciLow: numOrNull,
  ciHigh: numOrNull,
  ciMethod,
  /** Seeds with a value. */
  n: int,
  /** Observations behind the seeds' values. */
  observations: int,
  /** Censored times: Kaplan-Meier over the group's pooled observations (a description, not a test) and its n. */
  km: z.object({ median: numOrNull, censoredShare: numOrNull, n: int }).nullable(),
});
export type Summary = z.output<typeof summarySchema>;

export const groupSchema = z.object({
  attacker: z.string(),
  scenario: z.string(),
  hosts: int,
  defender: z.string(),
  cells: z.object({ expected: int, ok: int, failed: z.array(z.string()), missing: z.array(z.string()) }),
  episodes: int,
  metrics: z.record(z.string(), summarySchema),
});
export type GroupResult = z.output<typeof groupSchema>;

const claimId = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const verdict = z.enum(VERDICTS);

/** A defence against a baseline, paired over the seeds where both have a value. */
export const comparisonSchema = z.object({
  claim: claimId,
  attacker: z.string(),
  scenario: z.string(),
  hosts: int,
  metric: z.string(),
  defender: z.string(),
  baseline: z.string(),
  /** The claimed sign of defender - baseline. */
  claimed: z.enum(['lower', 'higher']),
  /** Seed pairs. */
  n: int,
  meanDefender: numOrNull,
  meanBaseline: numOrNull,
  meanDiff: numOrNull,
  /** t interval of the mean difference. */
  ciLow: numOrNull,
  ciHigh: numOrNull,
  t: numOrNull,
  df: numOrNull,
  /** The p the verdict uses: the paired t-test's, or where the differences have no spread the exact Wilcoxon's. */
  p: numOrNull,
  test: z.enum(['paired t', 'wilcoxon', 'none']),
  /** Wilcoxon signed-rank, two-sided, beside it. */
  wilcoxonP: numOrNull,
  wilcoxonMethod: z.enum(['exact', 'permutation', 'asymptotic', 'none']),
  pHolm: numOrNull,
  verdict,
});
export type Comparison = z.output<typeof comparisonSchema>;

/** A trend over network sizes: Spearman's rho between hosts and the seeds' values. */
export const trendSchema = z.object({
  claim: claimId,
  attacker: z.string(),
  defender: z.string(),
  metric: z.string(),
  /** Seed values (sizes x seeds). */
  n: int,
  rho: numOrNull,
  p: numOrNull,
  /** Exact over all pairings (n <= 9) or the t approximation. */
  method: z.enum(['exact', 't', 'none']),
  pHolm: numOrNull,
  verdict,
  bySize: z.array(z.object({ hosts: int, mean: numOrNull, n: int })),
});
export type Trend = z.output<typeof trendSchema>;

export const claimSchema = z.object({
  id: claimId,
  attacker: z.string(),
  claim: z.string(),
  verdict,
  /** The deciding part's p and Holm p (see claims.ts). */
  p: numOrNull,
  pHolm: numOrNull,
  /** Parts (comparisons or trends) the verdict combines. */
  n: int,
  detail: z.string(),
});
export type Claim = z.output<typeof claimSchema>;

export const familySchema = z.object({ description: z.string(), size: int, alpha: num });

/** A mean over seeds with its bootstrap interval and n (seeds). */
export const overSeedsSchema = z.object({ mean: numOrNull, ciLow: numOrNull, ciHigh: numOrNull, n: int });
export type OverSeeds = z.output<typeof overSeedsSchema>;

/** The training of one learning kind on one scenario, over its seeds' jobs (the reference paper's Table 5 from the frozen curves). */
export const trainingSummarySchema = z.object({
  scenario: z.string(),
  hosts: int,
  attacker: z.string(),
  against: z.string(),
  episodes: int,
  /** Seeds whose job finished. */
  n: int,
  gradientSteps: z.object({ min: num, mean: num }),
  envSteps: num,
  /** How the frozen policy acts in evaluation (from the saved agent's hyperparameters). */
  evalMode: z.string(),
  curve: z.array(z.object({ episodes: int, successRate: overSeedsSchema, meanReward: overSeedsSchema, timeToObjective: overSeedsSchema })),
});
export type TrainingSummary = z.output<typeof trainingSummarySchema>;

/** Sanity rows: the oracle defence against flag-all and no defence on defender return, paired over seeds. */
export const sanityCheckSchema = z.object({
  attacker: z.string(),
  scenario: z.string(),
  hosts: int,
  versus: z.string(),
  n: int,
  meanOracle: numOrNull,
  meanVersus: numOrNull,
  meanDiff: numOrNull,
  /** Seeds where the oracle's return was higher. */
  wins: int,
  /** Paired t-test, two-sided (a description: the check is on the sign of the mean difference). */
  p: numOrNull,
  pass: z.boolean(),
  /** False when the check cannot say anything (vs none, against an attacker that never succeeded undefended); see sanity.ts. */
  testable: z.boolean(),
});
export const sanitySchema = z.object({
  verdict: z.enum(['ok', 'broken', 'not run']),
  detail: z.string(),
  checks: z.array(sanityCheckSchema),
});
export type Sanity = z.output<typeof sanitySchema>;

/** Detector validation on real flow data (the reference paper's Table 6). */
export const flowValidationResultSchema = z.object({
  dir: z.string(),
  /** Why nothing could be computed (no data), else null. */
  absent: z.string().nullable(),
  rows: z.array(z.object({ dataset: z.string(), kind: z.string(), seed: int, rows: int, trainRows: int, validationRows: int, accuracy: numOrNull, precision: numOrNull, recall: numOrNull, f1: numOrNull })),
  /** Jobs without a result (failed or not run). */
  missing: z.array(z.string()),
});
export type FlowValidationResult = z.output<typeof flowValidationResultSchema>;

export const resultsSchema = z.object({
  experiment: z.string(),
  profile: z.string().nullable(),
  specSha256: z.string(),
  budget: cellBudgetSchema,
  seeds: z.array(int),
  sizes: z.array(z.object({ scenario: z.string(), hosts: int })),
  attackers: z.array(z.string()),
  defenders: z.array(z.string()),
  metrics: z.array(metricInfoSchema),
  units: z.array(unitSchema),
  groups: z.array(groupSchema),
  comparisons: z.array(comparisonSchema),
  trends: z.array(trendSchema),
  family: familySchema,
  claims: z.array(claimSchema),
  failedCells: z.array(z.object({ id: z.string(), error: z.string() })),
  missingCells: z.array(z.string()),
  training: z.array(trainingSummarySchema),
  /** Learning cells whose attacker took no gradient step (a budget too small to train: never a valid result). */
  untrainedCells: z.array(z.string()),
  sanity: sanitySchema,
  flowValidation: flowValidationResultSchema.nullable(),
  /** The only run-time dependent part (excluded when comparing runs). */
  timing: z.object({ cellWallSeconds: num, envSteps: num, stepsPerSecond: numOrNull, jobWallSeconds: num }),
});
export type Results = z.output<typeof resultsSchema>;
// CellBudget (cell.ts) and the stored budget are the same shape, and a CellResult's training is a valid stored one.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _budget: Same<CellBudget, z.output<typeof cellBudgetSchema>> = true;
const _training: Same<NonNullable<CellResult['training']>, z.output<typeof storedTrainingSchema>> = true;
void _budget;
void _training;

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Write a file through a temporary name, so a reader never sees half of it. */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Pretty JSON where NaN and Infinity become null (results hold null for undefined values). */
export function stableJson(v: unknown): string {
  return `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`;
}
