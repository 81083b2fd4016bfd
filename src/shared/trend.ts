/**
 * A trend test: Spearman's rank correlation between x (e.g. network size) and y (a per-seed value).
 * Ties get average ranks (rho is Pearson's r of the ranks). Monotone, not only linear: a claim that a
 * quantity "rises with size" is a claim about ranks. Two-sided p-value:
 * - n <= 9: exact, over all n! pairings of y with x (scipy.stats.permutation_test with
 *   permutation_type='pairings' and n_resamples=inf: 2 min(P(rho* <= rho), P(rho* >= rho))). The t
 *   approximation is far too small here: 0.0028 instead of the exact 0.022 for 3 sizes x 2 seeds in order;
 * - larger n: scipy.stats.spearmanr's t approximation, t = rho sqrt((n - 2) / (1 - rho^2)) on n - 2 df.
 */
import { tTwoSided } from './distributions.js';
import { averageRanks } from './ranks.js';
import { mean } from './stats.js';

export interface SpearmanResult {
  n: number;
  rho: number;
  pValue: number;
  method: 'exact' | 't' | 'none';
}

/** Largest n whose n! pairings are enumerated (9! = 362,880). */
export const SPEARMAN_EXACT_MAX = 9;

/** 2 min(P(S <= s), P(S >= s)) over every permutation of ry, for S = sum rx[i] ry[perm(i)] (Heap's algorithm). */
function exactPairings(rx: readonly number[], ry: readonly number[]): number {
  const n = rx.length;
  const a = [...ry];
  const dot = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += rx[i]! * a[i]!;
    return s;
  };
  const obs = dot();
  const gamma = Math.abs(100 * Number.EPSILON * obs); // scipy's tolerance for float comparisons
  let less = 0;
  let greater = 0;
  let total = 0;
  const visit = (): void => {
    const s = dot();
    if (s <= obs + gamma) less++;
    if (s >= obs - gamma) greater++;
    total++;
  };
  const c = new Array<number>(n).fill(0);
  visit();
  for (let i = 1; i < n; ) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [a[j], a[i]] = [a[i]!, a[j]!];
      visit();
      c[i]!++;
      i = 1;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return Math.min(1, (2 * Math.min(less, greater)) / total);
}

export function spearman(x: readonly number[], y: readonly number[]): SpearmanResult {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} x values against ${y.length} y values`);
  const n = x.length;
  if (n < 3 || !x.every(Number.isFinite) || !y.every(Number.isFinite)) return { n, rho: NaN, pValue: NaN, method: 'none' };
  const rx = averageRanks(x).ranks;
  const ry = averageRanks(y).ranks;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return { n, rho: NaN, pValue: NaN, method: 'none' };
  const rho = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  // rho is an increasing function of sum rx*ry (the rank sums and spreads do not change under pairing)
  if (n <= SPEARMAN_EXACT_MAX) return { n, rho, pValue: exactPairings(rx, ry), method: 'exact' };
  if (Math.abs(rho) === 1) return { n, rho, pValue: 0, method: 't' };
  const t = rho * Math.sqrt((n - 2) / ((1 + rho) * (1 - rho)));
  return { n, rho, pValue: tTwoSided(t, n - 2), method: 't' };
}
