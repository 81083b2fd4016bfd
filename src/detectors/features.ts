/**
 * Feature schema and normaliser shared by training, scoring and export. A model stores its schema
 * (feature names in order, the transform and its fitted statistics) so any later scoring, in this
 * process or another, builds exactly the same inputs.
 *
 * Transform: signed log1p (flow counts and byte totals are heavy-tailed over orders of magnitude), then
 * a z-score with the training mean and standard deviation.
 */
import type { FeatureSchema } from './manifest.js';

export type { FeatureSchema } from './manifest.js';

const slog = (x: number): number => (x >= 0 ? Math.log1p(x) : -Math.log1p(-x));

export function fitSchema(names: readonly string[], X: Float32Array, nRows: number): FeatureSchema {
  const d = names.length;
  if (X.length !== nRows * d) throw new RangeError(`fitSchema: X has ${X.length} values, expected ${nRows} x ${d}`);
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < d; j++) {
      const v = slog(X[i * d + j]!);
      mean[j]! += v;
      sq[j]! += v * v;
    }
  }
  const std: number[] = [];
  for (let j = 0; j < d; j++) {
    mean[j]! /= Math.max(1, nRows);
    const v = sq[j]! / Math.max(1, nRows) - mean[j]! ** 2;
    std.push(v > 1e-12 ? Math.sqrt(v) : 1);
  }
  return { names: [...names], transform: 'slog1p-zscore', mean: Array.from(mean), std };
}

/** Normalised copy of X (rows in schema order). */
export function normalize(schema: FeatureSchema, X: Float32Array, nRows: number): Float32Array {
  const d = schema.names.length;
  const out = new Float32Array(nRows * d);
  const { mean, std } = schema;
  for (let i = 0; i < nRows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) out[o + j] = (slog(X[o + j]!) - mean[j]!) / std[j]!;
  }
  return out;
}
