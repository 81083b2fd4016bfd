/**
 * ML detectors behind one interface: a seeded train/validation split, the normaliser (features.ts), a
 * model of a registered kind (registry.ts: rf, autoencoder, ensemble, or a plugin's), validation scores
 * and a self-describing model directory (model-dir.ts, manifest.ts).
 *
 * Scores are normalised so that 1.0 is each detector's decision boundary (score >= 1 means alert); each
 * kind's file says how it scores and where its threshold comes from.
 */
import { join } from 'node:path';
import { Rng } from '../shared/prng.js';
import { CyrangeError } from '../shared/errors.js';
import { schemaError } from '../shared/schema-errors.js';
import { packageVersions, VERSION } from '../version.js';
import { scoreDetections, type DetectionScores } from '../shared/stats.js';
import { fitSchema, normalize, type FeatureSchema } from './features.js';
import { MANIFEST, readModelDir, writeModelDir } from './model-dir.js';
import { DetectorManifestSchema, MODEL_FORMAT, type DetectorManifest } from './manifest.js';
import { detectorRegistry } from './registry.js';
import type { Decision, DetectorModel, DetectorTrainOptions, SplitRows, TrainSplit } from './detector-kind.js';
import { DEFAULT_TARGET_FPR } from './thresholds.js';
import type { FeatureSchemaLike } from './datasets.js';

export type { DetectorTrainOptions } from './detector-kind.js';
export type { DetectorManifest } from './manifest.js';
export { weightedMaxF1Threshold } from './thresholds.js';

/** A registered detector kind (see registry.ts). */
export type DetectorKind = string;

/** Labelled rows: y = 0 benign, else an attack class index into classNames. */
export interface LabelledData {
  featureNames: string[];
  X: Float32Array;
  nRows: number;
  y: Int32Array;
  classNames: string[];
  /**
   * Optional row weights: rows subsampled at rate r carry weight 1/r so that thresholds and validation
   * scores reflect the true class balance (telemetry keeps a few percent of benign host-windows).
   */
  weights?: Float32Array;
}

export interface SaveMeta {
  seed: number;
  training: Record<string, unknown>;
  validation: DetectionScores;
  dataSchema?: FeatureSchemaLike;
  /** Rows per label value in the training files (CSV), for the unseen-label warning at evaluation. */
  trainingLabels?: Record<string, number>;
  tfBackend?: string;
}

/** How a detector's thresholds were set and what training found (written to the manifest). */
export interface TrainingReport {
  targetFpr: number;
  warnings: string[];
  /** Combining kinds: validation scores of each member. */
  members?: Record<string, DetectionScores>;
  decision?: Decision;
  /** Mean and standard deviation of each normalised feature over the benign training rows. */
  benignProfile?: { mean: number[]; std: number[] };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** Mean and standard deviation per column of the rows with label 0. */
function benignProfile(X: Float32Array, y: Int32Array, d: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0) continue;
    n++;
    for (let j = 0; j < d; j++) {
      const v = X[i * d + j]!;
      sum[j]! += v;
      sq[j]! += v * v;
    }
  }
  const mean = Array.from(sum, (v) => (n > 0 ? v / n : 0));
  const std = Array.from(sq, (v, j) => (n > 0 ? Math.sqrt(Math.max(0, v / n - mean[j]! ** 2)) : 0));
  return { mean, std };
}

/** A warning when a detector flags more than half of the benign validation rows. */
function floodWarning(name: string, s: DetectionScores): string[] {
  return s.fpr > 0.5 ? [`${name}: flags ${pct(s.fpr)} of the benign validation rows (more than half): it cannot tell benign traffic from attacks here`] : [];
}

export function checkTargetFpr(v: number, where = 'targetFpr'): number {
  if (!(typeof v === 'number' && v > 0 && v <= 0.5)) throw new CyrangeError(`${where}: expected a false-alarm rate in (0, 0.5], got ${String(v)}`);
  return v;
}

/** Rows `idx` of `data` (labels, weights 1 unless given). */
function takeRows(data: LabelledData, idx: number[]): SplitRows {
  const d = data.featureNames.length;
  const X = new Float32Array(idx.length * d);
  const y = new Int32Array(idx.length);
  const w = new Float32Array(idx.length);
  idx.forEach((r, i) => {
    X.set(data.X.subarray(r * d, (r + 1) * d), i * d);
    y[i] = data.y[r]!;
    w[i] = data.weights ? data.weights[r]! : 1;
  });
  return { X, nRows: idx.length, y, w };
}

export class Detector {
  private constructor(
    readonly kind: DetectorKind,
    readonly schema: FeatureSchema,
    readonly classNames: string[],
    readonly model: DetectorModel,
    readonly report: TrainingReport,
  ) {}

  get nFeatures(): number {
    return this.schema.names.length;
  }

  get thresholds(): Record<string, number> {
    return this.model.thresholds;
  }

  /** Alert scores (>= 1 means alert) for raw feature rows in schema order. */
  score(Xraw: Float32Array, nRows: number): Float32Array {
    const X = normalize(this.schema, Xraw, nRows);
    return this.model.scoreNormalized(X, nRows);
  }

  predict(Xraw: Float32Array, nRows: number): Uint8Array {
    const s = this.score(Xraw, nRows);
    return Uint8Array.from(s, (v) => (v >= 1 ? 1 : 0));
  }

  /** Whether this detector tells attack classes apart (a forest inside, more than two classes). */
  get predictsClasses(): boolean {
    return this.model.classProbabilities !== undefined && this.classNames.length > 2;
  }

