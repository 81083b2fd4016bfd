/**
 * Distribution functions for the tests and intervals (from @stdlib, not hand-rolled): the standard
 * normal CDF and quantile (via erfc / erfcinv) and the Student t CDF.
 */
import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';
import tCdfStdlib from '@stdlib/stats-base-dists-t-cdf';

/** Standard normal CDF, accurate in the tails (erfc, not 1 - erf). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal quantile (inverse CDF); -Infinity at 0, +Infinity at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  return -Math.SQRT2 * erfcinv(2 * p);
}

/** Student t CDF with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  return tCdfStdlib(t, df);
}

/** Two-sided p-value of a t statistic: 2 P(T <= -|t|) (computed in the lower tail for accuracy). */
export function tTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}
