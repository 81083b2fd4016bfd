/**
 * Histogram binning of the random forest: every feature is cut once into at most `bins` quantile bins on
 * the training data, and rows are binned to a Uint8Array once, so a node's split search is a pass over
 * its rows filling per-bin class counts (forest-tree.ts).
 */

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
