/**
 * ONNX export (onnx-export.ts): each kind's exported file, run in ONNX Runtime (onnxruntime-web, wasm),
 * scores the rows `defenders score` writes as our detector does: max abs difference at most 1e-4 and
 * the same alert on every row. Real samples for the forest, the autoencoder and the ensemble; synthetic
 * rows for the stacked ensemble.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, type LabelledData } from '../src/detectors/detector.js';
import { loadTrainingCsv, scoreCsvToFile } from '../src/detectors/csv-workflow.js';
import { rawThreshold, writeOnnx } from '../src/detectors/onnx-export.js';
import { normalize } from '../src/detectors/features.js';
import { initTf } from '../src/nn/runtime.js';
import { Rng } from '../src/shared/prng.js';
import { CIC_SAMPLE, UNSW_SAMPLE, expectSharedSamples } from './shared-datasets.js';

const tmp = mkdtempSync(join(tmpdir(), 'cyrange-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  expectSharedSamples();
  await initTf();
  ort.env.wasm.numThreads = 1;
});

/** Trains, saves, exports and scores; returns ONNX Runtime's scores and alerts beside ours (from the score CSV). */
async function roundTrip(name: string, kind: string, csv: string | null, train: () => Promise<{ data: LabelledData; meta: Parameters<Detector['save']>[1] extends infer M ? Partial<M> : never }>, trainOpts: Parameters<typeof Detector.train>[2] = {}) {
  const { data, meta } = await train();
  const { detector, validation } = await Detector.train(kind, data, { seed: 1, rf: { workers: 1 }, ...trainOpts });
  const dir = join(tmp, name);
  await detector.save(dir, { seed: 1, training: {}, validation, ...meta });
  const loaded = await Detector.load(dir);
  const onnxPath = join(tmp, `${name}.onnx`);
  writeOnnx(loaded.detector, onnxPath, false);
  // Ours: `defenders score` output (the CSV path a user takes); for telemetry-like rows, score directly.
  let X: Float32Array;
  let ours: Float32Array;
  let oursAlert: Uint8Array;
  const d = loaded.detector.nFeatures;
  if (csv !== null) {
    const out = join(tmp, `${name}.scores.csv`);
    await scoreCsvToFile(loaded.detector, loaded.manifest, dir, [csv], out, false);
    const lines = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    X = new Float32Array(lines.length * d);
    ours = new Float32Array(lines.length);
    oursAlert = new Uint8Array(lines.length);
    lines.forEach((l, i) => {
      const c = l.split(',').map(Number);
      for (let j = 0; j < d; j++) X[i * d + j] = c[j]!;
      ours[i] = c[d]!;
      oursAlert[i] = c[d + 1]!;
    });
  } else {
    X = data.X;
    ours = loaded.detector.score(X, data.nRows);
    oursAlert = Uint8Array.from(ours, (v) => (v >= 1 ? 1 : 0));
  }
  const n = ours.length;
  const session = await ort.InferenceSession.create(readFileSync(onnxPath));
  const r = await session.run({ features: new ort.Tensor('float32', X, [n, d]) });
  const theirs = r.score!.data as Float32Array;
  const alerts = r.alert!.data as Uint8Array;
  let maxDiff = 0;
  let mismatches = 0;
  for (let i = 0; i < n; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(theirs[i]! - ours[i]!));
    if ((alerts[i] ? 1 : 0) !== oursAlert[i]) mismatches++;
  }
  console.log(`onnx ${name}: ${n} rows, max abs diff ${maxDiff.toExponential(2)}, alert mismatches ${mismatches}, alerts ${oursAlert.reduce((a, b) => a + b, 0)}`);
  return { maxDiff, mismatches, n, session, detector: loaded.detector, alerts: oursAlert };
}

const fromCsv = (path: string, opts: Parameters<typeof loadTrainingCsv>[1] = {}) => async () => {
  const t = await loadTrainingCsv([path], opts);
  return { data: t.data, meta: t.meta };
};

describe('forest thresholds in raw units', () => {
  it('normalised x <= t exactly when x <= rawThreshold(t), over float32 values of every magnitude', () => {
    const rng = new Rng(11);
    const schema = { names: ['a', 'b', 'c'], transform: 'slog1p-zscore' as const, mean: [3.1, -0.2, 0.004], std: [2.3, 0.7, 0.0009] };
    const xs = new Float32Array(3000);
    for (let k = 0; k < xs.length; k++) xs[k] = (rng.next() < 0.5 ? -1 : 1) * Math.exp(rng.uniform(-20, 20)) * (rng.next() < 0.05 ? 0 : 1);
    for (let j = 0; j < 3; j++) {
      const one = { ...schema, names: [schema.names[j]!], mean: [schema.mean[j]!], std: [schema.std[j]!] };
      const z = normalize(one, xs, xs.length);
      for (let q = 0; q < 40; q++) {
        const t = z[rng.int(z.length)]! + (rng.next() - 0.5) * 1e-6;
        const T = rawThreshold(schema, j, t);
        for (let k = 0; k < xs.length; k++) expect(xs[k]! <= T).toBe(z[k]! <= t);
      }
    }
  });
});

