/**
 * Hand-assembled WebAssembly SIMD kernels for the MLP training path: a strided GEMM, an Adam step
 * and a sum of squares. No toolchain: the module bytes are emitted below from a small opcode table.
 *
 * Why: through tfjs, a DQN train step on the large env spent most of its time outside arithmetic
 * (XNNPACK re-packs a weight matrix every time its tensor changes, i.e. after every Adam step;
 * transposes, uploads, dataSync copies, kernel dispatch) and ran Adam in scalar JS. These kernels
 * work in place on one linear memory that holds weights, gradients, moments and activations, so a
 * step has no copies except the final write-back of the weights to the tfjs variables.
 *
 * GEMM: C[i, j] (+)= sum_k A[i*sai + k*sak] * B[k*ldb + j], all strides in bytes. A is read one
 * scalar at a time (broadcast), so any A layout works (a transposed operand is just other strides);
 * B and C rows must hold a multiple of 8 floats (callers pad columns with zeros). 4x8 register tile
 * (8 f32x4 accumulators), plus a 1-row tail. Adam and the gradient norm are f32x4 loops; the
 * weight transpose for the backward pass is a scalar loop (still ~5x faster than the JS one).
 */

// ------------------------------------------------------------------------------ tiny assembler

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Instruction helpers: each returns its bytes. Memory offsets are immediates (memarg). */
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  eqz: [0x45],
  geS: [0x4e],
  gtS: [0x4a],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  f64add: [0xa0],
  // SIMD (0xfd prefix)
  vload: (off = 0) => [0xfd, ...uleb(0x00), 2, ...uleb(off)],
  vsplat32: (off = 0) => [0xfd, ...uleb(0x09), 2, ...uleb(off)],
  vstore: (off = 0) => [0xfd, ...uleb(0x0b), 2, ...uleb(off)],
  vzero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4splat: [0xfd, ...uleb(0x13)],
  f32x4sqrt: [0xfd, ...uleb(0xe3)],
  f32x4add: [0xfd, ...uleb(0xe4)],
  f32x4sub: [0xfd, ...uleb(0xe5)],
  f32x4mul: [0xfd, ...uleb(0xe6)],
  f32x4div: [0xfd, ...uleb(0xe7)],
  f64x2promoteLow: [0xfd, ...uleb(0x5f)],
  f64x2add: [0xfd, ...uleb(0xf0)],
  f64x2mul: [0xfd, ...uleb(0xf2)],
  f64x2lane: (l: number) => [0xfd, ...uleb(0x21), l],
  // Moves lanes 2,3 of the first operand into lanes 0,1.
  shuffleHigh: [0xfd, ...uleb(0x0d), 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
};

interface Func {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  body: number[];
}

function moduleBytes(funcs: Func[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  const imports = vec([[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]]);
  const fnSec = vec(funcs.map((_, i) => uleb(i)));
  const exports = vec(funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]));
  const codes = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, fnSec),
    ...section(7, exports),
    ...section(10, vec(codes)),
  ]);
}

// ------------------------------------------------------------------------------ kernels

/** A function body under construction and `e`, which appends instruction byte runs to it. */
function emitter(): { body: number[]; e: (...xs: number[][]) => void } {
  const body: number[] = [];
  return { body, e: (...xs) => { for (const x of xs) body.push(...x); } };
}

/**
 * gemm(M, N, K, A, sai, sak, B, ldb, C, ldc, accumulate), R-row x 8-column register tiles.
 * Measured (best of 10, 2-core EPYC, Node 20): R = 4 ~30 GFLOP/s on the DQN shapes; R = 6 and a
 * 2x unrolled k loop were both slower (V8 spills the extra accumulators / registers).
 */
