/** Shared CLI plumbing: one-line errors, flag parsing, safe writes. */
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { CyrangeError, isCyrangeError } from '../shared/errors.js';

/** Run a command action, turning errors into one line on stderr and a non-zero exit code. */
export function guard<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      reportError(e);
    }
  };
}

/** A write to a closed pipe (`cyrange ... | head`): the reader has all it wanted. */
function isBrokenPipe(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === 'EPIPE';
}

/**
 * End quietly with exit 0 when stdout or stderr is a pipe whose reader has gone (`| head -1`): Node
 * reports that as an 'error' event on the stream, which would otherwise crash with a stack trace.
 */
export function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
      if (isBrokenPipe(e)) process.exit(0);
      throw e;
    });
  }
}

export function reportError(e: unknown): never {
  if (isBrokenPipe(e)) process.exit(0);
  if (isCyrangeError(e)) {
    process.stderr.write(`cyrange: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`cyrange: internal error: ${msg.split('\n')[0]}\n`);
  if (process.env.CYRANGE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(70);
}

export function intFlag(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got "${v}"`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

/** Write a file atomically; refuse to replace an existing one unless `force`. */
export function writeFileSafe(path: string, content: string, force: boolean): void {
  if (existsSync(path) && !force) throw new CyrangeError(`${path}: already exists (use --force to overwrite)`);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** More worker threads than cores only queue up (a run on 2 cores with 99 workers was 6x slower). */
export function warnWorkers(workers: number): void {
  const cores = availableParallelism();
  if (workers > cores) process.stderr.write(`cyrange: warning: --workers ${workers} is more than this machine's ${cores} cores; the extra threads wait for a core and slow the run down\n`);
}
