/**
 * `train`: co-training in a run directory (the library entry behind `cyrange train`), with a checkpoint
 * after every round, exact resume, and training scalars as they come. Formats in formats.ts.
 *
 * Exact resume: the checkpoint holds everything that shapes the rounds to come: the attacker's
 * weights and training state (optimizer moments, target network, replay buffer, PRNG states, episodes
 * waiting for an update), the detector and the telemetry it retrains on. Every other random stream is
 * derived from (seed, round, episode), so a run stopped after any round (Ctrl-C, kill -9) and resumed
 * writes the same rounds.jsonl, scalars.jsonl and weights as one that ran straight through (timings
 * aside).
 *
 * Order of writes after a round: its line is appended to rounds.jsonl, then the checkpoint is built
 * beside the old one and swapped in. On resume, rounds.jsonl and scalars.jsonl keep what belongs to
 * the checkpoint's rounds (a crash between the writes, or mid-round, leaves lines of a round the
 * checkpoint does not have: they are dropped, and that round runs again).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputDir } from '../shared/safe-dir.js';
import { CyrangeError } from '../shared/errors.js';
import { loadPlugins } from '../shared/plugins.js';
import { schemaError } from '../shared/schema-errors.js';
import { VERSION } from '../version.js';
import type { Policy } from '../range/agent.js';
import { loadScenario } from '../range/presets.js';
import type { Scenario } from '../range/scenario.js';
import { FEATURES, N_FEATURES } from '../range/telemetry.js';
import { attackerRegistry, createAttacker, isLearningKind, loadLearningAttacker } from '../attackers/registry.js';
import { readJsonWith } from '../attackers/formats.js';
import { isLearningAttacker } from '../attackers/learner.js';
import { Detector, type LabelledData } from '../detectors/detector.js';
import { closeForestPool } from '../detectors/random-forest.js';
import { defenseRegistry } from '../defenders/registry.js';
import { coTrain, type CoTrainConfig, type RoundRecord } from './cotrain.js';
import { defendedRolloutWorkerPath } from './rollouts.js';
import { SCALARS_FILE, scalarFileSink, scalarSchema } from './scalars.js';
import {
  CHECKPOINT_DIR, RUN_JSON, ROUNDS_FILE, STATE_JSON, TELEMETRY_FILES, checkpointStateSchema, roundLineSchema, runConfigSchema, type RunConfig,
} from './formats.js';

export interface TrainOptions {
  /** Scenario preset name or file. */
  env: string;
  attacker: string;
  defender: string;
  /** Total co-training rounds (a resumed run may raise it). */
  rounds: number;
  /** Attacker training episodes per round. */
  episodes: number;
  /** Frozen evaluation episodes per round. */
  evalEpisodes: number;
  /** Telemetry episodes for the initial ML detector. */
  detectorEpisodes: number;
  /** Scripted episodes for a learning attacker's behaviour-cloning warm start (0 = none). */
  demoEpisodes: number;
  seed: number;
  /** Learning-attacker hyperparameter overrides. */
  hyperparameters?: Record<string, unknown>;
  /** The run directory. */
  out: string;
  /** Worker threads for training episodes and random-forest fitting (default 1: learn online in this thread). */
  workers?: number;
  /** Continue the run in `out` from its last checkpoint. */
  resume?: boolean;
  /** Start over in a non-empty `out` (replaces its cyrange files, keeps others). */
  force?: boolean;
  /**
   * Plugin modules to import first (resolved specifiers, see resolvePlugins); recorded in run.json. A
   * resume without plugins loads the run's own.
   */
  plugins?: string[];
  /** Stops after the current episode; the last complete round stays checkpointed. */
  signal?: AbortSignal;
  /** How the CLI names the settings in errors (default: the option names). */
  sources?: Partial<Record<'attacker' | 'defender' | 'hyperparameters', string>>;
  onStart?(info: { scenario: Scenario; startRound: number }): void;
  onEpisode?: CoTrainConfig['onEpisode'];
  /** After each round's checkpoint is in place, with what writing it took. */
  onRound?(rec: RoundRecord, checkpoint: { bytes: number; seconds: number }): void;
}

