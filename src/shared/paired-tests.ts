/**
 * Paired comparisons over matched units (in the lab: seeds): the paired t-test and the Wilcoxon
 * signed-rank test, both two-sided, on the differences x[i] - y[i].
 *
 * The Wilcoxon test follows scipy.stats.wilcoxon's defaults (zero_method 'wilcox': zero differences are
 * dropped; no continuity correction; method 'auto'):
 * - no ties and no zeros, n <= 50: the exact null distribution of W+;
 * - ties or zeros, n <= 13 pairs: the exact permutation distribution (all 2^n sign flips of the
 *   differences, average ranks), which is what scipy's permutation fallback computes at that size;
 * - otherwise: the normal approximation with the tie correction of the variance.
 * Degenerate input (n < 2 for t, no non-zero difference for Wilcoxon, non-finite values) gives NaN, never a throw.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { mean, std } from './stats.js';
import { normalCdf, tTwoSided } from './distributions.js';
import { averageRanks } from './ranks.js';

function differences(x: readonly number[], y: readonly number[]): number[] | null {
  if (x.length !== y.length) throw new RangeError(`paired test: ${x.length} values against ${y.length}`);
  const d = x.map((v, i) => v - y[i]!);
  return d.every(Number.isFinite) ? d : null;
}

export interface PairedTTestResult {
  /** Pairs. */
  n: number;
  /** mean(x - y). */
  meanDiff: number;
  sdDiff: number;
  t: number;
  df: number;
  /** Two-sided. */
  pValue: number;
  /** t confidence interval of the mean difference at `level`. */
  ciLow: number;
  ciHigh: number;
}

/**
 * Paired t-test of mean(x - y) = 0. NaN statistics when n < 2, and when the differences have no spread
 * (a t statistic there would be 0/0 or infinite: a p-value resting on nothing but the normality assumption).
 */
export function pairedTTest(x: readonly number[], y: readonly number[], level = 0.95): PairedTTestResult {
  const d = differences(x, y);
  const n = x.length;
  const none = { n, meanDiff: d && n ? mean(d) : NaN, sdDiff: NaN, t: NaN, df: n - 1, pValue: NaN, ciLow: NaN, ciHigh: NaN };
  if (d === null || n < 2) return none;
  const m = mean(d);
  const sd = std(d);
  if (!(sd > 0)) return { ...none, meanDiff: m, sdDiff: sd };
  const se = sd / Math.sqrt(n);
  const t = m / se;
  const half = tQuantile(1 - (1 - level) / 2, n - 1) * se;
  return { n, meanDiff: m, sdDiff: sd, t, df: n - 1, pValue: tTwoSided(t, n - 1), ciLow: m - half, ciHigh: m + half };
}

export interface WilcoxonResult {
  /** Non-zero differences (zeros are dropped). */
  n: number;
  zeros: number;
  /** Sum of the ranks of the positive differences. */
  wPlus: number;
  /** min(W+, W-), the statistic scipy reports for the two-sided test. */
  statistic: number;
  method: 'exact' | 'permutation' | 'asymptotic' | 'none';
  /** Two-sided. */
  pValue: number;
}

/** Counts of subsets of {1..n} by their sum: the exact null distribution of W+ (times 2^n). */
function signedRankCounts(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const c = new Float64Array(max + 1);
  c[0] = 1;
  for (let r = 1; r <= n; r++) for (let k = max; k >= r; k--) c[k]! += c[k - r]!;
  return c;
}

/** Wilcoxon signed-rank test of the differences x - y (two-sided; see the file comment for the method). */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[]): WilcoxonResult {
  const d = differences(x, y);
  if (d === null) return { n: 0, zeros: 0, wPlus: NaN, statistic: NaN, method: 'none', pValue: NaN };
  const nz = d.filter((v) => v !== 0);
  const zeros = d.length - nz.length;
  const n = nz.length;
  if (n === 0) return { n, zeros, wPlus: NaN, statistic: NaN, method: 'none', pValue: NaN };
  const { ranks, tieGroups } = averageRanks(nz.map(Math.abs));
  let wPlus = 0;
  nz.forEach((v, i) => {
    if (v > 0) wPlus += ranks[i]!;
  });
  const statistic = Math.min(wPlus, (n * (n + 1)) / 2 - wPlus);
  const ties = tieGroups.some((g) => g > 1);

  if (!ties && zeros === 0 && d.length <= 50) {
    const c = signedRankCounts(n);
    const total = 2 ** n;
    // scipy: round a non-integral statistic conservatively (it is integral here, without ties)
    const lo = Math.ceil(wPlus);
    const hi = Math.floor(wPlus);
    let cdf = 0;
    for (let k = 0; k <= lo && k < c.length; k++) cdf += c[k]!;
    let sf = 0;
    for (let k = Math.max(0, hi); k < c.length; k++) sf += c[k]!;
    return { n, zeros, wPlus, statistic, method: 'exact', pValue: Math.min(1, (2 * Math.min(cdf, sf)) / total) };
  }

  if (d.length <= 13) {
    // Every sign flip of the non-zero differences (zeros flip to themselves, which scales both counts alike).
    const total = 2 ** n;
    const gamma = Math.abs(100 * Number.EPSILON * wPlus); // scipy's tolerance for float comparisons
    let less = 0;
    let greater = 0;
    for (let mask = 0; mask < total; mask++) {
      let w = 0;
      for (let i = 0; i < n; i++) if (mask & (1 << i)) w += ranks[i]!;
      if (w <= wPlus + gamma) less++;
      if (w >= wPlus - gamma) greater++;
    }
    return { n, zeros, wPlus, statistic, method: 'permutation', pValue: Math.min(1, (2 * Math.min(less, greater)) / total) };
  }

  const mn = (n * (n + 1)) / 4;
  const tieTerm = tieGroups.reduce((s, g) => s + g * g * g - g, 0);
  const se = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieTerm / 2) / 24);
  const z = (wPlus - mn) / se;
  return { n, zeros, wPlus, statistic, method: 'asymptotic', pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}
