/**
 * ML detectors: random forest (supervised), autoencoder (trained on benign windows only) and their
 * ensemble, behind one interface, with training, validation and a self-describing model directory.
 *
 * Scores are normalised so that 1.0 is each detector's decision boundary (score >= 1 means alert):
 *   rf:          P(attack) / t_rf, where P(attack) = 1 - P(benign) and t_rf is chosen on validation data
 *                (max F1);
 *   autoencoder: reconstruction error / t_ae, where t_ae is the max-F1 threshold on validation data
 *                (default) or a configured quantile of benign training error;
 *   ensemble:    max(P(attack) / t_rf, error / (2 t_ae)). The forest decides on the attacks it has seen;
 *                the autoencoder adds an alert only for windows twice as anomalous as its own boundary,
 *                so novel attacks are caught without the autoencoder's false positives on busy benign
 *                periods. (Documented fusion rule; the factor 2 is fixed, not tuned per scenario.)
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { Rng } from '../shared/prng.js';
import { CyrangeError } from '../shared/errors.js';
import { packageVersions, VERSION } from '../version.js';
import { scoreDetections, type DetectionScores } from '../shared/stats.js';
import { RandomForest, type RandomForestOptions } from './random-forest.js';
import { Autoencoder, quantile, type AutoencoderOptions } from './autoencoder.js';
import { checkSchema, fitSchema, normalize, type FeatureSchema } from './features.js';
import { MODEL_FORMAT, readModelDir, writeModelDir } from './model-dir.js';
import type { FeatureSchemaLike } from './datasets.js';

export const DETECTOR_KINDS = ['rf', 'autoencoder', 'ensemble'] as const;
export type DetectorKind = (typeof DETECTOR_KINDS)[number];
const ENSEMBLE_AE_FACTOR = 2;

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

export interface DetectorTrainOptions {
  seed?: number;
  /** Share of rows held out for validation (0.2). */
  validationShare?: number;
  rf?: RandomForestOptions;
  ae?: Partial<AutoencoderOptions>;
  /** Autoencoder threshold: 'validation' (max F1 on held-out rows, the default) or a benign-error quantile. */
  aeThreshold?: number | 'validation';
  /** Cap on benign rows the autoencoder trains on (20,000). */
  aeMaxRows?: number;
}

export interface DetectorManifest {
  format: number;
  kind: DetectorKind;
  cyrange: string;
  createdAt: string;
  seed: number;
  featureSchema: FeatureSchema;
  /** For models trained on CSV files: how to read later files the same way. */
  dataSchema?: FeatureSchemaLike;
  classNames: string[];
  thresholds: { rf?: number; autoencoder?: number };
  scoreRule: string;
  training: Record<string, unknown>;
  validation: DetectionScores;
  packages: Record<string, string>;
  tfBackend?: string;
}

export class Detector {
  private constructor(
    readonly kind: DetectorKind,
    readonly schema: FeatureSchema,
    readonly classNames: string[],
    readonly rf: RandomForest | null,
    readonly ae: Autoencoder | null,
    public thresholds: { rf?: number; autoencoder?: number },
  ) {}

  get nFeatures(): number {
    return this.schema.names.length;
  }

  /** Alert scores (>= 1 means alert) for raw feature rows in schema order. */
  score(Xraw: Float32Array, nRows: number): Float32Array {
    const X = normalize(this.schema, Xraw, nRows);
    return this.scoreNormalized(X, nRows);
  }

  private scoreNormalized(X: Float32Array, nRows: number): Float32Array {
    const out = new Float32Array(nRows);
    if (this.rf) {
      const p = this.rf.predictProba(X, nRows);
      const k = this.classNames.length;
      const t = this.thresholds.rf ?? 0.5;
      for (let i = 0; i < nRows; i++) out[i] = (1 - p[i * k]!) / t;
    }
    if (this.ae) {
      const e = this.ae.score(X, nRows);
      const t = this.thresholds.autoencoder ?? Infinity;
      const f = this.kind === 'ensemble' ? ENSEMBLE_AE_FACTOR : 1;
      for (let i = 0; i < nRows; i++) out[i] = Math.max(out[i]!, e[i]! / (t * f));
    }
    return out;
  }

  predict(Xraw: Float32Array, nRows: number): Uint8Array {
    const s = this.score(Xraw, nRows);
    return Uint8Array.from(s, (v) => (v >= 1 ? 1 : 0));
  }

