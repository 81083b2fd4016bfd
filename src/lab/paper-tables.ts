/**
 * The reference paper's tables, ours beside its figures (paper.ts), as table models (table.ts):
 *   Table 10  response latency by size (with time to detect, censored share, defender return beside it)
 *   Table 9   detection precision / recall / F1 by size
 *   Table 11  attack complexity score by size
 *   Table 5   the attackers' frozen learning curves (success rate and reward against training episodes)
 *   Table 6   detector validation on real flow data
 * Their systems map to our defences by paperSystem(); their times are seconds on their testbed, ours
 * simulated seconds of the range: compare shapes, not digits.
 */
import { fmtN } from './claims.js';
import { metricDef, type MetricDef } from './metric-table.js';
import { paperSystem, REFERENCE, type PaperSystem } from './paper.js';
import { attackerTitle, group, noValue, num } from './report-tables.js';
import type { GroupResult, OverSeeds, Results } from './run-format.js';
import type { Table } from './table.js';

const pct = (x: number | null): string => (x === null ? 'n/a' : `${Math.round(100 * x)} %`);

/** `mean [low, high]`, or why there is no value: failed / missing cells, no incident, none detected. */
export function shortSummary(g: GroupResult, def: MetricDef): string {
  if (g.cells.ok === 0) return g.cells.failed.length ? 'failed' : 'missing';
  const s = g.metrics[def.key]!;
  if (s.mean === null) return noValue(g, def);
  return `${num(s.mean, def)}${s.ciLow !== null && s.ciHigh !== null ? ` [${num(s.ciLow, def)}, ${num(s.ciHigh, def)}]` : ''}`;
}

function paperValue<T>(defender: string, hosts: number, table: Readonly<Record<PaperSystem, Readonly<Record<number, T>>>>): T | null {
  const sys = paperSystem(defender);
  return sys ? (table[sys][hosts] ?? null) : null;
}

const paperCell = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '-' : x.toFixed(digits));

/** Metrics shown beside response latency in Table 10. */
export const BESIDE_LATENCY = ['timeToDetect', 'defenderReturn'] as const;

/**
 * Table 10 for one attacker: one row per size and defender, response latency with the paper's figure for
 * the system the defence stands for, the censored share, time to detect and defender return, detection
 * F1 with the paper's.
 */
export function paperTable(res: Results, attacker: string): Table {
  const beside = BESIDE_LATENCY.map(metricDef);
  const lat = metricDef('responseLatency');
  const f1 = metricDef('f1');
  const rows = res.sizes.flatMap(({ scenario, hosts }) =>
    res.defenders.map((d) => {
      const g = group(res, attacker, scenario, d);
      const s = g.metrics[lat.key]!;
      return [
        hosts, d, shortSummary(g, lat), paperCell(paperValue(d, hosts, REFERENCE.latency)), s.km && s.km.n > 0 ? pct(s.km.censoredShare) : '-',
        ...beside.map((b) => shortSummary(g, b)), shortSummary(g, f1), paperCell(paperValue(d, hosts, REFERENCE.detection)?.f1), s.n,
      ];
    }),
  );
  const labels = ['Hosts', 'Defender', 'Response latency (s)', 'paper', 'censored', ...beside.map((b) => `${b.label} (${b.kind === 'censored' ? 's' : b.unit})`), 'Detection F1 (%)', 'paper F1', 'n (seeds)'];
  return { title: `Table 10, ${attackerTitle(attacker)}: response latency, ours beside ${REFERENCE.citation}`, columns: labels.map((label, j) => ({ label, ...(j === 1 ? { align: 'left' as const } : {}) })), rows };
}

/** Table 9 for one attacker: precision, recall and F1 by size and defence, each beside the paper's. */
export function detectionTable(res: Results, attacker: string): Table {
  const keys = ['precision', 'recall', 'f1'] as const;
  const rows = res.sizes.flatMap(({ scenario, hosts }) =>
    res.defenders.map((d) => {
      const g = group(res, attacker, scenario, d);
      const paper = paperValue(d, hosts, REFERENCE.detection);
      return [hosts, d, ...keys.flatMap((k) => [shortSummary(g, metricDef(k)), paperCell(paper?.[k])]), g.metrics.f1!.n];
    }),
  );
  const labels = ['Hosts', 'Defender', 'Precision (%)', 'paper', 'Recall (%)', 'paper', 'F1 (%)', 'paper', 'n (seeds)'];
  return { title: `Table 9, ${attackerTitle(attacker)}: detection by network size`, columns: labels.map((label, j) => ({ label, ...(j === 1 ? { align: 'left' as const } : {}) })), rows };
}

/** Table 11 for one attacker: successful kill-chain phases per attacker and episode, beside the paper's score. */
export function complexityTable(res: Results, attacker: string): Table {
  const def = metricDef('attackPhases');
  const rows = res.sizes.flatMap(({ scenario, hosts }) =>
    res.defenders.map((d) => {
      const g = group(res, attacker, scenario, d);
      return [hosts, d, shortSummary(g, def), paperCell(paperValue(d, hosts, REFERENCE.complexity), 0), g.metrics[def.key]!.n];
    }),
  );
  return {
    title: `Table 11, ${attackerTitle(attacker)}: attack complexity score`,
    columns: ['Hosts', 'Defender', 'Attack complexity (phases per attack)', 'paper', 'n (seeds)'].map((label, j) => ({ label, ...(j === 1 ? { align: 'left' as const } : {}) })),
    rows,
    note: "The paper's score is per system (its attackers in that system's range); ours is measured per defence against the same attacker kind. Our scale is 0-5 (recon, exploit, privilege escalation, lateral movement, exfiltration).",
  };
}

