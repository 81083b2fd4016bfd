/** `cyrange run | report | reproduce`: experiment grids on worker threads, reports, the paper's table. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { loadExperimentSpec } from '../lab/spec.js';
import { progressPrinter, runExperiment, type RunSummary } from '../lab/runner.js';
import { writeReport } from '../lab/report.js';
import { reproduce } from '../lab/reproduce.js';
import { resolvePlugins } from '../shared/plugins.js';
import { guard, intFlag } from './common.js';

interface RunOpts { out: string; profile?: string; workers?: number; resume?: boolean; force?: boolean; plugin: string[] }
interface ReproduceOpts { quick?: boolean; out?: string; workers?: number; resume?: boolean; plugin: string[] }

const PLUGIN_HELP = 'ES module that registers attacker or defence kinds when imported (repeatable; worker threads import it too)';
const collect = (v: string, acc: string[]): string[] => [...acc, v];
/** --plugin values resolved against the working directory (a missing file is a one-line error). */
const pluginFlags = (values: string[]): string => values.map((p) => ` --plugin ${p}`).join('');
const flagPlugins = (values: string[]): string[] => resolvePlugins(values, process.cwd(), '--plugin');

/**
 * An AbortSignal fired by the first Ctrl-C (the runner drops the cells in flight, writes its manifest
 * and returns); a second Ctrl-C exits at once. Finished cells are on disk either way.
 */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const onInt = (): void => {
    if (ctl.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupt: stopping (cells in flight are dropped; finished cells are kept; continue with --resume)\n');
    ctl.abort();
  };
  process.on('SIGINT', onInt);
  return { signal: ctl.signal, dispose: () => process.off('SIGINT', onInt) };
}

function finish(summary: RunSummary, resumeHint: string): void {
  if (summary.interrupted) {
    process.stderr.write(`interrupted: ${summary.done}/${summary.total} cells kept in ${summary.dir}; continue with: ${resumeHint}\n`);
    process.exitCode = 130;
  } else if (summary.failed > 0) {
    process.exitCode = 1;
  }
}

export function registerLab(program: Command): void {
  program
    .command('run')
    .description('run an experiment spec (a grid of scenario x attacker x defender x seed) on worker threads, then write its report')
    .argument('<spec>', 'experiment spec JSON (e.g. experiments/response-times.json)')
    .requiredOption('--out <dir>', 'run directory (manifest.json, cells.jsonl, report files)')
    .option('--profile <name>', 'named profile of the spec (e.g. quick, full)')
    .option('--workers <n>', 'worker threads (default: one per core)', intFlag('--workers', 1, 256))
    .option('--resume', 'continue an interrupted run of the same spec in --out')
    .option('--force', 'write into a non-empty --out (replaces only cyrange\'s own files)')
    .option('--plugin <module>', PLUGIN_HELP, collect, [])
    .action(
      guard(async (specFile: string, o: RunOpts) => {
        const loaded = await loadExperimentSpec(specFile, { plugins: flagPlugins(o.plugin) });
        const { signal, dispose } = interruptSignal();
        try {
          const summary = await runExperiment(loaded, {
            out: o.out,
            profile: o.profile ?? null,
            ...(o.workers !== undefined ? { workers: o.workers } : {}),
            resume: o.resume ?? false,
            force: o.force ?? false,
            onProgress: progressPrinter(process.stderr),
            signal,
          });
          if (!summary.interrupted) process.stdout.write(`wrote ${join(summary.dir, 'report.html')}, table.md, table.csv, results.json, *.svg (${summary.done}/${summary.total} cells, ${summary.failed} failed)\n`);
          finish(summary, `cyrange run ${specFile} --out ${o.out}${o.profile ? ` --profile ${o.profile}` : ''}${pluginFlags(o.plugin)} --resume`);
        } finally {
          dispose();
        }
      }),
    );

  program
    .command('report')
    .description('(re)write the report of a run directory: table.md, table.csv, results.json, figures, report.html; for a `cyrange train` directory, report.html with its training curves and round records')
    .argument('<dir>', 'run directory written by `cyrange run`, `cyrange reproduce` or `cyrange train`')
    .action(
      guard(async (dir: string) => {
        const r = await writeReport(dir);
        if (r.kind === 'experiment') for (const c of r.results.claims) process.stdout.write(`(${c.id}) ${c.verdict}: ${c.claim}. ${c.detail}.\n`);
        else process.stdout.write(`training run: ${r.rounds} round records, ${r.scalars} scalars\n`);
        process.stdout.write(`wrote ${r.files.length} files in ${dir}\n`);
      }),
    );

  program
    .command('reproduce')
    .description('reproduce the reference paper\'s response-time table (experiments/response-times.json) and check its claims')
    .option('--quick', 'the quick profile (2 seeds, small budgets; about a minute or two on 2 cores)')
    .option('--out <dir>', 'run directory (default runs/reproduce-quick or runs/reproduce-full)')
    .option('--workers <n>', 'worker threads (default: one per core)', intFlag('--workers', 1, 256))
    .option('--resume', 'continue an interrupted reproduction in --out (or the default directory)')
    .option('--plugin <module>', PLUGIN_HELP, collect, [])
    .action(
      guard(async (o: ReproduceOpts) => {
        const { signal, dispose } = interruptSignal();
        try {
          const r = await reproduce({
            quick: o.quick ?? false,
            ...(o.out ? { out: o.out } : {}),
            ...(o.workers !== undefined ? { workers: o.workers } : {}),
            resume: o.resume ?? false,
            plugins: flagPlugins(o.plugin),
            onProgress: progressPrinter(process.stderr),
            signal,
          });
          process.stdout.write(r.text);
          finish(r.summary, `cyrange reproduce${o.quick ? ' --quick' : ''} --out ${r.summary.dir}${pluginFlags(o.plugin)} --resume`);
        } finally {
          dispose();
        }
      }),
    );
}
