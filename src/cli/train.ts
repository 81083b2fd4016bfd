/**
 * `cyrange train` (adaptive co-training with a checkpoint after every round, --resume, Ctrl-C safe) and
 * `cyrange attackers evaluate`.
 *
 * Run directory:
 *   run.json          the configuration (checked on --resume)
 *   rounds.jsonl      one round record per line, appended when the round's checkpoint is in place
 *   checkpoint/       the last complete round: attacker/ (agent.json + tfjs model), detector/ (model
 *                     directory), telemetry.{x.f32,y.i32,w.f32} (labelled rows the detector retrains on),
 *                     state.json. Replaced atomically, so an interrupt leaves the previous round intact.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CyrangeError } from '../shared/errors.js';
import { VERSION } from '../version.js';
import { loadScenario } from '../range/presets.js';
import { FEATURES, N_FEATURES } from '../range/telemetry.js';
import type { LabelledData, Detector } from '../detectors/detector.js';
import type { RoundRecord } from '../train/cotrain.js';
import { guard, intFlag } from './common.js';

const ATTACKERS = ['dqn', 'pg', 'random', 'scripted', 'scripted-stealthy'] as const;
const DEFENDERS = ['none', 'random', 'rf', 'autoencoder', 'ensemble', 'rule-mas', 'static-range'] as const;

/** What run.json records: the settings a resumed run must share (rounds may grow). */
interface RunSettings {
  env: string;
  attacker: string;
  defender: string;
  rounds: number;
  episodes: number;
  evalEpisodes: number;
  detectorEpisodes: number;
  demoEpisodes: number;
  seed: number;
  /** Learning-attacker hyperparameter overrides (--hyperparameters). */
  hyperparameters?: Record<string, unknown>;
}
interface RunConfig extends RunSettings {
  cyrange: string;
}
interface TrainOpts extends RunSettings {
  out: string;
  workers: number;
  resume?: boolean;
  force?: boolean;
}

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} compare equal. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** A run directory's JSON file; a damaged one is a one-line error naming it. */
function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new CyrangeError(`${file}: not readable JSON (${(e as Error).message.split('\n')[0]}); the run directory is damaged`);
  }
}

/** --hyperparameters: a JSON object; its keys are checked against the attacker kind's defaults later. */
function hyperparametersFlag(v: string): Record<string, unknown> {
  let x: unknown;
  try {
    x = JSON.parse(v);
  } catch (e) {
    throw new InvalidArgumentError(`--hyperparameters: not valid JSON (${(e as Error).message})`);
  }
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new InvalidArgumentError('--hyperparameters: expected a JSON object such as \'{"learningRate":5e-4}\'');
  return x as Record<string, unknown>;
}

function writeTelemetry(dir: string, t: LabelledData): void {
  writeFileSync(join(dir, 'telemetry.x.f32'), Buffer.from(t.X.buffer, t.X.byteOffset, t.X.byteLength));
  writeFileSync(join(dir, 'telemetry.y.i32'), Buffer.from(t.y.buffer, t.y.byteOffset, t.y.byteLength));
  const w = t.weights ?? new Float32Array(t.nRows).fill(1);
  writeFileSync(join(dir, 'telemetry.w.f32'), Buffer.from(w.buffer, w.byteOffset, w.byteLength));
}

function readTelemetry(dir: string, classNames: string[]): LabelledData | null {
  const fx = join(dir, 'telemetry.x.f32');
  if (!existsSync(fx)) return null;
  const bx = readFileSync(fx);
  const by = readFileSync(join(dir, 'telemetry.y.i32'));
  const bw = readFileSync(join(dir, 'telemetry.w.f32'));
  const X = new Float32Array(bx.buffer.slice(bx.byteOffset, bx.byteOffset + bx.byteLength));
  const y = new Int32Array(by.buffer.slice(by.byteOffset, by.byteOffset + by.byteLength));
  const weights = new Float32Array(bw.buffer.slice(bw.byteOffset, bw.byteOffset + bw.byteLength));
  if (X.length !== y.length * N_FEATURES || weights.length !== y.length) throw new CyrangeError(`${fx}: telemetry files do not agree in length (corrupt checkpoint)`);
  return { featureNames: [...FEATURES], X, y, weights, nRows: y.length, classNames };
}