  static async train(kind: DetectorKind, data: LabelledData, opts: DetectorTrainOptions = {}): Promise<{ detector: Detector; validation: DetectionScores; trainRows: number }> {
    const seed = opts.seed ?? 1;
    const d = data.featureNames.length;
    const n = data.nRows;
    if (n < 20) throw new CyrangeError(`training data: ${n} rows is too few to train and validate a detector`);
    const attacks = data.y.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
    if (attacks === 0 && kind !== 'autoencoder') throw new CyrangeError('training data: no attack rows; the random forest needs both classes');
    if (attacks === n) throw new CyrangeError('training data: no benign rows');
    // Seeded shuffle, then a train/validation split.
    const order = new Rng(seed).split('split').shuffle(Array.from({ length: n }, (_, i) => i));
    const nVal = Math.max(1, Math.round(n * (opts.validationShare ?? 0.2)));
    const valIdx = order.slice(0, nVal);
    const trIdx = order.slice(nVal);
    const take = (idx: number[]): { X: Float32Array; y: Int32Array; w: Float32Array } => {
      const X = new Float32Array(idx.length * d);
      const y = new Int32Array(idx.length);
      const w = new Float32Array(idx.length);
      idx.forEach((r, i) => {
        X.set(data.X.subarray(r * d, (r + 1) * d), i * d);
        y[i] = data.y[r]!;
        w[i] = data.weights ? data.weights[r]! : 1;
      });
      return { X, y, w };
    };
    const tr = take(trIdx);
    const va = take(valIdx);
    const schema = fitSchema(data.featureNames, tr.X, trIdx.length);
    const Xtr = normalize(schema, tr.X, trIdx.length);
    const Xva = normalize(schema, va.X, valIdx.length);
    const yvaBin = Uint8Array.from(va.y, (v) => (v > 0 ? 1 : 0));
    let rf: RandomForest | null = null;
    let ae: Autoencoder | null = null;
    const thresholds: { rf?: number; autoencoder?: number } = {};
    if (kind === 'rf' || kind === 'ensemble') {
      // With subsampled benign rows, weight classes back to their true shares (mean row weight per class).
      const classWeight = data.weights ? classMeanWeights(tr.y, tr.w, data.classNames.length) : 'balanced';
      rf = await RandomForest.fit(Xtr, trIdx.length, d, tr.y, data.classNames.length, { nTrees: 50, maxDepth: 14, classWeight, seed, workers: 2, ...opts.rf });
      const p = rf.predictProba(Xva, valIdx.length);
      const k = data.classNames.length;
      const pa = Float32Array.from({ length: valIdx.length }, (_, i) => 1 - p[i * k]!);
      const t = weightedMaxF1Threshold(pa, yvaBin, va.w);
      thresholds.rf = Number.isFinite(t) ? Math.min(0.95, Math.max(0.05, t)) : 0.5;
    }
    if (kind === 'autoencoder' || kind === 'ensemble') {
      const benign = trIdx.map((_, i) => i).filter((i) => tr.y[i] === 0);
      const cap = opts.aeMaxRows ?? 20000;
      const pick = benign.length > cap ? new Rng(seed).split('ae-rows').shuffle([...benign]).slice(0, cap) : benign;
      const Xb = new Float32Array(pick.length * d);
      pick.forEach((r, i) => Xb.set(Xtr.subarray(r * d, (r + 1) * d), i * d));
      ae = await Autoencoder.fit(Xb, pick.length, d, { epochs: 15, seed, ...opts.ae });
      const mode = opts.aeThreshold ?? 'validation';
      if (mode === 'validation') {
        const t = weightedMaxF1Threshold(ae.score(Xva, valIdx.length), yvaBin, va.w);
        thresholds.autoencoder = Number.isFinite(t) && t > 0 ? t : quantile(ae.score(Xb, pick.length), 0.995);
      } else thresholds.autoencoder = quantile(ae.score(Xb, pick.length), mode);
      ae.threshold = thresholds.autoencoder;
    }
    const det = new Detector(kind, schema, [...data.classNames], rf, ae, thresholds);
    const pred = Uint8Array.from(det.scoreNormalized(Xva, valIdx.length), (v) => (v >= 1 ? 1 : 0));
    return { detector: det, validation: scoreDetections(pred, yvaBin, data.weights ? va.w : undefined), trainRows: trIdx.length };
  }

