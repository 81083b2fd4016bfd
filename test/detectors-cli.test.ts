/**
 * `cyrange defenders` end to end on the shared real samples (test/shared-datasets.ts): multi-class
 * evaluation, domain-shift warnings, per-row scores, what training prints about columns and rows, --force
 * safety, and quiet exits on a closed pipe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../src/detectors/detector.js';
import { loadFlowCsv, type FeatureSchemaLike } from '../src/detectors/datasets.js';
import { CIC_SAMPLE, UNSW_SAMPLE, expectSharedSamples } from './shared-datasets.js';

const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'cyrange-defcli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]): string {
  const r = run(...args);
  expect(r.stderr.includes('cyrange:') ? r.stderr : '', `cyrange ${args.join(' ')}`).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The file's header and data lines (BOM and CRLF kept as they are). */
function linesOf(path: string): { header: string; rows: string[] } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return { header: lines[0]!, rows: lines.slice(1) };
}
function writeCsv(name: string, header: string, rows: string[]): string {
  const p = join(tmp, name);
  writeFileSync(p, `${[header, ...rows].join('\n')}\n`);
  return p;
}

let unswTrain = '';
let unswTest = '';
beforeAll(() => {
  expectSharedSamples();
  const { header, rows } = linesOf(UNSW_SAMPLE);
  unswTrain = writeCsv('unsw-train.csv', header, rows.filter((_, i) => i % 2 === 0));
  unswTest = writeCsv('unsw-test.csv', header, rows.filter((_, i) => i % 2 === 1));
});

