/**
 * The experiment runner: expands a spec to grid cells and runs each on a piscina worker thread.
 *
 * Run directory (DIR):
 *   manifest.json   spec + sha256, profile, seeds, versions, tfjs backend, git commit, machine, times, counts
 *   cells.jsonl     one line per finished cell, appended and fsynced as soon as the cell ends:
 *                   {"id", "status": "ok", ...CellResult} or {"id", "status": "failed", "error"}
 *   detectors/      ML detectors shared by the cells of the same (scenario, kind, seed, budget)
 *   scenarios/      generated scenarios of the spec, written once
 *   table.md, table.csv, results.json, *.svg, report.html   (report.ts, at the end of a run)
 * The formats of manifest.json, cells.jsonl and results.json are zod schemas in run-format.ts.
 *
 * Crash safety: a crash or Ctrl-C loses only the cells in flight. On resume a torn last line is dropped,
 * finished cells are skipped by id (after checking the spec hash and profile), failed cells are retried.
 * A cell whose worker throws or dies is retried once, then recorded as failed and the run goes on.
 * Scheduling: the most expensive cells go first (longest-processing-time order), and the first cell of
 * each (scenario, ML detector kind, seed) runs before the cells that share its detector, so no two
 * workers train the same detector at once.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, totalmem, platform, arch } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { CyrangeError } from '../shared/errors.js';
import { loadScenario } from '../range/presets.js';
import { generateScenario } from '../range/generate.js';
import { defenseDetector } from '../defenders/registry.js';
import { packageVersions } from '../version.js';
import type { CellResult, CellSpec } from './cell.js';
import { runCellTask, type CellTask } from './runner-worker.js';
import { TF_BACKEND_ENV, type BackendChoice } from '../nn/runtime.js';
import { expandCells, planOf, resolveScenario, scenarioName, specSha256, type ExperimentPlan, type GeneratedScenario, type LoadedSpec } from './spec.js';
import { CELLS_FILE, MANIFEST_FILE, OWN_FILES, readCellsFile, readManifest, stableJson, writeTextAtomic, type CellRecord, type RunManifest } from './run-format.js';
import { writeReport } from './report.js';
import { compiledWorkerPath } from '../shared/worker-path.js';

export interface RunOptions {
  /** Run directory. */
  out: string;
  /** Worker threads (default: one per core). Even 1 runs cells on a worker thread. */
  workers?: number;
  /** Continue a run of the same spec and profile in `out`. */
  resume?: boolean;
  /** Write into a non-empty `out` that is not a resumable run of this spec (replaces cyrange's own files only). */
  force?: boolean;
  /** Profile of the spec to apply (null or undefined: the spec's own grid). */
  profile?: string | null;
  onProgress?: (e: ProgressEvent) => void;
  /** Abort (e.g. on SIGINT): stop dispatching, drop the cells in flight, write the manifest and return. */
  signal?: AbortSignal;
  /** Write the report at the end (default true). */
  report?: boolean;
  /**
   * tfjs backend of the worker threads (default: the CYRANGE_TF_BACKEND environment variable, else
   * auto). An explicit input because a backend chosen in this thread with initTf does not reach workers.
   */
  tfBackend?: BackendChoice;
}

export type ProgressEvent =
  | { type: 'start'; total: number; skipped: number; workers: number; inThread: boolean }
  | { type: 'cell'; id: string; status: 'ok' | 'failed' | 'retry'; error?: string; done: number; failed: number; total: number; cellSeconds: number; elapsedSeconds: number; etaSeconds: number | null; stepsPerSecond: number }
  | { type: 'end'; done: number; failed: number; total: number; elapsedSeconds: number; interrupted: boolean };

export interface RunSummary {
  dir: string;
  total: number;
  done: number;
  failed: number;
  /** Cells already finished in an earlier session (resume). */
  skipped: number;
  interrupted: boolean;
  wallSeconds: number;
  manifest: RunManifest;
}

/** The compiled worker, or null (then cells run in this thread, one at a time). Piscina runs plain JS. */
export function runnerWorkerPath(): string | null {
  return compiledWorkerPath(import.meta.url, 'runner-worker.js');
}

function gitCommit(): string | null {
  try {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, stableJson(value));
}

/** Remove cyrange's own files from `dir` (never anything else). */
function removeOwnFiles(dir: string): void {
  for (const f of OWN_FILES) rmSync(join(dir, f), { force: true });
  for (const sub of ['detectors', 'scenarios']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d)) {
      // detector cache entries are directories with a manifest.json; scenarios are our generated .json files
      const p = join(d, e);
      if (sub === 'detectors' ? existsSync(join(p, 'manifest.json')) : e.endsWith('.json')) rmSync(p, { recursive: true, force: true });
    }
  }
}

