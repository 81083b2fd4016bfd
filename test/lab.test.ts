import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CyrangeError } from '../src/shared/errors.js';
import { expandCells, loadExperimentSpec, parseExperimentSpec, planOf } from '../src/lab/spec.js';
import { runExperiment, type ProgressEvent } from '../src/lab/runner.js';
import { manifestSchema, readCellsFile, REPORT_FILES, resultsSchema } from '../src/lab/run-format.js';

const TINY = 'experiments/tiny.json';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');

/** `cyrange ...` as a user runs it (the built CLI, so plugins and workers share one module graph). */
function cyrange(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
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

  it('applies profiles and rejects unknown ones', async () => {
    const loaded = await loadExperimentSpec('experiments/response-times.json');
    const quick = planOf(loaded, 'quick');
    expect(quick.seeds.length).toBeGreaterThanOrEqual(2);
    expect(quick.budget.rounds).toBe(1);
    expect(planOf(loaded, 'full').seeds.length).toBeGreaterThan(quick.seeds.length);
    expect(errorOf(() => planOf(loaded, 'nope')).message).toMatch(/^experiments\/response-times\.json: profiles\.nope: no such profile \(known: quick, full\)$/);
  });

  it('gives one-line errors naming the file and the field', async () => {
    expect(errorOf(() => parseExperimentSpec({ ...good, attackers: ['dqn', 'hacker'] }, 'e.json')).message).toMatch(/^e\.json: attackers\[1\]: unknown attacker kind "[^"]*" \(known: random, scripted, scripted-stealthy, dqn, pg\)$/);
    expect(errorOf(() => parseExperimentSpec({ ...good, defenders: ['rf', 'magic'] }, 'e.json')).message).toMatch(/^e\.json: defenders\[1\]: unknown defence kind "magic" \(known: .*rule-mas.*\)$/);
    expect(errorOf(() => parseExperimentSpec({ ...good, budget: { rounds: 1 } }, 'e.json')).message).toMatch(/^e\.json: budget\.trainEpisodes: /);
    expect(errorOf(() => parseExperimentSpec({ ...good, colour: 'red' }, 'e.json')).message).toBe('e.json: (root): unknown field(s) "colour"');
    expect(errorOf(() => parseExperimentSpec({ ...good, seeds: [1, 1] }, 'e.json')).message).toBe('e.json: seeds[1]: duplicate "1"');
    expect(errorOf(() => parseExperimentSpec({ ...good, scenarios: [42] }, 'e.json')).message).toMatch(/^e\.json: scenarios\[0\]: expected a scenario preset name/);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{ "name": ');
    await expect(loadExperimentSpec(bad)).rejects.toThrow(/bad\.json: not valid JSON/);
  });

  it('loads a spec\'s plugins (relative to the spec file) before checking its kinds, and names a missing one', async () => {
    const dir = join(root, 'plugin-spec');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const kind = `noop-${process.pid}`;
    writeFileSync(join(dir, 'p.mjs'), `import { registerAttacker, RandomAttacker } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/index.ts')).href)};\nregisterAttacker(${JSON.stringify(kind)}, { description: 'test', learning: false, create: () => new RandomAttacker() });\n`);
    writeFileSync(join(dir, 'e.json'), JSON.stringify({ ...good, attackers: [kind], plugins: ['./p.mjs'] }));
    const loaded = await loadExperimentSpec(join(dir, 'e.json'));
    expect(loaded.spec.attackers).toEqual([kind]);
    expect(loaded.plugins).toEqual([pathToFileURL(join(dir, 'p.mjs')).href]);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...good, plugins: ['./nope.mjs'] }));
    await expect(loadExperimentSpec(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: plugins: \.\/nope\.mjs: no such plugin file$/);
    writeFileSync(join(dir, 'bad2.json'), JSON.stringify({ ...good, plugins: [3] }));
    await expect(loadExperimentSpec(join(dir, 'bad2.json'))).rejects.toThrow(/bad2\.json: plugins\[0\]: /);
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
    const s = await runExperiment(await loadExperimentSpec(TINY), { out: full, workers: 2, onProgress: (e) => fullEvents.push(e) });
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
    // each claim for each attacker separately (scripted and dqn), with verdict, p and Holm p
    expect(res.claims).toHaveLength(6);
    expect(new Set(res.claims.map((c) => c.attacker))).toEqual(new Set(['scripted', 'dqn']));
    // the seed is the unit: n = 2 seeds per group; intervals of times never below zero
    for (const g of res.groups) {
      expect(g.metrics.responseLatency!.n).toBeLessThanOrEqual(2);
      if (g.metrics.responseLatency!.ciLow !== null) expect(g.metrics.responseLatency!.ciLow).toBeGreaterThanOrEqual(0);
    }
    expect(res.units).toHaveLength(12);
    expect(res.failedCells).toEqual([]);
    expect(res.missingCells).toEqual([]);
    expect(readFileSync(join(full, 'table.csv'), 'utf8').split('\n')[0]).toBe('attacker,scenario,hosts,defender,metric,kind,mean,ci_low,ci_high,ci_method,n_seeds,n_observations,km_median,km_censored_share,km_n,horizon,cells_ok,cells_failed,cells_missing');
    expect(readFileSync(join(full, 'units.csv'), 'utf8').split('\n')).toHaveLength(1 + 12 * res.metrics.length + 1);
    // a heading per table in the HTML page
    expect(html).toContain('<h3>DQN attacker</h3>');
    expect(html).not.toContain('Tables in order');
  });

  it('refuses a non-empty directory unless resuming the same spec or forced', async () => {
    const tiny = await loadExperimentSpec(TINY);
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
    const first = await runExperiment(await loadExperimentSpec(TINY), {
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
    const second = await runExperiment(await loadExperimentSpec(TINY), { out: dir, workers: 2, resume: true, onProgress: (e) => events.push(e) });
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

  it('gives the workers the tfjs backend asked for (an explicit input, not this thread\'s state)', async () => {
    const spec = parseExperimentSpec({ name: 'tf', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['dqn'], defenders: ['none'], seeds: [1], budget: { rounds: 0, trainEpisodes: 0, evalEpisodes: 1, detectorEpisodes: 1 } }, 'tf.json');
    const s = await runExperiment(spec, { out: join(root, 'tf-cpu'), workers: 1, report: false, tfBackend: 'cpu' });
    expect(s.done).toBe(1);
    expect(s.manifest.tfBackend).toBe('cpu');
  }, 60_000);

  it('retries a throwing or dying worker once, then records the cell as failed and goes on', () => {
    // Failures are injected by a test plugin (named in the spec, relative to it): its attacker kinds throw
    // on every attempt, end their worker thread, or throw on the first attempt only, until the test
    // writes a "healed" file. Run through the CLI, so the plugin registers in the same module graph as the workers.
    const dir = join(root, 'fail');
    mkdirSync(dir, { recursive: true });
    const plugin = `import { existsSync, writeFileSync } from 'node:fs';
import { createAttacker, registerAttacker } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist/index.js')).href)};
const dir = ${JSON.stringify(dir)};
const healed = () => existsSync(dir + '/healed');
const kind = (name, fail) => registerAttacker(name, { description: 'test-only failure', learning: false, create: (o) => (healed() ? createAttacker('scripted', o) : fail(o)) });
kind('fail-throw', () => { throw new Error('test-only failure (throw)'); });
kind('fail-exit', () => process.exit(3));
kind('fail-once', (o) => {
  if (existsSync(dir + '/once')) return createAttacker('scripted', o);
  writeFileSync(dir + '/once', '');
  throw new Error('test-only failure (first attempt)');
});
`;
    writeFileSync(join(dir, 'fail-plugin.mjs'), plugin);
    const spec = { name: 'fail', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['fail-throw', 'fail-exit', 'fail-once', 'scripted'], defenders: ['none'], seeds: [1], budget: { rounds: 0, trainEpisodes: 0, evalEpisodes: 1, detectorEpisodes: 1 }, plugins: ['./fail-plugin.mjs'] };
    writeFileSync(join(dir, 'fail.json'), JSON.stringify(spec));
    const out = join(dir, 'out');
    const r = cyrange(['run', join(dir, 'fail.json'), '--out', out, '--workers', '2']);
    expect(r.status, r.stderr).toBe(1); // some cells failed
    const retried = [...r.stderr.matchAll(/^(\S+): retry /gm)].map((m) => m[1]!);
    expect(retried.sort()).toEqual(['tiny16|fail-exit|none|s1', 'tiny16|fail-once|none|s1', 'tiny16|fail-throw|none|s1']);
    const recs = readCellsFile(join(out, 'cells.jsonl')).records;
    expect(recs.filter((x) => x.status === 'ok').map((x) => x.id).sort()).toEqual(['tiny16|fail-once|none|s1', 'tiny16|scripted|none|s1']);
    const failed = recs.filter((x) => x.status === 'failed');
    expect(failed.map((x) => x.id).sort()).toEqual(['tiny16|fail-exit|none|s1', 'tiny16|fail-throw|none|s1']);
    expect((failed.find((x) => x.id.includes('fail-throw')) as { error: string }).error).toMatch(/test-only failure \(throw\)/);
    const md = readFileSync(join(out, 'table.md'), 'utf8');
    expect(md).toMatch(/\| 16 \(tiny16\) \| failed \|/);
    expect(md).toContain('- failed: `tiny16|fail-exit|none|s1`');
    // Resuming retries the failed cells (healed now).
    writeFileSync(join(dir, 'healed'), '');
    const again = cyrange(['run', join(dir, 'fail.json'), '--out', out, '--workers', '2', '--resume']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('running 2 of 4 cells');
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).failedCells).toEqual([]);
  }, 120_000);
});

describe('plugins', () => {
  it('a plugin attacker from examples/ trains and is evaluated in `cyrange run` on 2 workers', () => {
    const dir = join(root, 'plugin');
    mkdirSync(dir, { recursive: true });
    const spec = { name: 'plugin-pg-small', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['pg-small'], defenders: ['rule-mas'], seeds: [1, 2], budget: { rounds: 1, trainEpisodes: 4, evalEpisodes: 2, detectorEpisodes: 1 } };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    const out = join(dir, 'out');
    const r = cyrange(['run', join(dir, 'spec.json'), '--plugin', 'examples/plugin-attacker.mjs', '--workers', '2', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('on 2 worker threads');
    const recs = readCellsFile(join(out, 'cells.jsonl')).records;
    expect(recs).toHaveLength(2);
    for (const rec of recs) {
      if (rec.status !== 'ok') throw new Error(`${rec.id} failed: ${rec.error}`);
      expect(rec.spec.attacker).toBe('pg-small');
      expect(rec.rounds[0]!.gradientSteps).toBeGreaterThan(0); // it trained
      expect(rec.metrics).toHaveLength(2); // and was evaluated (frozen, 2 episodes)
    }
    // The plugin's own network (32-16), not the built-in pg's 128-64-32, is what was trained.
    const agents = readdirSync(join(out, 'attackers'));
    expect(agents.length).toBe(2);
    for (const a of agents) expect(JSON.parse(readFileSync(join(out, 'attackers', a, 'agent.json'), 'utf8')).hyperparameters.hidden).toEqual([32, 16]);
    expect(manifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).plugins).toEqual([pathToFileURL(join(REPO, 'examples/plugin-attacker.mjs')).href]);
    // Without the plugin the kind is unknown: a one-line error naming the spec and the field.
    const bare = cyrange(['run', join(dir, 'spec.json'), '--out', join(dir, 'out2')]);
    expect(bare.status).not.toBe(0);
    expect(bare.stderr.trim()).toMatch(/spec\.json: attackers\[0\]: unknown attacker kind "pg-small"/);
    expect(bare.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('does from code what `cyrange run` and `cyrange report` do: import { loadExperimentSpec, runExperiment, writeReport, reproduce } from \'cyrange\'', () => {
    const dir = join(root, 'api');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'api.json'), JSON.stringify({ name: 'api', scenarios: ['small'], attackers: ['scripted'], defenders: ['none', 'rule-mas'], seeds: [1], budget: { rounds: 0, trainEpisodes: 0, evalEpisodes: 1, detectorEpisodes: 1 } }));
    const script = `import { loadExperimentSpec, runExperiment, writeReport, reproduce, registerAttacker, registerDefense } from 'cyrange';
const spec = await loadExperimentSpec(${JSON.stringify(join(dir, 'api.json'))});
const s = await runExperiment(spec, { out: ${JSON.stringify(join(dir, 'out'))}, workers: 1, report: false });
const r = await writeReport(${JSON.stringify(join(dir, 'out'))});
console.log(JSON.stringify({ done: s.done, kind: r.kind, claims: r.kind === 'experiment' ? r.results.claims.length : 0, fns: [reproduce, registerAttacker, registerDefense].map((f) => typeof f) }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ done: 2, kind: 'experiment', claims: 3, fns: ['function', 'function', 'function'] });
    expect(existsSync(join(dir, 'out', 'report.html'))).toBe(true);
  }, 120_000);
});
