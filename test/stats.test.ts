/**
 * Statistics against independently computed reference values.
 * Expected numbers were computed with SciPy 1.10.1 / NumPy 1.24.2 (Debian python3-scipy) and, where
 * noted, agree with the published R outputs for the same classic data sets.
 */
import { describe, it, expect } from 'vitest';
import {
  mean,
  variance,
  std,
  quantile,
  median,
  ci95,
  confidenceInterval,
  holmAdjust,
  precisionRecallF1,
  fpr,
} from '../src/shared/stats.js';

describe('descriptives', () => {
  const x = [5.1, 4.9, 5.6, 5.8, 6.0, 5.4, 5.3, 4.7, 5.5, 5.2];

  it('mean, sample variance and std match numpy (ddof=1)', () => {
    expect(mean(x)).toBeCloseTo(5.35, 12);
    expect(variance(x)).toBeCloseTo(0.15833333333333327, 12);
    expect(std(x)).toBeCloseTo(0.3979112128771107, 12);
  });

  it('degenerate descriptives are NaN, not throws', () => {
    expect(mean([])).toBeNaN();
    expect(variance([])).toBeNaN();
    expect(variance([3])).toBeNaN();
    expect(std([3])).toBeNaN();
    expect(variance([2, 2, 2])).toBe(0);
    expect(median([])).toBeNaN();
  });

  it('variance is accurate for large offsets (no catastrophic cancellation)', () => {
    const big = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
    expect(variance(big)).toBeCloseTo(30, 6);
  });

  it('quantile type 7 matches numpy.quantile default (linear)', () => {
    const u = [7.0, 1.0, 3.5, 10.0, -2.0, 4.25, 8.0];
    const expected: [number, number][] = [
      [0, -2.0],
      [0.1, -0.19999999999999973],
      [0.25, 2.25],
      [0.5, 4.25],
      [0.75, 7.5],
      [0.9, 8.8],
      [0.95, 9.399999999999999],
      [1, 10.0],
    ];
    for (const [q, v] of expected) expect(quantile(u, q)).toBeCloseTo(v, 12);
    // sorted input gives the same answer, and the unsorted input is not mutated
    const sorted = [...u].sort((a, b) => a - b);
    expect(quantile(sorted, 0.9)).toBeCloseTo(8.8, 12);
    expect(u).toEqual([7.0, 1.0, 3.5, 10.0, -2.0, 4.25, 8.0]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([42], 0.3)).toBe(42);
    expect(() => quantile(u, 1.5)).toThrow(RangeError);
    expect(() => quantile(u, NaN)).toThrow(RangeError);
  });
});

describe('confidence intervals', () => {
  it('95 % CI for n = 10 uses t_{0.975, 9} = 2.262 (t table)', () => {
    const x = [5.1, 4.9, 5.6, 5.8, 6.0, 5.4, 5.3, 4.7, 5.5, 5.2];
    const ci = ci95(x);
    expect(ci.n).toBe(10);
    expect(ci.mean).toBeCloseTo(5.35, 12);
    // the multiplier itself, recovered from the interval: 2.2621571627409915 (scipy.stats.t.ppf)
    expect(ci.halfWidth / (std(x) / Math.sqrt(10))).toBeCloseTo(2.262157, 6);
    expect(ci.halfWidth).toBeCloseTo(0.2846485340876052, 10);
    expect(ci.lo).toBeCloseTo(5.065351465912395, 10);
    expect(ci.hi).toBeCloseTo(5.634648534087605, 10);
  });

  it('other levels: 99 % is wider than 95 %', () => {
    const x = [1, 2, 3, 4, 5];
    expect(confidenceInterval(x, 0.99).halfWidth).toBeGreaterThan(ci95(x).halfWidth);
  });

  it('n = 0 gives NaN mean; n = 1 gives the value with NaN half-width; constant data gives 0 width', () => {
    const e = ci95([]);
    expect(e.n).toBe(0);
    expect(e.mean).toBeNaN();
    expect(e.halfWidth).toBeNaN();
    const one = ci95([7]);
    expect(one.mean).toBe(7);
    expect(one.halfWidth).toBeNaN();
    expect(one.lo).toBeNaN();
    expect(one.hi).toBeNaN();
    const flat = ci95([3, 3, 3]);
    expect(flat.halfWidth).toBe(0);
    expect(flat.lo).toBe(3);
    expect(flat.hi).toBe(3);
  });
});

describe('multiple comparisons', () => {
  it('Holm adjustment: step-down, monotone, capped at 1, NaN passed through', () => {
    // hand-computed: sorted 0.01,0.02,0.03,0.04 with m=4 -> 0.04, 0.06, 0.06, 0.06
    const adj = holmAdjust([0.04, 0.01, NaN, 0.03, 0.02]);
    expect(adj[0]).toBeCloseTo(0.06, 12);
    expect(adj[1]).toBeCloseTo(0.04, 12);
    expect(adj[2]).toBeNaN();
    expect(adj[3]).toBeCloseTo(0.06, 12);
    expect(adj[4]).toBeCloseTo(0.06, 12);
    expect(holmAdjust([0.5, 0.6])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});

describe('detection metrics', () => {
  it('precision, recall, F1', () => {
    const r = precisionRecallF1(8, 2, 4);
    expect(r.precision).toBeCloseTo(0.8, 12);
    expect(r.recall).toBeCloseTo(8 / 12, 12);
    expect(r.f1).toBeCloseTo((2 * 0.8 * (8 / 12)) / (0.8 + 8 / 12), 12);
  });

  it('undefined ratios are NaN; F1 is 0 when nothing was caught', () => {
    const none = precisionRecallF1(0, 0, 0);
    expect(none.precision).toBeNaN();
    expect(none.recall).toBeNaN();
    expect(none.f1).toBeNaN();
    const silent = precisionRecallF1(0, 0, 5); // never alerted, missed everything
    expect(silent.precision).toBeNaN();
    expect(silent.recall).toBe(0);
    expect(silent.f1).toBe(0);
    expect(() => precisionRecallF1(-1, 0, 0)).toThrow(RangeError);
    expect(() => precisionRecallF1(1.5, 0, 0)).toThrow(RangeError);
  });

  it('false-positive rate', () => {
    expect(fpr(3, 97)).toBeCloseTo(0.03, 12);
    expect(fpr(0, 0)).toBeNaN();
    expect(() => fpr(0, -2)).toThrow(RangeError);
  });
});
