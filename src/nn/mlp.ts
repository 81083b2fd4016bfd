/**
 * Dense MLPs for DQN, policy gradient and the autoencoder, with seeded initialisation so the same
 * seed gives the same starting weights (on the same backend), plus weight copying and flat
 * Float32Array export/import for shipping weights to worker threads.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../shared/prng.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear' | 'elu' | 'selu' | 'softmax' | 'softplus';

export interface MlpSpec {
  inputDim: number;
  hidden: readonly number[];
  outputDim: number;
  /** Hidden-layer activation (default relu). */
  activation?: Activation;
  /** Output activation (default linear). */
  outputActivation?: Activation;
  /** A number (used as an Rng seed) or an Rng; each layer's glorot seed is split from it by label. */
  seed: number | Rng;
}

function checkDim(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`buildMlp: ${name} must be a positive integer, got ${v}`);
}

/**
 * Sequential model: input -> hidden[0] -> ... -> hidden[n-1] -> output, glorotUniform kernels
 * (seeded), zero biases. Not compiled: callers own the optimizer and loss.
 */
export function buildMlp(spec: MlpSpec): tf.Sequential {
  checkDim('inputDim', spec.inputDim);
  checkDim('outputDim', spec.outputDim);
  spec.hidden.forEach((h, i) => checkDim(`hidden[${i}]`, h));
  const rng = typeof spec.seed === 'number' ? new Rng(spec.seed) : spec.seed;
  const activation = spec.activation ?? 'relu';
  const sizes = [...spec.hidden, spec.outputDim];
  const model = tf.sequential();
  sizes.forEach((units, i) => {
    const last = i === sizes.length - 1;
    // Split by layer index, so changing one layer's width does not reseed the others.
    const seed = rng.split(`mlp-layer-${i}`).nextU32();
    model.add(
      tf.layers.dense({
        units,
        activation: last ? (spec.outputActivation ?? 'linear') : activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [spec.inputDim] } : {}),
      }),
    );
  });
  return model;
}

/** Shapes of a model's weights, in getWeights() order. */
export function weightShapes(model: tf.LayersModel): number[][] {
  return model.weights.map((w) => w.shape.map((d) => d ?? 0));
}

function assertSameShapes(a: number[][], b: number[][], what: string): void {
  const same = a.length === b.length && a.every((s, i) => {
    const t = b[i];
    return t !== undefined && s.length === t.length && s.every((d, j) => d === t[j]);
  });
  if (!same) throw new Error(`${what}: weight shapes differ (${JSON.stringify(a)} vs ${JSON.stringify(b)})`);
}

/** Copies every weight of `from` into `to` (e.g. DQN target network sync). Shapes must match. */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  assertSameShapes(weightShapes(from), weightShapes(to), 'copyWeights');
  // getWeights returns the live variables (not clones), so there is nothing to dispose here.
  to.setWeights(from.getWeights());
}

export interface FlatWeights {
  /** All weights concatenated in getWeights() order. Transferable (its own ArrayBuffer). */
  data: Float32Array;
  shapes: number[][];
}

/** Copies all weights into one Float32Array, e.g. to post to a worker thread. */
export function getWeightsFlat(model: tf.LayersModel): FlatWeights {
  const shapes = weightShapes(model);
  const total = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const w of model.getWeights()) {
    const v = w.dataSync() as Float32Array;
    data.set(v, off);
    off += v.length;
  }
  return { data, shapes };
}

/** Loads weights produced by getWeightsFlat (from a same-shaped model) into `model`. */
export function setWeightsFlat(model: tf.LayersModel, flat: FlatWeights | Float32Array): void {
  const shapes = weightShapes(model);
  const data = flat instanceof Float32Array ? flat : flat.data;
  if (!(flat instanceof Float32Array)) assertSameShapes(flat.shapes, shapes, 'setWeightsFlat');
  const total = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  if (data.length !== total) throw new Error(`setWeightsFlat: expected ${total} values, got ${data.length}`);
  let off = 0;
  const tensors = shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const t = tf.tensor(data.subarray(off, off + n), s, 'float32');
    off += n;
    return t;
  });
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Number of trainable scalars. */
export function paramCount(model: tf.LayersModel): number {
  return model.countParams();
}

// ---------------------------------------------------------------------------------------------
// Fast training path for dense MLPs.
//
// Why: tf.variableGrads + tf.train.adam on a 4-layer MLP issue ~200 small kernels per step, each
// with ~10-20 us of tfjs bookkeeping (tape, tidy scopes, casts, identity copies), so a DQN step on
// batch 64 spends most of its time outside the matmuls. Here the backward pass is written out
// by hand (about 6 kernels per layer, all matmuls untransposed after the wasm patch) and Adam runs
// in plain JS over Float32Arrays, then each updated weight is written back with one assign.
// Same maths as tf.train.adam (same epsilon, same bias correction); tested against it.
// ---------------------------------------------------------------------------------------------

