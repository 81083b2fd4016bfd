import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Autoencoder, maxF1Threshold, quantile, defaultHidden } from '../src/detectors/autoencoder.js';
import { initTf, tf } from '../src/nn/runtime.js';
import { CyrangeError } from '../src/shared/errors.js';
import { Rng } from '../src/shared/prng.js';

const D = 16;
const OPTS = { epochs: 15, batchSize: 128, learningRate: 3e-3, seed: 42 };

/** Benign rows: a few tight Gaussian clusters. */
function benign(rng: Rng, n: number, centers: Float32Array[]): Float32Array {
  const X = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const c = centers[rng.int(centers.length)] as Float32Array;
    for (let j = 0; j < D; j++) X[i * D + j] = (c[j] as number) + 0.15 * rng.normal();
  }
  return X;
}

/** Anomalies: uniform in the box the clusters live in, so far from every cluster. */
function anomalies(rng: Rng, n: number): Float32Array {
  const X = new Float32Array(n * D);
  for (let i = 0; i < X.length; i++) X[i] = rng.uniform(-2.5, 2.5);
  return X;
}

/** ROC AUC by the Mann-Whitney statistic (ties count half). */
function auc(neg: Float32Array, pos: Float32Array): number {
  let s = 0;
  for (const p of pos) for (const q of neg) s += p > q ? 1 : p === q ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

const rng = new Rng(2024);
const centers = [0, 1, 2].map(() => Float32Array.from({ length: D }, () => rng.uniform(-1.5, 1.5)));
const nTrain = 2000;
const Xtrain = benign(rng.split('train'), nTrain, centers);
const nTest = 400;
const XtestBenign = benign(rng.split('test'), nTest, centers);
const Xanom = anomalies(rng.split('anom'), 200);

let ae: Autoencoder;
const dirs: string[] = [];

beforeAll(async () => {
  await initTf();
  ae = await Autoencoder.fit(Xtrain, nTrain, D, OPTS);
});
afterAll(async () => {
  ae?.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('helpers', () => {
  it('quantile interpolates like numpy and maxF1Threshold separates clean data', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5);
    expect(quantile([5, 1, 3], 1)).toBe(5);
    const t = maxF1Threshold([0.1, 0.2, 0.9, 0.8, 0.3], [0, 0, 1, 1, 0]);
    expect(t.f1).toBe(1);
    expect(t.threshold).toBeGreaterThan(0.3);
    expect(t.threshold).toBeLessThan(0.8);
    expect(defaultHidden(32)).toEqual([24, 16, 8]);
  });
});

describe('Autoencoder', () => {
  it('learns: loss falls over epochs', () => {
    expect(ae.lossHistory.length).toBe(OPTS.epochs);
    expect(ae.lossHistory.every(Number.isFinite)).toBe(true);
    expect(ae.lossHistory[OPTS.epochs - 1] as number).toBeLessThan((ae.lossHistory[0] as number) * 0.5);
  });

  it('scores injected anomalies above the benign threshold (AUC > 0.95)', () => {
    const sb = ae.score(XtestBenign, nTest);
    const sa = ae.score(Xanom, 200);
    expect(auc(sb, sa)).toBeGreaterThan(0.95);
    // Threshold is the 0.99 quantile of benign training errors.
    const train = ae.score(Xtrain, nTrain);
    const above = train.filter((s) => s > ae.threshold).length / nTrain;
    expect(above).toBeLessThanOrEqual(0.011);
    expect(above).toBeGreaterThan(0);
    const flagged = ae.predict(Xanom, 200);
    expect(flagged).toBeInstanceOf(Uint8Array);
    expect(flagged.reduce((a, b) => a + b, 0) / 200).toBeGreaterThan(0.9);
    const fp = ae.predict(XtestBenign, nTest).reduce((a, b) => a + b, 0) / nTest;
    expect(fp).toBeLessThan(0.05);
  });

  it('chooses a max-F1 threshold on labelled validation scores', () => {
    const saved = ae.threshold;
    const scores = Float32Array.from([...ae.score(XtestBenign, nTest), ...ae.score(Xanom, 200)]);
    const labels = Uint8Array.from({ length: nTest + 200 }, (_, i) => (i < nTest ? 0 : 1));
    const choice = ae.chooseThresholdOnValidation(scores, labels);
    expect(choice.f1).toBeGreaterThan(0.9);
    expect(ae.threshold).toBe(choice.threshold);
    ae.threshold = saved;
  });

  it('is deterministic for a fixed seed; another seed differs', async () => {
    const n = 600;
    const X = Xtrain.subarray(0, n * D);
    const a = await Autoencoder.fit(X, n, D, { ...OPTS, epochs: 3 });
    const b = await Autoencoder.fit(X, n, D, { ...OPTS, epochs: 3 });
    const c = await Autoencoder.fit(X, n, D, { ...OPTS, epochs: 3, seed: 43 });
    expect(Array.from(b.score(XtestBenign, nTest))).toEqual(Array.from(a.score(XtestBenign, nTest)));
    expect(b.lossHistory).toEqual(a.lossHistory);
    expect(b.threshold).toBe(a.threshold);
    expect(Array.from(c.score(XtestBenign, nTest))).not.toEqual(Array.from(a.score(XtestBenign, nTest)));
    for (const m of [a, b, c]) m.dispose();
  });

  it('save/load scores identically and keeps threshold, options and loss history', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cyrange-ae-'));
    dirs.push(dir);
    ae.threshold = 0.123;
    const files = await ae.save(dir);
    expect(files.sort()).toEqual(['autoencoder.json', 'model.json', 'weights.bin']);
    const back = await Autoencoder.load(dir);
    expect(Array.from(back.score(Xanom, 200))).toEqual(Array.from(ae.score(Xanom, 200)));
    expect(back.threshold).toBe(0.123);
    expect(back.lossHistory).toEqual(ae.lossHistory);
    expect(back.options).toEqual(ae.options);
    back.dispose();

    const meta = JSON.parse(await readFile(join(dir, 'autoencoder.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'autoencoder.json'), JSON.stringify({ ...meta, nCols: 'sixteen' }));
    await expect(Autoencoder.load(dir)).rejects.toThrow(CyrangeError);
    await expect(Autoencoder.load(dir)).rejects.toThrow(/autoencoder\.json: nCols/);
    await writeFile(join(dir, 'autoencoder.json'), JSON.stringify({ ...meta, nCols: 17 }));
    await expect(Autoencoder.load(dir)).rejects.toThrow(/does not match nCols/);
    await writeFile(join(dir, 'autoencoder.json'), '{');
    await expect(Autoencoder.load(dir)).rejects.toThrow(/autoencoder\.json: not valid JSON/);
  });

  it('does not leak tensors over repeated scoring', () => {
    ae.score(XtestBenign, nTest);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) ae.score(XtestBenign, nTest);
    ae.predict(Xanom, 200);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => ae.score(new Float32Array(D * 3 - 1), 3)).toThrow(/expected 3 x 16/);
  });
});
