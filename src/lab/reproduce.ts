/**
 * `cyrange reproduce`: runs experiments/response-times.json (profile quick or full) and prints, for each
 * attacker, our table beside the reference paper's per-size figures (Agrawal et al., Sci. Rep. 16:11673,
 * 2026), then one line per claim and attacker with its verdict, p and Holm p (claims.ts). We reproduce the shape, not the digits: nothing is tuned per
 * size or toward the paper's numbers, and times are simulated seconds of the range.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentSpec } from './spec.js';
import type { BackendChoice } from '../nn/runtime.js';
import { runExperiment, type ProgressEvent, type RunSummary } from './runner.js';
import { computeResults } from './results.js';
import { paperTable } from './report-tables.js';
import { fmtP } from './claims.js';
import { REFERENCE } from './paper.js';
import { renderMarkdown } from './table.js';
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

/** Ours beside the paper's figures, one table per attacker, then the verdicts. */
export function reproduceText(res: Results, dir: string): string {
  const lines: string[] = [];
  lines.push(`${res.experiment}, profile ${res.profile ?? 'none'}: seeds ${res.seeds.join(', ')}; each attacker separately; n = seeds.`);
  lines.push(`Ours: simulated seconds of the range, restricted means with 95 % bootstrap intervals over seeds; paper (${REFERENCE.citation}): seconds on their testbed. Compare shapes, not digits.`);
  if (res.seeds.length < 5) lines.push(`Only ${res.seeds.length} seed${res.seeds.length === 1 ? '' : 's'}: too few for verdicts; expect "inconclusive" (the full profile is the one that can decide).`);
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
