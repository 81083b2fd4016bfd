// Random forest fit/predict benchmark: our histogram forest (dist/detectors/random-forest.js) with 2 worker
// threads and in one thread, against scikit-learn's RandomForestClassifier on the same data in the same run
// when Debian's python3-sklearn is installed. Prints one JSON line per figure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { RandomForest, closeForestPool } from '../dist/detectors/random-forest.js';
import { Rng } from '../dist/shared/prng.js';

const N_TRAIN = 20_000;
const N_TEST = 10_000;
const N_COLS = 32;
const N_TREES = 50;
const MAX_FEATURES = 0.5;

const emit = (figure, value, extra = {}) => console.log(JSON.stringify({ bench: 'rf', figure, value, ...extra }));

/**
 * Flow-like tabular data: 10 informative features (normal, skewed, a categorical code), 10 noisy copies
 * of them, 12 pure noise columns. The label is the sign of a nonlinear score (interactions, thresholds,
 * a periodic term) plus Gaussian noise, so no classifier reaches accuracy 1.
 */
function makeData(n, rng) {
  const X = new Float32Array(n * N_COLS);
  const y = new Int32Array(n);
  const v = new Float64Array(10);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < 10; j++) v[j] = rng.normal();
    v[2] = Math.exp(v[2]); // skewed, like byte counts
    v[7] = Math.floor(rng.next() * 6); // a categorical code
    const score =
      1.6 * Math.sin(1.5 * v[0]) + 1.2 * v[1] * v[3] + 0.9 * Math.log1p(v[2]) - 0.6 +
      (v[4] > 0.3 ? 1.1 * v[5] : -0.7 * v[5]) + 0.5 * (v[6] * v[6] - 1) +
      (v[7] === 2 || v[7] === 5 ? 0.9 : -0.3) + 0.6 * Math.abs(v[8]) - 0.45 * v[9];
    y[r] = score + 0.6 * rng.normal() > 0 ? 1 : 0; // label noise: the score is observed with an error
    const base = r * N_COLS;
    for (let j = 0; j < 10; j++) X[base + j] = v[j];
    for (let j = 0; j < 10; j++) X[base + 10 + j] = v[j] + 0.8 * rng.normal();
    for (let j = 20; j < N_COLS; j++) X[base + j] = rng.normal();
  }
  return { X, y };
}

function accuracy(pred, y) {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

const rng = new Rng(20240601);
const train = makeData(N_TRAIN, rng.split('train'));
const test = makeData(N_TEST, rng.split('test'));

/** Fit, predict and score once; cpu_ms counts every thread of this process (how many cores we really got). */
async function run(workers) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rf = await RandomForest.fit(train.X, N_TRAIN, N_COLS, train.y, 2, { nTrees: N_TREES, maxFeatures: MAX_FEATURES, workers, seed: 1 });
  const t1 = performance.now();
  const cpu = process.cpuUsage(c0);
  const pred = rf.predict(test.X, N_TEST);
  const t2 = performance.now();
  return { fit: t1 - t0, cpu: (cpu.user + cpu.system) / 1000, predict: t2 - t1, acc: accuracy(pred, test.y) };
}

// workers=2 twice: the first fit also starts the worker threads (and warms up their JIT).
const cold2 = await run(2);
emit('fit_cold_ms', Math.round(cold2.fit), { workers: 2, cpu_ms: Math.round(cold2.cpu) });
const ours = {};
for (const workers of [2, 1]) {
  const r = await run(workers);
  ours[workers] = r;
  emit('fit_ms', Math.round(r.fit), { workers, cpu_ms: Math.round(r.cpu) });
  emit('predict_ms', Math.round(r.predict), { workers });
  emit('accuracy', Number(r.acc.toFixed(4)), { workers });
}
await closeForestPool();

// scikit-learn, same data, same run.
const py = '/usr/bin/python3';
const hasSklearn = spawnSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;
if (!hasSklearn) {
  emit('sklearn_skipped', 1, { reason: 'python3-sklearn not installed (apt-get install -y python3-sklearn)' });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'cyrange-rf-bench-'));
  try {
    const buf = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength); // little-endian on every platform we run
    writeFileSync(join(dir, 'x_train.f32'), buf(train.X));
    writeFileSync(join(dir, 'y_train.i32'), buf(train.y));
    writeFileSync(join(dir, 'x_test.f32'), buf(test.X));
    writeFileSync(join(dir, 'y_test.i32'), buf(test.y));
    const script = fileURLToPath(new URL('./sklearn_rf.py', import.meta.url));
    const args = [script, dir, N_TRAIN, N_TEST, N_COLS, N_TREES, MAX_FEATURES, 2].map(String);
    const res = spawnSync(py, args, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`sklearn_rf.py failed: ${res.stderr}`);
    const sk = JSON.parse(res.stdout.trim().split('\n').pop());
    emit('sklearn_fit_ms', Math.round(sk.fit_ms), { n_jobs: 2, cpu_ms: Math.round(sk.cpu_ms), version: sk.sklearn });
    emit('sklearn_predict_ms', Math.round(sk.predict_ms), { n_jobs: 2 });
    emit('sklearn_accuracy', Number(sk.accuracy.toFixed(4)));
    emit('fit_ratio_ours_over_sklearn', Number((ours[2].fit / sk.fit_ms).toFixed(3)), { workers: 2, n_jobs: 2 });
    // CPU time is the steadier figure on a shared machine (wall time depends on how many cores we got).
    emit('fit_cpu_ratio_ours_over_sklearn', Number((ours[2].cpu / sk.cpu_ms).toFixed(3)), { workers: 2, n_jobs: 2 });
    emit('fit_cold_ratio_ours_over_sklearn', Number((cold2.fit / sk.fit_ms).toFixed(3)), { workers: 2, n_jobs: 2 });
    emit('accuracy_diff_ours_minus_sklearn', Number((ours[2].acc - sk.accuracy).toFixed(4)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
