// Scoring cost per host-window of each defence's scorer (the "model scoring" stage of the defence
// pipeline, DEFENSE_PARAMS.pipeline in src/defenders/registry.ts): detectors trained on range telemetry
// score a batch of real range windows; the rule scorer evaluates the default rules on the same rows.
// One JSON line per scorer: wall microseconds per host-window, in this process, one thread.
import { performance } from 'node:perf_hooks';
import { loadScenario } from '../dist/range/presets.js';
import { collectTelemetry } from '../dist/train/collect.js';
import { Detector } from '../dist/detectors/detector.js';
import { loadRules, ruleScore } from '../dist/defenders/rules.js';
import { N_FEATURES } from '../dist/range/telemetry.js';
import { closeForestPool } from '../dist/detectors/random-forest.js';

const emit = (scorer, value, extra = {}) => console.log(JSON.stringify({ bench: 'pipeline', figure: 'score_us_per_host_window', scorer, value: Math.round(value * 1000) / 1000, ...extra }));
const scenario = loadScenario('small');
const data = collectTelemetry(scenario, { episodes: 4, seed: 11 });
const rows = Math.min(data.nRows, 20000);
const X = data.X.subarray(0, rows * N_FEATURES);
const time = (fn, reps) => {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return ((performance.now() - t0) * 1000) / (reps * rows);
};
for (const kind of ['rf', 'autoencoder', 'ensemble']) {
  const { detector } = await Detector.train(kind, data, { seed: 1, rf: { workers: 0 } });
  // Score in zone-sized batches (about 12 hosts), as a zone agent does every window.
  const batch = 12;
  const us = time(() => {
    for (let r = 0; r + batch <= rows; r += batch) detector.score(X.subarray(r * N_FEATURES, (r + batch) * N_FEATURES), batch);
  }, 3);
  emit(kind, us, { rows, batch });
}
const rules = await loadRules('default');
const x = new Float64Array(N_FEATURES);
emit('rules', time(() => {
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < N_FEATURES; f++) x[f] = X[r * N_FEATURES + f];
    ruleScore(rules, x);
  }
}, 10), { rows });
await closeForestPool();
