/**
 * Attacker kinds by name, in an open registry (see shared/registry.ts). Built in:
 *   random, scripted, scripted-stealthy  (baselines)
 *   dqn, pg                              (learning; need the env's observation and action sizes)
 * Plugins add kinds with `registerAttacker(kind, entry)`; CLI choices and spec validation read
 * `attackerKinds()`, co-training and its rollout workers build learners through `createAttacker`, and
 * agent directories load through the entry of the kind their agent.json names.
 *
 * Cheap to import: the learning kinds' code (and tfjs) loads on first use.
 */
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { Registry, type RegistryOptions } from '../shared/registry.js';
import type { Policy } from '../range/agent.js';
import { RandomAttacker, ScriptedAttacker } from '../range/baselines.js';
import { AGENT_MANIFEST, readManifest } from './formats.js';
import type { CreateAttackerOptions, LearningAttacker, LoadLearnerOptions } from './learner.js';

export type { CreateAttackerOptions, LoadLearnerOptions } from './learner.js';

/** What a registered attacker kind provides. */
export interface AttackerEntry {
  /** One line for help texts and `cyrange` listings. */
  description: string;
  /**
   * Learning kinds (create returns a LearningAttacker) train in co-training rounds (in this thread or
   * on rollout workers), take hyperparameters and are saved and loaded as agent directories.
   */
  learning: boolean;
  create(opts: CreateAttackerOptions): Policy | Promise<Policy>;
  /**
   * Loads an agent directory whose agent.json names this kind (what its learner's `kind` and save()
   * write). A kind that creates another kind's learner (for example `createAttacker('pg', { ...o,
   * hyperparameters })`) saves agents under that kind and needs no load of its own.
   */
  load?(dir: string, opts: LoadLearnerOptions): Promise<LearningAttacker>;
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

export function isAttackerKind(k: string): boolean {
  return attackerRegistry.has(k);
}

/** A policy for `kind`. Unknown kinds throw a CyrangeError naming `opts.source` and the known kinds. */
export async function createAttacker(kind: string, opts: CreateAttackerOptions = {}): Promise<Policy> {
  return attackerRegistry.get(kind, opts.source ?? 'attacker kind').create(opts);
}

/**
 * Loads the learning agent in `dir` through the entry of the kind its agent.json names (refusing other
 * sizes than `opts`', and with `opts.training` restoring its training state). In eval mode.
 */
export async function loadLearningAttacker(dir: string, opts: LoadLearnerOptions = {}): Promise<LearningAttacker> {
  const m = readManifest(dir, null, opts);
  const file = join(dir, AGENT_MANIFEST);
  const entry = attackerRegistry.get(m.kind, `${file}: kind`);
  if (!entry.learning || entry.load === undefined) throw new CyrangeError(`${file}: kind: attacker kind "${m.kind}" has no load (its registration cannot read agent directories)`);
  return entry.load(dir, opts);
}

registerAttacker('random', { description: 'uniform over allowed actions', learning: false, create: () => new RandomAttacker() });
registerAttacker('scripted', { description: 'scripted kill chain, fast and noisy', learning: false, create: () => new ScriptedAttacker() });
registerAttacker('scripted-stealthy', { description: 'scripted kill chain, stealthy scans and the quiet tempo', learning: false, create: () => new ScriptedAttacker({ stealthy: true }) });
registerAttacker('dqn', {
  description: 'Double DQN with n-step targets (learning)',
  learning: true,
  create: async (o) => (await import('./learners.js')).createLearner('dqn', o),
  load: async (dir, o) => (await import('./learners.js')).loadLearner('dqn', dir, o),
});
registerAttacker('pg', {
  description: 'policy gradient, REINFORCE with a baseline (learning)',
  learning: true,
  create: async (o) => (await import('./learners.js')).createLearner('pg', o),
  load: async (dir, o) => (await import('./learners.js')).loadLearner('pg', dir, o),
});
