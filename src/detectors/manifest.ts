/**
 * The model manifest (`manifest.json` of a model directory), as one zod schema: what the detector is,
 * how to build its inputs (feature schema and normaliser; for CSV-trained models, how to read later
 * files), its thresholds and how they were set, how it was trained and validated, what training warned
 * about, and the sha256 of every model file. `manifest.sha256` covers the manifest itself (model-dir.ts).
 */
import { z } from 'zod';

/** 2: target-FPR thresholds, ensemble decision, warnings, benign profile, manifest checksum. */
export const MODEL_FORMAT = 2;

const finite = z.number();
const share = z.number().min(0).max(1);

/** Feature names in order, the transform and its fitted statistics (features.ts applies them). */
export const FeatureSchemaSchema = z
  .strictObject({
    names: z.array(z.string()).min(1, 'expected a non-empty list of feature names'),
    transform: z.literal('slog1p-zscore'),
    mean: z.array(finite),
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
  multiClass: z.boolean().optional(),
});

// JSON has no NaN: an undefined rate (no positives, no rows) is written as null.
const rate = share.nullable();
const count = z.number().min(0);

export const DetectionScoresSchema = z.strictObject({
  rows: count,
  tp: count,
  fp: count,
  fn: count,
  tn: count,
  precision: rate,
  recall: rate,
  f1: rate,
  fpr: rate,
});

export const DecisionSchema = z.strictObject({
  choice: z.string(),
  reason: z.string(),
  candidates: z.record(z.string(), z.strictObject({ validationF1: share, crossValidatedF1: share })),
});

export const DetectorManifestSchema = z.strictObject({
  format: z.literal(MODEL_FORMAT),
  kind: z.string().min(1),
  cyrange: z.string(),
  createdAt: z.string(),
  seed: z.int().min(0).max(2 ** 32 - 1),
  featureSchema: FeatureSchemaSchema,
  /** Mean and standard deviation of each normalised feature over the benign training rows (for shift warnings). */
  benignProfile: z.strictObject({ mean: z.array(finite), std: z.array(z.number().min(0)) }).optional(),
  dataSchema: DataSchemaSchema.optional(),
  classNames: z.array(z.string()).min(2, 'expected at least two class names'),
  /** Rows per label value in the training files (CSV-trained models). */
  trainingLabels: z.record(z.string(), count).optional(),
  thresholds: z.record(z.string(), z.number().positive()),
  targetFpr: z.number().gt(0).max(0.5),
  scoreRule: z.string(),
  training: z.record(z.string(), z.unknown()),
  validation: DetectionScoresSchema,
  members: z.record(z.string(), DetectionScoresSchema).optional(),
  decision: DecisionSchema.optional(),
  warnings: z.array(z.string()),
  packages: z.record(z.string(), z.string()),
  tfBackend: z.string().optional(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex')),
});

export type DetectorManifest = z.infer<typeof DetectorManifestSchema>;
