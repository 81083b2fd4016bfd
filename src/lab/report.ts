/**
 * The report of a run directory: `results.json` (results.ts), `table.md`, `table.csv`, `latency.svg`,
 * `f1.svg`, `training.svg` (the learning attackers' frozen curves and training scalars) and a
 * self-contained `report.html`, and `units.csv` (every cell's value of every metric: what the tests and
 * intervals are computed from). Every table is a table model (report-tables.ts, paper-tables.ts)
 * rendered per format (table.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readScalars, SCALARS_FILE, type Scalar } from '../train/scalars.js';
import { f1BySizeSvg, latencyBySizeSvg, learningCurvesSvg, trainingCurvesSvg, type LearningCurvePoint } from './plots.js';
import { buildReportHtml, escapeHtml, type ReportSection } from './report-html.js';
import { computeResults } from './results.js';
import { METRICS } from './metric-table.js';
import { attackerTitle, claimsTable, comparisonTable, longTable, metricTable, metricTitle, trendTable, unitsTable } from './report-tables.js';
import { complexityTable, detectionTable, flowValidationTable, learningCurveTable, paperTable, paperTrainingTable, sanityTable, trainingTable } from './paper-tables.js';
import { downsampleScalars, isTrainRun, writeTrainReport } from './train-report.js';
import { JOBS_DIR } from './jobs.js';
import { attackerJobKey } from './spec.js';
import { MANIFEST_FILE, RESULTS_FILE, readManifest, stableJson, writeTextAtomic, type Results, type RunManifest } from './run-format.js';
import { renderCsv, renderMarkdown, type Table } from './table.js';
import type { CellBudget } from './cell.js';

/** Where the metrics are defined (cited, never copied). */
export const METRIC_DEFINITIONS_SOURCE = 'src/range/metrics.ts (the one definition of each metric; README "Metrics")';

/** The report's note on censored times, for readers. */
export const HOW_TO_READ = [
  'Every value is first computed per cell (one seed): the mean over its evaluation episodes, or for a time to an event (response latency, time to detect, to contain, to objective) the Kaplan-Meier estimate over its incidents.',
  'A time is censored when the event had not happened when the episode ended (an attack never detected, a detection never answered): it is kept as "at least this long", never dropped, so a defence that never responds cannot look fast.',
  'For times, the value is the restricted mean: the mean time to the event, counting an unfinished wait up to the horizon (the longest time observed for that metric in the run). The median is the time by which half the incidents saw the event (n/a when more than half were still waiting); "censored" is the share that never saw it.',
  'Tables show the mean over seeds with a 95 % BCa bootstrap interval over seeds (kept inside the metric\'s range, so never below zero for times) and n = seeds with a value: for a latency, the seeds where the defence let an incident happen and detected it (a defence that stops every intrusion before a foothold has nothing to time). Defences are compared paired over the same seeds, which played the same evaluation episodes against the same frozen attackers.',
].join(' ');

export function budgetText(b: CellBudget, res?: Pick<Results, 'training'>): string {
  const range = (a: string): string => {
    const eps = res!.training.filter((t) => t.attacker === a).map((t) => t.episodes);
    const lo = Math.min(...eps);
    const hi = Math.max(...eps);
    return `${a} ${lo === hi ? lo : `${lo}-${hi}`}`;
  };
  const training = res?.training.length
    ? `; attackers trained once per scenario and seed, ${[...new Set(res.training.map((t) => t.attacker))].map(range).join(', ')} episodes against ${[...new Set(res.training.map((t) => t.against))].join('/')} (Table 5)`
    : '';
  return `eval episodes ${b.evalEpisodes} per cell, detector episodes ${b.detectorEpisodes}${b.rfTrees !== undefined ? `, RF trees ${b.rfTrees}` : ''}${b.aeEpochs !== undefined ? `, AE epochs ${b.aeEpochs}` : ''}${training}`;
}

function problems(res: Results): string[] {
  return [...res.failedCells.map((f) => `failed: \`${f.id}\`: ${f.error}`), ...res.missingCells.map((m) => `missing: \`${m}\``)];
}

interface Section {
  heading: string;
  tables: Table[];
  note?: string;
  /** A figure that goes right after this section in the HTML page. */
  figure?: 'latency' | 'f1' | 'training';
}

