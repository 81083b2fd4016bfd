// The forest detector's defaults against scikit-learn's default forest (issue 12): test F1 on the
// synthetic 20,000 x 32 task (bench/synthetic-task.mjs), for `defenders train --kind rf` as it runs
// (Detector.train: 80/20 split, threshold at max F1 on validation) at its defaults and at a few other
// settings, and for RandomForestClassifier() at scikit-learn's defaults (100 trees grown to purity,
// sqrt features, n_jobs=2) fitted on the same 20,000 rows, over three data seeds. One JSON line per figure.
import { performance } from 'node:perf_hooks';
import { Detector } from '../dist/detectors/detector.js';
import { RF_DETECTOR_DEFAULTS } from '../dist/detectors/rf-detector.js';
import { closeForestPool } from '../dist/detectors/random-forest.js';
import { Rng } from '../dist/shared/prng.js';
import { hasSklearn, makeData, N_COLS, sklearnForest } from './synthetic-task.mjs';

const SEEDS = (process.env.BENCH_SEEDS ?? '1,2,3').split(',').map(Number);
const N_TRAIN = 20_000;
const N_TEST = 10_000;
const emit = (figure, value, extra = {}) => console.log(JSON.stringify({ bench: 'rf-defaults', figure, value, ...extra }));

function f1(pred, y) {
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < y.length; i++) {
    if (pred[i] && y[i]) tp++;
    else if (pred[i]) fp++;
    else if (y[i]) fn++;
  }
  return (2 * tp) / (2 * tp + fp + fn);
}

const SETTINGS = {
  defaults: {},
  'trees100-depth14': { nTrees: 100, maxDepth: 14 },
  'trees50-depth40': { nTrees: 50, maxDepth: 40 },
  'trees100-depth40': { nTrees: 100, maxDepth: 40 },
  'trees100-depth40-bins255': { nTrees: 100, maxDepth: 40, bins: 255 },
};
const sums = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, { f1: 0, fit: 0 }]));
let skSum = { f1: 0, fit: 0 };
const sk = hasSklearn();
emit('detector_defaults', RF_DETECTOR_DEFAULTS);
for (const seed of SEEDS) {
  const rng = new Rng(1000 + seed);
  const train = makeData(N_TRAIN, rng.split('train'));
  const test = makeData(N_TEST, rng.split('test'));
  const data = { featureNames: Array.from({ length: N_COLS }, (_, j) => `f${j}`), X: train.X, nRows: N_TRAIN, y: train.y, classNames: ['benign', 'attack'] };
  for (const [name, rf] of Object.entries(SETTINGS)) {
    const t0 = performance.now();
    const { detector } = await Detector.train('rf', data, { seed: 1, rf: { workers: 2, ...rf } });
    const fit = performance.now() - t0;
    const score = f1(detector.predict(test.X, N_TEST), test.y);
    sums[name].f1 += score / SEEDS.length;
    sums[name].fit += fit / SEEDS.length;
    emit('f1', Number(score.toFixed(4)), { setting: name, seed, train_ms: Math.round(fit) });
  }
  if (sk) {
    const r = sklearnForest(train, test, N_COLS, { n_jobs: 2, random_state: 1 });
    skSum.f1 += r.f1 / SEEDS.length;
    skSum.fit += r.fit_ms / SEEDS.length;
    emit('f1', Number(r.f1.toFixed(4)), { setting: 'sklearn-default', seed, train_ms: Math.round(r.fit_ms), version: r.sklearn });
  }
}
await closeForestPool();
for (const [name, s] of Object.entries(sums)) {
  emit('mean_f1', Number(s.f1.toFixed(4)), { setting: name, mean_train_ms: Math.round(s.fit), ...(sk ? { minus_sklearn: Number((s.f1 - skSum.f1).toFixed(4)) } : {}) });
}
if (sk) emit('mean_f1', Number(skSum.f1.toFixed(4)), { setting: 'sklearn-default', mean_train_ms: Math.round(skSum.fit) });
else emit('sklearn_skipped', 1, { reason: 'python3-sklearn not installed (apt-get install -y python3-sklearn)' });
