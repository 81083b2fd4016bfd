/**
 * The tables of a report as table models (table.ts), built once from results.json's content and
 * rendered to markdown, CSV and HTML by the caller.
 */
import { fmtN, fmtP } from './claims.js';
import { ALL_ATTACKERS } from './results.js';
import { METRIC_KEYS, type GroupResult, type MetricKey, type Results } from './run-format.js';
import type { Table } from './table.js';

export const TABLE_METRICS: { key: MetricKey; title: string; scale: number; digits: number }[] = [
  { key: 'responseLatency', title: 'Response latency (s, simulated)', scale: 1, digits: 1 },
  { key: 'f1', title: 'Detection F1 (%)', scale: 100, digits: 1 },
  { key: 'timeToContainment', title: 'Time to containment (s, simulated)', scale: 1, digits: 1 },
  { key: 'compromiseRate', title: 'Compromise rate (%)', scale: 100, digits: 1 },
  { key: 'chainLength', title: 'Attack chain length (hosts)', scale: 1, digits: 2 },
];

export function attackerTitle(a: string): string {
  return a === 'dqn' ? 'DQN attacker' : a === 'pg' ? 'policy-gradient attacker' : a === ALL_ATTACKERS ? 'all attackers pooled' : `${a} attacker`;
}

/** The attacker sets that have tables: each attacker, then all pooled when there are several. */
export function attackerSets(res: Results): string[] {
  return res.attackers.length > 1 ? [...res.attackers, ALL_ATTACKERS] : res.attackers;
}

/** One table cell: `mean ± half (n=k)`, or failed / missing when no cell of the group ran. */
export function formatSummary(g: GroupResult, key: MetricKey, scale = 1, digits = 1): string {
  const s = g.metrics[key];
  const bad = g.cells.failed.length + g.cells.missing.length;
  if (g.cells.ok === 0) return g.cells.failed.length ? 'failed' : 'missing';
  let txt: string;
  if (s.mean === null) txt = `n/a (n=0)`;
  else txt = `${(s.mean * scale).toFixed(digits)}${s.halfWidth !== null ? ` ± ${(s.halfWidth * scale).toFixed(digits)}` : ''} (n=${s.n})`;
  if (bad) txt += ` [${g.cells.failed.length ? `${g.cells.failed.length} failed` : ''}${g.cells.failed.length && g.cells.missing.length ? ', ' : ''}${g.cells.missing.length ? `${g.cells.missing.length} missing` : ''}]`;
  return txt;
}

/** Rows = network size, columns = defenders, for one attacker set and metric. */
export function metricTable(res: Results, attacker: string, key: MetricKey): Table {
  const tm = TABLE_METRICS.find((t) => t.key === key) ?? { scale: 1, digits: 2 };
  const rows = res.sizes.map(({ scenario, hosts }) => [
    `${hosts} (${scenario})`,
    ...res.defenders.map((d) => {
      const g = res.groups.find((x) => x.attacker === attacker && x.scenario === scenario && x.defender === d)!;
      return formatSummary(g, key, tm.scale, tm.digits);
    }),
  ]);
  return { title: attackerTitle(attacker), columns: [{ label: 'Hosts' }, ...res.defenders.map((d) => ({ label: d }))], rows };
}

export function welchTable(res: Results, metric: 'responseLatency' | 'f1'): Table {
  const rows = res.welch
    .filter((w) => w.metric === metric)
    .map((w) => [attackerTitle(w.attacker), String(w.hosts), w.ml, w.baseline, fmtN(w.meanMl, 2), fmtN(w.meanBaseline, 2), `${w.nMl}/${w.nBaseline}`, fmtN(w.t, 2), fmtN(w.df, 1), fmtP(w.p), fmtP(w.pHolm)]);
  const labels = ['Attacker', 'Hosts', 'ML defender', 'Baseline', 'Mean ML', 'Mean baseline', 'n', 't', 'df', 'p', 'p (Holm)'];
  return { columns: labels.map((label) => ({ label })), rows };
}

export function anovaTable(res: Results): Table {
  const rows = res.anova.map((a) => [attackerTitle(a.attacker), a.defender, a.means.map((m) => `${m.hosts}: ${fmtN(m.mean, 2)} (n=${m.n})`).join('; '), a.monotoneIncreasing === null ? 'n/a' : a.monotoneIncreasing ? 'yes' : 'no', fmtN(a.F, 2), `${a.dfBetween}, ${a.dfWithin}`, fmtP(a.p)]);
  const labels = ['Attacker', 'Defender', 'Mean latency by size', 'Rises with size', 'F', 'df', 'p'];
  return { columns: labels.map((label) => ({ label })), rows };
}

/** Long format for table.csv: one row per attacker, size, defender and metric, raw numbers. */
export function longTable(res: Results): Table {
  const labels = ['attacker', 'scenario', 'hosts', 'defender', 'metric', 'mean', 'ci95_low', 'ci95_high', 'ci95_half_width', 'n', 'episodes', 'cells_ok', 'cells_failed', 'cells_missing'];
  const rows = res.groups.flatMap((g) =>
    METRIC_KEYS.map((k) => {
      const s = g.metrics[k];
      return [g.attacker, g.scenario, g.hosts, g.defender, k, s.mean, s.ciLow, s.ciHigh, s.halfWidth, s.n, g.episodes, g.cells.ok, g.cells.failed.length, g.cells.missing.length];
    }),
  );
  return { columns: labels.map((label) => ({ label })), rows };
}
