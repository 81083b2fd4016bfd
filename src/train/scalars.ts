/**
 * Training scalars (the CleanRL habit): every learning loop logs what it optimises as it goes, one JSON
 * object per line in a run directory's `scalars.jsonl`:
 *   {"round": 0, "step": 1200, "name": "td_loss", "value": 0.031}
 * `step` counts the learner's own steps for the name (gradient steps for losses, episodes for returns);
 * `round` is the co-training round. `cyrange report RUN` draws one curve per name.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';

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
  if (!existsSync(file)) return [];
  const out: Scalar[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new CyrangeError(`${file}: line ${i + 1}: not valid JSON`);
      }
      const r = scalarSchema.safeParse(v);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw new CyrangeError(`${file}: line ${i + 1}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
      }
      out.push(r.data);
    });
  return out;
}
