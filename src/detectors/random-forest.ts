/**
 * Histogram-binned random forest classifier (Breiman 2001, with the binning of LightGBM / scikit-learn's
 * HistGradientBoosting): the defenders' tabular detector.
 *
 * Why our own: ml-random-forest searches splits by sorting at every node (one tree on 20k x 32 took 94 s).
 * Here every feature is cut once into at most `bins` quantile bins on the training data, rows are binned
 * to a Uint8Array once, and a node's split search is one pass over its rows filling per-bin class counts
 * followed by a scan over the bins: O(rows x sampled features) per tree level.
 *
 * Layout, top to bottom:
 *   1. options and their validation
 *   2. binning: quantile edges per feature, rows -> bin codes
 *   3. fitting one tree (bootstrap, per-split feature sampling, histogram split search with the
 *      subtraction trick near the root, stable in-place partition of row indices)
 *   4. the forest: fit (in this thread or on piscina workers), predict, importances
 *   5. JSON: compact flat arrays, strict validation on load
 *
 * A tree is four flat arrays (no per-node objects): `feature[node]` (-1 for a leaf), `threshold[node]`
 * (go left when x <= threshold), `child[node]` (left child; the right child is child + 1; for a leaf, the
 * leaf's index into `leafValue`), and `leafValue` (nLeaves x nClasses class probabilities). Thresholds are
 * the raw float bin edges, so prediction never bins (NaN fails every `<=`: it goes right, as it was
 * binned into the last bin during the fit).
 *
 * Determinism: tree i draws from `new Rng(seed).split(i)`, so the forest is the same whatever the number
 * of worker threads.
 */
import { Piscina } from 'piscina';
import { CyrangeError } from '../shared/errors.js';
import { Rng } from '../shared/prng.js';
import { compiledWorkerPath } from '../shared/worker-path.js';

// ---------------------------------------------------------------------------------------------------
// 1. Options
// ---------------------------------------------------------------------------------------------------

export const RANDOM_FOREST_FORMAT = 'cyrange-random-forest';
export const RANDOM_FOREST_VERSION = 1;

export type MaxFeatures = number | 'sqrt';
export type ClassWeight = 'balanced' | number[] | undefined;

export interface RandomForestOptions {
  /** Number of trees (100). */
  nTrees?: number;
  /** Maximum tree depth; the root is depth 0 (16). */
  maxDepth?: number;
  /** Minimum bootstrap draws in each leaf (1). */
  minSamplesLeaf?: number;
  /** Minimum bootstrap draws in a node to try splitting it (2). */
  minSamplesSplit?: number;
  /** Features examined per split: a fraction in (0, 1] of the columns, or 'sqrt' ('sqrt'). */
  maxFeatures?: MaxFeatures;
  /** Histogram bins per feature, 2..256 (64). */
  bins?: number;
  /** Draw each tree's rows with replacement (true). */
  bootstrap?: boolean;
  /** Class weights for imbalanced data: 'balanced' = n / (nClasses * count(class)), or one weight per class. */
  classWeight?: ClassWeight;
  /** Seed of the forest (1). */
  seed?: number;
  /** Piscina worker threads for fitting; 0 or 1 fits in this thread (0). */
  workers?: number;
}

/** The options that shape the model (stored in JSON); `workers` is a runtime choice and is not stored. */
export interface ResolvedForestOptions {
  nTrees: number;
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  maxFeatures: MaxFeatures;
  bins: number;
  bootstrap: boolean;
  classWeight: 'balanced' | number[] | null;
  seed: number;
}

