/**
 * The report of a `cyrange train` run directory: `report.html` with the training curves (`training.svg`,
 * from scalars.jsonl, format in src/train/scalars.ts), the co-training round curves (`rounds.svg`) and
 * the round records as a table. Reads run.json and rounds.jsonl as they are, without assuming more of
 * their fields than `round`: the train command owns those formats.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { readJsonLines } from '../shared/json-lines.js';
import { readScalars, SCALARS_FILE, type Scalar } from '../train/scalars.js';
import { coTrainingCurvesSvg, trainingCurvesSvg, type CurvePoint, type ScalarPoint } from './plots.js';
import { buildReportHtml, type ReportSection } from './report-html.js';
import { writeTextAtomic } from './run-format.js';
import type { Table } from './table.js';

export const TRAIN_RUN_FILE = 'run.json';
export const ROUNDS_FILE = 'rounds.jsonl';
export const TRAIN_REPORT_FILES = ['report.html', 'training.svg', 'rounds.svg'] as const;
/** Longer scalar series are drawn as this many bin means (an SVG of every gradient step would be megabytes). */
export const MAX_CURVE_POINTS = 400;
/** Round-record fields drawn as curves, when present. */
const ROUND_CURVES = ['attackerSuccess', 'meanAttackerReward', 'detectionF1', 'responseLatency', 'quietActionShare', 'gradientSteps'] as const;

const roundLine = z.looseObject({ round: z.number().int().min(0) });
export type RoundLine = z.output<typeof roundLine>;

/** Whether `dir` is a `cyrange train` run directory (it has run.json). */
export function isTrainRun(dir: string): boolean {
  return existsSync(join(dir, TRAIN_RUN_FILE));
}

function readRunJson(file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CyrangeError(`${file}: not readable JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CyrangeError(`${file}: (root): expected a JSON object`);
  return v as Record<string, unknown>;
}

/** Round records of rounds.jsonl; an unterminated last line (a torn write) is skipped, other damage is an error. */
export function readRoundLines(file: string): RoundLine[] {
  return readJsonLines(file, roundLine, { tornLastLine: true });
}

/**
 * Per scalar name, the points in step order; a series longer than `max` becomes `max` bins of
 * consecutive points, each drawn at its mean step and mean value.
 */
export function downsampleScalars(scalars: readonly Scalar[], max = MAX_CURVE_POINTS): ScalarPoint[] {
  const byName = new Map<string, Scalar[]>();
  for (const s of scalars) {
    const xs = byName.get(s.name);
    if (xs) xs.push(s);
    else byName.set(s.name, [s]);
  }
  const out: ScalarPoint[] = [];
  for (const [name, xs] of byName) {
    const sorted = [...xs].sort((a, b) => a.step - b.step || a.round - b.round);
    if (sorted.length <= max) {
      for (const s of sorted) out.push({ name, step: s.step, value: s.value });
      continue;
    }
    for (let b = 0; b < max; b++) {
      const lo = Math.floor((b * sorted.length) / max);
      const hi = Math.floor(((b + 1) * sorted.length) / max);
      let step = 0;
      let value = 0;
      for (let i = lo; i < hi; i++) {
        step += sorted[i]!.step;
        value += sorted[i]!.value;
      }
      out.push({ name, step: step / (hi - lo), value: value / (hi - lo) });
    }
  }
  return out;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The round records as one table: a column per field, in the order fields first appear. */
export function roundsTable(rounds: readonly RoundLine[]): Table {
  const keys: string[] = [];
  for (const r of rounds) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return { columns: keys.map((label) => ({ label })), rows: rounds.map((r) => keys.map((k) => cellText(r[k]))) };
}

/** Write report.html (and the figures) of a train run directory. */
export async function writeTrainReport(dir: string): Promise<{ files: string[]; rounds: number; scalars: number }> {
  const run = readRunJson(join(dir, TRAIN_RUN_FILE));
  const rounds = readRoundLines(join(dir, ROUNDS_FILE));
  const scalars = readScalars(join(dir, SCALARS_FILE));
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeTextAtomic(join(dir, name), text);
    files.push(join(dir, name));
  };
  const series = [run.attacker, run.defender].every((x) => typeof x === 'string') ? `${String(run.attacker)} vs ${String(run.defender)}` : 'run';
  const sections: ReportSection[] = [];

  if (scalars.length > 0) {
    const pts = downsampleScalars(scalars);
    const svg = await trainingCurvesSvg(pts, { title: 'Training scalars (scalars.jsonl)' });
    put('training.svg', svg);
    const names = [...new Set(scalars.map((s) => s.name))].sort();
    sections.push({ heading: 'Training curves', svg, note: `${scalars.length} scalars (${names.join(', ')}); x is the learner's own step count for each name (gradient steps for losses, episodes for returns); a series of more than ${MAX_CURVE_POINTS} points is drawn as ${MAX_CURVE_POINTS} bin means.` });
  } else {
    sections.push({ heading: 'Training curves', html: `<p>This run has no ${SCALARS_FILE} (no learning attacker, or a run from before training scalars were recorded).</p>` });
  }

  const curve: CurvePoint[] = [];
  for (const r of rounds)
    for (const k of ROUND_CURVES) {
      const v = r[k];
      if (typeof v === 'number' && Number.isFinite(v)) curve.push({ round: r.round, series, metric: k, value: v });
    }
  if (curve.length > 0) {
    const svg = await coTrainingCurvesSvg(curve, { title: 'Co-training rounds (rounds.jsonl)' });
    put('rounds.svg', svg);
    sections.push({ heading: 'Round curves', svg });
  }
  sections.push(rounds.length > 0 ? { heading: 'Round records', tables: [roundsTable(rounds)], note: `${ROUNDS_FILE}: one record per finished co-training round (its evaluation episodes are frozen).` } : { heading: 'Round records', html: '<p>No finished round yet.</p>' });

  const meta = Object.fromEntries(Object.entries(run).map(([k, v]) => [k, cellText(v)]));
  put('report.html', buildReportHtml({ title: `cyrange train: ${series}`, subtitle: 'Training curves and round records of a cyrange train run', meta, sections }));
  return { files, rounds: rounds.length, scalars: scalars.length };
}
