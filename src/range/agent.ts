/**
 * The policy interface every agent implements (baselines, learned attackers, detector defenders),
 * and a rollout helper that plays one episode.
 */
import type { Rng } from '../shared/prng.js';
import type { Action, AgentInfo, Observation, RangeEnv, RangeEvent, StepResult } from './env.js';

export interface ActContext {
  env: RangeEnv;
  agent: string;
  mask: Uint8Array;
  info: AgentInfo;
}

export interface Policy {
  /** Called at the start of every episode with the agent's own seed. */
  reset?(ctx: { env: RangeEnv; agent: string; seed: number }): void;
  act(obs: Observation, ctx: ActContext): Action;
  /** Called after every step with the agent's share of the result (learning agents use it). */
  observe?(result: StepResult, agent: string): void;
}

/** How an episode ended: the attacker's objective (a crown jewel exfiltrated) or the time limit. */
export type EpisodeOutcome = 'exfiltration' | 'timeout';

export interface EpisodeResult {
  seed: number;
  steps: number;
  /** Simulated seconds. */
  duration: number;
  outcome: EpisodeOutcome;
  returns: Record<string, number>;
  events: RangeEvent[];
  windows: number;
}

export interface RolloutHooks {
  /** After each step (e.g. to collect closed telemetry windows). */
  onStep?(result: StepResult, env: RangeEnv): void;
}

/** Play one episode with the given policies (agents without one wait or monitor). */
export function runEpisode(env: RangeEnv, policies: Record<string, Policy | undefined>, seed: number, hooks: RolloutHooks = {}): EpisodeResult {
  const { observations, infos } = env.reset({ seed });
  for (const id of env.possibleAgents) policies[id]?.reset?.({ env, agent: id, seed: (seed * 1000003 + hashId(id)) >>> 0 });
  let obs = observations;
  let inf = infos;
  const returns: Record<string, number> = Object.fromEntries(env.possibleAgents.map((a) => [a, 0]));
  let steps = 0;
  let last: StepResult | null = null;
  while (!env.isDone) {
    const actions: Record<string, Action> = {};
    for (const id of Object.keys(obs)) {
      const p = policies[id];
      if (p && inf[id]!.ready) actions[id] = p.act(obs[id]!, { env, agent: id, mask: env.actionMask(id), info: inf[id]! });
    }
    last = env.step(actions);
    steps++;
    for (const id of env.possibleAgents) {
      returns[id]! += last.rewards[id]!;
      policies[id]?.observe?.(last, id);
    }
    hooks.onStep?.(last, env);
    obs = last.observations;
    inf = last.infos;
  }
  const term = last ? Object.values(last.terminations).some(Boolean) : false;
  const outcome: EpisodeOutcome = term ? 'exfiltration' : 'timeout';
  return { seed, steps, duration: env.time, outcome, returns, events: [...env.eventLog], windows: env.windowsClosed };
}

function hashId(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

/** Uniform over allowed actions other than 0 (wait/monitor), which is taken with probability `zeroShare`. */
export function sampleMasked(mask: Uint8Array, rng: Rng, zeroShare: number): number {
  if (rng.next() < zeroShare) return 0;
  let n = 0;
  for (let i = 1; i < mask.length; i++) n += mask[i]!;
  if (n === 0) return 0;
  let k = rng.int(n);
  for (let i = 1; i < mask.length; i++) if (mask[i] && k-- === 0) return i;
  return 0;
}