function resolveOptions(opts: RandomForestOptions, nClasses: number, where: string): ResolvedForestOptions & { workers: number } {
  const intIn = (name: string, v: unknown, dflt: number, lo: number, hi: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new CyrangeError(`${where}: options.${name}: expected an integer in [${lo}, ${hi}], got ${String(v)}`);
    }
    return v;
  };
  const maxFeatures = opts.maxFeatures ?? 'sqrt';
  if (maxFeatures !== 'sqrt' && !(typeof maxFeatures === 'number' && maxFeatures > 0 && maxFeatures <= 1)) {
    throw new CyrangeError(`${where}: options.maxFeatures: expected a fraction in (0, 1] or 'sqrt', got ${String(maxFeatures)}`);
  }
  const bootstrap = opts.bootstrap ?? true;
  if (typeof bootstrap !== 'boolean') throw new CyrangeError(`${where}: options.bootstrap: expected a boolean`);
  let classWeight: ResolvedForestOptions['classWeight'] = null;
  if (opts.classWeight === 'balanced') classWeight = 'balanced';
  else if (Array.isArray(opts.classWeight)) {
    if (opts.classWeight.length !== nClasses || !opts.classWeight.every((w) => typeof w === 'number' && Number.isFinite(w) && w > 0)) {
      throw new CyrangeError(`${where}: options.classWeight: expected ${nClasses} positive finite numbers`);
    }
    classWeight = opts.classWeight.slice();
  } else if (opts.classWeight !== undefined) {
    throw new CyrangeError(`${where}: options.classWeight: expected 'balanced' or an array of ${nClasses} weights`);
  }
  return {
    nTrees: intIn('nTrees', opts.nTrees, 100, 1, 100_000),
    maxDepth: intIn('maxDepth', opts.maxDepth, 16, 1, 10_000),
    minSamplesLeaf: intIn('minSamplesLeaf', opts.minSamplesLeaf, 1, 1, 2 ** 31 - 1),
    minSamplesSplit: intIn('minSamplesSplit', opts.minSamplesSplit, 2, 2, 2 ** 31 - 1),
    maxFeatures,
    bins: intIn('bins', opts.bins, 64, 2, 256),
    bootstrap,
    classWeight,
    seed: intIn('seed', opts.seed, 1, 0, 2 ** 32 - 1),
    workers: intIn('workers', opts.workers, 0, 0, 1024),
  };
}

/** Features examined per split. */
function featuresPerSplit(maxFeatures: MaxFeatures, nCols: number): number {
  const k = maxFeatures === 'sqrt' ? Math.floor(Math.sqrt(nCols)) : Math.floor(maxFeatures * nCols);
  return Math.min(nCols, Math.max(1, k));
}

/** Per-class weights; 'balanced' follows scikit-learn: n / (nClasses * count(class)), computed on all of y. */
function classWeights(cw: ResolvedForestOptions['classWeight'], y: Int32Array, nClasses: number): Float64Array {
  const w = new Float64Array(nClasses).fill(1);
  if (cw === 'balanced') {
    const counts = new Float64Array(nClasses);
    for (let i = 0; i < y.length; i++) counts[y[i] as number]++;
    for (let c = 0; c < nClasses; c++) w[c] = (counts[c] as number) > 0 ? y.length / (nClasses * (counts[c] as number)) : 1;
  } else if (cw) {
    for (let c = 0; c < nClasses; c++) w[c] = cw[c] as number;
  }
  return w;
}

// ---------------------------------------------------------------------------------------------------
// 2. Binning
// ---------------------------------------------------------------------------------------------------

/**
 * Bin edges of all features, flat: feature f owns edges[edgeStart[f] .. edgeStart[f+1]), strictly
 * increasing. A value's bin is the first b with x <= edge[b] (or the last bin, which also takes NaN),
 * so "bin <= b" is exactly "x <= edge[b]": a split found on bins is applied to raw floats unchanged.
 */
export interface BinEdges {
  edges: Float64Array;
  edgeStart: Int32Array;
}

export function computeBinEdges(X: Float32Array, nRows: number, nCols: number, bins: number): BinEdges {
  const perFeature: number[][] = [];
  const col = new Float32Array(nRows);
  const tmp = new Uint32Array(nRows);
  const counts = new Int32Array(3 * 2048);
  for (let f = 0; f < nCols; f++) {
    let n = 0;
    for (let r = 0; r < nRows; r++) {
      const v = X[r * nCols + f] as number;
      if (v === v) col[n++] = v; // NaN is left out: it always lands in the last bin
    }
    radixSortFloat32(col, n, tmp, counts);
    const sorted = col;
    // Few distinct values (at most `bins`): cut halfway between neighbours, exact like a sorting splitter.
    let nDistinct = n > 0 ? 1 : 0;
    for (let i = 1; i < n && nDistinct <= bins; i++) if ((sorted[i] as number) !== (sorted[i - 1] as number)) nDistinct++;
    const edges: number[] = [];
    if (nDistinct <= bins) {
      for (let i = 1; i < n; i++) {
        const a = sorted[i - 1] as number;
        const b = sorted[i] as number;
        if (a !== b) edges.push((a + b) / 2);
      }
    } else {
      // Quantile cuts; a cut inside a run of ties keeps the whole run in the lower bin.
      for (let q = 1; q < bins; q++) {
        const p = Math.round((q * n) / bins);
        if (p <= 0 || p >= n) continue;
        const a = sorted[p - 1] as number;
        const b = sorted[p] as number;
        const e = a < b ? (a + b) / 2 : a;
        if (e < (sorted[n - 1] as number) && (edges.length === 0 || e > (edges[edges.length - 1] as number))) edges.push(e);
      }
    }
    perFeature.push(edges);
  }
  const edgeStart = new Int32Array(nCols + 1);
  for (let f = 0; f < nCols; f++) edgeStart[f + 1] = (edgeStart[f] as number) + (perFeature[f] as number[]).length;
  const edges = new Float64Array(edgeStart[nCols] as number);
  for (let f = 0; f < nCols; f++) edges.set(perFeature[f] as number[], edgeStart[f] as number);
  return { edges, edgeStart };
}

