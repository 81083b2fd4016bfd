/**
 * The report of a run directory: `results.json` (results.ts), `table.md`, `table.csv`, `latency.svg`,
 * `f1.svg`, `cotraining.svg` (when there were several co-training rounds) and a self-contained
 * `report.html`, and `units.csv` (every cell's value of every metric: what the tests and intervals are
 * computed from). Every table is a table model (report-tables.ts) rendered per format (table.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mean } from '../shared/stats.js';
import { coTrainingCurvesSvg, f1BySizeSvg, latencyBySizeSvg, type CurvePoint } from './plots.js';
import { buildReportHtml, escapeHtml, type ReportSection } from './report-html.js';
import { computeResults } from './results.js';
import { METRICS } from './metric-table.js';
import { attackerTitle, claimsTable, comparisonTable, longTable, metricTable, metricTitle, paperTable, trendTable, unitsTable } from './report-tables.js';
import { isTrainRun, writeTrainReport } from './train-report.js';
import { CELLS_FILE, MANIFEST_FILE, RESULTS_FILE, readCellsFile, readManifest, stableJson, writeTextAtomic, type Results, type RunManifest } from './run-format.js';
import { renderCsv, renderMarkdown, type Table } from './table.js';
import type { CellBudget } from './cell.js';

/** Where the metrics are defined (cited, never copied). */
export const METRIC_DEFINITIONS_SOURCE = 'src/range/metrics.ts (the one definition of each metric; README "Metrics")';

/** The report's note on censored times, for readers. */
export const HOW_TO_READ = [
  'Every value is first computed per cell (one seed): the mean over its evaluation episodes, or for a time to an event (response latency, time to detect, to contain, to objective) the Kaplan-Meier estimate over its incidents.',
  'A time is censored when the event had not happened when the episode ended (an attack never detected, a detection never answered): it is kept as "at least this long", never dropped, so a defence that never responds cannot look fast.',
  'For times, the value is the restricted mean: the mean time to the event, counting an unfinished wait up to the horizon (the longest time observed for that metric in the run). The median is the time by which half the incidents saw the event (n/a when more than half were still waiting); "censored" is the share that never saw it.',
  'Tables show the mean over seeds with a 95 % BCa bootstrap interval over seeds (kept inside the metric\'s range, so never below zero for times) and n = seeds. Defences are compared paired over the same seeds.',
].join(' ');

function budgetText(b: CellBudget): string {
  return `rounds ${b.rounds}, train episodes ${b.trainEpisodes}, eval episodes ${b.evalEpisodes}, detector episodes ${b.detectorEpisodes}${b.rfTrees !== undefined ? `, RF trees ${b.rfTrees}` : ''}${b.aeEpochs !== undefined ? `, AE epochs ${b.aeEpochs}` : ''}`;
}

function problems(res: Results): string[] {
  return [...res.failedCells.map((f) => `failed: \`${f.id}\`: ${f.error}`), ...res.missingCells.map((m) => `missing: \`${m}\``)];
}

interface Section {
  heading: string;
  tables: Table[];
  note?: string;
  /** A figure that goes right after this section in the HTML page. */
  figure?: 'latency' | 'f1';
}

/** The report's table sections (each table with its own title), shared by the markdown and HTML renderers. */
function tableSections(res: Results): Section[] {
  const out: Section[] = [{ heading: 'Claims of the reference paper', tables: [claimsTable(res)] }];
  out.push({ heading: "Ours beside the paper's figures", tables: res.attackers.map((a) => paperTable(res, a)), note: 'Response latency and times: restricted means with 95 % bootstrap intervals over seeds; paper: Tables 9 and 10 of the reference, seconds on their testbed (compare shapes, not digits); censored: share of latencies never answered by the episode\'s end.', figure: 'latency' });
  for (const def of METRICS) out.push({ heading: metricTitle(def), tables: res.attackers.map((a) => metricTable(res, a, def.key)), ...(def.key === 'f1' ? { figure: 'f1' as const } : {}) });
  out.push({ heading: 'Paired comparisons (claims 1 and 3)', tables: [comparisonTable(res, 1), comparisonTable(res, 3)] });
  out.push({ heading: 'Trend with network size (claim 2)', tables: [trendTable(res)] });
  return out;
}

/** The whole markdown report (table.md). */
export function markdownReport(res: Results, manifest: RunManifest): string {
  const out: string[] = [];
  out.push(`# ${res.experiment}${res.profile ? ` (profile ${res.profile})` : ''}`, '');
  out.push(`Seeds ${res.seeds.join(', ')}; budget ${budgetText(res.budget)}. Times are simulated seconds.`);
  out.push(`Machine: ${manifest.machine.cpu}, ${manifest.machine.cores} cores; tfjs backend ${manifest.tfBackend ?? 'none'}; commit ${manifest.gitCommit ?? 'unknown'}.`, '');
  out.push('## How to read this', '', HOW_TO_READ, '');
  out.push('## Verdicts', '');
  for (const c of res.claims) out.push(`- (${c.id}) **${c.verdict}**: ${c.claim}. ${c.detail}.`);
  for (const s of tableSections(res)) {
    out.push('', `## ${s.heading}`);
    for (const t of s.tables) {
      if (t.title !== undefined) out.push('', `### ${t.title}`);
      out.push('', renderMarkdown(t));
      if (t.note !== undefined) out.push('', t.note);
    }
    if (s.note !== undefined) out.push('', s.note);
  }
  const probs = problems(res);
  out.push('', '## Failed and missing cells', '', probs.length ? probs.map((p) => `- ${p}`).join('\n') : 'none');
  out.push('', '## Metric definitions', '', `See ${METRIC_DEFINITIONS_SOURCE}.`, '');
  return out.join('\n');
}

