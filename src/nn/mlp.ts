/**
 * Dense MLPs for DQN, policy gradient and the autoencoder, with seeded initialisation so the same
 * seed gives the same starting weights (on the same backend), plus weight copying and flat
 * Float32Array export/import for shipping weights to worker threads.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../shared/prng.js';
import { KernelArena, wasmSimdSupported } from './wasm-kernels.js';

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
// batch 64 spends most of its time outside the matmuls. Even with a hand-written backward on
// tfjs ops, XNNPACK re-packed every weight matrix after each Adam step and uploads / dataSync
// copies dominated. So the training path (and mlpForwardArray) runs on our own wasm SIMD kernels
// (wasm-kernels.ts) over a mirror of the weights in one linear memory: forward, hand-written
// backward, global-norm clip and Adam without leaving it; the tfjs variables are written lazily.
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

/**
 * Same as mlpForward but takes and returns row-major Float32Arrays. Runs on the wasm SIMD kernels
 * over a mirror of the weights that is refreshed only when a variable changes (shared with the
 * model's MlpTrainer, if any), so acting between train steps does not re-upload or re-pack weights.
 */
export function mlpForwardArray(model: tf.LayersModel, x: Float32Array, rows: number): Float32Array {
  const net = kernelNetFor(model);
  if (x.length !== rows * net.inDim) throw new Error(`mlpForwardArray: expected ${rows} x ${net.inDim} values, got ${x.length}`);
  return net.forwardCopy(x, rows, 'infer');
}

/** Network outputs as a strided view: row i is out[i*stride .. i*stride + outDim). */
export interface StridedRows {
  out: Float32Array;
  stride: number;
}

/**
 * mlpForwardArray without the copy out: a view of the net's own output buffer, valid until the
 * next forward pass on this model (for hot loops that read the outputs at once, e.g. DQN targets).
 */
export function mlpForwardRows(model: tf.LayersModel, x: Float32Array, rows: number): StridedRows {
  const net = kernelNetFor(model);
  if (x.length !== rows * net.inDim) throw new Error(`mlpForwardRows: expected ${rows} x ${net.inDim} values, got ${x.length}`);
  const buf = net.forward(x, rows, 'infer');
  const top = net.L[net.L.length - 1] as KLayer;
  return { out: net.arena.f32(buf.h[net.L.length - 1] as number, rows * top.ld), stride: top.ld };
}

// ---------------------------------------------------------------------------------------------
// Kernel mirror of a dense MLP: weights (and, for training, gradients and Adam moments) in one
// wasm linear memory, computed on with the SIMD kernels of wasm-kernels.ts.
//
// Layout: every layer's output width is padded to a multiple of 8 (the GEMM tile); pad columns of
// weights, biases, activations and deltas are kept at exactly 0, so they never change a result.
// The tfjs variables stay the source of truth between calls: each call compares the variables'
// data ids with the ones mirrored and re-reads only the ones that changed (setWeights, copyWeights).
// ---------------------------------------------------------------------------------------------

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;
/** K block of the forward GEMM (512 x 128 floats of weights = 256 KB, half an L2). */
const GEMM_KC = 512;
/**
 * First-layer inputs at most this dense go to the zero-skipping kernel: a nonzero costs an axpy
 * over the layer width (~3x a dense multiply-add per element), a zero only its test.
 */
const SPARSE_INPUT_DENSITY = 0.25;
/** The output delta counts as sparse when at most 1 in this many entries is nonzero. */
const SPARSE_DELTA_INV = 16;

interface KLayer {
  p: DenseParams;
  /** Stored input width: inDim for layer 0, the previous layer's padded width after. */
  K: number;
  n: number;
  np: number;
  /**
   * Row stride of this layer's weights, outputs and deltas: np, or np + 8 when np / 8 is even, so
   * a stride is never a multiple of 64 bytes times an even number (128 or 256 floats put every row
   * of a GEMM panel in the same few L1 sets; the 256-wide layers ran at half speed).
   */
  ld: number;
  /** Float offsets of the weights ([K x ld]) and bias ([ld]) in the arena. */
  w: number;
  b: number;
  /** Offset of W^T ([np x ldIn]) for the backward pass (train mirrors, layers > 0), else -1. */
  wt: number;
}