  /**
   * Class per row (index into classNames): 0 where the detector does not alert, else the most probable
   * attack class. Null for detectors without class probabilities (the autoencoder).
   */
  predictClasses(Xraw: Float32Array, nRows: number): Int32Array | null {
    if (this.model.classProbabilities === undefined) return null;
    const X = normalize(this.schema, Xraw, nRows);
    const s = this.model.scoreNormalized(X, nRows);
    const p = this.model.classProbabilities(X, nRows);
    const k = this.classNames.length;
    const out = new Int32Array(nRows);
    for (let i = 0; i < nRows; i++) {
      if (!(s[i]! >= 1)) continue;
      let best = 1;
      for (let c = 2; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
      out[i] = best;
    }
    return out;
  }

  static async train(kind: DetectorKind, data: LabelledData, opts: DetectorTrainOptions = {}): Promise<{ detector: Detector; validation: DetectionScores; trainRows: number }> {
    const entry = detectorRegistry.get(kind, 'detector kind');
    const seed = opts.seed ?? 1;
    const targetFpr = checkTargetFpr(opts.targetFpr ?? DEFAULT_TARGET_FPR);
    const n = data.nRows;
    if (n < 20) throw new CyrangeError(`training data: ${n} rows is too few to train and validate a detector`);
    const attacks = data.y.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
    if (attacks === 0 && entry.needsAttacks) throw new CyrangeError(`training data: no attack rows; the ${kind} detector needs both classes`);
    if (attacks === n) throw new CyrangeError('training data: no benign rows');
    // Seeded shuffle, then a train/validation split.
    const order = new Rng(seed).split('split').shuffle(Array.from({ length: n }, (_, i) => i));
    const nVal = Math.max(1, Math.round(n * (opts.validationShare ?? 0.2)));
    const tr = takeRows(data, order.slice(nVal));
    const va = takeRows(data, order.slice(0, nVal));
    const schema = fitSchema(data.featureNames, tr.X, tr.nRows);
    const split: TrainSplit = {
      nCols: data.featureNames.length,
      classNames: data.classNames,
      train: { ...tr, X: normalize(schema, tr.X, tr.nRows) },
      validation: { ...va, X: normalize(schema, va.X, va.nRows) },
      validationAttack: Uint8Array.from(va.y, (v) => (v > 0 ? 1 : 0)),
      weighted: data.weights !== undefined,
      seed,
      targetFpr,
      opts,
    };
    const fit = await (await entry.impl()).fit(split);
    const pred = Uint8Array.from(fit.model.scoreNormalized(split.validation.X, va.nRows), (v) => (v >= 1 ? 1 : 0));
    const validation = scoreDetections(pred, split.validationAttack, data.weights ? va.w : undefined);
    const warnings = [...fit.warnings];
    for (const [name, m] of Object.entries(fit.members ?? {})) warnings.push(...floodWarning(name, m));
    warnings.push(...floodWarning(kind, validation));
    const report: TrainingReport = {
      targetFpr,
      warnings: [...new Set(warnings)],
      ...(fit.members ? { members: fit.members } : {}),
      ...(fit.decision ? { decision: fit.decision } : {}),
      benignProfile: benignProfile(split.train.X, tr.y, split.nCols),
    };
    const det = new Detector(kind, schema, [...data.classNames], fit.model, report);
    return { detector: det, validation, trainRows: tr.nRows };
  }

  /** Write the model directory (refuses a non-empty one unless `force`, and with `force` anything but a model directory). */
  async save(dir: string, meta: SaveMeta, force = false): Promise<DetectorManifest> {
    return writeModelDir(dir, force, async (tmp) => {
      await this.model.save(tmp);
      const r = this.report;
      const m: Omit<DetectorManifest, 'files'> = {
        format: MODEL_FORMAT,
        kind: this.kind,
        cyrange: VERSION,
        createdAt: new Date().toISOString(),
        seed: meta.seed,
        featureSchema: this.schema,
        ...(r.benignProfile ? { benignProfile: r.benignProfile } : {}),
        ...(meta.dataSchema ? { dataSchema: meta.dataSchema as DetectorManifest['dataSchema'] } : {}),
        classNames: this.classNames,
        ...(meta.trainingLabels ? { trainingLabels: meta.trainingLabels } : {}),
        thresholds: this.model.thresholds,
        targetFpr: r.targetFpr,
        scoreRule: this.model.scoreRule,
        training: meta.training,
        validation: meta.validation,
        ...(r.members ? { members: r.members } : {}),
        ...(r.decision ? { decision: r.decision } : {}),
        warnings: r.warnings,
        packages: packageVersions(),
        ...(meta.tfBackend ? { tfBackend: meta.tfBackend } : {}),
      };
      return m;
    });
  }

  static async load(dir: string): Promise<{ detector: Detector; manifest: DetectorManifest }> {
    const where = join(dir, MANIFEST);
    const parsed = DetectorManifestSchema.safeParse(readModelDir(dir, MODEL_FORMAT));
    if (!parsed.success) throw schemaError(where, parsed.error);
    const m = parsed.data;
    if (m.benignProfile && (m.benignProfile.mean.length !== m.featureSchema.names.length || m.benignProfile.std.length !== m.featureSchema.names.length)) {
      throw new CyrangeError(`${where}: benignProfile: expected ${m.featureSchema.names.length} numbers per statistic`);
    }
    const entry = detectorRegistry.get(m.kind, `${where}: kind`);
    const model = await (await entry.impl()).load(dir, m.thresholds, where);
    const report: TrainingReport = {
      targetFpr: m.targetFpr,
      warnings: m.warnings,
      ...(m.members ? { members: m.members as Record<string, DetectionScores> } : {}),
      ...(m.decision ? { decision: m.decision } : {}),
      ...(m.benignProfile ? { benignProfile: m.benignProfile } : {}),
    };
    return { detector: new Detector(m.kind, m.featureSchema, m.classNames, model, report), manifest: m };
  }
}
