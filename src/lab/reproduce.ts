/**
 * `cyrange reproduce`: runs experiments/response-times.json (profile quick or full) and prints our table
 * beside the reference paper's figures (Agrawal et al., Sci. Rep. 16:11673, 2026), then one line per
 * claim saying whether this run supports it. We reproduce the shape, not the digits: nothing is tuned per
 * size or toward the paper's numbers, and times are simulated seconds of the range.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentSpec } from './spec.js';
import type { BackendChoice } from '../nn/runtime.js';
import { runExperiment, type ProgressEvent, type RunSummary } from './runner.js';
import { ALL_ATTACKERS, computeResults } from './results.js';
import { formatSummary } from './report-tables.js';
import { REFERENCE } from './paper.js';
import { renderMarkdown, type Table } from './table.js';
import type { Results } from './run-format.js';

/** The package's experiments/response-times.json (same relative place from src/ and dist/). */
export function reproduceSpecPath(): string {
  return fileURLToPath(new URL('../../experiments/response-times.json', import.meta.url));
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * Default run directory: runs/reproduce-quick or runs/reproduce-full under `cwd`. When it holds an
 * earlier run and we are not resuming, a fresh timestamped sibling is used instead of failing.
 */
export function defaultReproduceDir(quick: boolean, resume: boolean, cwd = process.cwd(), now = new Date()): string {
  const base = join(cwd, 'runs', quick ? 'reproduce-quick' : 'reproduce-full');
  if (resume || !existsSync(base) || readdirSync(base).length === 0) return base;
  let dir = `${base}-${stamp(now)}`;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${stamp(now)}-${k}`;
  return dir;
}

export interface ReproduceOptions {
  quick?: boolean;
  out?: string;
  workers?: number;
  resume?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Plugin modules to import first (resolved with `resolvePlugins`); workers import them too. */
  plugins?: readonly string[];
  /** tfjs backend of the worker threads (see RunOptions.tfBackend). */
  tfBackend?: BackendChoice;
}

export async function reproduce(opts: ReproduceOptions = {}): Promise<{ summary: RunSummary; results: Results | null; text: string }> {
  const quick = opts.quick ?? false;
  const out = opts.out ? resolve(opts.out) : defaultReproduceDir(quick, opts.resume ?? false);
  const loaded = await loadExperimentSpec(reproduceSpecPath(), { plugins: opts.plugins ?? [] });
  const summary = await runExperiment(loaded, {
    out,
    profile: quick ? 'quick' : 'full',
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.resume ? { resume: true } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.tfBackend ? { tfBackend: opts.tfBackend } : {}),
  });
  if (summary.interrupted) return { summary, results: null, text: `interrupted; continue with: cyrange reproduce${quick ? ' --quick' : ''} --out ${out} --resume\n` };
  const results = computeResults(out);
  return { summary, results, text: reproduceText(results, out) };
}

function mdTable(header: string[], rows: string[][]): string {
  const t: Table = { columns: header.map((label) => ({ label })), rows };
  return renderMarkdown(t);
}

/** Our numbers (all attackers pooled) beside the paper's, then the claims. */
export function reproduceText(res: Results, dir: string): string {
  const label = res.attackers.length > 1 ? ALL_ATTACKERS : res.attackers[0]!;
  const cell = (scenario: string, d: string, k: 'responseLatency' | 'f1'): string => {
    const g = res.groups.find((x) => x.attacker === label && x.scenario === scenario && x.defender === d);
    return g ? formatSummary(g, k, k === 'f1' ? 100 : 1, 1) : 'not run';
  };
  const ml = res.defenders.filter((d) => d === 'rf' || d === 'autoencoder' || d === 'ensemble');
  const ref = (m: Record<number, number>, hosts: number): string => (m[hosts] !== undefined ? m[hosts]!.toFixed(1) : '-');
  const latRows = res.sizes.map(({ scenario, hosts }) => [
    String(hosts),
    ...ml.map((d) => cell(scenario, d, 'responseLatency')),
    ref(REFERENCE.aiMasLatency, hosts),
    ...(res.defenders.includes('rule-mas') ? [cell(scenario, 'rule-mas', 'responseLatency')] : []),
    REFERENCE.ruleMasLatency,
    ...(res.defenders.includes('static-range') ? [cell(scenario, 'static-range', 'responseLatency')] : []),
    REFERENCE.staticLatency,
  ]);
  const latHeader = ['Hosts', ...ml, 'paper AI-MAS', ...(res.defenders.includes('rule-mas') ? ['rule-mas'] : []), 'paper rule MAS', ...(res.defenders.includes('static-range') ? ['static-range'] : []), 'paper static'];
  const f1Rows = res.sizes.map(({ scenario, hosts }) => [
    String(hosts),
    ...ml.map((d) => cell(scenario, d, 'f1')),
    ref(REFERENCE.aiMasF1, hosts),
    ...(res.defenders.includes('rule-mas') ? [cell(scenario, 'rule-mas', 'f1')] : []),
    REFERENCE.ruleMasF1,
  ]);
  const f1Header = ['Hosts', ...ml, 'paper AI-MAS', ...(res.defenders.includes('rule-mas') ? ['rule-mas'] : []), 'paper rule MAS'];
  const lines: string[] = [];
  lines.push(`${res.experiment}, profile ${res.profile ?? 'none'}: seeds ${res.seeds.join(', ')}, attackers ${res.attackers.join(', ')} pooled; mean ± 95 % CI (n = episodes).`);
  lines.push(`Ours: simulated seconds of the range; paper (${REFERENCE.citation}): seconds on their testbed. Compare shapes, not digits.`);
  lines.push('');
  lines.push('Response latency (s)');
  lines.push(mdTable(latHeader, latRows));
  lines.push('');
  lines.push('Detection F1 (%)');
  lines.push(mdTable(f1Header, f1Rows));
  lines.push('');
  lines.push('Claims:');
  for (const c of res.claims) lines.push(`(${c.id}) ${c.verdict.toUpperCase()}: ${c.claim}. ${c.detail}.`);
  if (res.failedCells.length || res.missingCells.length) lines.push(`Incomplete: ${res.failedCells.length} failed, ${res.missingCells.length} missing cells (listed in ${join(dir, 'table.md')}).`);
  lines.push('');
  lines.push(`Full report: ${join(dir, 'report.html')} (tables per attacker: ${join(dir, 'table.md')})`);
  return `${lines.join('\n')}\n`;
}