/** Cost estimate for scheduling only: ML detectors score every host every window. */
function costOf(c: CellSpec, hosts: number): number {
  const ml = defenseDetector(c.defender) !== null;
  return hosts * (c.defender === 'ensemble' ? 4 : ml ? 3 : 1) * (c.budget.rounds || 1);
}

function detectorGroup(c: CellSpec): string | null {
  return defenseDetector(c.defender) !== null ? `${c.scenario}|${c.defender}|${c.seed}` : null;
}

interface Prepared {
  plan: ExperimentPlan;
  cells: CellSpec[];
  hostsOf: Map<string, number>;
  scenarios: RunManifest['scenarios'];
}

/** Host count of a scenario of the plan; a load error names the spec field. */
function loadScenarioAt(loaded: LoadedSpec, profile: string | null, path: string, i: number): number {
  try {
    return loadScenario(path).hosts.length;
  } catch (err) {
    const where = profile !== null && loaded.spec.profiles?.[profile]?.scenarios ? `profiles.${profile}.scenarios[${i}]` : `scenarios[${i}]`;
    throw new CyrangeError(`${loaded.source}: ${where}: ${(err as Error).message}`);
  }
}

/** Apply the profile, write generated scenarios, load every scenario once (early errors) and expand. */
function prepare(loaded: LoadedSpec, profile: string | null, dir: string): Prepared {
  const plan = planOf(loaded, profile);
  const genPath = (g: GeneratedScenario): string => join(dir, 'scenarios', `${g.name}.json`);
  const scenarios: RunManifest['scenarios'] = [];
  const hostsOf = new Map<string, number>();
  plan.scenarios.forEach((e, i) => {
    const path = resolveScenario(e, loaded.baseDir, genPath);
    if (typeof e !== 'string' && !existsSync(path)) {
      mkdirSync(join(dir, 'scenarios'), { recursive: true });
      const sc = generateScenario({ hosts: e.generate.hosts, seed: e.generate.seed, name: e.name });
      writeFileSync(path, `${JSON.stringify(sc, null, 1)}\n`);
    }
    const hosts = loadScenarioAt(loaded, profile, path, i);
    hostsOf.set(path, hosts);
    scenarios.push({ name: scenarioName(e), hosts, source: typeof e === 'string' ? e : `generated (hosts ${e.generate.hosts}, seed ${e.generate.seed})` });
  });
  const cells = expandCells(plan, (e) => resolveScenario(e, loaded.baseDir, genPath));
  return { plan, cells, hostsOf, scenarios };
}

