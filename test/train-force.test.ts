/** `train --force` replaces only a train run directory, and in it only its own files. */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../src/train/run.js';

const root = mkdtempSync(join(tmpdir(), 'cyrange-train-force-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const base = { env: 'small', attacker: 'random', defender: 'none', rounds: 1, episodes: 1, evalEpisodes: 1, detectorEpisodes: 1, demoEpisodes: 0, seed: 1 };

describe('train --force', () => {
  it('refuses a folder that is not a train run, leaving it as it was', async () => {
    const dir = join(root, 'thesis');
    mkdirSync(dir);
    writeFileSync(join(dir, 'chapter1.tex'), 'precious');
    await expect(train({ ...base, out: dir, force: true })).rejects.toThrow(/thesis: not replaced: --force replaces only a cyrange train run directory \(no run\.json in it\)/);
    expect(readFileSync(join(dir, 'chapter1.tex'), 'utf8')).toBe('precious');
    expect(existsSync(join(dir, 'run.json'))).toBe(false);
  });

  it('replaces an earlier train run and keeps files that are not its own', async () => {
    const dir = join(root, 'run');
    await train({ ...base, out: dir });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(train({ ...base, out: dir })).rejects.toThrow(/already exists and is not empty/);
    const r = await train({ ...base, out: dir, force: true, seed: 2 });
    expect(r.rounds).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).seed).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
