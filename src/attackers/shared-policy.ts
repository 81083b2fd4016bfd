/**
 * Parameter sharing for scenarios with several attackers (the reference paper's A/B/C design: 2 attackers
 * each): one learner acts for every attacker id, and learns from the transitions of all of them.
 *
 * Each attacker id gets a thin policy of its own with its own TransitionCollector (a transition runs from
 * one of *its* decisions to its next one, its own rewards in between). The learner's transition stream
 * must be in episode order per agent (DQN's n-step queue, policy gradient's episode in progress), so an
 * agent's transitions are held until its episode ends and then handed over together, attacker by attacker
 * in the order their episodes ended: to the learner's `sink` when it has one (rollout workers), else to
 * `addTransition` (which runs the update schedule). Each agent's episode counts as one episode for the
 * schedule (policy gradient's episodesPerUpdate, DQN's episode_return scalar).
 *
 * With one attacker the learner itself is the policy (learning online, as before).
 */
import { CyrangeError } from '../shared/errors.js';
import type { ActContext, Policy } from '../range/agent.js';
import type { Action, Observation, RangeEnv, StepResult } from '../range/env.js';
import { TransitionCollector, type LearningAttacker, type MaskSource, type Transition } from './learner.js';

/** One attacker id's view of a shared learner: acts through it, collects its own transitions. */
export class SharedLearnerPolicy implements Policy {
  private readonly collector: TransitionCollector;
  private episode: Transition[] = [];

  constructor(readonly learner: LearningAttacker) {
    this.collector = new TransitionCollector(learner.obsSize, learner.nActions);
  }

  reset(ctx: { env: RangeEnv; agent: string; seed: number }): void {
    // The learner reseeds its exploration from the agent's own seed; its own collector stays unused.
    this.learner.reset?.(ctx);
    this.collector.reset(ctx.env as MaskSource);
    this.episode = [];
  }

  act(obs: Observation, ctx: ActContext): Action {
    const a = this.learner.act(obs, ctx);
    if (this.learner.mode === 'train' && obs.kind === 'attacker') this.collector.onAct(obs.vector, ctx.mask, typeof a === 'number' ? a : a.action);
    return a;
  }

  observe(result: StepResult, agent: string): void {
    if (this.learner.mode !== 'train') return;
    const t = this.collector.onStep(result, agent);
    if (t === null) return;
    this.episode.push(t);
    if (!t.done) return;
    const give = this.learner.sink ?? ((x: Transition) => this.learner.addTransition(x));
    for (const x of this.episode) give(x);
    this.episode = [];
    this.collector.reset(null);
  }
}

/**
 * The policies of every attacker of `env` played by one shared learner: the learner itself when there is
 * one attacker, else one SharedLearnerPolicy per attacker id. The attackers must have the learner's
 * observation and action sizes.
 */
export function sharedLearnerPolicies(learner: LearningAttacker, env: RangeEnv, source = 'scenario'): Record<string, Policy> {
  const ids = env.attackerIds;
  for (const id of ids) {
    const obs = env.observationSpace(id).shape[0];
    const n = env.actionSpace(id).n;
    if (obs !== learner.obsSize || n !== learner.nActions) {
      throw new CyrangeError(`${source}: attackers: ${id} has ${obs} observations and ${n} actions, the shared learner ${learner.obsSize} and ${learner.nActions}`);
    }
  }
  if (ids.length === 1) return { [ids[0]!]: learner };
  return Object.fromEntries(ids.map((id) => [id, new SharedLearnerPolicy(learner)]));
}
