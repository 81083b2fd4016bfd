/**
 * `evaluateAttacker`: an attacker played frozen against a defence for a number of episodes (the
 * library entry behind `cyrange attackers evaluate`). The attacker is a trained agent (an agent
 * directory, or a `cyrange train` run directory: its checkpoint) or a baseline kind from the registry.
 * ML defences use the given detector, else the run's checkpointed one, else one trained here on
 * scripted-attacker telemetry.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { loadPlugins } from '../shared/plugins.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode, type Policy } from '../range/agent.js';
import { loadScenario } from '../range/presets.js';
import type { Scenario } from '../range/scenario.js';
import { attackerRegistry, createAttacker, isLearningKind } from '../attackers/registry.js';
import type { LearningAttacker } from '../attackers/learner.js';
import { loadTrainedAttackers } from './attacker-job.js';
import { AGENT_MANIFEST } from '../attackers/formats.js';
import { Detector, type DetectorKind } from '../detectors/detector.js';
import { createDefense, defenseDetector, defenseRegistry } from '../defenders/registry.js';
import { collectTelemetry } from './collect.js';
import { recordEpisode, summariseEpisodes, type EpisodeRecord, type EpisodeSummary } from './episodes.js';
import { CHECKPOINT_DIR } from './formats.js';

export interface EvaluateAttackerOptions {
  /** Scenario preset name or file, or a scenario. */
  env: string | Scenario;
  /** A registered non-learning kind (random, scripted, scripted-stealthy, a plugin's). Give this or `model`. */
  attacker?: string;
  /** A trained agent: an agent directory (agent.json) or a `cyrange train` run directory. */
  model?: string;
  defender: string;
  /** Detector for ML defences: a Detector or a detector model directory. */
  detector?: Detector | string;
  episodes: number;
  /** Seed of the evaluation episodes (episode i plays seed (seed * 1009 + i) mod 2^32). */
  seed: number;
  /** Plugin modules to import first (resolved specifiers, see resolvePlugins). */
  plugins?: string[];
  /** How the CLI names the settings in errors (default: the option names). */
  sources?: Partial<Record<'attacker' | 'defender' | 'model' | 'detector', string>>;
}

export interface AttackerEvaluation extends EpisodeSummary {
  /** The attacker kind (a trained agent's saved kind). */
  kind: string;
  model: string | null;
  env: string;
  defender: string;
  seed: number;
  /** Every episode's record (the summary fields are computed from these). */
  perEpisode: EpisodeRecord[];
}

/** The agent directory of `model`: itself, or a train run's checkpointed attacker. */
function agentDir(model: string, where: string): string {
  if (existsSync(join(model, AGENT_MANIFEST))) return model;
  const inRun = join(model, CHECKPOINT_DIR, 'attacker');
  if (existsSync(join(inRun, AGENT_MANIFEST))) return inRun;
  throw new CyrangeError(`${where}: ${model}: neither an agent directory (agent.json) nor a train run with a checkpointed learning attacker`);
}

export async function evaluateAttacker(o: EvaluateAttackerOptions): Promise<AttackerEvaluation> {
  const src = { attacker: 'attacker', defender: 'defender', model: 'model', detector: 'detector', ...o.sources };
  await loadPlugins(o.plugins ?? [], 'plugin');
  if ((o.attacker === undefined) === (o.model === undefined)) {
    throw new CyrangeError(`${src.attacker}: give an attacker kind (${src.attacker}, for baselines) or a trained agent (${src.model}), ${o.attacker === undefined ? 'neither was given' : 'not both'}`);
  }
  if (o.attacker !== undefined) {
    attackerRegistry.get(o.attacker, src.attacker);
    if (isLearningKind(o.attacker)) throw new CyrangeError(`${src.attacker}: ${o.attacker} is a learning kind: evaluate a trained one with ${src.model} (an agent or train run directory)`);
  }
  defenseRegistry.get(o.defender, src.defender);
  if (!(Number.isInteger(o.episodes) && o.episodes >= 1)) throw new CyrangeError(`episodes: expected a whole number >= 1, got ${o.episodes}`);
  const scenario = typeof o.env === 'string' ? loadScenario(o.env) : o.env;
  const env = new RangeEnv(scenario);
  const agentId = env.attackerIds[0];
  if (agentId === undefined) throw new CyrangeError(`${typeof o.env === 'string' ? o.env : scenario.name}: the scenario has no attacker`);
  // Every attacker id of the scenario gets its own instance (a frozen copy of the trained agent, or of the baseline kind).
  let attackers: Record<string, Policy>;
  let kind: string;
  if (o.model !== undefined) {
    attackers = await loadTrainedAttackers(agentDir(o.model, src.model), env);
    kind = (attackers[agentId] as LearningAttacker).kind;
  } else {
    kind = o.attacker!;
    attackers = {};
    for (const id of env.attackerIds) attackers[id] = await createAttacker(kind, { env, agent: id, seed: o.seed, source: src.attacker });
  }
  let detector: Detector | undefined;
  const detectorKind = defenseDetector(o.defender);
  if (detectorKind !== null) {
    const fromRun = o.model !== undefined && existsSync(join(o.model, CHECKPOINT_DIR, 'detector', 'manifest.json')) ? join(o.model, CHECKPOINT_DIR, 'detector') : undefined;
    const d = o.detector ?? fromRun;
    if (d instanceof Detector) detector = d;
    else if (d !== undefined) detector = (await Detector.load(d)).detector;
    else {
      const data = collectTelemetry(scenario, { episodes: 6, seed: o.seed });
      detector = (await Detector.train(detectorKind as DetectorKind, data, { seed: o.seed })).detector;
    }
    if (detector.kind !== detectorKind) throw new CyrangeError(`${typeof d === 'string' ? d : src.detector}: kind: the detector is ${detector.kind}, defence ${o.defender} needs ${detectorKind}`);
  }
  const defense = await createDefense(o.defender, env, detector ? { detector } : {});
  const perEpisode: EpisodeRecord[] = [];
  for (let i = 0; i < o.episodes; i++) {
    const ep = runEpisode(env, { ...defense.policies, ...attackers }, (o.seed * 1009 + i) >>> 0);
    perEpisode.push(recordEpisode(env, ep, defense.recorder, env.attackerIds));
  }
  for (const a of Object.values(attackers)) (a as { dispose?: () => void }).dispose?.();
  return {
    kind,
    model: o.model ?? null,
    env: typeof o.env === 'string' ? o.env : scenario.name,
    defender: o.defender,
    seed: o.seed,
    ...summariseEpisodes(perEpisode),
    perEpisode,
  };
}
