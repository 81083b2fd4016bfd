import { afterAll, describe, expect, it } from 'vitest';
import { RandomForestClassifier } from 'ml-random-forest';
import { closeForestPool, forestWorkerPath, RandomForest } from '../src/detectors/random-forest.js';
import { binRows, computeBinEdges } from '../src/detectors/forest-binning.js';
import { fitTree, treeRng, type TreeFitData } from '../src/detectors/forest-tree.js';
import { CyrangeError } from '../src/shared/errors.js';
import { Rng } from '../src/shared/prng.js';

interface Dataset {
  X: Float32Array;
  y: Int32Array;
  nRows: number;
  nCols: number;
  nClasses: number;
}

/** 8 features, 3 classes: a ring, then a wavy boundary; features 4, 5 are noisy copies, 6, 7 pure noise. */
function synthetic(nRows: number, rng: Rng): Dataset {
  const nCols = 8;
  const X = new Float32Array(nRows * nCols);
  const y = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < nCols; j++) X[r * nCols + j] = rng.uniform(-2, 2);
    const a = X[r * nCols] as number;
    const b = X[r * nCols + 1] as number;
    const c = X[r * nCols + 2] as number;
    const d = X[r * nCols + 3] as number;
    if (a * a + b * b < 1.2) y[r] = 0;
    else if (c + 0.6 * Math.sin(2 * d) > 0) y[r] = 1;
    else y[r] = 2;
    if (rng.next() < 0.02) y[r] = rng.int(3); // a little label noise
    X[r * nCols + 4] = a + 0.3 * rng.normal();
    X[r * nCols + 5] = c + 0.3 * rng.normal();
  }
  return { X, y, nRows, nCols, nClasses: 3 };
}

/**
 * A slice shaped like flow telemetry (CICIDS-style): skewed byte and packet counts, a port-class code,
 * ratios and host events; label 1 for scan-like, exfiltration-like or brute-force-like windows.
 */
function flowLike(nRows: number, rng: Rng): Dataset {
  const nCols = 10;
  const X = new Float32Array(nRows * nCols);
  const y = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const attack = rng.next() < 0.3;
    const kind = attack ? rng.int(3) : -1;
    const flows = Math.exp(rng.normal() * 0.8 + (kind === 0 ? 2.2 : 1.5));
    const dstPorts = Math.max(1, Math.round(flows * (kind === 0 ? 0.8 : 0.1) + rng.normal()));
    const bytesOut = Math.exp(rng.normal() + (kind === 1 ? 11 : 9));
    const bytesIn = Math.exp(rng.normal() + 9.5);
    const failedAuth = Math.max(0, Math.round(rng.normal() * 1.5 + (kind === 2 ? 6 : 0.5)));
    const synRatio = Math.min(1, Math.max(0, rng.normal() * 0.1 + (kind === 0 ? 0.7 : 0.3)));
    const portClass = kind === 2 ? (rng.bool(0.7) ? 1 : rng.int(5)) : rng.int(5);
    const row = [flows, dstPorts, bytesOut, bytesIn, bytesOut / (bytesIn + 1), failedAuth, synRatio, portClass, rng.normal(), rng.next()];
    for (let j = 0; j < nCols; j++) X[r * nCols + j] = row[j] as number;
    y[r] = attack ? 1 : 0;
    if (rng.next() < 0.04) y[r] = 1 - (y[r] as number);
  }
  return { X, y, nRows, nCols, nClasses: 2 };
}

function split(d: Dataset, nTrain: number): { train: Dataset; test: Dataset } {
  const part = (from: number, to: number): Dataset => ({
    X: d.X.slice(from * d.nCols, to * d.nCols),
    y: d.y.slice(from, to),
    nRows: to - from,
    nCols: d.nCols,
    nClasses: d.nClasses,
  });
  return { train: part(0, nTrain), test: part(nTrain, d.nRows) };
}

function rows(d: Dataset): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < d.nRows; r++) out.push(Array.from(d.X.subarray(r * d.nCols, (r + 1) * d.nCols)));
  return out;
}

function accuracy(pred: ArrayLike<number>, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

function recall(pred: Int32Array, y: Int32Array, cls: number): number {
  let tp = 0;
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== cls) continue;
    pos++;
    if (pred[i] === cls) tp++;
  }
  return tp / pos;
}

afterAll(async () => {
  await closeForestPool();
});

describe('RandomForest accuracy against ml-random-forest', () => {
  const cases: [string, Dataset][] = [
    ['synthetic 3-class', synthetic(600, new Rng(11))],
    ['flow-like tabular', flowLike(600, new Rng(12))],
  ];
  for (const [name, data] of cases) {
    it(`${name}: test accuracy within 0.05 of ml-random-forest and >= 0.8`, async () => {
      const nTrain = Math.floor(data.nRows * 0.65);
      const { train, test } = split(data, nTrain);
      const ours = await RandomForest.fit(train.X, train.nRows, train.nCols, train.y, train.nClasses, { nTrees: 60, seed: 5 });
      const oursAcc = accuracy(ours.predict(test.X, test.nRows), test.y);

      // ml-random-forest searches splits in O(n^2): 30 trees keep this test quick.
      const oracle = new RandomForestClassifier({ nEstimators: 30, maxFeatures: 0.8, replacement: true, useSampleBagging: true, seed: 5 });
      oracle.train(rows(train), Array.from(train.y));
      const oracleAcc = accuracy(oracle.predict(rows(test)), test.y);

      expect(oursAcc).toBeGreaterThanOrEqual(0.8);
      expect(Math.abs(oursAcc - oracleAcc)).toBeLessThanOrEqual(0.05);
    });
  }
});

