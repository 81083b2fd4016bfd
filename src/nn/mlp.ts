/**
 * Dense MLPs for DQN, policy gradient and the autoencoder.
 *
 * `Mlp` is a network whose weights live in a kernel arena (kernel-net.ts): forward passes, training
 * (`MlpTrainer`: hand-written backward, global-norm clip, Adam) and weight copies never touch tfjs.
 * tfjs is used for two things only: the seeded glorot-uniform initialisation (so a seed gives the same
 * starting weights as a tfjs Dense layer with that seed), and the model format on disk (`toLayersModel`
 * / `fromLayersModel` convert for nn/io.ts). `buildMlp` still builds a plain tfjs Sequential for code
 * that scores through tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../shared/prng.js';
import { FAST_ACTIVATIONS, KernelNet, type DenseLayerSpec, type FastActivation, type KLayer } from './kernel-net.js';

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

function checkDims(spec: MlpSpec): void {
  const check = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`MLP: ${name} must be a positive integer, got ${v}`);
  };
  check('inputDim', spec.inputDim);
  check('outputDim', spec.outputDim);
  spec.hidden.forEach((h, i) => check(`hidden[${i}]`, h));
}

/** Per layer: units, activation and the glorot seed (split by layer index, so one width change reseeds no other layer). */
function layerPlan(spec: MlpSpec): { units: number; activation: Activation; seed: number }[] {
  checkDims(spec);
  const rng = typeof spec.seed === 'number' ? new Rng(spec.seed) : spec.seed;
  const sizes = [...spec.hidden, spec.outputDim];
  return sizes.map((units, i) => ({
    units,
    activation: i === sizes.length - 1 ? (spec.outputActivation ?? 'linear') : (spec.activation ?? 'relu'),
    seed: rng.split(`mlp-layer-${i}`).nextU32(),
  }));
}

/**
 * A tfjs Sequential: input -> hidden[0] -> ... -> output, glorotUniform kernels (seeded), zero biases.
 * Not compiled: callers own the optimizer and loss.
 */
export function buildMlp(spec: MlpSpec): tf.Sequential {
  const model = tf.sequential();
  layerPlan(spec).forEach((l, i) => {
    model.add(
      tf.layers.dense({
        units: l.units,
        activation: l.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: l.seed }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [spec.inputDim] } : {}),
      }),
    );
  });
  return model;
}

export interface FlatWeights {
  /** All weights concatenated in tfjs getWeights() order (per layer: kernel [in x out], bias). */
  data: Float32Array;
  shapes: number[][];
}

/** Network outputs as a strided view: row i is out[i*stride .. i*stride + outDim). */
export interface StridedRows {
  out: Float32Array;
  stride: number;
}

function fastActivation(a: string, where: string): FastActivation {
  if (!FAST_ACTIVATIONS.includes(a)) throw new Error(`${where}: activation ${a} is not supported by the MLP kernels (${FAST_ACTIVATIONS.join(', ')})`);
  return a as FastActivation;
}

const sameShapes = (a: number[][], b: number[][]): boolean =>
  a.length === b.length && a.every((s, i) => s.length === b[i]!.length && s.every((d, j) => d === b[i]![j]));

/** A dense MLP whose weights live in a wasm kernel arena. */
export class Mlp {
  /** @internal The arena layout; MlpTrainer trains it in place. */
  readonly net: KernelNet;
  readonly inputDim: number;
  readonly hidden: readonly number[];
  readonly activation: FastActivation;
  readonly outputActivation: FastActivation;

  private constructor(inputDim: number, layers: DenseLayerSpec[]) {
    this.net = new KernelNet(layers);
    this.inputDim = inputDim;
    this.hidden = layers.slice(0, -1).map((l) => l.outDim);
    this.activation = layers.length > 1 ? layers[0]!.activation : 'relu';
    this.outputActivation = layers[layers.length - 1]!.activation;
  }

  /** A fresh network: the same starting weights as buildMlp(spec) (glorot uniform from tfjs's seeded initializer, zero biases). */
  static create(spec: MlpSpec): Mlp {
    const plan = layerPlan(spec);
    let inDim = spec.inputDim;
    const layers = plan.map((l) => {
      const s: DenseLayerSpec = { inDim, outDim: l.units, activation: fastActivation(l.activation, 'Mlp.create') };
      inDim = l.units;
      return s;
    });
    const mlp = new Mlp(spec.inputDim, layers);
    const data = new Float32Array(mlp.net.realParams);
    let o = 0;
    plan.forEach((l, i) => {
      const shape = [layers[i]!.inDim, l.units];
      // The call a tfjs Dense layer makes when it builds its kernel: same values for the same seed.
      const kernel = tf.initializers.glorotUniform({ seed: l.seed }).apply(shape, 'float32');
      data.set(kernel.dataSync() as Float32Array, o);
      kernel.dispose();
      o += shape[0]! * shape[1]! + l.units; // biases stay 0
    });
    mlp.net.writeBlock(data);
    return mlp;
  }

