/** Baseline defenders: a no-op defender (monitors forever) and a random one (for benchmarks). */
import { Rng } from '../shared/prng.js';
import { sampleMasked, type ActContext, type Policy } from '../range/agent.js';
import type { Action, Observation } from '../range/env.js';

export class NoopDefender implements Policy {
  act(): Action {
    return 0;
  }
}

export class RandomDefender implements Policy {
  private rng = new Rng(0);
  /** `actShare`: probability of a response instead of monitoring at each decision. */
  constructor(private readonly actShare = 0.02) {}
  reset(ctx: { seed: number }): void {
    this.rng = new Rng(ctx.seed).split('random-defender');
  }
  act(_obs: Observation, ctx: ActContext): Action {
    return sampleMasked(ctx.mask, this.rng, 1 - this.actShare);
  }
}