function gemmFunc(R: number): Func {
  // params
  const M = 0, N = 1, K = 2, A = 3, SAI = 4, SAK = 5, B = 6, LDB = 7, C = 8, LDC = 9, ACC = 10;
  // i32 locals: i, j, k, pa, pb, then R row pointers into C, then sai*r for r = 2..R-1
  const i = 11, j = 12, k = 13, pa = 14, pb = 15;
  const pc = Array.from({ length: R }, (_, r) => 16 + r);
  const saiR = Array.from({ length: R }, (_, r) => (r < 2 ? -1 : 16 + R + r - 2));
  const nI32 = 5 + R + Math.max(0, R - 2);
  const v0 = 11 + nI32;
  // v128 locals: 2R accumulators, b0, b1, av
  const c = Array.from({ length: 2 * R }, (_, x) => v0 + x);
  const b0 = v0 + 2 * R, b1 = b0 + 1, av = b0 + 2;
  const locals = [...new Array<number>(nI32).fill(I32), ...new Array<number>(2 * R + 3).fill(V128)];
  const { body, e } = emitter();
  for (let r = 2; r < R; r++) e(op.get(SAI), op.i32(r), op.mul, op.set(saiR[r] as number));

  /** Emits a row-tile loop over j for `rows` rows starting at row i. */
  const tile = (rows: number): void => {
    const nacc = rows * 2;
    e(op.i32(0), op.set(j));
    e(op.block, op.loop);
    e(op.get(j), op.get(N), op.geS, op.brIf(1));
    // pc[0] = C + i*ldc + j*4, pc[r] = pc[r-1] + ldc
    e(op.get(C), op.get(i), op.get(LDC), op.mul, op.add, op.get(j), op.i32(4), op.mul, op.add, op.set(pc[0] as number));
    for (let r = 1; r < rows; r++) e(op.get(pc[r - 1] as number), op.get(LDC), op.add, op.set(pc[r] as number));
    // accumulators: C's values or zero
    e(op.get(ACC), op.if);
    for (let x = 0; x < nacc; x++) e(op.get(pc[x >> 1] as number), op.vload((x & 1) * 16), op.set(c[x] as number));
    e(op.else);
    for (let x = 0; x < nacc; x++) e(op.vzero, op.set(c[x] as number));
    e(op.end);
    // pa = A + i*sai; pb = B + j*4; k = K
    e(op.get(A), op.get(i), op.get(SAI), op.mul, op.add, op.set(pa));
    e(op.get(B), op.get(j), op.i32(4), op.mul, op.add, op.set(pb));
    e(op.get(K), op.set(k));
    const kStep = (): void => {
      e(op.get(pb), op.vload(0), op.set(b0), op.get(pb), op.vload(16), op.set(b1));
      for (let r = 0; r < rows; r++) {
        if (r === 0) e(op.get(pa));
        else if (r === 1) e(op.get(pa), op.get(SAI), op.add);
        else e(op.get(pa), op.get(saiR[r] as number), op.add);
        e(op.vsplat32(0), op.set(av));
        for (let h = 0; h < 2; h++) {
          const ci = c[2 * r + h] as number;
          e(op.get(ci), op.get(av), op.get(h === 0 ? b0 : b1), op.f32x4mul, op.f32x4add, op.set(ci));
        }
      }
      e(op.get(pa), op.get(SAK), op.add, op.set(pa));
      e(op.get(pb), op.get(LDB), op.add, op.set(pb));
    };
    e(op.block, op.loop);
    e(op.get(k), op.eqz, op.brIf(1));
    kStep();
    e(op.get(k), op.i32(1), op.sub, op.set(k));
    e(op.br(0), op.end, op.end);
    for (let x = 0; x < nacc; x++) e(op.get(pc[x >> 1] as number), op.get(c[x] as number), op.vstore((x & 1) * 16));
    e(op.get(j), op.i32(8), op.add, op.set(j));
    e(op.br(0), op.end, op.end);
  };

  // R-row tiles
  e(op.i32(0), op.set(i));
  e(op.block, op.loop);
  e(op.get(i), op.i32(R), op.add, op.get(M), op.gtS, op.brIf(1));
  tile(R);
  e(op.get(i), op.i32(R), op.add, op.set(i));
  e(op.br(0), op.end, op.end);
  // remaining rows one by one
  e(op.block, op.loop);
  e(op.get(i), op.get(M), op.geS, op.brIf(1));
  tile(1);
  e(op.get(i), op.i32(1), op.add, op.set(i));
  e(op.br(0), op.end, op.end);
  return { name: 'gemm', params: new Array<number>(11).fill(I32), results: [], locals, body };
}

/**
 * adam(n, w, g, m, v, gScale, b1, b2, ob1, ob2, lrIc1, ic2, eps), n a multiple of 4:
 *   g' = g*gScale; m = b1 m + ob1 g'; v = b2 v + ob2 g'^2; w -= lrIc1 m / (sqrt(v ic2) + eps)
 */
