/**
 * The built-in learning kinds (DQN, policy gradient) behind the registry's `create` and `load`. The
 * registry imports this module only when a learning kind is created or loaded: it pulls in tfjs.
 */
import { CyrangeError } from '../shared/errors.js';
import { initTf } from '../nn/runtime.js';
import { DqnAttacker, DQN_DEFAULTS, DQN_OFF } from './dqn.js';
import { PgAttacker, PG_DEFAULTS, PG_OFF } from './policy-gradient.js';
import { hyperparametersFrom } from './formats.js';
import type { CreateAttackerOptions, LearningAttacker, LoadLearnerOptions } from './learner.js';

export type BuiltinLearner = 'dqn' | 'pg';

const LEARNERS = {
  dqn: { defaults: DQN_DEFAULTS as object, off: DQN_OFF as readonly string[], make: (o: object & { obsSize: number; nActions: number }) => new DqnAttacker(o), load: DqnAttacker.load },
  pg: { defaults: PG_DEFAULTS as object, off: PG_OFF as readonly string[], make: (o: object & { obsSize: number; nActions: number }) => new PgAttacker(o), load: PgAttacker.load },
} as const;

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

/** A fresh learner; hyperparameters are checked (names, types, ranges) with errors naming `opts.source`. */
export async function createLearner(kind: BuiltinLearner, opts: CreateAttackerOptions): Promise<LearningAttacker> {
  await initTf();
  const where = opts.source ?? `attacker kind "${kind}"`;
  const L = LEARNERS[kind];
  const hp = hyperparametersFrom(where, kind, L.defaults as Record<string, unknown>, opts.hyperparameters ?? {}, L.off);
  if ('seed' in hp && opts.seed !== undefined && hp.seed !== opts.seed) {
    throw new CyrangeError(`${where}: hyperparameters.seed: the seed comes from the run's seed (${opts.seed}); leave it out of the hyperparameters`);
  }
  const s = sizes(opts, kind);
  try {
    return L.make({ ...hp, ...(opts.seed === undefined ? {} : { seed: opts.seed }), ...s });
  } catch (e) {
    // Config validation throws RangeError("dqn: gamma must be ..."): name where the value came from.
    if (e instanceof RangeError) throw new CyrangeError(`${where}: hyperparameters: ${e.message}`);
    throw e;
  }
}

export async function loadLearner(kind: BuiltinLearner, dir: string, opts: LoadLearnerOptions): Promise<LearningAttacker> {
  await initTf();
  return LEARNERS[kind].load(dir, opts);
}
