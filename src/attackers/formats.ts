/**
 * The attackers' on-disk formats, each a zod schema, in one place:
 *
 *   agent.json      an agent directory's manifest, beside its networks (model.json + weights.bin each,
 *                   see nn/io.ts): kind, sizes, hyperparameters, training counters.
 *   training.json   a learner's training state (written into checkpoints, see LearningAttacker's
 *   training.bin    trainingState): the learner's JSON state (a schema per kind below) and an index of
 *                   the typed arrays stored in training.bin.
 *
 * And the rule for reading hyperparameters back: JSON has no Infinity, so JSON.stringify writes an
 * infinite setting as null; only settings whose documented "off" value is Infinity accept null.
 * No tfjs here: the registry reads manifests without loading it.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { schemaError } from '../shared/schema-errors.js';
import type { StateArray, TrainingCounters, TrainingState } from './learner.js';

export const AGENT_MANIFEST = 'agent.json';
/** Bump when the manifest or the saved model layout changes incompatibly. */
export const AGENT_FORMAT = 1;
export const TRAINING_JSON = 'training.json';
export const TRAINING_BIN = 'training.bin';
export const TRAINING_FORMAT = 1;

const count = z.number().int().min(0);
const positiveInt = z.number().int().positive();

export const countersSchema = z.strictObject({ envSteps: count.default(0), gradientSteps: count.default(0), episodes: count.default(0) });

export const agentManifestSchema = z.strictObject({
  format: positiveInt,
  kind: z.string().min(1),
  obsSize: positiveInt,
  nActions: positiveInt,
  hyperparameters: z.record(z.string(), z.unknown()),
  counters: countersSchema.default({ envSteps: 0, gradientSteps: 0, episodes: 0 }),
});
export type AgentManifest = z.output<typeof agentManifestSchema>;

