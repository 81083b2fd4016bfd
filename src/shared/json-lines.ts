/**
 * JSON-lines files (rounds.jsonl, scalars.jsonl): one JSON object per line, each checked against a zod
 * schema. A damaged line is a one-line error naming the file, the line and the field. With
 * `tornLastLine`, an unterminated last line (a write cut short by a crash) is skipped instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CyrangeError } from './errors.js';

export function readJsonLines<S extends z.ZodType>(file: string, schema: S, opts: { tornLastLine?: boolean } = {}): z.output<S>[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: z.output<S>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || (opts.tornLastLine && i === lines.length - 1)) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new CyrangeError(`${file}: line ${i + 1}: not valid JSON`);
    }
    const r = schema.safeParse(v);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new CyrangeError(`${file}: line ${i + 1}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
    }
    out.push(r.data);
  });
  return out;
}