async function figures(res: Results, dir: string): Promise<{ latency: string; f1: string; cotraining: string | null }> {
  const lat = res.groups.filter((g) => g.metrics.responseLatency!.mean !== null);
  const latency = await latencyBySizeSvg(
    lat.map((g) => {
      const s = g.metrics.responseLatency!;
      return { hosts: g.hosts, defender: g.defender, attacker: attackerTitle(g.attacker), mean: s.mean!, lo: s.ciLow ?? NaN, hi: s.ciHigh ?? NaN };
    }),
    { title: 'Response latency by network size (restricted mean over seeds, 95 % bootstrap interval)', yTitle: 'Response latency (s, simulated)' },
  );
  const f1 = await f1BySizeSvg(
    res.groups.filter((g) => g.metrics.f1!.mean !== null).map((g) => ({ hosts: g.hosts, defender: g.defender, attacker: attackerTitle(g.attacker), f1: g.metrics.f1!.mean! })),
    { title: 'Detection F1 by network size (mean over seeds)' },
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

export function runMeta(manifest: RunManifest, budget: string): Record<string, string> {
  const gb = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  return {
    'spec sha256': manifest.specSha256,
    profile: manifest.profile ?? 'none',
    seeds: manifest.seeds.join(', '),
    budget,
    cells: `${manifest.cells.done} done, ${manifest.cells.failed} failed, of ${manifest.cells.total}`,
    machine: `${manifest.machine.cpu}; ${manifest.machine.cores} cores; ${gb(manifest.machine.totalMemoryBytes)}; ${manifest.machine.platform}/${manifest.machine.arch}`,
    'tfjs backend': manifest.tfBackend ?? 'none',
    node: manifest.node,
    'git commit': manifest.gitCommit ?? 'unknown',
    versions: Object.entries(manifest.packageVersions).map(([k, v]) => `${k} ${v}`).join(', '),
    started: manifest.startedAt,
    ended: manifest.endedAt ?? 'not finished',
  };
}

export function htmlReport(res: Results, manifest: RunManifest, figs: { latency: string; f1: string; cotraining: string | null }): string {
  const claims = `<ol>${res.claims.map((c) => `<li><strong>${escapeHtml(c.verdict)}</strong>: ${escapeHtml(c.claim)}. <span class="detail">${escapeHtml(c.detail)}.</span></li>`).join('')}</ol>`;
  const sections: ReportSection[] = [{ heading: 'How to read this', html: `<p>${escapeHtml(HOW_TO_READ)}</p>` }, { heading: 'Verdicts', html: claims }];
  for (const s of tableSections(res)) {
    sections.push({ heading: s.heading, tables: s.tables, ...(s.note !== undefined ? { note: s.note } : {}) });
    if (s.figure === 'latency') sections.push({ heading: 'Figure: response latency', svg: figs.latency });
    if (s.figure === 'f1') sections.push({ heading: 'Figure: detection F1', svg: figs.f1 });
  }
  if (figs.cotraining) sections.push({ heading: 'Figure: co-training rounds', svg: figs.cotraining });
  const probs = problems(res).map((p) => `<li>${escapeHtml(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`);
  sections.push({ heading: 'Failed and missing cells', html: probs.length ? `<ul>${probs.join('')}</ul>` : '<p>none</p>' });
  sections.push({ heading: 'Metric definitions', html: `<p>See <code>${escapeHtml(METRIC_DEFINITIONS_SOURCE)}</code>.</p>` });
  return buildReportHtml({
    title: `cyrange: ${res.experiment}${res.profile ? ` (${res.profile})` : ''}`,
    subtitle: 'Response latency and detection of ML, rule-based and static defences by network size',
    meta: runMeta(manifest, budgetText(res.budget)),
    sections,
  });
}

export type ReportOutcome = { kind: 'experiment'; results: Results; files: string[] } | { kind: 'train'; rounds: number; scalars: number; files: string[] };

/**
 * Write every report file of a run directory and return what was written: for an experiment run
 * (`cyrange run`, `cyrange reproduce`) its results and files; for a `cyrange train` run directory
 * (run.json, no manifest.json) its training report (train-report.ts).
 */
export async function writeReport(dir: string): Promise<ReportOutcome> {
  if (!existsSync(join(dir, MANIFEST_FILE)) && isTrainRun(dir)) return { kind: 'train', ...(await writeTrainReport(dir)) };
  const res = computeResults(dir);
  const manifest = readManifest(dir)!;
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    writeTextAtomic(join(dir, name), text);
    files.push(join(dir, name));
  };
  put(RESULTS_FILE, stableJson(res));
  put('table.md', markdownReport(res, manifest));
  put('table.csv', renderCsv(longTable(res)));
  put('units.csv', renderCsv(unitsTable(res)));
  const figs = await figures(res, dir);
  put('latency.svg', figs.latency);
  put('f1.svg', figs.f1);
  if (figs.cotraining) put('cotraining.svg', figs.cotraining);
  put('report.html', htmlReport(res, manifest, figs));
  return { kind: 'experiment', results: res, files };
}
