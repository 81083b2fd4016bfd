import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CyrangeError } from '../src/shared/errors.js';
import { expandCells, loadExperimentSpec, parseExperimentSpec, planOf, trainingFor } from '../src/lab/spec.js';
import { runExperiment, type ProgressEvent } from '../src/lab/runner.js';
import { manifestSchema, readCellsFile, REPORT_FILES, resultsSchema } from '../src/lab/run-format.js';
import { evalEpisodeSeed } from '../src/lab/cell.js';
import { Rng } from '../src/shared/prng.js';

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
  const training = { episodes: 10, curveEvery: 5, curveEpisodes: 1 };
  const good = { name: 'x', scenarios: ['small'], attackers: ['dqn', 'pg'], defenders: ['rf'], seeds: [1, 2], budget: { evalEpisodes: 1, detectorEpisodes: 1 }, training };

  it('expands to stable cell ids in grid order, each cell naming the jobs it loads', () => {
    const cells = expandCells(planOf(parseExperimentSpec(good, 'x.json'), null), (e) => (typeof e === 'string' ? e : e.name));
    expect(cells.map((c) => c.id)).toEqual(['small|dqn|rf|s1', 'small|dqn|rf|s2', 'small|pg|rf|s1', 'small|pg|rf|s2']);
    expect(cells.map((c) => [c.attackerJob, c.detectorJob])).toEqual([['small-dqn-s1', 'small-rf-s1'], ['small-dqn-s2', 'small-rf-s2'], ['small-pg-s1', 'small-rf-s1'], ['small-pg-s2', 'small-rf-s2']]);
  });

  it('applies profiles (training included) and rejects unknown ones; overrides apply per attacker and scenario', async () => {
    const loaded = await loadExperimentSpec('experiments/response-times.json');
    const quick = planOf(loaded, 'quick');
    expect(quick.seeds.length).toBe(2);
    for (const sc of ['small', 'large']) for (const k of ['dqn', 'pg']) expect(trainingFor(quick, sc, k).episodes).toBeLessThan(trainingFor(planOf(loaded, 'full'), sc, k).episodes);
    // a profile's overrides apply after the spec's: per-kind settings hold in every profile
    expect(trainingFor(quick, 'small', 'pg').hyperparameters).toEqual(trainingFor(planOf(loaded, 'full'), 'small', 'pg').hyperparameters);
    expect(planOf(loaded, 'full').seeds.length).toBeGreaterThanOrEqual(10);
    expect(errorOf(() => planOf(loaded, 'nope')).message).toMatch(/^experiments\/response-times\.json: profiles\.nope: no such profile \(known: quick, full\)$/);
    const spec = parseExperimentSpec({ ...good, scenarios: ['small', 'medium'], training: { ...training, hyperparameters: { a: 1 }, overrides: [{ attackers: ['pg'], episodes: 20, hyperparameters: { b: 2 } }, { scenarios: ['medium'], curveEvery: 10 }] } }, 'x.json');
    const plan = planOf(spec, null);
    expect(trainingFor(plan, 'small', 'dqn')).toEqual({ episodes: 10, against: 'none', curveEvery: 5, curveEpisodes: 1, hyperparameters: { a: 1 } });
    expect(trainingFor(plan, 'small', 'pg')).toEqual({ episodes: 20, against: 'none', curveEvery: 5, curveEpisodes: 1, hyperparameters: { a: 1, b: 2 } });
    expect(trainingFor(plan, 'medium', 'pg')).toMatchObject({ episodes: 20, curveEvery: 10 });
  });

  it('checks the training block: needed for learning kinds, a defence without a detector, whole curve steps', () => {
    const { training: _t, ...noTraining } = good;
    expect(errorOf(() => parseExperimentSpec(noTraining, 'e.json')).message).toBe('e.json: training: required when the attackers include learning kinds (dqn, pg): { "episodes", "curveEvery", "curveEpisodes" }');
    expect(errorOf(() => parseExperimentSpec({ ...good, training: { ...training, against: 'rf' } }, 'e.json')).message).toMatch(/^e\.json: training\.against: "rf" needs a detector/);
    expect(errorOf(() => parseExperimentSpec({ ...good, training: { ...training, overrides: [{ attackers: ['scripted'] }] } }, 'e.json')).message).toMatch(/^e\.json: training\.overrides\[0\]\.attackers\[0\]: "scripted" is not a learning attacker of this spec/);
    expect(errorOf(() => planOf(parseExperimentSpec({ ...good, training: { ...training, episodes: 12 } }, 'e.json'), null)).message).toMatch(/^e\.json: training: episodes \(12\) must be a multiple of curveEvery \(5\)/);
    expect(errorOf(() => planOf(parseExperimentSpec({ ...good, training: { ...training, overrides: [{ scenarios: ['huge'] }] } }, 'e.json'), null)).message).toMatch(/"huge" is not a scenario of the plan/);
  });

  it('gives one-line errors naming the file and the field', async () => {
    expect(errorOf(() => parseExperimentSpec({ ...good, attackers: ['dqn', 'hacker'] }, 'e.json')).message).toMatch(/^e\.json: attackers\[1\]: unknown attacker kind "[^"]*" \(known: random, scripted, scripted-stealthy, dqn, pg\)$/);
    expect(errorOf(() => parseExperimentSpec({ ...good, defenders: ['rf', 'magic'] }, 'e.json')).message).toMatch(/^e\.json: defenders\[1\]: unknown defence kind "magic" \(known: .*rule-mas.*\)$/);
    expect(errorOf(() => parseExperimentSpec({ ...good, budget: { evalEpisodes: 1 } }, 'e.json')).message).toMatch(/^e\.json: budget\.detectorEpisodes: /);
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
    expect(s.done).toBe(24);
  }, 120_000);

  it('runs the tiny grid end to end on 2 workers and writes every output', () => {
    expect(fullEvents[0]).toMatchObject({ type: 'start', total: 24, jobs: 4, jobsReused: 0, workers: 2, inThread: false });
    for (const f of ['manifest.json', 'cells.jsonl', 'jobs.jsonl', ...REPORT_FILES]) expect(existsSync(join(full, f)), f).toBe(true);
    expect(existsSync(join(full, 'run.lock'))).toBe(false); // released
    const ids = idsOf(full);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    const m = manifestSchema.parse(JSON.parse(readFileSync(join(full, 'manifest.json'), 'utf8')));
    expect(m.specSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.cells).toEqual({ total: 24, done: 24, failed: 0 });
    expect(m.jobs).toEqual({ total: 4, done: 4, failed: 0 });
    expect(m.machine.cores).toBeGreaterThan(0);
    expect(m.packageVersions.cyrange).toBeTruthy();
    expect(m.tfBackend).toBeTruthy(); // dqn cells load tfjs
    const md = readFileSync(join(full, 'table.md'), 'utf8');
    expect(md).toContain('| Hosts | rf | rule-mas | static-range | oracle | flag-all | none |');
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
    expect(res.units).toHaveLength(24);
    expect(res.failedCells).toEqual([]);
    expect(res.missingCells).toEqual([]);
    expect(readFileSync(join(full, 'table.csv'), 'utf8').split('\n')[0]).toBe('attacker,scenario,hosts,defender,metric,kind,mean,ci_low,ci_high,ci_method,n_seeds,n_observations,km_median,km_censored_share,km_n,horizon,cells_ok,cells_failed,cells_missing');
    expect(readFileSync(join(full, 'units.csv'), 'utf8').split('\n')).toHaveLength(1 + 24 * res.metrics.length + 1);
    // a heading per table in the HTML page
    expect(html).toContain('<h3>DQN attacker</h3>');
    expect(html).toContain('>Table 10: response latency by network size</h2>');
    expect(html).not.toContain('Tables in order');
    // the sanity rows ran on this real run, and the report says what they found
    expect(res.sanity.verdict).toBe('ok');
    expect(res.sanity.checks).toHaveLength(4);
    expect(md).toContain('**Sanity: the oracle beats flag-all and none on defender return at every size for every attacker');
  });

  it('trains each learning attacker once per seed and evaluates that frozen agent in every cell of its seed (every learning cell has gradient steps)', () => {
    const log = readFileSync(join(full, 'jobs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; key: string; status: string });
    expect(log.map((l) => `${l.type}/${l.key}:${l.status}`).sort()).toEqual(['attacker/tiny16-dqn-s1:ok', 'attacker/tiny16-dqn-s2:ok', 'detector/tiny16-rf-s1:ok', 'detector/tiny16-rf-s2:ok']);
    for (const seed of [1, 2]) {
      const job = JSON.parse(readFileSync(join(full, 'jobs', 'attackers', `tiny16-dqn-s${seed}`, 'job.json'), 'utf8'));
      expect(job.spec).toMatchObject({ scenario: expect.stringContaining('tiny16'), kind: 'dqn', seed, episodes: 30, against: 'none' });
    }
    const recs = readCellsFile(join(full, 'cells.jsonl')).records.filter((r) => r.status === 'ok');
    const learning = recs.filter((r) => r.status === 'ok' && r.spec.attacker === 'dqn');
    expect(learning).toHaveLength(12);
    for (const r of learning) {
      if (r.status !== 'ok') continue;
      expect(r.training, r.id).not.toBeNull();
      expect(r.training!.gradientSteps, r.id).toBeGreaterThan(0);
      expect(r.training!.job).toBe(`tiny16-dqn-s${r.spec.seed}`);
      expect(r.training!.curve.map((p) => p.episodes)).toEqual([15, 30]);
    }
    for (const r of recs) if (r.status === 'ok' && r.spec.attacker === 'scripted') expect(r.training).toBeNull();
    const res = resultsSchema.parse(JSON.parse(readFileSync(join(full, 'results.json'), 'utf8')));
    expect(res.untrainedCells).toEqual([]);
    expect(res.training).toHaveLength(1);
    expect(res.training[0]).toMatchObject({ attacker: 'dqn', scenario: 'tiny16', episodes: 30, against: 'none', n: 2, evalMode: 'epsilon-greedy, epsilon 0.05' });
    expect(res.training[0]!.gradientSteps.min).toBeGreaterThan(0);
  });

  it('plays the same evaluation episodes against every defence (and for both attacker kinds) of a seed: defences are paired', () => {
    const recs = readCellsFile(join(full, 'cells.jsonl')).records;
    for (const seed of [1, 2]) {
      const seeds = recs.filter((r) => r.status === 'ok' && r.spec.seed === seed).map((r) => (r.status === 'ok' ? JSON.stringify(r.metrics.map((m) => m.seed)) : ''));
      expect(seeds).toHaveLength(12);
      expect(new Set(seeds).size, `seed ${seed}`).toBe(1);
      expect(JSON.parse(seeds[0]!)).toEqual([evalEpisodeSeed('tiny16', seed, 0), evalEpisodeSeed('tiny16', seed, 1)]);
    }
    expect(evalEpisodeSeed('tiny16', 1, 0)).not.toBe(evalEpisodeSeed('tiny16', 2, 0));
  });

  it('refuses a non-empty directory unless resuming the same spec or forced over a cyrange run; --force never touches a directory without our manifest', async () => {
    const tiny = await loadExperimentSpec(TINY);
    await expect(runExperiment(tiny, { out: full, report: false })).rejects.toThrow(/directory is not empty; it holds a run of this spec \(24\/24 cells done\): use --resume/);
    await expect(runExperiment(tiny, { out: full, profile: 'bench', resume: true, report: false })).rejects.toThrow(/cannot resume: the directory holds a run of spec/);
    // a bad profile is caught before --force clears anything
    await expect(runExperiment(tiny, { out: full, profile: 'nope', force: true, report: false })).rejects.toThrow(/profiles\.nope: no such profile/);
    expect(existsSync(join(full, 'manifest.json'))).toBe(true);
    // a folder of someone else's files: refused with one line, even with --force, and left as it was
    const foreign = join(root, 'foreign');
    mkdirSync(join(foreign, 'sub'), { recursive: true });
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    writeFileSync(join(foreign, 'report.html'), 'my own report');
    for (const o of [{ force: true }, { resume: true }, {}]) {
      const e = await runExperiment(tiny, { out: foreign, report: false, ...o }).catch((x: unknown) => x as Error);
      expect(e).toBeInstanceOf(CyrangeError);
      expect((e as Error).message).not.toContain('\n');
    }
    await expect(runExperiment(tiny, { out: foreign, force: true, report: false })).rejects.toThrow(/foreign: not replaced: --force replaces only a cyrange run directory \(no manifest\.json in it\); choose another --out or remove it yourself$/);
    writeFileSync(join(foreign, 'manifest.json'), '{"tool": "someone else"}');
    await expect(runExperiment(tiny, { out: foreign, force: true, report: false })).rejects.toThrow(/not replaced: its manifest\.json is not a cyrange run manifest; --force replaces only a cyrange run directory/);
    rmSync(join(foreign, 'manifest.json'));
    expect(readdirSync(foreign).sort()).toEqual(['notes.txt', 'report.html', 'sub']);
    expect(readFileSync(join(foreign, 'report.html'), 'utf8')).toBe('my own report');
    // over a cyrange run, --force starts over and keeps files that are not ours
    const ours = join(root, 'ours');
    const small = parseExperimentSpec({ name: 'f', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['scripted'], defenders: ['none'], seeds: [1], budget: { evalEpisodes: 1, detectorEpisodes: 1 } }, 'f.json');
    await runExperiment(small, { out: ours, report: false, workers: 1 });
    writeFileSync(join(ours, 'notes.txt'), 'mine');
    const again = await runExperiment(small, { out: ours, report: false, workers: 1, force: true });
    expect(again.done).toBe(1);
    expect(readFileSync(join(ours, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a directory another live cyrange process is running in (the run lock), and takes over a stale lock', async () => {
    const dir = join(root, 'locked');
    const small = parseExperimentSpec({ name: 'l', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['scripted'], defenders: ['none'], seeds: [1], budget: { evalEpisodes: 1, detectorEpisodes: 1 } }, 'l.json');
    await runExperiment(small, { out: dir, report: false, workers: 1 });
    writeFileSync(join(dir, 'run.lock'), `${process.ppid}\n`); // a live process that is not us
    await expect(runExperiment(small, { out: dir, resume: true, report: false, workers: 1 })).rejects.toThrow(new RegExp(`another cyrange process \\(pid ${process.ppid}\\) is running in this directory`));
    writeFileSync(join(dir, 'run.lock'), '2147483646\n'); // no such process: a crashed run's lock
    const r = await runExperiment(small, { out: dir, resume: true, report: false, workers: 1 });
    expect(r.skipped).toBe(1);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
  });

  it('resumes an interrupted run with a torn last line: no cell lost or repeated, finished jobs reused and never run twice, same results', async () => {
    const dir = join(root, 'resumed');
    const ctl = new AbortController();
    const first = await runExperiment(await loadExperimentSpec(TINY), {
      out: dir,
      workers: 2,
      signal: ctl.signal,
      onProgress: (e) => {
        if (e.type === 'cell' && e.done >= 8) ctl.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    const logOf = (): { key: string; status: string }[] => readFileSync(join(dir, 'jobs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; status: string });
    const ranFirst = logOf().filter((l) => l.status === 'ok').map((l) => l.key);
    expect(ranFirst.length).toBeGreaterThan(0);
    // A crash may leave fewer lines and a partial one: keep half of the finished cells and tear a line.
    const lines = readFileSync(join(dir, 'cells.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    const kept = lines.slice(0, Math.max(1, Math.floor(lines.length / 2)));
    writeFileSync(join(dir, 'cells.jsonl'), `${kept.join('\n')}\n${lines[kept.length]!.slice(0, 40)}`);
    expect(readCellsFile(join(dir, 'cells.jsonl')).skipped).toBe(1);
    const events: ProgressEvent[] = [];
    const second = await runExperiment(await loadExperimentSpec(TINY), { out: dir, workers: 2, resume: true, onProgress: (e) => events.push(e) });
    expect(second.skipped).toBe(kept.length);
    expect(second.jobs.reused).toBe(ranFirst.length);
    expect(events.filter((e) => e.type === 'cell' && e.status === 'ok')).toHaveLength(24 - kept.length);
    // each job ran (status ok) exactly once over both sessions; the second session reused the first's
    const log = logOf();
    const ok = log.filter((l) => l.status === 'ok').map((l) => l.key);
    expect(ok.sort()).toEqual(['tiny16-dqn-s1', 'tiny16-dqn-s2', 'tiny16-rf-s1', 'tiny16-rf-s2']);
    expect(log.filter((l) => l.status === 'reused').map((l) => l.key).sort()).toEqual([...ranFirst].sort());
    const ids = idsOf(dir);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    expect(resultsOf(dir)).toEqual(resultsOf(full));
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.sessions).toHaveLength(2);
    expect(m.sessions[0].interrupted).toBe(true);
  }, 120_000);

  it('flags learning cells whose attacker took no gradient step (a training budget too small is never a silent result); gives the workers the tfjs backend asked for', async () => {
    const spec = parseExperimentSpec({ name: 'u', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['dqn'], defenders: ['none'], seeds: [1], budget: { evalEpisodes: 1, detectorEpisodes: 1 }, training: { episodes: 1, curveEvery: 1, curveEpisodes: 1 } }, 'u.json');
    const dir = join(root, 'untrained');
    // the backend is an explicit input, not this thread's state
    const s = await runExperiment(spec, { out: dir, workers: 1, tfBackend: 'cpu' });
    expect(s.done).toBe(1);
    expect(s.manifest.tfBackend).toBe('cpu');
    const res = resultsSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    expect(res.untrainedCells).toEqual(['tiny16|dqn|none|s1']);
    expect(readFileSync(join(dir, 'table.md'), 'utf8')).toContain('**UNTRAINED: 1 learning cells evaluated an attacker that took no gradient step (raise training.episodes): tiny16|dqn|none|s1.**');
  }, 60_000);

  it('trains each detector kind on the flow-data CSVs for Table 6, and when the data is absent says so without failing the run', async () => {
    // A small UNSW-NB15-shaped file (the loader recognises it by its header): attacks have larger counts.
    const header = 'id,dur,proto,service,state,spkts,dpkts,sbytes,dbytes,rate,sttl,dttl,sload,dload,sloss,dloss,sinpkt,dinpkt,sjit,djit,swin,stcpb,dtcpb,dwin,tcprtt,synack,ackdat,smean,dmean,trans_depth,response_body_len,ct_srv_src,ct_state_ttl,ct_dst_ltm,ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,is_ftp_login,ct_ftp_cmd,ct_flw_http_mthd,ct_src_ltm,ct_srv_dst,is_sm_ips_ports,attack_cat,label';
    const names = header.split(',');
    const rng = new Rng(7);
    const rows = Array.from({ length: 300 }, (_, r) => {
      const attack = r % 3 === 0;
      return names.map((n) => (n === 'id' ? String(r + 1) : n === 'proto' ? (attack ? 'tcp' : 'udp') : n === 'service' ? '-' : n === 'state' ? 'INT' : n === 'attack_cat' ? (attack ? 'Exploits' : 'Normal') : n === 'label' ? (attack ? '1' : '0') : (rng.next() * (attack ? 50 : 10)).toFixed(3))).join(',');
    });
    const data = join(root, 'flowdata');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'unsw_small.csv'), `${header}\n${rows.join('\n')}\n`);
    const spec = parseExperimentSpec({ name: 'flow', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['scripted'], defenders: ['none'], seeds: [1], budget: { evalEpisodes: 1, detectorEpisodes: 1 }, flowValidation: { kinds: ['rf', 'autoencoder'] } }, 'flow.json');
    const out = join(root, 'flow');
    const s = await runExperiment(spec, { out, workers: 2, flowDataDir: data });
    expect(s.jobs).toMatchObject({ total: 2, ran: 2, failed: 0 });
    const res = resultsSchema.parse(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    expect(res.flowValidation!.rows.map((r) => [r.dataset, r.kind, r.trainRows, r.validationRows])).toEqual([['unsw_small', 'rf', 240, 60], ['unsw_small', 'autoencoder', 240, 60]]);
    expect(res.flowValidation!.rows[0]!.accuracy!).toBeGreaterThan(0.9); // separable by construction
    expect(readFileSync(join(out, 'table.md'), 'utf8')).toMatch(/\| unsw_small \| rf \| 240 \/ 60 \| [\d.]+ \| 91\.2 \|/);
    const none = join(root, 'flow-absent');
    const a = await runExperiment(spec, { out: none, workers: 1, flowDataDir: join(root, 'no-such-dir') });
    expect(a.done).toBe(1);
    expect(a.failed).toBe(0);
    expect(readFileSync(join(none, 'table.md'), 'utf8')).toContain(`Table 6 could not be computed: no flow-data directory at ${join(root, 'no-such-dir')} (set CYRANGE_SHARED_DATASETS)`);
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
registerAttacker('fail-learn', { description: 'test-only failing learner', learning: true, create: (o) => (healed() ? createAttacker('dqn', o) : Promise.reject(new Error('test-only failure (learner)'))) });
kind('fail-once', (o) => {
  if (existsSync(dir + '/once')) return createAttacker('scripted', o);
  writeFileSync(dir + '/once', '');
  throw new Error('test-only failure (first attempt)');
});
`;
    writeFileSync(join(dir, 'fail-plugin.mjs'), plugin);
    const spec = { name: 'fail', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['fail-throw', 'fail-exit', 'fail-once', 'fail-learn', 'scripted'], defenders: ['none'], seeds: [1], budget: { evalEpisodes: 1, detectorEpisodes: 1 }, training: { episodes: 2, curveEvery: 2, curveEpisodes: 1, hyperparameters: { learningStarts: 10, batchSize: 8 } }, plugins: ['./fail-plugin.mjs'] };
    writeFileSync(join(dir, 'fail.json'), JSON.stringify(spec));
    const out = join(dir, 'out');
    const r = cyrange(['run', join(dir, 'fail.json'), '--out', out, '--workers', '2']);
    expect(r.status, r.stderr).toBe(1); // some cells failed
    const retried = [...r.stderr.matchAll(/^(\S+): retry /gm)].map((m) => m[1]!);
    expect(retried.sort()).toEqual(['tiny16|fail-exit|none|s1', 'tiny16|fail-once|none|s1', 'tiny16|fail-throw|none|s1']);
    const recs = readCellsFile(join(out, 'cells.jsonl')).records;
    expect(recs.filter((x) => x.status === 'ok').map((x) => x.id).sort()).toEqual(['tiny16|fail-once|none|s1', 'tiny16|scripted|none|s1']);
    const failed = recs.filter((x) => x.status === 'failed');
    expect(failed.map((x) => x.id).sort()).toEqual(['tiny16|fail-exit|none|s1', 'tiny16|fail-learn|none|s1', 'tiny16|fail-throw|none|s1']);
    expect((failed.find((x) => x.id.includes('fail-throw')) as { error: string }).error).toMatch(/test-only failure \(throw\)/);
    // a training job that fails (after its retry) fails the cells that need it, without running them
    expect(r.stderr).toMatch(/^job attacker tiny16-fail-learn-s1: retry \(.*test-only failure \(learner\)\)/m);
    expect((failed.find((x) => x.id.includes('fail-learn')) as { error: string }).error).toMatch(/^prerequisite attacker\/tiny16-fail-learn-s1 failed: .*test-only failure \(learner\)/);
    const md = readFileSync(join(out, 'table.md'), 'utf8');
    expect(md).toMatch(/\| 16 \(tiny16\) \| failed \|/);
    expect(md).toContain('- failed: `tiny16|fail-exit|none|s1`');
    // Resuming retries the failed cells (healed now).
    writeFileSync(join(dir, 'healed'), '');
    const again = cyrange(['run', join(dir, 'fail.json'), '--out', out, '--workers', '2', '--resume']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('running 1 training jobs and 3 of 5 cells');
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).failedCells).toEqual([]);
  }, 120_000);
});

describe('plugins', () => {
  it('a plugin attacker from examples/ trains and is evaluated in `cyrange run` on 2 workers', () => {
    const dir = join(root, 'plugin');
    mkdirSync(dir, { recursive: true });
    const spec = { name: 'plugin-pg-small', scenarios: [{ name: 'tiny16', generate: { hosts: 16, seed: 3 } }], attackers: ['pg-small'], defenders: ['rule-mas'], seeds: [1, 2], budget: { evalEpisodes: 2, detectorEpisodes: 1 }, training: { episodes: 4, curveEvery: 2, curveEpisodes: 1 } };
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
      expect(rec.training!.gradientSteps).toBeGreaterThan(0); // it trained
      expect(rec.metrics).toHaveLength(2); // and was evaluated (frozen, 2 episodes)
    }
    // The plugin's own network (32-16), not the built-in pg's 128-64-32, is what was trained.
    const agents = readdirSync(join(out, 'jobs', 'attackers'));
    expect(agents.sort()).toEqual(['tiny16-pg-small-s1', 'tiny16-pg-small-s2']);
    for (const a of agents) expect(JSON.parse(readFileSync(join(out, 'jobs', 'attackers', a, 'agent', 'agent.json'), 'utf8')).hyperparameters.hidden).toEqual([32, 16]);
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
    writeFileSync(join(dir, 'api.json'), JSON.stringify({ name: 'api', scenarios: ['small'], attackers: ['scripted'], defenders: ['none', 'rule-mas'], seeds: [1], budget: { evalEpisodes: 1, detectorEpisodes: 1 } }));
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