  /** Write the model directory (refuses to replace a non-empty one unless `force`). */
  async save(dir: string, meta: { seed: number; training: Record<string, unknown>; validation: DetectionScores; dataSchema?: FeatureSchemaLike; tfBackend?: string }, force = false): Promise<DetectorManifest> {
    return writeModelDir(dir, force, async (tmp) => {
      if (this.rf) writeFileSync(join(tmp, 'forest.json'), JSON.stringify(this.rf.toJSON()));
      if (this.ae) await this.ae.save(tmp);
      const m: Omit<DetectorManifest, 'files'> = {
        format: MODEL_FORMAT,
        kind: this.kind,
        cyrange: VERSION,
        createdAt: new Date().toISOString(),
        seed: meta.seed,
        featureSchema: this.schema,
        ...(meta.dataSchema ? { dataSchema: meta.dataSchema } : {}),
        classNames: this.classNames,
        thresholds: this.thresholds,
        scoreRule: SCORE_RULES[this.kind],
        training: meta.training,
        validation: meta.validation,
        packages: packageVersions(),
        ...(meta.tfBackend ? { tfBackend: meta.tfBackend } : {}),
      };
      return m;
    });
  }

  static async load(dir: string): Promise<{ detector: Detector; manifest: DetectorManifest }> {
    const m = readModelDir(dir, DETECTOR_KINDS) as unknown as DetectorManifest;
    const where = join(dir, 'manifest.json');
    const schema = checkSchema(m.featureSchema, `${where}: featureSchema`);
    if (!Array.isArray(m.classNames) || m.classNames.length < 2 || !m.classNames.every((c) => typeof c === 'string')) throw new CyrangeError(`${where}: classNames: expected at least two class names`);
    const th = m.thresholds ?? {};
    let rf: RandomForest | null = null;
    let ae: Autoencoder | null = null;
    if (m.kind === 'rf' || m.kind === 'ensemble') {
      const f = join(dir, 'forest.json');
      if (typeof th.rf !== 'number' || !(th.rf > 0 && th.rf <= 1)) throw new CyrangeError(`${where}: thresholds.rf: expected a probability in (0, 1]`);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(f, 'utf8'));
      } catch (e) {
        throw new CyrangeError(`${f}: cannot read the forest (${(e as Error).message.split('\n')[0]})`);
      }
      rf = RandomForest.fromJSON(json, f);
    }
    if (m.kind === 'autoencoder' || m.kind === 'ensemble') {
      if (typeof th.autoencoder !== 'number' || !(th.autoencoder > 0)) throw new CyrangeError(`${where}: thresholds.autoencoder: expected a positive number`);
      ae = await Autoencoder.load(dir);
      ae.threshold = th.autoencoder;
    }
    return { detector: new Detector(m.kind, schema, m.classNames, rf, ae, th), manifest: m };
  }
}

function classMeanWeights(y: Int32Array, w: Float32Array, k: number): number[] {
  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
  for (let i = 0; i < y.length; i++) {
    sum[y[i]!]! += w[i]!;
    cnt[y[i]!]!++;
  }
  return Array.from(sum, (s, c) => (cnt[c]! > 0 ? s / cnt[c]! : 1));
}

/** Threshold maximising weighted F1 for `score >= t`, midway between neighbouring scores. */
export function weightedMaxF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let pos = 0;
  for (let i = 0; i < n; i++) if (labels[i]! > 0) pos += weights ? weights[i]! : 1;
  if (pos === 0) return Infinity;
  let tp = 0;
  let flagged = 0;
  let best = -1;
  let bestT = Infinity;
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    const w = weights ? weights[i]! : 1;
    flagged += w;
    if (labels[i]! > 0) tp += w;
    const s = scores[i]!;
    const next = k + 1 < n ? scores[idx[k + 1]!]! : -Infinity;
    if (next === s) continue;
    const f1 = (2 * tp) / (flagged + pos);
    if (f1 > best) {
      best = f1;
      bestT = Number.isFinite(next) ? (s + next) / 2 : s;
    }
  }
  return bestT;
}

const SCORE_RULES: Record<DetectorKind, string> = {
  rf: 'alert when (1 - P(benign)) / thresholds.rf >= 1',
  autoencoder: 'alert when reconstruction MSE / thresholds.autoencoder >= 1',
  ensemble: `alert when max((1 - P(benign)) / thresholds.rf, MSE / (${ENSEMBLE_AE_FACTOR} * thresholds.autoencoder)) >= 1`,
};
