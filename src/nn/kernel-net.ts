/**
 * A dense MLP laid out in one wasm linear memory (a KernelArena): weights, and for training the
 * gradients, the transposed weights of the backward pass and per-call activations and deltas, computed
 * on with the SIMD kernels of wasm-kernels.ts. The arena owns the weights: nothing is mirrored from or
 * written back to tfjs (mlp.ts converts to and from tfjs models when saving and loading).
 *
 * Why not tfjs: tf.variableGrads + tf.train.adam on a 4-layer MLP issue ~200 small kernels per step,
 * each with ~10-20 us of bookkeeping (tape, tidy scopes, casts, identity copies), XNNPACK re-packs a
 * weight matrix after every Adam step, and uploads / dataSync copies dominate; here a step never leaves
 * the arena. Same maths as tf.train.adam (same epsilon, same bias correction); tested against it.
 *
 * Layout: every layer's output width is padded to a multiple of 8 (the GEMM tile); pad columns of
 * weights, biases, activations and deltas are kept at exactly 0, so they never change a result.
 */
import { KernelArena, wasmSimdSupported } from './wasm-kernels.js';

export type FastActivation = 'relu' | 'linear' | 'tanh' | 'sigmoid';
export const FAST_ACTIVATIONS: readonly string[] = ['relu', 'linear', 'tanh', 'sigmoid'];

export interface DenseLayerSpec {
  inDim: number;
  outDim: number;
  activation: FastActivation;
}

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

export interface KLayer {
  spec: DenseLayerSpec;
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
  /** Offset of W^T ([np x ldIn]) for the backward pass (layers > 0, once training is on), else -1. */
  wt: number;
}

/** Per-call scratch: input, each layer's output, each layer's delta (train), a row of ones. */
export interface RowBuffers {
  cap: number;
  x: number;
  h: number[];
  d: number[];
  ones: number;
  /** The last forward ran the first layer on the sparse kernel (so dW of that layer will too). */
  sparseInput: boolean;
}

export type Slot = 'train' | 'infer';

export class KernelNet {
  readonly arena = new KernelArena();
  readonly L: KLayer[];
  readonly inDim: number;
  readonly paramOff: number;
  readonly paramLen: number;
  /** Gradient block (same layout as the parameters), allocated by enableTraining(). */
  gradOff = -1;
  private wtStale = true;
  private readonly slots: Record<Slot, RowBuffers | null> = { train: null, infer: null };

  constructor(layers: readonly DenseLayerSpec[]) {
    if (!wasmSimdSupported()) throw new Error('MLP kernels: this runtime has no WebAssembly SIMD');
    if (layers.length === 0) throw new Error('MLP kernels: no layers');
    this.inDim = (layers[0] as DenseLayerSpec).inDim;
    let K = this.inDim;
    let total = 0;
    const L: KLayer[] = [];
    for (const spec of layers) {
      const np = pad8(spec.outDim);
      const ld = (np / 8) % 2 === 0 ? np + 8 : np;
      L.push({ spec, K, n: spec.outDim, np, ld, w: total, b: total + K * ld, wt: -1 });
      total += K * ld + ld;
      K = np;
    }
    this.paramLen = total;
    this.paramOff = this.arena.alloc(total);
    for (const l of L) {
      l.w += this.paramOff;
      l.b += this.paramOff;
    }
    this.L = L;
  }

  get outDim(): number {
    return (this.L[this.L.length - 1] as KLayer).n;
  }

  /** Real (unpadded) parameter count. */
  get realParams(): number {
    return this.L.reduce((s, l) => s + l.spec.inDim * l.n + l.n, 0);
  }

  /** Allocates the gradient block and the transposed weights of the backward pass (once). */
  enableTraining(): void {
    if (this.gradOff >= 0) return;
    this.gradOff = this.arena.alloc(this.paramLen);
    this.L.forEach((l, i) => { if (i > 0) l.wt = this.arena.alloc(l.np * (this.L[i - 1] as KLayer).ld); });
    this.wtStale = true;
  }

  /** Marks the weights changed (an optimizer step or a write): the backward pass re-transposes. */
  markUpdated(): void {
    this.wtStale = true;
  }

  /**
   * Copies a parameter-shaped block (the weights at paramOff, or a block laid out the same way, such as
   * Adam moments) out as a flat array in tfjs getWeights() order: per layer the kernel [in x out]
   * row-major, then the bias. Pad entries are left out.
   */
  readBlock(off: number = this.paramOff): Float32Array {
    const out = new Float32Array(this.realParams);
    const shift = off - this.paramOff;
    let o = 0;
    for (const l of this.L) {
      const W = this.arena.f32(l.w + shift, l.K * l.ld);
      if (l.n === l.ld) out.set(W.subarray(0, l.spec.inDim * l.n), o);
      else for (let r = 0; r < l.spec.inDim; r++) out.set(W.subarray(r * l.ld, r * l.ld + l.n), o + r * l.n);
      o += l.spec.inDim * l.n;
      out.set(this.arena.f32(l.b + shift, l.n), o);
      o += l.n;
    }
    return out;
  }

  /** The inverse of readBlock: writes a flat array in getWeights() order into a parameter-shaped block. */
  writeBlock(data: Float32Array, off: number = this.paramOff): void {
    if (data.length !== this.realParams) throw new Error(`MLP kernels: expected ${this.realParams} values, got ${data.length}`);
    const shift = off - this.paramOff;
    let o = 0;
    for (const l of this.L) {
      const W = this.arena.f32(l.w + shift, l.K * l.ld);
      if (l.n === l.ld) W.set(data.subarray(o, o + l.spec.inDim * l.n));
      else for (let r = 0; r < l.spec.inDim; r++) W.set(data.subarray(o + r * l.n, o + (r + 1) * l.n), r * l.ld);
      o += l.spec.inDim * l.n;
      this.arena.f32(l.b + shift, l.n).set(data.subarray(o, o + l.n));
      o += l.n;
    }
    if (off === this.paramOff) this.wtStale = true;
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
      activate(H, rows, l.n, l.ld, l.spec.activation);
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
   * d[L-1]. Leaves all parameter gradients in the gradient block (enableTraining() first).
   */
  backward(buf: RowBuffers, rows: number): void {
    const a = this.arena;
    const L = this.L;
    if (this.wtStale) {
      for (let i = 1; i < L.length; i++) {
        const l = L[i] as KLayer;
        a.k.transpose(l.spec.inDim, l.n, l.w * 4, l.ld * 4, l.wt * 4, (L[i - 1] as KLayer).ld * 4);
      }
      this.wtStale = false;
    }
    const top = L[L.length - 1] as KLayer;
    const dTop = buf.d[L.length - 1] as number;
    activationGrad(a.f32(dTop, rows * top.ld), a.f32(buf.h[L.length - 1] as number, rows * top.ld), rows, top.n, top.ld, top.spec.activation);
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
      activationGrad(a.f32(pd, rows * prev.ld), a.f32(buf.h[i - 1] as number, rows * prev.ld), rows, prev.n, prev.ld, prev.spec.activation);
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
    const kReal = l.spec.inDim;
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
