/**
 * `cyrange reproduce`: runs the reference reproduction (profile quick or full) under one design or both
 * (protocols.ts; default unconfounded, because only there a change with size is the size effect) and
 * prints, per design: the sanity line per size (the oracle must beat flag-all and no defence on defender
 * return, else the instrument is broken), for each attacker our Table 10 beside the reference paper's
 * per-size figures (Agrawal et al., Sci. Rep. 16:11673, 2026), then one line per claim with its verdict,
 * p and Holm p (claims.ts). With both designs, the trend of latency with size under each, side by side.
 * We reproduce the shape, not the digits: nothing is tuned per size or toward the paper's numbers, and
 * times are simulated seconds of the range.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadExperimentSpec } from './spec.js';
import type { BackendChoice } from '../nn/runtime.js';
import { runExperiment, type ProgressEvent, type RunSummary } from './runner.js';
import { computeResults } from './results.js';
import { paperTable } from './paper-tables.js';
import { fmtP } from './claims.js';
import { REFERENCE } from './paper.js';
import { renderMarkdown } from './table.js';
import { warnings } from './report.js';
import { buildReportHtml } from './report-html.js';
import { compareProtocols, PROTOCOLS, protocolComparisonSchema, protocolSpecPath, protocolTable, type Protocol, type ProtocolComparison } from './protocols.js';
import { stableJson, writeTextAtomic, type Results } from './run-format.js';

/** The package's experiments/response-times.json (the unconfounded design). */
export function reproduceSpecPath(): string {
  return protocolSpecPath('unconfounded');
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export type ProtocolChoice = Protocol | 'both';

/**
 * Default run directory under `cwd`: runs/reproduce-quick or runs/reproduce-full for the unconfounded
 * design, runs/reproduce-paper-quick (-full) for the paper's, runs/reproduce-both-quick (-full) for both
 * (one subdirectory per design). When it holds an earlier run and we are not resuming, a fresh
 * timestamped sibling is used instead of failing.
 */
export function defaultReproduceDir(quick: boolean, resume: boolean, cwd = process.cwd(), now = new Date(), protocol: ProtocolChoice = 'unconfounded'): string {
  const base = join(cwd, 'runs', `reproduce-${protocol === 'unconfounded' ? '' : `${protocol}-`}${quick ? 'quick' : 'full'}`);
  if (resume || !existsSync(base) || readdirSync(base).length === 0) return base;
  let dir = `${base}-${stamp(now)}`;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${stamp(now)}-${k}`;
  return dir;
}

export interface ReproduceOptions {
  quick?: boolean;
  /** Which design (default unconfounded); `both` runs each in its own subdirectory of `out` and compares them. */
  protocol?: ProtocolChoice;
  out?: string;
  workers?: number;
  resume?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Plugin modules to import first (resolved with `resolvePlugins`); workers import them too. */
  plugins?: readonly string[];
  /** tfjs backend of the worker threads (see RunOptions.tfBackend). */
  tfBackend?: BackendChoice;
  /** Flow-data directory for Table 6 (default: $CYRANGE_SHARED_DATASETS, else <package>/../shared/datasets). */
  flowDataDir?: string;
}

export interface ReproduceRun {
  protocol: Protocol;
  summary: RunSummary;
  /** Null when the run was interrupted. */
  results: Results | null;
}

export interface ReproduceResult {
  runs: ReproduceRun[];
  /** With both designs measured: the trend of latency with size under each (also written as protocols.json/.md/.html in `out`). */
  comparison: ProtocolComparison | null;
  interrupted: boolean;
  /** What the CLI prints. */
  text: string;
}

export const PROTOCOL_FILES = ['protocols.json', 'protocols.md', 'protocols.html'] as const;

export async function reproduce(opts: ReproduceOptions = {}): Promise<ReproduceResult> {
  const quick = opts.quick ?? false;
  const choice = opts.protocol ?? 'unconfounded';
  const out = opts.out ? resolve(opts.out) : defaultReproduceDir(quick, opts.resume ?? false, process.cwd(), new Date(), choice);
  const protocols: Protocol[] = choice === 'both' ? [...PROTOCOLS] : [choice];
  const runs: ReproduceRun[] = [];
  const text: string[] = [];
  for (const protocol of protocols) {
    const dir = choice === 'both' ? join(out, protocol) : out;
    if (choice === 'both') mkdirSync(out, { recursive: true });
    const loaded = await loadExperimentSpec(protocolSpecPath(protocol), { plugins: opts.plugins ?? [] });
    const summary = await runExperiment(loaded, {
      out: dir,
      profile: quick ? 'quick' : 'full',
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.resume ? { resume: true } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.tfBackend ? { tfBackend: opts.tfBackend } : {}),
      ...(opts.flowDataDir ? { flowDataDir: opts.flowDataDir } : {}),
    });
    if (summary.interrupted) {
      // what to type to continue is the caller's to say (the CLI prints it once, with its own flags)
      runs.push({ protocol, summary, results: null });
      return { runs, comparison: null, interrupted: true, text: text.length ? `${text.join('\n')}\n` : '' };
    }
    const results = computeResults(dir);
    runs.push({ protocol, summary, results });
    text.push(reproduceText(results, dir, protocol));
  }
  let comparison: ProtocolComparison | null = null;
  if (choice === 'both') {
    comparison = compareProtocols(runs[0]!.results!, runs[1]!.results!);
    writeComparison(out, comparison);
    text.push(`Both designs: ${comparison.summary}`, renderMarkdown(protocolTable(comparison)), '', `Comparison: ${join(out, 'protocols.html')}`, '');
  }
  return { runs, comparison, interrupted: false, text: `${text.join('\n')}\n` };
}

function writeComparison(out: string, c: ProtocolComparison): void {
  const t = protocolTable(protocolComparisonSchema.parse(c));
  writeTextAtomic(join(out, 'protocols.json'), stableJson(c));
  writeTextAtomic(join(out, 'protocols.md'), `# ${t.title}\n\n${renderMarkdown(t)}\n\n${c.summary}\n\nRuns: unconfounded/report.html, paper/report.html.\n`);
  writeTextAtomic(
    join(out, 'protocols.html'),
    buildReportHtml({ title: 'cyrange reproduce: both designs', subtitle: 'Does latency rise with size under one design and not the other?', meta: { unconfounded: 'unconfounded/report.html', paper: 'paper/report.html' }, sections: [{ heading: 'Trend of response latency with size, per design', tables: [t] }] }),
  );
}

/** The sanity verdict per size, one line each. */
export function sanityLines(res: Results): string[] {
  const s = res.sanity;
  if (s.verdict === 'not run') return [`Sanity not checked: ${s.detail}.`];
  return res.sizes.map(({ scenario, hosts }) => {
    const cs = s.checks.filter((c) => c.scenario === scenario);
    const bad = cs.filter((c) => c.testable && !c.pass);
    const parts = [...new Set(cs.map((c) => c.versus))].map((v) => {
      const vs = cs.filter((c) => c.versus === v);
      return `${v} (${vs.map((c) => `${c.attacker} ${c.meanDiff === null ? 'n/a' : `${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(0)}`}, ${c.wins}/${c.n} seeds${c.testable ? '' : ', untestable'}`).join('; ')})`;
    });
    const untestable = cs.filter((c) => !c.testable).map((c) => c.attacker);
    const note = untestable.length ? ` (vs none untestable for ${untestable.join(', ')}: never reached its objective without defence, so nothing to defend)` : '';
    return bad.length
      ? `Sanity at ${hosts} hosts (${scenario}): BROKEN: the oracle does not beat ${[...new Set(bad.map((c) => c.versus))].join(' and ')} on defender return: the instrument is broken and no comparison in this run can be trusted. Oracle minus: ${parts.join(', ')}${note}.`
      : `Sanity at ${hosts} hosts (${scenario}): ok: the oracle beats ${parts.join(' and ')} on defender return (mean paired difference)${note}.`;
  });
}

/** Ours beside the paper's figures, one table per attacker, then the verdicts. */
export function reproduceText(res: Results, dir: string, protocol: Protocol | null = null): string {
  const lines: string[] = [];
  lines.push(`${res.experiment}${protocol ? ` (design: ${protocol})` : ''}, profile ${res.profile ?? 'none'}: seeds ${res.seeds.join(', ')}; each attacker separately; n = seeds.`);
  if (res.profile === 'quick') lines.push('QUICK PROFILE: its training and evaluation budgets are too small for verdicts; it shows that the whole pipeline runs. Use the full profile (`cyrange reproduce`) for verdicts.');
  lines.push(`Ours: simulated seconds of the range, restricted means with 95 % bootstrap intervals over seeds; paper (${REFERENCE.citation}): seconds on their testbed. Compare shapes, not digits.`);
  lines.push(...sanityLines(res));
  for (const w of warnings(res)) if (!w.startsWith('Sanity') && !w.startsWith('INSTRUMENT')) lines.push(w);
  for (const t of res.training) {
    const last = t.curve[t.curve.length - 1];
    lines.push(`Training ${t.attacker} on ${t.scenario}: ${t.episodes} episodes against ${t.against}, gradient steps min ${t.gradientSteps.min} (mean ${Math.round(t.gradientSteps.mean)}), frozen success ${last?.successRate.mean === null || !last ? 'n/a' : `${Math.round(100 * last.successRate.mean)} %`} (n=${t.n}); evaluated ${t.evalMode}.`);
  }
  for (const a of res.attackers) {
    const t = paperTable(res, a);
    lines.push('', t.title!, renderMarkdown(t));
  }
  lines.push('', `Verdicts (Holm over the ${res.family.size} testable of ${res.comparisons.length + res.trends.length} tests; alpha ${res.family.alpha}):`);
  for (const c of res.claims) lines.push(`(${c.id}) ${c.verdict.toUpperCase()}: ${c.claim}. p ${fmtP(c.p)}, Holm ${fmtP(c.pHolm)}. ${c.detail}.`);
  if (res.failedCells.length || res.missingCells.length) lines.push(`Incomplete: ${res.failedCells.length} failed, ${res.missingCells.length} missing cells (listed in ${join(dir, 'table.md')}).`);
  lines.push('');
  lines.push(`Full report: ${join(dir, 'report.html')} (every table: ${join(dir, 'table.md')}; every cell's values: ${join(dir, 'units.csv')})`);
  return `${lines.join('\n')}\n`;
}
