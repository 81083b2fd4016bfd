/**
 * Fitting one tree of the random forest on binned rows (forest-binning.ts): bootstrap, per-split feature
 * sampling, histogram split search with the subtraction trick near the root, stable in-place partition of
 * row indices.
 *
 * A tree is four flat arrays (no per-node objects): `feature[node]` (-1 for a leaf), `threshold[node]`
 * (go left when x <= threshold), `child[node]` (left child; the right child is child + 1; for a leaf, the
 * leaf's index into `leafValue`), and `leafValue` (nLeaves x nClasses class probabilities). Thresholds are
 * the raw float bin edges, so prediction never bins (NaN fails every `<=`: it goes right, as it was
 * binned into the last bin during the fit).
 */
import { Rng } from '../shared/prng.js';

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
