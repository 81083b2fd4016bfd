/**
 * Histogram-binned random forest classifier (Breiman 2001, with the binning of LightGBM / scikit-learn's
 * HistGradientBoosting): the defenders' tabular detector.
 *
 * Why our own: ml-random-forest searches splits by sorting at every node (one tree on 20k x 32 took 94 s).
 * Here every feature is cut once into at most `bins` quantile bins on the training data, rows are binned
 * to a Uint8Array once, and a node's split search is one pass over its rows filling per-bin class counts
 * followed by a scan over the bins: O(rows x sampled features) per tree level.
 *
 * Files, in the order a fit uses them:
 *   forest-options.ts  options and their one zod schema (defaults, checks, what forest.json stores)
 *   forest-binning.ts  quantile edges per feature, rows -> bin codes
 *   forest-tree.ts     fitting one tree (the flat tree layout is described there)
 *   this file          the forest: fit (in this thread or on piscina workers), predict, importances, JSON
 *
 * Determinism: tree i draws from `new Rng(seed).split(i)`, so the forest is the same whatever the number
 * of worker threads.
 */
import { Piscina } from 'piscina';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { schemaError } from '../shared/schema-errors.js';
import { compiledWorkerPath } from '../shared/worker-path.js';
import { binRows, computeBinEdges, type BinEdges } from './forest-binning.js';
import { classWeights, featuresPerSplit, ForestOptionsSchema, resolveOptions, storedOptions, type RandomForestOptions, type ResolvedForestOptions } from './forest-options.js';
import { fitTreeRange, type FlatTree, type TreeFitData } from './forest-tree.js';

export type { RandomForestOptions, ResolvedForestOptions } from './forest-options.js';
export type { FlatTree } from './forest-tree.js';

export const RANDOM_FOREST_FORMAT = 'cyrange-random-forest';
export const RANDOM_FOREST_VERSION = 1;

/** A worker task: the shared fit data plus a range of tree indices. */
export interface ForestWorkerTask {
  data: TreeFitData;
  seed: number;
  from: number;
  to: number;
}

let pool: Piscina<ForestWorkerTask, FlatTree[]> | null = null;

/**
 * The compiled worker, or null when there is none. Piscina runs plain JS: when this module is the
 * TypeScript source (under vitest), use the build in dist/defenders/ instead.
 */
export function forestWorkerPath(): string | null {
  return compiledWorkerPath(import.meta.url, 'random-forest-worker.js');
}

function getPool(threads: number, file: string): Piscina<ForestWorkerTask, FlatTree[]> {
  if (pool && pool.maxThreads === threads) return pool;
  if (pool) void pool.destroy();
  // Idle piscina threads are unref'd, so a CLI can exit without closeForestPool(); call it to free them early.
  pool = new Piscina<ForestWorkerTask, FlatTree[]>({ filename: file, minThreads: threads, maxThreads: threads, idleTimeout: 30_000 });
  return pool;
}

/** Destroy the module-level worker pool (created lazily by a fit with workers > 1). */
export async function closeForestPool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p) await p.destroy();
}

/** Copy a typed array into shared memory, so worker threads read it without a copy each. */
function shared<T extends Uint8Array | Int32Array>(src: T, make: (buf: SharedArrayBuffer) => T): T {
  const out = make(new SharedArrayBuffer(src.byteLength));
  out.set(src);
  return out;
}

export class RandomForest {
  readonly nCols: number;
  readonly nClasses: number;
  readonly options: ResolvedForestOptions;
  readonly binEdges: BinEdges;
  readonly trees: readonly FlatTree[];
  private readonly importances: Float64Array;

  private constructor(nCols: number, nClasses: number, options: ResolvedForestOptions, binEdges: BinEdges, trees: FlatTree[], importances: Float64Array) {
    this.nCols = nCols;
    this.nClasses = nClasses;
    this.options = options;
    this.binEdges = binEdges;
    this.trees = trees;
    this.importances = importances;
  }

