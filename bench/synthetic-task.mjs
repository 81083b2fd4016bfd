// The synthetic 20,000 x 32 tabular task of the forest benchmarks (bench/defenders.bench.mjs,
// bench/rf-defaults.bench.mjs), and a bridge to scikit-learn (bench/sklearn_rf.py) on the same rows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const N_COLS = 32;

/**
 * Flow-like tabular data: 10 informative features (normal, skewed, a categorical code), 10 noisy copies
 * of them, 12 pure noise columns. The label is the sign of a nonlinear score (interactions, thresholds,
 * a periodic term) plus Gaussian noise, so no classifier reaches accuracy 1.
 */
export function makeData(n, rng) {
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

export const PY = '/usr/bin/python3';
export const hasSklearn = () => spawnSync(PY, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;

/**
 * Fits scikit-learn's RandomForestClassifier on (train) and scores (test) with bench/sklearn_rf.py;
 * `params` are its keyword arguments (JSON). Returns the script's JSON line.
 */
export function sklearnForest(train, test, nCols, params) {
  const dir = mkdtempSync(join(tmpdir(), 'cyrange-rf-bench-'));
  try {
    const buf = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength); // little-endian on every platform we run
    writeFileSync(join(dir, 'x_train.f32'), buf(train.X));
    writeFileSync(join(dir, 'y_train.i32'), buf(train.y));
    writeFileSync(join(dir, 'x_test.f32'), buf(test.X));
    writeFileSync(join(dir, 'y_test.i32'), buf(test.y));
    const script = fileURLToPath(new URL('./sklearn_rf.py', import.meta.url));
    const res = spawnSync(PY, [script, dir, String(train.y.length), String(test.y.length), String(nCols), JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (res.status !== 0) throw new Error(`sklearn_rf.py failed: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split('\n').pop());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
