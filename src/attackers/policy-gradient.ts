/**
 * Policy-gradient attacker: REINFORCE with a learned baseline (a value network), entropy bonus and a
 * masked softmax. The loop reads top to bottom in this file:
 *
 *   act(obs)           sample from the masked softmax (eval: sampled too by default, argmax with evalSample false)
 *   observe(step)      closes the decision-to-decision transition -> addTransition
 *   addTransition(t)   appends it to the episode in progress; a finished episode joins the update batch,
 *                      and the update schedule (the only one, for this thread's episodes and for rollout
 *                      workers' alike): an update once episodesPerUpdate episodes have finished
 *   trainStep()        returns, a value step (its forward gives the baseline), advantages, a policy step.
 *                      Scalars per update: policy_loss, entropy, value_loss, grad_norm; episode_return
 *                      per episode.
 *
 *   pi(a|s) = softmax over allowed actions of the policy net's logits (masked actions get p = 0)
 *   G_t     = R_t + gamma^(elapsed_t / timeUnit) * G_{t+1}    (semi-MDP: discount by simulated time;
 *             timeUnit 10 s by default, for the reason given in dqn.ts)
 *   A_t     = G_t - V(s_t), normalised over the update batch (optional)
 *   policy loss = mean( -A_t log pi(a_t|s_t) - entropyCoef * H(pi(.|s_t)) )
 *   value loss  = mean( 0.5 (V(s_t) - G_t)^2 )
 * Monte Carlo returns, so no bootstrapping and no target network. Policy and value nets are separate
 * MLPs with separate Adam optimisers (as in CleanRL's PPO agents). Checkpoints keep both optimizers
 * and the episodes waiting for an update (an update can span a round boundary), see trainingState.
 *
 * Eval mode: sampling from the masked policy (default, `evalSample: true`), from an Rng reseeded per
 * episode, so eval is deterministic for a seed; or its argmax with `evalSample: false`. Sampling is the
 * default because the sampled policy is the one REINFORCE optimises and the one whose returns the training
 * measured; its argmax is another policy, never trained or measured, and on the range it loops: where the
 * policy spreads its mass over several actions of which some change nothing (a repeated scan, a wait, a
 * tempo switch), the argmax may pick one of those in a state it never leaves. Measured from no warm start
 * on `small` (seed 1, 300 episodes): sampled 1.00 success at 90 s, argmax 0.00 (docs/learning-budgets.md).
 */
import { Rng, hash32 } from '../shared/prng.js';
import { Mlp, MlpTrainer } from '../nn/mlp.js';
import type { ActContext } from '../range/agent.js';
import type { Action, Observation, StepResult } from '../range/env.js';
import {
  TransitionCollector, attackerVector, discount, freshCounters, maskedArgmax, safeAction, stateF32, transitionArrays, transitionsFromArrays,
  type LearnerMode, type LearnerSpec, type LearningAttacker, type MaskSource, type ScalarLog, type TrainingCounters, type TrainingState, type Transition,
} from './learner.js';
import { parseLearnerState, pgTrainingStateSchema } from './formats.js';
import { loadAgent, saveAgent, type LoadAgentOptions } from './agent-dir.js';

// ------------------------------------------------------------------------------- hyperparameters

export interface PgConfig {
  hidden: number[];
  valueHidden: number[];
  learningRate: number;
  valueLearningRate: number;
  /** Discount per `timeUnit` seconds of simulated time. */
  gamma: number;
  timeUnit: number;
  entropyCoef: number;
  episodesPerUpdate: number;
  normalizeAdvantages: boolean;
  /** Global gradient-norm clip; Infinity (null in JSON) = off. */
  maxGradNorm: number;
  rewardScale: number;
  /** Eval mode samples from the policy instead of taking its argmax. */
  evalSample: boolean;
  seed: number;
}

