/**
 * The `autoencoder` detector kind: a dense autoencoder trained on benign training rows; score
 * reconstruction error / t_ae, with t_ae the weighted max-F1 threshold on the validation split (default)
 * or a configured quantile of the benign training errors.
 */
import { CyrangeError } from '../shared/errors.js';
import { Rng } from '../shared/prng.js';
import { Autoencoder, quantile } from './autoencoder.js';
import { weightedMaxF1Threshold } from './thresholds.js';
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

/** Fit on benign training rows (at most `aeMaxRows`) and set the threshold. */
export async function fitAutoencoder(s: TrainSplit): Promise<AutoencoderModel> {
  const { train: tr, validation: va, nCols: d, seed, opts } = s;
  const benign: number[] = [];
  for (let i = 0; i < tr.nRows; i++) if (tr.y[i] === 0) benign.push(i);
  const cap = opts.aeMaxRows ?? 20000;
  const pick = benign.length > cap ? new Rng(seed).split('ae-rows').shuffle([...benign]).slice(0, cap) : benign;
  const Xb = new Float32Array(pick.length * d);
  pick.forEach((r, i) => Xb.set(tr.X.subarray(r * d, (r + 1) * d), i * d));
  const ae = await Autoencoder.fit(Xb, pick.length, d, { epochs: 15, seed, ...opts.ae });
  const mode = opts.aeThreshold ?? 'validation';
  let t: number;
  if (mode === 'validation') {
    const v = weightedMaxF1Threshold(ae.score(va.X, va.nRows), s.validationAttack, va.w);
    t = Number.isFinite(v) && v > 0 ? v : quantile(ae.score(Xb, pick.length), 0.995);
  } else t = quantile(ae.score(Xb, pick.length), mode);
  ae.threshold = t;
  return new AutoencoderModel(ae);
}

/** Read the autoencoder files of a model directory. */
export async function loadAutoencoder(dir: string, thresholds: Record<string, number>, where: string): Promise<AutoencoderModel> {
  const t = thresholds.autoencoder;
  if (typeof t !== 'number' || !(t > 0)) throw new CyrangeError(`${where}: thresholds.autoencoder: expected a positive number`);
  const ae = await Autoencoder.load(dir);
  ae.threshold = t;
  return new AutoencoderModel(ae);
}

export const autoencoderDetector: DetectorImpl = { fit: fitAutoencoder, load: loadAutoencoder };