function fmt(x: number | null, digits = 2): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('adaptive co-training of an attacker against a defence, with a checkpoint after every round')
    .requiredOption('--env <name>', 'scenario preset or file')
    .addOption(new Option('--attacker <kind>', 'attacker kind').choices([...ATTACKERS]).makeOptionMandatory())
    .addOption(new Option('--defender <kind>', 'defender kind').choices([...DEFENDERS]).makeOptionMandatory())
    .option('--rounds <r>', 'co-training rounds', intFlag('--rounds', 1, 100000), 5)
    .option('--episodes <e>', 'attacker training episodes per round', intFlag('--episodes', 1, 100000), 10)
    .option('--eval-episodes <n>', 'frozen evaluation episodes per round', intFlag('--eval-episodes', 1, 10000), 5)
    .option('--detector-episodes <n>', 'telemetry episodes for the initial ML detector', intFlag('--detector-episodes', 1, 10000), 6)
    .option('--demo-episodes <n>', 'scripted episodes for the learning attacker\'s warm start (0 = none)', intFlag('--demo-episodes', 0, 10000), 6)
    .requiredOption('--out <dir>', 'run directory')
    .option('--seed <s>', 'seed', intFlag('--seed', 0, 2 ** 32 - 1), 1)
    .option('--hyperparameters <json>', 'learning-attacker hyperparameter overrides, a JSON object (e.g. \'{"evalSample":true}\')', hyperparametersFlag)
    .option('--workers <n>', 'worker threads for training episodes and random-forest fitting (1 = train online in this thread)', intFlag('--workers', 1, 64), 2)
    .option('--resume', 'continue from the last checkpoint in --out')
    .option('--force', 'start over in a non-empty --out (replaces its cyrange files)')
    .action(guard(trainCommand));

  const att = program.command('attackers').description('evaluate trained attackers');
  att
    .command('evaluate')
    .description('evaluate a trained attacker (an agent directory or a `cyrange train` run directory), frozen')
    .requiredOption('--model <dir>', 'agent directory (agent.json) or train run directory')
    .requiredOption('--env <name>', 'scenario preset or file')
    .addOption(new Option('--defender <kind>', 'defender kind').choices([...DEFENDERS]).makeOptionMandatory())
    .option('--detector <dir>', 'detector model directory for ML defenders (default: the run\'s checkpoint, else trained now)')
    .option('--episodes <n>', 'episodes', intFlag('--episodes', 1, 100000), 10)
    .option('--seed <s>', 'seed of the evaluation episodes', intFlag('--seed', 0, 2 ** 32 - 1), 777)
    .option('--json', 'print one JSON object')
    .action(guard(evaluateCommand));
}