/** The report's table sections (a heading per table family), shared by the markdown and HTML renderers. */
function tableSections(res: Results): Section[] {
  const out: Section[] = [
    { heading: 'Sanity rows: oracle, flag-all and no defence', tables: [sanityTable(res)] },
    { heading: 'Claims of the reference paper', tables: [claimsTable(res)] },
    {
      heading: 'Table 10: response latency by network size',
      tables: res.attackers.map((a) => paperTable(res, a)),
      note: "Ours: restricted means with 95 % bootstrap intervals over seeds (simulated seconds); paper: its Table 10 (and Table 9's F1), seconds on their testbed: compare shapes, not digits. Censored: share of detected incidents never answered by the episode's end. \"no incident\": no foothold in any episode; \"none detected\": incidents, none alerted on.",
      figure: 'latency',
    },
    { heading: 'Table 9: detection precision, recall and F1 by network size', tables: res.attackers.map((a) => detectionTable(res, a)), figure: 'f1' },
    { heading: 'Table 11: attack complexity score', tables: res.attackers.map((a) => complexityTable(res, a)) },
    { heading: 'Table 5: attacker training', tables: [trainingTable(res), learningCurveTable(res), paperTrainingTable()], figure: 'training' },
    { heading: 'Table 6: detector validation on flow data', tables: [flowValidationTable(res)] },
  ];
  for (const def of METRICS) out.push({ heading: metricTitle(def), tables: res.attackers.map((a) => metricTable(res, a, def.key)) });
  out.push({ heading: 'Paired comparisons (claims 1 and 3)', tables: [comparisonTable(res, 1), comparisonTable(res, 3)] });
  out.push({ heading: 'Trend with network size (claim 2)', tables: [trendTable(res)] });
  return out;
}

/** The lines that must be seen first: the sanity verdict, budgets too small to train, a quick profile's limits. */
export function warnings(res: Results): string[] {
  const out: string[] = [];
  if (res.sanity.verdict === 'broken') out.push(`INSTRUMENT BROKEN: ${res.sanity.detail}.`);
  else if (res.sanity.verdict === 'ok') out.push(`Sanity: ${res.sanity.detail}.`);
  else out.push(`Sanity not checked: ${res.sanity.detail}.`);
  if (res.untrainedCells.length) out.push(`UNTRAINED: ${res.untrainedCells.length} learning cells evaluated an attacker that took no gradient step (raise training.episodes): ${res.untrainedCells.slice(0, 4).join(', ')}${res.untrainedCells.length > 4 ? ', ...' : ''}.`);
  if (res.seeds.length < 5) out.push(`Only ${res.seeds.length} seed${res.seeds.length === 1 ? '' : 's'} and this budget: too small for verdicts; expect "inconclusive" (the full profile is the one that can decide).`);
  return out;
}

