/** `cyrange defenders train|evaluate`: train ML detectors on range telemetry or flow CSVs, export, reload, score. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { loadScenario } from '../range/presets.js';
import { FEATURES } from '../range/telemetry.js';
import type { DetectorKind, LabelledData } from '../detectors/detector.js';
import type { FeatureSchemaLike } from '../detectors/datasets.js';
import { CyrangeError } from '../shared/errors.js';

import { detectorKinds, detectorRegistry } from '../detectors/registry.js';
import { guard, intFlag } from './common.js';

// Heavy modules (tfjs, the forest, mathjs) load only when a command runs, so `cyrange --help` and the
// other commands start fast; the detector registry is cheap (its kinds load their code on first use).

interface TrainOpts { kind: DetectorKind; env?: string; episodes: number; data?: string[]; out: string; seed: number; force?: boolean; labelColumn?: string; benign?: string; multiClass?: boolean; workers: number }
interface EvalOpts { model: string; env?: string; episodes: number; data?: string[]; seed: number; json?: boolean; labelColumn?: string; benign?: string }

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');

function sourceOf(o: { env?: string; data?: string[] }): 'env' | 'data' {
  if (o.env && o.data) throw new CyrangeError('give either --env or --data, not both');
  if (!o.env && !o.data) throw new CyrangeError('give --env NAME or --data CSV...');
  return o.env ? 'env' : 'data';
}

export function registerDefenders(program: Command): void {
  const cmd = program.command('defenders').description('train, export and evaluate ML detector defenders');
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
    .requiredOption('--out <dir>', 'model directory to write')
    .option('--seed <s>', 'seed', intFlag('--seed', 0, 2 ** 32 - 1), 1)
    .option('--workers <n>', 'worker threads for the random forest', intFlag('--workers', 1, 64), 2)
    .option('--force', 'replace an existing model directory')
    .action(
      guard(async (o: TrainOpts) => {
        const src = sourceOf(o);
        const { collectTelemetry } = await import('../train/collect.js');
        const { Detector } = await import('../detectors/detector.js');
        const { featureSchemaOf, loadFlowCsv } = await import('../detectors/datasets.js');
        const { closeForestPool } = await import('../detectors/random-forest.js');
        const { initTf } = await import('../nn/runtime.js');
        let data: LabelledData;
        let training: Record<string, unknown>;
        let dataSchema: FeatureSchemaLike | undefined;
        if (src === 'env') {
          const scenario = loadScenario(o.env!);
          const d = collectTelemetry(scenario, { episodes: o.episodes, seed: o.seed });
          data = d;
          training = { source: 'env', scenario: scenario.name, hosts: scenario.hosts.length, episodes: o.episodes, windows: d.windows, rows: d.nRows, attackRows: d.y.reduce((s, v) => s + (v > 0 ? 1 : 0), 0), benignSampling: 'all attacked host-windows, 5 % of benign ones (weighted back)' };
        } else {
          const ds = await loadFlowCsv(o.data!, { ...(o.labelColumn ? { labelColumn: o.labelColumn } : {}), ...(o.benign ? { benign: o.benign } : {}), ...(o.multiClass ? { multiClass: true } : {}) });
          data = { featureNames: ds.featureNames, X: ds.X, nRows: ds.nRows, y: ds.y, classNames: ds.classNames };
          dataSchema = featureSchemaOf(ds);
          training = { source: 'csv', format: ds.format, files: ds.summary.files, rows: ds.nRows, perClass: ds.summary.perClass, nonFiniteCells: ds.summary.nonFiniteCells, skippedRows: ds.summary.skippedRows };
        }
        const rt = detectorRegistry.get(o.kind).usesTf ? await initTf() : null;
        const { detector, validation, trainRows } = await Detector.train(o.kind, data, { seed: o.seed, rf: { workers: o.workers } });
        await detector.save(o.out, { seed: o.seed, training: { ...training, trainRows }, validation, ...(dataSchema ? { dataSchema } : {}), ...(rt ? { tfBackend: rt.backend } : {}) }, o.force ?? false);
        await closeForestPool();
        process.stdout.write(`wrote ${o.out}: ${o.kind} on ${data.nRows} rows x ${data.featureNames.length} features; validation precision ${pct(validation.precision)}, recall ${pct(validation.recall)}, F1 ${pct(validation.f1)}, FPR ${pct(validation.fpr)}\n`);
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
        const { scoreDetections } = await import('../shared/stats.js');
        const { loadFlowCsv } = await import('../detectors/datasets.js');
        const { detector, manifest } = await Detector.load(o.model);
        let X: Float32Array;
        let y: Int32Array;
        let n: number;
        if (src === 'env') {
          if (manifest.dataSchema) throw new CyrangeError(`${o.model}: the model was trained on CSV flow features; evaluate it with --data`);
          const names = detector.schema.names;
          if (names.length !== FEATURES.length || names.some((f, i) => f !== FEATURES[i])) throw new CyrangeError(`${o.model}: featureSchema.names: do not match the range's telemetry features`);
          const d = collectTelemetry(loadScenario(o.env!), { episodes: o.episodes, seed: o.seed, benignShare: 1 });
          ({ X, y, nRows: n } = d);
        } else {
          if (!manifest.dataSchema) throw new CyrangeError(`${o.model}: the model was trained on range telemetry; evaluate it with --env`);
          const ds = await loadFlowCsv(o.data!, { schema: manifest.dataSchema });
          ({ X, y, nRows: n } = ds);
        }
        const pred = detector.predict(X, n);
        const s = scoreDetections(pred, y);
        const out = { model: o.model, kind: detector.kind, source: src === 'env' ? { env: o.env, episodes: o.episodes, seed: o.seed } : { data: o.data }, ...s };
        if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else process.stdout.write(`${detector.kind} on ${s.rows} rows: precision ${pct(s.precision)}, recall ${pct(s.recall)}, F1 ${pct(s.f1)}, FPR ${pct(s.fpr)} (tp ${s.tp}, fp ${s.fp}, fn ${s.fn}, tn ${s.tn})\n`);
      }),
    );
}