/** A JSON file checked against a schema; every failure is a one-line CyrangeError naming the file (and the field). */
export function readJsonWith<S extends z.ZodType>(file: string, schema: S, what: string): z.output<S> {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CyrangeError(`${file}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new CyrangeError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const r = schema.safeParse(v);
  if (!r.success) throw schemaError(file, r.error);
  return r.data;
}

/**
 * Reads and validates `dir/agent.json`: format not newer than ours, the expected kind (when given),
 * sizes equal to `expect`'s (when given). Errors name the file and the field.
 */
export function readManifest(dir: string, kind: string | null, expect: { obsSize?: number; nActions?: number } = {}): AgentManifest {
  const file = join(dir, AGENT_MANIFEST);
  const m = readJsonWith(file, agentManifestSchema, 'agent manifest');
  if (m.format > AGENT_FORMAT) throw new CyrangeError(`${file}: format: ${m.format} is newer than this cyrange supports (${AGENT_FORMAT}); upgrade cyrange`);
  if (kind !== null && m.kind !== kind) throw new CyrangeError(`${file}: kind: this is a "${m.kind}" agent, expected "${kind}"`);
  if (expect.obsSize !== undefined && m.obsSize !== expect.obsSize) throw new CyrangeError(`${file}: obsSize: the agent takes ${m.obsSize} inputs, this environment gives ${expect.obsSize}`);
  if (expect.nActions !== undefined && m.nActions !== expect.nActions) throw new CyrangeError(`${file}: nActions: the agent has ${m.nActions} actions, this environment has ${expect.nActions}`);
  return m;
}

/** The manifest as written (infinite settings become null, see hyperparametersFrom). */
export function manifestJson(m: Omit<AgentManifest, 'format'> & { counters: TrainingCounters }): string {
  return `${JSON.stringify({ format: AGENT_FORMAT, ...m }, null, 2)}\n`;
}

/**
 * Checks hyperparameters (from a manifest, run.json, a spec or code) against a kind's defaults: known
 * keys with the default's type are taken, the rest refused so a typo or a stale file does not silently
 * change training. Numbers must be finite, except the `off` settings, whose off value is Infinity
 * (written as null in JSON).
 */
export function hyperparametersFrom<T extends object>(where: string, kind: string, defaults: T, hp: Readonly<Record<string, unknown>>, off: readonly (keyof T)[] = []): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(hp)) {
    if (!(k in defaults)) throw new CyrangeError(`${where}: hyperparameters.${k}: not a ${kind} hyperparameter (known: ${Object.keys(defaults).join(', ')})`);
    const d = (defaults as Record<string, unknown>)[k];
    const isOff = (off as readonly string[]).includes(k);
    if (isOff && (v === null || v === Infinity)) {
      (out as Record<string, unknown>)[k] = Infinity;
      continue;
    }
    const ok = Array.isArray(d) ? Array.isArray(v) && v.every((x) => typeof x === 'number') : typeof v === typeof d;
    if (!ok) throw new CyrangeError(`${where}: hyperparameters.${k}: expected ${Array.isArray(d) ? 'an array of numbers' : `a ${typeof d}`}${isOff ? ' (or null for off)' : ''}, got ${JSON.stringify(v) ?? String(v)}`);
    const nums = typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : [];
    if (nums.some((x) => !Number.isFinite(x))) throw new CyrangeError(`${where}: hyperparameters.${k}: expected a finite number, got ${String(v)}`);
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

// ------------------------------------------------------------------------------- training state

const DTYPES = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array } as const;
type Dtype = keyof typeof DTYPES;

const arrayEntrySchema = z.strictObject({
  name: z.string().min(1),
  dtype: z.enum(['f32', 'f64', 'i32', 'u8']),
  /** Element count. */
  length: count,
  /** dense: the raw elements; sparse (f32 only): nnz uint32 indices, then nnz float32 values. */
  encoding: z.enum(['dense', 'sparse']),
  /** Byte range in training.bin. */
  offset: count,
  bytes: count,
});

export const trainingFileSchema = z.strictObject({
  format: positiveInt,
  kind: z.string().min(1),
  state: z.record(z.string(), z.unknown()),
  arrays: z.array(arrayEntrySchema),
});

/** A 32-bit word, as JS bit operations leave it (signed or unsigned). */
const word = z.number().int().min(-(2 ** 31)).max(2 ** 32 - 1);
/** An Rng's state (Rng.getState). */
export const rngStateSchema = z.tuple([word, word, word, word]);
/** MlpTrainer state besides its moment arrays. */
const adamSchema = z.strictObject({ t: count });

/** DQN's training state (arrays: target, adam.m, adam.v, replay.*, pending.*). */
export const dqnTrainingStateSchema = z.strictObject({
  adam: adamSchema,
  replayRng: rngStateSchema,
  replay: z.strictObject({ size: count, pos: count, cap: count }),
  /** Decisions of the episode in progress not yet stored as n-step transitions. */
  pending: count,
  /** Undiscounted return of the episode in progress so far. */
  episodeReturn: z.number(),
});

/** Policy gradient's training state (arrays: policyAdam.*, valueAdam.*, finished.*, current.*). */
export const pgTrainingStateSchema = z.strictObject({
  policyAdam: adamSchema,
  valueAdam: adamSchema,
  /** Lengths of the finished episodes waiting for the next update (their transitions in finished.*). */
  finished: z.array(count),
  /** Decisions of the episode in progress (in current.*). */
  current: count,
  episodeReturn: z.number(),
});

/** A learner's `state`, checked with its kind's schema; failures name the file. */
export function parseLearnerState<S extends z.ZodType>(source: string, schema: S, state: Record<string, unknown>): z.output<S> {
  const r = schema.safeParse(state);
  if (!r.success) throw schemaError(`${source}: state`, r.error);
  return r.data;
}

/** Writes training.json and training.bin into `dir` (an existing directory). Returns the bytes written. */
export function writeTrainingState(dir: string, kind: string, ts: TrainingState): number {
  const entries: z.output<typeof arrayEntrySchema>[] = [];
  const fd = openSync(join(dir, TRAINING_BIN), 'w');
  let offset = 0;
  try {
    for (const [name, a] of Object.entries(ts.arrays)) {
      const dtype: Dtype = a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : a instanceof Int32Array ? 'i32' : 'u8';
      let nnz = 0;
      if (dtype === 'f32') for (let i = 0; i < a.length; i++) if (a[i] !== 0) nnz++;
      // Observations are mostly zeros (a few percent nonzero on the large preset): index + value pairs
      // take a fraction of the dense bytes whenever under half the entries are nonzero.
      const sparse = dtype === 'f32' && nnz * 2 < a.length;
      const parts: Uint8Array[] = [];
      if (sparse) {
        const idx = new Uint32Array(nnz);
        const val = new Float32Array(nnz);
        let k = 0;
        for (let i = 0; i < a.length; i++) {
          if (a[i] === 0) continue;
          idx[k] = i;
          val[k++] = a[i] as number;
        }
        parts.push(new Uint8Array(idx.buffer), new Uint8Array(val.buffer));
      } else parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      let bytes = 0;
      for (const p of parts) {
        writeSync(fd, p);
        bytes += p.byteLength;
      }
      entries.push({ name, dtype, length: a.length, encoding: sparse ? 'sparse' : 'dense', offset, bytes });
      offset += bytes;
    }
  } finally {
    closeSync(fd);
  }
  const json = JSON.stringify({ format: TRAINING_FORMAT, kind, state: ts.state, arrays: entries });
  const f = openSync(join(dir, TRAINING_JSON), 'w');
  try {
    writeSync(f, json);
  } finally {
    closeSync(f);
  }
  return offset + json.length;
}

/** Reads what writeTrainingState wrote; checks the format, the kind and every array's byte range. */
export function readTrainingState(dir: string, kind: string): TrainingState {
  const file = join(dir, TRAINING_JSON);
  const t = readJsonWith(file, trainingFileSchema, 'training state');
  if (t.format > TRAINING_FORMAT) throw new CyrangeError(`${file}: format: ${t.format} is newer than this cyrange supports (${TRAINING_FORMAT}); upgrade cyrange`);
  if (t.kind !== kind) throw new CyrangeError(`${file}: kind: the training state is a "${t.kind}" learner's, the agent is "${kind}"`);
  const binFile = join(dir, TRAINING_BIN);
  let bin: Buffer;
  try {
    bin = readFileSync(binFile);
  } catch (e) {
    throw new CyrangeError(`${binFile}: cannot read training state (${(e as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
  const arrays: Record<string, StateArray> = {};
  t.arrays.forEach((e, i) => {
    const width = DTYPES[e.dtype].BYTES_PER_ELEMENT;
    const bytes = e.encoding === 'dense' ? e.length * width : e.bytes;
    if (e.offset + e.bytes > bin.byteLength || e.bytes !== bytes || (e.encoding === 'sparse' && (e.dtype !== 'f32' || e.bytes % 8 !== 0))) {
      throw new CyrangeError(`${file}: arrays[${i}] (${e.name}): does not match ${TRAINING_BIN} (${bin.byteLength} bytes); the checkpoint is damaged`);
    }
    const raw = bin.buffer.slice(bin.byteOffset + e.offset, bin.byteOffset + e.offset + e.bytes) as ArrayBuffer;
    if (e.encoding === 'dense') {
      arrays[e.name] = new DTYPES[e.dtype](raw);
      return;
    }
    const nnz = e.bytes / 8;
    const idx = new Uint32Array(raw, 0, nnz);
    const val = new Float32Array(raw, nnz * 4, nnz);
    const out = new Float32Array(e.length);
    for (let k = 0; k < nnz; k++) {
      const j = idx[k]!;
      if (j >= e.length) throw new CyrangeError(`${file}: arrays[${i}] (${e.name}): index ${j} out of range; the checkpoint is damaged`);
      out[j] = val[k]!;
    }
    arrays[e.name] = out;
  });
  return { state: t.state, arrays };
}
