/**
 * The tables of a report as table models (table.ts), built once from results.json's content and
 * rendered to markdown, CSV, HTML and the console by the caller.
 */
import { fmtN, fmtP } from './claims.js';
import { metricDef, type MetricDef } from './metric-table.js';
import type { GroupResult, Results } from './run-format.js';
import type { Table } from './table.js';

export function attackerTitle(a: string): string {
  return a === 'dqn' ? 'DQN attacker' : a === 'pg' ? 'policy-gradient attacker' : `${a} attacker`;
}

export function metricTitle(def: MetricDef): string {
  return `${def.label} (${def.kind === 'censored' ? 's, simulated; restricted mean' : def.unit})`;
}

export const num = (x: number | null, def: MetricDef): string => (x === null ? 'n/a' : (x * def.scale).toFixed(def.digits));
export const pct = (x: number | null): string => (x === null ? 'n/a' : `${Math.round(100 * x)} %`);

/**
 * Why a group that ran has no value of a metric: no incident at all (every incident has a time to detect),
 * incidents but none detected (a latency needs a detection), else n/a (e.g. F1 with nothing to detect).
 */
export function noValue(g: GroupResult, def: MetricDef): string {
  if (def.kind === 'censored' && def.key !== 'timeToObjective') {
    if ((g.metrics.timeToDetect?.km?.n ?? 0) === 0) return 'no incident';
    if (def.key === 'responseLatency') return 'none detected';
  }
  return 'n/a';
}

/**
 * One table cell: `mean [low, high] (n=seeds)`; censored times add the KM median and censored share of
 * the pooled observations; `failed` / `missing` when no cell of the group ran.
 */
export function formatSummary(g: GroupResult, key: string): string {
  const def = metricDef(key);
  const s = g.metrics[key]!;
  if (g.cells.ok === 0) return g.cells.failed.length ? 'failed' : 'missing';
  let txt = s.mean === null ? noValue(g, def) : `${num(s.mean, def)}${s.ciLow !== null && s.ciHigh !== null ? ` [${num(s.ciLow, def)}, ${num(s.ciHigh, def)}]` : ''}`;
  if (s.km && s.mean !== null) txt += `; median ${s.km.median === null ? 'n/a' : s.km.median.toFixed(def.digits)}, ${pct(s.km.censoredShare)} censored`;
  txt += ` (n=${s.n})`;
  const f = g.cells.failed.length;
  const m = g.cells.missing.length;
  if (f + m) txt += ` [${[f ? `${f} failed` : '', m ? `${m} missing` : ''].filter(Boolean).join(', ')}]`;
  return txt;
}

export function group(res: Results, attacker: string, scenario: string, defender: string): GroupResult {
  return res.groups.find((x) => x.attacker === attacker && x.scenario === scenario && x.defender === defender)!;
}

/** Rows = network size, columns = defenders, for one attacker and metric. */
export function metricTable(res: Results, attacker: string, key: string): Table {
  const rows = res.sizes.map(({ scenario, hosts }) => [`${hosts} (${scenario})`, ...res.defenders.map((d) => formatSummary(group(res, attacker, scenario, d), key))]);
  return { title: attackerTitle(attacker), columns: [{ label: 'Hosts' }, ...res.defenders.map((d) => ({ label: d }))], rows };
}

export function claimsTable(res: Results): Table {
  const labels = ['Attacker', 'Claim', 'Verdict', 'p', 'p (Holm)', 'Parts'];
  return {
    columns: labels.map((label, j) => ({ label, ...(j < 3 ? { align: 'left' as const } : {}) })),
    rows: res.claims.map((c) => [c.attacker, `(${c.id}) ${c.claim.replace(/ \(attacker [^)]*\)$/, '')}`, c.verdict, fmtP(c.p), fmtP(c.pHolm), c.n]),
    note: `Holm family: ${res.family.description}; ${res.family.size} testable, alpha ${res.family.alpha}. Supported: Holm-significant the claimed way in every part; not supported: Holm-significant the other way in some part; otherwise inconclusive. p and p (Holm) are the deciding part's.`,
  };
}

