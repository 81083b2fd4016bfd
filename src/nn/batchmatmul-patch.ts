/**
 * Re-registers the wasm backend's BatchMatMul (and _FusedMatMul) so that transposed products are
 * computed as "transpose the operand, then untransposed matmul".
 *
 * Why: tfjs-backend-wasm 4.x sends untransposed products to XNNPACK (~43 GFLOP/s single-threaded
 * SIMD on this class of machine) but computes transposeA / transposeB with a slow generic loop
 * (2-3 GFLOP/s). Every dense-layer gradient is a transposed product (dW = x^T dy, dx = dy W^T), so
 * an unpatched DQN train step spends most of its time there. An explicit Transpose kernel is cheap
 * (memory-bound, O(n*m)), and after it the fast path applies: a DQN step went from ~11 ms to ~3 ms.
 * Results are the same products, so gradients match the cpu backend to float32 rounding (tested).
 */
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

interface Saved {
  batchMatMul: tf.KernelConfig;
  fusedMatMul: tf.KernelConfig | undefined;
}

let saved: Saved | null = null;

/** Permutation that swaps the last two axes of a rank-r tensor. */
function swapLastTwo(rank: number): number[] {
  const perm: number[] = [];
  for (let i = 0; i < rank; i++) perm.push(i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function isTensorInfo(x: tf.TensorInfo | tf.TensorInfo[]): x is tf.TensorInfo {
  return !Array.isArray(x);
}

/**
 * Wraps a matmul kernel (BatchMatMul or _FusedMatMul; both take inputs a, b and attrs
 * transposeA / transposeB) so that it only ever sees untransposed operands.
 */
function untransposing(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const ta = attrs['transposeA'] === true;
    const tb = attrs['transposeB'] === true;
    if (!ta && !tb) return original(args);
    const transpose = tf.getKernel('Transpose', 'wasm');
    if (transpose === undefined) return original(args);
    const { backend } = args;
    const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const temps: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo): tf.TensorInfo => {
      const out = transpose.kernelFunc({
        inputs: { x },
        backend,
        attrs: { perm: swapLastTwo(x.shape.length) },
      });
      if (!isTensorInfo(out)) throw new Error('wasm Transpose returned several outputs');
      temps.push(out);
      return out;
    };
    const a = inputs['a'];
    const b = inputs['b'];
    if (a === undefined || b === undefined) return original(args);
    const newInputs = { ...inputs, a: ta ? flip(a) : a, b: tb ? flip(b) : b };
    try {
      return original({
        inputs: newInputs as tf.NamedTensorInfoMap,
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false } as tf.NamedAttrMap,
      });
    } finally {
      // The transposed copies are kernel-internal: they never reach the engine's bookkeeping.
      for (const t of temps) (backend as tf.KernelBackend).disposeData(t.dataId);
    }
  };
}

function reRegister(config: tf.KernelConfig, kernelFunc: KernelFunc): void {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel({ ...config, kernelFunc });
}

/**
 * Installs the patch for the 'wasm' backend. Idempotent. Returns false when the wasm
 * BatchMatMul kernel is not registered (wasm backend not loaded).
 */
export function patchWasmBatchMatMul(): boolean {
  if (saved !== null) return true;
  const bmm = tf.getKernel('BatchMatMul', 'wasm');
  if (bmm === undefined) return false;
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  saved = { batchMatMul: bmm, fusedMatMul: fused };
  // setupFunc is kept on the new config: if the backend is re-initialised, the original cwrap runs again.
  reRegister(bmm, untransposing(bmm.kernelFunc));
  if (fused !== undefined) reRegister(fused, untransposing(fused.kernelFunc));
  return true;
}

/** Restores the original kernels (for benchmarks comparing patched vs unpatched). */
export function unpatchWasmBatchMatMul(): void {
  if (saved === null) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(saved.batchMatMul);
  if (saved.fusedMatMul !== undefined) {
    tf.unregisterKernel('_FusedMatMul', 'wasm');
    tf.registerKernel(saved.fusedMatMul);
  }
  saved = null;
}

export function isWasmBatchMatMulPatched(): boolean {
  return saved !== null;
}
