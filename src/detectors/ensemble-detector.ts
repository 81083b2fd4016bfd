/**
 * The `ensemble` detector kind: the forest and the autoencoder, each fitted and thresholded as alone, then
 * one of three decisions, chosen on the validation split so that the ensemble is never worse there than
 * its best member:
 *   rf           the forest alone;
 *   autoencoder  the autoencoder alone;
 *   stacked      a logistic model on both members' calibrated scores (stacker.ts): u1 = logit of the
 *                forest's P(attack) clipped to [1e-3, 1 - 1e-3], u2 = log(error / t_ae); alert when
 *                P(attack | u) / thresholds.stacked >= 1, with the threshold at max F1.
 * The stacked model is kept only when its cross-validated F1 on the validation rows (5 folds: fit and
 * threshold on four, score the fifth) beats the better member's (re-thresholded the same way) with 95 %
 * confidence (paired bootstrap over the rows; a gain within the noise of threshold choice is no gain) and
 * its F1 as deployed is at least the best member's; otherwise the better member (by validation F1) decides
 * alone. The manifest records the choice, the figures and the reason.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { Rng } from '../shared/prng.js';
import { schemaError } from '../shared/schema-errors.js';
import { scoreDetections } from '../shared/stats.js';
import { fitAutoencoder, loadAutoencoder, type AutoencoderModel } from './autoencoder-detector.js';
import { fitRf, loadRf, type RfModel } from './rf-detector.js';
import { fitLogistic, predictLogistic, sigmoid } from './stacker.js';
import { confusion, f1Of, fprThreshold, weightedMaxF1Threshold } from './thresholds.js';
import type { Decision, DetectorImpl, DetectorModel, FitResult, TrainSplit } from './detector-kind.js';

export const ENSEMBLE_FILE = 'ensemble.json';
/** Clip of the forest's probability before the logit: the forest's probabilities are often exactly 0 or 1. */
export const STACK_EPS = 1e-3;
/** Floor of error / t_ae before the log. */
export const STACK_FLOOR = 1e-6;
const FOLDS = 5;
/** Bootstrap resamples of the cross-validated predictions, for the gain's lower confidence bound. */
const BOOTSTRAP = 200;

export type EnsembleChoice = 'rf' | 'autoencoder' | 'stacked';

const EnsembleFileSchema = z.strictObject({
  version: z.literal(1),
  choice: z.enum(['rf', 'autoencoder', 'stacked']),
  /** Stacked: intercept, weight of u1, weight of u2. */
  weights: z.array(z.number()).length(3).optional(),
});

/** The stacker's inputs for rows with forest P(attack) `pa` and autoencoder errors `e`. */
export function stackInputs(pa: ArrayLike<number>, e: ArrayLike<number>, tAe: number): Float64Array {
  const U = new Float64Array(pa.length * 2);
  for (let i = 0; i < pa.length; i++) {
    const p = Math.min(1 - STACK_EPS, Math.max(STACK_EPS, pa[i]!));
    U[2 * i] = Math.log(p / (1 - p));
    U[2 * i + 1] = Math.log(Math.max(e[i]! / tAe, STACK_FLOOR));
  }
  return U;
}

export class EnsembleModel implements DetectorModel {
  constructor(
    readonly rf: RfModel,
    readonly ae: AutoencoderModel,
    readonly choice: EnsembleChoice,
    /** Stacked only: logistic weights and the threshold on its probability. */
    readonly stack: { weights: number[]; threshold: number } | null,
  ) {}

  get thresholds(): Record<string, number> {
    return { ...this.rf.thresholds, ...this.ae.thresholds, ...(this.stack ? { stacked: this.stack.threshold } : {}) };
  }

  get scoreRule(): string {
    if (this.choice === 'rf') return `forest alone: ${this.rf.scoreRule}`;
    if (this.choice === 'autoencoder') return `autoencoder alone: ${this.ae.scoreRule}`;
    const [w0, w1, w2] = this.stack!.weights;
    return `alert when sigmoid(${w0} + ${w1} * logit(clip(1 - P(benign), ${STACK_EPS})) + ${w2} * log(max(MSE / thresholds.autoencoder, ${STACK_FLOOR}))) / thresholds.stacked >= 1`;
  }

