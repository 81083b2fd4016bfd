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
import type { DetectorModel, DetectorTrainOptions, SplitRows, TrainSplit } from './detector-kind.js';
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
  tfBackend?: string;
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

  static async train(kind: DetectorKind, data: LabelledData, opts: DetectorTrainOptions = {}): Promise<{ detector: Detector; validation: DetectionScores; trainRows: number }> {
    const entry = detectorRegistry.get(kind, 'detector kind');
    const seed = opts.seed ?? 1;
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
      opts,
    };
    const model = await (await entry.impl()).fit(split);
    const det = new Detector(kind, schema, [...data.classNames], model);
    const pred = Uint8Array.from(model.scoreNormalized(split.validation.X, va.nRows), (v) => (v >= 1 ? 1 : 0));
    return { detector: det, validation: scoreDetections(pred, split.validationAttack, data.weights ? va.w : undefined), trainRows: tr.nRows };
  }

  /** Write the model directory (refuses to replace a non-empty one unless `force`). */
  async save(dir: string, meta: SaveMeta, force = false): Promise<DetectorManifest> {
    return writeModelDir(dir, force, async (tmp) => {
      await this.model.save(tmp);
      const m: Omit<DetectorManifest, 'files'> = {
        format: MODEL_FORMAT,
        kind: this.kind,
        cyrange: VERSION,
        createdAt: new Date().toISOString(),
        seed: meta.seed,
        featureSchema: this.schema,
        ...(meta.dataSchema ? { dataSchema: meta.dataSchema as DetectorManifest['dataSchema'] } : {}),
        classNames: this.classNames,
        thresholds: this.model.thresholds,
        scoreRule: this.model.scoreRule,
        training: meta.training,
        validation: meta.validation,
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
    const entry = detectorRegistry.get(m.kind, `${where}: kind`);
    const model = await (await entry.impl()).load(dir, m.thresholds, where);
    return { detector: new Detector(m.kind, m.featureSchema, m.classNames, model), manifest: m };
  }
}
