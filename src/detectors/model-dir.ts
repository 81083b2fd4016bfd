/**
 * Self-describing model directories: `manifest.json` plus the model's files, each listed with its
 * sha256, and `manifest.sha256` holding the manifest's own sha256 (in `sha256sum` format, so
 * `sha256sum -c manifest.sha256` checks it too): a threshold edited by hand is refused, not used.
 * Writing goes to a temporary sibling directory that is renamed into place, so an interrupted write or a
 * refused overwrite never damages what the user had; `--force` replaces only a directory holding a
 * cyrange model manifest. Reading refuses a missing, corrupt, tampered or other-format directory with
 * one line naming the file and field.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { checkOutputDir } from '../shared/safe-dir.js';

export const MANIFEST = 'manifest.json';
export const MANIFEST_SUM = 'manifest.sha256';

export interface ModelManifestBase {
  format: number;
  kind: string;
  files: Record<string, string>;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Why `path` is not a cyrange model manifest, or null when it is one (`--force` may replace its directory). */
function notOurManifest(path: string): string | null {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (typeof m === 'object' && m !== null && typeof m.format === 'number' && typeof m.kind === 'string' && typeof m.files === 'object') return null;
  } catch {
    // not JSON: not ours
  }
  return `its ${MANIFEST} is not a cyrange model manifest`;
}

/** Checks that a model directory may be written at `dir` (see safe-dir.ts), before any work is done. */
export function checkModelOutputDir(dir: string, force: boolean): void {
  checkOutputDir(dir, { force, markers: [MANIFEST], checkMarker: notOurManifest, what: 'model directory' });
}

/**
 * Write a model directory: `fill(tmp)` writes the model files into a fresh temporary directory and
 * returns the manifest (without `files`); checksums are added and the directory renamed into place.
 */
export async function writeModelDir<M extends object>(dir: string, force: boolean, fill: (tmp: string) => Promise<M>): Promise<M & ModelManifestBase> {
  const target = resolve(dir);
  checkModelOutputDir(dir, force);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    const manifest = await fill(tmp);
    const files: Record<string, string> = {};
    for (const f of readdirSync(tmp).sort()) if (f !== MANIFEST && f !== MANIFEST_SUM) files[f] = sha256File(join(tmp, f));
    const full = { ...manifest, files } as unknown as M & ModelManifestBase;
    const text = `${JSON.stringify(full, null, 2)}\n`;
    writeFileSync(join(tmp, MANIFEST), text);
    writeFileSync(join(tmp, MANIFEST_SUM), `${createHash('sha256').update(text).digest('hex')}  ${MANIFEST}\n`);
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, target);
    return full;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Read a model directory's manifest, check its format version and its own checksum, and verify the
 * checksums of the files it lists. Returns the parsed JSON; the caller validates the rest with its schema.
 */
export function readModelDir(dir: string, formatVersion: number): Record<string, unknown> {
  if (!existsSync(dir)) throw new CyrangeError(`${dir}: no such model directory`);
  if (!statSync(dir).isDirectory()) throw new CyrangeError(`${dir}: not a directory`);
  const mpath = join(dir, MANIFEST);
  if (!existsSync(mpath)) throw new CyrangeError(`${mpath}: missing (not a cyrange model directory)`);
  const text = readFileSync(mpath);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CyrangeError(`${mpath}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new CyrangeError(`${mpath}: expected a JSON object`);
  if (typeof m.format !== 'number') throw new CyrangeError(`${mpath}: format: expected a number`);
  if (m.format > formatVersion) throw new CyrangeError(`${mpath}: format: ${m.format} is newer than this cyrange reads (${formatVersion}); upgrade cyrange`);
  if (m.format < formatVersion) throw new CyrangeError(`${mpath}: format: ${m.format} was written by an older cyrange (this one reads ${formatVersion}); train the model again`);
  const spath = join(dir, MANIFEST_SUM);
  if (!existsSync(spath)) throw new CyrangeError(`${spath}: missing (the manifest's checksum)`);
  const want = /^([0-9a-f]{64})\b/.exec(readFileSync(spath, 'utf8'))?.[1];
  if (want === undefined) throw new CyrangeError(`${spath}: expected a sha256 in hex`);
  if (createHash('sha256').update(text).digest('hex') !== want) throw new CyrangeError(`${mpath}: sha256 does not match ${MANIFEST_SUM} (the manifest was edited or corrupted)`);
  const files = m.files as Record<string, unknown> | undefined;
  if (!files || typeof files !== 'object' || Object.keys(files).length === 0) throw new CyrangeError(`${mpath}: files: expected the model's files with their sha256`);
  for (const [name, sum] of Object.entries(files)) {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new CyrangeError(`${mpath}: files.${name}: not a plain file name`);
    const p = join(dir, name);
    if (!existsSync(p)) throw new CyrangeError(`${p}: missing (listed in ${MANIFEST})`);
    if (typeof sum !== 'string' || sha256File(p) !== sum) throw new CyrangeError(`${p}: sha256 does not match ${MANIFEST} (the file was changed or corrupted)`);
  }
  return m;
}