function adamFunc(): Func {
  const Nn = 0, W = 1, G = 2, Mm = 3, Vv = 4;
  const fparams = [5, 6, 7, 8, 9, 10, 11, 12]; // gScale, b1, b2, ob1, ob2, lrIc1, ic2, eps
  const off = 13; // i32 local
  const vs = [14, 15, 16, 17, 18, 19, 20, 21]; // splatted constants
  const g = 22, m = 23, v = 24;
  const { body, e } = emitter();
  fparams.forEach((p, idx) => e(op.get(p), op.f32x4splat, op.set(vs[idx] as number)));
  const [sG, sB1, sB2, sOb1, sOb2, sLr, sIc2, sEps] = vs as [number, number, number, number, number, number, number, number];
  e(op.i32(0), op.set(off));
  e(op.block, op.loop);
  e(op.get(off), op.get(Nn), op.i32(4), op.mul, op.geS, op.brIf(1));
  e(op.get(G), op.get(off), op.add, op.vload(), op.get(sG), op.f32x4mul, op.set(g));
  e(op.get(sB1), op.get(Mm), op.get(off), op.add, op.vload(), op.f32x4mul, op.get(sOb1), op.get(g), op.f32x4mul, op.f32x4add, op.set(m));
  e(op.get(sB2), op.get(Vv), op.get(off), op.add, op.vload(), op.f32x4mul, op.get(sOb2), op.get(g), op.f32x4mul, op.get(g), op.f32x4mul, op.f32x4add, op.set(v));
  e(op.get(Mm), op.get(off), op.add, op.get(m), op.vstore());
  e(op.get(Vv), op.get(off), op.add, op.get(v), op.vstore());
  // w - lrIc1*m / (sqrt(v*ic2) + eps)
  e(op.get(W), op.get(off), op.add);
  e(op.get(W), op.get(off), op.add, op.vload());
  e(op.get(sLr), op.get(m), op.f32x4mul);
  e(op.get(v), op.get(sIc2), op.f32x4mul, op.f32x4sqrt, op.get(sEps), op.f32x4add, op.f32x4div);
  e(op.f32x4sub, op.vstore());
  e(op.get(off), op.i32(16), op.add, op.set(off));
  e(op.br(0), op.end, op.end);
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
    results: [],
    locals: [I32, ...new Array<number>(8).fill(V128), V128, V128, V128],
    body,
  };
}

/** sumsq(n, p) -> f64: sum of squares of n floats (n a multiple of 4), accumulated in f64. */
function sumsqFunc(): Func {
  const Nn = 0, P = 1, end = 2, x = 3, lo = 4, hi = 5, acc0 = 6, acc1 = 7;
  const { body, e } = emitter();
  e(op.get(P), op.get(Nn), op.i32(4), op.mul, op.add, op.set(end));
  e(op.vzero, op.set(acc0), op.vzero, op.set(acc1));
  e(op.block, op.loop);
  e(op.get(P), op.get(end), op.geS, op.brIf(1));
  e(op.get(P), op.vload(), op.set(x));
  e(op.get(x), op.f64x2promoteLow, op.set(lo));
  e(op.get(x), op.get(x), op.shuffleHigh, op.f64x2promoteLow, op.set(hi));
  e(op.get(acc0), op.get(lo), op.get(lo), op.f64x2mul, op.f64x2add, op.set(acc0));
  e(op.get(acc1), op.get(hi), op.get(hi), op.f64x2mul, op.f64x2add, op.set(acc1));
  e(op.get(P), op.i32(16), op.add, op.set(P));
  e(op.br(0), op.end, op.end);
  e(op.get(acc0), op.f64x2lane(0), op.get(acc0), op.f64x2lane(1), op.f64add);
  e(op.get(acc1), op.f64x2lane(0), op.get(acc1), op.f64x2lane(1), op.f64add, op.f64add);
  return { name: 'sumsq', params: [I32, I32], results: [F64], locals: [I32, V128, V128, V128, V128, V128], body };
}

