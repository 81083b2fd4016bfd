/** One-line messages for schema (zod) failures: `<file>: <json path>: <what was expected>`. */
import type { z } from 'zod';
import { CyrangeError } from './errors.js';

/** `a.b[3].c` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** What was expected, in words; `unionHint` replaces zod's generic text for union failures. */
export function describeIssue(issue: z.core.$ZodIssue, unionHint?: string): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${JSON.stringify(issue.values[0])}` : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      if (unionHint) return unionHint;
      return issue.message.replace(/^Invalid input: /, '');
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** The CyrangeError for the first issue of a failed parse. */
export function schemaError(source: string, error: z.ZodError, unionHint?: string): CyrangeError {
  const issue = error.issues[0]!;
  return new CyrangeError(`${source}: ${jsonPath(issue.path)}: ${describeIssue(issue, unionHint)}`);
}
