/**
 * The experiment runner: expands a spec to prerequisite jobs and grid cells and runs them on piscina
 * worker threads.
 *
 * Run directory (DIR):
 *   manifest.json   spec + sha256, profile, plan, seeds, versions, tfjs backend, git commit, machine, times, counts
 *   run.lock        the pid of the process running in DIR (removed at the end; a stale one is taken over)
 *   jobs/attackers/KEY/   a learning attacker trained once per (scenario, kind, seed): agent/, scalars.jsonl, job.json
 *   jobs/detectors/KEY/   an ML detector trained once per (scenario, detector kind, seed)
 *   jobs/flow/KEY/        a detector kind trained on a real flow-data CSV: result.json (validation figures)
 *   jobs.jsonl      one line per job finished, reused or failed in a session
 *   cells.jsonl     one line per finished cell, appended and fsynced as soon as the cell ends:
 *                   {"id", "status": "ok", ...CellResult} or {"id", "status": "failed", "error"}
 *   scenarios/      generated scenarios of the spec, written once
 *   table.md, table.csv, results.json, *.svg, report.html   (report.ts, at the end of a run)
 * The formats are zod schemas in run-format.ts and jobs.ts.
 *
 * Order: every job runs before the cells that need it (a learning cell needs its attacker's training job,
 * an ML-defence cell its detector job); jobs that unblock many cells go first (scheduler.ts). A job runs
 * once: its output is reused by every cell, and on resume when it is complete and made for the same job
 * spec; the run lock keeps two processes out of one directory.
 * Crash safety: a crash or Ctrl-C loses only the work in flight. On resume a torn last line is dropped,
 * finished cells are skipped by id (after checking the spec hash and profile), finished jobs are reused,
 * failed cells and unfinished jobs are redone. A task whose worker throws or dies is retried once, then
 * recorded as failed (with the cells that needed it) and the run goes on.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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
import { runRunnerTask, type RunnerTask, type RunnerTaskResult } from './runner-worker.js';
import { TF_BACKEND_ENV, type BackendChoice } from '../nn/runtime.js';
import { expandCells, planOf, resolveScenario, scenarioName, specSha256, type ExperimentPlan, type GeneratedScenario, type LoadedSpec } from './spec.js';
import { expandJobs, flowDataFiles, JOB_LOG_FILE, jobDone, JOBS_DIR, sharedDatasetsDir, type Job, type JobLog } from './jobs.js';
import { runSchedule, type SchedTask } from './scheduler.js';
import { CELLS_FILE, isRunDirectory, LOCK_FILE, MANIFEST_FILE, OWN_FILES, readCellsFile, readManifest, stableJson, writeTextAtomic, type CellRecord, type RunManifest } from './run-format.js';
import { writeReport } from './report.js';
import { compiledWorkerPath } from '../shared/worker-path.js';
import { checkOutputDir } from '../shared/safe-dir.js';

export interface RunOptions {
  /** Run directory. */
  out: string;
  /** Worker threads (default: one per core). Even 1 runs tasks on a worker thread. */
  workers?: number;
  /** Continue a run of the same spec and profile in `out`. */
  resume?: boolean;
  /** Start over in `out` when it holds a cyrange run (of any spec); a directory without our manifest is refused. */
  force?: boolean;
  /** Profile of the spec to apply (null or undefined: the spec's own grid). */
  profile?: string | null;
  onProgress?: (e: ProgressEvent) => void;
  /** Abort (e.g. on SIGINT): stop dispatching, drop the tasks in flight, write the manifest and return. */
  signal?: AbortSignal;
  /** Write the report at the end (default true). */
  report?: boolean;
  /**
   * tfjs backend of the worker threads (default: the CYRANGE_TF_BACKEND environment variable, else
   * auto). An explicit input because a backend chosen in this thread with initTf does not reach workers.
   */
  tfBackend?: BackendChoice;
  /** Flow-data directory for the flow validation (default sharedDatasetsDir()). */
  flowDataDir?: string;
}

export type ProgressEvent =
  | { type: 'start'; total: number; skipped: number; jobs: number; jobsReused: number; workers: number; inThread: boolean }
  | { type: 'job'; key: string; jobType: Job['type']; status: 'ok' | 'failed' | 'retry'; error?: string; summary?: string; jobsDone: number; jobsTotal: number; seconds: number; elapsedSeconds: number; etaSeconds: number | null }
  | { type: 'cell'; id: string; status: 'ok' | 'failed' | 'retry'; error?: string; done: number; failed: number; total: number; cellSeconds: number; elapsedSeconds: number; etaSeconds: number | null; stepsPerSecond: number }
  | { type: 'end'; done: number; failed: number; total: number; jobsFailed: number; elapsedSeconds: number; interrupted: boolean };

