/**
 * Dense autoencoder anomaly detector, trained on benign windows only.
 *
 * A row is anomalous when its reconstruction error (mean squared error over columns) exceeds a
 * threshold: by default the 0.99 quantile of the benign training errors, or one chosen for max F1 on
 * a labelled validation set. Input rows are row-major Float32Array (nRows x nCols), normalised by the
 * caller. Deterministic for a fixed seed on one backend: seeded glorot init, batch order from our Rng.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { Rng } from '../shared/prng.js';
import { initTf, type LayersModel, type Tensor, type Tf } from '../nn/runtime.js';
import { buildMlp, Mlp, MlpTrainer, type Activation } from '../nn/mlp.js';
import { FAST_ACTIVATIONS } from '../nn/kernel-net.js';
import { loadLayersModelFromDir, saveLayersModel } from '../nn/io.js';

export interface AutoencoderOptions {
  /** Encoder layer sizes, last one is the bottleneck; the decoder mirrors them. Default [.75d, .5d, .25d]. */
  hidden: number[];
  activation: Activation;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Quantile of benign training errors used as the threshold after fit. */
  thresholdQuantile: number;
}

export const AUTOENCODER_META = 'autoencoder.json';
const META_VERSION = 1;
/** Rows per scoring batch: large enough to amortise per-op overhead, small enough for memory. */
const SCORE_BATCH = 4096;

export function defaultHidden(nCols: number): number[] {
  const sizes = [0.75, 0.5, 0.25].map((f) => Math.max(2, Math.ceil(nCols * f)));
  // Drop repeats for tiny inputs (e.g. d=3 gives [3,2,2] -> [3,2]).
  return sizes.filter((s, i) => i === 0 || s < (sizes[i - 1] as number));
}

