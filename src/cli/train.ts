/**
 * `cyrange train`: co-training with a checkpoint after every round, exact --resume, Ctrl-C safe. A thin
 * layer over `train` (src/train/run.ts), which documents the run directory.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { resolvePlugins } from '../shared/plugins.js';
import { attackerKinds } from '../attackers/registry.js';
import { defenseKinds } from '../defenders/registry.js';
import type { RoundRecord } from '../train/cotrain.js';
import type { TrainOptions } from '../train/run.js';
import { guard, intFlag, warnWorkers } from './common.js';
import { collectPlugin, fmt, kindsHelp, registerAttackers } from './attackers.js';

/** Commander's options: the train() settings, with --plugin as given. */
type TrainOpts = Pick<TrainOptions, 'env' | 'attacker' | 'defender' | 'rounds' | 'episodes' | 'evalEpisodes' | 'detectorEpisodes' | 'demoEpisodes' | 'seed' | 'hyperparameters' | 'out' | 'resume' | 'force'> & { workers: number; plugin: string[] };

/** --hyperparameters: a JSON object; its keys are checked against the attacker kind's defaults later. */
function hyperparametersFlag(v: string): Record<string, unknown> {
  let x: unknown;
  try {
    x = JSON.parse(v);
  } catch (e) {
    throw new InvalidArgumentError(`--hyperparameters: not valid JSON (${(e as Error).message})`);
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new InvalidArgumentError('--hyperparameters: expected a JSON object such as \'{"learningRate":5e-4}\'');
  return x as Record<string, unknown>;
}

function roundLine(rec: RoundRecord, rounds: number): string {
  return `round ${rec.round + 1}/${rounds}: success ${fmt(rec.attackerSuccess)}, time to objective ${fmt(rec.timeToObjective, 1)} s, F1 ${fmt(rec.detectionF1)}, defender return ${fmt(rec.defenderReturn, 1)}, re-entries ${fmt(rec.reentries, 2)}, response latency (KM median) ${fmt(rec.responseLatency, 1)} s, compromise ${fmt(rec.compromiseRate, 3)}, chain ${fmt(rec.chainLength, 1)}, quiet opening ${fmt(rec.quietOpeningShare)}, quiet tempo ${fmt(rec.quietTempoShare)}, quiet actions ${fmt(rec.quietActionShare)}, ${rec.gradientSteps} gradient steps, ${Math.round(rec.stepsPerSecond)} env steps/s, ${Math.round(rec.gradientStepsPerSecond)} gradient steps/s`;
}

/** `cyrange train`, and `cyrange attackers` beside it. */
export function registerTrain(program: Command): void {
  registerAttackers(program);
  program
    .command('train')
    .description('adaptive co-training of an attacker against a defence, with a checkpoint after every round')
    .requiredOption('--env <name>', 'scenario preset or file')
    .requiredOption('--attacker <kind>', `attacker kind (${kindsHelp(attackerKinds())})`)
    .requiredOption('--defender <kind>', `defender kind (${kindsHelp(defenseKinds())})`)
    .option('--rounds <r>', 'co-training rounds', intFlag('--rounds', 1, 100000), 5)
    .option('--episodes <e>', 'attacker training episodes per round', intFlag('--episodes', 1, 100000), 10)
    .option('--eval-episodes <n>', 'frozen evaluation episodes per round', intFlag('--eval-episodes', 1, 10000), 5)
    .option('--detector-episodes <n>', 'telemetry episodes for the initial ML detector', intFlag('--detector-episodes', 1, 10000), 6)
    .option('--demo-episodes <n>', 'scripted episodes for the learning attacker\'s warm start (0 = none)', intFlag('--demo-episodes', 0, 10000), 6)
    .requiredOption('--out <dir>', 'run directory (run.json, rounds.jsonl, scalars.jsonl, checkpoint/)')
    .option('--seed <s>', 'seed', intFlag('--seed', 0, 2 ** 32 - 1), 1)
    .option('--hyperparameters <json>', 'learning-attacker hyperparameter overrides, a JSON object (e.g. \'{"evalSample":true}\')', hyperparametersFlag)
    .option('--workers <n>', 'worker threads for training episodes and random-forest fitting (1 = train online in this thread)', intFlag('--workers', 1, 256), 2)
    .option('--plugin <module>', 'a module that registers attacker or defence kinds (repeatable; paths are relative to the working directory)', collectPlugin, [])
    .option('--resume', 'continue from the last checkpoint in --out')
    .option('--force', 'start over in a non-empty --out (replaces its cyrange files)')
    .action(guard(trainCommand));
}

async function trainCommand(o: TrainOpts): Promise<void> {
  const { train } = await import('../train/run.js');
  warnWorkers(o.workers);
  const plugins = resolvePlugins(o.plugin, process.cwd(), '--plugin');
  const stop = new AbortController();
  const onSigint = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    process.stderr.write('\ncyrange: interrupted; finishing the current episode and keeping the last complete round (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  const tty = process.stdout.isTTY;
  const t0 = performance.now();
  let lastTick = t0;
  try {
    const r = await train({
      env: o.env, attacker: o.attacker, defender: o.defender, rounds: o.rounds, episodes: o.episodes, evalEpisodes: o.evalEpisodes,
      detectorEpisodes: o.detectorEpisodes, demoEpisodes: o.demoEpisodes, seed: o.seed, out: o.out, workers: o.workers, plugins,
      ...(o.hyperparameters ? { hyperparameters: o.hyperparameters } : {}),
      resume: o.resume ?? false, force: o.force ?? false, signal: stop.signal,
      sources: { attacker: '--attacker', defender: '--defender', hyperparameters: '--hyperparameters' },
      onStart: ({ scenario, startRound }) => {
        process.stdout.write(`training ${o.attacker} vs ${o.defender} on ${scenario.name} (${scenario.hosts.length} hosts): rounds ${startRound + 1}..${o.rounds}, ${o.episodes} episodes each, seed ${o.seed}\n`);
      },
      onEpisode: (e) => {
        if (!tty) return;
        const width = 24;
        const done = Math.round((width * e.episode) / e.of);
        const rate = Math.round((e.steps * 1000) / Math.max(1, performance.now() - lastTick));
        lastTick = performance.now();
        process.stdout.write(`\r\x1b[Kround ${e.round + 1}/${o.rounds} ${e.phase} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${e.episode}/${e.of} episodes, ${rate} steps/s`);
      },
      onRound: (rec, ck) => {
        const line = `${roundLine(rec, o.rounds)}; checkpoint ${(ck.bytes / 1e6).toFixed(1)} MB in ${ck.seconds.toFixed(2)} s`;
        process.stdout.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
      },
    });
    if (r.startRound >= o.rounds) {
      process.stdout.write(`${o.out}: all ${o.rounds} rounds are done\n`);
      return;
    }
    const done = r.rounds.length ? r.rounds[r.rounds.length - 1]!.round + 1 : r.startRound;
    process.stdout.write(`${r.stopped ? 'stopped' : 'finished'} after round ${done} of ${o.rounds} in ${((performance.now() - t0) / 1000).toFixed(1)} s; checkpoint in ${r.checkpoint}${r.stopped ? ' (continue with --resume)' : ''}\n`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
