/** `cyrange run | report | reproduce`: experiment grids on worker threads, reports, the paper's table. */
import { InvalidArgumentError, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadExperimentSpec } from '../lab/spec.js';
import { progressPrinter, runExperiment, type RunSummary } from '../lab/runner.js';
import { writeReport } from '../lab/report.js';
import { reproduce, type ProtocolChoice } from '../lab/reproduce.js';
import { PROTOCOL_HELP, PROTOCOL_SPECS, PROTOCOLS } from '../lab/protocols.js';
import { resolvePlugins } from '../shared/plugins.js';
import { guard, intFlag, warnWorkers } from './common.js';

interface RunOpts { out: string; profile?: string; workers?: number; resume?: boolean; force?: boolean; plugin: string[] }
interface ReproduceOpts { quick?: boolean; protocol: ProtocolChoice; out?: string; workers?: number; resume?: boolean; plugin: string[] }

const CHOICES: readonly string[] = [...PROTOCOLS, 'both'];
function protocolFlag(v: string): ProtocolChoice {
  if (!CHOICES.includes(v)) throw new InvalidArgumentError(`--protocol must be one of ${CHOICES.join(', ')}, got "${v}"`);
  return v as ProtocolChoice;
}

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
    .option('--force', 'start over in --out when it holds a cyrange run (a directory without a cyrange run manifest is never touched)')
    .option('--plugin <module>', PLUGIN_HELP, collect, [])
    .action(
      guard(async (specFile: string, o: RunOpts) => {
        warnWorkers(o.workers ?? availableParallelism());
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
          if (!summary.interrupted) process.stdout.write(`wrote ${join(summary.dir, 'report.html')}, table.md, table.csv, results.json, *.svg (${summary.done}/${summary.total} cells, ${summary.failed} failed; jobs: ${summary.jobs.ran} run, ${summary.jobs.reused} reused, ${summary.jobs.failed} failed)\n`);
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
    .description(
      "reproduce the reference paper's tables (Tables 5, 6, 9, 10, 11) and check its claims: learning attackers trained once per scenario, kind and seed, " +
        'then evaluated frozen against every defence on the same episodes; oracle, flag-all and no defence as sanity rows',
    )
    .option('--quick', 'the quick profile (2 seeds, small budgets, at most about 90 s on 2 cores): checks the pipeline; too small for verdicts')
    .option(
      '--protocol <design>',
      `unconfounded (default; ${PROTOCOL_SPECS.unconfounded}: ${PROTOCOL_HELP.unconfounded}), paper (${PROTOCOL_SPECS.paper}: ${PROTOCOL_HELP.paper}), or both (each in a subdirectory of --out, then whether latency rises with size under one design and not the other). The default is unconfounded because only there a change with size can be read as the size effect`,
      protocolFlag,
      'unconfounded',
    )
    .option('--out <dir>', 'run directory (default runs/reproduce-quick, runs/reproduce-full, runs/reproduce-paper-..., runs/reproduce-both-...)')
    .option('--workers <n>', 'worker threads (default: one per core)', intFlag('--workers', 1, 256))
    .option('--resume', 'continue an interrupted reproduction in --out (or the default directory); finished training jobs and cells are reused')
    .option('--plugin <module>', PLUGIN_HELP, collect, [])
    .action(
      guard(async (o: ReproduceOpts) => {
        warnWorkers(o.workers ?? availableParallelism());
        const { signal, dispose } = interruptSignal();
        try {
          const r = await reproduce({
            quick: o.quick ?? false,
            protocol: o.protocol,
            ...(o.out ? { out: o.out } : {}),
            ...(o.workers !== undefined ? { workers: o.workers } : {}),
            resume: o.resume ?? false,
            plugins: flagPlugins(o.plugin),
            onProgress: progressPrinter(process.stderr),
            signal,
          });
          process.stdout.write(r.text);
          const last = r.runs[r.runs.length - 1]!;
          const dir = o.protocol === 'both' ? join(last.summary.dir, '..') : last.summary.dir;
          finish(r.runs.some((x) => x.summary.failed > 0) ? { ...last.summary, failed: 1 } : last.summary, `cyrange reproduce${o.quick ? ' --quick' : ''}${o.protocol === 'unconfounded' ? '' : ` --protocol ${o.protocol}`} --out ${dir}${pluginFlags(o.plugin)} --resume`);
        } finally {
          dispose();
        }
      }),
    );
}