/** transpose(rows, cols, src, lds, dst, ldd): dst[c*ldd + r*4] = src[r*lds + c*4] (bytes). */
function transposeFunc(): Func {
  const R = 0, Cc = 1, S = 2, LDS = 3, D = 4, LDD = 5, r = 6, c = 7, ps = 8, pd = 9;
  const { body, e } = emitter();
  e(op.i32(0), op.set(r));
  e(op.block, op.loop);
  e(op.get(r), op.get(R), op.geS, op.brIf(1));
  e(op.get(S), op.get(r), op.get(LDS), op.mul, op.add, op.set(ps));
  e(op.get(D), op.get(r), op.i32(4), op.mul, op.add, op.set(pd));
  e(op.i32(0), op.set(c));
  e(op.block, op.loop);
  e(op.get(c), op.get(Cc), op.geS, op.brIf(1));
  e(op.get(pd), op.get(ps), [0x2a, 2, 0] /* f32.load */, [0x38, 2, 0] /* f32.store */);
  e(op.get(ps), op.i32(4), op.add, op.set(ps));
  e(op.get(pd), op.get(LDD), op.add, op.set(pd));
  e(op.get(c), op.i32(1), op.add, op.set(c));
  e(op.br(0), op.end, op.end);
  e(op.get(r), op.i32(1), op.add, op.set(r));
  e(op.br(0), op.end, op.end);
  return { name: 'transpose', params: new Array<number>(6).fill(I32), results: [], locals: [I32, I32, I32, I32], body };
}

/**
 * Sparse-A products, skipping zero entries of A (the attacker observation is mostly zeros), with an
 * f32x4 axpy over N (a multiple of 8) per nonzero:
 *   spmmRows(rows, K, A, lda, B, ldb, C, ldc):  C[r, :] += A[r, k] * B[k, :]   (C = A B, forward)
 *   spmmCols(rows, K, A, lda, B, ldb, C, ldc):  C[k, :] += A[r, k] * B[r, :]   (C = A^T B, dW)
 * Each output element sums the same products in the same order as gemm, so results are identical.
 */
function spmmFunc(name: string, forward: boolean): Func {
  const ROWS = 0, K = 1, A = 2, LDA = 3, B = 4, LDB = 5, C = 6, LDC = 7, N = 8;
  const r = 9, k = 10, pb = 11, pc = 12, end = 13;
  const av = 14;
  const fv = 15; // f32 local: the A value
  const { body, e } = emitter();
  e(op.i32(0), op.set(r));
  e(op.block, op.loop);
  e(op.get(r), op.get(ROWS), op.geS, op.brIf(1));
  e(op.i32(0), op.set(k));
  e(op.block, op.loop);
  e(op.get(k), op.get(K), op.geS, op.brIf(1));
  // Four zeros in a row (the common case) are skipped with one vector test.
  e(op.get(k), op.i32(4), op.add, op.get(K), [0x4c] /* i32.le_s */, op.if);
  e(op.get(A), op.get(r), op.get(LDA), op.mul, op.add, op.get(k), op.i32(4), op.mul, op.add, op.vload(), [0xfd, ...uleb(0x53)] /* v128.any_true */, op.eqz, op.if);
  e(op.get(k), op.i32(4), op.add, op.set(k), op.br(2)); // continue the k loop
  e(op.end, op.end);
  // fv = A[r*lda + k*4]
  e(op.get(A), op.get(r), op.get(LDA), op.mul, op.add, op.get(k), op.i32(4), op.mul, op.add, [0x2a, 2, 0], op.tee(fv));
  e([0x43, 0, 0, 0, 0] /* f32.const 0 */, [0x5c] /* f32.ne */, op.if);
  e(op.get(fv), op.f32x4splat, op.set(av));
  // forward: pb = B + k*ldb, pc = C + r*ldc; dW: pb = B + r*ldb, pc = C + k*ldc
  e(op.get(B), op.get(forward ? k : r), op.get(LDB), op.mul, op.add, op.set(pb));
  e(op.get(C), op.get(forward ? r : k), op.get(LDC), op.mul, op.add, op.set(pc));
  e(op.get(pc), op.get(N), op.i32(4), op.mul, op.add, op.set(end));
  e(op.block, op.loop);
  e(op.get(pc), op.get(end), op.geS, op.brIf(1));
  for (const o of [0, 16]) {
    e(op.get(pc), op.get(pc), op.vload(o), op.get(av), op.get(pb), op.vload(o), op.f32x4mul, op.f32x4add, op.vstore(o));
  }
  e(op.get(pc), op.i32(32), op.add, op.set(pc));
  e(op.get(pb), op.i32(32), op.add, op.set(pb));
  e(op.br(0), op.end, op.end);
  e(op.end); // if
  e(op.get(k), op.i32(1), op.add, op.set(k));
  e(op.br(0), op.end, op.end);
  e(op.get(r), op.i32(1), op.add, op.set(r));
  e(op.br(0), op.end, op.end);
  return { name, params: new Array<number>(9).fill(I32), results: [], locals: [I32, I32, I32, I32, I32, V128, F32], body };
}

