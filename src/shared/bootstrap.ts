/**
 * Bootstrap confidence intervals over a small set of independent units (in the lab: seeds), with a
 * seeded PRNG so the same data and seed give the same interval.
 *
 * - percentile: the level/2 and 1 - level/2 quantiles of the bootstrap distribution (type-7 quantiles,
 *   as scipy.stats.bootstrap and numpy);
 * - BCa (bias-corrected and accelerated; Efron & Tibshirani 1993, 14.3 and Eq. 14.15): the quantile
 *   levels are shifted by the bias z0 (from the share of bootstrap statistics below the estimate, ties
 *   counted half, as scipy) and the acceleration a (from the jackknife), which corrects skew and
 *   bias that the percentile interval keeps. Falls back to the percentile interval where BCa is undefined
 *   (all jackknife values equal, or every bootstrap statistic on one side of the estimate).
 * Both are quantiles of statistics of resamples, so for a mean they never leave the data's range: a
 * mean of non-negative values never gets a negative bound. `range` clamps the bounds to a metric's
 * range as well (a guard for statistics other than the mean).
 */
import { Rng } from './prng.js';
import { mean, quantile } from './stats.js';
import { normalCdf, normalQuantile } from './distributions.js';

export type Statistic = (values: readonly number[]) => number;

/** `resamples` statistics of resamples (with replacement, same size) of `data`. */
export function bootstrapDistribution(data: readonly number[], resamples: number, rng: Rng, statistic: Statistic = mean): Float64Array {
  const n = data.length;
  const out = new Float64Array(resamples);
  const buf = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buf[i] = data[rng.int(n)]!;
    out[b] = statistic(buf);
  }
  return out;
}

function sorted(dist: ArrayLike<number>): number[] {
  return Array.from(dist).sort((a, b) => a - b);
}

/** The percentile interval of a bootstrap distribution. */
export function percentileInterval(dist: ArrayLike<number>, level = 0.95): [number, number] {
  const s = sorted(dist);
  const alpha = (1 - level) / 2;
  return [quantile(s, alpha), quantile(s, 1 - alpha)];
}

export interface BcaParts {
  /** Bias correction: the normal quantile of the share of bootstrap statistics below the estimate. */
  z0: number;
  /** Acceleration from the jackknife. */
  a: number;
  /** The quantile levels used for the lower and upper bound. */
  alphaLow: number;
  alphaHigh: number;
  low: number;
  high: number;
}

/** The BCa interval of `dist` (a bootstrap distribution of `statistic` over `data`); NaN parts where undefined. */
export function bcaInterval(data: readonly number[], dist: ArrayLike<number>, level = 0.95, statistic: Statistic = mean): BcaParts {
  const theta = statistic(data);
  const B = dist.length;
  let below = 0;
  let atOrBelow = 0;
  for (let b = 0; b < B; b++) {
    if (dist[b]! < theta) below++;
    if (dist[b]! <= theta) atOrBelow++;
  }
  const z0 = normalQuantile((below + atOrBelow) / (2 * B));

  const n = data.length;
  const jack = data.map((_, i) => statistic(data.filter((_, j) => j !== i)));
  const jm = mean(jack);
  let num = 0;
  let den = 0;
  for (const v of jack) {
    const u = (n - 1) * (jm - v);
    num += u ** 3;
    den += u ** 2;
  }
  const a = num / n ** 3 / (6 * (den / n ** 2) ** 1.5);

  const zAlpha = normalQuantile((1 - level) / 2);
  const shifted = (z: number): number => normalCdf(z0 + (z0 + z) / (1 - a * (z0 + z)));
  const alphaLow = shifted(zAlpha);
  const alphaHigh = shifted(-zAlpha);
  if (!(alphaLow >= 0 && alphaLow <= 1 && alphaHigh >= 0 && alphaHigh <= 1)) return { z0, a, alphaLow, alphaHigh, low: NaN, high: NaN };
  const s = sorted(dist);
  return { z0, a, alphaLow, alphaHigh, low: quantile(s, alphaLow), high: quantile(s, alphaHigh) };
}

export interface BootstrapOptions {
  level?: number;
  resamples?: number;
  seed: number;
  method?: 'bca' | 'percentile';
  statistic?: Statistic;
  /** The metric's range; bounds are clamped into it. */
  range?: readonly [number, number];
}

export interface BootstrapInterval {
  estimate: number;
  low: number;
  high: number;
  /** What gave the bounds: BCa, the percentile interval (asked for, or BCa undefined), or nothing (n < 2). */
  method: 'bca' | 'percentile' | 'none';
  n: number;
}

/**
 * The estimate and its bootstrap interval. n = 0: NaN estimate; n = 1: the value without an interval
 * (one unit says nothing about spread). Constant data: the point as both bounds.
 */
export function bootstrapInterval(data: readonly number[], opts: BootstrapOptions): BootstrapInterval {
  const statistic = opts.statistic ?? mean;
  const level = opts.level ?? 0.95;
  const n = data.length;
  const estimate = n ? statistic(data) : NaN;
  if (n < 2 || !data.every(Number.isFinite)) return { estimate, low: NaN, high: NaN, method: 'none', n };
  const dist = bootstrapDistribution(data, opts.resamples ?? 4000, new Rng(opts.seed).split('bootstrap'), statistic);
  let method: 'bca' | 'percentile' = 'percentile';
  let [low, high] = percentileInterval(dist, level);
  if ((opts.method ?? 'bca') === 'bca') {
    const b = bcaInterval(data, dist, level, statistic);
    if (Number.isFinite(b.low) && Number.isFinite(b.high)) {
      [low, high, method] = [b.low, b.high, 'bca'];
    }
  }
  if (opts.range) {
    const [lo, hi] = opts.range;
    low = Math.min(Math.max(low, lo), hi);
    high = Math.min(Math.max(high, lo), hi);
  }
  return { estimate, low, high, method, n };
}