export interface RunSummary {
  dir: string;
  total: number;
  done: number;
  failed: number;
  /** Cells already finished in an earlier session (resume). */
  skipped: number;
  /** Jobs run, reused (finished earlier) and failed in this session. */
  jobs: { total: number; ran: number; reused: number; failed: number };
  interrupted: boolean;
  wallSeconds: number;
  manifest: RunManifest;
}

/** The compiled worker, or null (then tasks run in this thread, one at a time). Piscina runs plain JS. */
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

/** Remove cyrange's own files from a run directory (never anything else). */
function removeOwnFiles(dir: string): void {
  for (const f of OWN_FILES) rmSync(join(dir, f), { force: true });
  rmSync(join(dir, JOBS_DIR), { recursive: true, force: true });
  // earlier runs' caches (detectors/, attackers/) hold model directories; scenarios/ our generated .json files
  for (const sub of ['detectors', 'attackers', 'scenarios']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (sub === 'scenarios' ? e.endsWith('.json') : existsSync(join(p, 'manifest.json')) || existsSync(join(p, 'agent.json'))) rmSync(p, { recursive: true, force: true });
    }
    if (readdirSync(d).length === 0) rmSync(d, { recursive: true, force: true });
  }
}

/** Whether a process with this pid is alive (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the run lock of `dir`, or fail when a live process holds it. Returns the release function. */
function lockRun(dir: string, out: string): () => void {
  const f = join(dir, LOCK_FILE);
  if (existsSync(f)) {
    const pid = Number.parseInt(readFileSync(f, 'utf8'), 10);
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) throw new CyrangeError(`${out}: another cyrange process (pid ${pid}) is running in this directory; wait for it to end (or stop it) and resume`);
  }
  writeFileSync(f, `${process.pid}\n`);
  return () => rmSync(f, { force: true });
}

/** Cost estimates for scheduling and the ETA only (about seconds on one core; measured on the presets). */
function cellCost(c: CellSpec, hosts: number): number {
  const det = defenseDetector(c.defender);
  const perEpisode = 0.5 + (hosts / 100) * (det === null ? 0.1 : det === 'ensemble' ? 1.4 : 0.8);
  return c.budget.evalEpisodes * perEpisode;
}

function jobCost(j: Job, hosts: number): number {
  if (j.type === 'attacker') return j.training.episodes * 0.0004 * hosts + (j.training.episodes / j.training.curveEvery) * j.training.curveEpisodes * 0.05;
  if (j.type === 'detector') return j.episodes * 0.1 + (hosts / 100) * (j.kind === 'rf' ? 0.5 : 1);
  return 5;
}

interface Prepared {
  plan: ExperimentPlan;
  cells: CellSpec[];
  jobs: Job[];
  hostsOf: Map<string, number>;
  scenarios: RunManifest['scenarios'];
  flowData: RunManifest['flowData'];
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
function prepare(loaded: LoadedSpec, profile: string | null, dir: string, flowDir: string): Prepared {
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
  const resolveEntry = (e: Parameters<typeof scenarioName>[0]): string => resolveScenario(e, loaded.baseDir, genPath);
  const cells = expandCells(plan, resolveEntry);
  const flow = plan.flowValidation ? flowDataFiles(flowDir) : null;
  const jobs = expandJobs(plan, resolveEntry, flow?.files ?? []);
  const flowData = flow ? { dir: flowDir, files: flow.files.map((f) => ({ name: f.name, bytes: f.bytes })), absent: flow.absent } : null;
  return { plan, cells, jobs, hostsOf, scenarios, flowData };
}

/** Check `out` for this run: fresh, resumable, forced over one of our runs, or refused (one line, nothing touched). */
function checkRunDir(dir: string, out: string, hash: string, profile: string | null, opts: RunOptions): { resuming: boolean; prev: RunManifest | null } {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  if (entries.length === 0) return { resuming: false, prev: null };
  if (opts.force) {
    // the shared rule: --force replaces only a directory holding our marker (a cyrange run manifest)
    checkOutputDir(out, { force: true, markers: [MANIFEST_FILE], checkMarker: () => (isRunDirectory(dir) ? null : `its ${MANIFEST_FILE} is not a cyrange run manifest`), what: 'run directory' });
    return { resuming: false, prev: null };
  }
  const prev = readManifest(dir);
  const same = prev !== null && prev.specSha256 === hash && prev.profile === profile;
  if (opts.resume) {
    if (!prev) throw new CyrangeError(`${out}: cannot resume: not a cyrange run directory (no readable ${MANIFEST_FILE}); use another --out`);
    if (!same) {
      throw new CyrangeError(
        `${out}: cannot resume: the directory holds a run of spec sha256 ${prev.specSha256.slice(0, 12)} (profile ${prev.profile ?? 'none'}), not of this spec ${hash.slice(0, 12)} (profile ${profile ?? 'none'}); use another --out, or --force to start over`,
      );
    }
    return { resuming: true, prev };
  }
  const what = same
    ? `a run of this spec (${prev.cells.done}/${prev.cells.total} cells done): use --resume to continue or --force to start over`
    : prev
      ? `a run of another spec or profile (sha256 ${prev.specSha256.slice(0, 12)}, profile ${prev.profile ?? 'none'}): use another --out, or --force`
      : 'files that are not a cyrange run: use another --out';
  throw new CyrangeError(`${out}: directory is not empty; it holds ${what}`);
}

type Task = SchedTask<{ type: 'cell'; spec: CellSpec } | { type: 'job'; job: Job }>;

/** Run (or resume) an experiment. Returns when every task finished, failed, or the run was aborted. */
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

