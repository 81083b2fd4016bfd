/**
 * The report of a run directory: `table.md`, `table.csv`, `results.json`, `latency.svg`, `f1.svg`,
 * `cotraining.svg` (when there were several co-training rounds) and a self-contained `report.html`.
 *
 * Aggregation: for each attacker (and all attackers pooled), network size and defender, the episodes of
 * every seed are pooled and each metric is summarised as mean +- 95 % t-CI with its n (episodes where the
 * metric is defined). Tests on response latency: Welch t-tests of each ML defender against `rule-mas` and
 * `static-range` per size (raw p and Holm-adjusted over the family), and a one-way ANOVA across sizes per
 * defender. Failed and missing cells are shown in the tables and listed, never dropped silently.
 * results.json is a pure function of cells.jsonl and the plan (timing lives under its `timing` key only).
 *
 * This file also owns the run directory's on-disk format (file names, cell records, manifest), which the
 * runner writes and the report reads.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { anovaOneWay, ci95, holmAdjust, mean, welchTTest } from '../shared/stats.js';
import type { EpisodeMetrics } from '../range/metrics.js';
import type { CellBudget, CellResult } from './cell.js';
import { cellId, type ExperimentSpec } from './spec.js';
import { coTrainingCurvesSvg, f1BySizeSvg, latencyBySizeSvg, type CurvePoint } from './plots.js';
import { buildReportHtml, escapeHtml, type ReportSection } from './report-html.js';

// ---------------------------------------------------------------------------------------------
// Run directory format
// ---------------------------------------------------------------------------------------------

export const MANIFEST_FILE = 'manifest.json';
export const CELLS_FILE = 'cells.jsonl';
export const REPORT_FILES = ['table.md', 'table.csv', 'results.json', 'latency.svg', 'f1.svg', 'cotraining.svg', 'report.html'] as const;
/** Files cyrange writes at the top of a run directory (the only ones `--force` replaces). */
export const OWN_FILES: readonly string[] = [MANIFEST_FILE, CELLS_FILE, ...REPORT_FILES];

export type CellRecord = ({ status: 'ok' } & CellResult) | { id: string; status: 'failed'; error: string };

export interface RunManifest {
  format: 1;
  tool: 'cyrange';
  experiment: string;
  specSource: string;
  specSha256: string;
  spec: ExperimentSpec;
  profile: string | null;
  plan: { scenarios: string[]; attackers: string[]; defenders: string[]; seeds: number[]; budget: CellBudget };
  scenarios: { name: string; hosts: number; source: string }[];
  seeds: number[];
  packageVersions: Record<string, string>;
  tfBackend: string | null;
  gitCommit: string | null;
  machine: { cpu: string; cores: number; totalMemoryBytes: number; platform: string; arch: string };
  node: string;
  startedAt: string;
  endedAt: string | null;
  sessions: { startedAt: string; endedAt: string | null; workers: number; cellsRun: number; interrupted: boolean }[];
  cells: { total: number; done: number; failed: number };
}

/**
 * Records of a cells.jsonl file. Lines that do not parse (a torn last line after a crash) or are not
 * cell records are skipped and counted in `skipped`. An id's ok record wins over its failed ones (a
 * resumed run retries failed cells); a repeated ok record keeps the first.
 */
export function readCellsFile(path: string): { records: CellRecord[]; skipped: number } {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  let skipped = 0;
  const byId = new Map<string, CellRecord>();
  const failedOnly = new Map<string, CellRecord>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    // the last line has no newline after it when the write was torn
    if (i === lines.length - 1) {
      skipped++;
      return;
    }
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      skipped++;
      return;
    }
    const rec = r as Partial<CellRecord>;
    if (typeof rec.id !== 'string' || (rec.status !== 'ok' && rec.status !== 'failed') || (rec.status === 'ok' && !Array.isArray((rec as CellResult).metrics))) {
      skipped++;
      return;
    }
    if (rec.status === 'ok') {
      if (!byId.has(rec.id)) byId.set(rec.id, rec as CellRecord);
      failedOnly.delete(rec.id);
    } else if (!byId.has(rec.id)) failedOnly.set(rec.id, rec as CellRecord);
  });
  return { records: [...byId.values(), ...failedOnly.values()], skipped };
}

