/**
 * The random forest's options: one zod schema for what a caller passes to `RandomForest.fit` (every
 * field optional, defaults below) and for what `forest.json` stores (every field present, resolved).
 * Defaults follow scikit-learn's RandomForestClassifier where it has the same knob (trees grown to purity
 * by default is the exception: see `maxDepth`).
 */
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { describeIssue, jsonPath } from '../shared/schema-errors.js';

export type MaxFeatures = number | 'sqrt';
export type ClassWeight = 'balanced' | number[] | undefined;

const INT32_MAX = 2 ** 31 - 1;

/** The options that shape the model (stored in forest.json); `workers` is a runtime choice and is not stored. */
export const ForestOptionsSchema = z.strictObject({
  /** Number of trees. */
  nTrees: z.int().min(1).max(100_000),
  /** Maximum tree depth; the root is depth 0. */
  maxDepth: z.int().min(1).max(10_000),
  /** Minimum bootstrap draws in each leaf. */
  minSamplesLeaf: z.int().min(1).max(INT32_MAX),
  /** Minimum bootstrap draws in a node to try splitting it. */
  minSamplesSplit: z.int().min(2).max(INT32_MAX),
  /** Features examined per split: a fraction in (0, 1] of the columns, or 'sqrt'. */
  maxFeatures: z.union([z.literal('sqrt'), z.number().gt(0).lte(1)], { error: "expected a fraction in (0, 1] or 'sqrt'" }),
  /** Histogram bins per feature, 2..256. */
  bins: z.int().min(2).max(256),
  /** Draw each tree's rows with replacement. */
  bootstrap: z.boolean(),
  /** Class weights for imbalanced data: 'balanced' = n / (nClasses * count(class)), or one weight per class. */
  classWeight: z.union([z.literal('balanced'), z.array(z.number().positive().finite()), z.null()], { error: "expected 'balanced', null or an array of positive weights" }),
  /** Seed of the forest. */
  seed: z.int().min(0).max(2 ** 32 - 1),
});

export type ResolvedForestOptions = z.infer<typeof ForestOptionsSchema>;

export const FOREST_DEFAULTS: ResolvedForestOptions = {
  nTrees: 100,
  maxDepth: 16,
  minSamplesLeaf: 1,
  minSamplesSplit: 2,
  maxFeatures: 'sqrt',
  bins: 64,
  bootstrap: true,
  classWeight: null,
  seed: 1,
};

/** What `RandomForest.fit` takes: any subset of the stored options, plus worker threads. */
export interface RandomForestOptions extends Partial<Omit<ResolvedForestOptions, 'classWeight'>> {
  classWeight?: ClassWeight | null;
  /** Piscina worker threads for fitting; 0 or 1 fits in this thread (0). */
  workers?: number;
}

const FitOptionsSchema = ForestOptionsSchema.extend({ workers: z.int().min(0).max(1024) }).partial();

/** `where: options.<field>: <expected>` for the first problem of a failed parse. */
function optionsError(where: string, error: z.ZodError): CyrangeError {
  const issue = error.issues[0]!;
  return new CyrangeError(`${where}: ${jsonPath(['options', ...issue.path])}: ${describeIssue(issue)}`);
}

/** Per-class weights must match the number of classes. */
function checkClassWeight(cw: ResolvedForestOptions['classWeight'], nClasses: number, where: string): void {
  if (Array.isArray(cw) && cw.length !== nClasses) throw new CyrangeError(`${where}: options.classWeight: expected ${nClasses} positive finite numbers`);
}

/** Options for a fit: defaults filled in, every value checked. */
export function resolveOptions(opts: RandomForestOptions, nClasses: number, where: string): ResolvedForestOptions & { workers: number } {
  const parsed = FitOptionsSchema.safeParse(opts);
  if (!parsed.success) throw optionsError(where, parsed.error);
  const given = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<ResolvedForestOptions & { workers: number }>;
  const out = { ...FOREST_DEFAULTS, workers: 0, ...given };
  if (Array.isArray(out.classWeight)) out.classWeight = out.classWeight.slice();
  checkClassWeight(out.classWeight, nClasses, where);
  return out;
}

/** Options as stored in forest.json: every field present. */
export function storedOptions(value: unknown, nClasses: number, where: string): ResolvedForestOptions {
  const parsed = ForestOptionsSchema.safeParse(value);
  if (!parsed.success) throw optionsError(where, parsed.error);
  checkClassWeight(parsed.data.classWeight, nClasses, where);
  return parsed.data;
}

/** Features examined per split. */
export function featuresPerSplit(maxFeatures: MaxFeatures, nCols: number): number {
  const k = maxFeatures === 'sqrt' ? Math.floor(Math.sqrt(nCols)) : Math.floor(maxFeatures * nCols);
  return Math.min(nCols, Math.max(1, k));
}

/** Per-class weights; 'balanced' follows scikit-learn: n / (nClasses * count(class)), computed on all of y. */
export function classWeights(cw: ResolvedForestOptions['classWeight'], y: Int32Array, nClasses: number): Float64Array {
  const w = new Float64Array(nClasses).fill(1);
  if (cw === 'balanced') {
    const counts = new Float64Array(nClasses);
    for (let i = 0; i < y.length; i++) counts[y[i] as number]++;
    for (let c = 0; c < nClasses; c++) w[c] = (counts[c] as number) > 0 ? y.length / (nClasses * (counts[c] as number)) : 1;
  } else if (cw) {
    for (let c = 0; c < nClasses; c++) w[c] = cw[c] as number;
  }
  return w;
}
