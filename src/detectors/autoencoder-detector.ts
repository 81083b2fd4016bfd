/**
 * The `autoencoder` detector kind: a dense autoencoder trained on benign training rows; score
 * reconstruction error / t_ae. t_ae is set for a target false-alarm rate: the weighted (1 - target)
 * quantile of the benign validation rows' errors, so the threshold does not depend on how many attacks the
 * validation split happens to hold (a max-F1 threshold on attack-heavy data alerts on everything).
 */
import { CyrangeError } from '../shared/errors.js';
import { Rng } from '../shared/prng.js';
import { Autoencoder } from './autoencoder.js';
import { fprThreshold } from './thresholds.js';
import type { DetectorImpl, DetectorModel, TrainSplit } from './detector-kind.js';

export class AutoencoderModel implements DetectorModel {
  readonly scoreRule = 'alert when reconstruction MSE / thresholds.autoencoder >= 1';
  constructor(readonly ae: Autoencoder) {}

  get threshold(): number {
    return this.ae.threshold;
  }

  get thresholds(): Record<string, number> {
    return { autoencoder: this.ae.threshold };
  }

  /** Reconstruction error per row. */
  errors(X: Float32Array, nRows: number): Float32Array {
    return this.ae.score(X, nRows);
  }

  scoreNormalized(X: Float32Array, nRows: number): Float32Array {
    const e = this.ae.score(X, nRows);
    const t = this.ae.threshold;
    const out = new Float32Array(nRows);
    for (let i = 0; i < nRows; i++) out[i] = Math.max(0, e[i]! / t);
    return out;
  }

  async save(dir: string): Promise<void> {
    await this.ae.save(dir);
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)} %`;

/** Fit on benign training rows (at most `aeMaxRows`) and set the threshold for the target false-alarm rate. */
export async function fitAutoencoder(s: TrainSplit): Promise<{ model: AutoencoderModel; warnings: string[] }> {
  const { train: tr, validation: va, nCols: d, seed, opts, targetFpr } = s;
  const benign: number[] = [];
  for (let i = 0; i < tr.nRows; i++) if (tr.y[i] === 0) benign.push(i);
  const cap = opts.aeMaxRows ?? 20000;
  const pick = benign.length > cap ? new Rng(seed).split('ae-rows').shuffle([...benign]).slice(0, cap) : benign;
  const Xb = new Float32Array(pick.length * d);
  pick.forEach((r, i) => Xb.set(tr.X.subarray(r * d, (r + 1) * d), i * d));
  const ae = await Autoencoder.fit(Xb, pick.length, d, { epochs: 15, seed, ...opts.ae });
  const warnings: string[] = [];
  const valErr = ae.score(va.X, va.nRows);
  const vb: number[] = [];
  for (let i = 0; i < va.nRows; i++) if (va.y[i] === 0) vb.push(i);
  const vbErr = vb.map((i) => valErr[i]!);
  const vbW = vb.map((i) => va.w[i]!);
  let { threshold, enough } = fprThreshold(vbErr, s.weighted ? vbW : undefined, targetFpr);
  if (!enough) {
    // Too few benign validation rows for the quantile: add the benign training rows' errors. They run
    // lower than unseen rows' (the autoencoder learned them), so the false-alarm rate will be higher.
    const trErr = Array.from(ae.score(Xb, pick.length));
    const pool = [...vbErr, ...trErr];
    const poolW = s.weighted ? [...vbW, ...pick.map((r) => tr.w[r]!)] : undefined;
    ({ threshold } = fprThreshold(pool, poolW, targetFpr));
    warnings.push(
      `autoencoder: validation has ${vb.length} benign rows, too few to set a threshold at ${pct(targetFpr)} false alarms (needs ${Math.ceil(1 / targetFpr)}); threshold set from benign training and validation errors together, which underestimates false alarms`,
    );
  }
  if (!(threshold > 0) || !Number.isFinite(threshold)) threshold = Number.MIN_VALUE;
  ae.threshold = threshold;
  return { model: new AutoencoderModel(ae), warnings };
}

/** Read the autoencoder files of a model directory. */
export async function loadAutoencoder(dir: string, thresholds: Record<string, number>, where: string): Promise<AutoencoderModel> {
  const t = thresholds.autoencoder;
  if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t)) throw new CyrangeError(`${where}: thresholds.autoencoder: expected a positive number`);
  const ae = await Autoencoder.load(dir);
  ae.threshold = t;
  return new AutoencoderModel(ae);
}

export const autoencoderDetector: DetectorImpl = { fit: fitAutoencoder, load: loadAutoencoder };