export interface TrainResult {
  out: string;
  checkpoint: string;
  /** The first round this call ran (0-based). */
  startRound: number;
  /** The round records of this call. */
  rounds: RoundRecord[];
  /** True when the signal stopped the run before its last round. */
  stopped: boolean;
}

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} compare equal. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** Bytes of the files under `dir`. */
function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

function writeTelemetry(dir: string, t: LabelledData): void {
  writeFileSync(join(dir, TELEMETRY_FILES.X), Buffer.from(t.X.buffer, t.X.byteOffset, t.X.byteLength));
  writeFileSync(join(dir, TELEMETRY_FILES.y), Buffer.from(t.y.buffer, t.y.byteOffset, t.y.byteLength));
  const w = t.weights ?? new Float32Array(t.nRows).fill(1);
  writeFileSync(join(dir, TELEMETRY_FILES.w), Buffer.from(w.buffer, w.byteOffset, w.byteLength));
}

function readTelemetry(dir: string, rows: number, classNames: string[]): LabelledData {
  const read = <T>(name: string, make: (b: ArrayBuffer) => T, len: (t: T) => number, want: number): T => {
    const f = join(dir, name);
    let b: Buffer;
    try {
      b = readFileSync(f);
    } catch {
      throw new CyrangeError(`${f}: missing; the checkpoint is damaged`);
    }
    const t = make(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    if (len(t) !== want) throw new CyrangeError(`${f}: ${len(t)} values, state.json telemetry.rows says ${want}; the checkpoint is damaged`);
    return t;
  };
  const X = read(TELEMETRY_FILES.X, (b) => new Float32Array(b), (t) => t.length, rows * N_FEATURES);
  const y = read(TELEMETRY_FILES.y, (b) => new Int32Array(b), (t) => t.length, rows);
  const weights = read(TELEMETRY_FILES.w, (b) => new Float32Array(b), (t) => t.length, rows);
  return { featureNames: [...FEATURES], X, y, weights, nRows: rows, classNames };
}

/** Keeps the lines of a JSONL file whose `round` is below `below` (a torn last line is dropped). */
function keepRounds(file: string, below: number, parse: (v: unknown) => { round: number } | null): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n');
  const kept: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: { round: number } | null = null;
    try {
      v = parse(JSON.parse(line));
    } catch {
      // Only the last line can be torn (appends only): a damaged line before it is not ours to drop.
      if (i < lines.length - 2) throw new CyrangeError(`${file}: line ${i + 1}: not valid JSON; the run directory is damaged`);
      return;
    }
    if (v === null) throw new CyrangeError(`${file}: line ${i + 1}: not a record of this run; the run directory is damaged`);
    if (v.round < below) kept.push(line);
  });
  writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
}

/**
 * A kill between the two renames of a checkpoint swap leaves no `checkpoint/` but a complete new one
 * (`checkpoint.tmp-PID`, complete once its state.json exists) or the old one (`checkpoint.old-PID`):
 * put the newest complete one back, and clear the leftovers of interrupted writes.
 */
function recoverCheckpoint(out: string): void {
  const ckpt = join(out, CHECKPOINT_DIR);
  const leftovers = existsSync(out) ? readdirSync(out).filter((f) => f.startsWith(`${CHECKPOINT_DIR}.tmp-`) || f.startsWith(`${CHECKPOINT_DIR}.old-`)) : [];
  if (!existsSync(ckpt)) {
    const complete = leftovers.filter((f) => existsSync(join(out, f, STATE_JSON)));
    const newest = complete.find((f) => f.includes('.tmp-')) ?? complete[0];
    if (newest !== undefined) renameSync(join(out, newest), ckpt);
  }
  for (const f of leftovers) rmSync(join(out, f), { recursive: true, force: true });
}

const rolloutMode = (workers: number): 'online' | 'workers' => (workers > 1 && defendedRolloutWorkerPath() !== null ? 'workers' : 'online');

