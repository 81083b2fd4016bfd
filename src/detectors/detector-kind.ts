/**
 * What a detector kind provides (the contract behind `registerDetector`): fitting on a normalised
 * train/validation split, scoring normalised rows, writing and reading its own model files. The Detector
 * class (detector.ts) does the rest: the split, the normaliser, validation scores, warnings and the model
 * directory.
 */
import type { DetectionScores } from '../shared/stats.js';
import type { RandomForestOptions } from './random-forest.js';
import type { AutoencoderOptions } from './autoencoder.js';

export interface DetectorTrainOptions {
  seed?: number;
  /** Share of rows held out for validation (0.2). */
  validationShare?: number;
  /** False-alarm rate that thresholds set on benign rows aim at (DEFAULT_TARGET_FPR, thresholds.ts says why). */
  targetFpr?: number;
  rf?: RandomForestOptions;
  ae?: Partial<AutoencoderOptions>;
  /** Cap on benign rows the autoencoder trains on (20,000). */
  aeMaxRows?: number;
}

/** Normalised rows of one side of the split, with labels (0 benign) and row weights (1 unless subsampled). */
export interface SplitRows {
  X: Float32Array;
  nRows: number;
  y: Int32Array;
  w: Float32Array;
}

export interface TrainSplit {
  nCols: number;
  classNames: string[];
  train: SplitRows;
  validation: SplitRows;
  /** Validation labels as benign (0) / attack (1). */
  validationAttack: Uint8Array;
  /** Whether the rows carry weights (subsampled benign rows), not all 1. */
  weighted: boolean;
  seed: number;
  targetFpr: number;
  opts: DetectorTrainOptions;
}

/** A fitted model of one kind. Scores are normalised so that >= 1 means alert. */
export interface DetectorModel {
  /** Decision thresholds, stored in the manifest. */
  readonly thresholds: Record<string, number>;
  /** The score rule in words, stored in the manifest. */
  readonly scoreRule: string;
  /** Alert scores for normalised rows in schema order. */
  scoreNormalized(X: Float32Array, nRows: number): Float32Array;
  /** Class probabilities (nRows x nClasses, class 0 benign), for models that tell attack classes apart. */
  classProbabilities?(X: Float32Array, nRows: number): Float32Array;
  /** Writes the model's files into `dir` (a fresh directory; the manifest is written after). */
  save(dir: string): Promise<void>;
}

/** What a combining kind decided, and why (stored in the manifest). */
export interface Decision {
  choice: string;
  reason: string;
  /** Per candidate: validation F1 as deployed, and cross-validated F1 on the validation rows. */
  candidates: Record<string, { validationF1: number; crossValidatedF1: number }>;
}

export interface FitResult {
  model: DetectorModel;
  /** Problems a user should know about (also written to the manifest). */
  warnings: string[];
  /** Validation scores of each member of a combining kind. */
  members?: Record<string, DetectionScores>;
  decision?: Decision;
}

export interface DetectorImpl {
  fit(split: TrainSplit): Promise<FitResult>;
  /** Reads the model files of `dir`; `thresholds` come from the verified manifest, `where` names it. */
  load(dir: string, thresholds: Record<string, number>, where: string): Promise<DetectorModel>;
}