/** Per-call scratch: input, each layer's output, each layer's delta (train), a row of ones. */
interface RowBuffers {
  cap: number;
  x: number;
  h: number[];
  d: number[];
  ones: number;
  /** The last forward ran the first layer on the sparse kernel (so dW of that layer will too). */
  sparseInput: boolean;
}

type Slot = 'train' | 'infer';

class KernelNet {
  readonly arena = new KernelArena();
  readonly L: KLayer[];
  readonly inDim: number;
  readonly paramOff: number;
  readonly paramLen: number;
  readonly gradOff: number;
  private readonly vars: tf.LayerVariable[];
  private readonly ids: (object | null)[];
  /** The variables' own read(), bypassing the flushing wrapper installed for train mirrors. */
  private readonly reads: (() => tf.Tensor)[];
  private readonly dirty: boolean[];
  private anyDirty = false;
  private wtStale = true;
  private readonly slots: Record<Slot, RowBuffers | null> = { train: null, infer: null };

  constructor(layers: DenseParams[], readonly train: boolean) {
    if (!wasmSimdSupported()) throw new Error('fast MLP path: this runtime has no WebAssembly SIMD');
    this.inDim = (layers[0] as DenseParams).inDim;
    let K = this.inDim;
    let total = 0;
    const L: KLayer[] = [];
    for (const p of layers) {
      const np = pad8(p.outDim);
      const ld = (np / 8) % 2 === 0 ? np + 8 : np;
      L.push({ p, K, n: p.outDim, np, ld, w: total, b: total + K * ld, wt: -1 });
      total += K * ld + ld;
      K = np;
    }
    this.paramLen = total;
    this.paramOff = this.arena.alloc(total);
    for (const l of L) {
      l.w += this.paramOff;
      l.b += this.paramOff;
    }
    this.gradOff = train ? this.arena.alloc(total) : -1;
    if (train) L.forEach((l, i) => { if (i > 0) l.wt = this.arena.alloc(l.np * (L[i - 1] as KLayer).ld); });
    this.L = L;
    this.vars = [];
    for (const p of layers) this.vars.push(p.kernel, p.bias);
    this.ids = this.vars.map(() => null);
    this.dirty = this.vars.map(() => false);
    this.reads = this.vars.map((lv) => lv.read.bind(lv));
    if (train) {
      // Write-back is lazy: after a step the weights are uploaded only when something reads a
      // variable (acting through tfjs, getWeights, copyWeights, save all go through read()). An
      // upload of every weight costs ~1 ms per step on the large env, and mlpForwardArray (acting,
      // DQN targets) reads the arena directly, so in a training loop this rarely runs.
      for (let k = 0; k < this.vars.length; k++) {
        const lv = this.vars[k] as tf.LayerVariable;
        const read = this.reads[k] as () => tf.Tensor;
        lv.read = (): tf.Tensor => {
          if (this.anyDirty) this.flush();
          return read();
        };
      }
    }
  }

  get outDim(): number {
    return (this.L[this.L.length - 1] as KLayer).n;
  }

  /** Re-reads every variable whose tensor is not the one mirrored (an outside write wins). */
  sync(): void {
    for (let k = 0; k < this.vars.length; k++) {
      const v = (this.reads[k] as () => tf.Tensor)();
      if (v.dataId === this.ids[k]) continue;
      const data = v.dataSync() as Float32Array;
      const l = this.L[k >> 1] as KLayer;
      if ((k & 1) === 1) this.arena.f32(l.b, l.n).set(data);
      else if (l.n === l.ld) this.arena.f32(l.w, data.length).set(data);
      else {
        const W = this.arena.f32(l.w, l.K * l.ld);
        for (let r = 0; r < l.p.inDim; r++) W.set(data.subarray(r * l.n, (r + 1) * l.n), r * l.ld);
      }
      this.ids[k] = v.dataId;
      this.dirty[k] = false;
      this.wtStale = true;
    }
  }

  /** After an optimizer step: the arena is newer than the variables until the next flush. */
  markUpdated(): void {
    this.dirty.fill(true);
    this.anyDirty = true;
    this.wtStale = true;
  }

