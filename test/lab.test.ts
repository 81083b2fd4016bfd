import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CyrangeError } from '../src/shared/errors.js';
import { expandCells, loadExperimentSpec, parseExperimentSpec, planOf } from '../src/lab/spec.js';
import { runExperiment, TEST_FAIL_ENV, type ProgressEvent } from '../src/lab/runner.js';
import { manifestSchema, readCellsFile, REPORT_FILES, resultsSchema } from '../src/lab/run-format.js';

const TINY = 'experiments/tiny.json';
const root = mkdtempSync(join(tmpdir(), 'cyrange-lab-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** results.json without its run-time dependent part. */
function resultsOf(dir: string): unknown {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, unknown>;
  delete r.timing;
  return r;
}

function idsOf(dir: string): string[] {
  return readFileSync(join(dir, 'cells.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

function errorOf(fn: () => unknown): CyrangeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CyrangeError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return e as CyrangeError;
  }
  throw new Error('expected a CyrangeError');
}

describe('experiment specs', () => {
  const good = { name: 'x', scenarios: ['small'], attackers: ['dqn', 'pg'], defenders: ['rf'], seeds: [1, 2], budget: { rounds: 1, trainEpisodes: 1, evalEpisodes: 1, detectorEpisodes: 1 } };

  it('expands to stable cell ids in grid order', () => {
    const cells = expandCells(planOf(parseExperimentSpec(good, 'x.json'), null), (e) => (typeof e === 'string' ? e : e.name));
    expect(cells.map((c) => c.id)).toEqual(['small|dqn|rf|s1', 'small|dqn|rf|s2', 'small|pg|rf|s1', 'small|pg|rf|s2']);
  });

  it('applies profiles and rejects unknown ones', () => {
    const loaded = loadExperimentSpec('experiments/response-times.json');
    const quick = planOf(loaded, 'quick');
    expect(quick.seeds.length).toBeGreaterThanOrEqual(2);
    expect(quick.budget.rounds).toBe(1);
    expect(planOf(loaded, 'full').seeds.length).toBeGreaterThan(quick.seeds.length);
    expect(errorOf(() => planOf(loaded, 'nope')).message).toMatch(/^experiments\/response-times\.json: profiles\.nope: no such profile \(known: quick, full\)$/);
  });

  it('gives one-line errors naming the file and the field', () => {
    expect(errorOf(() => parseExperimentSpec({ ...good, attackers: ['dqn', 'hacker'] }, 'e.json')).message).toMatch(/^e\.json: attackers\[1\]: unknown attacker kind "[^"]*" \(known: random, scripted, scripted-stealthy, dqn, pg\)$/);
    expect(errorOf(() => parseExperimentSpec({ ...good, defenders: ['rf', 'magic'] }, 'e.json')).message).toMatch(/^e\.json: defenders\[1\]: unknown defence kind "magic" \(known: .*rule-mas.*\)$/);
    expect(errorOf(() => parseExperimentSpec({ ...good, budget: { rounds: 1 } }, 'e.json')).message).toMatch(/^e\.json: budget\.trainEpisodes: /);
    expect(errorOf(() => parseExperimentSpec({ ...good, colour: 'red' }, 'e.json')).message).toBe('e.json: (root): unknown field(s) "colour"');
    expect(errorOf(() => parseExperimentSpec({ ...good, seeds: [1, 1] }, 'e.json')).message).toBe('e.json: seeds[1]: duplicate "1"');
    expect(errorOf(() => parseExperimentSpec({ ...good, scenarios: [42] }, 'e.json')).message).toMatch(/^e\.json: scenarios\[0\]: expected a scenario preset name/);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{ "name": ');
    expect(errorOf(() => loadExperimentSpec(bad)).message).toMatch(/bad\.json: not valid JSON/);
  });

  it('rejects an unknown scenario before running anything', async () => {
    const loaded = parseExperimentSpec({ ...good, scenarios: ['atlantis'] }, 'e.json');
    await expect(runExperiment(loaded, { out: join(root, 'nowhere'), report: false })).rejects.toThrow(/^e\.json: scenarios\[0\]: .*unknown scenario/);
  });
});

describe('runner', () => {
  const full = join(root, 'full');
  let fullEvents: ProgressEvent[] = [];

  beforeAll(async () => {
    const s = await runExperiment(loadExperimentSpec(TINY), { out: full, workers: 2, onProgress: (e) => fullEvents.push(e) });
    expect(s.done).toBe(12);
  }, 120_000);

  it('runs the tiny grid end to end on 2 workers and writes every output', () => {
    expect(fullEvents[0]).toMatchObject({ type: 'start', total: 12, workers: 2, inThread: false });
    for (const f of ['manifest.json', 'cells.jsonl', ...REPORT_FILES.filter((f) => f !== 'cotraining.svg')]) expect(existsSync(join(full, f)), f).toBe(true);
    const ids = idsOf(full);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    const m = manifestSchema.parse(JSON.parse(readFileSync(join(full, 'manifest.json'), 'utf8')));
    expect(m.specSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.cells).toEqual({ total: 12, done: 12, failed: 0 });
    expect(m.machine.cores).toBeGreaterThan(0);
    expect(m.packageVersions.cyrange).toBeTruthy();
    expect(m.tfBackend).toBeTruthy(); // dqn cells load tfjs
    const md = readFileSync(join(full, 'table.md'), 'utf8');
    expect(md).toContain('| Hosts | rf | rule-mas | static-range |');
    expect(md).toContain('## Metric definitions');
    expect(readFileSync(join(full, 'latency.svg'), 'utf8')).toMatch(/^<svg/);
    const html = readFileSync(join(full, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    const res = resultsSchema.parse(JSON.parse(readFileSync(join(full, 'results.json'), 'utf8')));
    expect(res.claims).toHaveLength(3);
    expect(res.failedCells).toEqual([]);
    expect(res.missingCells).toEqual([]);
    expect(readFileSync(join(full, 'table.csv'), 'utf8').split('\n')[0]).toBe('attacker,scenario,hosts,defender,metric,mean,ci95_low,ci95_high,ci95_half_width,n,episodes,cells_ok,cells_failed,cells_missing');
  });

  it('refuses a non-empty directory unless resuming the same spec or forced', async () => {
    const tiny = loadExperimentSpec(TINY);
    await expect(runExperiment(tiny, { out: full, report: false })).rejects.toThrow(/directory is not empty; it holds a run of this spec \(12\/12 cells done\): use --resume/);
    await expect(runExperiment(tiny, { out: full, profile: 'bench', resume: true, report: false })).rejects.toThrow(/cannot resume: the directory holds a run of spec/);
    // a bad profile is caught before --force clears anything
    await expect(runExperiment(tiny, { out: full, profile: 'nope', force: true, report: false })).rejects.toThrow(/profiles\.nope: no such profile/);
    expect(existsSync(join(full, 'manifest.json'))).toBe(true);
    const foreign = join(root, 'foreign');
    await runExperiment(parseExperimentSpec({ name: 'f', scenarios: ['small'], attackers: ['scripted'], defenders: ['none'], seeds: [1], budget: { rounds: 0, trainEpisodes: 0, evalEpisodes: 1, detectorEpisodes: 1 } }, 'f.json'), { out: foreign, report: false, workers: 1 }).catch(() => undefined);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    await expect(runExperiment(tiny, { out: foreign, resume: true, report: false })).rejects.toThrow(/cannot resume/);
  });

  it('resumes an interrupted run with a torn last line: no cell lost or repeated, same results', async () => {
    const dir = join(root, 'resumed');
    const ctl = new AbortController();
    const first = await runExperiment(loadExperimentSpec(TINY), {
      out: dir,
      workers: 2,
      signal: ctl.signal,
      onProgress: (e) => {
        if (e.type === 'cell' && e.done >= 5) ctl.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    // A crash may leave fewer lines and a partial one: keep half of the finished cells and tear a line.
    const lines = readFileSync(join(dir, 'cells.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    const kept = lines.slice(0, Math.max(1, Math.floor(lines.length / 2)));
    writeFileSync(join(dir, 'cells.jsonl'), `${kept.join('\n')}\n${lines[kept.length]!.slice(0, 40)}`);
    expect(readCellsFile(join(dir, 'cells.jsonl')).skipped).toBe(1);
    const events: ProgressEvent[] = [];
    const second = await runExperiment(loadExperimentSpec(TINY), { out: dir, workers: 2, resume: true, onProgress: (e) => events.push(e) });
    expect(second.skipped).toBe(kept.length);
    expect(events.filter((e) => e.type === 'cell' && e.status === 'ok')).toHaveLength(12 - kept.length);
    const ids = idsOf(dir);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(resultsOf(dir)).toEqual(resultsOf(full));
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.sessions).toHaveLength(2);
    expect(m.sessions[0].interrupted).toBe(true);
  }, 120_000);

  it('retries a throwing or dying worker once, then records the cell as failed and goes on', async () => {
    const spec = parseExperimentSpec(
      { name: 'fail', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['scripted'], defenders: ['static-range', 'none'], seeds: [1, 2], budget: { rounds: 0, trainEpisodes: 0, evalEpisodes: 1, detectorEpisodes: 1 } },
      'fail.json',
    );
    const dir = join(root, 'fail');
    process.env[TEST_FAIL_ENV] = 'tiny16|scripted|static-range|s1=throw,tiny16|scripted|static-range|s2=exit,tiny16|scripted|none|s1=once';
    const events: ProgressEvent[] = [];
    try {
      const s = await runExperiment(spec, { out: dir, workers: 2, onProgress: (e) => events.push(e) });
      expect(s.done).toBe(2);
      expect(s.failed).toBe(2);
    } finally {
      delete process.env[TEST_FAIL_ENV];
    }
    const retried = events.filter((e) => e.type === 'cell' && e.status === 'retry').map((e) => (e as { id: string }).id);
    expect(retried.sort()).toEqual(['tiny16|scripted|none|s1', 'tiny16|scripted|static-range|s1', 'tiny16|scripted|static-range|s2']);
    const recs = readCellsFile(join(dir, 'cells.jsonl')).records;
    const failed = recs.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.id).sort()).toEqual(['tiny16|scripted|static-range|s1', 'tiny16|scripted|static-range|s2']);
    expect((failed.find((r) => r.id.endsWith('s1')) as { error: string }).error).toMatch(/test-only failure/);
    const md = readFileSync(join(dir, 'table.md'), 'utf8');
    expect(md).toMatch(/\| 16 \(tiny16\) \| failed \|/);
    expect(md).toContain('- failed: `tiny16|scripted|static-range|s2`');
    // Resuming retries the failed cells (the hook is off now).
    const again = await runExperiment(spec, { out: dir, workers: 2, resume: true });
    expect(again).toMatchObject({ skipped: 2, done: 4, failed: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).failedCells).toEqual([]);
  }, 60_000);
});
