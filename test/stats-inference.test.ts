/**
 * The statistics engine of the lab against known values. Every expected number was computed once with
 * SciPy 1.17.1 / NumPy 2.4.6 by test/reference/stats_reference.py, which prints each value next to the
 * exact call that produced it (the call is repeated in the comment above each constant).
 */
import { describe, it, expect } from 'vitest';
import { pairedTTest, wilcoxonSignedRank } from '../src/shared/paired-tests.js';
import { bcaInterval, bootstrapDistribution, bootstrapInterval, percentileInterval } from '../src/shared/bootstrap.js';
import { kaplanMeier, restrictedMean, survivalAt } from '../src/shared/kaplan-meier.js';
import { spearman } from '../src/shared/trend.js';
import { combineVerdicts, verdictOf, type Verdict } from '../src/shared/verdict.js';
import { holmAdjust, mean } from '../src/shared/stats.js';
import { normalCdf, normalQuantile } from '../src/shared/distributions.js';
import { Rng } from '../src/shared/prng.js';

// Student (1908) sleep data, R datasets::sleep (paired by patient).
const S1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const S2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

/** Every ordered resample of `data` (n^n of them): the exact bootstrap distribution of the mean. */
function exhaustiveMeans(data: number[]): Float64Array {
  const n = data.length;
  const out = new Float64Array(n ** n);
  const idx = new Array<number>(n).fill(0);
  for (let b = 0; b < out.length; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[idx[i]!]!;
    out[b] = s / n;
    // odometer order, like itertools.product (the order does not matter for quantiles)
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i]! < n) break;
      idx[i] = 0;
    }
  }
  return out;
}

describe('distributions', () => {
  it('normal CDF and quantile are inverse and match tabulated values', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 12);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(Number.isNaN(normalQuantile(1.5))).toBe(true);
  });
});

describe('paired t-test', () => {
  it('matches scipy on the sleep data', () => {
    // stats.ttest_rel(S1, S2) -> statistic -4.062127683382037, pvalue 0.002832890197384273, df 9
    // .confidence_interval(0.95) -> (-2.459885763276983, -0.7001142367230175)
    const r = pairedTTest(S1, S2);
    expect(r.n).toBe(10);
    expect(r.df).toBe(9);
    expect(r.t).toBeCloseTo(-4.062127683382037, 10);
    expect(r.pValue).toBeCloseTo(0.002832890197384273, 12);
    expect(r.ciLow).toBeCloseTo(-2.459885763276983, 10);
    expect(r.ciHigh).toBeCloseTo(-0.7001142367230175, 10);
    expect(r.meanDiff).toBeCloseTo(-1.58, 12);
  });

  it('matches scipy on six seed-like pairs', () => {
    // stats.ttest_rel([12.1,14.3,9.8,11.0,13.7,10.2], [10.4,13.9,10.1,9.2,12.0,9.9]) -> 2.514474228374849, 0.05353460384454601
    const r = pairedTTest([12.1, 14.3, 9.8, 11.0, 13.7, 10.2], [10.4, 13.9, 10.1, 9.2, 12.0, 9.9]);
    expect(r.t).toBeCloseTo(2.514474228374849, 10);
    expect(r.pValue).toBeCloseTo(0.05353460384454601, 12);
  });

  it('gives no test (NaN) for one pair, constant differences or non-finite values', () => {
    expect(Number.isNaN(pairedTTest([1], [2]).pValue)).toBe(true);
    const c = pairedTTest([2, 3, 4], [1, 2, 3]);
    expect(c.meanDiff).toBe(1);
    expect(Number.isNaN(c.pValue)).toBe(true);
    expect(Number.isNaN(pairedTTest([1, NaN], [0, 0]).pValue)).toBe(true);
    expect(() => pairedTTest([1, 2], [1])).toThrow(RangeError);
  });
});

