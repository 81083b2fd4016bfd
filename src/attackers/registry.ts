/**
 * Attacker kinds by name, in an open registry (see shared/registry.ts). Built in:
 *   random, scripted, scripted-stealthy  (baselines)
 *   dqn, pg                              (learning; need the env's observation and action sizes)
 * Plugins add kinds with `registerAttacker(kind, entry)`; CLI choices and spec validation read
 * `attackerKinds()`. Learning kinds initialise tfjs first (initTf picks the backend once per process).
 */
import { CyrangeError } from '../shared/errors.js';
import { Registry, type RegistryOptions } from '../shared/registry.js';
import { initTf } from '../nn/runtime.js';
import type { Policy } from '../range/agent.js';
import type { RangeEnv } from '../range/env.js';
import { RandomAttacker, ScriptedAttacker } from '../range/baselines.js';
import { DqnAttacker, DQN_DEFAULTS, type DqnConfig } from './dqn.js';
import { hyperparametersFrom, readManifest, type LearningAttacker } from './learner.js';
import { PgAttacker, PG_DEFAULTS, type PgConfig } from './policy-gradient.js';

/** What a registered attacker kind provides. */
export interface AttackerEntry {
  /** One line for help texts and `cyrange` listings. */
  description: string;
  /**
   * Learning kinds (create returns a LearningAttacker) train in co-training rounds, take
   * hyperparameters and are saved and loaded as agent directories.
   */
  learning: boolean;
  create(opts: CreateAttackerOptions): Policy | Promise<Policy>;
}

export const attackerRegistry = new Registry<AttackerEntry>('attacker');

/** Register an attacker kind (plugins call this when imported). */
export function registerAttacker(kind: string, entry: AttackerEntry, opts?: RegistryOptions): void {
  attackerRegistry.register(kind, entry, opts);
}

/** Registered attacker kinds (built-ins first). */
export function attackerKinds(): string[] {
  return attackerRegistry.kinds();
}

/** Whether `kind` is a registered learning kind. */
export function isLearningKind(kind: string): boolean {
  return attackerRegistry.has(kind) && attackerRegistry.get(kind).learning;
}

export type AttackerKind = string;

export interface CreateAttackerOptions {
  /** Sizes for learning kinds: give them, or an env and the attacker id to read them from. */
  obsSize?: number;
  nActions?: number;
  env?: RangeEnv;
  agent?: string;
  /** Seed for learning kinds' initialisation and exploration (baselines are seeded per episode). */
  seed?: number;
  /** Hyperparameter overrides for learning kinds (checked against the kind's defaults). */
  hyperparameters?: Partial<DqnConfig> | Partial<PgConfig>;
  /** Load a saved learning agent from this directory instead of creating a fresh one. */
  load?: string;
  /** Where the kind came from, for error messages (e.g. "experiments/x.json: attackers[0].kind"). */
  source?: string;
}

export function isAttackerKind(k: string): boolean {
  return attackerRegistry.has(k);
}

function sizes(opts: CreateAttackerOptions, kind: string): { obsSize: number; nActions: number } {
  let { obsSize, nActions } = opts;
  if (opts.env) {
    const agent = opts.agent ?? opts.env.attackerIds[0];
    if (agent === undefined) throw new CyrangeError(`attacker kind "${kind}": the scenario has no attacker`);
    obsSize ??= opts.env.observationSpace(agent).shape[0];
    nActions ??= opts.env.actionSpace(agent).n;
  }
  if (obsSize === undefined || nActions === undefined) throw new Error(`createAttacker("${kind}"): needs obsSize and nActions (or env)`);
  return { obsSize, nActions };
}

function checkHyperparameters(kind: string, defaults: object, hp: object, where: string): void {
  for (const k of Object.keys(hp)) if (!(k in defaults)) throw new CyrangeError(`${where}: hyperparameters.${k}: not a ${kind} hyperparameter (known: ${Object.keys(defaults).join(', ')})`);
}

/** A policy for `kind`. Unknown kinds throw a CyrangeError naming `opts.source` and the known kinds. */
export async function createAttacker(kind: string, opts: CreateAttackerOptions = {}): Promise<Policy> {
  return attackerRegistry.get(kind, opts.source ?? 'attacker kind').create(opts);
}

registerAttacker('random', { description: 'uniform over allowed actions', learning: false, create: () => new RandomAttacker() });
registerAttacker('scripted', { description: 'scripted kill chain, fast and noisy', learning: false, create: () => new ScriptedAttacker() });
registerAttacker('scripted-stealthy', { description: 'scripted kill chain, stealthy scans and the quiet tempo', learning: false, create: () => new ScriptedAttacker({ stealthy: true }) });
registerAttacker('dqn', { description: 'Double DQN with n-step targets (learning)', learning: true, create: (o) => createLearningAttacker('dqn', o) });
registerAttacker('pg', { description: 'policy gradient, REINFORCE with a baseline (learning)', learning: true, create: (o) => createLearningAttacker('pg', o) });

export async function createLearningAttacker(kind: 'dqn' | 'pg', opts: CreateAttackerOptions = {}): Promise<LearningAttacker> {
  await initTf();
  const where = opts.source ?? `attacker kind "${kind}"`;
  const expect = opts.env || (opts.obsSize !== undefined && opts.nActions !== undefined) ? sizes(opts, kind) : {};
  if (opts.load !== undefined) return kind === 'dqn' ? DqnAttacker.load(opts.load, expect) : PgAttacker.load(opts.load, expect);
  const defaults = kind === 'dqn' ? DQN_DEFAULTS : PG_DEFAULTS;
  checkHyperparameters(kind, defaults, opts.hyperparameters ?? {}, where);
  // Value types too (a string "false" would be truthy), with the same rules as a saved agent.json.
  const hp = hyperparametersFrom(where, defaults as object, (opts.hyperparameters ?? {}) as Record<string, unknown>);
  if ('seed' in hp && opts.seed !== undefined && hp.seed !== opts.seed) {
    throw new CyrangeError(`${where}: hyperparameters.seed: the seed comes from the run's seed (${opts.seed}); leave it out of the hyperparameters`);
  }
  const s = sizes(opts, kind);
  const seed = opts.seed === undefined ? {} : { seed: opts.seed };
  try {
    return kind === 'dqn' ? new DqnAttacker({ ...(hp as Partial<DqnConfig>), ...seed, ...s }) : new PgAttacker({ ...(hp as Partial<PgConfig>), ...seed, ...s });
  } catch (e) {
    // Config validation throws RangeError("dqn: gamma must be ..."): name where the value came from.
    if (e instanceof RangeError) throw new CyrangeError(`${where}: hyperparameters: ${e.message}`);
    throw e;
  }
}

/** Loads whichever learning agent `dir/agent.json` describes. */
export async function loadLearningAttacker(dir: string, expect: { obsSize?: number; nActions?: number } = {}): Promise<LearningAttacker> {
  await initTf();
  const m = await readManifest(dir, null, expect);
  return m.kind === 'dqn' ? DqnAttacker.load(dir, expect) : PgAttacker.load(dir, expect);
}