export const PG_DEFAULTS: PgConfig = {
  hidden: [128, 64, 32],
  valueHidden: [128, 64, 32],
  // 3e-3 with an update per 2 episodes: from no warm start on small, medium and large this reaches 1.00
  // success within 50-100 episodes (sampled evaluation); 1e-3 with an update per 4 episodes took 3-4
  // times as many, and 1e-2 was erratic (docs/learning-budgets.md).
  learningRate: 3e-3,
  valueLearningRate: 1e-3,
  gamma: 0.95,
  timeUnit: 10,
  entropyCoef: 0.01,
  episodesPerUpdate: 2,
  normalizeAdvantages: true,
  maxGradNorm: 1,
  rewardScale: 0.1,
  // See "Eval mode" above.
  evalSample: true,
  seed: 0,
};

/** Settings whose documented "off" value is Infinity (null in JSON). */
export const PG_OFF: readonly (keyof PgConfig)[] = ['maxGradNorm'];

export interface PgOptions extends Partial<PgConfig> {
  obsSize: number;
  nActions: number;
}

// ------------------------------------------------------------------------------- masked softmax

/** Softmax of logits[off .. off+n) over allowed entries, written to p[0..n); returns the entropy. */
export function maskedSoftmax(logits: ArrayLike<number>, off: number, mask: ArrayLike<number>, maskOff: number, n: number, p: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (mask[maskOff + j] && (logits[off + j] as number) > max) max = logits[off + j] as number;
  if (max === -Infinity) {
    p.fill(0, 0, n);
    return 0;
  }
  let z = 0;
  for (let j = 0; j < n; j++) {
    const e = mask[maskOff + j] ? Math.exp((logits[off + j] as number) - max) : 0;
    p[j] = e;
    z += e;
  }
  let h = 0;
  for (let j = 0; j < n; j++) {
    const pj = (p[j] as number) / z;
    p[j] = pj;
    if (pj > 0) h -= pj * Math.log(pj);
  }
  return h;
}

/**
 * Policy loss mean_i( -adv_i log pi(a_i|s_i) - beta H(pi(.|s_i)) ) over rows of logits (rows x n),
 * and its gradient wrt the logits written into `grad` (masked entries stay 0):
 *   d/dz_j of -A log p_a = -A (1[j=a] - p_j);   d/dz_j of -beta H = beta p_j (log p_j + H).
 * `stats`, when given, receives the two parts: the mean of -A log pi and the mean entropy.
 */
export function policyLossGrad(
  logits: ArrayLike<number>, mask: Uint8Array, act: Int32Array, adv: Float64Array, beta: number, rows: number, n: number,
  grad: Float32Array, scratch: Float64Array = new Float64Array(n), stats?: { policyLoss: number; entropy: number },
): number {
  const p = scratch;
  // Allowed actions of the row: the passes below walk this list (typically ~30% of the actions)
  // instead of branching on a random mask per action, which mispredicted on every pass.
  const idx = new Int32Array(n);
  let l = 0;
  let pl = 0;
  let hs = 0;
  for (let i = 0; i < rows; i++) {
    // maskedSoftmax inlined, with log p_j = (z_j - max) - log(sum): one Math.log per row instead of
    // two per allowed action (Math.log is ~25 ns in V8). Same sums in the same order otherwise.
    const off = i * n;
    let cnt = 0;
    for (let j = 0; j < n; j++) {
      idx[cnt] = j;
      cnt += mask[off + j] ? 1 : 0;
    }
    let max = -Infinity;
    for (let t = 0; t < cnt; t++) {
      const v = logits[off + idx[t]!] as number;
      if (v > max) max = v;
    }
    const ai = act[i]!;
    const Ai = adv[i]!;
    if (max === -Infinity) {
      // Nothing allowed: p = 0 everywhere, H = 0, no gradient.
      l += -Ai * Math.log(1e-30);
      pl += -Ai * Math.log(1e-30);
      continue;
    }
    p.fill(0, 0, n);
    let z = 0;
    for (let t = 0; t < cnt; t++) {
      const j = idx[t]!;
      const e = Math.exp((logits[off + j] as number) - max);
      p[j] = e;
      z += e;
    }
    const logZ = Math.log(z);
    let h = 0;
    for (let t = 0; t < cnt; t++) {
      const j = idx[t]!;
      const pj = p[j]! / z;
      p[j] = pj;
      if (pj > 0) h -= pj * ((logits[off + j] as number) - max - logZ);
    }
    const lp = -Ai * Math.log(Math.max(p[ai]!, 1e-30));
    l += lp - beta * h;
    pl += lp;
    hs += h;
    for (let t = 0; t < cnt; t++) {
      const j = idx[t]!;
      const pj = p[j]!;
      if (pj <= 0) continue;
      const logp = (logits[off + j] as number) - max - logZ;
      grad[off + j] = (-Ai * ((j === ai ? 1 : 0) - pj) + beta * pj * (logp + h)) / rows;
    }
  }
  if (stats) {
    stats.policyLoss = pl / rows;
    stats.entropy = hs / rows;
  }
  return l / rows;
}

