// Experiment runner throughput: cells per minute (their training and detector jobs included) with 1 and 2
// worker threads on the same small spec (experiments/tiny.json, profile bench: 8 jobs, 48 cells), their
// ratio (target >= 1.8 on 2 cores), and the wall time of `cyrange reproduce --quick`. Imports the built JS: run `npm run build` first.
// Set LAB_BENCH_SKIP_REPRODUCE=1 to skip the reproduce figure (it takes a minute or two).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentSpec } from '../dist/lab/spec.js';
import { runExperiment } from '../dist/lab/runner.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cyrange-lab-bench-'));
const emit = (figure, value) => console.log(JSON.stringify({ bench: 'lab', figure, value }));

try {
  const spec = await loadExperimentSpec(here('../experiments/tiny.json'));
  const perMinute = {};
  for (const workers of [1, 2]) {
    const t0 = performance.now();
    const s = await runExperiment(spec, { out: join(root, `w${workers}`), workers, profile: 'bench', report: false });
    const minutes = (performance.now() - t0) / 60000;
    perMinute[workers] = s.done / minutes;
    emit(`cells_per_min_${workers}_worker${workers === 1 ? '' : 's'}`, Number(perMinute[workers].toFixed(1)));
  }
  emit('speedup_2_vs_1_workers', Number((perMinute[2] / perMinute[1]).toFixed(2)));

  if (!process.env.LAB_BENCH_SKIP_REPRODUCE) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [here('../dist/cli/main.js'), 'reproduce', '--quick', '--out', join(root, 'reproduce')], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`reproduce --quick exited with ${r.status}`);
    emit('reproduce_quick_wall_s', Number(((performance.now() - t0) / 1000).toFixed(1)));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