describe('RandomForest basics', () => {
  const data = synthetic(600, new Rng(21));

  it('probabilities are distributions and predict is their argmax', async () => {
    const rf = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 3, { nTrees: 10 });
    const p = rf.predictProba(data.X, data.nRows);
    const pred = rf.predict(data.X, data.nRows);
    expect(p.length).toBe(data.nRows * 3);
    for (let r = 0; r < data.nRows; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row[pred[r] as number]).toBe(Math.max(...row));
    }
    expect(accuracy(pred, data.y)).toBeGreaterThan(0.9); // training accuracy of a forest
  });

  it('rejects bad input with CyrangeError', async () => {
    await expect(RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 2, {})).rejects.toThrow(/y\[\d+\]/);
    await expect(RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 3, { bins: 300 })).rejects.toThrow(CyrangeError);
    await expect(RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 3, { maxFeatures: 1.5 })).rejects.toThrow(/maxFeatures/);
    await expect(RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 3, { classWeight: [1, 2] })).rejects.toThrow(/classWeight/);
  });
});

describe('RandomForest tree growing', () => {
  it('the histogram subtraction trick changes nothing in the trees', () => {
    // Large enough, with maxFeatures >= 0.5, for the trick to engage at the top levels.
    const data = flowLike(6000, new Rng(71));
    const edges = computeBinEdges(data.X, data.nRows, data.nCols, 64);
    const binned = binRows(data.X, data.nRows, data.nCols, edges, new Uint8Array(data.nRows * data.nCols));
    const base: TreeFitData = {
      binned, y: data.y, nRows: data.nRows, nCols: data.nCols, nClasses: 2, edges: edges.edges, edgeStart: edges.edgeStart,
      classWeight: new Float64Array([1, 3]), maxDepth: 12, minSamplesLeaf: 2, minSamplesSplit: 2, mtry: 7, bootstrap: true, subtraction: false,
    };
    for (let i = 0; i < 3; i++) {
      const plain = fitTree(base, treeRng(4, i));
      const trick = fitTree({ ...base, subtraction: true }, treeRng(4, i));
      expect(plain.feature.length).toBeGreaterThan(50);
      expect(trick).toEqual(plain);
    }
  });

  it('bin edges: few distinct values are cut halfway; NaN lands in the last bin', () => {
    const X = new Float32Array([3, -1, 2, -1, 3, NaN]);
    const edges = computeBinEdges(X, 6, 1, 64);
    expect(Array.from(edges.edges)).toEqual([0.5, 2.5]);
    const b = binRows(X, 6, 1, edges, new Uint8Array(6));
    expect(Array.from(b)).toEqual([2, 0, 1, 0, 2, 2]);
    // Many distinct values: at most bins - 1 strictly increasing edges.
    const rng = new Rng(3);
    const Y = Float32Array.from({ length: 5000 }, () => rng.normal());
    const e2 = computeBinEdges(Y, 5000, 1, 16).edges;
    expect(e2.length).toBe(15);
    for (let i = 1; i < e2.length; i++) expect(e2[i] as number).toBeGreaterThan(e2[i - 1] as number);
    // Quantile cuts: each bin holds about 1/16 of the values.
    const sorted = Array.from(Y).sort((a, b) => a - b);
    for (let q = 1; q < 16; q++) expect(e2[q - 1] as number).toBeCloseTo(((sorted[Math.round((q * 5000) / 16) - 1] as number) + (sorted[Math.round((q * 5000) / 16)] as number)) / 2, 6);
  });
});

describe('RandomForest determinism', () => {
  const data = flowLike(1500, new Rng(31));
  const opts = { nTrees: 24, maxFeatures: 0.5, seed: 9 } as const;

  it('same seed gives the same predictions; another seed gives another forest', async () => {
    const a = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 2, opts);
    const b = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 2, opts);
    const c = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 2, { ...opts, seed: 10 });
    expect(Array.from(b.predictProba(data.X, data.nRows))).toEqual(Array.from(a.predictProba(data.X, data.nRows)));
    expect(Array.from(c.predictProba(data.X, data.nRows))).not.toEqual(Array.from(a.predictProba(data.X, data.nRows)));
  });

  // Piscina workers run the compiled JS in dist/ (vitest's global setup builds it).
  it('workers 0 and 2 give identical forests', async () => {
    expect(forestWorkerPath()).not.toBeNull();
    const inThread = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 2, { ...opts, workers: 0 });
    const pooled = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 2, { ...opts, workers: 2 });
    expect(pooled.toJSON()).toEqual(inThread.toJSON());
    expect(Array.from(pooled.predictProba(data.X, data.nRows))).toEqual(Array.from(inThread.predictProba(data.X, data.nRows)));
  });
});

