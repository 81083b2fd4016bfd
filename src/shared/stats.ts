/**
 * Descriptive and inferential statistics for the report tables.
 *
 * Descriptives (mean, variance, quantiles, CIs), the Holm adjustment and detection scores are here; the
 * t quantile comes from @stdlib (`stats-base-dists-t-quantile`). The tests and intervals of the lab's
 * seed-unit inference have their own files: paired-tests.ts, trend.ts, bootstrap.ts, kaplan-meier.ts,
 * verdict.ts (distribution functions in distributions.ts, from @stdlib).
 *
 * Degenerate-input policy (nothing here throws on *data*):
 * - empty input -> NaN statistics;
 * - too few observations for a dispersion estimate (n < 2) -> NaN variance / CI half-width / test;
 * - zero within-group variance in a test -> NaN test statistic where undefined, and NaN p-value;
 * - non-finite values (NaN, +-Infinity) anywhere in a test's input -> all-NaN result.
 * Programmer errors (a quantile level outside [0, 1], negative or fractional counts) throw RangeError.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

// ---------------------------------------------------------------------------------------------
// Descriptives
// ---------------------------------------------------------------------------------------------

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  return s / n;
}

/** Sample variance (denominator n - 1), two-pass for accuracy; NaN when n < 2. */
export function variance(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  let comp = 0; // corrected two-pass (Chan et al.): subtracts the rounding error of the mean
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m;
    ss += d * d;
    comp += d;
  }
  return Math.max(0, (ss - (comp * comp) / n) / (n - 1));
}

/** Sample standard deviation (n - 1); NaN when n < 2. */
export function std(values: readonly number[]): number {
  return Math.sqrt(variance(values));
}

function isSortedAscending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i - 1]! <= values[i]!)) return false;
  return true;
}

/**
 * Quantile with linear interpolation between order statistics (Hyndman & Fan type 7; the default of
 * R's `quantile`, numpy's `percentile`/`quantile` and Excel's PERCENTILE.INC).
 * Accepts sorted or unsorted input (never mutates it). Empty input -> NaN. Throws RangeError for q
 * outside [0, 1]. NaN values in the input make the result unspecified (they do not sort).
 */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const n = values.length;
  if (n === 0) return NaN;
  const xs = isSortedAscending(values) ? values : [...values].sort((a, b) => a - b);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const frac = h - lo;
  const a = xs[lo]!;
  const b = xs[hi]!;
  // a + frac*(b-a) is exact at the ends and avoids Infinity-Infinity when frac is 0
  return frac === 0 ? a : a + frac * (b - a);
}

/** Median (type-7 quantile at 0.5, i.e. the usual mid-point average for even n); NaN when empty. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export interface ConfidenceInterval {
  mean: number;
  lo: number;
  hi: number;
  /** t_{1-alpha/2, n-1} * s / sqrt(n); NaN when n < 2 (no dispersion estimate), 0 for constant data. */
  halfWidth: number;
  n: number;
}

/**
 * Two-sided confidence interval for the mean from the Student t distribution with n - 1 df.
 * n = 0: every field NaN except n. n = 1: mean is the value, halfWidth/lo/hi are NaN (a single
 * observation says nothing about spread; reporting +-0 would be a lie).
 */
export function confidenceInterval(values: readonly number[], level = 0.95): ConfidenceInterval {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidenceInterval: level must be in (0, 1), got ${level}`);
  const n = values.length;
  const m = mean(values);
  if (n < 2) return { mean: m, lo: NaN, hi: NaN, halfWidth: NaN, n };
  const se = std(values) / Math.sqrt(n);
  const halfWidth = tQuantile(1 - (1 - level) / 2, n - 1) * se;
  return { mean: m, lo: m - halfWidth, hi: m + halfWidth, halfWidth, n };
}

/** 95 % t confidence interval for the mean; see `confidenceInterval` for n = 0 and n = 1. */
export function ci95(values: readonly number[]): ConfidenceInterval {
  return confidenceInterval(values, 0.95);
}

// ---------------------------------------------------------------------------------------------
// Multiple testing
// ---------------------------------------------------------------------------------------------

/**
 * Holm–Bonferroni step-down adjustment of a family of p-values (returned in input order, capped at 1).
 * NaN p-values are passed through as NaN and do not count towards the family size.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const idx = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p));
  idx.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const m = idx.length;
  const out = pValues.map(() => NaN);
  let running = 0;
  idx.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p)); // monotone: never below an earlier step
    out[i] = running;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Detection metrics
// ---------------------------------------------------------------------------------------------

function checkCount(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`${name} must be a non-negative integer count, got ${v}`);
}

export interface PrecisionRecallF1 {
  /** tp / (tp + fp); NaN when nothing was flagged. */
  precision: number;
  /** tp / (tp + fn); NaN when there was nothing to find. */
  recall: number;
  /**
   * 2tp / (2tp + fp + fn): the harmonic mean of precision and recall when both exist, 0 when tp = 0 but
   * there were errors, NaN only when all three counts are 0 (nothing flagged, nothing to find).
   */
  f1: number;
}

/** Precision, recall and F1 from confusion counts; undefined ratios are NaN (see field docs). */
export function precisionRecallF1(tp: number, fp: number, fn: number): PrecisionRecallF1 {
  checkCount('tp', tp);
  checkCount('fp', fp);
  checkCount('fn', fn);
  const precision = tp + fp === 0 ? NaN : tp / (tp + fp);
  const recall = tp + fn === 0 ? NaN : tp / (tp + fn);
  const denom = 2 * tp + fp + fn;
  const f1 = denom === 0 ? NaN : (2 * tp) / denom;
  return { precision, recall, f1 };
}

/** False-positive rate fp / (fp + tn); NaN when there were no negatives. */
export function fpr(fp: number, tn: number): number {
  checkCount('fp', fp);
  checkCount('tn', tn);
  return fp + tn === 0 ? NaN : fp / (fp + tn);
}

/** Confusion counts of binary predictions against labels (optionally weighted), with precision, recall, F1 and FPR. */
export interface DetectionScores {
  rows: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
  fpr: number;
}

export function scoreDetections(pred: ArrayLike<number>, y: ArrayLike<number>, weights?: ArrayLike<number>): DetectionScores {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]! > 0, a = y[i]! > 0;
    const w = weights ? weights[i]! : 1;
    if (p && a) tp += w;
    else if (p) fp += w;
    else if (a) fn += w;
    else tn += w;
  }
  if (weights) [tp, fp, fn, tn] = [tp, fp, fn, tn].map((x) => Math.round(x)) as [number, number, number, number];
  const { precision, recall, f1 } = precisionRecallF1(tp, fp, fn);
  return { rows: pred.length, tp, fp, fn, tn, precision, recall, f1, fpr: fpr(fp, tn) };
}