export function comparisonTable(res: Results, claim: 1 | 3): Table {
  const rows = res.comparisons.filter((c) => c.claim === claim);
  const def = metricDef(rows[0]?.metric ?? (claim === 1 ? 'responseLatency' : 'f1'));
  const labels = ['Attacker', 'Hosts', 'Defender', 'Baseline', 'Mean defender', 'Mean baseline', 'Difference [95 % CI]', 'n (seeds)', 't', 'p', 'Test', 'p (Wilcoxon)', 'p (Holm)', 'Verdict'];
  return {
    title: `${metricTitle(def)}: ${claim === 1 ? 'ML defences vs baselines' : 'ML defences vs the rule-based MAS'}`,
    columns: labels.map((label) => ({ label })),
    rows: rows.map((c) => [
      c.attacker, c.hosts, c.defender, c.baseline, num(c.meanDefender, def), num(c.meanBaseline, def),
      `${num(c.meanDiff, def)}${c.ciLow !== null && c.ciHigh !== null ? ` [${num(c.ciLow, def)}, ${num(c.ciHigh, def)}]` : ''}`,
      c.n, fmtN(c.t, 2), fmtP(c.p), c.test, `${fmtP(c.wilcoxonP)}${c.wilcoxonMethod === 'none' ? '' : ` (${c.wilcoxonMethod})`}`, fmtP(c.pHolm), c.verdict,
    ]),
    note: 'Paired over the seeds where both have a value; the paired t-test decides (the exact Wilcoxon p where every seed shows the same difference); otherwise the Wilcoxon signed-rank p is a robustness check.',
  };
}

export function trendTable(res: Results): Table {
  const labels = ['Attacker', 'Defender', 'Mean by size', 'n', 'Spearman rho', 'p', 'p method', 'p (Holm)', 'Verdict'];
  return {
    title: 'Response latency against network size (claim 2)',
    columns: labels.map((label) => ({ label })),
    rows: res.trends.map((t) => [t.attacker, t.defender, t.bySize.map((b) => `${b.hosts}: ${fmtN(b.mean, 2)} (n=${b.n})`).join('; '), t.n, fmtN(t.rho, 2), fmtP(t.p), t.method, fmtP(t.pHolm), t.verdict]),
    note: "Spearman's rank correlation between hosts and the seeds' restricted mean latencies.",
  };
}

/** Long format for table.csv: one row per attacker, size, defender and metric, raw numbers with their n. */
export function longTable(res: Results): Table {
  const labels = ['attacker', 'scenario', 'hosts', 'defender', 'metric', 'kind', 'mean', 'ci_low', 'ci_high', 'ci_method', 'n_seeds', 'n_observations', 'km_median', 'km_censored_share', 'km_n', 'horizon', 'cells_ok', 'cells_failed', 'cells_missing'];
  const rows = res.groups.flatMap((g) =>
    res.metrics.map((m) => {
      const s = g.metrics[m.key]!;
      return [g.attacker, g.scenario, g.hosts, g.defender, m.key, m.kind, s.mean, s.ciLow, s.ciHigh, s.ciMethod, s.n, s.observations, s.km?.median ?? null, s.km?.censoredShare ?? null, s.km?.n ?? null, m.horizon, g.cells.ok, g.cells.failed.length, g.cells.missing.length];
    }),
  );
  return { columns: labels.map((label) => ({ label })), rows };
}

/** units.csv: one row per cell (seed) and metric: the values every test and interval is computed from. */
export function unitsTable(res: Results): Table {
  const labels = ['attacker', 'scenario', 'defender', 'seed', 'episodes', 'metric', 'value', 'n', 'km_median', 'km_censored_share'];
  const rows = res.units.flatMap((u) => res.metrics.map((m) => {
    const v = u.values[m.key]!;
    return [u.attacker, u.scenario, u.defender, u.seed, u.episodes, m.key, v.value, v.n, v.median ?? null, v.censoredShare ?? null];
  }));
  return { columns: labels.map((label) => ({ label })), rows };
}