// ------------------------------------------------------------------------------- the agent

export class PgAttacker implements LearningAttacker {
  readonly kind = 'pg';
  mode: LearnerMode = 'train';
  sink: ((t: Transition) => void) | null = null;
  onScalar: ScalarLog | null = null;
  readonly obsSize: number;
  readonly nActions: number;
  readonly config: Readonly<PgConfig>;
  readonly counters: TrainingCounters = freshCounters();

  private readonly policy: Mlp;
  private readonly value: Mlp;
  private readonly policyTrainer: MlpTrainer;
  private readonly valueTrainer: MlpTrainer;
  private actRng: Rng;
  private readonly collector: TransitionCollector;
  private readonly probs: Float64Array;
  /** Decisions of the episode in progress, and finished episodes waiting for an update. */
  private current: Transition[] = [];
  private finished: Transition[][] = [];
  /** Undiscounted return of the episode in progress so far (for the episode_return scalar). */
  private episodeReturn = 0;

  constructor(opts: PgOptions) {
    const { obsSize, nActions, ...rest } = opts;
    this.config = validatePgConfig({ ...PG_DEFAULTS, ...rest });
    this.obsSize = obsSize;
    this.nActions = nActions;
    const c = this.config;
    const rng = new Rng(c.seed);
    this.policy = Mlp.create({ inputDim: obsSize, hidden: c.hidden, outputDim: nActions, seed: rng.split('policy') });
    this.value = Mlp.create({ inputDim: obsSize, hidden: c.valueHidden, outputDim: 1, seed: rng.split('value') });
    this.policyTrainer = new MlpTrainer(this.policy, { learningRate: c.learningRate, clipNorm: c.maxGradNorm });
    this.valueTrainer = new MlpTrainer(this.value, { learningRate: c.valueLearningRate, clipNorm: c.maxGradNorm });
    this.actRng = rng.split('act');
    this.collector = new TransitionCollector(obsSize, nActions);
    this.probs = new Float64Array(nActions);
  }

  // ---- acting

  reset(ctx: { env: MaskSource; agent: string; seed: number }): void {
    // Sampling is reseeded per episode, so its state never crosses an episode (or a checkpoint).
    this.actRng = new Rng(hash32(this.config.seed, ctx.seed)).split('act');
    this.collector.reset(ctx.env);
    this.current = [];
    this.episodeReturn = 0;
  }

  /** Action probabilities for one observation under a mask. */
  actionProbs(x: Float32Array, mask: Uint8Array): Float64Array {
    const logits = this.policy.forward(x, 1);
    const p = new Float64Array(this.nActions);
    maskedSoftmax(logits, 0, mask, 0, this.nActions, p);
    return p;
  }

  /** State value V(s) of the baseline. */
  stateValue(x: Float32Array): number {
    return this.value.forward(x, 1)[0]!;
  }

  act(obs: Observation, ctx: ActContext | { mask: Uint8Array }): Action {
    const x = attackerVector(obs, this.obsSize);
    const mask = ctx.mask;
    const logits = this.policy.forward(x, 1);
    let a: number;
    if (this.mode === 'eval' && !this.config.evalSample) a = maskedArgmax(logits, mask);
    else {
      maskedSoftmax(logits, 0, mask, 0, this.nActions, this.probs);
      a = -1;
      let u = this.actRng.next();
      let lastAllowed = -1;
      for (let j = 0; j < this.nActions; j++) {
        if (!mask[j]) continue;
        lastAllowed = j;
        u -= this.probs[j]!;
        if (u < 0) {
          a = j;
          break;
        }
      }
      if (a < 0) a = lastAllowed; // rounding left u just above 0
    }
    if (this.mode === 'train') this.collector.onAct(x, mask, a < 0 ? 0 : a);
    return safeAction(a);
  }