  static async fit(X: Float32Array, nRows: number, nCols: number, y: Int32Array, nClasses: number, opts: RandomForestOptions = {}): Promise<RandomForest> {
    const where = 'random-forest';
    if (!Number.isInteger(nRows) || nRows < 1 || !Number.isInteger(nCols) || nCols < 1 || X.length !== nRows * nCols) {
      throw new CyrangeError(`${where}: X: expected ${nRows} x ${nCols} = ${nRows * nCols} values, got ${X.length}`);
    }
    if (!Number.isInteger(nClasses) || nClasses < 1) throw new CyrangeError(`${where}: nClasses: expected a positive integer`);
    if (y.length !== nRows) throw new CyrangeError(`${where}: y: expected ${nRows} labels, got ${y.length}`);
    for (let i = 0; i < nRows; i++) {
      const c = y[i] as number;
      if (c < 0 || c >= nClasses) throw new CyrangeError(`${where}: y[${i}]: expected a class in [0, ${nClasses - 1}], got ${c}`);
    }
    const o = resolveOptions(opts, nClasses, where);
    const { workers, ...options } = o;

    const binEdges = computeBinEdges(X, nRows, nCols, options.bins);
    const parallel = workers > 1 ? forestWorkerPath() : null;
    const binned = binRows(X, nRows, nCols, binEdges, parallel ? new Uint8Array(new SharedArrayBuffer(nRows * nCols)) : new Uint8Array(nRows * nCols));
    const data: TreeFitData = {
      binned,
      y: parallel ? shared(y, (b) => new Int32Array(b)) : y,
      nRows,
      nCols,
      nClasses,
      edges: binEdges.edges,
      edgeStart: binEdges.edgeStart,
      classWeight: classWeights(options.classWeight, y, nClasses),
      maxDepth: options.maxDepth,
      minSamplesLeaf: options.minSamplesLeaf,
      minSamplesSplit: options.minSamplesSplit,
      mtry: featuresPerSplit(options.maxFeatures, nCols),
      bootstrap: options.bootstrap,
      subtraction: true,
    };

    let trees: FlatTree[];
    if (parallel) {
      // A few tasks per thread so uneven trees balance out; results come back in tree order.
      const p = getPool(workers, parallel);
      const nTasks = Math.min(options.nTrees, workers * 4);
      const tasks: Promise<FlatTree[]>[] = [];
      for (let t = 0; t < nTasks; t++) {
        const from = Math.floor((t * options.nTrees) / nTasks);
        const to = Math.floor(((t + 1) * options.nTrees) / nTasks);
        tasks.push(p.run({ data, seed: options.seed, from, to }));
      }
      trees = (await Promise.all(tasks)).flat();
    } else {
      trees = fitTreeRange(data, options.seed, 0, options.nTrees);
    }

    // Importances as scikit-learn: each tree's decrease normalised to sum 1, averaged, normalised again.
    const imp = new Float64Array(nCols);
    for (const t of trees) {
      let s = 0;
      for (let f = 0; f < nCols; f++) s += t.importance[f] as number;
      if (s > 0) for (let f = 0; f < nCols; f++) imp[f] += (t.importance[f] as number) / s;
    }
    normalise(imp);
    return new RandomForest(nCols, nClasses, options, binEdges, trees, imp);
  }

  /** Class probabilities, nRows x nClasses row-major: the mean of the trees' leaf distributions. */
  predictProba(X: Float32Array, nRows: number): Float32Array {
    const nCols = this.nCols;
    const nC = this.nClasses;
    if (X.length !== nRows * nCols) throw new CyrangeError(`random-forest: X: expected ${nRows} x ${nCols} values, got ${X.length}`);
    const acc = new Float64Array(nRows * nC);
    // Tree-outer loop: one tree's arrays stay in cache while all rows go through it.
    for (const t of this.trees) {
      const feature = t.feature;
      const threshold = t.threshold;
      const child = t.child;
      const leaf = t.leafValue;
      for (let r = 0; r < nRows; r++) {
        const base = r * nCols;
        let node = 0;
        let f = feature[0] as number;
        while (f >= 0) {
          node = (X[base + f] as number) <= (threshold[node] as number) ? (child[node] as number) : (child[node] as number) + 1;
          f = feature[node] as number;
        }
        const lo = (child[node] as number) * nC;
        const o = r * nC;
        for (let c = 0; c < nC; c++) acc[o + c] += leaf[lo + c] as number;
      }
    }
    const out = new Float32Array(nRows * nC);
    const inv = 1 / this.trees.length;
    for (let i = 0; i < out.length; i++) out[i] = (acc[i] as number) * inv;
    return out;
  }

  /** Most probable class per row (ties go to the lower class). */
  predict(X: Float32Array, nRows: number): Int32Array {
    const p = this.predictProba(X, nRows);
    const nC = this.nClasses;
    const out = new Int32Array(nRows);
    for (let r = 0; r < nRows; r++) {
      let best = 0;
      for (let c = 1; c < nC; c++) if ((p[r * nC + c] as number) > (p[r * nC + best] as number)) best = c;
      out[r] = best;
    }
    return out;
  }

  /** Mean decrease in weighted gini impurity per feature, normalised to sum 1 (all zero if no tree split). */
  featureImportances(): Float64Array {
    return this.importances.slice();
  }

