/**
 * The `rf` detector kind: a random forest on all labelled rows; score (1 - P(benign)) / t_rf, with t_rf
 * the weighted max-F1 threshold on the validation split (kept within [0.05, 0.95]).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { RandomForest } from './random-forest.js';
import { classMeanWeights, weightedMaxF1Threshold } from './thresholds.js';
import type { DetectorImpl, DetectorModel, TrainSplit } from './detector-kind.js';

export const FOREST_FILE = 'forest.json';

/**
 * The forest settings of the detector (`defenders train --kind rf`, the ensemble's forest; other options
 * are RandomForest's defaults: sqrt features per split, 64 bins, bootstrap). 100 trees grown nearly to
 * purity, as scikit-learn's default forest: on bench/rf-defaults.bench.mjs's task, 50 trees of depth 14
 * lost 0.008 F1 to scikit-learn's default and 100 of depth 40 lost none (README "Benchmarks"); depth 40
 * is a cap that real trees rarely reach, not a regulariser.
 */
export const RF_DETECTOR_DEFAULTS = { nTrees: 100, maxDepth: 40 } as const;

export class RfModel implements DetectorModel {
  readonly scoreRule = 'alert when (1 - P(benign)) / thresholds.rf >= 1';
  constructor(
    readonly forest: RandomForest,
    readonly threshold: number,
  ) {}

  get thresholds(): Record<string, number> {
    return { rf: this.threshold };
  }

  /** P(attack) = 1 - P(benign) per row. */
  attackProbability(X: Float32Array, nRows: number): Float32Array {
    const p = this.forest.predictProba(X, nRows);
    const k = this.forest.nClasses;
    const out = new Float32Array(nRows);
    for (let i = 0; i < nRows; i++) out[i] = 1 - p[i * k]!;
    return out;
  }

  scoreNormalized(X: Float32Array, nRows: number): Float32Array {
    const out = new Float32Array(nRows);
    const p = this.forest.predictProba(X, nRows);
    const k = this.forest.nClasses;
    const t = this.threshold;
    for (let i = 0; i < nRows; i++) out[i] = (1 - p[i * k]!) / t;
    return out;
  }

  classProbabilities(X: Float32Array, nRows: number): Float32Array {
    return this.forest.predictProba(X, nRows);
  }

  async save(dir: string): Promise<void> {
    writeFileSync(join(dir, FOREST_FILE), JSON.stringify(this.forest.toJSON()));
  }
}

/** Fit the forest and choose its threshold on the validation split. */
export async function fitRf(s: TrainSplit): Promise<RfModel> {
  const { train: tr, validation: va, nCols: d } = s;
  const k = s.classNames.length;
  // With subsampled benign rows, weight classes back to their true shares (mean row weight per class).
  const classWeight = s.weighted ? classMeanWeights(tr.y, tr.w, k) : 'balanced';
  const rf = await RandomForest.fit(tr.X, tr.nRows, d, tr.y, k, { ...RF_DETECTOR_DEFAULTS, classWeight, seed: s.seed, workers: 2, ...s.opts.rf });
  const model = new RfModel(rf, 0.5);
  const t = weightedMaxF1Threshold(model.attackProbability(va.X, va.nRows), s.validationAttack, va.w);
  return new RfModel(rf, Number.isFinite(t) ? Math.min(0.95, Math.max(0.05, t)) : 0.5);
}

/** Read forest.json of a model directory. */
export function loadRf(dir: string, thresholds: Record<string, number>, where: string): RfModel {
  const t = thresholds.rf;
  if (typeof t !== 'number' || !(t > 0 && t < 1)) throw new CyrangeError(`${where}: thresholds.rf: expected a probability in (0, 1)`);
  const f = join(dir, FOREST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    throw new CyrangeError(`${f}: cannot read the forest (${(e as Error).message.split('\n')[0]})`);
  }
  return new RfModel(RandomForest.fromJSON(json, f), t);
}

export const rfDetector: DetectorImpl = {
  fit: async (s) => ({ model: await fitRf(s), warnings: [] }),
  load: async (dir, thresholds, where) => loadRf(dir, thresholds, where),
};
