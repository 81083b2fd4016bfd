/**
 * The report of a run directory: `results.json` (results.ts), `table.md`, `table.csv`, `latency.svg`,
 * `f1.svg`, `cotraining.svg` (when there were several co-training rounds) and a self-contained
 * `report.html`. Every table is a table model (report-tables.ts) rendered per format (table.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mean } from '../shared/stats.js';
import { coTrainingCurvesSvg, f1BySizeSvg, latencyBySizeSvg, type CurvePoint } from './plots.js';
import { buildReportHtml, escapeHtml, type ReportSection } from './report-html.js';
import { ALL_ATTACKERS, computeResults } from './results.js';
import { anovaTable, attackerSets, attackerTitle, longTable, metricTable, TABLE_METRICS, welchTable } from './report-tables.js';
import { isTrainRun, writeTrainReport } from './train-report.js';
import { CELLS_FILE, MANIFEST_FILE, RESULTS_FILE, readCellsFile, readManifest, stableJson, writeTextAtomic, type Results, type RunManifest } from './run-format.js';
import { renderCsv, renderMarkdown, type Table } from './table.js';
import type { CellBudget } from './cell.js';

/** Where the metrics are defined (cited, never copied). */
export const METRIC_DEFINITIONS_SOURCE = 'src/range/metrics.ts (the one definition of each metric; README "Metrics")';

function budgetText(b: CellBudget): string {
  return `rounds ${b.rounds}, train episodes ${b.trainEpisodes}, eval episodes ${b.evalEpisodes}, detector episodes ${b.detectorEpisodes}${b.rfTrees !== undefined ? `, RF trees ${b.rfTrees}` : ''}${b.aeEpochs !== undefined ? `, AE epochs ${b.aeEpochs}` : ''}`;
}

function problems(res: Results): string[] {
  return [...res.failedCells.map((f) => `failed: \`${f.id}\`: ${f.error}`), ...res.missingCells.map((m) => `missing: \`${m}\``)];
}

/** The report's sections as (heading, tables) pairs, shared by the markdown and HTML renderers. */
function tableSections(res: Results): { heading: string; tables: Table[]; note?: string }[] {
  const sets = attackerSets(res);
  return [
    ...TABLE_METRICS.map((tm) => ({ heading: tm.title, tables: sets.map((a) => metricTable(res, a, tm.key)), note: 'mean ± 95 % CI half-width (n = episodes where defined).' })),
    { heading: 'Welch t-tests: ML defenders vs baselines, response latency', tables: [welchTable(res, 'responseLatency')], note: 'Two-sided Welch t-tests; p (Holm) adjusts over all rows of this table.' },
    { heading: 'Welch t-tests: ML defenders vs rule-based MAS, detection F1', tables: [welchTable(res, 'f1')] },
    { heading: 'One-way ANOVA of response latency across network sizes', tables: [anovaTable(res)] },
  ];
}

/** The whole markdown report (table.md). */
export function markdownReport(res: Results, manifest: RunManifest): string {
  const out: string[] = [];
  out.push(`# ${res.experiment}${res.profile ? ` (profile ${res.profile})` : ''}`, '');
  out.push(`Seeds ${res.seeds.join(', ')}; budget ${budgetText(res.budget)}. Values: mean ± 95 % CI half-width over the episodes of all seeds (n = episodes where the metric is defined). Times are simulated seconds.`);
  out.push(`Machine: ${manifest.machine.cpu}, ${manifest.machine.cores} cores; tfjs backend ${manifest.tfBackend ?? 'none'}; commit ${manifest.gitCommit ?? 'unknown'}.`, '');
  out.push('## Claims', '');
  for (const c of res.claims) out.push(`${c.id}. **${c.verdict}**: ${c.claim}. ${c.detail}.`);
  for (const s of tableSections(res)) {
    out.push('', `## ${s.heading}`);
    for (const t of s.tables) {
      if (t.title !== undefined) out.push('', `### ${t.title}`);
      out.push('', renderMarkdown(t));
    }
  }
  const probs = problems(res);
  out.push('', '## Failed and missing cells', '', probs.length ? probs.map((p) => `- ${p}`).join('\n') : 'none');
  out.push('', '## Metric definitions', '', `See ${METRIC_DEFINITIONS_SOURCE}.`, '');
  return out.join('\n');
}

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
  const sections: ReportSection[] = [{ heading: 'Claims of the reference paper', html: claims }];
  for (const s of tableSections(res)) {
    sections.push({ heading: s.heading, tables: s.tables, ...(s.note !== undefined ? { note: s.note } : {}) });
    if (s.heading === TABLE_METRICS[0]!.title) sections.push({ heading: 'Figure: response latency', svg: figs.latency });
    if (s.heading === TABLE_METRICS[1]!.title) sections.push({ heading: 'Figure: detection F1', svg: figs.f1 });
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
  const figs = await figures(res, dir);
  put('latency.svg', figs.latency);
  put('f1.svg', figs.f1);
  if (figs.cotraining) put('cotraining.svg', figs.cotraining);
  put('report.html', htmlReport(res, manifest, figs));
  return { kind: 'experiment', results: res, files };
}
