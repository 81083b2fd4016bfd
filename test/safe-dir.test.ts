/** shared/safe-dir.ts: what --force may replace. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputDir, prepareOutputDir } from '../src/shared/safe-dir.js';
import { CyrangeError } from '../src/shared/errors.js';

const root = mkdtempSync(join(tmpdir(), 'cyrange-safedir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWith(name: string, files: Record<string, string>): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CyrangeError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('expected a refusal');
}

const opts = { markers: ['manifest.json', 'run.json'], what: 'run directory' };

describe('output directories and --force', () => {
  it('a missing or empty directory is fine, with or without force', () => {
    expect(checkOutputDir(join(root, 'nope'), { ...opts, force: false })).toBe('missing');
    const empty = dirWith('empty', {});
    expect(checkOutputDir(empty, { ...opts, force: false })).toBe('empty');
    expect(prepareOutputDir(join(root, 'fresh', 'deep'), { ...opts, force: false })).toBe('missing');
    expect(existsSync(join(root, 'fresh', 'deep'))).toBe(true);
  });

  it('a non-empty directory needs force', () => {
    const d = dirWith('ours-1', { 'run.json': '{}' });
    expect(refusal(() => checkOutputDir(d, { ...opts, force: false }))).toBe(`${d}: already exists and is not empty (use --force to replace it)`);
  });

  it('force replaces a directory holding a marker, and only that', () => {
    const d = dirWith('ours-2', { 'manifest.json': '{}', 'old.txt': 'x' });
    expect(prepareOutputDir(d, { ...opts, force: true })).toBe('replaceable');
    expect(existsSync(join(d, 'old.txt'))).toBe(false);
    expect(existsSync(d)).toBe(true);
  });

  it('force refuses a folder that is not ours and leaves every file in it', () => {
    const thesis = dirWith('thesis', { 'chapter1.tex': 'my thesis', 'notes.md': 'notes' });
    const m = refusal(() => prepareOutputDir(thesis, { ...opts, force: true }));
    expect(m).toBe(`${thesis}: not replaced: --force replaces only a cyrange run directory (no manifest.json or run.json in it); choose another --out or remove it yourself`);
    expect(readFileSync(join(thesis, 'chapter1.tex'), 'utf8')).toBe('my thesis');
    expect(readFileSync(join(thesis, 'notes.md'), 'utf8')).toBe('notes');
  });

  it('a stricter marker check refuses a look-alike marker', () => {
    const d = dirWith('lookalike', { 'manifest.json': '{"name": "a web app"}' });
    const check = (p: string): string | null => (JSON.parse(readFileSync(p, 'utf8')).format === 1 ? null : 'its manifest.json is not ours');
    expect(refusal(() => prepareOutputDir(d, { ...opts, force: true, checkMarker: check }))).toBe(`${d}: not replaced: its manifest.json is not ours; --force replaces only a cyrange run directory`);
    expect(existsSync(join(d, 'manifest.json'))).toBe(true);
  });

  it('a file where a directory should be is refused', () => {
    const f = join(root, 'a-file');
    writeFileSync(f, 'x');
    expect(refusal(() => checkOutputDir(f, { ...opts, force: true }))).toBe(`${f}: exists and is not a directory`);
  });
});
