/**
 * Runs one prerequisite job (jobs.ts) in whatever thread calls it (the runner calls it on its worker
 * pool). Each job clears its directory first, so an unfinished earlier attempt never mixes in; its
 * last write is the file that marks it done (job.json, the detector's manifest.json, result.json).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../range/presets.js';
import { Detector } from '../detectors/detector.js';
import { collectTelemetry } from '../train/collect.js';
import { trainAttackerJob } from '../train/attacker-job.js';
import { FLOW_RESULT_FILE, jobDir, jobIdentity, type AttackerJob, type DetectorJob, type FlowJob, type FlowResult, type Job } from './jobs.js';

export interface JobOutcome {
  type: Job['type'];
  key: string;
  wallSeconds: number;
  /** One line for the progress display. */
  summary: string;
}

async function attackerJob(job: AttackerJob, dir: string): Promise<string> {
  const t = job.training;
  const r = await trainAttackerJob(
    { scenario: job.scenario, kind: job.kind, seed: job.seed, episodes: t.episodes, against: t.against, curveEvery: t.curveEvery, curveEpisodes: t.curveEpisodes, ...(t.hyperparameters ? { hyperparameters: t.hyperparameters } : {}) },
    dir,
  );
  const last = r.curve[r.curve.length - 1];
  return `${r.episodes} episodes, ${r.gradientSteps} gradient steps${last ? `, frozen success ${last.successRate.toFixed(2)}` : ''}`;
}

async function detectorJob(job: DetectorJob, dir: string): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  const data = collectTelemetry(loadScenario(job.scenario), { episodes: job.episodes, seed: job.seed });
  const { detector, validation, trainRows } = await Detector.train(job.kind, data, { seed: job.seed, rf: { nTrees: job.rfTrees, workers: 1 }, ae: { epochs: job.aeEpochs } });
  await detector.save(dir, { seed: job.seed, training: { source: 'env', scenario: job.scenarioName, episodes: job.episodes, rows: data.nRows, trainRows, job: jobIdentity(job) }, validation }, true);
  return `${data.nRows} telemetry rows, validation F1 ${validation.f1.toFixed(3)}`;
}

async function flowJob(job: FlowJob, dir: string): Promise<string> {
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  const { loadFlowCsv } = await import('../detectors/datasets.js');
  const ds = await loadFlowCsv([job.file], job.maxRows !== undefined ? { maxRows: job.maxRows } : {});
  const { validation: v, trainRows } = await Detector.train(job.kind, ds, {
    seed: job.seed,
    rf: { workers: 1, ...(job.rfTrees !== undefined ? { nTrees: job.rfTrees } : {}) },
    ...(job.aeEpochs !== undefined ? { ae: { epochs: job.aeEpochs } } : {}),
  });
  const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const result: FlowResult = {
    job: jobIdentity(job),
    dataset: job.dataset,
    kind: job.kind,
    seed: job.seed,
    rows: ds.nRows,
    trainRows,
    perClass: ds.summary.perClass,
    validation: { rows: v.rows, tp: v.tp, fp: v.fp, fn: v.fn, tn: v.tn, precision: fin(v.precision), recall: fin(v.recall), f1: fin(v.f1), fpr: fin(v.fpr), accuracy: v.tp + v.fp + v.fn + v.tn > 0 ? (v.tp + v.tn) / (v.tp + v.fp + v.fn + v.tn) : null },
    wallSeconds: (performance.now() - t0) / 1000,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, FLOW_RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
  return `${ds.nRows} rows, validation F1 ${v.f1.toFixed(3)}`;
}

export async function runJob(job: Job, runDir: string): Promise<JobOutcome> {
  const t0 = performance.now();
  const dir = jobDir(runDir, job);
  const summary = job.type === 'attacker' ? await attackerJob(job, dir) : job.type === 'detector' ? await detectorJob(job, dir) : await flowJob(job, dir);
  return { type: job.type, key: job.key, wallSeconds: (performance.now() - t0) / 1000, summary };
}