describe('multi-class', () => {
  it('evaluate --json gives per-class precision, recall, F1, support, macro and weighted F1 and the confusion matrix; the table shows them', () => {
    const model = join(tmp, 'unsw-mc');
    ok('defenders', 'train', '--kind', 'rf', '--multi-class', '--data', unswTrain, '--out', model, '--workers', '1');
    const j = JSON.parse(ok('defenders', 'evaluate', '--model', model, '--data', unswTest, '--json'));
    const m = j.multiClass;
    expect(m.classes.slice(0, 2)).toEqual(['benign', 'Exploits']);
    expect(new Set(m.classes)).toEqual(new Set(['benign', 'Exploits', 'DoS', 'Fuzzers', 'Reconnaissance', 'Analysis', 'Shellcode', 'Backdoor', 'Worms']));
    const n = j.rows;
    expect(m.perClass.reduce((a: number, c: { support: number }) => a + c.support, 0)).toBe(n);
    expect(m.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(n);
    // Every per-class figure follows from the confusion matrix.
    m.perClass.forEach((c: { class: string; precision: number | null; recall: number | null; f1: number | null; support: number }, k: number) => {
      const tp = m.confusion[k][k];
      const predicted = m.confusion.reduce((a: number, row: number[]) => a + row[k], 0);
      expect(c.support).toBe(m.confusion[k].reduce((a: number, b: number) => a + b, 0));
      if (predicted > 0) expect(c.precision).toBeCloseTo(tp / predicted, 12);
      expect(c.recall).toBeCloseTo(tp / c.support, 12);
      expect(c.f1).toBeCloseTo((2 * tp) / (c.support + predicted), 12);
    });
    const present = m.perClass.filter((c: { support: number }) => c.support > 0);
    expect(m.macroF1).toBeCloseTo(present.reduce((a: number, c: { f1: number }) => a + c.f1, 0) / present.length, 12);
    expect(m.weightedF1).toBeCloseTo(m.perClass.reduce((a: number, c: { f1: number; support: number }) => a + c.f1 * c.support, 0) / n, 12);
    expect(m.accuracy).toBeGreaterThan(0.5);
    expect(j.f1).toBeGreaterThan(0.95);
    const table = ok('defenders', 'evaluate', '--model', model, '--data', unswTest);
    expect(table).toMatch(/multi-class: accuracy \d+\.\d %, macro F1 \d+\.\d %, weighted F1 \d+\.\d %/);
    expect(table).toMatch(/ {2}class +precision +recall +F1 +support\n {2}benign +\d+\.\d % +\d+\.\d % +\d+\.\d % +\d+\n/);
    expect(table).toContain('confusion matrix (rows: true class, columns: predicted 0=benign, 1=Exploits');
  });

  it('UNSW-NB15 raw rows with an empty attack_cat are normal traffic: multi-class training works', () => {
    const rows: string[] = [];
    for (let r = 0; r < 240; r++) {
      const cat = r % 4 === 0 ? 'Exploits' : r % 4 === 1 ? 'Generic' : '';
      const fields = [`175.45.176.${r % 200}`, String(30000 + r), '149.171.126.16', '80', r % 2 ? 'udp' : 'tcp', 'FIN', String(r / 1000)];
      for (let j = 7; j < 47; j++) fields.push(String(((r * 7 + j) % 13) + (cat === '' ? 0 : 20)));
      fields[13] = '-';
      fields[28] = String(1421927414 + r);
      fields[29] = String(1421927415 + r);
      rows.push([...fields, cat, cat === '' ? '0' : '1'].join(','));
    }
    const raw = join(tmp, 'UNSW-NB15_1.csv');
    writeFileSync(raw, `${rows.join('\r\n')}\r\n`);
    const out = ok('defenders', 'train', '--kind', 'rf', '--multi-class', '--data', raw, '--out', join(tmp, 'raw-mc'), '--workers', '1');
    expect(out).toContain('(unsw-nb15-raw); classes: benign 120, Exploits 60, Generic 60');
    expect(out).toMatch(/columns not used as features \(\d+\): srcip \(address\), sport \(source port\), dstip \(address\),/);
  });
});

describe('domain shift', () => {
  const { header, rows } = linesOf(CIC_SAMPLE);
  const model = join(tmp, 'cic-rf');
  beforeAll(() => {
    ok('defenders', 'train', '--kind', 'rf', '--data', CIC_SAMPLE, '--out', model, '--workers', '1');
  });

  it('no warning on data like the training data', () => {
    const j = JSON.parse(ok('defenders', 'evaluate', '--model', model, '--data', CIC_SAMPLE, '--json'));
    expect(j.warnings).toEqual([]);
    expect(j.shift.unseenAttackLabels).toEqual([]);
    expect(j.shift.featureBasis).toBe('benign');
    expect(j.shift.shiftedShare).toBe(0);
  });

  it('attack labels never seen in training: a warning, in the JSON and the text', () => {
    const relabelled = rows.map((l) => (/BENIGN\r?$/.test(l) ? l : l.replace(/,[^,]*(\r?)$/, ',DoS Hulk$1')));
    const p = writeCsv('cic-unseen.csv', header, relabelled);
    const j = JSON.parse(ok('defenders', 'evaluate', '--model', model, '--data', p, '--json'));
    expect(j.shift.unseenAttackLabels).toEqual([{ label: 'DoS Hulk', rows: 2180 }]);
    expect(j.warnings[0]).toBe('none of the attack labels here was seen in training: DoS Hulk (2180 rows); recall measures generalisation to new attacks, not the attacks the model knows');
    expect(ok('defenders', 'evaluate', '--model', model, '--data', p)).toContain('warning: none of the attack labels here was seen in training');
  });

  it('feature distributions far from training: a warning naming the features that moved', () => {
    // Benign flows measured in other units: every numeric cell a thousand times larger.
    const scaled = rows.map((l) => (/BENIGN\r?$/.test(l) ? l.split(',').map((c, k) => (k < 78 && /^-?\d+(\.\d+)?$/.test(c) && c !== '0' ? String(Number(c) * 1000) : c)).join(',') : l));
    const p = writeCsv('cic-scaled.csv', header, scaled);
    const j = JSON.parse(ok('defenders', 'evaluate', '--model', model, '--data', p, '--json'));
    expect(j.shift.featureBasis).toBe('benign');
    expect(j.shift.shiftedShare).toBeGreaterThan(0.25);
    expect(j.shift.top).toHaveLength(5);
    expect(j.warnings.some((w: string) => /^feature distributions far from training: \d+ % of the features moved by more than 1 training standard deviation \(benign rows; most: /.test(w))).toBe(true);
  });
});

describe('score', () => {
  it('writes the model inputs as fed to it, the score and the alert, one row per input row (no label column needed)', async () => {
    const model = join(tmp, 'unsw-ens');
    ok('defenders', 'train', '--kind', 'ensemble', '--data', unswTrain, '--out', model, '--workers', '1');
    const { header, rows } = linesOf(unswTest);
    const names = header.replace(/^\ufeff/, '').replace(/\r$/, '').split(',');
    const keep = names.map((n) => n !== 'label' && n !== 'attack_cat');
    const strip = (l: string): string => l.replace(/\r$/, '').split(',').filter((_, k) => keep[k]).join(',');
    const unlabelled = writeCsv('unsw-unlabelled.csv', strip(header), rows.map(strip));
    const out = join(tmp, 'scores.csv');
    expect(ok('defenders', 'score', '--model', model, '--data', unlabelled, '--out', out)).toMatch(new RegExp(`wrote ${out}: ${rows.length} rows, \\d+ features, \\d+ alerts`));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(rows.length + 1);
    const { detector, manifest } = await Detector.load(model);
    const cols = lines[0]!.split(',');
    expect(cols).toEqual([...detector.schema.names, 'score', 'alert']);
    const ds = await loadFlowCsv([unswTest], { schema: manifest.dataSchema as FeatureSchemaLike });
    const d = ds.nCols;
    const scores = detector.score(ds.X, ds.nRows);
    for (const r of [0, 1, 17, rows.length - 1]) {
      const cells = lines[r + 1]!.split(',').map(Number);
      expect(Float32Array.from(cells.slice(0, d))).toEqual(ds.X.subarray(r * d, (r + 1) * d));
      expect(Math.fround(cells[d]!)).toBe(scores[r]);
      expect(cells[d + 1]).toBe(scores[r]! >= 1 ? 1 : 0);
    }
    const again = run('defenders', 'score', '--model', model, '--data', unlabelled, '--out', out);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toBe(`cyrange: ${out}: already exists (use --force to overwrite)\n`);
  });
});

describe('training output and safety', () => {
  it('prints which columns were dropped and why, skipped rows by reason, and text in numeric columns', () => {
    const lines = ['Flow ID,Src IP,Src Port,Timestamp,bytes,pkts,verdict'];
    for (let r = 0; r < 200; r++) lines.push(`f${r},10.0.0.${r % 250},${40000 + r},2017-07-04 09:00:${r % 60},${r === 9 ? 'n/a-ish' : r * 13},${(r * 7) % 11},${r % 5 ? 'ok' : 'bad'}`);
    lines.push('1,2,3', 'f,10.0.0.1,1,t,5,6,');
    const p = writeCsv('generic.csv', lines[0]!, lines.slice(1));
    const out = ok('defenders', 'train', '--kind', 'rf', '--data', p, '--label-column', 'verdict', '--benign', 'ok', '--out', join(tmp, 'generic-rf'), '--workers', '1');
    expect(out).toContain('columns not used as features (5): Flow ID (identifier), Src IP (address), Src Port (source port), Timestamp (timestamp), verdict (label)');
    expect(out).toContain('rows skipped: 2 (wrong number of fields 1, empty label 1)');
    expect(out).toContain('column "bytes": 1 cells are not numbers (e.g. "n/a-ish"), stored as 0');
    const kept = ok('defenders', 'train', '--kind', 'rf', '--data', p, '--label-column', 'verdict', '--benign', 'ok', '--keep-columns', 'Src Port', '--drop-columns', 'pkts', '--out', join(tmp, 'generic-rf2'), '--workers', '1');
    expect(kept).toContain('loaded 200 rows x 2 features');
    expect(kept).toContain('pkts (dropped by request)');
  });

  it('--force replaces a model directory but refuses any other folder, leaving it as it was', () => {
    const notes = join(tmp, 'thesis');
    mkdirSync(notes);
    writeFileSync(join(notes, 'chapter1.tex'), 'years of work');
    const r = run('defenders', 'train', '--kind', 'rf', '--env', 'small', '--episodes', '1', '--out', notes, '--force');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(`cyrange: ${notes}: not replaced: --force replaces only a cyrange model directory (no manifest.json in it); choose another --out or remove it yourself\n`);
    expect(readFileSync(join(notes, 'chapter1.tex'), 'utf8')).toBe('years of work');
    const model = join(tmp, 'replace-me');
    ok('defenders', 'train', '--kind', 'rf', '--env', 'small', '--episodes', '1', '--out', model, '--workers', '1');
    ok('defenders', 'train', '--kind', 'rf', '--env', 'small', '--episodes', '1', '--out', model, '--workers', '1', '--force', '--seed', '2');
    expect(JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')).seed).toBe(2);
    expect(existsSync(join(model, 'manifest.sha256'))).toBe(true);
  });

  it('--target-fpr outside (0, 0.5] is refused; --kind choices come from the registry', () => {
    const r = run('defenders', 'train', '--kind', 'autoencoder', '--env', 'small', '--out', join(tmp, 'x'), '--target-fpr', '0.7');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--target-fpr must be a false-alarm rate in \(0, 0\.5\], got "0\.7"/);
    expect(ok('defenders', 'train', '--help').replace(/\s+/g, ' ')).toContain('--kind <kind> detector kind (choices: "rf", "autoencoder", "ensemble")');
  });

  it('a closed pipe ends quietly with exit 0 (envs list | head -1, defenders evaluate --json | head -c 20)', () => {
    const model = join(tmp, 'cic-rf');
    for (const cmd of [`node ${cli} envs list | head -1`, `node ${cli} defenders evaluate --model ${model} --data ${CIC_SAMPLE} --json | head -c 20`]) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; ${cmd} > /dev/null`], { encoding: 'utf8' });
      expect(r.stderr, cmd).toBe('');
      expect(r.status, cmd).toBe(0);
    }
  });
});
