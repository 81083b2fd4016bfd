/**
 * Warm start from demonstrations (behaviour cloning, as in DQfD's pre-training phase): the scripted
 * kill-chain attacker plays undefended episodes (the noisy variant: the stealthy one pauses on an
 * internal coin flip that the observation cannot show, which makes its decisions unlearnable); their decisions
 * (observation, mask, action) train the learner's acting network with a masked softmax cross-entropy, so
 * its greedy policy starts as a competent kill chain instead of random behaviour. Reinforcement learning
 * then adapts it to the defence. Learners see the same observations the scripted attacker acted on.
 */
import { Rng } from '../shared/prng.js';
import type { Scenario } from '../range/scenario.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode, type ActContext, type Policy } from '../range/agent.js';
import type { Action, Observation } from '../range/env.js';
import { initTf } from '../nn/runtime.js';
import { Mlp, MlpTrainer } from '../nn/mlp.js';
import { NoopDefender } from '../range/baselines.js';
import { ScriptedAttacker } from '../range/baselines.js';
import { maskedArgmax, type LearningAttacker } from './learner.js';

export interface DemoOptions {
  episodes: number;
  /**
   * Demonstrators, taken in turn: 'noisy' (fast scans, likeliest exploits) and 'stealthy' (slow scans,
   * quiet exploits preferred; without the random pauses, which the observation cannot explain).
   * Default ['noisy'].
   */
  demonstrators?: ('noisy' | 'stealthy')[];
  seed: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
}

export interface DemoResult {
  samples: number;
  /** Share of demonstration decisions the cloned greedy policy reproduces. */
  accuracy: number;
  loss: number;
}

/** Records the decisions of the wrapped policy. */
class Recorder implements Policy {
  readonly obs: Float32Array[] = [];
  readonly masks: Uint8Array[] = [];
  readonly actions: number[] = [];
  constructor(private readonly inner: Policy) {}
  reset(ctx: { env: RangeEnv; agent: string; seed: number }): void {
    this.inner.reset?.(ctx);
  }
  act(obs: Observation, ctx: ActContext): Action {
    const a = this.inner.act(obs, ctx);
    if (obs.kind === 'attacker') {
      this.obs.push(obs.vector.slice());
      this.masks.push(ctx.mask.slice());
      this.actions.push(typeof a === 'number' ? a : a.action);
    }
    return a;
  }
  observe(result: import('../range/env.js').StepResult, agent: string): void {
    this.inner.observe?.(result, agent);
  }
}

export async function pretrainFromDemonstrations(learner: LearningAttacker, scenario: Scenario, opts: DemoOptions): Promise<DemoResult> {
  await initTf();
  const env = new RangeEnv(scenario);
  const agent = env.attackerIds[0]!;
  const kinds = opts.demonstrators ?? ['noisy'];
  const recs = kinds.map((k) => new Recorder(new ScriptedAttacker(k === 'stealthy' ? { stealthy: true, pause: 0 } : {})));
  const noop = Object.fromEntries(env.defenderIds.map((d) => [d, new NoopDefender()]));
  const root = new Rng(opts.seed).split('demos');
  for (let i = 0; i < opts.episodes; i++) runEpisode(env, { ...noop, [agent]: recs[i % recs.length]! }, root.split(i).seed);
  const X = recs.flatMap((r) => r.obs);
  const M = recs.flatMap((r) => r.masks);
  const A = recs.flatMap((r) => r.actions);
  const n = A.length;
  if (n === 0) return { samples: 0, accuracy: NaN, loss: NaN };
  const S = learner.obsSize;
  const K = learner.nActions;
  const hidden = (learner.spec().hyperparameters.hidden as number[] | undefined) ?? [128, 64, 32];
  const model = Mlp.create({ inputDim: S, hidden, outputDim: K, seed: 1 });
  model.setWeights(learner.getWeights());
  const trainer = new MlpTrainer(model, { learningRate: opts.learningRate ?? 1e-3, clipNorm: 10 });
  const batch = Math.min(opts.batchSize ?? 64, n);
  const rng = root.split('batches');
  const order = Array.from({ length: n }, (_, i) => i);
  let loss = NaN;
  const xb = new Float32Array(batch * S);
  let idx: number[] = [];
  // Masked softmax cross-entropy; masked logits get no gradient.
  const lossGrad = (out: Float32Array, grad: Float32Array, rows: number): number => {
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const i = idx[r]!;
      const m = M[i]!;
      const o = r * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (m[k] && out[o + k]! > max) max = out[o + k]!;
      let z = 0;
      for (let k = 0; k < K; k++) if (m[k]) z += Math.exp(out[o + k]! - max);
      for (let k = 0; k < K; k++) grad[o + k] = m[k] ? Math.exp(out[o + k]! - max) / z / rows : 0;
      grad[o + A[i]!]! -= 1 / rows;
      total += -(out[o + A[i]!]! - max - Math.log(z));
    }
    return total / rows;
  };
  for (let epoch = 0; epoch < (opts.epochs ?? 40); epoch++) {
    rng.shuffle(order);
    for (let b = 0; b + batch <= n; b += batch) {
      idx = order.slice(b, b + batch);
      idx.forEach((i, r) => xb.set(X[i]!, r * S));
      loss = trainer.step(xb, batch, lossGrad);
    }
  }
  const w = model.getWeights().data;
  const withTarget = learner as unknown as { setAllWeights?: (w: Float32Array) => void };
  if (withTarget.setAllWeights) withTarget.setAllWeights(w);
  else learner.setWeights(w);
  // How often the cloned greedy policy picks the demonstrated action (the network's masked argmax, not
  // learner.act, whose evaluation may explore a little).
  let agree = 0;
  const probe = Math.min(n, 400);
  for (let i = 0; i < probe; i++) if (maskedArgmax(model.forward(X[i]!, 1), M[i]!) === A[i]) agree++;
  return { samples: n, accuracy: agree / probe, loss };
}