export function readManifest(dir: string): RunManifest | null {
  const p = join(dir, MANIFEST_FILE);
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as RunManifest;
    return m && m.tool === 'cyrange' && typeof m.specSha256 === 'string' ? m : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Metric definitions (mirrors the doc comment of src/range/metrics.ts)
// ---------------------------------------------------------------------------------------------

export const METRIC_DEFINITIONS: readonly { key: MetricKey | 'detectionLatency' | 'attackerSuccess'; label: string; unit: string; definition: string }[] = [
  { key: 'responseLatency', label: 'Response latency', unit: 's (simulated)', definition: 'detection (first true alert) to the start of the first response against a host the attack touched (the reference paper\'s definition); undefined in an episode without a detection followed by such a response' },
  { key: 'f1', label: 'Detection F1', unit: '%', definition: 'per host-window: positive when the ground-truth label is an attack stage, predicted positive when the defence flagged it; F1 = 2TP / (2TP + FP + FN), undefined when nothing was flagged and nothing was to be found' },
  { key: 'timeToContainment', label: 'Time to containment', unit: 's (simulated)', definition: 'first malicious action to the moment no attacker foothold is live; undefined when never contained' },
  { key: 'compromiseRate', label: 'Compromise rate', unit: '%', definition: 'share of hosts the attacker controlled at any time in the episode' },
  { key: 'chainLength', label: 'Attack chain length', unit: 'hosts', definition: 'distinct hosts compromised before the first response against the attacker' },
  { key: 'detectionLatency', label: 'Detection latency', unit: 's (simulated)', definition: 'first malicious action (start of the attacker\'s first non-wait action) to the first true alert' },
  { key: 'attackerSuccess', label: 'Attacker success', unit: '%', definition: 'a crown jewel was exfiltrated in the episode' },
];

export const METRIC_KEYS = ['responseLatency', 'f1', 'timeToContainment', 'compromiseRate', 'chainLength', 'detectionLatency', 'attackerSuccess'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

function metricValue(m: EpisodeMetrics, k: MetricKey): number | null {
  const v = k === 'f1' ? m.detection.f1 : m[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export const ML_KINDS = ['rf', 'autoencoder', 'ensemble'] as const;
export const BASELINE_KINDS = ['rule-mas', 'static-range'] as const;
/** Attacker label of the pooled (all attackers) aggregates. */
export const ALL_ATTACKERS = 'all';

export interface Summary {
  mean: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  halfWidth: number | null;
  /** Episodes where the metric is defined. */
  n: number;
}

export interface GroupResult {
  attacker: string;
  scenario: string;
  hosts: number;
  defender: string;
  cells: { expected: number; ok: number; failed: string[]; missing: string[] };
  episodes: number;
  metrics: Record<MetricKey, Summary>;
}

export interface WelchRow {
  attacker: string;
  hosts: number;
  scenario: string;
  metric: 'responseLatency' | 'f1';
  ml: string;
  baseline: string;
  meanMl: number | null;
  meanBaseline: number | null;
  nMl: number;
  nBaseline: number;
  t: number | null;
  df: number | null;
  p: number | null;
  pHolm: number | null;
}

export interface AnovaRow {
  attacker: string;
  defender: string;
  /** Mean latency per size, in size order. */
  means: { hosts: number; mean: number | null; n: number }[];
  monotoneIncreasing: boolean | null;
  F: number | null;
  dfBetween: number;
  dfWithin: number;
  p: number | null;
}

export type Verdict = 'supported' | 'not supported' | 'inconclusive';

export interface Claim {
  id: 1 | 2 | 3;
  claim: string;
  verdict: Verdict;
  detail: string;
}

export interface Results {
  experiment: string;
  profile: string | null;
  specSha256: string;
  budget: CellBudget;
  seeds: number[];
  sizes: { scenario: string; hosts: number }[];
  attackers: string[];
  defenders: string[];
  groups: GroupResult[];
  welch: WelchRow[];
  anova: AnovaRow[];
  claims: Claim[];
  failedCells: { id: string; error: string }[];
  missingCells: string[];
  /** The only run-time dependent part (excluded when comparing runs). */
  timing: { cellWallSeconds: number; envSteps: number; stepsPerSecond: number | null };
}

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

function summarise(values: number[]): Summary {
  if (values.length === 0) return { mean: null, ciLow: null, ciHigh: null, halfWidth: null, n: 0 };
  const c = ci95(values);
  return { mean: fin(c.mean), ciLow: fin(c.lo), ciHigh: fin(c.hi), halfWidth: fin(c.halfWidth), n: values.length };
}

/** Compute every aggregate, test and claim of a run directory. */
export function computeResults(dir: string): Results {
  const manifest = readManifest(dir);
  if (!manifest) throw new CyrangeError(`${dir}: not a cyrange run directory (no readable ${MANIFEST_FILE})`);
  const { records } = readCellsFile(join(dir, CELLS_FILE));
  const byId = new Map(records.map((r) => [r.id, r]));
  const plan = manifest.plan;
  const hostsOf = new Map(manifest.scenarios.map((s) => [s.name, s.hosts]));
  const sizes = [...manifest.scenarios].sort((a, b) => a.hosts - b.hosts || (a.name < b.name ? -1 : 1)).map((s) => ({ scenario: s.name, hosts: s.hosts }));
  const attackerSets: [string, string[]][] = [...plan.attackers.map((a): [string, string[]] => [a, [a]])];
  if (plan.attackers.length > 1) attackerSets.push([ALL_ATTACKERS, [...plan.attackers]]);

  const groups: GroupResult[] = [];
  const failedCells: { id: string; error: string }[] = [];
  const missingCells: string[] = [];
  let wall = 0;
  let steps = 0;
  // Plan order (not file order), so float sums and results.json do not depend on scheduling.
  for (const sc of plan.scenarios)
    for (const a of plan.attackers)
      for (const d of plan.defenders)
        for (const s of plan.seeds) {
          const id = cellId(sc, a, d, s);
          const r = byId.get(id);
          if (!r) missingCells.push(id);
          else if (r.status === 'failed') failedCells.push({ id, error: r.error });
          else {
            wall += r.wallSeconds;
            steps += r.envSteps;
          }
        }

  for (const [label, atts] of attackerSets)
    for (const { scenario, hosts } of sizes)
      for (const d of plan.defenders) {
        const eps: EpisodeMetrics[] = [];
        const cells: GroupResult['cells'] = { expected: 0, ok: 0, failed: [], missing: [] };
        for (const a of atts)
          for (const s of plan.seeds) {
            const id = cellId(scenario, a, d, s);
            cells.expected++;
            const r = byId.get(id);
            if (!r) cells.missing.push(id);
            else if (r.status === 'failed') cells.failed.push(id);
            else {
              cells.ok++;
              eps.push(...r.metrics);
            }
          }
        const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, summarise(eps.map((m) => metricValue(m, k)).filter((v): v is number => v !== null))])) as Record<MetricKey, Summary>;
        groups.push({ attacker: label, scenario, hosts: hostsOf.get(scenario) ?? hosts, defender: d, cells, episodes: eps.length, metrics });
      }

  const values = (attacker: string, scenario: string, defender: string, k: MetricKey): number[] => {
    const atts = attacker === ALL_ATTACKERS ? plan.attackers : [attacker];
    const out: number[] = [];
    for (const a of atts)
      for (const s of plan.seeds) {
        const r = byId.get(cellId(scenario, a, defender, s));
        if (r?.status === 'ok') for (const m of r.metrics) {
          const v = metricValue(m, k);
          if (v !== null) out.push(v);
        }
      }
    return out;
  };

  // Welch: every ML defender against every baseline, per attacker set and size, on latency and on F1
  const welch: WelchRow[] = [];
  const mls = plan.defenders.filter((d) => (ML_KINDS as readonly string[]).includes(d));
  for (const metric of ['responseLatency', 'f1'] as const) {
    const bases = plan.defenders.filter((d) => (metric === 'f1' ? d === 'rule-mas' : (BASELINE_KINDS as readonly string[]).includes(d)));
    const family: WelchRow[] = [];
    for (const [label] of attackerSets)
      for (const { scenario, hosts } of sizes)
        for (const ml of mls)
          for (const b of bases) {
            const x = values(label, scenario, ml, metric);
            const y = values(label, scenario, b, metric);
            const w = welchTTest(x, y);
            family.push({ attacker: label, hosts, scenario, metric, ml, baseline: b, meanMl: x.length ? fin(mean(x)) : null, meanBaseline: y.length ? fin(mean(y)) : null, nMl: x.length, nBaseline: y.length, t: fin(w.t), df: fin(w.df), p: fin(w.pValue), pHolm: null });
          }
    const adj = holmAdjust(family.map((r) => r.p ?? NaN));
    family.forEach((r, i) => (r.pHolm = fin(adj[i]!)));
    welch.push(...family);
  }

  // ANOVA of latency across sizes, per attacker set and defender
  const anova: AnovaRow[] = [];
  for (const [label] of attackerSets)
    for (const d of plan.defenders) {
      const gs = sizes.map(({ scenario }) => values(label, scenario, d, 'responseLatency'));
      const means = sizes.map(({ hosts }, i) => ({ hosts, mean: gs[i]!.length ? fin(mean(gs[i]!)) : null, n: gs[i]!.length }));
      const defined = means.filter((m) => m.mean !== null);
      const monotone = defined.length < 2 || defined.length < means.length ? null : defined.every((m, i) => i === 0 || m.mean! > defined[i - 1]!.mean!);
      const r = anovaOneWay(gs);
      anova.push({ attacker: label, defender: d, means, monotoneIncreasing: monotone, F: fin(r.F), dfBetween: r.dfBetween, dfWithin: r.dfWithin, p: fin(r.pValue) });
    }

  const claimsLabel = plan.attackers.length > 1 ? ALL_ATTACKERS : plan.attackers[0]!;
  const claims = evaluateClaims(welch.filter((w) => w.attacker === claimsLabel), anova.filter((a) => a.attacker === claimsLabel), sizes.length, claimsLabel, failedCells.length + missingCells.length);

  return {
    experiment: manifest.experiment,
    profile: manifest.profile,
    specSha256: manifest.specSha256,
    budget: plan.budget,
    seeds: plan.seeds,
    sizes,
    attackers: plan.attackers,
    defenders: plan.defenders,
    groups,
    welch,
    anova,
    claims,
    failedCells,
    missingCells,
    timing: { cellWallSeconds: wall, envSteps: steps, stepsPerSecond: wall > 0 ? steps / wall : null },
  };
}

// ---------------------------------------------------------------------------------------------
// Claims of the reference paper, checked against a run
// ---------------------------------------------------------------------------------------------

const fmtP = (p: number | null): string => (p === null ? 'n/a' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));
const fmtN = (x: number | null, d = 1): string => (x === null ? 'n/a' : x.toFixed(d));

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

