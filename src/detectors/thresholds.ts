/**
 * Decision thresholds of the detectors, chosen on the validation split.
 */

/** Threshold maximising weighted F1 for `score >= t`, midway between neighbouring scores. */
export function weightedMaxF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let pos = 0;
  for (let i = 0; i < n; i++) if (labels[i]! > 0) pos += weights ? weights[i]! : 1;
  if (pos === 0) return Infinity;
  let tp = 0;
  let flagged = 0;
  let best = -1;
  let bestT = Infinity;
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    const w = weights ? weights[i]! : 1;
    flagged += w;
    if (labels[i]! > 0) tp += w;
    const s = scores[i]!;
    const next = k + 1 < n ? scores[idx[k + 1]!]! : -Infinity;
    if (next === s) continue;
    const f1 = (2 * tp) / (flagged + pos);
    if (f1 > best) {
      best = f1;
      bestT = Number.isFinite(next) ? (s + next) / 2 : s;
    }
  }
  return bestT;
}

/** Mean row weight per class (rows subsampled at rate r carry 1/r): class weights that undo the subsampling. */
export function classMeanWeights(y: Int32Array, w: Float32Array, k: number): number[] {
  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
  for (let i = 0; i < y.length; i++) {
    sum[y[i]!]! += w[i]!;
    cnt[y[i]!]!++;
  }
  return Array.from(sum, (s, c) => (cnt[c]! > 0 ? s / cnt[c]! : 1));
}