  scoreNormalized(X: Float32Array, nRows: number): Float32Array {
    if (this.choice === 'rf') return this.rf.scoreNormalized(X, nRows);
    if (this.choice === 'autoencoder') return this.ae.scoreNormalized(X, nRows);
    const U = stackInputs(this.rf.attackProbability(X, nRows), this.ae.errors(X, nRows), this.ae.threshold);
    const [w0, w1, w2] = this.stack!.weights as [number, number, number];
    const out = new Float32Array(nRows);
    for (let i = 0; i < nRows; i++) out[i] = sigmoid(w0 + w1 * U[2 * i]! + w2 * U[2 * i + 1]!) / this.stack!.threshold;
    return out;
  }

  classProbabilities(X: Float32Array, nRows: number): Float32Array {
    return this.rf.classProbabilities(X, nRows);
  }

  async save(dir: string): Promise<void> {
    await this.rf.save(dir);
    await this.ae.save(dir);
    const file = { version: 1, choice: this.choice, ...(this.stack ? { weights: this.stack.weights } : {}) };
    writeFileSync(join(dir, ENSEMBLE_FILE), `${JSON.stringify(file, null, 2)}\n`);
  }
}

const clampT = (t: number): number => (Number.isFinite(t) ? Math.min(0.95, Math.max(0.05, t)) : 0.5);

/** Rows of `idx`, picked out of a per-row array. */
const pickOf = <T extends number>(a: ArrayLike<T>, idx: readonly number[]): T[] => idx.map((i) => a[i]!);

/** The three candidates' rules fitted on rows `fit`, applied to rows `apply`: alerts per candidate. */
function candidatesOn(
  fit: number[],
  apply: number[],
  v: { pa: Float32Array; e: Float32Array; U: Float64Array; y: Uint8Array; w: Float32Array; weighted: boolean; targetFpr: number; tAe: number },
): Record<EnsembleChoice, Uint8Array> {
  const wf = pickOf(v.w, fit);
  const tRf = clampT(weightedMaxF1Threshold(pickOf(v.pa, fit), pickOf(v.y, fit), wf));
  const benign = fit.filter((i) => v.y[i] === 0);
  const tAe = benign.length > 0 ? fprThreshold(pickOf(v.e, benign), v.weighted ? pickOf(v.w, benign) : undefined, v.targetFpr).threshold : v.tAe;
  const lr = fitLogistic(v.U, 2, v.y, v.w, fit);
  const pFit = fit.map((i) => sigmoid(lr.weights[0]! + lr.weights[1]! * v.U[2 * i]! + lr.weights[2]! * v.U[2 * i + 1]!));
  const tSt = clampT(weightedMaxF1Threshold(pFit, pickOf(v.y, fit), wf));
  const out = { rf: new Uint8Array(apply.length), autoencoder: new Uint8Array(apply.length), stacked: new Uint8Array(apply.length) };
  apply.forEach((i, k) => {
    out.rf[k] = v.pa[i]! / tRf >= 1 ? 1 : 0;
    out.autoencoder[k] = v.e[i]! / tAe >= 1 ? 1 : 0;
    out.stacked[k] = sigmoid(lr.weights[0]! + lr.weights[1]! * v.U[2 * i]! + lr.weights[2]! * v.U[2 * i + 1]!) / tSt >= 1 ? 1 : 0;
  });
  return out;
}

const CHOICES: EnsembleChoice[] = ['rf', 'autoencoder', 'stacked'];

/**
 * One-sided 95 % lower bound of F1(a) - F1(b) over the same rows: the 5th percentile of the difference
 * over paired bootstrap resamples of the rows.
 */