function evaluateClaims(welch: WelchRow[], anova: AnovaRow[], nSizes: number, label: string, incomplete: number): Claim[] {
  const scope = label === ALL_ATTACKERS ? 'all attackers pooled' : `attacker ${label}`;
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

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

const TABLE_METRICS: { key: MetricKey; title: string; scale: number; digits: number; unit: string }[] = [
  { key: 'responseLatency', title: 'Response latency (s, simulated)', scale: 1, digits: 1, unit: '' },
  { key: 'f1', title: 'Detection F1 (%)', scale: 100, digits: 1, unit: '' },
  { key: 'timeToContainment', title: 'Time to containment (s, simulated)', scale: 1, digits: 1, unit: '' },
  { key: 'compromiseRate', title: 'Compromise rate (%)', scale: 100, digits: 1, unit: '' },
  { key: 'chainLength', title: 'Attack chain length (hosts)', scale: 1, digits: 2, unit: '' },
];

function attackerTitle(a: string): string {
  return a === 'dqn' ? 'DQN attacker' : a === 'pg' ? 'policy-gradient attacker' : a === ALL_ATTACKERS ? 'all attackers pooled' : `${a} attacker`;
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

function mdTable(header: string[], rows: string[][]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Rows = network size, columns = defenders, for one attacker set and metric. */
export function metricTable(res: Results, attacker: string, key: MetricKey): string {
  const tm = TABLE_METRICS.find((t) => t.key === key) ?? { scale: 1, digits: 2 };
  const rows = res.sizes.map(({ scenario, hosts }) => [
    `${hosts} (${scenario})`,
    ...res.defenders.map((d) => {
      const g = res.groups.find((x) => x.attacker === attacker && x.scenario === scenario && x.defender === d)!;
      return formatSummary(g, key, tm.scale, tm.digits);
    }),
  ]);
  return mdTable(['Hosts', ...res.defenders], rows);
}

export function welchTable(res: Results, metric: 'responseLatency' | 'f1'): string {
  const rows = res.welch
    .filter((w) => w.metric === metric)
    .map((w) => [attackerTitle(w.attacker), String(w.hosts), w.ml, w.baseline, fmtN(w.meanMl, 2), fmtN(w.meanBaseline, 2), `${w.nMl}/${w.nBaseline}`, fmtN(w.t, 2), fmtN(w.df, 1), fmtP(w.p), fmtP(w.pHolm)]);
  return mdTable(['Attacker', 'Hosts', 'ML defender', 'Baseline', 'Mean ML', 'Mean baseline', 'n', 't', 'df', 'p', 'p (Holm)'], rows);
}

export function anovaTable(res: Results): string {
  const rows = res.anova.map((a) => [attackerTitle(a.attacker), a.defender, a.means.map((m) => `${m.hosts}: ${fmtN(m.mean, 2)} (n=${m.n})`).join('; '), a.monotoneIncreasing === null ? 'n/a' : a.monotoneIncreasing ? 'yes' : 'no', fmtN(a.F, 2), `${a.dfBetween}, ${a.dfWithin}`, fmtP(a.p)]);
  return mdTable(['Attacker', 'Defender', 'Mean latency by size', 'Rises with size', 'F', 'df', 'p'], rows);
}

function problemsList(res: Results): string {
  const lines: string[] = [];
  for (const f of res.failedCells) lines.push(`- failed: \`${f.id}\`: ${f.error}`);
  for (const m of res.missingCells) lines.push(`- missing: \`${m}\``);
  return lines.length ? lines.join('\n') : '';
}

/** The whole markdown report (table.md). */
export function markdownReport(res: Results, manifest: RunManifest): string {
  const out: string[] = [];
  out.push(`# ${res.experiment}${res.profile ? ` (profile ${res.profile})` : ''}`);
  out.push('');
  out.push(`Seeds ${res.seeds.join(', ')}; budget ${budgetText(res.budget)}. Values: mean ± 95 % CI half-width over the episodes of all seeds (n = episodes where the metric is defined). Times are simulated seconds.`);
  out.push(`Machine: ${manifest.machine.cpu}, ${manifest.machine.cores} cores; tfjs backend ${manifest.tfBackend ?? 'none'}; commit ${manifest.gitCommit ?? 'unknown'}.`);
  out.push('');
  out.push('## Claims');
  out.push('');
  for (const c of res.claims) out.push(`${c.id}. **${c.verdict}**: ${c.claim}. ${c.detail}.`);
  for (const tm of TABLE_METRICS) {
    out.push('');
    out.push(`## ${tm.title}`);
    const sets = res.attackers.length > 1 ? [...res.attackers, ALL_ATTACKERS] : res.attackers;
    for (const a of sets) {
      out.push('');
      out.push(`### ${attackerTitle(a)}`);
      out.push('');
      out.push(metricTable(res, a, tm.key));
    }
  }
  out.push('');
  out.push('## Welch t-tests: ML defenders vs baselines, response latency');
  out.push('');
  out.push(welchTable(res, 'responseLatency'));
  out.push('');
  out.push('## Welch t-tests: ML defenders vs rule-based MAS, detection F1');
  out.push('');
  out.push(welchTable(res, 'f1'));
  out.push('');
  out.push('## One-way ANOVA of response latency across network sizes');
  out.push('');
  out.push(anovaTable(res));
  const probs = problemsList(res);
  out.push('');
  out.push('## Failed and missing cells');
  out.push('');
  out.push(probs || 'none');
  out.push('');
  out.push('## Metric definitions');
  out.push('');
  for (const d of METRIC_DEFINITIONS) out.push(`- **${d.label}** (${d.unit}): ${d.definition}.`);
  out.push('');
  return out.join('\n');
}

function budgetText(b: CellBudget): string {
  return `rounds ${b.rounds}, train episodes ${b.trainEpisodes}, eval episodes ${b.evalEpisodes}, detector episodes ${b.detectorEpisodes}${b.rfTrees !== undefined ? `, RF trees ${b.rfTrees}` : ''}${b.aeEpochs !== undefined ? `, AE epochs ${b.aeEpochs}` : ''}`;
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Long-format CSV: one row per attacker, size, defender and metric. */
export function csvReport(res: Results): string {
  const header = ['attacker', 'scenario', 'hosts', 'defender', 'metric', 'mean', 'ci95_low', 'ci95_high', 'ci95_half_width', 'n', 'episodes', 'cells_ok', 'cells_failed', 'cells_missing'];
  const lines = [header.join(',')];
  for (const g of res.groups)
    for (const k of METRIC_KEYS) {
      const s = g.metrics[k];
      lines.push([g.attacker, g.scenario, g.hosts, g.defender, k, s.mean, s.ciLow, s.ciHigh, s.halfWidth, s.n, g.episodes, g.cells.ok, g.cells.failed.length, g.cells.missing.length].map(csvCell).join(','));
    }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Figures and the HTML page
// ---------------------------------------------------------------------------------------------

async function figures(res: Results, dir: string): Promise<{ latency: string; f1: string; cotraining: string | null }> {
  const perAttacker = res.groups.filter((g) => g.attacker !== ALL_ATTACKERS);
  const latency = await latencyBySizeSvg(
    perAttacker.filter((g) => g.metrics.responseLatency.mean !== null).map((g) => {
      const s = g.metrics.responseLatency;
      return { hosts: g.hosts, defender: g.defender, attacker: attackerTitle(g.attacker), mean: s.mean!, lo: s.ciLow ?? NaN, hi: s.ciHigh ?? NaN };
    }),
    { title: 'Response latency by network size (mean, 95 % CI)', yTitle: 'Response latency (s, simulated)' },
  );
  const f1 = await f1BySizeSvg(
    perAttacker.filter((g) => g.metrics.f1.mean !== null).map((g) => ({ hosts: g.hosts, defender: g.defender, attacker: attackerTitle(g.attacker), f1: g.metrics.f1.mean! })),
    { title: 'Detection F1 by network size (mean over episodes)' },
  );
  let cotraining: string | null = null;
  if (res.budget.rounds > 1) {
    // Round records averaged over seeds and sizes, per attacker/defender pair.
    const { records } = readCellsFile(join(dir, CELLS_FILE));
    const acc = new Map<string, number[]>();
    for (const r of records) {
      if (r.status !== 'ok') continue;
      for (const rr of r.rounds)
        for (const [metric, v] of [['attacker success', rr.attackerSuccess], ['detection F1', rr.detectionF1], ['response latency', rr.responseLatency]] as const) {
          if (v === null || !Number.isFinite(v)) continue;
          const k = JSON.stringify([rr.round, `${r.spec.attacker}/${r.spec.defender}`, metric]);
          const a = acc.get(k) ?? [];
          a.push(v);
          acc.set(k, a);
        }
    }
    const pts: CurvePoint[] = [...acc.entries()].map(([k, vs]) => {
      const [round, series, metric] = JSON.parse(k) as [number, string, string];
      return { round, series, metric, value: mean(vs) };
    });
    if (pts.length) cotraining = await coTrainingCurvesSvg(pts, { title: 'Co-training rounds (mean over seeds and sizes)' });
  }
  return { latency, f1, cotraining };
}

function claimsHtml(res: Results): string {
  const items = res.claims.map((c) => `<li><strong>${escapeHtml(c.verdict)}</strong>: ${escapeHtml(c.claim)}. <span class="detail">${escapeHtml(c.detail)}.</span></li>`);
  return `<ol>${items.join('')}</ol>`;
}

function definitionsHtml(): string {
  return `<dl>${METRIC_DEFINITIONS.map((d) => `<dt><strong>${escapeHtml(d.label)}</strong> (${escapeHtml(d.unit)})</dt><dd>${escapeHtml(d.definition)}</dd>`).join('')}</dl>`;
}

export function htmlReport(res: Results, manifest: RunManifest, figs: { latency: string; f1: string; cotraining: string | null }): string {
  const sets = res.attackers.length > 1 ? [...res.attackers, ALL_ATTACKERS] : res.attackers;
  const sections: ReportSection[] = [{ heading: 'Claims of the reference paper', html: claimsHtml(res) }];
  for (const tm of TABLE_METRICS) {
    sections.push({ heading: tm.title, markdownTable: sets.map((a) => metricTable(res, a, tm.key)).join('\n\n'), note: `Tables in order: ${sets.map(attackerTitle).join('; ')}. mean ± 95 % CI half-width (n = episodes where defined).` });
    if (tm.key === 'responseLatency') sections.push({ heading: 'Figure: response latency', svg: figs.latency });
    if (tm.key === 'f1') sections.push({ heading: 'Figure: detection F1', svg: figs.f1 });
  }
  if (figs.cotraining) sections.push({ heading: 'Figure: co-training rounds', svg: figs.cotraining });
  sections.push({ heading: 'Welch t-tests on response latency', markdownTable: welchTable(res, 'responseLatency'), note: 'Two-sided Welch t-tests; p (Holm) adjusts over all rows of this table.' });
  sections.push({ heading: 'Welch t-tests on detection F1', markdownTable: welchTable(res, 'f1') });
  sections.push({ heading: 'ANOVA of latency across sizes', markdownTable: anovaTable(res) });
  const probs = [...res.failedCells.map((f) => `<li>failed: <code>${escapeHtml(f.id)}</code>: ${escapeHtml(f.error)}</li>`), ...res.missingCells.map((m) => `<li>missing: <code>${escapeHtml(m)}</code></li>`)];
  sections.push({ heading: 'Failed and missing cells', html: probs.length ? `<ul>${probs.join('')}</ul>` : '<p>none</p>' });
  sections.push({ heading: 'Metric definitions', html: definitionsHtml() });
  const gb = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  return buildReportHtml({
    title: `cyrange: ${res.experiment}${res.profile ? ` (${res.profile})` : ''}`,
    subtitle: 'Response latency and detection of ML, rule-based and static defences by network size',
    meta: {
      'spec sha256': manifest.specSha256,
      profile: manifest.profile ?? 'none',
      seeds: res.seeds.join(', '),
      budget: budgetText(res.budget),
      cells: `${manifest.cells.done} done, ${manifest.cells.failed} failed, of ${manifest.cells.total}`,
      machine: `${manifest.machine.cpu}; ${manifest.machine.cores} cores; ${gb(manifest.machine.totalMemoryBytes)}; ${manifest.machine.platform}/${manifest.machine.arch}`,
      'tfjs backend': manifest.tfBackend ?? 'none',
      node: manifest.node,
      'git commit': manifest.gitCommit ?? 'unknown',
      versions: Object.entries(manifest.packageVersions).map(([k, v]) => `${k} ${v}`).join(', '),
      started: manifest.startedAt,
      ended: manifest.endedAt ?? 'not finished',
    },
    sections,
  });
}

function writeText(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** NaN never reaches JSON (results hold null for undefined values). */
function stableJson(v: unknown): string {
  return `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`;
}

/** Write every report file of a run directory; returns the results and the files written. */
export async function writeReport(dir: string): Promise<{ results: Results; files: string[] }> {
  const res = computeResults(dir);
  const manifest = readManifest(dir)!;
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeText(join(dir, name), text);
    files.push(join(dir, name));
  };
  put('results.json', stableJson(res));
  put('table.md', markdownReport(res, manifest));
  put('table.csv', csvReport(res));
  const figs = await figures(res, dir);
  put('latency.svg', figs.latency);
  put('f1.svg', figs.f1);
  if (figs.cotraining) put('cotraining.svg', figs.cotraining);
  put('report.html', htmlReport(res, manifest, figs));
  return { results: res, files };
}