  /** Writes updated weights back into the tfjs variables (run lazily by the variables' read()). */
  flush(): void {
    if (!this.anyDirty) return;
    this.anyDirty = false;
    let outside = false;
    for (let k = 0; k < this.vars.length; k++) {
      if (!this.dirty[k]) continue;
      this.dirty[k] = false;
      // Written from outside since we mirrored it (LayerVariable.write, loadWeights): that write wins,
      // and sync() below takes it into the mirror.
      if ((this.reads[k] as () => tf.Tensor)().dataId !== this.ids[k]) {
        outside = true;
        continue;
      }
      const lv = this.vars[k] as tf.LayerVariable;
      const l = this.L[k >> 1] as KLayer;
      let data: Float32Array;
      // Always a copy: the cpu backend keeps the array it is given, and the arena is reused.
      if ((k & 1) === 1) data = this.arena.f32(l.b, l.n).slice();
      else if (l.n === l.ld) data = this.arena.f32(l.w, l.p.inDim * l.n).slice();
      else {
        data = new Float32Array(l.p.inDim * l.n);
        const W = this.arena.f32(l.w, l.K * l.ld);
        for (let r = 0; r < l.p.inDim; r++) data.set(W.subarray(r * l.ld, r * l.ld + l.n), r * l.n);
      }
      const nt = tf.tensor(data, lv.shape.map((d) => d ?? 0), 'float32');
      // assign swaps in the new data; anything sharing the old data (a copied target net) keeps it.
      lv.write(nt);
      nt.dispose();
      this.ids[k] = (this.reads[k] as () => tf.Tensor)().dataId;
    }
    if (outside) this.sync();
  }

  rows(slot: Slot, rows: number): RowBuffers {
    const cur = this.slots[slot];
    if (cur !== null && cur.cap >= rows) return cur;
    // Fresh (zeroed) memory at the top of the arena: pad columns start at 0. The old block is
    // abandoned; capacities double, so this happens a few times per net at most.
    const cap = Math.max(rows, cur === null ? 1 : cur.cap * 2);
    const a = this.arena;
    const train = slot === 'train';
    const buf: RowBuffers = {
      cap,
      x: a.alloc(cap * this.inDim),
      h: this.L.map((l) => a.alloc(cap * l.ld)),
      d: train ? this.L.map((l) => a.alloc(cap * l.ld)) : [],
      ones: train ? a.alloc(cap) : -1,
      sparseInput: false,
    };
    if (train) a.f32(buf.ones, cap).fill(1);
    this.slots[slot] = buf;
    return buf;
  }

  /** Forward pass into the slot's buffers; returns them (outputs in h[L-1], padded rows). */
  forward(x: Float32Array, rows: number, slot: Slot): RowBuffers {
    this.sync();
    const buf = this.rows(slot, rows);
    const a = this.arena;
    a.f32(buf.x, rows * this.inDim).set(x.subarray(0, rows * this.inDim));
    let inOff = buf.x;
    let inStride = this.inDim;
    for (let i = 0; i < this.L.length; i++) {
      const l = this.L[i] as KLayer;
      const hOff = buf.h[i] as number;
      const H = a.f32(hOff, rows * l.ld);
      const bias = a.f32(l.b, l.np);
      for (let r = 0; r < rows; r++) H.set(bias, r * l.ld);
      if (i === 0) buf.sparseInput = a.countNonzero(buf.x, rows * this.inDim) <= SPARSE_INPUT_DENSITY * rows * this.inDim;
      if (i === 0 && buf.sparseInput) {
        // Mostly-zero input (attacker observations): only nonzero inputs cost anything.
        a.k.spmmRows(rows, l.K, inOff * 4, inStride * 4, l.w * 4, l.ld * 4, hOff * 4, l.ld * 4, l.np);
      } else {
        // K in blocks: the weight panel being streamed stays in L2 for every row tile (~+20% on
        // the 1804-wide first layer).
        for (let k0 = 0; k0 < l.K; k0 += GEMM_KC) {
          const kc = Math.min(GEMM_KC, l.K - k0);
          a.k.gemm(rows, l.np, kc, (inOff + k0) * 4, inStride * 4, 4, (l.w + k0 * l.ld) * 4, l.ld * 4, hOff * 4, l.ld * 4, 1);
        }
      }
      activate(H, rows, l.n, l.ld, l.p.activation);
      inOff = hOff;
      inStride = l.ld;
    }
    return buf;
  }