/** countnz(n, p) -> i32: number of nonzero floats among n at p (n a multiple of 4). */
function countnzFunc(): Func {
  const Nn = 0, P = 1, end = 2, acc = 3;
  const { body, e } = emitter();
  const f32x4ne = [0xfd, ...uleb(0x42)];
  const i32x4sub = [0xfd, ...uleb(0xb1)];
  const lane = (l: number): number[] => [0xfd, ...uleb(0x1b), l];
  e(op.get(P), op.get(Nn), op.i32(4), op.mul, op.add, op.set(end));
  e(op.vzero, op.set(acc));
  e(op.block, op.loop);
  e(op.get(P), op.get(end), op.geS, op.brIf(1));
  // ne gives -1 per nonzero lane: subtracting it counts.
  e(op.get(acc), op.get(P), op.vload(), op.vzero, f32x4ne, i32x4sub, op.set(acc));
  e(op.get(P), op.i32(16), op.add, op.set(P));
  e(op.br(0), op.end, op.end);
  e(op.get(acc), lane(0), op.get(acc), lane(1), op.add, op.get(acc), lane(2), op.add, op.get(acc), lane(3), op.add);
  return { name: 'countnz', params: [I32, I32], results: [I32], locals: [I32, V128], body };
}

// ------------------------------------------------------------------------------ instances

export interface KernelExports {
  gemm(M: number, N: number, K: number, A: number, sai: number, sak: number, B: number, ldb: number, C: number, ldc: number, acc: number): void;
  adam(n: number, w: number, g: number, m: number, v: number, gScale: number, b1: number, b2: number, ob1: number, ob2: number, lrIc1: number, ic2: number, eps: number): void;
  sumsq(n: number, p: number): number;
  transpose(rows: number, cols: number, src: number, lds: number, dst: number, ldd: number): void;
  spmmRows(rows: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, N: number): void;
  spmmCols(rows: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, N: number): void;
  countnz(n: number, p: number): number;
}

// The project's lib settings (ES2022, no DOM) do not declare WebAssembly, so declare the bit used.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null = null;

/** The compiled kernel module (compiled once per process; instantiated per memory). */
function kernelModule(): object {
  if (compiled === null) compiled = new WA.Module(moduleBytes([
    gemmFunc(4), adamFunc(), sumsqFunc(), transposeFunc(), spmmFunc('spmmRows', true), spmmFunc('spmmCols', false), countnzFunc(),
  ]));
  return compiled;
}

/** True when this runtime supports wasm SIMD (the kernels need it). */
export function wasmSimdSupported(): boolean {
  try {
    kernelModule();
    return true;
  } catch {
    return false;
  }
}

const PAGE = 65536;

/**
 * A linear memory with the kernels bound to it, and a float-indexed bump allocator. Offsets are
 * in floats; kernels take byte offsets (4x). Views must be re-fetched after `ensure` grows memory.
 */
export class KernelArena {
  readonly k: KernelExports;
  private readonly memory: WasmMemory;
  private top = 0;

  constructor(initialFloats = 0) {
    const pages = Math.max(1, Math.ceil((initialFloats * 4) / PAGE));
    this.memory = new WA.Memory({ initial: pages });
    const inst = new WA.Instance(kernelModule(), { env: { mem: this.memory } });
    this.k = inst.exports as unknown as KernelExports;
  }

  /** Reserves n floats (16-byte aligned) and returns the float offset; memory grows as needed. */
  alloc(n: number): number {
    const off = this.top;
    this.top += Math.ceil(n / 4) * 4;
    this.ensure(this.top);
    return off;
  }

  private ensure(floats: number): void {
    const need = Math.ceil((floats * 4) / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) this.memory.grow(need - have);
  }

  /** Nonzero floats among n at a float offset (any n). */
  countNonzero(off: number, n: number): number {
    const n4 = n - (n % 4);
    let c = this.k.countnz(n4, off * 4);
    if (n4 < n) for (const v of this.f32(off + n4, n - n4)) if (v !== 0) c++;
    return c;
  }

  /** A Float32Array view of n floats at a float offset (invalidated when memory grows). */
  f32(off: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, off * 4, n);
  }
}