/**
 * Sort the first n values of `vals` (no NaN) ascending: an LSD radix sort on the float bit patterns in
 * three 11-bit passes, several times faster than TypedArray.prototype.sort on a column of 20k values.
 * Bits are mapped so that unsigned order is float order: negatives flipped entirely, positives get the
 * sign bit set.
 */
function radixSortFloat32(vals: Float32Array, n: number, tmp: Uint32Array, counts: Int32Array): void {
  const keys = new Uint32Array(vals.buffer, vals.byteOffset, n);
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const u = keys[i] as number;
    const k = (u & 0x80000000 ? ~u : u | 0x80000000) >>> 0;
    keys[i] = k;
    counts[k & 2047]++;
    counts[2048 + ((k >>> 11) & 2047)]++;
    counts[4096 + (k >>> 22)]++;
  }
  for (let p = 0; p < 3; p++) {
    let sum = 0;
    for (let b = p * 2048; b < (p + 1) * 2048; b++) {
      const c = counts[b] as number;
      counts[b] = sum;
      sum += c;
    }
  }
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    tmp[counts[k & 2047]++] = k;
  }
  for (let i = 0; i < n; i++) {
    const k = tmp[i] as number;
    keys[counts[2048 + ((k >>> 11) & 2047)]++] = k;
  }
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    tmp[counts[4096 + (k >>> 22)]++] = k;
  }
  for (let i = 0; i < n; i++) {
    const k = tmp[i] as number;
    keys[i] = k & 0x80000000 ? k & 0x7fffffff : ~k >>> 0;
  }
}

