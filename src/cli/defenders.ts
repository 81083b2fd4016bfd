/**
 * `cyrange defenders train|evaluate|score|export`: train ML detectors on range telemetry or flow CSVs,
 * evaluate and score them on later files, export them as ONNX.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { loadScenario } from '../range/presets.js';
import { FEATURES } from '../range/telemetry.js';
import type { LabelledData, SaveMeta } from '../detectors/detector.js';
import type { EvaluationReport } from '../detectors/evaluate.js';
import { detectorKinds, detectorRegistry } from '../detectors/registry.js';
import { CyrangeError } from '../shared/errors.js';
import { guard, intFlag } from './common.js';

// Heavy modules (tfjs, the forest, mathjs) load only when a command runs, so `cyrange --help` and the
// other commands start fast; the detector registry is cheap (its kinds load their code on first use).

interface TrainOpts { kind: string; env?: string; episodes: number; data?: string[]; out: string; seed: number; force?: boolean; labelColumn?: string; benign?: string; multiClass?: boolean; workers: number; targetFpr?: number; dropColumns?: string[]; keepColumns?: string[] }
interface EvalOpts { model: string; env?: string; episodes: number; data?: string[]; seed: number; json?: boolean }
interface ScoreOpts { model: string; data: string[]; out: string; force?: boolean }
interface ExportOpts { model: string; format: string; out: string; force?: boolean }

const pct = (x: number | null): string => (x !== null && Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');

function sourceOf(o: { env?: string; data?: string[] }): 'env' | 'data' {
  if (o.env && o.data) throw new CyrangeError('give either --env or --data, not both');
  if (!o.env && !o.data) throw new CyrangeError('give --env NAME or --data CSV...');
  return o.env ? 'env' : 'data';
}

const rateFlag = (v: string): number => {
  const n = Number(v);
  if (!/^\s*[0-9.eE+-]+\s*$/.test(v) || !(n > 0 && n <= 0.5)) throw new InvalidArgumentError(`--target-fpr must be a false-alarm rate in (0, 0.5], got "${v}"`);
  return n;
};
const listFlag = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The evaluation as text: binary scores, per-class detection, the multi-class table, warnings. */
function evaluationText(kind: string, r: EvaluationReport): string[] {
  const lines = [`${kind} on ${r.rows} rows: precision ${pct(r.precision)}, recall ${pct(r.recall)}, F1 ${pct(r.f1)}, FPR ${pct(r.fpr)} (tp ${r.tp}, fp ${r.fp}, fn ${r.fn}, tn ${r.tn})`];
  if (r.detectionByClass.length > 2) {
    lines.push('flagged per true class:');
    for (const c of r.detectionByClass) lines.push(`  ${c.class}: ${c.flagged} of ${c.rows} (${pct(c.rows > 0 ? c.flagged / c.rows : null)})`);
  }
  const m = r.multiClass;
  if (m) {
    const w = Math.max(5, ...m.classes.map((c) => c.length));
    lines.push(`multi-class: accuracy ${pct(m.accuracy)}, macro F1 ${pct(m.macroF1)}, weighted F1 ${pct(m.weightedF1)}`);
    lines.push(`  ${'class'.padEnd(w)}  precision  recall      F1  support`);
    for (const c of m.perClass) lines.push(`  ${c.class.padEnd(w)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}  ${pct(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`);
    lines.push(`confusion matrix (rows: true class, columns: predicted ${m.predictedClasses.map((c, j) => `${j}=${c}`).join(', ')}):`);
    m.confusion.forEach((row, i) => lines.push(`  ${m.classes[i]!.padEnd(w)}  ${row.map((v) => String(v).padStart(6)).join(' ')}`));
  }
  for (const wn of r.warnings) lines.push(`warning: ${wn}`);
  return lines;
}