function gainLowerBound(a: Uint8Array, b: Uint8Array, y: Uint8Array, w: Float32Array, rng: Rng): number {
  const n = y.length;
  if (n === 0) return -Infinity;
  const diffs: number[] = [];
  for (let r = 0; r < BOOTSTRAP; r++) {
    const ca = { tp: 0, fp: 0, fn: 0 };
    const cb = { tp: 0, fp: 0, fn: 0 };
    for (let k = 0; k < n; k++) {
      const i = rng.int(n);
      const wi = w[i]!;
      const add = (c: { tp: number; fp: number; fn: number }, p: number): void => {
        if (p > 0) {
          if (y[i]! > 0) c.tp += wi;
          else c.fp += wi;
        } else if (y[i]! > 0) c.fn += wi;
      };
      add(ca, a[i]!);
      add(cb, b[i]!);
    }
    diffs.push(f1Of(ca) - f1Of(cb));
  }
  diffs.sort((p, q) => p - q);
  return diffs[Math.floor(0.05 * BOOTSTRAP)]!;
}

/** The members' scores on the validation rows, what the decision is made from. */
export interface MemberScores {
  /** Forest P(attack) per row and its threshold. */
  pa: Float32Array;
  tRf: number;
  /** Autoencoder error per row and its threshold. */
  e: Float32Array;
  tAe: number;
  /** 1 for attack rows. */
  y: Uint8Array;
  /** Row weights (all 1 unless subsampled). */
  w: Float32Array;
  weighted: boolean;
  targetFpr: number;
  seed: number;
}

export interface EnsembleDecision extends Decision {
  choice: EnsembleChoice;
  /** The stacked model fitted on all validation rows (used when chosen). */
  stack: { weights: number[]; threshold: number };
  /** Alerts of each candidate as deployed, on the validation rows. */
  deployed: Record<EnsembleChoice, Uint8Array>;
}

/** Chooses between the forest, the autoencoder and their stacking (see the file header). */
export function decideEnsemble(m: MemberScores): EnsembleDecision {
  const { pa, e, y, w } = m;
  const n = y.length;
  const U = stackInputs(pa, e, m.tAe);
  const v = { pa, e, U, y, w, weighted: m.weighted, targetFpr: m.targetFpr, tAe: m.tAe };
  const all = Array.from({ length: n }, (_, i) => i);

  // As deployed: the stacker fitted on all validation rows; members keep their own thresholds.
  const lr = fitLogistic(U, 2, y, w, all);
  const pStack = predictLogistic(lr, U, 2, n);
  const tStack = clampT(weightedMaxF1Threshold(pStack, y, w));
  const deployed: Record<EnsembleChoice, Uint8Array> = {
    rf: Uint8Array.from(pa, (p) => (p / m.tRf >= 1 ? 1 : 0)),
    autoencoder: Uint8Array.from(e, (x) => (x / m.tAe >= 1 ? 1 : 0)),
    stacked: Uint8Array.from(pStack, (p) => (p / tStack >= 1 ? 1 : 0)),
  };

  // Cross-validated on the validation rows: 5 seeded folds.
  const foldOf = new Rng(m.seed).split('ensemble-folds').shuffle(all.map((i) => i % FOLDS));
  const cvPred = { rf: new Uint8Array(n), autoencoder: new Uint8Array(n), stacked: new Uint8Array(n) };
  for (let f = 0; f < FOLDS; f++) {
    const test = all.filter((i) => foldOf[i] === f);
    const fit = all.filter((i) => foldOf[i] !== f);
    if (test.length === 0 || fit.length === 0) continue;
    const preds = candidatesOn(fit, test, v);
    for (const c of CHOICES) test.forEach((i, k) => (cvPred[c][i] = preds[c][k]!));
  }
  const candidates = Object.fromEntries(
    CHOICES.map((c) => [c, { validationF1: f1Of(confusion(deployed[c], y, w)), crossValidatedF1: f1Of(confusion(cvPred[c], y, w)) }]),
  ) as Record<EnsembleChoice, { validationF1: number; crossValidatedF1: number }>;

  const f3 = (x: number): string => x.toFixed(3);
  let attackWeight = 0;
  for (let i = 0; i < n; i++) if (y[i]! > 0) attackWeight += w[i]!;
  const bestMember: EnsembleChoice = candidates.autoencoder.validationF1 > candidates.rf.validationF1 ? 'autoencoder' : 'rf';
  const cvMember: EnsembleChoice = candidates.autoencoder.crossValidatedF1 > candidates.rf.crossValidatedF1 ? 'autoencoder' : 'rf';
  const bestMemberCv = candidates[cvMember].crossValidatedF1;
  const gainLow = gainLowerBound(cvPred.stacked, cvPred[cvMember], y, w, new Rng(m.seed).split('ensemble-bootstrap'));
  let choice: EnsembleChoice;
  let reason: string;
  if (attackWeight === 0) {
    choice = 'rf';
    reason = 'the validation rows hold no attacks, so no combination can be judged: the forest alone';
  } else if (gainLow > 0 && candidates.stacked.validationF1 >= candidates[bestMember].validationF1) {
    choice = 'stacked';
    reason = `stacking helps: cross-validated F1 ${f3(candidates.stacked.crossValidatedF1)} against ${f3(bestMemberCv)} for the better member (gain at least ${f3(gainLow)} with 95 % confidence), validation F1 ${f3(candidates.stacked.validationF1)} against ${f3(candidates[bestMember].validationF1)}`;
  } else {
    choice = bestMember;
    reason = `${bestMember === 'rf' ? 'the forest' : 'the autoencoder'} alone: the stacked combination does not beat it (cross-validated F1 ${f3(candidates.stacked.crossValidatedF1)} against ${f3(bestMemberCv)}, no gain with 95 % confidence; validation F1 ${f3(candidates.stacked.validationF1)} against ${f3(candidates[bestMember].validationF1)})`;
  }
  return { choice, reason, candidates, stack: { weights: lr.weights, threshold: tStack }, deployed };
}