  const { resuming, prev } = checkRunDir(dir, opts.out, hash, profile, opts);
  mkdirSync(dir, { recursive: true });
  const unlock = lockRun(dir, opts.out);
  try {
    if (opts.force) removeOwnFiles(dir);
    return await runLocked(loaded, opts, { dir, profile, hash, workers, resuming, prev });
  } finally {
    unlock();
  }
}

async function runLocked(
  loaded: LoadedSpec,
  opts: RunOptions,
  ctx: { dir: string; profile: string | null; hash: string; workers: number; resuming: boolean; prev: RunManifest | null },
): Promise<RunSummary> {
  const { dir, profile, hash, workers, resuming, prev } = ctx;
  const prep = prepare(loaded, profile, dir, opts.flowDataDir ?? sharedDatasetsDir());
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
    writeFileSync(join(dir, JOB_LOG_FILE), '');
  }
  const skipped = finished.size;
  // Jobs whose output is complete and made for the same job spec are reused; only the cells left to run need jobs.
  const needed = new Set<string>();
  for (const c of prep.cells) {
    if (finished.has(c.id)) continue;
    if (c.attackerJob) needed.add(`attacker/${c.attackerJob}`);
    if (c.detectorJob) needed.add(`detector/${c.detectorJob}`);
  }
  const jobId = (j: Pick<Job, 'type' | 'key'>): string => `${j.type}/${j.key}`;
  const reused = prep.jobs.filter((j) => jobDone(dir, j));
  const reusedIds = new Set(reused.map(jobId));
  const toRun = prep.jobs.filter((j) => !reusedIds.has(jobId(j)) && (j.type === 'flow' || needed.has(jobId(j))));

  // --- manifest (rewritten at the end; sessions accumulate across resumes)
  const startedAt = new Date().toISOString();
  const cpu = cpus();
  const p = prep.plan;
  const manifest: RunManifest = {
    format: 2,
    tool: 'cyrange',
    experiment: loaded.spec.name,
    specSource: loaded.source,
    specSha256: hash,
    spec: loaded.spec,
    plugins: loaded.plugins,
    profile,
    plan: { scenarios: p.scenarios.map(scenarioName), attackers: p.attackers, defenders: p.defenders, seeds: p.seeds, budget: p.budget, training: p.training, flowValidation: p.flowValidation },
    scenarios: prep.scenarios,
    seeds: p.seeds,
    flowData: prep.flowData,
    packageVersions: packageVersions(),
    tfBackend: prev ? prev.tfBackend : null,
    gitCommit: gitCommit(),
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, totalMemoryBytes: totalmem(), platform: platform(), arch: arch() },
    node: process.versions.node,
    startedAt: prev ? prev.startedAt : startedAt,
    endedAt: null,
    sessions: [...(prev ? prev.sessions : []), { startedAt, endedAt: null, workers, cellsRun: 0, jobsRun: 0, interrupted: false }],
    cells: { total: prep.cells.length, done: skipped, failed: 0 },
    jobs: { total: prep.jobs.length, done: reused.length, failed: 0 },
  };
  writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);

  // --- tasks: jobs to run, then cells; a cell depends on the jobs it loads that are not done yet
  const hostsOfJob = (j: Job): number => (j.type === 'flow' ? 100 : prep.hostsOf.get(j.scenario) ?? 100);
  const tasks: Task[] = [
    ...toRun.map((job): Task => ({ id: jobId(job), deps: [], cost: jobCost(job, hostsOfJob(job)), payload: { type: 'job', job } })),
    ...prep.cells
      .filter((c) => !finished.has(c.id))
      .map((spec): Task => ({
        id: `cell/${spec.id}`,
        deps: [spec.attackerJob ? `attacker/${spec.attackerJob}` : null, spec.detectorJob ? `detector/${spec.detectorJob}` : null].filter((d): d is string => d !== null && !reusedIds.has(d)),
        cost: cellCost(spec, prep.hostsOf.get(spec.scenario) ?? 1),
        payload: { type: 'cell', spec },
      })),
  ];

  const workerFile = runnerWorkerPath();
  const inThread = workerFile === null;
  const slots = inThread ? 1 : workers;
  const workerEnv = opts.tfBackend !== undefined ? { ...process.env, [TF_BACKEND_ENV]: opts.tfBackend } : process.env;
  const pool = inThread ? null : new Piscina<RunnerTask, RunnerTaskResult>({ filename: workerFile, minThreads: slots, maxThreads: slots, idleTimeout: 60_000, env: workerEnv });

  const fd = openSync(cellsPath, 'a');
  const append = (rec: CellRecord | ({ status: 'ok' } & CellResult)): void => {
    writeSync(fd, `${JSON.stringify(rec)}\n`);
    fsyncSync(fd);
  };
  const logJob = (l: JobLog): void => appendFileSync(join(dir, JOB_LOG_FILE), `${JSON.stringify(l)}\n`);
  for (const j of reused) logJob({ type: j.type, key: j.key, status: 'reused', wallSeconds: 0 });

  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const totalCost = tasks.reduce((s, t) => s + t.cost, 0);
  let costDone = 0;
  let done = skipped;
  let failed = 0;
  let jobsRan = 0;
  let jobsFailed = 0;
  let cellsRan = 0;
  let stepsThisSession = 0;
  const total = prep.cells.length;
  const emit = (e: ProgressEvent): void => opts.onProgress?.(e);
  const eta = (): number | null => (costDone > 0 ? (elapsed() / costDone) * (totalCost - costDone) : null);
  emit({ type: 'start', total, skipped, jobs: prep.jobs.length, jobsReused: reused.length, workers: slots, inThread });

  const runTask = (payload: Task['payload'], attempt: number): Promise<RunnerTaskResult> => {
    const task: RunnerTask = { ...payload, runDir: dir, attempt, plugins: loaded.plugins };
    // In-thread fallback (no compiled worker): the task sees this thread's settings.
    return pool ? pool.run(task) : runRunnerTask(task);
  };
  const cellEvent = (id: string, status: 'ok' | 'failed' | 'retry', seconds: number, error?: string): void => {
    const el = elapsed();
    emit({ type: 'cell', id, status, ...(error !== undefined ? { error } : {}), done, failed, total, cellSeconds: seconds, elapsedSeconds: el, etaSeconds: eta(), stepsPerSecond: el > 0 ? stepsThisSession / el : 0 });
  };
  const jobEvent = (job: Job, status: 'ok' | 'failed' | 'retry', seconds: number, extra: { error?: string; summary?: string }): void => {
    emit({ type: 'job', key: job.key, jobType: job.type, status, ...extra, jobsDone: reused.length + jobsRan, jobsTotal: prep.jobs.length, seconds, elapsedSeconds: elapsed(), etaSeconds: eta() });
  };

  let interrupted = false;
  try {
    const r = await runSchedule<Task['payload'], RunnerTaskResult>(tasks, {
      slots,
      run: runTask,
      signal: opts.signal,
      onDone: (t, res, seconds) => {
        costDone += t.cost;
        if (res.type === 'cell') {
          const c = res.result;
          append({ status: 'ok', ...c });
          if (c.tfBackend && !manifest.tfBackend) manifest.tfBackend = c.tfBackend;
          done++;
          cellsRan++;
          stepsThisSession += c.envSteps;
          cellEvent(c.id, 'ok', seconds);
        } else if (t.payload.type === 'job') {
          jobsRan++;
          logJob({ type: t.payload.job.type, key: t.payload.job.key, status: 'ok', wallSeconds: res.outcome.wallSeconds });
          jobEvent(t.payload.job, 'ok', seconds, { summary: res.outcome.summary });
        }
      },
      onRetry: (t, error, seconds) => (t.payload.type === 'cell' ? cellEvent(t.payload.spec.id, 'retry', seconds, error) : jobEvent(t.payload.job, 'retry', seconds, { error })),
      onFailed: (t, error, seconds) => {
        costDone += t.cost;
        if (t.payload.type === 'cell') {
          append({ id: t.payload.spec.id, status: 'failed', error });
          failed++;
          cellsRan++;
          cellEvent(t.payload.spec.id, 'failed', seconds, error);
        } else {
          jobsFailed++;
          logJob({ type: t.payload.job.type, key: t.payload.job.key, status: 'failed', error, wallSeconds: seconds });
          jobEvent(t.payload.job, 'failed', seconds, { error });
        }
      },
    });
    interrupted = r.interrupted;
  } finally {
    if (pool) await pool.destroy().catch(() => undefined);
    closeSync(fd);
  }

  const endedAt = new Date().toISOString();
  manifest.endedAt = endedAt;
  manifest.cells = { total, done, failed };
  manifest.jobs = { total: prep.jobs.length, done: reused.length + jobsRan, failed: jobsFailed };
  const session = manifest.sessions[manifest.sessions.length - 1]!;
  session.endedAt = endedAt;
  session.cellsRun = cellsRan;
  session.jobsRun = jobsRan;
  session.interrupted = interrupted;
  writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
  emit({ type: 'end', done, failed, total, jobsFailed, elapsedSeconds: elapsed(), interrupted });

  if (!interrupted && (opts.report ?? true)) await writeReport(dir);
  return { dir, total, done, failed, skipped, jobs: { total: prep.jobs.length, ran: jobsRan, reused: reused.length, failed: jobsFailed }, interrupted, wallSeconds: elapsed(), manifest };
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
 * A progress printer: on a TTY one updating line (jobs or cells done/total, failed, ETA, env steps/s);
 * otherwise one plain line per finished job or cell.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  const status = (line: string, note: string | null): void => {
    if (tty) {
      if (note !== null) stream.write(`\r\x1b[K${note}\n`);
      stream.write(`\r\x1b[K${line}`);
    } else if (note !== null) stream.write(`${note}; ${line}\n`);
  };
  return (e) => {
    if (e.type === 'start') {
      const how = e.inThread ? 'in this thread (no compiled worker found)' : `on ${e.workers} worker thread${e.workers === 1 ? '' : 's'}`;
      const jobs = e.jobs ? `${e.jobs - e.jobsReused} training jobs${e.jobsReused ? ` (${e.jobsReused} reused)` : ''} and ` : '';
      stream.write(`running ${jobs}${e.total - e.skipped} of ${e.total} cells ${how}${e.skipped ? ` (${e.skipped} already done)` : ''}\n`);
    } else if (e.type === 'job') {
      const line = `jobs ${e.jobsDone}/${e.jobsTotal}, ETA ${fmtDuration(e.etaSeconds)}`;
      const note = `job ${e.jobType} ${e.key}: ${e.status}${e.error ? ` (${e.error})` : ''}${e.summary ? ` (${e.summary})` : ''} in ${e.seconds.toFixed(1)} s`;
      status(line, tty && e.status === 'ok' ? null : note);
    } else if (e.type === 'cell') {
      const line = `cells ${e.done + e.failed}/${e.total}${e.failed ? ` (${e.failed} failed)` : ''}, ETA ${fmtDuration(e.etaSeconds)}, ${Math.round(e.stepsPerSecond)} env steps/s`;
      const note = `${e.id}: ${e.status}${e.error ? ` (${e.error})` : ''} in ${e.cellSeconds.toFixed(1)} s`;
      status(line, tty && e.status === 'ok' ? null : note);
    } else {
      if (tty) stream.write('\n');
      stream.write(`${e.interrupted ? 'interrupted' : 'finished'}: ${e.done}/${e.total} cells done, ${e.failed} failed${e.jobsFailed ? `, ${e.jobsFailed} jobs failed` : ''}, in ${fmtDuration(e.elapsedSeconds)}\n`);
    }
  };
}