  // ---- collecting

  observe(result: StepResult, agent: string): void {
    if (this.mode !== 'train') return;
    const t = this.collector.onStep(result, agent);
    if (t === null) return;
    if (this.sink !== null) this.sink(t);
    else this.addTransition(t);
    if (t.done) this.collector.reset(null);
  }

  /** One decision's transition, in episode order; a finished episode joins the batch, then the schedule. */
  addTransition(t: Transition): void {
    this.current.push(t);
    this.counters.envSteps++;
    this.episodeReturn += t.reward;
    if (!t.done) return;
    this.counters.episodes++;
    this.onScalar?.('episode_return', this.counters.episodes, this.episodeReturn);
    this.episodeReturn = 0;
    this.finished.push(this.current);
    this.current = [];
    // The update schedule.
    if (this.finished.length >= this.config.episodesPerUpdate) this.trainStep();
  }

  // ---- learning

  /** Discounted returns of one episode, by simulated time. */
  returns(ep: readonly Transition[]): Float32Array {
    const c = this.config;
    const g = new Float32Array(ep.length);
    let next = 0;
    for (let i = ep.length - 1; i >= 0; i--) {
      const t = ep[i]!;
      next = t.reward * c.rewardScale + (t.done ? 0 : discount(c.gamma, t.elapsed, c.timeUnit) * next);
      g[i] = next;
    }
    return g;
  }

  /** One policy + value update on every finished episode; null when none has finished. */
  trainStep(): number | null {
    if (this.mode !== 'train' || this.finished.length === 0) return null;
    const c = this.config;
    const S = this.obsSize;
    const A = this.nActions;
    const eps = this.finished;
    this.finished = [];
    const N = eps.reduce((n, e) => n + e.length, 0);
    const X = new Float32Array(N * S);
    const M = new Uint8Array(N * A);
    const act = new Int32Array(N);
    const G = new Float32Array(N);
    let r = 0;
    for (const ep of eps) {
      const g = this.returns(ep);
      ep.forEach((t, i) => {
        X.set(t.obs, r * S);
        M.set(t.mask, r * A);
        act[r] = t.action;
        G[r] = g[i]!;
        r++;
      });
    }
    // The value step's forward pass gives V(s) before the baseline moves: advantages come from it,
    // which saves a separate forward over the batch.
    const adv = new Float64Array(N);
    const valueLoss = this.valueTrainer.step(X, N, (v, grad) => {
      let l = 0;
      for (let i = 0; i < N; i++) {
        const e = v[i]! - G[i]!;
        adv[i] = -e;
        l += 0.5 * e * e;
        grad[i] = e / N;
      }
      return l / N;
    });
    if (c.normalizeAdvantages && N > 1) {
      let mean = 0;
      for (let i = 0; i < N; i++) mean += adv[i]!;
      mean /= N;
      let v = 0;
      for (let i = 0; i < N; i++) v += (adv[i]! - mean) ** 2;
      const sd = Math.sqrt(v / N) + 1e-8;
      for (let i = 0; i < N; i++) adv[i] = (adv[i]! - mean) / sd;
    }
    const stats = { policyLoss: 0, entropy: 0 };
    const loss = this.policyTrainer.step(X, N, (logits, grad) => policyLossGrad(logits, M, act, adv, c.entropyCoef, N, A, grad, this.probs, stats));
    const step = ++this.counters.gradientSteps;
    this.onScalar?.('policy_loss', step, stats.policyLoss);
    this.onScalar?.('entropy', step, stats.entropy);
    this.onScalar?.('value_loss', step, valueLoss);
    if (Number.isFinite(this.policyTrainer.lastGradNorm)) this.onScalar?.('grad_norm', step, this.policyTrainer.lastGradNorm);
    return loss;
  }

  // ---- weights, rollouts, persistence

  /** Policy-network weights (all a rollout worker needs to act). */
  getWeights(): Float32Array {
    return this.policy.getWeights().data;
  }

  setWeights(w: Float32Array): void {
    this.policy.setWeights(w);
  }

  spec(): LearnerSpec {
    return { kind: 'pg', obsSize: this.obsSize, nActions: this.nActions, hyperparameters: { ...this.config } };
  }

