/**
 * The on-disk formats of a `cyrange train` run directory, each a zod schema, in one place:
 *
 *   run.json          the run's settings (checked on --resume; rounds may grow)
 *   rounds.jsonl      one round record per line
 *   scalars.jsonl     training scalars, one per line (schema in scalars.ts)
 *   checkpoint/       the last complete round, replaced atomically:
 *     state.json        which round, and the shape of the telemetry files
 *     attacker/         the learning attacker with its training state (attackers/formats.ts: agent.json,
 *                       training.json + training.bin, the networks' model.json + weights.bin)
 *     detector/         the ML detector (a detector model directory)
 *     telemetry.x.f32, telemetry.y.i32, telemetry.w.f32
 *                       the labelled rows the detector retrains on (features, labels, weights; raw
 *                       little-endian arrays of state.json's telemetry.rows rows)
 */
import { z } from 'zod';

export const RUN_JSON = 'run.json';
export const ROUNDS_FILE = 'rounds.jsonl';
export const CHECKPOINT_DIR = 'checkpoint';
export const STATE_JSON = 'state.json';
export const TELEMETRY_FILES = { X: 'telemetry.x.f32', y: 'telemetry.y.i32', w: 'telemetry.w.f32' } as const;

const count = z.number().int().min(0);
const positiveInt = z.number().int().positive();

export const runConfigSchema = z.strictObject({
  /** The cyrange version that started the run. */
  cyrange: z.string(),
  env: z.string().min(1),
  attacker: z.string().min(1),
  defender: z.string().min(1),
  rounds: positiveInt,
  episodes: positiveInt,
  evalEpisodes: positiveInt,
  detectorEpisodes: positiveInt,
  demoEpisodes: count,
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  /** Learning-attacker hyperparameter overrides. */
  hyperparameters: z.record(z.string(), z.unknown()).optional(),
  /** Plugin modules (resolved: file URLs or package names), loaded again on resume. */
  plugins: z.array(z.string().min(1)).optional(),
  /**
   * How the learner met its training episodes: 'online' (in this thread, learning as it plays) or
   * 'workers' (collect-then-train on rollout workers). Results differ between the two, so a resume keeps it.
   */
  rollouts: z.enum(['online', 'workers']).optional(),
});
export type RunConfig = z.output<typeof runConfigSchema>;

export const checkpointStateSchema = z.strictObject({
  /** The last complete round (0-based). */
  round: count,
  /** When the checkpoint was written (ISO 8601). */
  time: z.string(),
  /** Rows in the telemetry files (absent when the run keeps no telemetry). */
  telemetry: z.strictObject({ rows: count }).optional(),
});
export type CheckpointState = z.output<typeof checkpointStateSchema>;

/** A number that may be NaN in memory (JSON writes NaN and Infinity as null). */
const num = z.number().nullable();

/** One line of rounds.jsonl (co-training's RoundRecord; see train/cotrain.ts for what each field means). */
export const roundLineSchema = z.strictObject({
  round: count,
  attackerSuccess: num,
  timeToObjective: num,
  detectionF1: num,
  defenderReturn: num,
  healthyHostCost: num,
  reentries: num,
  timeToDetect: num,
  responseLatency: num,
  responseLatencyCensoredShare: num,
  timeToContain: num,
  compromiseRate: num,
  chainLength: num,
  quietTempoShare: num,
  quietOpeningShare: num,
  quietActionShare: num,
  meanAttackerReward: num,
  detectorValidationF1: num,
  trainEpisodes: count,
  envSteps: count,
  gradientSteps: count,
  wallSeconds: num,
  stepsPerSecond: num,
  gradientStepsPerSecond: num,
});
