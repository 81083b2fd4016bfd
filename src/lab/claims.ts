/**
 * The reference paper's claims (Agrawal et al., Sci. Rep. 16:11673, 2026), tested on a run with the
 * seed as the unit, for each attacker separately (DQN and PG cells of a seed share their detectors and
 * evaluation seeds, so they are not independent and are never pooled).
 *
 * - Claims 1 and 3 compare a defence with a baseline at one size, paired over the seeds where both have
 *   a value. The test that decides is the paired t-test on the seeds' values (episode means, or
 *   Kaplan-Meier restricted means for censored times; both are averages, so their differences are close
 *   to normal even over few seeds). The Wilcoxon signed-rank p is reported beside it but does not decide:
 *   with n seeds its smallest two-sided p is 2/2^n (0.0625 at 5 seeds, 0.002 at 10), so after Holm over
 *   a family of dozens of tests it could never reach 0.05 at the seed counts a run can afford. Where the
 *   t statistic is undefined (every seed shows the same difference), the exact Wilcoxon p decides.
 * - Claim 2 ("rises with size") is a trend test: Spearman's rho between hosts and the seeds' values
 *   (exact permutation p up to 9 points, the t approximation above).
 * - The family: every test that enters a verdict in the run (all parts of all claims, all attackers),
 *   Holm-adjusted together. Verdicts use the adjusted p (shared/verdict.ts).
 * - A claim's p and pHolm are those of its deciding part: for "not supported", the part significant
 *   against the claim with the smallest Holm p; otherwise the part with the largest Holm p (the weakest
 *   link: the one that stands between the claim and "supported").
 */
import { holmAdjust, mean } from '../shared/stats.js';
import { pairedTTest, wilcoxonSignedRank } from '../shared/paired-tests.js';
import { spearman } from '../shared/trend.js';
import { ALPHA, combineVerdicts, verdictOf, type Verdict } from '../shared/verdict.js';
import type { Claim, Comparison, Trend } from './run-format.js';

export const ML_KINDS = ['rf', 'autoencoder', 'ensemble'] as const;
export const BASELINE_KINDS = ['rule-mas', 'static-range'] as const;

interface PairedClaim {
  id: 1 | 3;
  text: string;
  kind: 'paired';
  metric: string;
  defenders: readonly string[];
  baselines: readonly string[];
  claimed: 'lower' | 'higher';
}
interface TrendClaim {
  id: 2;
  text: string;
  kind: 'trend';
  metric: string;
  defenders: readonly string[];
}

export const CLAIMS: readonly (PairedClaim | TrendClaim)[] = [
  { id: 1, kind: 'paired', text: 'ML defenders respond faster than each baseline (rule-mas, static-range) at every size', metric: 'responseLatency', defenders: ML_KINDS, baselines: BASELINE_KINDS, claimed: 'lower' },
  { id: 2, kind: 'trend', text: 'Response latency rises with network size, for each defender', metric: 'responseLatency', defenders: [...ML_KINDS, ...BASELINE_KINDS] },
  { id: 3, kind: 'paired', text: 'ML detection F1 is above the rule-based MAS at every size', metric: 'f1', defenders: ML_KINDS, baselines: ['rule-mas'], claimed: 'higher' },
];

export interface ClaimInput {
  attackers: readonly string[];
  defenders: readonly string[];
  seeds: readonly number[];
  sizes: readonly { scenario: string; hosts: number }[];
  /** A cell's unit value of a metric (null when the cell is missing, failed, or the metric undefined there). */
  value: (attacker: string, scenario: string, defender: string, seed: number, metric: string) => number | null;
  /** Failed and missing cells of the run (said in each claim's detail). */
  incomplete: number;
}

export interface ClaimOutput {
  comparisons: Comparison[];
  trends: Trend[];
  claims: Claim[];
  family: { description: string; size: number; alpha: number };
}

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
export const fmtP = (p: number | null): string => (p === null ? 'n/a' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));
export const fmtN = (x: number | null, d = 1): string => (x === null ? 'n/a' : x.toFixed(d));

function compare(c: PairedClaim, input: ClaimInput, attacker: string, scenario: string, hosts: number, defender: string, baseline: string): Comparison {
  const x: number[] = [];
  const y: number[] = [];
  for (const s of input.seeds) {
    const a = input.value(attacker, scenario, defender, s, c.metric);
    const b = input.value(attacker, scenario, baseline, s, c.metric);
    if (a !== null && b !== null) {
      x.push(a);
      y.push(b);
    }
  }
  const t = pairedTTest(x, y);
  const w = wilcoxonSignedRank(x, y);
  // The t statistic is undefined when every seed shows the same difference (e.g. success 1 vs 0 at each
  // seed); the exact sign-flip distribution still gives a p (2/2^n when all n differ the same way).
  const test = Number.isFinite(t.pValue) ? 'paired t' : Number.isFinite(w.pValue) ? 'wilcoxon' : 'none';
  const p = test === 'paired t' ? t.pValue : test === 'wilcoxon' ? w.pValue : NaN;
  return {
    claim: c.id, attacker, scenario, hosts, metric: c.metric, defender, baseline, claimed: c.claimed, n: x.length,
    meanDefender: x.length ? fin(mean(x)) : null, meanBaseline: y.length ? fin(mean(y)) : null, meanDiff: x.length ? fin(t.meanDiff) : null,
    ciLow: fin(t.ciLow), ciHigh: fin(t.ciHigh), t: fin(t.t), df: x.length ? t.df : null, p: fin(p), test, wilcoxonP: fin(w.pValue), wilcoxonMethod: w.method,
    pHolm: null, verdict: 'inconclusive',
  };
}