/** Run (or resume) an experiment. Returns when every cell finished, failed, or the run was aborted. */
export async function runExperiment(loaded: LoadedSpec, opts: RunOptions): Promise<RunSummary> {
  const dir = resolve(opts.out);
  const profile = opts.profile ?? null;
  const hash = specSha256(loaded.spec);
  const workers = Math.max(1, opts.workers ?? cpus().length);

  // Check the profile and the scenarios before touching the directory (so --force never clears a run for nothing).
  const plan0 = planOf(loaded, profile);
  plan0.scenarios.forEach((e, i) => {
    if (typeof e === 'string') loadScenarioAt(loaded, profile, resolveScenario(e, loaded.baseDir, () => ''), i);
  });

  // --- the run directory: fresh, resumable, or refused
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  const prev = entries.length ? readManifest(dir) : null;
  const same = prev !== null && prev.specSha256 === hash && prev.profile === profile;
  let resuming = false;
  if (entries.length > 0) {
    if (opts.force) {
      removeOwnFiles(dir);
    } else if (opts.resume) {
      if (!prev) throw new CyrangeError(`${opts.out}: cannot resume: not a cyrange run directory (no readable ${MANIFEST_FILE}); use another --out, or --force`);
      if (!same) {
        throw new CyrangeError(
          `${opts.out}: cannot resume: the directory holds a run of spec sha256 ${prev.specSha256.slice(0, 12)} (profile ${prev.profile ?? 'none'}), not of this spec ${hash.slice(0, 12)} (profile ${profile ?? 'none'}); use another --out, or --force to start over`,
        );
      }
      resuming = true;
    } else {
      const what = same
        ? `a run of this spec (${prev.cells.done}/${prev.cells.total} cells done): use --resume to continue or --force to start over`
        : prev
          ? `a run of another spec or profile (sha256 ${prev.specSha256.slice(0, 12)}, profile ${prev.profile ?? 'none'}): use another --out, or --force`
          : 'files that are not a cyrange run: use another --out, or --force (only cyrange\'s own files are replaced)';
      throw new CyrangeError(`${opts.out}: directory is not empty; it holds ${what}`);
    }
  }
  mkdirSync(join(dir, 'detectors'), { recursive: true });

  const prep = prepare(loaded, profile, dir);
  const ids = new Set(prep.cells.map((c) => c.id));

  // --- what is already finished (resume): keep valid lines only, so appends never follow a torn line
  const cellsPath = join(dir, CELLS_FILE);
  const finished = new Map<string, CellRecord>();
  if (resuming && existsSync(cellsPath)) {
    const { records } = readCellsFile(cellsPath);
    const keep = records.filter((r) => ids.has(r.id));
    writeFileSync(`${cellsPath}.tmp-${process.pid}`, keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(`${cellsPath}.tmp-${process.pid}`, cellsPath);
    for (const r of keep) if (r.status === 'ok') finished.set(r.id, r);
  } else if (!resuming) {
    writeFileSync(cellsPath, '');
  }
  const skipped = finished.size;

  // --- manifest (rewritten at the end; sessions accumulate across resumes)
  const startedAt = new Date().toISOString();
  const cpu = cpus();
  const manifest: RunManifest = {
    format: 1,
    tool: 'cyrange',
    experiment: loaded.spec.name,
    specSource: loaded.source,
    specSha256: hash,
    spec: loaded.spec,
    plugins: loaded.plugins,
    profile,
    plan: { scenarios: prep.plan.scenarios.map(scenarioName), attackers: prep.plan.attackers, defenders: prep.plan.defenders, seeds: prep.plan.seeds, budget: prep.plan.budget },
    scenarios: prep.scenarios,
    seeds: prep.plan.seeds,
    packageVersions: packageVersions(),
    tfBackend: prev && same ? prev.tfBackend : null,
    gitCommit: gitCommit(),
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, totalMemoryBytes: totalmem(), platform: platform(), arch: arch() },
    node: process.versions.node,
    startedAt: prev && same && resuming ? prev.startedAt : startedAt,
    endedAt: null,
    sessions: [...(prev && same && resuming ? prev.sessions : []), { startedAt, endedAt: null, workers, cellsRun: 0, interrupted: false }],
    cells: { total: prep.cells.length, done: skipped, failed: 0 },
  };
  writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);

  // --- schedule: expensive first; a detector group's first cell before the rest of the group
  const order = prep.cells
    .map((c, i) => ({ c, i, cost: costOf(c, prep.hostsOf.get(c.scenario) ?? 1) }))
    .sort((a, b) => b.cost - a.cost || a.i - b.i)
    .map((x) => x.c);
  const leader = new Map<string, string>();
  for (const c of order) {
    const g = detectorGroup(c);
    if (g && !leader.has(g)) leader.set(g, c.id);
  }
  const groupDone = new Set<string>();
  for (const c of order) {
    const g = detectorGroup(c);
    if (g && finished.has(c.id)) groupDone.add(g); // its detector is on disk already
  }
  const queue: { spec: CellSpec; attempt: number }[] = order.filter((c) => !finished.has(c.id)).map((spec) => ({ spec, attempt: 0 }));
  const ready = (c: CellSpec): boolean => {
    const g = detectorGroup(c);
    return g === null || groupDone.has(g) || leader.get(g) === c.id;
  };

  const workerFile = runnerWorkerPath();
  const inThread = workerFile === null;
  const slots = inThread ? 1 : workers;
  const workerEnv = opts.tfBackend !== undefined ? { ...process.env, [TF_BACKEND_ENV]: opts.tfBackend } : process.env;
  const pool = inThread ? null : new Piscina<CellTask, CellResult>({ filename: workerFile, minThreads: slots, maxThreads: slots, idleTimeout: 60_000, env: workerEnv });
  const detectorCacheDir = join(dir, 'detectors');

  const fd = openSync(cellsPath, 'a');
  const append = (rec: CellRecord | ({ status: 'ok' } & CellResult)): void => {
    writeSync(fd, `${JSON.stringify(rec)}\n`);
    fsyncSync(fd);
  };

  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  let done = skipped;
  let failed = 0;
  let ranThisSession = 0;
  let stepsThisSession = 0;
  let interrupted = false;
  const total = prep.cells.length;
  const emit = (e: ProgressEvent): void => opts.onProgress?.(e);
  emit({ type: 'start', total, skipped, workers: slots, inThread });

  // In-thread fallback (no compiled worker): the cell sees this thread's settings.
  const runTask = (task: CellTask): Promise<CellResult> => (pool ? pool.run(task) : runCellTask(task));

  const inFlight = new Map<string, Promise<void>>();
  const start = (item: { spec: CellSpec; attempt: number }): void => {
    const { spec, attempt } = item;
    const task: CellTask = { spec, detectorCacheDir, attempt, plugins: loaded.plugins };
    const c0 = performance.now();
    const p = runTask(task)
      .then(
        (r) => {
          if (interrupted) return;
          append({ status: 'ok', ...r });
          if (r.tfBackend && !manifest.tfBackend) manifest.tfBackend = r.tfBackend;
          done++;
          ranThisSession++;
          stepsThisSession += r.envSteps;
          const g = detectorGroup(spec);
          if (g) groupDone.add(g);
          progressCell(spec.id, 'ok', undefined, c0);
        },
        (err: unknown) => {
          if (interrupted) return;
          const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
          if (attempt === 0) {
            queue.unshift({ spec, attempt: 1 });
            progressCell(spec.id, 'retry', msg, c0);
            return;
          }
          append({ id: spec.id, status: 'failed', error: msg });
          failed++;
          ranThisSession++;
          const g = detectorGroup(spec);
          if (g) groupDone.add(g); // the rest of the group trains its own detector
          progressCell(spec.id, 'failed', msg, c0);
        },
      )
      .finally(() => inFlight.delete(spec.id));
    inFlight.set(spec.id, p);
  };
  const progressCell = (id: string, status: 'ok' | 'failed' | 'retry', error: string | undefined, c0: number): void => {
    const el = elapsed();
    const remaining = total - done - failed;
    const perCell = ranThisSession > 0 ? el / ranThisSession : null;
    emit({
      type: 'cell',
      id,
      status,
      ...(error !== undefined ? { error } : {}),
      done,
      failed,
      total,
      cellSeconds: (performance.now() - c0) / 1000,
      elapsedSeconds: el,
      etaSeconds: perCell === null ? null : perCell * remaining,
      stepsPerSecond: el > 0 ? stepsThisSession / el : 0,
    });
  };

  const aborted = new Promise<void>((res) => {
    if (opts.signal?.aborted) res();
    opts.signal?.addEventListener('abort', () => res(), { once: true });
  });

  try {
    while (queue.length > 0 || inFlight.size > 0) {
      if (opts.signal?.aborted) break;
      while (inFlight.size < slots) {
        const k = queue.findIndex((x) => ready(x.spec));
        if (k < 0) break;
        start(queue.splice(k, 1)[0]!);
      }
      if (inFlight.size === 0) break; // nothing runnable (cannot happen: a group's leader is always ready)
      await Promise.race([...inFlight.values(), aborted]);
    }
  } finally {
    interrupted = opts.signal?.aborted === true && (queue.length > 0 || inFlight.size > 0);
    if (pool) await pool.destroy().catch(() => undefined);
    closeSync(fd);
  }

  const endedAt = new Date().toISOString();
  manifest.endedAt = endedAt;
  manifest.cells = { total, done, failed };
  const session = manifest.sessions[manifest.sessions.length - 1]!;
  session.endedAt = endedAt;
  session.cellsRun = ranThisSession;
  session.interrupted = interrupted;
  writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
  emit({ type: 'end', done, failed, total, elapsedSeconds: elapsed(), interrupted });

  if (!interrupted && (opts.report ?? true)) await writeReport(dir);
  return { dir, total, done, failed, skipped, interrupted, wallSeconds: elapsed(), manifest };
}