describe('RandomForest class weights and importances', () => {
  it("classWeight 'balanced' raises minority recall on an imbalanced set", async () => {
    // 5% minority, overlapping classes: unweighted shallow trees mostly vote for the majority.
    const rng = new Rng(41);
    const make = (n: number): Dataset => {
      const X = new Float32Array(n * 4);
      const y = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        const minority = rng.next() < 0.05;
        y[r] = minority ? 1 : 0;
        X[r * 4] = rng.normal() + (minority ? 1.3 : 0);
        X[r * 4 + 1] = rng.normal() + (minority ? 1.0 : 0);
        X[r * 4 + 2] = rng.normal();
        X[r * 4 + 3] = rng.normal();
      }
      return { X, y, nRows: n, nCols: 4, nClasses: 2 };
    };
    const train = make(3000);
    const test = make(3000);
    const opts = { nTrees: 30, maxDepth: 6, minSamplesLeaf: 20, seed: 3 };
    const plain = await RandomForest.fit(train.X, train.nRows, 4, train.y, 2, opts);
    const weighted = await RandomForest.fit(train.X, train.nRows, 4, train.y, 2, { ...opts, classWeight: 'balanced' });
    const rPlain = recall(plain.predict(test.X, test.nRows), test.y, 1);
    const rWeighted = recall(weighted.predict(test.X, test.nRows), test.y, 1);
    expect(rWeighted).toBeGreaterThan(rPlain + 0.2);
    // Explicit weights work the same way.
    const explicit = await RandomForest.fit(train.X, train.nRows, 4, train.y, 2, { ...opts, classWeight: [1, 19] });
    expect(recall(explicit.predict(test.X, test.nRows), test.y, 1)).toBeGreaterThan(rPlain + 0.2);
  });

  it('ranks the informative feature above noise features', async () => {
    const rng = new Rng(51);
    const n = 1000;
    const nCols = 6;
    const X = new Float32Array(n * nCols);
    const y = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < nCols; j++) X[r * nCols + j] = rng.normal();
      y[r] = (X[r * nCols + 2] as number) + 0.3 * rng.normal() > 0 ? 1 : 0;
    }
    const rf = await RandomForest.fit(X, n, nCols, y, 2, { nTrees: 30, seed: 2 });
    const imp = rf.featureImportances();
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (let j = 0; j < nCols; j++) if (j !== 2) expect(imp[2] as number).toBeGreaterThan(2 * (imp[j] as number));
  });
});

describe('RandomForest JSON', () => {
  const data = synthetic(400, new Rng(61));

  it('round-trips through JSON.stringify with identical probabilities', async () => {
    const rf = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 3, { nTrees: 12, classWeight: 'balanced', bins: 32 });
    const text = JSON.stringify(rf.toJSON());
    const back = RandomForest.fromJSON(JSON.parse(text), 'model.json');
    expect(Array.from(back.predictProba(data.X, data.nRows))).toEqual(Array.from(rf.predictProba(data.X, data.nRows)));
    expect(Array.from(back.featureImportances())).toEqual(Array.from(rf.featureImportances()));
    expect(back.options).toEqual(rf.options);
    expect(JSON.stringify(back.toJSON())).toBe(text);
  });

  it('names the bad field of a tampered model', async () => {
    const rf = await RandomForest.fit(data.X, data.nRows, data.nCols, data.y, 3, { nTrees: 3 });
    const fresh = (): Record<string, unknown> & { trees: Record<string, number[]>[] } => JSON.parse(JSON.stringify(rf.toJSON()));
    const expectError = (json: unknown, field: string): void => {
      let err: unknown;
      try {
        RandomForest.fromJSON(json, 'm.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CyrangeError);
      expect((err as Error).message.startsWith(`m.json: ${field}:`)).toBe(true);
    };

    const shortArray = fresh();
    shortArray.trees[1]!.threshold!.pop();
    expectError(shortArray, 'trees[1].threshold');

    const missing = fresh();
    delete missing.binEdges;
    expectError(missing, 'binEdges');

    const badLeaves = fresh();
    badLeaves.trees[0]!.leafValue!.push(0.5);
    expectError(badLeaves, 'trees[0].leafValue');

    const cycle = fresh();
    if (cycle.trees[2]!.feature![0]! >= 0) {
      cycle.trees[2]!.child![0] = 0; // a node pointing at itself would loop forever
      expectError(cycle, 'trees[2].child[0]');
    }

    const badFeature = fresh();
    badFeature.trees[0]!.feature![0] = data.nCols;
    expectError(badFeature, 'trees[0].feature[0]');

    const badOption = fresh();
    (badOption.options as Record<string, unknown>).bins = 'many';
    expectError(badOption, 'options.bins');

    expectError([], '(root)');
    expectError({ ...fresh(), version: 99 }, 'version');
  });
});