function resolveOptions(nCols: number, opts: Partial<AutoencoderOptions>): AutoencoderOptions {
  const o: AutoencoderOptions = {
    hidden: opts.hidden ?? defaultHidden(nCols),
    activation: opts.activation ?? 'relu',
    epochs: opts.epochs ?? 30,
    batchSize: opts.batchSize ?? 256,
    learningRate: opts.learningRate ?? 1e-3,
    seed: opts.seed ?? 0,
    thresholdQuantile: opts.thresholdQuantile ?? 0.99,
  };
  if (o.hidden.length === 0 || o.hidden.some((h) => !Number.isInteger(h) || h <= 0)) {
    throw new CyrangeError(`autoencoder: hidden: expected positive integers, got ${JSON.stringify(o.hidden)}`);
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new CyrangeError(`autoencoder: epochs: expected an integer >= 0, got ${o.epochs}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize <= 0) throw new CyrangeError(`autoencoder: batchSize: expected a positive integer, got ${o.batchSize}`);
  if (!(o.learningRate > 0)) throw new CyrangeError(`autoencoder: learningRate: expected > 0, got ${o.learningRate}`);
  if (!(o.thresholdQuantile > 0 && o.thresholdQuantile <= 1)) {
    throw new CyrangeError(`autoencoder: thresholdQuantile: expected in (0, 1], got ${o.thresholdQuantile}`);
  }
  return o;
}

function checkMatrix(X: Float32Array, nRows: number, nCols: number): void {
  if (!Number.isInteger(nRows) || nRows < 0 || !Number.isInteger(nCols) || nCols <= 0) {
    throw new Error(`autoencoder: bad shape ${nRows} x ${nCols}`);
  }
  if (X.length !== nRows * nCols) throw new Error(`autoencoder: X has ${X.length} values, expected ${nRows} x ${nCols} = ${nRows * nCols}`);
}

/** Linear-interpolated quantile (type 7, as numpy's default) of `values`; NaNs are ignored. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).filter((v) => !Number.isNaN(v)).sort();
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export interface ThresholdChoice {
  threshold: number;
  f1: number;
  precision: number;
  recall: number;
}

/**
 * The threshold maximising F1 for the rule `score > threshold => attack` on labelled scores
 * (0 benign, 1 attack). Placed midway between the last flagged and the first unflagged score.
 */
export function maxF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdChoice {
  if (scores.length !== labels.length) throw new Error(`maxF1Threshold: ${scores.length} scores vs ${labels.length} labels`);
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  let best: ThresholdChoice = { threshold: Infinity, f1: 0, precision: 0, recall: 0 };
  if (positives === 0 || n === 0) return best;
  let tp = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k] as number;
    if (labels[i] === 1) tp++;
    const s = scores[i] as number;
    const next = k + 1 < n ? (scores[idx[k + 1] as number] as number) : -Infinity;
    if (next === s) continue; // ties: the rule flags all of them or none
    const precision = tp / (k + 1);
    const recall = tp / positives;
    const f1 = tp === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) {
      const threshold = Number.isFinite(next) ? (s + next) / 2 : s - Math.max(1e-12, Math.abs(s) * 1e-6);
      best = { threshold, f1, precision, recall };
    }
  }
  return best;
}

interface AutoencoderMeta {
  version: number;
  kind: 'autoencoder';
  nCols: number;
  options: AutoencoderOptions;
  threshold: number;
  lossHistory: number[];
  backend: string;
}

export class Autoencoder {
  readonly nCols: number;
  readonly options: AutoencoderOptions;
  /** Mean training loss (MSE) per epoch. */
  readonly lossHistory: number[];
  /** Rows scoring strictly above this are flagged. */
  threshold: number;
  private readonly tf: Tf;
  private readonly model: LayersModel;
  private readonly backend: string;

  /**
   * The same network in our wasm kernels, when its activations are ones they support (relu, tanh,
   * sigmoid, linear): training and scoring run there (scoring every host every window is the hot path
   * of an AI-MAS defence); the tfjs model is the on-disk format and gets the trained weights once.
   */
  private readonly net: Mlp | null;

  private constructor(tf: Tf, backend: string, model: LayersModel, nCols: number, options: AutoencoderOptions, lossHistory: number[], threshold: number) {
    this.tf = tf;
    this.backend = backend;
    this.model = model;
    this.nCols = nCols;
    this.options = options;
    this.lossHistory = lossHistory;
    this.threshold = threshold;
    this.net = FAST_ACTIVATIONS.includes(options.activation) ? Mlp.fromLayersModel(model) : null;
  }

  /** Trains on benign rows and sets the threshold to the `thresholdQuantile` of their errors. */
  static async fit(X: Float32Array, nRows: number, nCols: number, opts: Partial<AutoencoderOptions> = {}): Promise<Autoencoder> {
    checkMatrix(X, nRows, nCols);
    if (nRows === 0) throw new CyrangeError('autoencoder: no benign rows to train on');
    const options = resolveOptions(nCols, opts);
    const { tf, backend } = await initTf();
    const rng = new Rng(options.seed);
    const enc = options.hidden;
    const dec = enc.slice(0, -1).reverse();
    const model = buildMlp({
      inputDim: nCols,
      hidden: [...enc, ...dec],
      outputDim: nCols,
      activation: options.activation,
      outputActivation: 'linear',
      seed: rng.split('init'),
    });
    const ae = new Autoencoder(tf, backend, model, nCols, options, [], Infinity);
    ae.train(X, nRows, rng.split('batches'));
    ae.setThresholdFromBenign(ae.score(X, nRows), options.thresholdQuantile);
    return ae;
  }

  private train(X: Float32Array, nRows: number, rng: Rng): void {
    const { model, nCols } = this;
    const { epochs, batchSize, learningRate } = this.options;
    // Hand-written backward + JS Adam: same maths as tf.train.adam with minimize (tested in
    // nn.test.ts), about twice as fast on small batches because it skips tfjs's tape overhead.
    const trainer = new MlpTrainer(this.net ?? model, { learningRate });
    const order = Array.from({ length: nRows }, (_, i) => i);
    const buf = new Float32Array(Math.min(batchSize, nRows) * nCols);
    let batch = buf;
    // Mean squared error over the batch: dL/dout = 2 (out - x) / (n * d).
    const mseGrad = (out: Float32Array, grad: Float32Array): number => {
      const k = 2 / out.length;
      let l = 0;
      for (let i = 0; i < out.length; i++) {
        const e = (out[i] as number) - (batch[i] as number);
        l += e * e;
        grad[i] = k * e;
      }
      return l / out.length;
    };
    for (let epoch = 0; epoch < epochs; epoch++) {
      rng.shuffle(order);
      let total = 0;
      for (let start = 0; start < nRows; start += batchSize) {
        const n = Math.min(batchSize, nRows - start);
        for (let r = 0; r < n; r++) {
          const src = (order[start + r] as number) * nCols;
          buf.set(X.subarray(src, src + nCols), r * nCols);
        }
        batch = buf.subarray(0, n * nCols);
        total += trainer.step(batch, n, mseGrad) * n;
      }
      this.lossHistory.push(total / nRows);
    }
    // Scoring and saving read the tfjs model too: the trained weights go back once, not after every step.
    this.net?.writeTo(model);
  }

  /** Per-row mean squared reconstruction error. */
  score(X: Float32Array, nRows: number): Float32Array {
    checkMatrix(X, nRows, this.nCols);
    const { tf, model, nCols, net } = this;
    const out = new Float32Array(nRows);
    if (net) {
      for (let start = 0; start < nRows; start += SCORE_BATCH) {
        const n = Math.min(SCORE_BATCH, nRows - start);
        const x = X.subarray(start * nCols, (start + n) * nCols);
        const { out: recon, stride } = net.forwardRows(x, n);
        for (let r = 0; r < n; r++) {
          let e = 0;
          for (let j = 0; j < nCols; j++) {
            const d = (recon[r * stride + j] as number) - (x[r * nCols + j] as number);
            e += d * d;
          }
          out[start + r] = e / nCols;
        }
      }
      return out;
    }
    for (let start = 0; start < nRows; start += SCORE_BATCH) {
      const n = Math.min(SCORE_BATCH, nRows - start);
      const err = tf.tidy(() => {
        const x = tf.tensor2d(X.subarray(start * nCols, (start + n) * nCols), [n, nCols]);
        const recon = model.predictOnBatch(x) as Tensor;
        return tf.mean(tf.squaredDifference(x, recon), 1);
      });
      out.set(err.dataSync() as Float32Array, start);
      err.dispose();
    }
    return out;
  }

  /** Sets the threshold to the q-quantile of benign scores; returns it. */
  setThresholdFromBenign(scores: ArrayLike<number>, q: number = this.options.thresholdQuantile): number {
    if (!(q > 0 && q <= 1)) throw new CyrangeError(`autoencoder: thresholdQuantile: expected in (0, 1], got ${q}`);
    this.threshold = quantile(scores, q);
    return this.threshold;
  }

  /** Sets the threshold maximising F1 on labelled validation scores (0 benign, 1 attack). */
  chooseThresholdOnValidation(scores: ArrayLike<number>, labels: ArrayLike<number>): ThresholdChoice {
    const choice = maxF1Threshold(scores, labels);
    if (Number.isFinite(choice.threshold)) this.threshold = choice.threshold;
    return choice;
  }

  /** 1 where the row's score exceeds the threshold. */
  predict(X: Float32Array, nRows: number): Uint8Array {
    const s = this.score(X, nRows);
    const y = new Uint8Array(nRows);
    for (let i = 0; i < nRows; i++) y[i] = (s[i] as number) > this.threshold ? 1 : 0;
    return y;
  }

  /** Writes model.json, weights.bin and autoencoder.json into `dir`; returns the file names. */
  async save(dir: string): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const files = await saveLayersModel(this.model, dir);
    const meta: AutoencoderMeta = {
      version: META_VERSION,
      kind: 'autoencoder',
      nCols: this.nCols,
      options: this.options,
      // JSON has no Infinity: an unset threshold is stored as null.
      threshold: this.threshold,
      lossHistory: this.lossHistory,
      backend: this.backend,
    };
    await writeFile(join(dir, AUTOENCODER_META), JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    return [...files, AUTOENCODER_META];
  }

  static async load(dir: string): Promise<Autoencoder> {
    const path = join(dir, AUTOENCODER_META);
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch (e) {
      throw new CyrangeError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'read error'})`);
    }
    let meta: Partial<AutoencoderMeta>;
    try {
      meta = JSON.parse(raw) as Partial<AutoencoderMeta>;
    } catch (e) {
      throw new CyrangeError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof meta !== 'object' || meta === null || meta.kind !== 'autoencoder') throw new CyrangeError(`${path}: kind: expected "autoencoder"`);
    if (meta.version !== META_VERSION) throw new CyrangeError(`${path}: version: expected ${META_VERSION}, got ${String(meta.version)}`);
    if (!Number.isInteger(meta.nCols) || (meta.nCols as number) <= 0) throw new CyrangeError(`${path}: nCols: expected a positive integer`);
    const nCols = meta.nCols as number;
    const threshold = meta.threshold === null || meta.threshold === undefined ? Infinity : meta.threshold;
    if (typeof threshold !== 'number') throw new CyrangeError(`${path}: threshold: expected a number or null`);
    if (!Array.isArray(meta.lossHistory) || meta.lossHistory.some((v) => typeof v !== 'number' && v !== null)) {
      throw new CyrangeError(`${path}: lossHistory: expected an array of numbers`);
    }
    const options = resolveOptions(nCols, typeof meta.options === 'object' && meta.options !== null ? meta.options : {});
    const { tf, backend } = await initTf();
    const model = await loadLayersModelFromDir(dir);
    const inDim = model.inputs[0]?.shape[1];
    const outDim = model.outputs[0]?.shape[1];
    if (inDim !== nCols || outDim !== nCols) {
      model.dispose();
      throw new CyrangeError(`${join(dir, 'model.json')}: modelTopology: input/output width ${String(inDim)}/${String(outDim)} does not match nCols ${nCols} in ${AUTOENCODER_META}`);
    }
    return new Autoencoder(tf, backend, model, nCols, options, meta.lossHistory.map((v) => (v === null ? NaN : v)), threshold);
  }

  /** The network's dense layers in order: kernel (inDim x outDim, row-major), bias, activation (for export). */
  denseLayers(): { kernel: Float32Array; bias: Float32Array; inDim: number; outDim: number; activation: string }[] {
    return this.model.layers
      .filter((l) => l.getClassName() === 'Dense')
      .map((l) => {
        const [k, b] = l.getWeights();
        const cfg = l.getConfig() as { activation?: string };
        return {
          kernel: Float32Array.from(k!.dataSync() as Float32Array),
          bias: Float32Array.from(b!.dataSync() as Float32Array),
          inDim: k!.shape[0]!,
          outDim: k!.shape[1]!,
          activation: cfg.activation ?? 'linear',
        };
      });
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.model.dispose();
  }
}