type FastActivation = 'relu' | 'linear' | 'tanh' | 'sigmoid';
const FAST_ACTIVATIONS: readonly string[] = ['relu', 'linear', 'tanh', 'sigmoid'];

interface DenseParams {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  activation: FastActivation;
  inDim: number;
  outDim: number;
}

// Layer configs are cached per model: getConfig() is too slow to call on every forward pass.
const denseCache = new WeakMap<tf.LayersModel, DenseParams[]>();

/** Dense layers of a model built by buildMlp (or any Sequential of biased Dense layers). */
function denseParams(model: tf.LayersModel): DenseParams[] {
  const cached = denseCache.get(model);
  if (cached !== undefined) return cached;
  const out: DenseParams[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const cfg = layer.getConfig() as { activation?: string; useBias?: boolean; units?: number };
    if (layer.getClassName() !== 'Dense' || cfg.useBias === false) {
      throw new Error(`fast MLP path: layer ${layer.name} is ${layer.getClassName()}; only biased Dense layers are supported`);
    }
    const act = cfg.activation ?? 'linear';
    if (!FAST_ACTIVATIONS.includes(act)) throw new Error(`fast MLP path: activation ${act} of ${layer.name} is not supported`);
    const [kernel, bias] = layer.trainableWeights;
    if (kernel === undefined || bias === undefined) throw new Error(`fast MLP path: layer ${layer.name} has no weights`);
    out.push({ kernel, bias, activation: act as FastActivation, inDim: kernel.shape[0] ?? 0, outDim: kernel.shape[1] ?? 0 });
  }
  if (out.length === 0) throw new Error('fast MLP path: model has no Dense layers');
  denseCache.set(model, out);
  return out;
}

function applyDense(h: tf.Tensor2D, p: DenseParams): tf.Tensor2D {
  const fusable = p.activation === 'relu' || p.activation === 'linear' || p.activation === 'sigmoid';
  // Not under a gradient tape, so tf.fused.matMul really fuses matmul + bias + activation.
  const z = tf.fused.matMul({
    a: h,
    b: p.kernel.read() as tf.Tensor2D,
    bias: p.bias.read(),
    activation: (fusable ? p.activation : 'linear') as 'relu' | 'linear' | 'sigmoid',
  });
  if (fusable) return z as tf.Tensor2D;
  const a = tf.tanh(z) as tf.Tensor2D;
  z.dispose();
  return a;
}

/**
 * Forward pass of a dense MLP with raw fused ops (no tfjs-layers bookkeeping), for acting and for
 * DQN target networks. Returns a new tensor the caller disposes.
 */
export function mlpForward(model: tf.LayersModel, x: tf.Tensor2D): tf.Tensor2D {
  const layers = denseParams(model);
  return tf.tidy(() => layers.reduce((h, p) => applyDense(h, p), x));
}

/** Same as mlpForward but takes and returns row-major Float32Arrays. */
export function mlpForwardArray(model: tf.LayersModel, x: Float32Array, rows: number): Float32Array {
  const layers = denseParams(model);
  const inDim = layers[0]?.inDim ?? 0;
  if (x.length !== rows * inDim) throw new Error(`mlpForwardArray: expected ${rows} x ${inDim} values, got ${x.length}`);
  const out = tf.tidy(() => layers.reduce((h, p) => applyDense(h, p), tf.tensor2d(x, [rows, inDim])));
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Default: the backend epsilon, as tf.train.adam (1e-7 for float32 backends). */
  epsilon?: number;
  /** Clip the global gradient norm to this value (off by default). */
  clipNorm?: number;
}

/**
 * Loss gradient callback: given the network output (rows x outDim, row-major), write dLoss/dOutput
 * into `grad` (same layout, zero-filled on entry) and return the loss value (for logging).
 */
export type OutputLossGrad = (output: Float32Array, grad: Float32Array, rows: number) => number;

/**
 * Trains a dense MLP in place: forward, hand-written backward, Adam in JS. Keeps Adam moments
 * itself. Weights live in the model's variables, so the model can be saved, copied, or used with
 * model.apply between steps, and outside changes to the weights (setWeights) are picked up.
 */