async function trainCommand(o: TrainOpts): Promise<void> {
  const { coTrain } = await import('../train/cotrain.js');
  const { Detector } = await import('../detectors/detector.js');
  const { loadLearningAttacker } = await import('../attackers/registry.js');
  const { closeForestPool } = await import('../detectors/random-forest.js');
  const scenario = loadScenario(o.env);
  if (o.hyperparameters) {
    if (o.attacker !== 'dqn' && o.attacker !== 'pg') throw new CyrangeError(`--hyperparameters: only learning attackers (dqn, pg) take hyperparameters, not ${o.attacker}`);
    // Check them now, before the run directory is touched: a throwaway agent validates every value.
    const { createLearningAttacker } = await import('../attackers/registry.js');
    (await createLearningAttacker(o.attacker, { obsSize: 1, nActions: 2, hyperparameters: o.hyperparameters, seed: o.seed, source: '--hyperparameters' })).dispose?.();
  }
  const cfg: RunConfig = {
    cyrange: VERSION, env: o.env, attacker: o.attacker, defender: o.defender, rounds: o.rounds, episodes: o.episodes, evalEpisodes: o.evalEpisodes,
    detectorEpisodes: o.detectorEpisodes, demoEpisodes: o.demoEpisodes, seed: o.seed, ...(o.hyperparameters ? { hyperparameters: o.hyperparameters } : {}),
  };
  const runFile = join(o.out, 'run.json');
  const ckpt = join(o.out, 'checkpoint');
  let startRound = 0;
  let attackerPolicy: import('../range/agent.js').Policy | undefined;
  let detector: Detector | undefined;
  let telemetry: LabelledData | undefined;
  if (o.resume) {
    if (!existsSync(runFile)) throw new CyrangeError(`${runFile}: missing; nothing to resume (drop --resume to start a run)`);
    const prev = readJson(runFile) as RunConfig;
    // Without --hyperparameters a resumed run keeps its own (they are in run.json and the checkpoint).
    if (cfg.hyperparameters === undefined && prev.hyperparameters !== undefined) cfg.hyperparameters = prev.hyperparameters;
    for (const k of ['env', 'attacker', 'defender', 'seed', 'episodes', 'evalEpisodes', 'detectorEpisodes', 'demoEpisodes', 'hyperparameters'] as const) {
      const show = (v: unknown): string => (v === undefined ? 'none' : JSON.stringify(v));
      if (stableJson(prev[k]) !== stableJson(cfg[k])) throw new CyrangeError(`${runFile}: ${k}: the run used ${show(prev[k])}, this command gives ${show(cfg[k])}`);
    }
    if (existsSync(join(ckpt, 'state.json'))) {
      const state = readJson(join(ckpt, 'state.json')) as { round: number };
      startRound = state.round + 1;
      if (existsSync(join(ckpt, 'attacker', 'agent.json'))) attackerPolicy = await loadLearningAttacker(join(ckpt, 'attacker'));
      if (existsSync(join(ckpt, 'detector', 'manifest.json'))) {
        const d = await Detector.load(join(ckpt, 'detector'));
        detector = d.detector;
        telemetry = readTelemetry(ckpt, d.detector.classNames) ?? undefined;
      }
    }
    // Keep rounds.jsonl consistent with the checkpoint (a crash between the two writes).
    const rf = join(o.out, 'rounds.jsonl');
    if (existsSync(rf)) {
      const kept = readFileSync(rf, 'utf8').split('\n').filter((l) => {
        try {
          return l.trim() !== '' && (JSON.parse(l) as RoundRecord).round < startRound;
        } catch {
          return false;
        }
      });
      writeFileSync(rf, kept.map((l) => `${l}\n`).join(''));
    }
    if (startRound >= o.rounds) {
      process.stdout.write(`${o.out}: all ${o.rounds} rounds are done\n`);
      return;
    }
  } else if (existsSync(o.out) && readdirSync(o.out).length > 0) {
    if (!o.force) throw new CyrangeError(`${o.out}: already exists and is not empty (use --resume to continue it or --force to start over)`);
    for (const f of ['run.json', 'rounds.jsonl', 'checkpoint']) rmSync(join(o.out, f), { recursive: true, force: true });
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(runFile, `${JSON.stringify(cfg, null, 2)}\n`);
  let stop = false;
  const onSigint = (): void => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\ncyrange: interrupted; finishing the current episode and keeping the last complete round (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  const tty = process.stdout.isTTY;
  process.stdout.write(`training ${o.attacker} vs ${o.defender} on ${scenario.name} (${scenario.hosts.length} hosts): rounds ${startRound + 1}..${o.rounds}, ${o.episodes} episodes each, seed ${o.seed}\n`);
  const t0 = performance.now();
  let lastTick = t0;
  const r = await coTrain({
    scenario,
    attacker: o.attacker as import('../attackers/registry.js').AttackerKind,
    defender: o.defender as import('../defenders/registry.js').DefenderKind,
    rounds: o.rounds,
    trainEpisodes: o.episodes,
    evalEpisodes: o.evalEpisodes,
    detectorEpisodes: o.detectorEpisodes,
    demoEpisodes: o.demoEpisodes,
    seed: o.seed,
    ...(cfg.hyperparameters ? { attackerHyperparameters: cfg.hyperparameters, attackerSource: '--hyperparameters' } : {}),
    startRound,
    detectorOptions: { rf: { workers: o.workers } },
    workers: o.workers,
    ...(attackerPolicy ? { attackerPolicy } : {}),
    ...(detector ? { detector } : {}),
    ...(telemetry ? { telemetry } : {}),
    shouldStop: () => stop,
    onEpisode: (e) => {
      if (!tty) return;
      const width = 24;
      const done = Math.round((width * e.episode) / e.of);
      const rate = Math.round((e.steps * 1000) / Math.max(1, performance.now() - lastTick));
      lastTick = performance.now();
      process.stdout.write(`\r\x1b[Kround ${e.round + 1}/${o.rounds} ${e.phase} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${e.episode}/${e.of} episodes, ${rate} steps/s`);
    },
    onRound: async (rec, state) => {
      // Checkpoint: build in a temporary directory, then swap it in.
      const tmp = `${ckpt}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      const a = state.attacker as { save?: (dir: string) => Promise<void> };
      if (a.save) await a.save(join(tmp, 'attacker'));
      if (state.detector) {
        await state.detector.save(join(tmp, 'detector'), { seed: o.seed, training: { source: 'cotrain', scenario: scenario.name, round: rec.round, rows: state.telemetry?.nRows ?? null }, validation: { rows: 0, tp: 0, fp: 0, fn: 0, tn: 0, precision: NaN, recall: NaN, f1: rec.detectorValidationF1 ?? NaN, fpr: NaN } });
      }
      if (state.telemetry) writeTelemetry(tmp, state.telemetry);
      writeFileSync(join(tmp, 'state.json'), `${JSON.stringify({ round: rec.round, time: new Date().toISOString() })}\n`);
      const old = `${ckpt}.old-${process.pid}`;
      if (existsSync(ckpt)) renameSync(ckpt, old);
      renameSync(tmp, ckpt);
      rmSync(old, { recursive: true, force: true });
      appendFileSync(join(o.out, 'rounds.jsonl'), `${JSON.stringify(rec)}\n`);
      const line = `round ${rec.round + 1}/${o.rounds}: success ${fmt(rec.attackerSuccess)}, time to objective ${fmt(rec.timeToObjective, 1)} s, F1 ${fmt(rec.detectionF1)}, response latency ${fmt(rec.responseLatency, 1)} s, compromise ${fmt(rec.compromiseRate, 3)}, chain ${fmt(rec.chainLength, 1)}, quiet opening ${fmt(rec.quietOpeningShare)}, quiet tempo ${fmt(rec.quietTempoShare)}, quiet actions ${fmt(rec.quietActionShare)}, ${Math.round(rec.stepsPerSecond)} env steps/s, ${Math.round(rec.gradientStepsPerSecond)} gradient steps/s`;
      process.stdout.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
    },
  });
  process.off('SIGINT', onSigint);
  await closeForestPool();
  const done = r.rounds.length ? r.rounds[r.rounds.length - 1]!.round + 1 : startRound;
  process.stdout.write(`${stop ? 'stopped' : 'finished'} after round ${done} of ${o.rounds} in ${((performance.now() - t0) / 1000).toFixed(1)} s; checkpoint in ${ckpt}${stop ? ' (continue with --resume)' : ''}\n`);
  (r.attacker as { dispose?: () => void }).dispose?.();
}

interface EvalOpts { model: string; env: string; defender: string; detector?: string; episodes: number; seed: number; json?: boolean }

async function evaluateCommand(o: EvalOpts): Promise<void> {
  const { loadLearningAttacker } = await import('../attackers/registry.js');
  const { Detector } = await import('../detectors/detector.js');
  const { createDefense, defenseDetector } = await import('../defenders/registry.js');
  const { collectTelemetry } = await import('../train/collect.js');
  const { RangeEnv } = await import('../range/env.js');
  const { runEpisode } = await import('../range/agent.js');
  const { mean } = await import('../shared/stats.js');
  const { quietShare } = await import('../train/cotrain.js');
  const agentDir = existsSync(join(o.model, 'agent.json')) ? o.model : join(o.model, 'checkpoint', 'attacker');
  if (!existsSync(join(agentDir, 'agent.json'))) throw new CyrangeError(`${o.model}: neither an agent directory (agent.json) nor a train run with a checkpoint`);
  const scenario = loadScenario(o.env);
  const env = new RangeEnv(scenario);
  const agentId = env.attackerIds[0]!;
  const attacker = await loadLearningAttacker(agentDir, { obsSize: env.observationSpace(agentId).shape[0]!, nActions: env.actionSpace(agentId).n });
  attacker.mode = 'eval';
  let detector: Detector | undefined;
  if (defenseDetector(o.defender) !== null) {
    const dd = o.detector ?? (existsSync(join(o.model, 'checkpoint', 'detector', 'manifest.json')) ? join(o.model, 'checkpoint', 'detector') : undefined);
    if (dd) detector = (await Detector.load(dd)).detector;
    else {
      const data = collectTelemetry(scenario, { episodes: 6, seed: o.seed });
      detector = (await Detector.train(o.defender as import('../detectors/detector.js').DetectorKind, data, { seed: o.seed })).detector;
    }
    if (detector.kind !== o.defender) throw new CyrangeError(`${o.detector ?? o.model}: kind: the detector is ${detector.kind}, --defender is ${o.defender}`);
  }
  const defense = await createDefense(o.defender as import('../defenders/registry.js').DefenderKind, env, detector ? { detector } : {});
  const wins: number[] = [];
  const tto: number[] = [];
  const rewards: number[] = [];
  let openings = 0;
  let quietActions = 0;
  let actions = 0;
  for (let i = 0; i < o.episodes; i++) {
    const ep = runEpisode(env, { ...defense.policies, [agentId]: attacker }, (o.seed * 1009 + i) >>> 0);
    const ex = ep.events.find((e) => e.type === 'exfiltration');
    wins.push(ex ? 1 : 0);
    if (ex) tto.push(ex.t);
    rewards.push(ep.returns[agentId] ?? 0);
    const q = quietShare(ep.events, agentId);
    if (q.quietOpening) openings++;
    quietActions += q.tempo;
    actions += q.total;
  }
  const out = {
    model: o.model, kind: attacker.kind, env: o.env, defender: o.defender, episodes: o.episodes, successRate: mean(wins),
    meanTimeToObjective: tto.length ? mean(tto) : null, meanReward: mean(rewards),
    quietOpeningShare: openings / o.episodes, quietTempoShare: actions ? quietActions / actions : 0,
  };
  if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`${attacker.kind} vs ${o.defender} on ${o.env}, ${o.episodes} episodes: success rate ${(100 * out.successRate).toFixed(1)} %, mean time to objective ${fmt(out.meanTimeToObjective, 1)} s, mean reward ${fmt(out.meanReward, 3)}, quiet opening ${(100 * out.quietOpeningShare).toFixed(0)} %, actions in the quiet tempo ${(100 * out.quietTempoShare).toFixed(0)} %\n`);
}
