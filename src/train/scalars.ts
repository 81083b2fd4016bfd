/**
 * Training scalars (the CleanRL habit): every learning loop logs what it optimises as it goes, one JSON
 * object per line in a run directory's `scalars.jsonl`:
 *   {"round": 0, "step": 1200, "name": "td_loss", "value": 0.031}
 * `step` counts the learner's own steps for the name (gradient steps for losses, episodes for returns);
 * `round` is the co-training round. `cyrange report RUN` draws one curve per name.
 */
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { readJsonLines } from '../shared/json-lines.js';

export const SCALARS_FILE = 'scalars.jsonl';

export const scalarSchema = z.strictObject({
  round: z.number().int().min(0),
  step: z.number().int().min(0),
  name: z.string().min(1),
  value: z.number(),
});
export type Scalar = z.output<typeof scalarSchema>;

/** Where a learner sends its scalars (a file writer, an in-memory list in tests, or nothing). */
export type ScalarSink = (s: Scalar) => void;

/** A sink appending to `file` (JSON has no NaN or Infinity: such values are skipped, not written as null). */
export function scalarFileSink(file: string): ScalarSink {
  return (s) => {
    if (Number.isFinite(s.value)) appendFileSync(file, `${JSON.stringify(s)}\n`);
  };
}

/** Reads a scalars file; a damaged line is a one-line error naming the file and the line. */
export function readScalars(file: string): Scalar[] {
  return readJsonLines(file, scalarSchema);
}
