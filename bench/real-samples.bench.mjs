// Detectors on the shared real samples ($CYRANGE_SHARED_DATASETS, else <repo>/../shared/datasets): each
// file split into alternate rows (even rows train, odd rows test); rf, autoencoder and ensemble trained at
// their defaults (seed 1) and evaluated on the held-out half: precision, recall, F1, FPR, the validation
// FPR and warnings, the ensemble's decision; the ONNX export run in onnxruntime-web on the held-out rows
// (max abs difference to our scores, alert mismatches); scikit-learn's default forest on the same rows
// when installed. One JSON line per figure.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { loadTrainingCsv } from '../dist/detectors/csv-workflow.js';
import { loadFlowCsv } from '../dist/detectors/datasets.js';
import { Detector } from '../dist/detectors/detector.js';
import { evaluateDetector } from '../dist/detectors/evaluate.js';
import { detectorToOnnx } from '../dist/detectors/onnx-export.js';
import { closeForestPool } from '../dist/detectors/random-forest.js';
import { initTf } from '../dist/nn/runtime.js';
import { hasSklearn, sklearnForest } from './synthetic-task.mjs';

const shared = process.env.CYRANGE_SHARED_DATASETS ?? join(fileURLToPath(new URL('..', import.meta.url)), '..', 'shared', 'datasets');
const FILES = { cicids2017: 'cicids2017_thursday_webattacks_sample.csv', 'unsw-nb15': 'unsw_nb15_testing-set_subset.csv' };
const emit = (figure, value, extra = {}) => console.log(JSON.stringify({ bench: 'real-samples', figure, value, ...extra }));
const r4 = (x) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

await initTf();
ort.env.wasm.numThreads = 1;
const dir = mkdtempSync(join(tmpdir(), 'cyrange-real-'));
try {
  for (const [name, file] of Object.entries(FILES)) {
    const lines = readFileSync(join(shared, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const [header, ...rows] = lines;
    const trainFile = join(dir, `${name}-train.csv`);
    const testFile = join(dir, `${name}-test.csv`);
    writeFileSync(trainFile, `${[header, ...rows.filter((_, i) => i % 2 === 0)].join('\n')}\n`);
    writeFileSync(testFile, `${[header, ...rows.filter((_, i) => i % 2 === 1)].join('\n')}\n`);
    const t = await loadTrainingCsv([trainFile]);
    const test = await loadFlowCsv([testFile], { schema: t.meta.dataSchema });
    for (const kind of ['rf', 'autoencoder', 'ensemble']) {
      const { detector, validation } = await Detector.train(kind, t.data, { seed: 1, rf: { workers: 2 } });
      const r = evaluateDetector(detector, { X: test.X, nRows: test.nRows, y: test.y, classNames: test.classNames, perLabel: test.summary.perLabel, benign: test.benign }, t.meta.trainingLabels);
      const session = await ort.InferenceSession.create(detectorToOnnx(detector));
      const out = await session.run({ features: new ort.Tensor('float32', test.X, [test.nRows, test.nCols]) });
      const ours = detector.score(test.X, test.nRows);
      let maxDiff = 0;
      let mismatches = 0;
      for (let i = 0; i < test.nRows; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(out.score.data[i] - ours[i]));
        if ((out.alert.data[i] ? 1 : 0) !== (ours[i] >= 1 ? 1 : 0)) mismatches++;
      }
      emit('held_out', r4(r.f1), {
        data: name, kind, precision: r4(r.precision), recall: r4(r.recall), fpr: r4(r.fpr), rows: r.rows,
        validation_f1: r4(validation.f1), validation_fpr: r4(validation.fpr), warnings: detector.report.warnings,
        ...(detector.report.decision ? { decision: detector.report.decision.choice } : {}),
        onnx_max_abs_diff: maxDiff, onnx_alert_mismatches: mismatches,
      });
    }
    if (hasSklearn()) {
      const s = sklearnForest({ X: t.data.X, y: t.data.y }, { X: test.X, y: test.y }, test.nCols, { n_jobs: 2, random_state: 1 });
      emit('held_out', r4(s.f1), { data: name, kind: 'sklearn-default-forest', version: s.sklearn });
    }
  }
} finally {
  await closeForestPool();
  rmSync(dir, { recursive: true, force: true });
}
