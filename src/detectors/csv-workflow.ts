/**
 * Flow CSVs in and out of detectors, as `cyrange defenders train|evaluate|score` use them: loading
 * training files (with what the manifest should remember), loading evaluation files the way the model
 * reads them, and writing per-row scores.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { describeLoad, featureSchemaOf, loadFlowCsv, type FeatureSchemaLike, type FlowDataset, type LoadFlowOptions } from './datasets.js';
import type { Detector, LabelledData, SaveMeta } from './detector.js';
import type { DetectorManifest } from './manifest.js';
import type { EvaluationRows } from './evaluate.js';

export interface CsvTraining {
  data: LabelledData;
  /** What `Detector.save` should record about the files. */
  meta: Pick<SaveMeta, 'training' | 'dataSchema' | 'trainingLabels'>;
  /** Columns dropped, rows skipped, text in numeric columns: lines for the user. */
  notes: string[];
  dataset: FlowDataset;
}

/** Loads training files; the data schema makes later files load the same way. */
export async function loadTrainingCsv(paths: string[], opts: LoadFlowOptions = {}): Promise<CsvTraining> {
  const ds = await loadFlowCsv(paths, opts);
  const s = ds.summary;
  const training = {
    source: 'csv',
    format: ds.format,
    files: s.files,
    rows: ds.nRows,
    perClass: s.perClass,
    nonFiniteCells: s.nonFiniteCells,
    nonNumericCells: s.nonNumericCells,
    skippedRows: s.skippedRows,
    skippedByReason: s.skippedByReason,
    droppedColumns: s.droppedColumns,
  };
  return {
    data: { featureNames: ds.featureNames, X: ds.X, nRows: ds.nRows, y: ds.y, classNames: ds.classNames },
    meta: { training, dataSchema: featureSchemaOf(ds), trainingLabels: s.perLabel },
    notes: describeLoad(s),
    dataset: ds,
  };
}

function schemaOf(manifest: DetectorManifest, model: string): FeatureSchemaLike {
  if (!manifest.dataSchema) throw new CyrangeError(`${model}: the model was trained on range telemetry, not flow CSVs`);
  return manifest.dataSchema;
}

/** Loads evaluation files onto the model's features (multi-class when the model was trained so). */
export async function loadEvaluationCsv(manifest: DetectorManifest, model: string, paths: string[]): Promise<{ rows: EvaluationRows; notes: string[]; dataset: FlowDataset }> {
  const schema = schemaOf(manifest, model);
  const ds = await loadFlowCsv(paths, { schema, ...(schema.multiClass ? { multiClass: true } : {}) });
  return { rows: { X: ds.X, nRows: ds.nRows, y: ds.y, classNames: ds.classNames, perLabel: ds.summary.perLabel, benign: ds.benign }, notes: describeLoad(ds.summary), dataset: ds };
}

/** The shortest decimal that reads back (as float32) to the float32 value `v`. */
export function float32String(v: number): string {
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  for (let p = 6; p < 9; p++) {
    const t = v.toPrecision(p);
    if (Math.fround(Number(t)) === v) return String(Number(t));
  }
  return String(Number(v.toPrecision(9)));
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Scores every row of `paths` (labels optional) and writes `out`: the model's input features in its order,
 * exactly as fed to it (after column alignment and cleaning, before normalisation), then `score` and
 * `alert` (1 when score >= 1). Written to a temporary file renamed into place; an existing `out` is
 * replaced only with `force`.
 */
export async function scoreCsvToFile(detector: Detector, manifest: DetectorManifest, model: string, paths: string[], out: string, force: boolean): Promise<{ rows: number; alerts: number; notes: string[] }> {
  if (existsSync(out) && !force) throw new CyrangeError(`${out}: already exists (use --force to overwrite)`);
  const ds = await loadFlowCsv(paths, { schema: schemaOf(manifest, model), labels: 'optional' });
  const d = ds.nCols;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (stream.write(text)) resolve();
      else stream.once('drain', resolve);
      stream.once('error', reject);
    });
  let alerts = 0;
  try {
    await write(`${[...ds.featureNames, 'score', 'alert'].map(csvField).join(',')}\n`);
    const CHUNK = 8192;
    for (let start = 0; start < ds.nRows; start += CHUNK) {
      const n = Math.min(CHUNK, ds.nRows - start);
      const X = ds.X.subarray(start * d, (start + n) * d);
      const s = detector.score(X, n);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        const alert = s[i]! >= 1 ? 1 : 0;
        alerts += alert;
        const cells = Array.from(X.subarray(i * d, (i + 1) * d), float32String);
        lines.push(`${cells.join(',')},${float32String(s[i]!)},${alert}`);
      }
      await write(`${lines.join('\n')}\n`);
    }
    await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
    renameSync(tmp, out);
  } catch (e) {
    stream.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
  return { rows: ds.nRows, alerts, notes: describeLoad(ds.summary) };
}