  /** Forward pass returning a fresh rows x outDim array. */
  forwardCopy(x: Float32Array, rows: number, slot: Slot): Float32Array {
    const buf = this.forward(x, rows, slot);
    const l = this.L[this.L.length - 1] as KLayer;
    const H = this.arena.f32(buf.h[this.L.length - 1] as number, rows * l.ld);
    if (l.n === l.ld) return H.slice();
    const out = new Float32Array(rows * l.n);
    for (let r = 0; r < rows; r++) out.set(H.subarray(r * l.ld, r * l.ld + l.n), r * l.n);
    return out;
  }

  /**
   * Backward pass for the slot's last forward: the output delta (dLoss/dOutput) must already be in
   * d[L-1]. Leaves all parameter gradients in the gradient block.
   */
  backward(buf: RowBuffers, rows: number): void {
    const a = this.arena;
    const L = this.L;
    if (this.wtStale) {
      for (let i = 1; i < L.length; i++) {
        const l = L[i] as KLayer;
        a.k.transpose(l.p.inDim, l.n, l.w * 4, l.ld * 4, l.wt * 4, (L[i - 1] as KLayer).ld * 4);
      }
      this.wtStale = false;
    }
    const top = L[L.length - 1] as KLayer;
    const dTop = buf.d[L.length - 1] as number;
    activationGrad(a.f32(dTop, rows * top.ld), a.f32(buf.h[L.length - 1] as number, rows * top.ld), rows, top.n, top.ld, top.p.activation);
    const gOff = this.gradOff - this.paramOff;
    // A loss on few outputs (DQN: one Q-value per row) leaves the output delta almost all zeros:
    // then the top layer's dW, db and dA are a few outer products (same sums, done in JS).
    const sparseTop = a.countNonzero(dTop, rows * top.ld) * SPARSE_DELTA_INV <= rows * top.n;
    for (let i = L.length - 1; i >= 0; i--) {
      const l = L[i] as KLayer;
      const dOff = buf.d[i] as number;
      const inOff = i === 0 ? buf.x : (buf.h[i - 1] as number);
      const ldIn = i === 0 ? this.inDim : (L[i - 1] as KLayer).ld;
      if (i === L.length - 1 && sparseTop) this.sparseTopBackward(buf, rows, i);
      else {
        // dW = in^T dZ (the transposed operand is just other strides); db = ones^T dZ.
        if (i === 0 && buf.sparseInput) {
          a.f32(l.w + gOff, l.K * l.ld).fill(0);
          a.k.spmmCols(rows, l.K, inOff * 4, ldIn * 4, dOff * 4, l.ld * 4, (l.w + gOff) * 4, l.ld * 4, l.np);
        } else a.k.gemm(l.K, l.np, rows, inOff * 4, 4, ldIn * 4, dOff * 4, l.ld * 4, (l.w + gOff) * 4, l.ld * 4, 0);
        a.k.gemm(1, l.np, rows, buf.ones * 4, 0, 4, dOff * 4, l.ld * 4, (l.b + gOff) * 4, l.ld * 4, 0);
        if (i > 0) {
          // dA = dZ W^T into the previous layer's delta.
          a.k.gemm(rows, l.K, l.np, dOff * 4, l.ld * 4, 4, l.wt * 4, ldIn * 4, (buf.d[i - 1] as number) * 4, ldIn * 4, 0);
        }
      }
      if (i === 0) break;
      const prev = L[i - 1] as KLayer;
      const pd = buf.d[i - 1] as number;
      activationGrad(a.f32(pd, rows * prev.ld), a.f32(buf.h[i - 1] as number, rows * prev.ld), rows, prev.n, prev.ld, prev.p.activation);
    }
  }

  /** dW, db (and dA when i > 0) of layer i from its few nonzero deltas. */
  private sparseTopBackward(buf: RowBuffers, rows: number, i: number): void {
    const a = this.arena;
    const l = this.L[i] as KLayer;
    const gOff = this.gradOff - this.paramOff;
    const ld = l.ld;
    const ldIn = i === 0 ? this.inDim : (this.L[i - 1] as KLayer).ld;
    const D = a.f32(buf.d[i] as number, rows * ld);
    const In = a.f32(i === 0 ? buf.x : (buf.h[i - 1] as number), rows * ldIn);
    const gW = a.f32(l.w + gOff, l.K * ld).fill(0);
    const gb = a.f32(l.b + gOff, ld).fill(0);
    const W = a.f32(l.w, l.K * ld);
    const dA = i > 0 ? a.f32(buf.d[i - 1] as number, rows * ldIn).fill(0) : null;
    const kReal = l.p.inDim;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < l.n; c++) {
        const g = D[r * ld + c] as number;
        if (g === 0) continue;
        gb[c] = (gb[c] as number) + g;
        const ro = r * ldIn;
        for (let k = 0; k < kReal; k++) gW[k * ld + c] = (gW[k * ld + c] as number) + (In[ro + k] as number) * g;
        if (dA !== null) for (let k = 0; k < kReal; k++) dA[ro + k] = (dA[ro + k] as number) + g * (W[k * ld + c] as number);
      }
    }
  }
}

