/** Test helper: a paired comparison of two equal-length samples (differences a - b), one-sample t on them. */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export function pairedT(a: readonly number[], b: readonly number[]): { meanDiff: number; t: number; n: number; significantAt: (alpha: number) => boolean } {
  if (a.length !== b.length || a.length < 2) throw new Error('pairedT: two equal samples of at least 2');
  const d = a.map((x, i) => x - b[i]!);
  const n = d.length;
  const m = d.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1));
  const t = sd === 0 ? (m === 0 ? 0 : Math.sign(m) * Infinity) : m / (sd / Math.sqrt(n));
  // Two-sided test: |t| beyond the (1 - alpha/2) quantile of t(n - 1).
  return { meanDiff: m, t, n, significantAt: (alpha) => Math.abs(t) > tQuantile(1 - alpha / 2, n - 1) };
}
