/**
 * `cyrange report RUN` on a `cyrange train` run directory: training curves from scalars.jsonl, round
 * curves and the round records as a table.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readScalars, scalarFileSink } from '../src/train/scalars.js';
import { downsampleScalars, readRoundLines, roundsTable } from '../src/lab/train-report.js';
import { writeReport } from '../src/lab/report.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cyrange-train-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cyrange(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('train run report', () => {
  it('draws the scalars and the round curves and tables the round records of a real train run', () => {
    const dir = join(root, 'run');
    const t = cyrange(['train', '--env', 'small', '--attacker', 'pg', '--defender', 'rule-mas', '--rounds', '2', '--episodes', '2', '--eval-episodes', '1', '--demo-episodes', '0', '--workers', '1', '--out', dir]);
    expect(t.status, t.stderr).toBe(0);
    // The run wrote its own scalars; add a known set in the same format (src/train/scalars.ts) with its own sink.
    const own = readScalars(join(dir, 'scalars.jsonl')).length;
    expect(own).toBeGreaterThan(0);
    const sink = scalarFileSink(join(dir, 'scalars.jsonl'));
    for (let step = 0; step < 30; step++) {
      sink({ round: step < 15 ? 0 : 1, step, name: 'policy_loss', value: 1 / (1 + step) });
      sink({ round: step < 15 ? 0 : 1, step, name: 'entropy', value: 5 - step / 10 });
    }
    const r = cyrange(['report', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`training run: 2 round records, ${own + 60} scalars`);
    for (const f of ['report.html', 'training.svg', 'rounds.svg']) expect(existsSync(join(dir, f)), f).toBe(true);
    const svg = readFileSync(join(dir, 'training.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('policy_loss');
    expect(svg).toContain('entropy');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect((html.match(/<svg/g) ?? []).length).toBe(2);
    expect(html).toContain('<h2 id="round-records">Round records</h2>');
    // one table row per round record, with the record's own fields as columns
    const table = html.slice(html.indexOf('<table>'), html.indexOf('</table>'));
    expect((table.match(/<tr>/g) ?? []).length).toBe(3);
    expect(table).toContain('>gradientSteps</th>');
    expect(html).toContain('<dt>attacker</dt><dd>pg</dd>');
  }, 120_000);

  it('says plainly when a run has no scalars, and names a damaged rounds.jsonl line', async () => {
    const dir = join(root, 'bare');
    rmSync(dir, { recursive: true, force: true });
    cyrange(['train', '--env', 'small', '--attacker', 'random', '--defender', 'none', '--rounds', '1', '--episodes', '1', '--eval-episodes', '1', '--out', dir]);
    const out = await writeReport(dir);
    expect(out.kind).toBe('train');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('This run has no scalars.jsonl');
    appendFileSync(join(dir, 'rounds.jsonl'), '{"round": "x"}\n');
    await expect(writeReport(dir)).rejects.toThrow(/rounds\.jsonl: line 2: round: /);
    writeFileSync(join(dir, 'rounds.jsonl'), '{"round":0}\n{"round":1,"torn');
    expect(readRoundLines(join(dir, 'rounds.jsonl'))).toEqual([{ round: 0 }]);
  }, 60_000);

  it('downsamples long series into bins of consecutive points (mean step, mean value)', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => ({ round: 0, step: i, name: 'td_loss', value: i % 2 }));
    const short = [{ round: 0, step: 3, name: 'epsilon', value: 0.5 }, { round: 0, step: 1, name: 'epsilon', value: 0.9 }];
    const pts = downsampleScalars([...xs, ...short], 400);
    const td = pts.filter((p) => p.name === 'td_loss');
    expect(td).toHaveLength(400);
    // 1000 points into 400 bins: bins of 2 or 3 points; the first holds steps 0-1, the last 997-999
    expect(td[0]).toEqual({ name: 'td_loss', step: 0.5, value: 0.5 });
    expect(td[td.length - 1]).toEqual({ name: 'td_loss', step: 998, value: 2 / 3 }); // steps 997-999
    expect(pts.filter((p) => p.name === 'epsilon')).toEqual([{ name: 'epsilon', step: 1, value: 0.9 }, { name: 'epsilon', step: 3, value: 0.5 }]);
  });

  it('tables the union of the records\' fields in first-seen order, n/a for a missing one', () => {
    const t = roundsTable([{ round: 0, a: 1.23456, b: null }, { round: 1, a: 2, c: 'x' }]);
    expect(t.columns.map((c) => c.label)).toEqual(['round', 'a', 'b', 'c']);
    expect(t.rows).toEqual([['0', '1.235', 'n/a', 'n/a'], ['1', '2', 'n/a', 'x']]);
  });
});