export async function fitEnsemble(s: TrainSplit): Promise<FitResult> {
  const rf = await fitRf(s);
  const { model: ae, warnings } = await fitAutoencoder(s);
  const va = s.validation;
  const w = s.weighted ? va.w : new Float32Array(va.nRows).fill(1);
  const pa = rf.attackProbability(va.X, va.nRows);
  const e = ae.errors(va.X, va.nRows);
  const d = decideEnsemble({ pa, tRf: rf.threshold, e, tAe: ae.threshold, y: s.validationAttack, w, weighted: s.weighted, targetFpr: s.targetFpr, seed: s.seed });
  const sw = s.weighted ? va.w : undefined;
  const members = { rf: scoreDetections(d.deployed.rf, s.validationAttack, sw), autoencoder: scoreDetections(d.deployed.autoencoder, s.validationAttack, sw) };
  const model = new EnsembleModel(rf, ae, d.choice, d.choice === 'stacked' ? d.stack : null);
  return { model, warnings, members, decision: { choice: d.choice, reason: d.reason, candidates: d.candidates } };
}

/** Read the members and ensemble.json of a model directory. */
export async function loadEnsemble(dir: string, thresholds: Record<string, number>, where: string): Promise<EnsembleModel> {
  const f = join(dir, ENSEMBLE_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    throw new CyrangeError(`${f}: cannot read (${(e as Error).message.split('\n')[0]})`);
  }
  const parsed = EnsembleFileSchema.safeParse(json);
  if (!parsed.success) throw schemaError(f, parsed.error);
  const { choice, weights } = parsed.data;
  let stack: { weights: number[]; threshold: number } | null = null;
  if (choice === 'stacked') {
    const t = thresholds.stacked;
    if (typeof t !== 'number' || !(t > 0 && t < 1)) throw new CyrangeError(`${where}: thresholds.stacked: expected a probability in (0, 1)`);
    if (weights === undefined) throw new CyrangeError(`${f}: weights: expected 3 numbers for the stacked choice`);
    stack = { weights, threshold: t };
  }
  return new EnsembleModel(loadRf(dir, thresholds, where), await loadAutoencoder(dir, thresholds, where), choice, stack);
}

export const ensembleDetector: DetectorImpl = { fit: fitEnsemble, load: loadEnsemble };