export function registerDefenders(program: Command): void {
  const cmd = program.command('defenders').description('train, evaluate, score and export ML detector defenders');
  cmd
    .command('train')
    .description('train a detector on range telemetry (--env) or flow CSV files (--data) and write a model directory')
    .addOption(new Option('--kind <kind>', 'detector kind').choices(detectorKinds()).makeOptionMandatory())
    .option('--env <name>', 'scenario preset or file to collect telemetry from (scripted attackers)')
    .option('--episodes <n>', 'telemetry episodes with --env', intFlag('--episodes', 1, 10000), 10)
    .option('--data <csv...>', 'CICIDS2017, UNSW-NB15 or labelled CSV files')
    .option('--label-column <name>', 'label column of a generic CSV')
    .option('--benign <value>', 'label value meaning benign in a generic CSV')
    .option('--multi-class', 'one class per label value instead of benign vs attack')
    .option('--drop-columns <names>', 'comma-separated columns not to use as features (repeatable)', listFlag)
    .option('--keep-columns <names>', 'comma-separated columns to use although dropped by default (identifiers, addresses, source ports, timestamps, label-side columns)', listFlag)
    .option('--target-fpr <rate>', 'false-alarm rate for thresholds set on benign rows (default 0.01: one false alarm per hundred benign rows)', rateFlag)
    .requiredOption('--out <dir>', 'model directory to write')
    .option('--seed <s>', 'seed', intFlag('--seed', 0, 2 ** 32 - 1), 1)
    .option('--workers <n>', 'worker threads for the random forest', intFlag('--workers', 1, 64), 2)
    .option('--force', 'replace an existing model directory (only a cyrange model directory)')
    .action(
      guard(async (o: TrainOpts) => {
        const src = sourceOf(o);
        const { collectTelemetry } = await import('../train/collect.js');
        const { Detector } = await import('../detectors/detector.js');
        const { loadTrainingCsv } = await import('../detectors/csv-workflow.js');
        const { closeForestPool } = await import('../detectors/random-forest.js');
        const { checkModelOutputDir } = await import('../detectors/model-dir.js');
        // Refuse a bad --out before spending minutes on training.
        checkModelOutputDir(o.out, o.force ?? false);
        let data: LabelledData;
        let meta: Pick<SaveMeta, 'training' | 'dataSchema' | 'trainingLabels'>;
        if (src === 'env') {
          if (o.dropColumns || o.keepColumns || o.labelColumn || o.benign || o.multiClass) throw new CyrangeError('--drop-columns, --keep-columns, --label-column, --benign and --multi-class apply to --data only');
          const scenario = loadScenario(o.env!);
          const d = collectTelemetry(scenario, { episodes: o.episodes, seed: o.seed });
          data = d;
          meta = { training: { source: 'env', scenario: scenario.name, hosts: scenario.hosts.length, episodes: o.episodes, windows: d.windows, rows: d.nRows, attackRows: d.y.reduce((s, v) => s + (v > 0 ? 1 : 0), 0), benignSampling: 'all attacked host-windows, 5 % of benign ones (weighted back)' } };
        } else {
          const loaded = await loadTrainingCsv(o.data!, {
            ...(o.labelColumn ? { labelColumn: o.labelColumn } : {}),
            ...(o.benign ? { benign: o.benign } : {}),
            ...(o.multiClass ? { multiClass: true } : {}),
            ...(o.dropColumns ? { dropColumns: o.dropColumns } : {}),
            ...(o.keepColumns ? { keepColumns: o.keepColumns } : {}),
          });
          ({ data, meta } = loaded);
          say(`loaded ${data.nRows} rows x ${data.featureNames.length} features (${loaded.dataset.format}); classes: ${Object.entries(loaded.dataset.summary.perClass).map(([c, n]) => `${c} ${n}`).join(', ')}`);
          for (const line of loaded.notes) say(line);
        }
        const rt = detectorRegistry.get(o.kind).usesTf ? await (await import('../nn/runtime.js')).initTf() : null;
        const { detector, validation, trainRows } = await Detector.train(o.kind, data, { seed: o.seed, rf: { workers: o.workers }, ...(o.targetFpr !== undefined ? { targetFpr: o.targetFpr } : {}) });
        await detector.save(o.out, { seed: o.seed, ...meta, training: { ...meta.training, trainRows }, validation, ...(rt ? { tfBackend: rt.backend } : {}) }, o.force ?? false);
        await closeForestPool();
        const r = detector.report;
        say(`wrote ${o.out}: ${o.kind} on ${data.nRows} rows x ${data.featureNames.length} features; validation precision ${pct(validation.precision)}, recall ${pct(validation.recall)}, F1 ${pct(validation.f1)}, FPR ${pct(validation.fpr)} (target FPR ${pct(r.targetFpr)})`);
        for (const [name, m] of Object.entries(r.members ?? {})) say(`  member ${name}: F1 ${pct(m.f1)}, FPR ${pct(m.fpr)}`);
        if (r.decision) say(`  decision: ${r.decision.choice}: ${r.decision.reason}`);
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      }),
    );
  cmd
    .command('evaluate')
    .description('reload a model directory and score it on fresh range episodes (--env) or flow CSV files (--data)')
    .requiredOption('--model <dir>', 'model directory written by `defenders train`')
    .option('--env <name>', 'scenario preset or file')
    .option('--episodes <n>', 'evaluation episodes with --env', intFlag('--episodes', 1, 1000), 3)
    .option('--data <csv...>', 'flow CSV files')
    .option('--seed <s>', 'seed of the evaluation episodes', intFlag('--seed', 0, 2 ** 32 - 1), 12345)
    .option('--json', 'print one JSON object')
    .action(
      guard(async (o: EvalOpts) => {
        const src = sourceOf(o);
        const { collectTelemetry } = await import('../train/collect.js');
        const { Detector } = await import('../detectors/detector.js');
        const { evaluateDetector } = await import('../detectors/evaluate.js');
        const { loadEvaluationCsv } = await import('../detectors/csv-workflow.js');
        const { detector, manifest } = await Detector.load(o.model);
        let report: EvaluationReport;
        let notes: string[] = [];
        if (src === 'env') {
          if (manifest.dataSchema) throw new CyrangeError(`${o.model}: the model was trained on CSV flow features; evaluate it with --data`);
          const names = detector.schema.names;
          if (names.length !== FEATURES.length || names.some((f, i) => f !== FEATURES[i])) throw new CyrangeError(`${o.model}: featureSchema.names: do not match the range's telemetry features`);
          const d = collectTelemetry(loadScenario(o.env!), { episodes: o.episodes, seed: o.seed, benignShare: 1 });
          report = evaluateDetector(detector, { X: d.X, nRows: d.nRows, y: d.y, classNames: d.classNames });
        } else {
          const ev = await loadEvaluationCsv(manifest, o.model, o.data!);
          notes = ev.notes;
          report = evaluateDetector(detector, ev.rows, manifest.trainingLabels);
        }
        const source = src === 'env' ? { env: o.env, episodes: o.episodes, seed: o.seed } : { data: o.data };
        if (o.json) say(JSON.stringify({ model: o.model, kind: detector.kind, source, ...report, loadNotes: notes }));
        else {
          for (const line of notes) say(line);
          for (const line of evaluationText(detector.kind, report)) say(line);
        }
      }),
    );
  cmd
    .command('score')
    .description('score every row of flow CSV files: the model input features as fed to it, then score and alert, one output row per input row')
    .requiredOption('--model <dir>', 'model directory written by `defenders train`')
    .requiredOption('--data <csv...>', 'flow CSV files (a label column is optional)')
    .requiredOption('--out <file>', 'CSV file to write')
    .option('--force', 'overwrite --out')
    .action(
      guard(async (o: ScoreOpts) => {
        const { Detector } = await import('../detectors/detector.js');
        const { scoreCsvToFile } = await import('../detectors/csv-workflow.js');
        const { detector, manifest } = await Detector.load(o.model);
        const r = await scoreCsvToFile(detector, manifest, o.model, o.data, o.out, o.force ?? false);
        for (const line of r.notes) say(line);
        say(`wrote ${o.out}: ${r.rows} rows, ${detector.nFeatures} features, ${r.alerts} alerts`);
      }),
    );
  cmd
    .command('export')
    .description('export a model directory as a portable file (ONNX: input "features" [N, d], outputs "score" and "alert")')
    .requiredOption('--model <dir>', 'model directory written by `defenders train`')
    .addOption(new Option('--format <format>', 'export format').choices(['onnx']).default('onnx'))
    .requiredOption('--out <file>', 'file to write (e.g. model.onnx)')
    .option('--force', 'overwrite --out')
    .action(
      guard(async (o: ExportOpts) => {
        const { Detector } = await import('../detectors/detector.js');
        const { writeOnnx } = await import('../detectors/onnx-export.js');
        const { detector } = await Detector.load(o.model);
        const size = writeOnnx(detector, o.out, o.force ?? false);
        say(`wrote ${o.out}: ONNX (opset 15, ai.onnx.ml 3), ${size} bytes; input "features" [N, ${detector.nFeatures}], outputs "score", "alert"`);
      }),
    );
}