  /** A network with the layers and weights of a tfjs model of biased Dense layers (as buildMlp makes). */
  static fromLayersModel(model: tf.LayersModel): Mlp {
    const layers: DenseLayerSpec[] = [];
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const cfg = layer.getConfig() as { activation?: string; useBias?: boolean };
      const [kernel] = layer.trainableWeights;
      if (layer.getClassName() !== 'Dense' || cfg.useBias === false || kernel === undefined) {
        throw new Error(`MLP: layer ${layer.name} is ${layer.getClassName()}; only biased Dense layers are supported`);
      }
      layers.push({ inDim: kernel.shape[0] ?? 0, outDim: kernel.shape[1] ?? 0, activation: fastActivation(cfg.activation ?? 'linear', `MLP layer ${layer.name}`) });
    }
    if (layers.length === 0) throw new Error('MLP: the model has no Dense layers');
    const mlp = new Mlp(layers[0]!.inDim, layers);
    mlp.readFrom(model);
    return mlp;
  }

  get outputDim(): number {
    return this.net.outDim;
  }

  /** Trainable scalars. */
  get paramCount(): number {
    return this.net.realParams;
  }

  /** Weight shapes in getWeights() order. */
  shapes(): number[][] {
    return this.net.L.flatMap((l) => [[l.spec.inDim, l.n], [l.n]]);
  }

  /** Outputs for `rows` row-major inputs, as a fresh rows x outputDim array. */
  forward(x: Float32Array, rows: number): Float32Array {
    this.checkInput(x, rows, 'Mlp.forward');
    return this.net.forwardCopy(x, rows, 'infer');
  }

  /**
   * forward() without the copy out: a view of the network's own output buffer, valid until the next
   * forward pass on this network (for hot loops that read the outputs at once, e.g. DQN targets).
   */
  forwardRows(x: Float32Array, rows: number): StridedRows {
    this.checkInput(x, rows, 'Mlp.forwardRows');
    const net = this.net;
    const buf = net.forward(x, rows, 'infer');
    const top = net.L[net.L.length - 1] as KLayer;
    return { out: net.arena.f32(buf.h[net.L.length - 1] as number, rows * top.ld), stride: top.ld };
  }

  private checkInput(x: Float32Array, rows: number, where: string): void {
    if (x.length !== rows * this.inputDim) throw new Error(`${where}: expected ${rows} x ${this.inputDim} values, got ${x.length}`);
  }

  /** All weights, flat (a fresh, transferable copy). */
  getWeights(): FlatWeights {
    return { data: this.net.readBlock(), shapes: this.shapes() };
  }

  /** Loads flat weights (from getWeights of a same-shaped network, or a bare array of the right length). */
  setWeights(w: FlatWeights | Float32Array): void {
    if (!(w instanceof Float32Array) && !sameShapes(w.shapes, this.shapes())) {
      throw new Error(`Mlp.setWeights: weight shapes differ (${JSON.stringify(w.shapes)} vs ${JSON.stringify(this.shapes())})`);
    }
    this.net.writeBlock(w instanceof Float32Array ? w : w.data);
  }

  /** Copies every weight of `from` (e.g. a DQN target network sync). Shapes must match. */
  copyFrom(from: Mlp): void {
    this.setWeights(from.getWeights());
  }

  /** A tfjs Sequential with this network's layers and current weights (for saving; the caller disposes it). */
  toLayersModel(): tf.Sequential {
    const model = buildMlp({ inputDim: this.inputDim, hidden: this.hidden, outputDim: this.outputDim, activation: this.activation, outputActivation: this.outputActivation, seed: 0 });
    this.writeTo(model);
    return model;
  }

  /** Writes the current weights into a same-shaped tfjs model's variables. */
  writeTo(model: tf.LayersModel): void {
    const shapes = model.weights.map((w) => w.shape.map((d) => d ?? 0));
    if (!sameShapes(shapes, this.shapes())) throw new Error(`Mlp.writeTo: weight shapes differ (${JSON.stringify(shapes)} vs ${JSON.stringify(this.shapes())})`);
    const data = this.net.readBlock();
    let off = 0;
    const tensors = shapes.map((s) => {
      const n = s.reduce((a, b) => a * b, 1);
      // A copy: the cpu backend keeps the array it is given.
      const t = tf.tensor(data.slice(off, off + n), s, 'float32');
      off += n;
      return t;
    });
    try {
      model.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }

  /** Reads a same-shaped tfjs model's weights into this network. */
  readFrom(model: tf.LayersModel): void {
    const data = new Float32Array(this.net.realParams);
    let off = 0;
    for (const w of model.getWeights()) {
      const v = w.dataSync() as Float32Array;
      if (off + v.length > data.length) throw new Error('Mlp.readFrom: the model has more weights than this network');
      data.set(v, off);
      off += v.length;
    }
    this.net.writeBlock(data);
  }
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

/** What a trainer carries between steps, for checkpoints: Adam's step count and moments (getWeights() order). */
export interface AdamState {
  t: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Trains an Mlp in place: forward, hand-written backward, global-norm clip, Adam, on the wasm kernels.
 * Keeps its own Adam moments (two trainers on one network keep their own).
 *
 * Given a tfjs model instead, it trains an Mlp copy and writes the weights back into the model's
 * variables after every step, so tfjs readers (predict, save) see them; train an Mlp to skip that copy.
 */
export class MlpTrainer {
  readonly mlp: Mlp;
  private readonly mirrorOf: tf.LayersModel | null;
  private readonly net: KernelNet;
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  private readonly mOff: number;
  private readonly vOff: number;
  private t = 0;
  /** Global gradient norm of the last step (before clipping); NaN when clipping is off (not computed). */
  lastGradNorm = NaN;
  // Output / gradient arrays handed to lossGrad (reused).
  private outScratch = new Float32Array(0);
  private gradScratch = new Float32Array(0);

  constructor(target: Mlp | tf.LayersModel, opts: AdamOptions) {
    this.mirrorOf = target instanceof Mlp ? null : target;
    this.mlp = target instanceof Mlp ? target : Mlp.fromLayersModel(target);
    this.net = this.mlp.net;
    this.net.enableTraining();
    this.lr = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? tf.backend().epsilon();
    this.clipNorm = opts.clipNorm ?? Infinity;
    this.mOff = this.net.arena.alloc(this.net.paramLen);
    this.vOff = this.net.arena.alloc(this.net.paramLen);
  }

  /** Optimizer steps taken so far. */
  get iterations(): number {
    return this.t;
  }

  /**
   * One step on a batch: x is rows x inDim row-major; lossGrad turns outputs into dLoss/dOutput.
   * The arrays lossGrad receives are only valid during the call. Returns the loss it reported.
   */
  step(x: Float32Array, rows: number, lossGrad: OutputLossGrad): number {
    const net = this.net;
    if (x.length !== rows * net.inDim) throw new Error(`MlpTrainer.step: expected ${rows} x ${net.inDim} values, got ${x.length}`);
    const a = net.arena;
    const buf = net.forward(x, rows, 'train');
    const top = net.L[net.L.length - 1] as KLayer;
    const n = rows * top.n;
    const H = a.f32(buf.h[net.L.length - 1] as number, rows * top.ld);
    // Always through JS scratch arrays (a copy of rows x outDim, small next to the step): lossGrad may
    // run other forwards on this net, and growing its wasm memory would detach views handed to it.
    if (this.outScratch.length < n) {
      this.outScratch = new Float32Array(n);
      this.gradScratch = new Float32Array(n);
    }
    const out = this.outScratch.subarray(0, n);
    const grad = this.gradScratch.subarray(0, n);
    if (top.n === top.ld) out.set(H.subarray(0, n));
    else for (let r = 0; r < rows; r++) out.set(H.subarray(r * top.ld, r * top.ld + top.n), r * top.n);
    grad.fill(0);
    const loss = lossGrad(out, grad, rows);
    const D = a.f32(buf.d[net.L.length - 1] as number, rows * top.ld);
    if (top.n === top.ld) D.set(grad);
    else for (let r = 0; r < rows; r++) D.set(grad.subarray(r * top.n, (r + 1) * top.n), r * top.ld);
    net.backward(buf, rows);
    this.adam();
    net.markUpdated();
    if (this.mirrorOf !== null) this.mlp.writeTo(this.mirrorOf);
    return loss;
  }

  private adam(): void {
    const net = this.net;
    const k = net.arena.k;
    let scale = 1;
    if (Number.isFinite(this.clipNorm)) {
      const norm = Math.sqrt(k.sumsq(net.paramLen, net.gradOff * 4));
      this.lastGradNorm = norm;
      if (norm > this.clipNorm) scale = this.clipNorm / norm;
    }
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps, lr } = this;
    const ic1 = 1 / (1 - Math.pow(b1, this.t));
    const ic2 = 1 / (1 - Math.pow(b2, this.t));
    // Same update as tf.train.adam: w -= lr * m^ / (sqrt(v^) + eps), in float32 lanes.
    k.adam(net.paramLen, net.paramOff * 4, net.gradOff * 4, this.mOff * 4, this.vOff * 4, scale, b1, b2, 1 - b1, 1 - b2, lr * ic1, ic2, eps);
  }

  /** Step count and moments (copies), for a checkpoint. */
  state(): AdamState {
    return { t: this.t, m: this.net.readBlock(this.mOff), v: this.net.readBlock(this.vOff) };
  }

  /** Restores what state() returned (from a trainer of a same-shaped network). */
  setState(s: AdamState): void {
    if (!Number.isInteger(s.t) || s.t < 0) throw new Error(`MlpTrainer.setState: t must be a non-negative integer, got ${s.t}`);
    this.net.writeBlock(s.m, this.mOff);
    this.net.writeBlock(s.v, this.vOff);
    this.t = s.t;
  }
}
