/**
 * Output directories that `--force` may replace. A missing or empty directory is always fine; a non-empty
 * one is refused without `force`; with `force` it is replaced only when it holds one of the caller's
 * marker files (its own manifest, e.g. `manifest.json` of a model directory, `run.json` of a run), so a
 * mistyped `--out` can never delete a folder that cyrange did not write.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CyrangeError } from './errors.js';

export interface OutputDirOptions {
  force: boolean;
  /** File names that mark the directory as one of ours (any one suffices). */
  markers: readonly string[];
  /**
   * A stricter check of a marker file that is present (e.g. the manifest parses and has our format);
   * returns why it is not ours, or null when it is.
   */
  checkMarker?: (path: string) => string | null;
  /** What the directory is, for messages ("model directory", "run directory"). */
  what?: string;
}

/** What is at `dir`: nothing, an empty directory, or one of ours that `force` may replace. */
export type OutputDirState = 'missing' | 'empty' | 'replaceable';

/** Checks `dir` without touching it; throws a one-line CyrangeError when it may not be written. */
export function checkOutputDir(dir: string, opts: OutputDirOptions): OutputDirState {
  const what = opts.what ?? 'output directory';
  if (!existsSync(dir)) return 'missing';
  if (!statSync(dir).isDirectory()) throw new CyrangeError(`${dir}: exists and is not a directory`);
  if (readdirSync(dir).length === 0) return 'empty';
  if (!opts.force) throw new CyrangeError(`${dir}: already exists and is not empty (use --force to replace it)`);
  const found = opts.markers.filter((m) => existsSync(join(dir, m)));
  if (found.length === 0) {
    throw new CyrangeError(`${dir}: not replaced: --force replaces only a cyrange ${what} (no ${opts.markers.join(' or ')} in it); choose another --out or remove it yourself`);
  }
  const check = opts.checkMarker;
  if (check) {
    const reasons = found.map((m) => check(join(dir, m)));
    if (!reasons.includes(null)) throw new CyrangeError(`${dir}: not replaced: ${reasons[0]}; --force replaces only a cyrange ${what}`);
  }
  return 'replaceable';
}

/**
 * Prepares `dir` for writing: checks it as `checkOutputDir` does, removes a replaceable one, and leaves
 * an empty directory in place.
 */
export function prepareOutputDir(dir: string, opts: OutputDirOptions): OutputDirState {
  const state = checkOutputDir(dir, opts);
  if (state === 'replaceable') rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return state;
}
