/**
 * The model manifest (`manifest.json` of a model directory), as one zod schema: what the detector is,
 * how to build its inputs (feature schema and normaliser; for CSV-trained models, how to read later
 * files), its thresholds, how it was trained and validated, and the sha256 of every model file.
 */
import { z } from 'zod';

export const MODEL_FORMAT = 1;

/** Feature names in order, the transform and its fitted statistics (features.ts applies them). */
export const FeatureSchemaSchema = z
  .strictObject({
    names: z.array(z.string()).min(1, 'expected a non-empty list of feature names'),
    transform: z.literal('slog1p-zscore'),
    mean: z.array(z.number()),
    std: z.array(z.number().positive()),
  })
  .superRefine((s, ctx) => {
    for (const k of ['mean', 'std'] as const) {
      if (s[k].length !== s.names.length) ctx.addIssue({ code: 'custom', path: [k], message: `expected ${s.names.length} finite numbers` });
    }
  });

export type FeatureSchema = z.infer<typeof FeatureSchemaSchema>;

/** CSV-trained models: how later files are projected onto the model's features (datasets.ts). */
export const DataSchemaSchema = z.strictObject({
  featureNames: z.array(z.string()),
  encoding: z.strictObject({ columns: z.array(z.strictObject({ name: z.string(), categories: z.array(z.string()) })) }).optional(),
  classNames: z.array(z.string()).optional(),
  labelColumn: z.string().optional(),
  benign: z.string().optional(),
});

// JSON has no NaN: an undefined rate (no positives, no rows) is written as null.
const rate = z.number().nullable();

export const DetectionScoresSchema = z.strictObject({
  rows: z.number().min(0),
  tp: z.number().min(0),
  fp: z.number().min(0),
  fn: z.number().min(0),
  tn: z.number().min(0),
  precision: rate,
  recall: rate,
  f1: rate,
  fpr: rate,
});

export const DetectorManifestSchema = z.strictObject({
  format: z.int(),
  kind: z.string(),
  cyrange: z.string(),
  createdAt: z.string(),
  seed: z.int().min(0),
  featureSchema: FeatureSchemaSchema,
  dataSchema: DataSchemaSchema.optional(),
  classNames: z.array(z.string()).min(2, 'expected at least two class names'),
  thresholds: z.record(z.string(), z.number()),
  scoreRule: z.string(),
  training: z.record(z.string(), z.unknown()),
  validation: DetectionScoresSchema,
  packages: z.record(z.string(), z.string()),
  tfBackend: z.string().optional(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex')),
});

export type DetectorManifest = z.infer<typeof DetectorManifestSchema>;