// ---------------------------------------------------------------------------------------------
// Progress display
// ---------------------------------------------------------------------------------------------

function fmtDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/**
 * A progress printer: on a TTY one updating line (cells done/total, failed, ETA, env steps/s);
 * otherwise one plain line per finished cell.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  return (e) => {
    if (e.type === 'start') {
      const how = e.inThread ? 'in this thread (no compiled worker found)' : `on ${e.workers} worker thread${e.workers === 1 ? '' : 's'}`;
      stream.write(`running ${e.total - e.skipped} of ${e.total} cells ${how}${e.skipped ? ` (${e.skipped} already done)` : ''}\n`);
    } else if (e.type === 'cell') {
      const line = `cells ${e.done + e.failed}/${e.total}${e.failed ? ` (${e.failed} failed)` : ''}, ETA ${fmtDuration(e.etaSeconds)}, ${Math.round(e.stepsPerSecond)} env steps/s`;
      if (tty) {
        if (e.status !== 'ok') stream.write(`\r\x1b[K${e.id}: ${e.status}${e.error ? `: ${e.error}` : ''}\n`);
        stream.write(`\r\x1b[K${line}`);
      } else {
        stream.write(`${e.id}: ${e.status}${e.error ? ` (${e.error})` : ''} in ${e.cellSeconds.toFixed(1)} s; ${line}\n`);
      }
    } else {
      if (tty) stream.write('\n');
      stream.write(`${e.interrupted ? 'interrupted' : 'finished'}: ${e.done}/${e.total} cells done, ${e.failed} failed, in ${fmtDuration(e.elapsedSeconds)}\n`);
    }
  };
}