describe('ONNX export runs in ONNX Runtime and matches our scores', () => {
  it('random forest (CICIDS2017 sample, ai.onnx.ml TreeEnsembleRegressor)', async () => {
    const r = await roundTrip('cic-rf', 'rf', CIC_SAMPLE, fromCsv(CIC_SAMPLE));
    expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(r.mismatches).toBe(0);
    expect(r.session.inputNames).toEqual(['features']);
    expect(r.session.outputNames).toEqual(['score', 'alert']);
  });

  it('random forest, multi-class (UNSW-NB15 sample)', async () => {
    const r = await roundTrip('unsw-rf-mc', 'rf', UNSW_SAMPLE, fromCsv(UNSW_SAMPLE, { multiClass: true }));
    expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(r.mismatches).toBe(0);
  });

  it('autoencoder (both samples; the normaliser as graph nodes)', async () => {
    for (const [name, csv] of [['cic-ae', CIC_SAMPLE], ['unsw-ae', UNSW_SAMPLE]] as const) {
      const r = await roundTrip(name, 'autoencoder', csv, fromCsv(csv), { ae: { epochs: 5 } });
      expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
      expect(r.mismatches).toBe(0);
      expect(r.alerts.some((a) => a === 1)).toBe(true);
    }
  });

  it('ensemble deciding for a member (UNSW-NB15 sample)', async () => {
    const r = await roundTrip('unsw-ens', 'ensemble', UNSW_SAMPLE, fromCsv(UNSW_SAMPLE), { ae: { epochs: 5 } });
    expect(['rf', 'autoencoder']).toContain(r.detector.report.decision!.choice);
    expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(r.mismatches).toBe(0);
  });

  it('stacked ensemble (synthetic rows where both members carry evidence)', async () => {
    // Attacks shift feature 0 a little (a one-split forest sees it) and break three correlated pairs (the
    // autoencoder sees that): independent evidence, which stacking combines.
    const rng = new Rng(7);
    const n = 4000;
    const d = 8;
    const X = new Float32Array(n * d);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const a = rng.next() < 0.3;
      y[i] = a ? 1 : 0;
      X[i * d] = (a ? 1 : 0) + rng.normal();
      for (const p of [1, 3, 5]) {
        const z = rng.normal();
        X[i * d + p] = z;
        X[i * d + p + 1] = (a ? -z : z) + 0.2 * rng.normal();
      }
      X[i * d + 7] = rng.normal();
    }
    const data: LabelledData = { featureNames: ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'], X, nRows: n, y, classNames: ['benign', 'attack'] };
    let stacked = 0;
    for (const seed of [2, 1, 3]) {
      const r = await roundTrip(`stacked-${seed}`, 'ensemble', null, async () => ({ data, meta: {} }), { seed, targetFpr: 0.05, rf: { nTrees: 1, maxDepth: 1, workers: 1 }, ae: { epochs: 30, hidden: [16, 5] } });
      if (r.detector.report.decision!.choice === 'stacked') stacked++;
      expect(r.maxDiff).toBeLessThanOrEqual(1e-4);
      expect(r.mismatches).toBe(0);
    }
    expect(stacked).toBeGreaterThan(0);
  });

  it('defenders export writes the file; the metadata names the features in order', async () => {
    const dir = join(tmp, 'cic-rf');
    const out = join(tmp, 'cli.onnx');
    const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [cli, 'defenders', 'export', '--model', dir, '--format', 'onnx', '--out', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^wrote .*cli\.onnx: ONNX \(opset 15, ai\.onnx\.ml 3\), \d+ bytes; input "features" \[N, 77\], outputs "score", "alert"\n$/);
    const { detector } = await Detector.load(dir);
    const session = await ort.InferenceSession.create(readFileSync(out));
    expect(session.inputNames).toEqual(['features']);
    // onnxruntime-web does not expose metadata; the bytes hold it as a UTF-8 string property.
    expect(readFileSync(out).includes(Buffer.from(JSON.stringify(detector.schema.names)))).toBe(true);
    const again = spawnSync(process.execPath, [cli, 'defenders', 'export', '--model', dir, '--out', out], { encoding: 'utf8' });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toBe(`cyrange: ${out}: already exists (use --force to overwrite)\n`);
  });
});