export async function train(o: TrainOptions): Promise<TrainResult> {
  const src = { attacker: 'attacker', defender: 'defender', hyperparameters: 'hyperparameters', ...o.sources };
  const runFile = join(o.out, RUN_JSON);
  const ckpt = join(o.out, CHECKPOINT_DIR);
  const workers = o.workers ?? 1;
  let prev: RunConfig | null = null;
  if (o.resume) {
    if (!existsSync(runFile)) throw new CyrangeError(`${runFile}: missing; nothing to resume (drop --resume to start a run)`);
    prev = readJsonWith(runFile, runConfigSchema, 'run configuration');
  }
  // A resumed run keeps its own plugins and hyperparameters unless the caller gives them (then they must match).
  const plugins = o.plugins?.length ? o.plugins : (prev?.plugins ?? []);
  await loadPlugins(plugins, 'plugin');
  attackerRegistry.get(o.attacker, src.attacker);
  defenseRegistry.get(o.defender, src.defender);
  const learning = isLearningKind(o.attacker);
  const hyperparameters = o.hyperparameters ?? prev?.hyperparameters;
  if (hyperparameters) {
    if (!learning) throw new CyrangeError(`${src.hyperparameters}: only learning attackers (${attackerRegistry.kinds().filter(isLearningKind).join(', ')}) take hyperparameters, not ${o.attacker}`);
    // Checked now, before the run directory is touched: a throwaway agent validates every value.
    await createAttacker(o.attacker, { obsSize: 1, nActions: 2, hyperparameters, seed: o.seed, source: src.hyperparameters });
  }
  const scenario = loadScenario(o.env);
  const cfg: RunConfig = {
    cyrange: VERSION, env: o.env, attacker: o.attacker, defender: o.defender, rounds: o.rounds, episodes: o.episodes, evalEpisodes: o.evalEpisodes,
    detectorEpisodes: o.detectorEpisodes, demoEpisodes: o.demoEpisodes, seed: o.seed,
    ...(hyperparameters ? { hyperparameters } : {}), ...(plugins.length ? { plugins } : {}), rollouts: rolloutMode(workers),
  };

  let startRound = 0;
  let attackerPolicy: Policy | undefined;
  let detector: Detector | undefined;
  let telemetry: LabelledData | undefined;
  if (prev) {
    const show = (v: unknown): string => (v === undefined ? 'none' : JSON.stringify(v));
    for (const k of ['env', 'attacker', 'defender', 'seed', 'episodes', 'evalEpisodes', 'detectorEpisodes', 'demoEpisodes', 'hyperparameters', 'plugins'] as const) {
      if (stableJson(prev[k]) !== stableJson(cfg[k])) throw new CyrangeError(`${runFile}: ${k}: the run used ${show(prev[k])}, this command gives ${show(cfg[k])}`);
    }
    if (prev.rollouts !== undefined && learning && prev.rollouts !== cfg.rollouts) {
      throw new CyrangeError(`${runFile}: rollouts: the run trained ${prev.rollouts === 'online' ? 'online (workers 1)' : 'on rollout workers (workers > 1)'}; resume it the same way, results differ between the two`);
    }
    recoverCheckpoint(o.out);
    const stateFile = join(ckpt, STATE_JSON);
    if (existsSync(stateFile)) {
      const state = readJsonWith(stateFile, checkpointStateSchema, 'checkpoint state');
      startRound = state.round + 1;
      if (existsSync(join(ckpt, 'attacker', 'agent.json'))) attackerPolicy = await loadLearningAttacker(join(ckpt, 'attacker'), { training: true });
      if (existsSync(join(ckpt, 'detector', 'manifest.json'))) {
        detector = (await Detector.load(join(ckpt, 'detector'))).detector;
        if (state.telemetry) telemetry = readTelemetry(ckpt, state.telemetry.rows, detector.classNames);
      }
    }
    keepRounds(join(o.out, ROUNDS_FILE), startRound, (v) => {
      const r = roundLineSchema.safeParse(v);
      return r.success ? r.data : null;
    });
    keepRounds(join(o.out, SCALARS_FILE), startRound, (v) => {
      const r = scalarSchema.safeParse(v);
      return r.success ? r.data : null;
    });
    if (startRound >= o.rounds) return { out: o.out, checkpoint: ckpt, startRound, rounds: [], stopped: false };
  } else if (existsSync(o.out) && readdirSync(o.out).length > 0) {
    if (!o.force) throw new CyrangeError(`${o.out}: already exists and is not empty (use --resume to continue it or --force to start over)`);
    // --force replaces only a train run directory (its run.json present), and in it only our own files.
    checkOutputDir(o.out, { force: true, markers: [RUN_JSON], what: 'train run directory' });
    for (const f of [RUN_JSON, ROUNDS_FILE, SCALARS_FILE, CHECKPOINT_DIR]) rmSync(join(o.out, f), { recursive: true, force: true });
    recoverCheckpoint(o.out);
    rmSync(join(o.out, CHECKPOINT_DIR), { recursive: true, force: true });
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(runFile, `${JSON.stringify(cfg, null, 2)}\n`);
  o.onStart?.({ scenario, startRound });

  const checkpoint = async (rec: RoundRecord, state: { attacker: Policy; detector: Detector | null; telemetry: LabelledData | null }): Promise<{ bytes: number; seconds: number }> => {
    const t0 = performance.now();
    appendFileSync(join(o.out, ROUNDS_FILE), `${JSON.stringify(rec)}\n`);
    // Built beside the old one, then swapped in: an interrupt leaves one complete checkpoint.
    const tmp = `${ckpt}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    if (isLearningAttacker(state.attacker)) await state.attacker.save(join(tmp, 'attacker'), { training: true });
    if (state.detector) {
      await state.detector.save(join(tmp, 'detector'), { seed: o.seed, training: { source: 'cotrain', scenario: scenario.name, round: rec.round, rows: state.telemetry?.nRows ?? null }, validation: { rows: 0, tp: 0, fp: 0, fn: 0, tn: 0, precision: NaN, recall: NaN, f1: rec.detectorValidationF1 ?? NaN, fpr: NaN } });
    }
    if (state.telemetry) writeTelemetry(tmp, state.telemetry);
    const st = { round: rec.round, time: new Date().toISOString(), ...(state.telemetry ? { telemetry: { rows: state.telemetry.nRows } } : {}) };
    const checked = checkpointStateSchema.safeParse(st);
    if (!checked.success) throw schemaError(join(tmp, STATE_JSON), checked.error);
    writeFileSync(join(tmp, STATE_JSON), `${JSON.stringify(st)}\n`);
    const bytes = dirBytes(tmp);
    const old = `${ckpt}.old-${process.pid}`;
    if (existsSync(ckpt)) renameSync(ckpt, old);
    renameSync(tmp, ckpt);
    rmSync(old, { recursive: true, force: true });
    return { bytes, seconds: (performance.now() - t0) / 1000 };
  };

  const rounds: RoundRecord[] = [];
  let result: Awaited<ReturnType<typeof coTrain>> | null = null;
  try {
    result = await coTrain({
      scenario,
      attacker: o.attacker,
      defender: o.defender,
      rounds: o.rounds,
      trainEpisodes: o.episodes,
      evalEpisodes: o.evalEpisodes,
      detectorEpisodes: o.detectorEpisodes,
      demoEpisodes: o.demoEpisodes,
      seed: o.seed,
      ...(hyperparameters ? { attackerHyperparameters: hyperparameters, attackerSource: src.hyperparameters } : {}),
      startRound,
      detectorOptions: { rf: { workers } },
      workers,
      ...(attackerPolicy ? { attackerPolicy } : {}),
      ...(detector ? { detector } : {}),
      ...(telemetry ? { telemetry } : {}),
      scalars: scalarFileSink(join(o.out, SCALARS_FILE)),
      shouldStop: () => o.signal?.aborted ?? false,
      ...(o.onEpisode ? { onEpisode: o.onEpisode } : {}),
      onRound: async (rec, state) => {
        const written = await checkpoint(rec, state);
        rounds.push(rec);
        o.onRound?.(rec, written);
      },
    });
  } finally {
    await closeForestPool();
  }
  (result.attacker as { dispose?: () => void }).dispose?.();
  const last = rounds.length ? rounds[rounds.length - 1]!.round : startRound - 1;
  return { out: o.out, checkpoint: ckpt, startRound, rounds, stopped: last + 1 < o.rounds };
}
