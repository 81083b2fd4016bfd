/** `cyrange attackers evaluate`: a thin layer over `evaluateAttacker` (src/train/evaluate.ts). */
import type { Command } from 'commander';
import { resolvePlugins } from '../shared/plugins.js';
import { attackerKinds, isLearningKind } from '../attackers/registry.js';
import { defenseKinds } from '../defenders/registry.js';
import { guard, intFlag } from './common.js';

/** --plugin, repeatable. */
export const collectPlugin = (v: string, prev: string[]): string[] => [...prev, v];

export const kindsHelp = (kinds: string[]): string => `${kinds.join(', ')}, or one a --plugin registers`;

export function fmt(x: number | null, digits = 2): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
}

interface EvalOpts { model?: string; attacker?: string; env: string; defender: string; detector?: string; episodes: number; seed: number; json?: boolean; plugin: string[] }

export function registerAttackers(program: Command): void {
  const att = program.command('attackers').description('evaluate trained and baseline attackers');
  att
    .command('evaluate')
    .description('evaluate an attacker frozen against a defence: a trained one (--model) or a baseline kind (--attacker)')
    .option('--model <dir>', 'agent directory (agent.json) or train run directory')
    .option('--attacker <kind>', `baseline attacker kind (${kindsHelp(attackerKinds().filter((k) => !isLearningKind(k)))})`)
    .requiredOption('--env <name>', 'scenario preset or file')
    .requiredOption('--defender <kind>', `defender kind (${kindsHelp(defenseKinds())})`)
    .option('--detector <dir>', 'detector model directory for ML defenders (default: the run\'s checkpoint, else trained now)')
    .option('--episodes <n>', 'episodes', intFlag('--episodes', 1, 100000), 10)
    .option('--seed <s>', 'seed of the evaluation episodes', intFlag('--seed', 0, 2 ** 32 - 1), 777)
    .option('--plugin <module>', 'a module that registers attacker or defence kinds (repeatable; paths are relative to the working directory)', collectPlugin, [])
    .option('--json', 'print one JSON object')
    .action(guard(evaluateCommand));
}

async function evaluateCommand(o: EvalOpts): Promise<void> {
  const { evaluateAttacker } = await import('../train/evaluate.js');
  const r = await evaluateAttacker({
    env: o.env, defender: o.defender, episodes: o.episodes, seed: o.seed,
    ...(o.model !== undefined ? { model: o.model } : {}), ...(o.attacker !== undefined ? { attacker: o.attacker } : {}), ...(o.detector !== undefined ? { detector: o.detector } : {}),
    plugins: resolvePlugins(o.plugin, process.cwd(), '--plugin'),
    sources: { attacker: '--attacker', model: '--model', defender: '--defender', detector: '--detector' },
  });
  const { perEpisode: _perEpisode, ...summary } = r;
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');
    process.stdout.write(`${r.kind} vs ${o.defender} on ${o.env}, ${o.episodes} episodes (mean ${fmt(r.episodeSeconds, 1)} s): success rate ${pct(r.successRate)}, mean time to objective ${fmt(r.meanTimeToObjective, 1)} s, mean reward ${fmt(r.meanReward, 3)}, detection F1 ${pct(r.detectionF1)}, defender return ${fmt(r.defenderReturn, 1)} (healthy-host cost ${fmt(r.healthyHostCost, 1)}), re-entries ${fmt(r.reentries, 2)} per episode, response latency (KM median) ${fmt(r.responseLatency, 1)} s, quiet opening ${pct(r.quietOpeningShare)}, actions in the quiet tempo ${pct(r.quietTempoShare)}\n`);
  }
}
