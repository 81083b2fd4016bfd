/**
 * The training of the learning attackers of a run, summarised per (scenario, kind) over seeds: episodes,
 * gradient steps, and the frozen learning curve (success rate, mean attacker reward, time to objective
 * at each checkpoint, a mean over seeds with a bootstrap interval): the reference paper's Table 5,
 * measured the same way (frozen evaluation at fixed training-episode counts). Read from the cells'
 * training records (each job counted once, however many cells evaluated its agent) and, for the
 * evaluation mode, from the saved agents' hyperparameters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashString } from '../shared/prng.js';
import { mean } from '../shared/stats.js';
import { bootstrapInterval } from '../shared/bootstrap.js';
import { AGENT_MANIFEST } from '../attackers/formats.js';
import { JOBS_DIR } from './jobs.js';
import type { OkCellRecord, OverSeeds, TrainingSummary } from './run-format.js';

const RESAMPLES = 4000;
const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Mean over seeds with a 95 % BCa bootstrap interval inside `range`. */
export function overSeeds(values: readonly (number | null)[], label: string, range: [number, number]): OverSeeds {
  const data = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (data.length === 0) return { mean: null, ciLow: null, ciHigh: null, n: 0 };
  const b = bootstrapInterval(data, { seed: hashString(label), resamples: RESAMPLES, range });
  return { mean: fin(b.estimate), ciLow: fin(b.low), ciHigh: fin(b.high), n: data.length };
}

/**
 * How a saved agent acts when frozen, from its hyperparameters: DQN is epsilon-greedy with `evalEpsilon`,
 * policy gradient takes the argmax or samples (`evalSample`); other kinds say what their agent.json holds.
 */
export function evalModeOf(agentDir: string): string {
  const f = join(agentDir, AGENT_MANIFEST);
  if (!existsSync(f)) return 'unknown (no agent.json)';
  let hp: Record<string, unknown> = {};
  try {
    hp = ((JSON.parse(readFileSync(f, 'utf8')) as { hyperparameters?: Record<string, unknown> }).hyperparameters ?? {});
  } catch {
    return 'unknown (agent.json unreadable)';
  }
  if (typeof hp.evalSample === 'boolean') return hp.evalSample ? 'sampling from the policy' : 'greedy (argmax of the policy)';
  if (typeof hp.evalEpsilon === 'number') return hp.evalEpsilon > 0 ? `epsilon-greedy, epsilon ${hp.evalEpsilon}` : 'greedy (argmax of Q)';
  return 'as the kind acts in eval mode';
}

/** One summary per (scenario, learning kind) with a finished job, in the order given. */
export function summariseTraining(runDir: string, cells: readonly OkCellRecord[], sizes: readonly { scenario: string; hosts: number }[], attackers: readonly string[]): TrainingSummary[] {
  const out: TrainingSummary[] = [];
  for (const { scenario, hosts } of sizes)
    for (const attacker of attackers) {
      const byJob = new Map<string, NonNullable<OkCellRecord['training']>>();
      for (const c of cells) if (c.training && c.spec.scenarioName === scenario && c.spec.attacker === attacker && !byJob.has(c.training.job)) byJob.set(c.training.job, c.training);
      const jobs = [...byJob.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
      if (jobs.length === 0) continue;
      const at = [...new Set(jobs.flatMap((j) => j.curve.map((p) => p.episodes)))].sort((a, b) => a - b);
      const label = `${scenario}|${attacker}`;
      const curve = at.map((episodes) => {
        const pts = jobs.map((j) => j.curve.find((p) => p.episodes === episodes) ?? null);
        return {
          episodes,
          successRate: overSeeds(pts.map((p) => p?.successRate ?? null), `${label}|${episodes}|success`, [0, 1]),
          meanReward: overSeeds(pts.map((p) => p?.meanReward ?? null), `${label}|${episodes}|reward`, [-Infinity, Infinity]),
          timeToObjective: overSeeds(pts.map((p) => p?.meanTimeToObjective ?? null), `${label}|${episodes}|time`, [0, Infinity]),
        };
      });
      const steps = jobs.map((j) => j.gradientSteps);
      out.push({
        scenario, hosts, attacker,
        against: jobs[0]!.against,
        episodes: jobs[0]!.episodes,
        n: jobs.length,
        gradientSteps: { min: Math.min(...steps), mean: mean(steps) },
        envSteps: mean(jobs.map((j) => j.envSteps)),
        evalMode: evalModeOf(join(runDir, JOBS_DIR, 'attackers', jobs[0]!.job, 'agent')),
        curve,
      });
    }
  return out;
}

/** Learning cells whose attacker took no gradient step: such a cell measures an untrained policy. */
export function untrainedCells(cells: readonly OkCellRecord[]): string[] {
  return cells.filter((c) => c.training !== null && c.training.gradientSteps === 0).map((c) => c.id);
}