describe('Wilcoxon signed-rank', () => {
  it('exact distribution without ties or zeros', () => {
    // stats.wilcoxon([1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30], [0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29])
    //   -> statistic 5.0, pvalue 0.0390625 (method 'exact', as with method='exact')
    const r = wilcoxonSignedRank([1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3], [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]);
    expect(r.method).toBe('exact');
    expect(r.statistic).toBe(5);
    expect(r.pValue).toBeCloseTo(0.0390625, 15);
    // stats.wilcoxon([1.0,2.0,3.0,4.0,5.0]) -> statistic 0.0, pvalue 0.0625: the smallest two-sided p at n = 5
    const five = wilcoxonSignedRank([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]);
    expect(five.pValue).toBe(0.0625);
  });

  it('ties and a zero at n <= 13: the exhaustive permutation distribution', () => {
    // stats.wilcoxon(S1, S2) -> statistic 0.0, pvalue 0.00390625 (differences: one zero, ties)
    const r = wilcoxonSignedRank(S1, S2);
    expect(r.method).toBe('permutation');
    expect(r.zeros).toBe(1);
    expect(r.n).toBe(9);
    expect(r.statistic).toBe(0);
    expect(r.pValue).toBeCloseTo(0.00390625, 15);
  });

  it('ties at n > 13: the normal approximation with the tie-corrected variance', () => {
    // D20 = [round(v, 1) for v in numpy.random.default_rng(7).normal(0.3, 1, 20)]
    const D20 = [0.3, 0.6, 0.0, -0.6, -0.2, -0.7, 0.4, 1.6, -0.2, -0.3, 0.8, 0.7, 0.4, -0.6, 0.3, 1.0, -1.0, -0.2, -1.6, -1.0];
    const zero = D20.map(() => 0);
    // stats.wilcoxon(D20) -> statistic 94.0, pvalue 0.9678381728047823
    const a = wilcoxonSignedRank(D20, zero);
    expect(a.method).toBe('asymptotic');
    expect(a.statistic).toBe(94);
    expect(a.pValue).toBeCloseTo(0.9678381728047823, 12);
    // stats.wilcoxon([round(v + 0.5, 1) for v in D20]) -> statistic 40.0, pvalue 0.015124832577333954
    const D20s = [0.8, 1.1, 0.5, -0.1, 0.3, -0.2, 0.9, 2.1, 0.3, 0.2, 1.3, 1.2, 0.9, -0.1, 0.8, 1.5, -0.5, 0.3, -1.1, -0.5];
    const b = wilcoxonSignedRank(D20s, zero);
    expect(b.statistic).toBe(40);
    expect(b.pValue).toBeCloseTo(0.015124832577333954, 12);
    // stats.wilcoxon([0.5,-0.3,0.0,1.2,0.5,0.8,-0.3,0.0,1.1,0.9,0.5,-0.2,0.7,1.4,0.6,0.3]) -> 7.0, 0.0042101030026460325
    const W16 = [0.5, -0.3, 0.0, 1.2, 0.5, 0.8, -0.3, 0.0, 1.1, 0.9, 0.5, -0.2, 0.7, 1.4, 0.6, 0.3];
    const c = wilcoxonSignedRank(W16, W16.map(() => 0));
    expect(c.zeros).toBe(2);
    expect(c.statistic).toBe(7);
    expect(c.pValue).toBeCloseTo(0.0042101030026460325, 12);
  });

  it('no non-zero difference: no test', () => {
    const r = wilcoxonSignedRank([1, 2], [1, 2]);
    expect(r.method).toBe('none');
    expect(Number.isNaN(r.pValue)).toBe(true);
  });
});