const ci = (o: OverSeeds, scale = 1, digits = 1): string => (o.mean === null ? 'n/a' : `${(o.mean * scale).toFixed(digits)}${o.ciLow !== null && o.ciHigh !== null && o.n > 1 ? ` [${(o.ciLow * scale).toFixed(digits)}, ${(o.ciHigh * scale).toFixed(digits)}]` : ''}`);

/** What each learning attacker's training was, per scenario (Table 5's context). */
export function trainingTable(res: Results): Table {
  return {
    title: 'Training of the learning attackers (once per scenario, kind and seed; evaluated frozen against every defence)',
    columns: ['Hosts', 'Attacker', 'Episodes', 'Against', 'Gradient steps (min / mean)', 'Env steps (mean)', 'Evaluation mode', 'Final frozen success (%)', 'n (seeds)'].map((label, j) => ({ label, ...(j === 1 || j === 3 || j === 6 ? { align: 'left' as const } : {}) })),
    rows: res.training.map((t) => [`${t.hosts} (${t.scenario})`, t.attacker, t.episodes, t.against, `${t.gradientSteps.min} / ${Math.round(t.gradientSteps.mean)}`, Math.round(t.envSteps), t.evalMode, t.curve.length ? ci(t.curve[t.curve.length - 1]!.successRate, 100) : 'n/a', t.n]),
  };
}

/** Table 5, ours: the frozen learning curves, mean over seeds with 95 % bootstrap intervals. */
export function learningCurveTable(res: Results): Table {
  return {
    title: 'Table 5, ours: attacker success and reward against training episodes (frozen evaluation at each point)',
    columns: ['Hosts', 'Attacker', 'Training episodes', 'Success rate (%)', 'Mean attacker reward', 'Time to objective (s)', 'n (seeds)'].map((label, j) => ({ label, ...(j === 1 ? { align: 'left' as const } : {}) })),
    rows: res.training.flatMap((t) => t.curve.map((p) => [`${t.hosts} (${t.scenario})`, t.attacker, p.episodes, ci(p.successRate, 100), ci(p.meanReward), ci(p.timeToObjective), p.successRate.n])),
    note: 'Each point: the agent frozen after that many training episodes, played against the training defence; the time to objective is over the episodes that reached it. Our rewards are on the range\'s own scale.',
  };
}

/** Table 5 as the paper reports it (its DQN attacker; one run, no interval). */
export function paperTrainingTable(): Table {
  return {
    title: `Table 5, ${REFERENCE.citation}: DQN attacker training`,
    columns: ['Training episodes', 'Average reward', 'Attack success rate (%)', 'Epsilon'].map((label) => ({ label })),
    rows: REFERENCE.dqnTraining.map((r) => [r.episodes, r.reward.toFixed(1), r.successRate.toFixed(1), r.epsilon.toFixed(1)]),
  };
}

/** Table 6: each detector kind trained on each flow-data file, validation figures beside the paper's. */
export function flowValidationTable(res: Results): Table {
  const fv = res.flowValidation;
  const labels = ['Data set', 'Detector', 'Rows (train / validation)', 'Accuracy (%)', 'paper', 'Precision (%)', 'paper', 'Recall (%)', 'paper', 'F1 (%)', 'paper'];
  const p = (x: number | null): string => (x === null ? 'n/a' : (100 * x).toFixed(1));
  const rows = (fv?.rows ?? []).map((r) => {
    const paper = REFERENCE.detectorValidation[r.kind as keyof typeof REFERENCE.detectorValidation];
    return [r.dataset, r.kind, `${r.trainRows} / ${r.validationRows}`, p(r.accuracy), paperCell(paper?.accuracy), p(r.precision), paperCell(paper?.precision), p(r.recall), paperCell(paper?.recall), p(r.f1), paperCell(paper?.f1)];
  });
  const why = fv === null ? 'not part of this experiment (no flowValidation in the spec)' : fv.absent !== null ? `could not be computed: ${fv.absent}` : fv.missing.length ? `${fv.missing.length} job(s) without a result: ${fv.missing.join(', ')}` : null;
  return {
    title: 'Table 6: detector validation on real flow data',
    columns: labels.map((label, j) => ({ label, ...(j < 2 ? { align: 'left' as const } : {}) })),
    rows,
    note: `${why ? `Table 6 ${why}. ` : ''}Each detector kind trained on one flow-data file (binary: benign vs attack), validated on a seeded 20 % hold-out of it; the paper's figures are for CICIDS2017 and UNSW-NB15 together, SMOTE-balanced to about 50k rows.${fv ? ` Data: ${fv.dir}.` : ''}`,
  };
}

/** The sanity rows: oracle against flag-all and no defence, paired over seeds. */
export function sanityTable(res: Results): Table {
  return {
    title: `Sanity rows: ${res.sanity.verdict === 'ok' ? 'instrument ok' : res.sanity.verdict === 'broken' ? 'INSTRUMENT BROKEN' : 'not checked'}`,
    columns: ['Attacker', 'Hosts', 'Oracle vs', 'Oracle return', 'Other return', 'Difference', 'Seeds won', 'p (paired t)', 'Pass'].map((label, j) => ({ label, ...(j === 0 || j === 2 ? { align: 'left' as const } : {}) })),
    rows: res.sanity.checks.map((c) => [c.attacker, c.hosts, c.versus, fmtN(c.meanOracle), fmtN(c.meanVersus), fmtN(c.meanDiff), `${c.wins}/${c.n}`, c.p === null ? 'n/a' : c.p.toFixed(3), !c.testable ? 'untestable' : c.pass ? 'yes' : 'NO']),
    note: res.sanity.detail,
  };
}
