/**
 * The `ensemble` detector kind: the forest and the autoencoder, each fitted and thresholded as alone;
 * score max(P(attack) / t_rf, error / (2 t_ae)). The forest decides on the attacks it has seen; the
 * autoencoder adds an alert only for windows twice as anomalous as its own boundary, so novel attacks are
 * caught without the autoencoder's false positives on busy benign periods. (The factor 2 is fixed, not
 * tuned per scenario.)
 */
import { fitAutoencoder, loadAutoencoder, type AutoencoderModel } from './autoencoder-detector.js';
import { fitRf, loadRf, type RfModel } from './rf-detector.js';
import type { DetectorImpl, DetectorModel } from './detector-kind.js';

const ENSEMBLE_AE_FACTOR = 2;

export class EnsembleModel implements DetectorModel {
  readonly scoreRule = `alert when max((1 - P(benign)) / thresholds.rf, MSE / (${ENSEMBLE_AE_FACTOR} * thresholds.autoencoder)) >= 1`;
  constructor(
    readonly rf: RfModel,
    readonly ae: AutoencoderModel,
  ) {}

  get thresholds(): Record<string, number> {
    return { ...this.rf.thresholds, ...this.ae.thresholds };
  }

  scoreNormalized(X: Float32Array, nRows: number): Float32Array {
    const out = this.rf.scoreNormalized(X, nRows);
    const e = this.ae.errors(X, nRows);
    const t = this.ae.threshold;
    for (let i = 0; i < nRows; i++) out[i] = Math.max(out[i]!, e[i]! / (t * ENSEMBLE_AE_FACTOR));
    return out;
  }

  async save(dir: string): Promise<void> {
    await this.rf.save(dir);
    await this.ae.save(dir);
  }
}

export const ensembleDetector: DetectorImpl = {
  fit: async (s) => {
    const rf = await fitRf(s);
    const ae = await fitAutoencoder(s);
    return new EnsembleModel(rf, ae);
  },
  load: async (dir, thresholds, where) => new EnsembleModel(loadRf(dir, thresholds, where), await loadAutoencoder(dir, thresholds, where)),
};
