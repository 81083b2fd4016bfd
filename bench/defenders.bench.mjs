// Random forest fit/predict benchmark: our histogram forest (dist/detectors/random-forest.js) with 2 worker
// threads and in one thread, against scikit-learn's RandomForestClassifier on the same data in the same run
// when Debian's python3-sklearn is installed. Prints one JSON line per figure.
import { performance } from 'node:perf_hooks';
import { RandomForest, closeForestPool } from '../dist/detectors/random-forest.js';
import { Rng } from '../dist/shared/prng.js';
import { hasSklearn, makeData, N_COLS, sklearnForest } from './synthetic-task.mjs';

const N_TRAIN = 20_000;
const N_TEST = 10_000;
const N_TREES = 50;
const MAX_FEATURES = 0.5;

const emit = (figure, value, extra = {}) => console.log(JSON.stringify({ bench: 'rf', figure, value, ...extra }));

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
if (!hasSklearn()) {
  emit('sklearn_skipped', 1, { reason: 'python3-sklearn not installed (apt-get install -y python3-sklearn)' });
} else {
  const sk = sklearnForest({ X: train.X, y: train.y }, { X: test.X, y: test.y }, N_COLS, { n_estimators: N_TREES, max_features: MAX_FEATURES, n_jobs: 2, random_state: 1 });
  emit('sklearn_fit_ms', Math.round(sk.fit_ms), { n_jobs: 2, cpu_ms: Math.round(sk.cpu_ms), version: sk.sklearn });
  emit('sklearn_predict_ms', Math.round(sk.predict_ms), { n_jobs: 2 });
  emit('sklearn_accuracy', Number(sk.accuracy.toFixed(4)));
  emit('fit_ratio_ours_over_sklearn', Number((ours[2].fit / sk.fit_ms).toFixed(3)), { workers: 2, n_jobs: 2 });
  // CPU time is the steadier figure on a shared machine (wall time depends on how many cores we got).
  emit('fit_cpu_ratio_ours_over_sklearn', Number((ours[2].cpu / sk.cpu_ms).toFixed(3)), { workers: 2, n_jobs: 2 });
  emit('fit_cold_ratio_ours_over_sklearn', Number((cold2.fit / sk.fit_ms).toFixed(3)), { workers: 2, n_jobs: 2 });
  emit('accuracy_diff_ours_minus_sklearn', Number((ours[2].acc - sk.accuracy).toFixed(4)));
}
