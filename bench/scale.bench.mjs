// Scale benchmark (issue 12): a CICIDS2017-shaped synthetic file of 1,000,000 rows x 78 feature columns
// (bench/cicids-synth.mjs, about 420 MB), loaded and the rf detector trained at its defaults with 2 worker
// threads in a fresh process (bench/scale-train.mjs): wall time and peak RSS, against the 2-minute and
// 4 GB budget. Beside it, scikit-learn's RandomForestClassifier with the same settings (trees, depth,
// sqrt features, balanced class weights, n_jobs=2) fitted on the same training rows, when installed.
// BENCH_SCALE_ROWS overrides the row count. One JSON line per figure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RF_DETECTOR_DEFAULTS } from '../dist/detectors/rf-detector.js';
import { writeCicidsLike } from './cicids-synth.mjs';
import { hasSklearn, PY } from './synthetic-task.mjs';

const ROWS = Number(process.env.BENCH_SCALE_ROWS ?? 1_000_000);
const emit = (figure, value, extra = {}) => console.log(JSON.stringify({ bench: 'scale', figure, value, ...extra }));
const dir = mkdtempSync(join(tmpdir(), 'cyrange-scale-'));
try {
  const file = join(dir, 'cicids-like.csv');
  const bytes = await writeCicidsLike(file, ROWS, 3);
  emit('file_mb', Number((bytes / 1e6).toFixed(1)), { rows: ROWS, columns: 79 });
  const sk = hasSklearn();
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./scale-train.mjs', import.meta.url)), file, ...(sk ? [dir] : [])], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`scale-train.mjs failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop());
  emit('load_s', Number(r.load_s.toFixed(1)), { rows: r.rows, cols: r.cols });
  emit('train_s', Number(r.train_s.toFixed(1)), { workers: 2, ...RF_DETECTOR_DEFAULTS });
  // CPU seconds of every thread: on a shared machine, cpu_s / 2 is what 2 idle cores would take.
  emit('load_and_train_s', Number(r.total_s.toFixed(1)), { budget_s: 120, cpu_s: Number(r.cpu_s.toFixed(1)) });
  emit('max_rss_gb', Number((r.max_rss_bytes / 2 ** 30).toFixed(2)), { budget_gb: 4 });
  emit('validation', Number(r.validation_f1.toFixed(4)), { fpr: Number(r.validation_fpr.toFixed(4)) });
  if (sk) {
    const shape = JSON.parse(readFileSync(join(dir, 'shape.json'), 'utf8'));
    const params = { n_estimators: RF_DETECTOR_DEFAULTS.nTrees, max_depth: RF_DETECTOR_DEFAULTS.maxDepth, max_features: 'sqrt', class_weight: 'balanced', n_jobs: 2, random_state: 1 };
    const script = fileURLToPath(new URL('./sklearn_rf.py', import.meta.url));
    const res = spawnSync(PY, [script, dir, String(shape.nTrain), String(shape.nTest), String(shape.nCols), JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (res.status !== 0) throw new Error(`sklearn_rf.py failed: ${res.stderr}`);
    const s = JSON.parse(res.stdout.trim().split('\n').pop());
    emit('sklearn_fit_s', Number((s.fit_ms / 1000).toFixed(1)), { rows: shape.nTrain, ...params, version: s.sklearn });
    emit('train_ratio_ours_over_sklearn_fit', Number((r.train_s / (s.fit_ms / 1000)).toFixed(3)));
  } else emit('sklearn_skipped', 1, { reason: 'python3-sklearn not installed (apt-get install -y python3-sklearn)' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
