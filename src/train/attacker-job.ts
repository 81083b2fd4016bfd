/**
 * Train one attacker once, to be evaluated frozen elsewhere: a learning kind trains from no warm start
 * against a training defence (default: none) on one scenario and seed, with a frozen learning-curve
 * checkpoint every `curveEvery` episodes (success rate, mean reward, time to objective: the reference
 * paper's Table 5) and its training scalars. The lab trains each (scenario, kind, seed) once this way and
 * evaluates the saved agent against every defence, so defences are compared against the same attacker.
 *
 * Output directory:
 *   agent/          the trained agent (agent.json + tfjs layers model)
 *   scalars.jsonl   training scalars (src/train/scalars.ts)
 *   job.json        the spec and the result (AttackerJobResult), written last: its presence means done
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { loadScenario } from '../range/presets.js';
import type { Policy } from '../range/agent.js';
import type { RangeEnv } from '../range/env.js';
import { isLearningKind, loadLearningAttacker } from '../attackers/registry.js';
import { isLearningAttacker } from '../attackers/learner.js';
import { coTrain } from './cotrain.js';
import { SCALARS_FILE, scalarFileSink } from './scalars.js';

export const attackerJobSpecSchema = z.strictObject({
  /** Scenario preset name or file. */
  scenario: z.string().min(1),
  /** A learning attacker kind (registered). */
  kind: z.string().min(1),
  seed: z.number().int().min(0),
  /** Training episodes in all. */
  episodes: z.number().int().min(1),
  /** The defence trained against (a registered defence kind without a detector, default none). */
  against: z.string().min(1).default('none'),
  /** A frozen learning-curve checkpoint every this many training episodes (episodes must be a multiple). */
  curveEvery: z.number().int().min(1),
  /** Frozen episodes per checkpoint. */
  curveEpisodes: z.number().int().min(1),
  hyperparameters: z.record(z.string(), z.unknown()).optional(),
});
export type AttackerJobSpec = z.input<typeof attackerJobSpecSchema>;

export const curvePointSchema = z.strictObject({
  /** Training episodes done at this checkpoint. */
  episodes: z.number().int().min(0),
  successRate: z.number(),
  meanReward: z.number(),
  meanTimeToObjective: z.number().nullable(),
  gradientSteps: z.number().int().min(0),
});
export type CurvePoint = z.output<typeof curvePointSchema>;

export const attackerJobResultSchema = z.strictObject({
  spec: attackerJobSpecSchema,
  agentDir: z.string(),
  episodes: z.number().int(),
  envSteps: z.number().int(),
  gradientSteps: z.number().int(),
  wallSeconds: z.number(),
  curve: z.array(curvePointSchema),
});
export type AttackerJobResult = z.output<typeof attackerJobResultSchema>;

export const JOB_FILE = 'job.json';

/** Train `spec` into `outDir` (replaced if it holds an unfinished job). Returns what job.json records. */
export async function trainAttackerJob(input: AttackerJobSpec, outDir: string): Promise<AttackerJobResult> {
  const spec = attackerJobSpecSchema.parse(input);
  if (!isLearningKind(spec.kind)) throw new CyrangeError(`attacker job: kind "${spec.kind}" is not a learning attacker kind`);
  if (spec.episodes % spec.curveEvery !== 0) throw new CyrangeError(`attacker job: episodes (${spec.episodes}) must be a multiple of curveEvery (${spec.curveEvery})`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const t0 = performance.now();
  const sink = scalarFileSink(join(outDir, SCALARS_FILE));
  const curve: CurvePoint[] = [];
  let envSteps = 0;
  let gradientSteps = 0;
  const r = await coTrain({
    scenario: loadScenario(spec.scenario),
    attacker: spec.kind,
    defender: spec.against,
    rounds: spec.episodes / spec.curveEvery,
    trainEpisodes: spec.curveEvery,
    evalEpisodes: spec.curveEpisodes,
    detectorEpisodes: 1,
    seed: spec.seed,
    demoEpisodes: 0,
    retrainDefenders: false,
    ...(spec.hyperparameters ? { attackerHyperparameters: spec.hyperparameters, attackerSource: 'attacker job hyperparameters' } : {}),
    scalars: sink,
    onRound: (rec) => {
      envSteps += rec.envSteps;
      gradientSteps += rec.gradientSteps;
      curve.push({ episodes: (rec.round + 1) * spec.curveEvery, successRate: rec.attackerSuccess, meanReward: rec.meanAttackerReward, meanTimeToObjective: rec.timeToObjective, gradientSteps });
    },
  });
  if (!isLearningAttacker(r.attacker)) throw new Error(`attacker job: kind "${spec.kind}" did not create a learning attacker`);
  const agentDir = join(outDir, 'agent');
  await r.attacker.save(agentDir);
  r.attacker.dispose?.();
  const result: AttackerJobResult = { spec, agentDir, episodes: spec.episodes, envSteps, gradientSteps, wallSeconds: (performance.now() - t0) / 1000, curve };
  writeFileSync(join(outDir, JOB_FILE), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** The result of a finished job in `outDir`, or null when there is none (or it is damaged: train again). */
export function readAttackerJob(outDir: string): AttackerJobResult | null {
  const f = join(outDir, JOB_FILE);
  if (!existsSync(f)) return null;
  try {
    return attackerJobResultSchema.parse(JSON.parse(readFileSync(f, 'utf8')));
  } catch {
    return null;
  }
}

/**
 * The trained agent, one frozen instance per attacker of `env` (scenarios with several attackers give
 * each its own copy of the same policy), in eval mode.
 */
export async function loadTrainedAttackers(agentDir: string, env: RangeEnv): Promise<Record<string, Policy>> {
  const out: Record<string, Policy> = {};
  for (const id of env.attackerIds) {
    const a = await loadLearningAttacker(agentDir, { obsSize: env.observationSpace(id).shape[0]!, nActions: env.actionSpace(id).n });
    a.mode = 'eval';
    out[id] = a;
  }
  return out;
}