describe('Spearman trend test', () => {
  // spearman_exact(x, y) in the reference script: stats.permutation_test((y,), lambda yy: stats.spearmanr(x, yy).statistic,
  //   permutation_type='pairings', n_resamples=np.inf, alternative='two-sided')
  it('n <= 9: exact over all pairings, with tied sizes', () => {
    // spearman_exact([50,50,50,120,120,120,200,200,200], [4.1,3.2,5.0,5.5,4.4,6.1,6.0,7.2,5.1]) -> (0.7378647873726218, 0.036904761904761905)
    const r = spearman([50, 50, 50, 120, 120, 120, 200, 200, 200], [4.1, 3.2, 5.0, 5.5, 4.4, 6.1, 6.0, 7.2, 5.1]);
    expect(r.method).toBe('exact');
    expect(r.rho).toBeCloseTo(0.7378647873726218, 12);
    expect(r.pValue).toBeCloseTo(0.036904761904761905, 12);
    // spearman_exact([50,50,120,120,200,200], [4.1,3.2,5.5,4.4,6.0,7.2]) -> (0.956182887467515, 0.022222222222222223)
    // (scipy.stats.spearmanr's t approximation says 0.0028378459267344386 here: ten times too small)
    const six = spearman([50, 50, 120, 120, 200, 200], [4.1, 3.2, 5.5, 4.4, 6.0, 7.2]);
    expect(six.rho).toBeCloseTo(0.956182887467515, 12);
    expect(six.pValue).toBeCloseTo(0.022222222222222223, 12);
    // spearman_exact([1,2,3,4,5,6], [6,5,4,4,2,1]) -> (-0.9856107606091623, 0.005555555555555556)
    const d = spearman([1, 2, 3, 4, 5, 6], [6, 5, 4, 4, 2, 1]);
    expect(d.rho).toBeCloseTo(-0.9856107606091623, 12);
    expect(d.pValue).toBeCloseTo(0.005555555555555556, 12);
  });

  it('n > 9: scipy.stats.spearmanr\'s t approximation', () => {
    // stats.spearmanr([50]*4+[120]*4+[200]*4, [4.1,3.2,5.0,6.3,5.5,4.4,6.1,4.9,6.0,7.2,5.1,6.6]) -> 0.5617467761896285, 0.057334522920789575
    const r = spearman([50, 50, 50, 50, 120, 120, 120, 120, 200, 200, 200, 200], [4.1, 3.2, 5.0, 6.3, 5.5, 4.4, 6.1, 4.9, 6.0, 7.2, 5.1, 6.6]);
    expect(r.method).toBe('t');
    expect(r.rho).toBeCloseTo(0.5617467761896285, 12);
    expect(r.pValue).toBeCloseTo(0.057334522920789575, 12);
  });

  it('constant y or n < 3 has no test; a perfect relation at n = 3 is not significant (exact p 1/3)', () => {
    expect(spearman([1, 2, 3], [1, 4, 9])).toEqual({ n: 3, rho: 1, pValue: 1 / 3, method: 'exact' });
    expect(Number.isNaN(spearman([1, 2, 3], [5, 5, 5]).pValue)).toBe(true);
    expect(Number.isNaN(spearman([1, 2], [1, 2]).pValue)).toBe(true);
  });
});