  toJSON(): RandomForestJSON {
    const edges: number[][] = [];
    for (let f = 0; f < this.nCols; f++) {
      edges.push(Array.from(this.binEdges.edges.subarray(this.binEdges.edgeStart[f] as number, this.binEdges.edgeStart[f + 1] as number)));
    }
    return {
      format: RANDOM_FOREST_FORMAT,
      version: RANDOM_FOREST_VERSION,
      nCols: this.nCols,
      nClasses: this.nClasses,
      options: { ...this.options, classWeight: Array.isArray(this.options.classWeight) ? this.options.classWeight.slice() : this.options.classWeight },
      binEdges: edges,
      importances: Array.from(this.importances),
      trees: this.trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold),
        child: Array.from(t.child),
        leafValue: Array.from(t.leafValue),
        importance: Array.from(t.importance),
      })),
    };
  }

  /** Rebuild a forest from `toJSON()` output; `source` names the file in error messages. */
  static fromJSON(json: unknown, source: string): RandomForest {
    const parsed = ForestJsonSchema.safeParse(json);
    if (!parsed.success) throw schemaError(source, parsed.error);
    const root = parsed.data;
    const { nCols, nClasses } = root;
    const bad = (path: string, expected: string): never => {
      throw new CyrangeError(`${source}: ${path}: ${expected}`);
    };
    const options = storedOptions(root.options, nClasses, source);

    // What the schema cannot say: lengths that depend on other fields, and trees that terminate.
    if (root.binEdges.length !== nCols) bad('binEdges', `expected an array of ${nCols} arrays, got ${root.binEdges.length}`);
    root.binEdges.forEach((a, f) => {
      if (a.length > options.bins - 1) bad(`binEdges[${f}]`, `expected at most ${options.bins - 1} edges`);
      for (let i = 1; i < a.length; i++) if (!((a[i] as number) > (a[i - 1] as number))) bad(`binEdges[${f}][${i}]`, 'expected strictly increasing edges');
    });
    const edgeStart = new Int32Array(nCols + 1);
    for (let f = 0; f < nCols; f++) edgeStart[f + 1] = (edgeStart[f] as number) + (root.binEdges[f] as number[]).length;
    const edges = new Float64Array(edgeStart[nCols] as number);
    for (let f = 0; f < nCols; f++) edges.set(root.binEdges[f] as number[], edgeStart[f] as number);
    if (root.importances.length !== nCols) bad('importances', `expected an array of ${nCols} numbers, got ${root.importances.length}`);
    if (root.trees.length !== options.nTrees) bad('trees', `expected an array of ${options.nTrees} trees, got ${root.trees.length}`);
    const trees = root.trees.map((t, ti): FlatTree => {
      const p = `trees[${ti}]`;
      const nNodes = t.feature.length;
      const len = (a: number[], field: string, n: number): void => {
        if (a.length !== n) bad(`${p}.${field}`, `expected an array of ${n} numbers, got ${a.length}`);
      };
      if (nNodes < 1) bad(`${p}.feature`, 'expected at least one node');
      len(t.threshold, 'threshold', nNodes);
      len(t.child, 'child', nNodes);
      let nLeaves = 0;
      for (let i = 0; i < nNodes; i++) {
        const f = t.feature[i] as number;
        if (!Number.isInteger(f) || f < -1 || f >= nCols) bad(`${p}.feature[${i}]`, `expected -1 or an integer in [0, ${nCols - 1}]`);
        if (f < 0) nLeaves++;
      }
      for (let i = 0; i < nNodes; i++) {
        const c = t.child[i] as number;
        if ((t.feature[i] as number) < 0) {
          if (!Number.isInteger(c) || c < 0 || c >= nLeaves) bad(`${p}.child[${i}]`, `expected a leaf index in [0, ${nLeaves - 1}]`);
        } else if (!Number.isInteger(c) || c <= i || c + 1 >= nNodes) {
          // Children after their parent: prediction always terminates.
          bad(`${p}.child[${i}]`, `expected an integer in [${i + 1}, ${nNodes - 2}]`);
        }
      }
      len(t.leafValue, 'leafValue', nLeaves * nClasses);
      len(t.importance, 'importance', nCols);
      return {
        feature: Int32Array.from(t.feature),
        threshold: Float64Array.from(t.threshold),
        child: Int32Array.from(t.child),
        leafValue: Float32Array.from(t.leafValue),
        importance: Float64Array.from(t.importance),
      };
    });
    return new RandomForest(nCols, nClasses, options, { edges, edgeStart }, trees, Float64Array.from(root.importances));
  }
}

const numbers = z.array(z.number());

const TreeJsonSchema = z.strictObject({ feature: numbers, threshold: numbers, child: numbers, leafValue: numbers, importance: numbers });

/** forest.json: the flat trees, their bin edges and the options that made them. */
export const ForestJsonSchema = z.strictObject({
  format: z.literal(RANDOM_FOREST_FORMAT),
  version: z.literal(RANDOM_FOREST_VERSION),
  nCols: z.int().min(1).max(2 ** 24),
  nClasses: z.int().min(1).max(2 ** 16),
  options: ForestOptionsSchema,
  binEdges: z.array(numbers),
  importances: numbers,
  trees: z.array(TreeJsonSchema),
});

export type RandomForestJSON = z.infer<typeof ForestJsonSchema>;
export type RandomForestTreeJSON = z.infer<typeof TreeJsonSchema>;

function normalise(v: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] as number;
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / s;
}
