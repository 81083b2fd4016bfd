/**
 * The reference paper's claims (Agrawal et al., Sci. Rep. 16:11673, 2026), checked against a run:
 * each gets a verdict (supported / not supported / inconclusive) and a one-line reason.
 */
import type { AnovaRow, Claim, Verdict, WelchRow } from './run-format.js';

export const fmtP = (p: number | null): string => (p === null ? 'n/a' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));
export const fmtN = (x: number | null, d = 1): string => (x === null ? 'n/a' : x.toFixed(d));

/** Verdict of a family of "a below b" (or above) comparisons: direction in the means, then Welch p. */
function comparisonVerdict(rows: WelchRow[], better: (r: WelchRow) => boolean | null): { verdict: Verdict; detail: string } {
  if (rows.length === 0) return { verdict: 'inconclusive', detail: 'no comparisons (the defenders are not in the run)' };
  const undefinedRows = rows.filter((r) => better(r) === null);
  const worse = rows.filter((r) => better(r) === false);
  const sig = rows.filter((r) => better(r) === true && r.p !== null && r.p < 0.05);
  const n = rows.length;
  const parts = `${n - worse.length - undefinedRows.length}/${n} comparisons go the claimed way in the means, ${sig.length}/${n} with Welch p < 0.05`;
  if (worse.length > 0) {
    const pc = (x: number | null): string => (x === null ? 'n/a' : r0(x));
    const r0 = (x: number): string => (rows[0]!.metric === 'f1' ? `${(100 * x).toFixed(1)} %` : `${x.toFixed(2)} s`);
    const ex = worse.slice(0, 3).map((r) => `${r.ml} ${pc(r.meanMl)} vs ${r.baseline} ${pc(r.meanBaseline)} at ${r.hosts} hosts`).join('; ');
    return { verdict: 'not supported', detail: `${parts}; against it: ${ex}${worse.length > 3 ? '; ...' : ''}` };
  }
  if (undefinedRows.length > 0) return { verdict: 'inconclusive', detail: `${parts}; ${undefinedRows.length} without data on one side` };
  return { verdict: sig.length === n ? 'supported' : 'inconclusive', detail: parts };
}

/** `scope` says whose results these are ("all attackers pooled", "attacker dqn"). */
export function evaluateClaims(welch: WelchRow[], anova: AnovaRow[], nSizes: number, scope: string, incomplete: number): Claim[] {
  const note = incomplete > 0 ? `; ${incomplete} cells failed or missing` : '';
  const lat = comparisonVerdict(
    welch.filter((w) => w.metric === 'responseLatency'),
    (r) => (r.meanMl === null || r.meanBaseline === null ? null : r.meanMl < r.meanBaseline),
  );
  const f1 = comparisonVerdict(
    welch.filter((w) => w.metric === 'f1'),
    (r) => (r.meanMl === null || r.meanBaseline === null ? null : r.meanMl > r.meanBaseline),
  );
  let size: { verdict: Verdict; detail: string };
  if (nSizes < 2) size = { verdict: 'inconclusive', detail: 'fewer than two network sizes in the run' };
  else {
    const per = anova.map((a) => {
      const v: Verdict = a.monotoneIncreasing === null ? 'inconclusive' : !a.monotoneIncreasing ? 'not supported' : a.p !== null && a.p < 0.05 ? 'supported' : 'inconclusive';
      const seq = a.means.map((m) => fmtN(m.mean, 2)).join(' -> ');
      return { v, text: `${a.defender} ${seq} (${a.monotoneIncreasing === null ? 'undefined' : a.monotoneIncreasing ? 'monotone' : 'not monotone'}, ANOVA p ${fmtP(a.p)})` };
    });
    const verdict: Verdict = per.every((p) => p.v === 'supported') ? 'supported' : per.some((p) => p.v === 'not supported') ? 'not supported' : 'inconclusive';
    size = { verdict, detail: per.map((p) => p.text).join('; ') };
  }
  return [
    { id: 1, claim: `ML defenders respond faster than each baseline (rule-mas, static-range) at every size (${scope})`, verdict: lat.verdict, detail: lat.detail + note },
    { id: 2, claim: `Response latency rises with network size, for each defender (${scope})`, verdict: size.verdict, detail: size.detail + note },
    { id: 3, claim: `ML detection F1 is above the rule-based MAS at every size (${scope})`, verdict: f1.verdict, detail: f1.detail + note },
  ];
}