function trend(c: TrendClaim, input: ClaimInput, attacker: string, defender: string): Trend {
  const xs: number[] = [];
  const ys: number[] = [];
  const bySize = input.sizes.map(({ scenario, hosts }) => {
    const vs = input.seeds.map((s) => input.value(attacker, scenario, defender, s, c.metric)).filter((v): v is number => v !== null);
    for (const v of vs) {
      xs.push(hosts);
      ys.push(v);
    }
    return { hosts, mean: vs.length ? fin(mean(vs)) : null, n: vs.length };
  });
  const r = spearman(xs, ys);
  return { claim: c.id, attacker, defender, metric: c.metric, n: r.n, rho: fin(r.rho), p: fin(r.pValue), method: r.method, pHolm: null, verdict: 'inconclusive', bySize };
}

/** The part that decides a claim's p (see the file comment). */
function deciding<T extends { verdict: Verdict; pHolm: number | null }>(parts: readonly T[], verdict: Verdict): T | null {
  const byHolm = (a: T, b: T): number => (a.pHolm ?? Infinity) - (b.pHolm ?? Infinity);
  if (verdict === 'not supported') return [...parts].filter((p) => p.verdict === 'not supported').sort(byHolm)[0] ?? null;
  return [...parts].sort((a, b) => byHolm(b, a))[0] ?? null;
}

function count(parts: readonly { verdict: Verdict }[], v: Verdict): number {
  return parts.filter((p) => p.verdict === v).length;
}

/** Every comparison and trend of the claims, Holm-adjusted over the run's family, and the claims' verdicts. */
export function evaluateClaims(input: ClaimInput): ClaimOutput {
  const comparisons: Comparison[] = [];
  const trends: Trend[] = [];
  const present = (ds: readonly string[]): string[] => ds.filter((d) => input.defenders.includes(d));
  for (const attacker of input.attackers)
    for (const c of CLAIMS) {
      if (c.kind === 'paired') {
        for (const { scenario, hosts } of input.sizes) for (const d of present(c.defenders)) for (const b of present(c.baselines)) comparisons.push(compare(c, input, attacker, scenario, hosts, d, b));
      } else if (input.sizes.length >= 2) {
        for (const d of present(c.defenders)) trends.push(trend(c, input, attacker, d));
      }
    }

  const family = [...comparisons, ...trends];
  const adj = holmAdjust(family.map((r) => r.p ?? NaN));
  family.forEach((r, i) => (r.pHolm = fin(adj[i]!)));
  for (const r of comparisons) r.verdict = verdictOf(r.meanDiff, r.pHolm, r.claimed === 'lower' ? 'negative' : 'positive');
  for (const r of trends) r.verdict = verdictOf(r.rho, r.pHolm, 'positive');

  const note = input.incomplete > 0 ? `; ${input.incomplete} cells failed or missing` : '';
  const claims: Claim[] = [];
  for (const attacker of input.attackers)
    for (const c of CLAIMS) {
      const parts: (Comparison | Trend)[] = c.kind === 'paired' ? comparisons.filter((r) => r.attacker === attacker && r.claim === c.id) : trends.filter((r) => r.attacker === attacker && r.claim === c.id);
      const verdict = combineVerdicts(parts.map((p) => p.verdict));
      const d = deciding(parts, verdict);
      const what = c.kind === 'paired' ? 'comparisons' : 'defenders';
      const detail =
        parts.length === 0
          ? c.kind === 'trend' && input.sizes.length < 2
            ? 'fewer than two network sizes in the run'
            : 'nothing to test (the defenders are not in the run)'
          : `${count(parts, 'supported')}/${parts.length} ${what} Holm-significant the claimed way, ${count(parts, 'not supported')} the other way, ${count(parts, 'inconclusive')} inconclusive` +
            (d ? `; deciding: ${partText(d)}` : '');
      claims.push({ id: c.id, attacker, claim: `${c.text} (attacker ${attacker})`, verdict, p: d?.p ?? null, pHolm: d?.pHolm ?? null, n: parts.length, detail: detail + note });
    }
  return {
    comparisons,
    trends,
    claims,
    family: {
      description: `every test that enters a verdict, Holm-adjusted together: claims 1-3 for each attacker, ${comparisons.length} paired comparisons and ${trends.length} trend tests (those without a p, e.g. no spread over seeds, are left out)`,
      size: family.filter((r) => r.p !== null).length,
      alpha: ALPHA,
    },
  };
}

function partText(p: Comparison | Trend): string {
  if ('baseline' in p) return `${p.defender} vs ${p.baseline} at ${p.hosts} hosts, mean difference ${fmtN(p.meanDiff, 2)} (n=${p.n} seeds), p ${fmtP(p.p)}, Holm ${fmtP(p.pHolm)}`;
  return `${p.defender} rho ${fmtN(p.rho, 2)} (n=${p.n}), p ${fmtP(p.p)}, Holm ${fmtP(p.pHolm)}`;
}