export class MlpTrainer {
  readonly layers: DenseParams[];
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(model: tf.LayersModel, opts: AdamOptions) {
    this.layers = denseParams(model);
    this.lr = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? tf.backend().epsilon();
    this.clipNorm = opts.clipNorm ?? Infinity;
    this.m = [];
    this.v = [];
    for (const p of this.layers) {
      for (const n of [p.inDim * p.outDim, p.outDim]) {
        this.m.push(new Float32Array(n));
        this.v.push(new Float32Array(n));
      }
    }
  }

  /** Optimizer steps taken so far. */
  get iterations(): number {
    return this.t;
  }

  /**
   * One step on a batch: x is rows x inDim row-major; lossGrad turns outputs into dLoss/dOutput.
   * Returns the loss lossGrad reported.
   */
  step(x: Float32Array, rows: number, lossGrad: OutputLossGrad): number {
    const L = this.layers;
    const first = L[0] as DenseParams;
    const last = L[L.length - 1] as DenseParams;
    if (x.length !== rows * first.inDim) throw new Error(`MlpTrainer.step: expected ${rows} x ${first.inDim} values, got ${x.length}`);
    let loss = 0;
    // Filled inside tidy but not returned from it: tidy walks returned containers element by
    // element, which for Float32Arrays costs more than the whole step.
    const grads: Float32Array[] = new Array<Float32Array>(2 * L.length);
    tf.tidy(() => {
      // Forward, keeping each layer's input (acts[i] feeds layer i; acts[L] is the output).
      const acts: tf.Tensor2D[] = [tf.tensor2d(x, [rows, first.inDim])];
      for (const p of L) acts.push(applyDense(acts[acts.length - 1] as tf.Tensor2D, p));
      const outArr = (acts[L.length] as tf.Tensor2D).dataSync() as Float32Array;
      const gArr = new Float32Array(outArr.length);
      loss = lossGrad(outArr, gArr, rows);
      let dA: tf.Tensor2D = tf.tensor2d(gArr, [rows, last.outDim]);
      const out = grads;
      for (let i = L.length - 1; i >= 0; i--) {
        const p = L[i] as DenseParams;
        const a = acts[i + 1] as tf.Tensor2D;
        // dZ = dA * activation'(z), expressed through the activation's output a.
        let dZ: tf.Tensor2D;
        if (p.activation === 'relu') dZ = tf.mul(dA, tf.step(a));
        else if (p.activation === 'tanh') dZ = tf.mul(dA, tf.sub(1, tf.square(a)));
        else if (p.activation === 'sigmoid') dZ = tf.mul(dA, tf.mul(a, tf.sub(1, a)));
        else dZ = dA;
        const hIn = acts[i] as tf.Tensor2D;
        out[2 * i] = tf.matMul(hIn, dZ, true, false).dataSync() as Float32Array;
        out[2 * i + 1] = tf.sum(dZ, 0).dataSync() as Float32Array;
        if (i > 0) dA = tf.matMul(dZ, p.kernel.read() as tf.Tensor2D, false, true);
      }
    });
    this.adam(grads);
    return loss;
  }

  private adam(grads: Float32Array[]): void {
    let scale = 1;
    if (Number.isFinite(this.clipNorm)) {
      let sq = 0;
      for (const g of grads) for (let j = 0; j < g.length; j++) sq += (g[j] as number) * (g[j] as number);
      const norm = Math.sqrt(sq);
      if (norm > this.clipNorm) scale = this.clipNorm / norm;
    }
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps, lr } = this;
    const ic1 = 1 / (1 - Math.pow(b1, this.t));
    const ic2 = 1 / (1 - Math.pow(b2, this.t));
    const ob1 = 1 - b1;
    const ob2 = 1 - b2;
    const vars: tf.LayerVariable[] = [];
    for (const p of this.layers) vars.push(p.kernel, p.bias);
    for (let k = 0; k < vars.length; k++) {
      const lv = vars[k] as tf.LayerVariable;
      const g = grads[k] as Float32Array;
      const m = this.m[k] as Float32Array;
      const v = this.v[k] as Float32Array;
      // A fresh copy of the current value: outside writes (setWeights) are respected.
      const w = lv.read().dataSync() as Float32Array;
      for (let j = 0; j < w.length; j++) {
        const gj = (g[j] as number) * scale;
        const mj = b1 * (m[j] as number) + ob1 * gj;
        const vj = b2 * (v[j] as number) + ob2 * gj * gj;
        m[j] = mj;
        v[j] = vj;
        w[j] = (w[j] as number) - (lr * mj * ic1) / (Math.sqrt(vj * ic2) + eps);
      }
      const nt = tf.tensor(w, lv.shape.map((d) => d ?? 0), 'float32');
      // assign swaps in the new data; anything sharing the old data (a copied target net) keeps it.
      lv.write(nt);
      nt.dispose();
    }
  }
}