  explorationState(): number {
    return 0;
  }

  setExplorationState(): void {
    // The policy's own stochasticity is its exploration; nothing to ship.
  }

  /** Both optimizers' moments, the finished episodes waiting for an update and the episode in progress. */
  trainingState(): TrainingState {
    const pa = this.policyTrainer.state();
    const va = this.valueTrainer.state();
    const S = this.obsSize;
    const A = this.nActions;
    return {
      state: { policyAdam: { t: pa.t }, valueAdam: { t: va.t }, finished: this.finished.map((e) => e.length), current: this.current.length, episodeReturn: this.episodeReturn },
      arrays: {
        'policyAdam.m': pa.m, 'policyAdam.v': pa.v, 'valueAdam.m': va.m, 'valueAdam.v': va.v,
        ...transitionArrays('finished', this.finished.flat(), S, A),
        ...transitionArrays('current', this.current, S, A),
      },
    };
  }

  restoreTrainingState(ts: TrainingState, source: string): void {
    const s = parseLearnerState(source, pgTrainingStateSchema, ts.state);
    const f32 = (name: string): Float32Array => stateF32(ts, name, source);
    this.policyTrainer.setState({ t: s.policyAdam.t, m: f32('policyAdam.m'), v: f32('policyAdam.v') });
    this.valueTrainer.setState({ t: s.valueAdam.t, m: f32('valueAdam.m'), v: f32('valueAdam.v') });
    const all = transitionsFromArrays('finished', ts.arrays, s.finished.reduce((a, b) => a + b, 0), this.obsSize, this.nActions, source);
    this.finished = s.finished.map((len) => all.splice(0, len));
    this.current = transitionsFromArrays('current', ts.arrays, s.current, this.obsSize, this.nActions, source);
    this.episodeReturn = s.episodeReturn;
  }

  /** Saves the policy net in `dir` (model.json + weights.bin), the baseline in `dir/value/`, and agent.json; with `training`, the training state too. */
  async save(dir: string, opts: { training?: boolean } = {}): Promise<void> {
    await saveAgent(dir, [{ sub: '', net: this.policy }, { sub: 'value', net: this.value }], {
      kind: 'pg', obsSize: this.obsSize, nActions: this.nActions, hyperparameters: { ...this.config }, counters: { ...this.counters },
    }, opts.training ? this : null);
  }

  /** Loads an agent saved by save() (in eval mode); refuses another kind, a newer format, other sizes. */
  static async load(dir: string, opts: LoadAgentOptions = {}): Promise<PgAttacker> {
    return loadAgent(dir, 'pg', PG_DEFAULTS, PG_OFF, opts, [{ sub: '', outputs: 'actions' }, { sub: 'value', outputs: 1 }], (hp, m, [policy, value]) => {
      const agent = new PgAttacker({ ...hp, obsSize: m.obsSize, nActions: m.nActions });
      agent.setWeights(policy!.data);
      agent.value.setWeights(value!);
      return agent;
    });
  }
}

function validatePgConfig(c: PgConfig): PgConfig {
  for (const k of ['learningRate', 'valueLearningRate', 'timeUnit', 'maxGradNorm'] as const) {
    if (typeof c[k] !== 'number' || !(c[k] > 0)) throw new RangeError(`pg: ${k} must be a positive number, got ${String(c[k])}`);
  }
  if (!(Number.isInteger(c.episodesPerUpdate) && c.episodesPerUpdate >= 1)) throw new RangeError(`pg: episodesPerUpdate must be a whole number >= 1, got ${c.episodesPerUpdate}`);
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw new RangeError(`pg: gamma must be in [0, 1], got ${c.gamma}`);
  if (!(c.entropyCoef >= 0)) throw new RangeError(`pg: entropyCoef must be >= 0, got ${c.entropyCoef}`);
  for (const k of ['hidden', 'valueHidden'] as const) {
    if (!c[k].every((h) => Number.isInteger(h) && h > 0)) throw new RangeError(`pg: ${k} must be positive integers, got ${JSON.stringify(c[k])}`);
  }
  return { ...c, hidden: [...c.hidden], valueHidden: [...c.valueHidden] };
}