/** Row-major bin codes (rows are visited in random order during a fit, so a row's codes share a cache line). */
export function binRows(X: Float32Array, nRows: number, nCols: number, be: BinEdges, out: Uint8Array): Uint8Array {
  const { edges, edgeStart } = be;
  for (let f = 0; f < nCols; f++) {
    const lo0 = edgeStart[f] as number;
    const m = (edgeStart[f + 1] as number) - lo0;
    for (let r = 0; r < nRows; r++) {
      const v = X[r * nCols + f] as number;
      // Binary search for the first edge >= v; NaN fails every comparison and ends at m.
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= (edges[lo0 + mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      if (v !== v) lo = m;
      out[r * nCols + f] = lo;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 3. One tree
// ---------------------------------------------------------------------------------------------------

/** A fitted tree as flat arrays (see the file header). `importance` is the tree's impurity decrease per feature. */
export interface FlatTree {
  feature: Int32Array;
  threshold: Float64Array;
  child: Int32Array;
  leafValue: Float32Array;
  importance: Float64Array;
}

/** What fitting a tree needs; everything is flat so it can be shared with worker threads. */
export interface TreeFitData {
  binned: Uint8Array;
  y: Int32Array;
  nRows: number;
  nCols: number;
  nClasses: number;
  edges: Float64Array;
  edgeStart: Int32Array;
  classWeight: Float64Array;
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  /** Features per split (already resolved to a count). */
  mtry: number;
  bootstrap: boolean;
  /** Use the histogram subtraction trick (it changes speed, never the tree; off only to test that). */
  subtraction: boolean;
}

/** The random stream of tree i: a pure function of (seed, i). */
export function treeRng(seed: number, i: number): Rng {
  return new Rng(seed).split(i);
}

/**
 * Grow one tree depth-first with an explicit stack. Rows are weighted by bootstrap multiplicity (an
 * integer, so histogram counts are exact) times their class weight (applied per class in the impurity).
 * The per-node work is split into small functions (accumulate, scanFeature, clearHistogram, partition):
 * V8 optimises short, often-called functions reliably, whereas one long function with nested loops
 * relies on on-stack replacement and was seen to run several times slower after a deoptimisation.
 */
export function fitTree(d: TreeFitData, rng: Rng): FlatTree {
  const { binned, y, nRows, nCols, nClasses: nC, edges, edgeStart, classWeight: cw, maxDepth, mtry } = d;
  const minLeaf = d.minSamplesLeaf;
  const minSplit = Math.max(d.minSamplesSplit, 2 * minLeaf);

  // Bootstrap: multiplicity per row; only drawn rows enter the index array.
  const mult = new Int32Array(nRows);
  if (d.bootstrap) for (let i = 0; i < nRows; i++) mult[rng.int(nRows)]++;
  else mult.fill(1);
  let nIdx = 0;
  for (let r = 0; r < nRows; r++) if ((mult[r] as number) > 0) nIdx++;
  const idx = new Int32Array(nIdx);
  for (let r = 0, k = 0; r < nRows; r++) if ((mult[r] as number) > 0) idx[k++] = r;

  // Every leaf holds at least one distinct row, so a tree has at most 2 * nIdx - 1 nodes.
  const maxNodes = 2 * nIdx - 1;
  const feature = new Int32Array(maxNodes);
  const threshold = new Float64Array(maxNodes);
  const child = new Int32Array(maxNodes);
  const leafValue = new Float32Array(nIdx * nC);
  const importance = new Float64Array(nCols);
  const nodeCounts = new Float64Array(maxNodes * nC); // bootstrap draws per class, per node
  let nNodes = 1;
  let nLeaves = 0;
  for (let i = 0; i < nIdx; i++) {
    const r = idx[i] as number;
    nodeCounts[y[r] as number] += mult[r] as number;
  }

  // Scratch, reused by every node.
  let maxBins = 1;
  for (let f = 0; f < nCols; f++) maxBins = Math.max(maxBins, (edgeStart[f + 1] as number) - (edgeStart[f] as number) + 1);
  const stride = maxBins * nC; // histogram block of one sampled feature
  const hist = new Int32Array(mtry * stride);
  const perm = new Int32Array(nCols);
  for (let f = 0; f < nCols; f++) perm[f] = f;
  const batch = new Int32Array(mtry);
  const parent = new Float64Array(nC);
  const left = new Float64Array(nC);
  const bestLeft = new Float64Array(nC);
  const best = new Float64Array(3); // score, feature, bin
  const partTmp = new Int32Array(nIdx);

  // Subtraction trick. Per-split feature sampling means a child may need any feature, so the trick works
  // on full histograms (all features): for a large node, fill the smaller child's full histogram and get
  // the larger child's as parent minus smaller, in place. It pays only while the larger child's own
  // sampled pass would cost more than the smaller child's full pass plus the subtraction; below that,
  // nodes fill sampled histograms directly. Buffers are recycled: at most two live per tree level.
  const fullSize = nCols * stride;
  const fullBufs: Int32Array[] = [];
  const freeBufs: number[] = [];
  const acquireFull = (): number => {
    const s = freeBufs.pop();
    if (s !== undefined) {
      (fullBufs[s] as Int32Array).fill(0);
      return s;
    }
    fullBufs.push(new Int32Array(fullSize));
    return fullBufs.length - 1;
  };

  // Stack of pending nodes: node id, row range [start, end), depth, full-histogram slot (-1: none).
  // At most one pending sibling per level.
  const stack = new Int32Array(5 * (maxDepth + 2));
  let sp = 0;
  let rootSlot = -1;
  if (d.subtraction && 2 * mtry >= nCols && nIdx * mtry > 4 * fullSize) {
    rootSlot = acquireFull();
    accumulateAll(fullBufs[rootSlot] as Int32Array, binned, nCols, idx, 0, nIdx, mult, y, stride, nC);
  }
  stack[sp++] = 0; stack[sp++] = 0; stack[sp++] = nIdx; stack[sp++] = 0; stack[sp++] = rootSlot;

  while (sp > 0) {
    const slot = stack[--sp] as number;
    const depth = stack[--sp] as number;
    const end = stack[--sp] as number;
    const start = stack[--sp] as number;
    const node = stack[--sp] as number;

    // Node totals: draws n, weighted total W and sum of squared weighted class totals S (gini = 1 - S / W^2).
    let n = 0;
    let W = 0;
    let S = 0;
    let classesPresent = 0;
    for (let c = 0; c < nC; c++) {
      const k = nodeCounts[node * nC + c] as number;
      parent[c] = k;
      n += k;
      const w = k * (cw[c] as number);
      W += w;
      S += w * w;
      if (k > 0) classesPresent++;
    }

    best[0] = -Infinity;
    best[1] = -1;
    if (depth < maxDepth && n >= minSplit && classesPresent > 1) {
      // Sample features without replacement, mtry at a time; like scikit-learn, keep drawing while no
      // valid split has been found (e.g. every sampled feature is constant in this node).
      let drawn = 0;
      while (best[1] < 0 && drawn < nCols) {
        const k = Math.min(mtry, nCols - drawn);
        for (let j = 0; j < k; j++) {
          const pick = drawn + rng.int(nCols - drawn);
          const t = perm[drawn] as number;
          perm[drawn] = perm[pick] as number;
          perm[pick] = t;
          batch[j] = perm[drawn] as number;
          drawn++;
        }
        const full = slot >= 0 ? (fullBufs[slot] as Int32Array) : null;
        if (!full) accumulate(hist, binned, nCols, idx, start, end, mult, y, batch, k, stride, nC);
        for (let j = 0; j < k; j++) {
          const f = batch[j] as number;
          const nb = (edgeStart[f + 1] as number) - (edgeStart[f] as number) + 1;
          const h = full ?? hist;
          const off = full ? f * stride : j * stride;
          if (nC === 2) scanFeature2(h, off, nb, parent, cw, n, minLeaf, best, bestLeft, f);
          else scanFeature(h, off, nb, nC, parent, cw, n, minLeaf, left, best, bestLeft, f);
          if (!full) clearHistogram(hist, off, nb, nC, binned, nCols, f, idx, start, end);
        }
      }
    }

    const bestF = best[1] as number;
    if (bestF < 0) {
      // Leaf: the weighted class distribution.
      feature[node] = -1;
      child[node] = nLeaves;
      for (let c = 0; c < nC; c++) leafValue[nLeaves * nC + c] = ((parent[c] as number) * (cw[c] as number)) / W;
      nLeaves++;
      if (slot >= 0) freeBufs.push(slot);
      continue;
    }

    const bestBin = best[2] as number;
    const mid = partition(idx, start, end, binned, nCols, bestF, bestBin, partTmp);
    const l = nNodes;
    nNodes += 2;
    feature[node] = bestF;
    threshold[node] = edges[(edgeStart[bestF] as number) + bestBin] as number;
    child[node] = l;
    for (let c = 0; c < nC; c++) {
      nodeCounts[l * nC + c] = bestLeft[c] as number;
      nodeCounts[(l + 1) * nC + c] = (parent[c] as number) - (bestLeft[c] as number);
    }
    // Weighted impurity decrease W*gini - WL*giniL - WR*giniR = (SL/WL + SR/WR) - S/W = score - S/W.
    importance[bestF] += (best[0] as number) - S / W;

    // Children's full histograms (see the subtraction trick above), counted in distinct rows.
    let slotL = -1;
    let slotR = -1;
    if (slot >= 0) {
      const nSmall = Math.min(mid - start, end - mid);
      const nLarge = end - start - nSmall;
      if (depth + 1 < maxDepth && nLarge * mtry > nSmall * (nCols - mtry) + fullSize) {
        const smallSlot = acquireFull();
        const smallHist = fullBufs[smallSlot] as Int32Array;
        const smallIsLeft = mid - start <= end - mid;
        if (smallIsLeft) accumulateAll(smallHist, binned, nCols, idx, start, mid, mult, y, stride, nC);
        else accumulateAll(smallHist, binned, nCols, idx, mid, end, mult, y, stride, nC);
        subtractInPlace(fullBufs[slot] as Int32Array, smallHist); // the parent's buffer becomes the larger child's
        slotL = smallIsLeft ? smallSlot : slot;
        slotR = smallIsLeft ? slot : smallSlot;
      } else {
        freeBufs.push(slot);
      }
    }

    // Depth-first, left child on top.
    stack[sp++] = l + 1; stack[sp++] = mid; stack[sp++] = end; stack[sp++] = depth + 1; stack[sp++] = slotR;
    stack[sp++] = l; stack[sp++] = start; stack[sp++] = mid; stack[sp++] = depth + 1; stack[sp++] = slotL;
  }

  return {
    feature: feature.slice(0, nNodes),
    threshold: threshold.slice(0, nNodes),
    child: child.slice(0, nNodes),
    leafValue: leafValue.slice(0, nLeaves * nC),
    importance,
  };
}

/** The hot loop: per-bin class counts of the k sampled features over the node's rows, in one pass. */
function accumulate(
  hist: Int32Array, binned: Uint8Array, nCols: number, idx: Int32Array, start: number, end: number,
  mult: Int32Array, y: Int32Array, batch: Int32Array, k: number, stride: number, nC: number,
): void {
  for (let i = start; i < end; i++) {
    const r = idx[i] as number;
    const m = mult[r] as number;
    const rowBase = r * nCols;
    let o = y[r] as number; // class slot within the first feature's block; then one block per feature
    for (let j = 0; j < k; j++) {
      hist[o + (binned[rowBase + (batch[j] as number)] as number) * nC] += m;
      o += stride;
    }
  }
}

/** Per-bin class counts of every feature over rows [start, end): a full histogram for the subtraction trick. */
function accumulateAll(
  hist: Int32Array, binned: Uint8Array, nCols: number, idx: Int32Array, start: number, end: number,
  mult: Int32Array, y: Int32Array, stride: number, nC: number,
): void {
  for (let i = start; i < end; i++) {
    const r = idx[i] as number;
    const m = mult[r] as number;
    const rowBase = r * nCols;
    let o = y[r] as number;
    for (let f = 0; f < nCols; f++) {
      hist[o + (binned[rowBase + f] as number) * nC] += m;
      o += stride;
    }
  }
}

function subtractInPlace(a: Int32Array, b: Int32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) - (b[i] as number);
}

/**
 * Scan one feature's bins left to right and keep the best split in best = [score, feature, bin] and
 * bestLeft (left class counts). A candidate sits between two consecutive non-empty bins; its threshold
 * is the edge halfway between them, since the empty bins in between say nothing about where to cut.
 * score = SL/WL + SR/WR, the part of the weighted gini decrease that depends on the split.
 */
function scanFeature(
  hist: Int32Array, off: number, nb: number, nC: number, parent: Float64Array, cw: Float64Array, n: number,
  minLeaf: number, left: Float64Array, best: Float64Array, bestLeft: Float64Array, f: number,
): void {
  for (let c = 0; c < nC; c++) left[c] = 0;
  let nLeft = 0;
  let prev = -1;
  for (let b = 0; b < nb; b++) {
    const o = off + b * nC;
    let cnt = 0;
    for (let c = 0; c < nC; c++) cnt += hist[o + c] as number;
    if (cnt === 0) continue;
    if (prev >= 0 && nLeft >= minLeaf) {
      let wl = 0, sl = 0, wr = 0, sr = 0;
      for (let c = 0; c < nC; c++) {
        const a = (left[c] as number) * (cw[c] as number);
        const z = ((parent[c] as number) - (left[c] as number)) * (cw[c] as number);
        wl += a; sl += a * a; wr += z; sr += z * z;
      }
      const score = sl / wl + sr / wr;
      if (score > (best[0] as number)) {
        best[0] = score;
        best[1] = f;
        best[2] = (prev + b - 1) >> 1;
        for (let c = 0; c < nC; c++) bestLeft[c] = left[c] as number;
      }
    }
    for (let c = 0; c < nC; c++) left[c] += hist[o + c] as number;
    nLeft += cnt;
    prev = b;
    if (n - nLeft < minLeaf) break; // the right side only shrinks from here
  }
}

/** scanFeature for two classes (the common case: benign vs attack), with the class loops unrolled. */
function scanFeature2(
  hist: Int32Array, off: number, nb: number, parent: Float64Array, cw: Float64Array, n: number, minLeaf: number,
  best: Float64Array, bestLeft: Float64Array, f: number,
): void {
  const w0 = cw[0] as number;
  const w1 = cw[1] as number;
  const p0 = parent[0] as number;
  const p1 = parent[1] as number;
  let l0 = 0;
  let l1 = 0;
  let prev = -1;
  let bestScore = best[0] as number;
  for (let b = 0; b < nb; b++) {
    const h0 = hist[off + 2 * b] as number;
    const h1 = hist[off + 2 * b + 1] as number;
    if (h0 + h1 === 0) continue;
    if (prev >= 0 && l0 + l1 >= minLeaf) {
      const a0 = l0 * w0;
      const a1 = l1 * w1;
      const z0 = (p0 - l0) * w0;
      const z1 = (p1 - l1) * w1;
      const score = (a0 * a0 + a1 * a1) / (a0 + a1) + (z0 * z0 + z1 * z1) / (z0 + z1);
      if (score > bestScore) {
        bestScore = score;
        best[0] = score;
        best[1] = f;
        best[2] = (prev + b - 1) >> 1;
        bestLeft[0] = l0;
        bestLeft[1] = l1;
      }
    }
    l0 += h0;
    l1 += h1;
    prev = b;
    if (n - l0 - l1 < minLeaf) break;
  }
}

/** Zero one feature's histogram block: through the node's rows when they are fewer than the bins. */
function clearHistogram(
  hist: Int32Array, off: number, nb: number, nC: number, binned: Uint8Array, nCols: number, f: number,
  idx: Int32Array, start: number, end: number,
): void {
  if (end - start < nb) {
    for (let i = start; i < end; i++) {
      const o = off + (binned[(idx[i] as number) * nCols + f] as number) * nC;
      for (let c = 0; c < nC; c++) hist[o + c] = 0;
    }
  } else {
    hist.fill(0, off, off + nb * nC);
  }
}

/**
 * Partition idx[start, end) in place, stably: rows whose bin of f is <= bin first, each side keeping its
 * order. Row indices start sorted and stay sorted within every node, so the histogram pass reads the
 * binned matrix front to back (hardware prefetch) instead of hopping around it. `tmp` holds the right side.
 */
function partition(idx: Int32Array, start: number, end: number, binned: Uint8Array, nCols: number, f: number, bin: number, tmp: Int32Array): number {
  let lo = start;
  let nRight = 0;
  for (let i = start; i < end; i++) {
    const r = idx[i] as number;
    if ((binned[r * nCols + f] as number) <= bin) idx[lo++] = r;
    else tmp[nRight++] = r;
  }
  for (let i = 0; i < nRight; i++) idx[lo + i] = tmp[i] as number;
  return lo;
}

/** Fit trees [from, to) of a forest; the unit of work of a worker task. */
export function fitTreeRange(d: TreeFitData, seed: number, from: number, to: number): FlatTree[] {
  const out: FlatTree[] = [];
  for (let i = from; i < to; i++) out.push(fitTree(d, treeRng(seed, i)));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 4. The forest
// ---------------------------------------------------------------------------------------------------

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

  // -------------------------------------------------------------------------------------------------
  // 5. JSON
  // -------------------------------------------------------------------------------------------------

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
    const bad = (path: string, expected: string): never => {
      throw new CyrangeError(`${source}: ${path}: ${expected}`);
    };
    const obj = (v: unknown, path: string): Record<string, unknown> => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'expected an object');
      return v as Record<string, unknown>;
    };
    const int = (v: unknown, path: string, lo: number, hi: number): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(path, `expected an integer in [${lo}, ${hi}]`);
      return v as number;
    };
    const nums = (v: unknown, path: string, len?: number): number[] => {
      if (!Array.isArray(v)) bad(path, len === undefined ? 'expected an array of numbers' : `expected an array of ${len} numbers`);
      const a = v as unknown[];
      if (len !== undefined && a.length !== len) bad(path, `expected an array of ${len} numbers, got ${a.length}`);
      for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'number' || !Number.isFinite(a[i])) bad(`${path}[${i}]`, 'expected a finite number');
      return a as number[];
    };

    const root = obj(json, '(root)');
    if (root.format !== RANDOM_FOREST_FORMAT) bad('format', `expected "${RANDOM_FOREST_FORMAT}"`);
    if (root.version !== RANDOM_FOREST_VERSION) bad('version', `expected ${RANDOM_FOREST_VERSION}`);
    const nCols = int(root.nCols, 'nCols', 1, 2 ** 24);
    const nClasses = int(root.nClasses, 'nClasses', 1, 2 ** 16);

    const o = obj(root.options, 'options');
    const cwRaw = o.classWeight;
    if (!(cwRaw === null || cwRaw === 'balanced' || Array.isArray(cwRaw))) bad('options.classWeight', "expected null, 'balanced' or an array of weights");
    const mf = o.maxFeatures;
    if (!(mf === 'sqrt' || (typeof mf === 'number' && mf > 0 && mf <= 1))) bad('options.maxFeatures', "expected a fraction in (0, 1] or 'sqrt'");
    if (typeof o.bootstrap !== 'boolean') bad('options.bootstrap', 'expected a boolean');
    const options: ResolvedForestOptions = {
      nTrees: int(o.nTrees, 'options.nTrees', 1, 100_000),
      maxDepth: int(o.maxDepth, 'options.maxDepth', 1, 10_000),
      minSamplesLeaf: int(o.minSamplesLeaf, 'options.minSamplesLeaf', 1, 2 ** 31 - 1),
      minSamplesSplit: int(o.minSamplesSplit, 'options.minSamplesSplit', 2, 2 ** 31 - 1),
      maxFeatures: mf as MaxFeatures,
      bins: int(o.bins, 'options.bins', 2, 256),
      bootstrap: o.bootstrap as boolean,
      classWeight: Array.isArray(cwRaw) ? nums(cwRaw, 'options.classWeight', nClasses).slice() : (cwRaw as 'balanced' | null),
      seed: int(o.seed, 'options.seed', 0, 2 ** 32 - 1),
    };

    if (!Array.isArray(root.binEdges)) bad('binEdges', `expected an array of ${nCols} arrays`);
    const be = root.binEdges as unknown[];
    if (be.length !== nCols) bad('binEdges', `expected an array of ${nCols} arrays, got ${be.length}`);
    const perFeature = be.map((e, f) => {
      const a = nums(e, `binEdges[${f}]`);
      if (a.length > options.bins - 1) bad(`binEdges[${f}]`, `expected at most ${options.bins - 1} edges`);
      for (let i = 1; i < a.length; i++) if (!((a[i] as number) > (a[i - 1] as number))) bad(`binEdges[${f}][${i}]`, 'expected strictly increasing edges');
      return a;
    });
    const edgeStart = new Int32Array(nCols + 1);
    for (let f = 0; f < nCols; f++) edgeStart[f + 1] = (edgeStart[f] as number) + (perFeature[f] as number[]).length;
    const edges = new Float64Array(edgeStart[nCols] as number);
    for (let f = 0; f < nCols; f++) edges.set(perFeature[f] as number[], edgeStart[f] as number);

    const importances = Float64Array.from(nums(root.importances, 'importances', nCols));

    if (!Array.isArray(root.trees)) bad('trees', `expected an array of ${options.nTrees} trees`);
    const ts = root.trees as unknown[];
    if (ts.length !== options.nTrees) bad('trees', `expected an array of ${options.nTrees} trees, got ${ts.length}`);
    const trees = ts.map((tv, ti): FlatTree => {
      const p = `trees[${ti}]`;
      const t = obj(tv, p);
      const featureA = nums(t.feature, `${p}.feature`);
      const nNodes = featureA.length;
      if (nNodes < 1) bad(`${p}.feature`, 'expected at least one node');
      const thresholdA = nums(t.threshold, `${p}.threshold`, nNodes);
      const childA = nums(t.child, `${p}.child`, nNodes);
      let nLeaves = 0;
      for (let i = 0; i < nNodes; i++) {
        const f = featureA[i] as number;
        if (!Number.isInteger(f) || f < -1 || f >= nCols) bad(`${p}.feature[${i}]`, `expected -1 or an integer in [0, ${nCols - 1}]`);
        if (f < 0) nLeaves++;
      }
      for (let i = 0; i < nNodes; i++) {
        const c = childA[i] as number;
        if ((featureA[i] as number) < 0) {
          if (!Number.isInteger(c) || c < 0 || c >= nLeaves) bad(`${p}.child[${i}]`, `expected a leaf index in [0, ${nLeaves - 1}]`);
        } else if (!Number.isInteger(c) || c <= i || c + 1 >= nNodes) {
          // Children after their parent: prediction always terminates.
          bad(`${p}.child[${i}]`, `expected an integer in [${i + 1}, ${nNodes - 2}]`);
        }
      }
      const leafA = nums(t.leafValue, `${p}.leafValue`, nLeaves * nClasses);
      const impA = nums(t.importance, `${p}.importance`, nCols);
      return {
        feature: Int32Array.from(featureA),
        threshold: Float64Array.from(thresholdA),
        child: Int32Array.from(childA),
        leafValue: Float32Array.from(leafA),
        importance: Float64Array.from(impA),
      };
    });
    return new RandomForest(nCols, nClasses, options, { edges, edgeStart }, trees, importances);
  }
}

export interface RandomForestTreeJSON {
  feature: number[];
  threshold: number[];
  child: number[];
  leafValue: number[];
  importance: number[];
}

export interface RandomForestJSON {
  format: typeof RANDOM_FOREST_FORMAT;
  version: typeof RANDOM_FOREST_VERSION;
  nCols: number;
  nClasses: number;
  options: ResolvedForestOptions;
  binEdges: number[][];
  importances: number[];
  trees: RandomForestTreeJSON[];
}

function normalise(v: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] as number;
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / s;
}