function activate(H: Float32Array, rows: number, n: number, ld: number, act: FastActivation): void {
  if (act === 'linear') return;
  for (let r = 0; r < rows; r++) {
    const o = r * ld;
    if (act === 'relu') {
      for (let c = o; c < o + n; c++) if (!((H[c] as number) > 0)) H[c] = 0;
    } else if (act === 'tanh') {
      for (let c = o; c < o + n; c++) H[c] = Math.tanh(H[c] as number);
    } else {
      for (let c = o; c < o + n; c++) H[c] = 1 / (1 + Math.exp(-(H[c] as number)));
    }
  }
}

/** dZ = dA * activation'(z), in place, expressed through the activation's output a. */
function activationGrad(D: Float32Array, H: Float32Array, rows: number, n: number, ld: number, act: FastActivation): void {
  if (act === 'linear') return;
  for (let r = 0; r < rows; r++) {
    const o = r * ld;
    if (act === 'relu') {
      for (let c = o; c < o + n; c++) if (!((H[c] as number) > 0)) D[c] = 0;
    } else if (act === 'tanh') {
      for (let c = o; c < o + n; c++) { const h = H[c] as number; D[c] = (D[c] as number) * (1 - h * h); }
    } else {
      for (let c = o; c < o + n; c++) { const h = H[c] as number; D[c] = (D[c] as number) * h * (1 - h); }
    }
  }
}

// A model's mirror is shared by its trainer and by mlpForwardArray, so after a train step the
// forward passes (acting, DQN targets) use the weights already in the arena.
const netCache = new WeakMap<tf.LayersModel, KernelNet>();

function kernelNetFor(model: tf.LayersModel, train = false): KernelNet {
  const cached = netCache.get(model);
  if (cached !== undefined && (cached.train || !train)) return cached;
  const net = new KernelNet(denseParams(model), train);
  netCache.set(model, net);
  return net;
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
 * Trains a dense MLP in place: forward, hand-written backward, Adam, on the wasm kernels. Keeps
 * Adam moments itself. The model's variables stay authoritative for everyone else: after a step
 * they are updated on their next read() (predict, getWeights, copyWeights, save), and outside
 * changes to the weights (setWeights) are picked up by the next step. A tf.Variable object held
 * from before a step only shows the new values after someone calls the layer variable's read().
 */
export class MlpTrainer {
  readonly layers: DenseParams[];
  private readonly net: KernelNet;
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  private readonly mOff: number;
  private readonly vOff: number;
  private t = 0;
  // Output / gradient arrays handed to lossGrad when the output width is padded (reused).
  private outScratch = new Float32Array(0);
  private gradScratch = new Float32Array(0);

  constructor(model: tf.LayersModel, opts: AdamOptions) {
    this.layers = denseParams(model);
    this.net = kernelNetFor(model, true);
    this.lr = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? tf.backend().epsilon();
    this.clipNorm = opts.clipNorm ?? Infinity;
    // Moments are per trainer (two trainers on one model keep their own, as before).
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
    return loss;
  }

  private adam(): void {
    const net = this.net;
    const k = net.arena.k;
    let scale = 1;
    if (Number.isFinite(this.clipNorm)) {
      const norm = Math.sqrt(k.sumsq(net.paramLen, net.gradOff * 4));
      if (norm > this.clipNorm) scale = this.clipNorm / norm;
    }
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps, lr } = this;
    const ic1 = 1 / (1 - Math.pow(b1, this.t));
    const ic2 = 1 / (1 - Math.pow(b2, this.t));
    // Same update as tf.train.adam: w -= lr * m^ / (sqrt(v^) + eps), in float32 lanes.
    k.adam(net.paramLen, net.paramOff * 4, net.gradOff * 4, this.mOff * 4, this.vOff * 4, scale, b1, b2, 1 - b1, 1 - b2, lr * ic1, ic2, eps);
  }
}
