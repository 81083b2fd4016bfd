// Autoencoder benchmark: one training epoch on 20,000 x 32 rows (batch 256, Adam) and scoring
// throughput, on the default backend (wasm with our wasm kernels here). One JSON line per figure.
import { initTf } from '../dist/nn/runtime.js';
import { Autoencoder } from '../dist/detectors/autoencoder.js';
import { Rng } from '../dist/shared/prng.js';

const QUICK = process.env.BENCH_QUICK === '1';
const N = QUICK ? 5000 : 20000;
const D = 32;
const rng = new Rng(1);
const centers = [0, 1, 2, 3].map(() => Float32Array.from({ length: D }, () => rng.uniform(-1, 1)));
const X = new Float32Array(N * D);
for (let i = 0; i < N; i++) {
  const c = centers[rng.int(centers.length)];
  for (let j = 0; j < D; j++) X[i * D + j] = c[j] + 0.2 * rng.normal();
}
const rt = await initTf();
const emit = (figure, value) => console.log(JSON.stringify({ bench: 'autoencoder', figure, value: Math.round(value * 10) / 10, backend: rt.backend, rows: N, cols: D }));

// fit() = model build + epochs + one scoring pass (threshold); the difference of 1 vs 4 epochs
// isolates the epochs. A throwaway fit first warms up the JIT and the wasm heap.
(await Autoencoder.fit(X.subarray(0, 2000 * D), 2000, D, { epochs: 1, seed: 1 })).dispose();
let t0 = performance.now();
const a1 = await Autoencoder.fit(X, N, D, { epochs: 1, seed: 1 });
const t1 = performance.now() - t0;
t0 = performance.now();
const a4 = await Autoencoder.fit(X, N, D, { epochs: 4, seed: 1 });
const t4 = performance.now() - t0;
emit('train_epoch_ms', (t4 - t1) / 3);
a1.dispose();

a4.score(X, N);
const reps = QUICK ? 3 : 10;
t0 = performance.now();
for (let i = 0; i < reps; i++) a4.score(X, N);
const sec = (performance.now() - t0) / 1000;
emit('score_rows_per_s', (N * reps) / sec);
a4.dispose();