describe('bootstrap intervals', () => {
  // Fed the exhaustive bootstrap distribution (all n^n resamples), BCa has no Monte-Carlo error:
  // _bca_interval((D,), mean, -1, 0.025, theta_hat_b=<all means>, None, numpy) and stats.quantile(theta_hat_b, ...).
  const cases = [
    // D = [1.2,3.4,0.5,7.9,2.2]: alphas 0.06150754018681337, 0.9942191628540099, a_hat 0.07604852018714009;
    // BCa (1.36, 6.42), percentile (1.12, 5.62)
    { data: [1.2, 3.4, 0.5, 7.9, 2.2], alphas: [0.06150754018681337, 0.9942191628540099], a: 0.07604852018714009, bca: [1.36, 6.42], pct: [1.12, 5.62] },
    // D6 = [0.8,3.1,0.2,5.4,1.7,2.6]: alphas 0.038907593291444165, 0.9857428248811521, a_hat 0.040273178163243564;
    // BCa (1.15, 3.9166666666666665), percentile (1.05, 3.7)
    { data: [0.8, 3.1, 0.2, 5.4, 1.7, 2.6], alphas: [0.038907593291444165, 0.9857428248811521], a: 0.040273178163243564, bca: [1.15, 3.9166666666666665], pct: [1.05, 3.7] },
  ];

  it.each(cases)('BCa and percentile on the exhaustive distribution match scipy ($data)', ({ data, alphas, a, bca, pct }) => {
    const dist = exhaustiveMeans(data);
    const b = bcaInterval(data, dist);
    expect(b.a).toBeCloseTo(a, 12);
    expect(b.alphaLow).toBeCloseTo(alphas[0]!, 10);
    expect(b.alphaHigh).toBeCloseTo(alphas[1]!, 10);
    expect(b.low).toBeCloseTo(bca[0]!, 10);
    expect(b.high).toBeCloseTo(bca[1]!, 10);
    const p = percentileInterval(dist);
    expect(p[0]).toBeCloseTo(pct[0]!, 10);
    expect(p[1]).toBeCloseTo(pct[1]!, 10);
  });

  it('the seeded bootstrap agrees with scipy.stats.bootstrap up to resampling error and is reproducible', () => {
    // stats.bootstrap((D6,), np.mean, method='BCa', n_resamples=99999, rng=default_rng(1)) -> (1.15, 3.9166666666666665)
    const D6 = [0.8, 3.1, 0.2, 5.4, 1.7, 2.6];
    const r = bootstrapInterval(D6, { seed: 11, resamples: 20000 });
    expect(r.method).toBe('bca');
    expect(r.estimate).toBeCloseTo(mean(D6), 12);
    expect(Math.abs(r.low - 1.15)).toBeLessThan(0.08);
    expect(Math.abs(r.high - 3.9166666666666665)).toBeLessThan(0.12);
    expect(bootstrapInterval(D6, { seed: 11, resamples: 20000 })).toEqual(r);
    expect(bootstrapInterval(D6, { seed: 12, resamples: 20000 })).not.toEqual(r);
  });

  it('never gives a negative bound for non-negative data, where a t interval does', () => {
    // skewed, non-negative (a latency-like quantity); the t interval's lower bound is below zero
    const lat = [0.1, 0.2, 0.1, 9.5, 0.3];
    const m = mean(lat);
    const sd = Math.sqrt(lat.reduce((s, v) => s + (v - m) ** 2, 0) / 4);
    expect(m - 2.776445105197793 * (sd / Math.sqrt(5))).toBeLessThan(0); // t_{0.975,4}
    for (const method of ['bca', 'percentile'] as const) {
      const r = bootstrapInterval(lat, { seed: 1, method });
      // a resampled mean of these data cannot leave [min, max]: the lower bound is positive, not just >= 0
      expect(r.low).toBeGreaterThanOrEqual(Math.min(...lat));
      expect(r.high).toBeLessThanOrEqual(9.5);
      expect(r.low).toBeLessThanOrEqual(r.estimate);
      expect(r.high).toBeGreaterThanOrEqual(r.estimate);
    }
    // the range clamp holds for any statistic: unclamped this interval goes below 0, clamped it stops at 0
    const stat = (v: readonly number[]) => mean(v) * 10;
    expect(bootstrapInterval([-5, 1, 2], { seed: 1, statistic: stat }).low).toBeLessThan(0);
    const r = bootstrapInterval([-5, 1, 2], { seed: 1, statistic: stat, range: [0, 12] });
    expect(r.low).toBe(0);
    expect(r.high).toBeLessThanOrEqual(12);
  });

  it('n = 1 has no interval; constant data has the point as both bounds', () => {
    expect(bootstrapInterval([3], { seed: 1 })).toMatchObject({ estimate: 3, method: 'none', n: 1 });
    expect(bootstrapInterval([2, 2, 2], { seed: 1 })).toMatchObject({ estimate: 2, low: 2, high: 2, method: 'percentile' });
  });

  it('the resampling is the PRNG\'s: same seed, same distribution', () => {
    const a = bootstrapDistribution([1, 2, 3, 4], 50, new Rng(5));
    const b = bootstrapDistribution([1, 2, 3, 4], 50, new Rng(5));
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('Kaplan-Meier', () => {
  // T = [3,5,5,8,10,12,12,15,20,22], E = [1,1,0,1,0,1,1,0,1,0] (0 = censored)
  // stats.ecdf(stats.CensoredData(uncensored=[3,5,8,12,12,20], right=[5,10,15,22])).sf:
  //   quantiles [3,5,8,10,12,15,20,22], probabilities [0.9, 0.7999999999999999, 0.6857142857142856,
  //   0.6857142857142856, 0.41142857142857137, 0.41142857142857137, 0.20571428571428568, 0.20571428571428568]
  // restricted mean = area under that step function: to 25 -> 14.262857142857143, to 10 -> 8.571428571428571
  const T = [3, 5, 5, 8, 10, 12, 12, 15, 20, 22];
  const E = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0];
  const obs = T.map((time, i) => ({ time, event: E[i] === 1 }));

  it('matches scipy.stats.ecdf on censored data: curve, restricted means, median, censored share', () => {
    const km = kaplanMeier(obs);
    const expected: [number, number][] = [[3, 0.9], [5, 0.7999999999999999], [8, 0.6857142857142856], [12, 0.41142857142857137], [20, 0.20571428571428568]];
    expect(km.steps.map((s) => s.time)).toEqual(expected.map((e) => e[0]));
    km.steps.forEach((s, i) => expect(s.survival).toBeCloseTo(expected[i]![1], 14));
    expect(survivalAt(km, 11)).toBeCloseTo(0.6857142857142856, 14);
    expect(survivalAt(km, 2.9)).toBe(1);
    expect(restrictedMean(km, 25)).toBeCloseTo(14.262857142857143, 12);
    expect(restrictedMean(km, 10)).toBeCloseTo(8.571428571428571, 12);
    expect(km.median).toBe(12);
    expect(km.censored).toBe(4);
    expect(km.censoredShare).toBeCloseTo(0.4, 15);
    expect(km.lastTime).toBe(22);
  });

  it('median at an exact 0.5 step is that step\'s time; a curve that stays above 0.5 has no median', () => {
    // stats.ecdf([1,2,3,4]).sf.probabilities -> [0.75, 0.5, 0.25, 0.0]
    const all = kaplanMeier([1, 2, 3, 4].map((time) => ({ time, event: true })));
    expect(all.steps.map((s) => s.survival)).toEqual([0.75, 0.5, 0.25, 0]);
    expect(all.median).toBe(2);
    expect(restrictedMean(all, 10)).toBeCloseTo(2.5, 14); // without censoring: the plain mean
    const mostlyCensored = kaplanMeier([2, 4, 6, 8, 9].map((time, i) => ({ time, event: i === 0 })));
    expect(mostlyCensored.median).toBeNull();
    expect(mostlyCensored.censoredShare).toBe(0.8);
    // S = 0.8 from t = 2 on, carried flat to the horizon
    expect(restrictedMean(mostlyCensored, 20)).toBeCloseTo(2 + 0.8 * 18, 12);
  });

  it('everything censored: S = 1, the restricted mean is the horizon; empty input: NaN', () => {
    const none = kaplanMeier([{ time: 5, event: false }, { time: 7, event: false }]);
    expect(none.steps).toEqual([]);
    expect(restrictedMean(none, 30)).toBe(30);
    expect(Number.isNaN(restrictedMean(kaplanMeier([]), 30))).toBe(true);
    expect(() => kaplanMeier([{ time: -1, event: true }])).toThrow(RangeError);
  });
});

describe('Holm and verdicts', () => {
  it('Holm step-down: [0.01, 0.04, 0.03, 0.005] -> [0.03, 0.06, 0.06, 0.02]', () => {
    // By hand from the definition (neither R nor statsmodels is installed here): sorted 0.005*4 = 0.02,
    // 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.04*1, 0.06) = 0.06 (what R's p.adjust(..., "holm") computes).
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 15));
  });

  const rows: { effect: number | null; pHolm: number | null; claimed: 'positive' | 'negative'; verdict: Verdict }[] = [
    { effect: -1.2, pHolm: 0.01, claimed: 'negative', verdict: 'supported' },
    { effect: 0.8, pHolm: 0.001, claimed: 'positive', verdict: 'supported' },
    { effect: 1.2, pHolm: 0.01, claimed: 'negative', verdict: 'not supported' },
    { effect: -0.3, pHolm: 0.049, claimed: 'positive', verdict: 'not supported' },
    { effect: 1.2, pHolm: 0.05, claimed: 'negative', verdict: 'inconclusive' }, // a reversal that is not significant
    { effect: -1.2, pHolm: 0.2, claimed: 'negative', verdict: 'inconclusive' },
    { effect: 0, pHolm: 0.01, claimed: 'positive', verdict: 'inconclusive' },
    { effect: null, pHolm: 0.01, claimed: 'positive', verdict: 'inconclusive' },
    { effect: 1, pHolm: null, claimed: 'positive', verdict: 'inconclusive' },
    { effect: 1, pHolm: NaN, claimed: 'positive', verdict: 'inconclusive' },
  ];
  it.each(rows)('effect $effect, pHolm $pHolm, claimed $claimed: $verdict', ({ effect, pHolm, claimed, verdict }) => {
    expect(verdictOf(effect, pHolm, claimed)).toBe(verdict);
  });

  it.each([
    { parts: ['supported', 'supported'], verdict: 'supported' },
    { parts: ['supported', 'inconclusive'], verdict: 'inconclusive' },
    { parts: ['supported', 'not supported', 'inconclusive'], verdict: 'not supported' },
    { parts: [], verdict: 'inconclusive' },
  ] as { parts: Verdict[]; verdict: Verdict }[])('an all-of claim with parts $parts is $verdict', ({ parts, verdict }) => {
    expect(combineVerdicts(parts)).toBe(verdict);
  });
});
