// Child process of bench/scale.bench.mjs: loads a flow CSV and trains the rf detector at its defaults,
// as `cyrange defenders train --kind rf --data FILE --workers 2` does, then prints one JSON line with
// the times and the process's peak resident memory (worker threads included: they share the process).
// With a second argument, also writes the training rows (the detector's own 80 % split) for scikit-learn.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadTrainingCsv } from '../dist/detectors/csv-workflow.js';
import { Detector } from '../dist/detectors/detector.js';
import { closeForestPool } from '../dist/detectors/random-forest.js';
import { Rng } from '../dist/shared/prng.js';

const [file, dumpDir] = process.argv.slice(2);
const c0 = process.cpuUsage();
const t0 = performance.now();
const { data } = await loadTrainingCsv([file]);
const t1 = performance.now();
const { validation } = await Detector.train('rf', data, { seed: 1, rf: { workers: 2 } });
const t2 = performance.now();
await closeForestPool();
const rss = process.resourceUsage().maxRSS * 1024;
const cpu = process.cpuUsage(c0);
if (dumpDir) {
  // The same seeded split as Detector.train: validation first, training rows after.
  const n = data.nRows;
  const d = data.featureNames.length;
  const order = new Rng(1).split('split').shuffle(Array.from({ length: n }, (_, i) => i));
  const rowsOf = (idx) => {
    const X = new Float32Array(idx.length * d);
    const y = new Int32Array(idx.length);
    idx.forEach((r, i) => {
      X.set(data.X.subarray(r * d, (r + 1) * d), i * d);
      y[i] = data.y[r];
    });
    return { X, y };
  };
  const tr = order.slice(Math.max(1, Math.round(n * 0.2)));
  // A token test set (scikit-learn's script wants one): the first validation rows.
  const te = order.slice(0, 1000);
  for (const [name, rows] of [['train', rowsOf(tr)], ['test', rowsOf(te)]]) {
    writeFileSync(join(dumpDir, `x_${name}.f32`), Buffer.from(rows.X.buffer));
    writeFileSync(join(dumpDir, `y_${name}.i32`), Buffer.from(rows.y.buffer));
  }
  writeFileSync(join(dumpDir, 'shape.json'), JSON.stringify({ nTrain: tr.length, nTest: te.length, nCols: d }));
}
console.log(JSON.stringify({ rows: data.nRows, cols: data.featureNames.length, load_s: (t1 - t0) / 1000, train_s: (t2 - t1) / 1000, total_s: (t2 - t0) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6, max_rss_bytes: rss, validation_f1: validation.f1, validation_fpr: validation.fpr }));
