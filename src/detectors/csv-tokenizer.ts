/**
 * The CSV tokenizer of the flow loaders: lines from a file, fields from a line, numbers from a field.
 *
 * Hand-written rather than csv-parse: `bench/csv-tokenizer.bench.mjs` reads a 100 MB CICIDS2017-shaped
 * file both ways in one run, and csv-parse took 2.5 and 3.2 times as long in two runs (README). Flow
 * CSVs are unquoted almost everywhere, so a line is split at commas into offsets without allocating a
 * string per field, and most cells are read in place as digits; quoted fields (generic CSVs) take the
 * RFC 4180 path in `splitCsvLine`.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CyrangeError } from '../shared/errors.js';

export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * Splits one CSV record. Unquoted lines (all of CICIDS/UNSW) take the fast `split` path; quoted fields
 * follow RFC 4180 (`""` is a literal quote). Returns null when a quote is left open: the record continues
 * on the next line.
 */
export function splitCsvLine(line: string): string[] | null {
  if (line.indexOf('"') === -1) return line.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let j = i;
    while (line.charCodeAt(j) === 32) j++;
    if (line.charCodeAt(j) === 34) {
      let s = '';
      i = j + 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        s += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          s += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      const c = line.indexOf(',', i);
      const tail = (c === -1 ? line.slice(i) : line.slice(i, c)).trim();
      out.push(s + tail);
      if (c === -1) return out;
      i = c + 1;
    } else {
      const c = line.indexOf(',', i);
      if (c === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

/**
 * Splits an unquoted line at commas into `starts` (field k is line[starts[k], starts[k + 1] - 1)),
 * without allocating strings. Stops counting after `max` fields; returns the field count (capped).
 */
export function scanFields(line: string, starts: Int32Array, max: number): number {
  // A charCodeAt loop beats one indexOf call per field on 80-column lines.
  let k = 0;
  starts[0] = 0;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    if (line.charCodeAt(i) === 44) {
      if (++k > max) return max + 1; // more fields than we care to count
      starts[k] = i + 1;
    }
  }
  starts[k + 1] = n + 1;
  return k + 1;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The number in s[a, b), or NaN for an empty or non-numeric cell. Decimals with at most 15 digits
 * (nearly every flow-meter cell) are read in place as digits / 10^k: both are exact doubles, so the one
 * division rounds exactly as Number() would (Clinger's fast path). Anything else goes through Number().
 */
export function parseCell(s: string, a: number, b: number): number {
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  if (a === b) return NaN;
  let i = a;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  if (i < b && b - i <= 16) {
    let m = 0;
    let digits = 0;
    let dot = -1;
    let j = i;
    for (; j < b; j++) {
      const c = s.charCodeAt(j);
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
      } else if (c === 46 && dot < 0) {
        dot = j;
      } else {
        break;
      }
    }
    if (j === b && digits > 0 && digits <= 15) {
      const v = dot < 0 ? m : m / POW10[b - dot - 1]!;
      return neg ? -v : v;
    }
  }
  return Number(s.slice(a, b));
}

export function ioError(path: string, e: unknown): CyrangeError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CyrangeError(`${path}: file not found`);
  if (code === 'EISDIR') return new CyrangeError(`${path}: is a directory, expected a CSV file`);
  return new CyrangeError(`${path}: cannot read (${code ?? String(e)})`);
}

/**
 * Calls `onLine(line, lineNo)` for every line of `path`: readline over a read stream, consumed through
 * 'line' events (a promise per line, as `for await` makes, costs more than parsing the line). Lines are
 * handled synchronously, so at most one stream chunk is in memory. `onLine` returns false to stop early;
 * whatever it throws rejects the promise.
 */
export function eachLine(
  path: string,
  onLine: (line: string, lineNo: number) => boolean | void,
  onBytes?: (bytesRead: () => number) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    const rl = createInterface({ input, crlfDelay: Infinity });
    onBytes?.(() => input.bytesRead);
    let lineNo = 0;
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      rl.close();
      input.destroy();
      if (err === undefined) resolve();
      else reject(err instanceof CyrangeError ? err : ioError(path, err));
    };
    rl.on('line', (line: string) => {
      if (done) return; // readline may still deliver the rest of a chunk after close()
      try {
        if (onLine(line, ++lineNo) === false) finish();
      } catch (e) {
        finish(e);
      }
    });
    rl.on('close', () => finish());
    input.on('error', (e) => finish(e));
  });
}
