/**
 * Descriptive and inferential statistics for the report tables.
 *
 * Descriptives (mean, variance, quantiles, CIs) are computed here; distribution functions and the two
 * hypothesis tests come from @stdlib (`stats-ttest2`, `stats-anova1`, `stats-base-dists-t-quantile`),
 * so p-values rest on a maintained numerical library rather than a hand-rolled incomplete beta.
 *
 * Degenerate-input policy (nothing here throws on *data*):
 * - empty input -> NaN statistics;
 * - too few observations for a dispersion estimate (n < 2) -> NaN variance / CI half-width / test;
 * - zero within-group variance in a test -> NaN test statistic where undefined, and NaN p-value;
 * - non-finite values (NaN, +-Infinity) anywhere in a test's input -> all-NaN result.
 * Programmer errors (a quantile level outside [0, 1], negative or fractional counts) throw RangeError.
 */
import ttest2 from '@stdlib/stats-ttest2';
import anova1 from '@stdlib/stats-anova1';
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
// Hypothesis tests
// ---------------------------------------------------------------------------------------------

export interface WelchResult {
  /** (mean(a) - mean(b)) / sqrt(s_a^2/n_a + s_b^2/n_b) */
  t: number;
  /** Welch–Satterthwaite degrees of freedom (non-integer). */
  df: number;
  /** Two-sided p-value. */
  pValue: number;
}

function allFinite(values: readonly number[]): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

const NAN_WELCH: WelchResult = Object.freeze({ t: NaN, df: NaN, pValue: NaN });

/**
 * Welch's unequal-variance two-sample t-test, two-sided (p-value from @stdlib/stats-ttest2).
 * Returns all-NaN (never throws) when either sample has fewer than 2 values, contains a non-finite
 * value, or both samples have zero variance (the standard error is 0 and df is 0/0). One constant
 * sample is fine: df then comes from the other sample alone.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult {
  if (a.length < 2 || b.length < 2 || !allFinite(a) || !allFinite(b)) return { ...NAN_WELCH };
  const va = variance(a);
  const vb = variance(b);
  if (va === 0 && vb === 0) return { ...NAN_WELCH };
  const r = ttest2([...a], [...b], { variance: 'unequal', alternative: 'two-sided' });
  return { t: r.statistic, df: r.df, pValue: r.pValue };
}

export interface AnovaResult {
  F: number;
  dfBetween: number;
  dfWithin: number;
  /** Upper-tail F probability. Computed as 1 - cdf by @stdlib, so it bottoms out at ~1e-16 (0 below). */
  pValue: number;
}

/**
 * One-way ANOVA (equal variances assumed) across groups; F and p from @stdlib/stats-anova1.
 * Empty groups are dropped (they carry no information) before counting degrees of freedom.
 * Returns NaN F/p (never throws) with fewer than 2 non-empty groups, no within-group degrees of freedom
 * (every group has one value), non-finite input, or zero within-group variance (F is then
 * +Infinity if the group means differ, NaN if not; p is NaN either way).
 */
export function anovaOneWay(groups: readonly (readonly number[])[]): AnovaResult {
  const kept = groups.filter((g) => g.length > 0);
  const k = kept.length;
  const N = kept.reduce((s, g) => s + g.length, 0);
  const dfBetween = k - 1;
  const dfWithin = N - k;
  if (k < 2 || dfWithin < 1 || !kept.every(allFinite)) return { F: NaN, dfBetween, dfWithin, pValue: NaN };

  let ssWithin = 0;
  let ssBetween = 0;
  const grand = mean(kept.flat());
  for (const g of kept) {
    const m = mean(g);
    for (const v of g) ssWithin += (v - m) * (v - m);
    ssBetween += g.length * (m - grand) * (m - grand);
  }
  if (ssWithin === 0) return { F: ssBetween > 0 ? Infinity : NaN, dfBetween, dfWithin, pValue: NaN };

  const x: number[] = [];
  const factor: string[] = [];
  kept.forEach((g, i) => {
    for (const v of g) {
      x.push(v);
      factor.push(`g${i}`);
    }
  });
  const r = anova1(x, factor);
  return { F: r.statistic, dfBetween: r.treatment.df, dfWithin: r.error.df, pValue: r.pValue };
}

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