/** The whole markdown report (table.md). */
export function markdownReport(res: Results, manifest: RunManifest): string {
  const out: string[] = [];
  out.push(`# ${res.experiment}${res.profile ? ` (profile ${res.profile})` : ''}`, '');
  out.push(`Seeds ${res.seeds.join(', ')}; budget ${budgetText(res.budget, res)}. Times are simulated seconds.`);
  out.push(`Machine: ${manifest.machine.cpu}, ${manifest.machine.cores} cores; tfjs backend ${manifest.tfBackend ?? 'none'}; commit ${manifest.gitCommit ?? 'unknown'}.`, '');
  for (const w of warnings(res)) out.push(`**${w}**`, '');
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

interface Figures {
  latency: string;
  f1: string;
  /** Frozen learning curves, and the training scalars per learning kind (null without learning attackers). */
  curves: string | null;
  scalars: { kind: string; svg: string }[];
}

/** Every job's scalars of one kind, tagged with its scenario (jobs/attackers/SCENARIO-KIND-sSEED/scalars.jsonl). */
function jobScalars(dir: string, res: Results, kind: string): { scenario: string; scalars: Scalar[] }[] {
  const root = join(dir, JOBS_DIR, 'attackers');
  if (!existsSync(root)) return [];
  const out: { scenario: string; scalars: Scalar[] }[] = [];
  for (const t of res.training.filter((x) => x.attacker === kind)) {
    const scalars = res.seeds
      .map((seed) => join(root, attackerJobKey(t.scenario, kind, seed), SCALARS_FILE))
      .flatMap((f) => (existsSync(f) ? readScalars(f) : []));
    if (scalars.length) out.push({ scenario: `${t.hosts} (${t.scenario})`, scalars });
  }
  return out;
}

async function figures(res: Results, dir: string): Promise<Figures> {
  const lat = res.groups.filter((g) => g.metrics.responseLatency!.mean !== null);
  const latency = await latencyBySizeSvg(
    lat.map((g) => {
      const s = g.metrics.responseLatency!;
      // bounds are inside the metric's range already; the clamp keeps a bar off negative times whatever the input
      return { hosts: g.hosts, defender: g.defender, attacker: attackerTitle(g.attacker), mean: s.mean!, lo: s.ciLow === null ? NaN : Math.max(0, s.ciLow), hi: s.ciHigh ?? NaN };
    }),
    { title: 'Response latency by network size (restricted mean over seeds, 95 % bootstrap interval)', yTitle: 'Response latency (s, simulated)' },
  );
  const f1 = await f1BySizeSvg(
    res.groups.filter((g) => g.metrics.f1!.mean !== null).map((g) => ({ hosts: g.hosts, defender: g.defender, attacker: attackerTitle(g.attacker), f1: g.metrics.f1!.mean! })),
    { title: 'Detection F1 by network size (mean over seeds)' },
  );
  let curves: string | null = null;
  const scalars: Figures['scalars'] = [];
  if (res.training.length) {
    const pts: LearningCurvePoint[] = res.training.flatMap((t) =>
      t.curve.flatMap((p) =>
        ([['success rate', p.successRate], ['mean attacker reward', p.meanReward]] as const).map(([metric, o]) => ({
          panel: t.attacker, series: `${t.hosts} (${t.scenario})`, metric, episodes: p.episodes, mean: o.mean ?? NaN, lo: o.ciLow ?? NaN, hi: o.ciHigh ?? NaN,
        })),
      ),
    );
    curves = await learningCurvesSvg(pts, { title: 'Frozen learning curves (mean over seeds, 95 % bootstrap interval)' });
    for (const kind of [...new Set(res.training.map((t) => t.attacker))]) {
      const per = jobScalars(dir, res, kind);
      if (!per.length) continue;
      const points = per.flatMap(({ scenario, scalars: sc }) => downsampleScalars(sc, 150).map((p) => ({ ...p, series: scenario })));
      scalars.push({ kind, svg: await trainingCurvesSvg(points, { title: `Training scalars of ${attackerTitle(kind)} (bin means over seeds)`, seriesTitle: 'Scenario' }) });
    }
  }
  return { latency, f1, curves, scalars };
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

export function htmlReport(res: Results, manifest: RunManifest, figs: Figures): string {
  const claims = `<ol>${res.claims.map((c) => `<li><strong>${escapeHtml(c.verdict)}</strong>: ${escapeHtml(c.claim)}. <span class="detail">${escapeHtml(c.detail)}.</span></li>`).join('')}</ol>`;
  const warn = warnings(res).map((w) => `<p><strong>${escapeHtml(w)}</strong></p>`).join('');
  const sections: ReportSection[] = [{ heading: 'How to read this', html: `${warn}<p>${escapeHtml(HOW_TO_READ)}</p>` }, { heading: 'Verdicts', html: claims }];
  for (const s of tableSections(res)) {
    sections.push({ heading: s.heading, tables: s.tables, ...(s.note !== undefined ? { note: s.note } : {}) });
    if (s.figure === 'latency') sections.push({ heading: 'Figure: response latency', svg: figs.latency });
    if (s.figure === 'f1') sections.push({ heading: 'Figure: detection F1', svg: figs.f1 });
    if (s.figure === 'training' && figs.curves) sections.push({ heading: 'Figure: frozen learning curves', svg: figs.curves, note: 'Each point: the agents of every seed frozen after that many training episodes and played against the training defence.' });
    if (s.figure === 'training') for (const f of figs.scalars) sections.push({ heading: `Figure: training scalars, ${attackerTitle(f.kind)}`, svg: f.svg, note: "From the jobs' scalars.jsonl: x is the learner's own step count for each name (gradient steps for losses, episodes for returns); points are bin means over the seeds." });
  }
  const probs = problems(res).map((p) => `<li>${escapeHtml(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`);
  sections.push({ heading: 'Failed and missing cells', html: probs.length ? `<ul>${probs.join('')}</ul>` : '<p>none</p>' });
  sections.push({ heading: 'Metric definitions', html: `<p>See <code>${escapeHtml(METRIC_DEFINITIONS_SOURCE)}</code>.</p>` });
  return buildReportHtml({
    title: `cyrange: ${res.experiment}${res.profile ? ` (${res.profile})` : ''}`,
    subtitle: 'Response latency and detection of ML, rule-based and static defences by network size',
    meta: runMeta(manifest, budgetText(res.budget, res)),
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
  if (figs.curves) put('training.svg', figs.curves);
  put('report.html', htmlReport(res, manifest, figs));
  return { kind: 'experiment', results: res, files };
}
