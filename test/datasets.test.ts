/**
 * Flow-data CSV loaders. Every file here is written by the test, with the real headers of the public
 * data sets (copied byte for byte from CICIDS2017 MachineLearningCVE and UNSW-NB15 training/testing-set
 * CSVs) and their quirks: BOM, CRLF, leading spaces, a duplicated column, Infinity/NaN, mangled dashes.
 * The last block checks the shared real samples (test/shared-datasets.ts says where they are looked for).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeLoad,
  detectFormat,
  featureSchemaOf,
  loadFlowCsv,
  normalizeLabel,
  splitCsvLine,
  type FlowDataset,
  type LoadProgress,
} from '../src/detectors/datasets.js';
import { UNSW_RAW_COLUMNS } from '../src/detectors/flow-dialects.js';
import { CyrangeError } from '../src/shared/errors.js';
import { CIC_SAMPLE, UNSW_SAMPLE, expectSharedSamples } from './shared-datasets.js';

// The header line of a CICIDS2017 MachineLearningCVE CSV, byte for byte (without BOM and line end).
const CICIDS_HEADER = readFileSync(new URL('./fixtures/cicids2017-mlcve-header.txt', import.meta.url), 'utf8');

// The "TrafficLabelling" variant: identifiers and Protocol/Timestamp before Flow Duration.
const CICIDS_TL_HEADER =
  'Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp,' +
  CICIDS_HEADER.slice(CICIDS_HEADER.indexOf(' Flow Duration'));

const UNSW_HEADER =
  'id,dur,proto,service,state,spkts,dpkts,sbytes,dbytes,rate,sttl,dttl,sload,dload,sloss,dloss,sinpkt,' +
  'dinpkt,sjit,djit,swin,stcpb,dtcpb,dwin,tcprtt,synack,ackdat,smean,dmean,trans_depth,response_body_len,' +
  'ct_srv_src,ct_state_ttl,ct_dst_ltm,ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,is_ftp_login,' +
  'ct_ftp_cmd,ct_flw_http_mthd,ct_src_ltm,ct_srv_dst,is_sm_ips_ports,attack_cat,label';

const BOM = '\ufeff';
const dir = mkdtempSync(join(tmpdir(), 'cyrange-datasets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function write(name: string, text: string): string {
  const p = join(dir, `${fileNo++}-${name}`);
  writeFileSync(p, text);
  return p;
}

async function loadError(paths: string[], opts: Parameters<typeof loadFlowCsv>[1] = {}): Promise<string> {
  try {
    await loadFlowCsv(paths, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(CyrangeError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a CyrangeError');
}

function cell(ds: FlowDataset, row: number, feature: string): number {
  const j = ds.featureNames.indexOf(feature);
  if (j < 0) throw new Error(`no feature ${feature}`);
  return ds.X[row * ds.nCols + j]!;
}

// ---------------------------------------------------------------------------------------------
// CICIDS2017
// ---------------------------------------------------------------------------------------------

const CIC_NAMES = CICIDS_HEADER.split(',').map((s) => s.trim());
const CIC_LABELS = [
  'BENIGN',
  'BENIGN',
  'DDoS',
  'Web Attack \u2013 Brute Force', // the original en dash
  'Web Attack \u00ef\u00bf\u00bd Brute Force', // mojibake as in the shared sample
  'BENIGN',
  'Web Attack \ufffd XSS', // replacement character
  'DDoS',
  'Web Attack \u0096 Brute Force', // cp1252 byte read as latin-1
  'BENIGN',
];

/** Row r: column j holds r*1000+j, with a decimal, Infinity/NaN/empty cells and an identical duplicate. */
function cicRow(r: number, label: string, names = CIC_NAMES, dupDiffers = false): string {
  return names
    .map((n, j) => {
      if (n === 'Label') return label;
      if (n === 'Fwd Packet Length Mean') return `${r}.5`;
      if (n === 'Flow Bytes/s' && r === 1) return 'Infinity';
      if (n === 'Flow Packets/s' && r === 1) return 'Infinity';
      if (n === 'Flow Bytes/s' && r === 2) return 'NaN';
      if (n === 'Flow IAT Mean' && r === 3) return '';
      if (n === 'Flow ID') return `192.168.10.5-104.16.207.165-54865-443-6`;
      if (n === 'Source IP') return `192.168.10.${r}`;
      if (n === 'Destination IP') return '104.16.207.165';
      if (n === 'Timestamp') return '6/7/2017 9:00';
      if (n === 'Protocol') return '6';
      if (n === 'Fwd Header Length') return String(r * 1000 + 34);
      return String(r * 1000 + j);
    })
    .map((v, j) => (dupDiffers && r === 4 && j === names.lastIndexOf('Fwd Header Length') ? '7' : v))
    .join(',');
}

function cicFile(name: string, labels = CIC_LABELS, opts: { dupDiffers?: boolean } = {}): string {
  const rows = labels.map((l, r) => cicRow(r, l, CIC_NAMES, opts.dupDiffers === true));
  return write(name, BOM + [CICIDS_HEADER, ...rows].join('\r\n') + '\r\n');
}

describe('detectFormat', () => {
  it('recognises the real headers, with or without BOM', () => {
    expect(detectFormat(BOM + CICIDS_HEADER)).toBe('cicids2017');
    expect(detectFormat(CICIDS_TL_HEADER)).toBe('cicids2017');
    expect(detectFormat(BOM + UNSW_HEADER + '\r')).toBe('unsw-nb15');
    expect(detectFormat('src,dst,bytes,label')).toBe('generic');
  });
});

describe('normalizeLabel and splitCsvLine', () => {
  it('maps every dash spelling to one canonical label', () => {
    for (const l of CIC_LABELS.slice(3, 5).concat(CIC_LABELS[8]!, 'Web Attack - Brute Force', ' Web Attack \u00e2\u20ac\u201c Brute Force ')) {
      expect(normalizeLabel(l)).toBe('Web Attack \u2013 Brute Force');
    }
    expect(normalizeLabel(' BENIGN ')).toBe('BENIGN');
    expect(normalizeLabel('FTP-Patator')).toBe('FTP-Patator');
  });

  it('splits quoted fields', () => {
    expect(splitCsvLine('a,"b,c","say ""hi""",,')).toEqual(['a', 'b,c', 'say "hi"', '', '']);
    expect(splitCsvLine('a,"open')).toBeNull();
  });
});

describe('CICIDS2017 MachineLearningCVE', () => {
  it('loads binary labels, trims names, drops the identical duplicate, zeroes non-finite cells', async () => {
    const p = cicFile('cic.csv');
    const ds = await loadFlowCsv([p]);
    expect(ds.format).toBe('cicids2017');
    expect(ds.nRows).toBe(10);
    expect(ds.nCols).toBe(77); // 79 columns - Label - identical duplicate
    expect(ds.X.length).toBe(10 * 77);
    expect(ds.featureNames[0]).toBe('Destination Port');
    expect(ds.featureNames).toContain('Fwd Header Length');
    expect(ds.featureNames).not.toContain('Fwd Header Length#2');
    expect(ds.featureNames).not.toContain('Label');
    expect(ds.summary.droppedColumns).toContain('Fwd Header Length#2 (identical to Fwd Header Length)');
    expect(ds.classNames).toEqual(['benign', 'attack']);
    expect(Array.from(ds.y)).toEqual([0, 0, 1, 1, 1, 0, 1, 1, 1, 0]);
    expect(ds.summary.perClass).toEqual({ benign: 4, attack: 6 });
    expect(ds.summary.perLabel).toEqual({
      BENIGN: 4,
      DDoS: 2,
      'Web Attack \u2013 Brute Force': 3,
      'Web Attack \u2013 XSS': 1,
    });
    expect(ds.summary.nonFiniteCells).toBe(4);
    expect(ds.summary.skippedRows).toBe(0);
    expect(ds.encoding).toEqual({ columns: [] });
    expect(cell(ds, 7, 'Destination Port')).toBe(7000);
    expect(cell(ds, 7, 'Idle Min')).toBe(7000 + CIC_NAMES.indexOf('Idle Min'));
    expect(cell(ds, 7, 'Fwd Packet Length Mean')).toBe(7.5);
    expect(cell(ds, 1, 'Flow Bytes/s')).toBe(0);
    expect(cell(ds, 1, 'Flow Packets/s')).toBe(0);
    expect(cell(ds, 2, 'Flow Bytes/s')).toBe(0);
    expect(cell(ds, 3, 'Flow IAT Mean')).toBe(0);
    expect(cell(ds, 3, 'Flow Bytes/s')).toBe(3000 + CIC_NAMES.indexOf('Flow Bytes/s'));
    // Loading is a pure function of the files.
    const again = await loadFlowCsv([p]);
    expect(again.X).toEqual(ds.X);
  });

  it('multi-class: benign first, then classes by frequency, dash spellings merged', async () => {
    const ds = await loadFlowCsv([cicFile('cic-multi.csv')], { multiClass: true });
    expect(ds.classNames).toEqual(['benign', 'Web Attack \u2013 Brute Force', 'DDoS', 'Web Attack \u2013 XSS']);
    expect(Array.from(ds.y)).toEqual([0, 0, 2, 1, 1, 0, 3, 2, 1, 0]);
    expect(ds.summary.perClass).toEqual({ benign: 4, 'Web Attack \u2013 Brute Force': 3, DDoS: 2, 'Web Attack \u2013 XSS': 1 });
  });

  it('keeps a duplicated column that differs, as name#2', async () => {
    const ds = await loadFlowCsv([cicFile('cic-dup.csv', CIC_LABELS, { dupDiffers: true })]);
    expect(ds.nCols).toBe(78);
    expect(cell(ds, 4, 'Fwd Header Length')).toBe(4034);
    expect(cell(ds, 4, 'Fwd Header Length#2')).toBe(7);
  });

  it('TrafficLabelling variant: identifiers dropped; with a MachineLearningCVE file, only shared columns', async () => {
    const names = CICIDS_TL_HEADER.split(',').map((s) => s.trim());
    const rows = ['BENIGN', 'PortScan', 'BENIGN'].map((l, r) => cicRow(r + 20, l, names));
    const tl = write('tl.csv', [CICIDS_TL_HEADER, ...rows].join('\n') + '\n');
    const alone = await loadFlowCsv([tl]);
    expect(alone.featureNames).toContain('Protocol');
    for (const id of ['Flow ID', 'Source IP', 'Source Port', 'Destination IP', 'Timestamp']) {
      expect(alone.featureNames).not.toContain(id);
    }
    expect(alone.summary.droppedColumns).toContain('Flow ID (identifier)');
    expect(cell(alone, 1, 'Protocol')).toBe(6);
    expect(cell(alone, 1, 'Destination Port')).toBe(21000 + names.indexOf('Destination Port'));

    const mlcve = cicFile('cic-for-concat.csv');
    const both = await loadFlowCsv([tl, mlcve], { multiClass: true });
    expect(both.nRows).toBe(13);
    expect(both.featureNames).toEqual((await loadFlowCsv([mlcve])).featureNames);
    expect(both.summary.droppedColumns).toContain(`Protocol (missing in ${mlcve})`);
    expect(both.summary.files).toEqual([
      { path: tl, rows: 3 },
      { path: mlcve, rows: 10 },
    ]);
    expect(both.summary.perClass['PortScan']).toBe(1);
    expect(both.summary.perClass['benign']).toBe(6);
    // Columns are matched by name, not position: Destination Port is the 5th column of one, 1st of the other.
    expect(cell(both, 1, 'Destination Port')).toBe(21000 + names.indexOf('Destination Port'));
    expect(cell(both, 1, 'Flow Duration')).toBe(21000 + names.indexOf('Flow Duration'));
    expect(cell(both, 3 + 7, 'Destination Port')).toBe(7000);
    expect(cell(both, 3 + 7, 'Flow Duration')).toBe(7001);
  });

  it('skips and counts malformed, blank, bare-comma and repeated-header rows', async () => {
    const lines = [CICIDS_HEADER, ...CIC_LABELS.map((l, r) => cicRow(r, l))];
    lines.splice(3, 0, '1,2,3'); // wrong field count
    lines.splice(5, 0, ''); // blank: ignored
    lines.splice(6, 0, ','.repeat(78)); // CICFlowMeter padding
    lines.push(CICIDS_HEADER, cicRow(10, 'BENIGN') + ','); // header again; trailing comma
    const ds = await loadFlowCsv([write('cic-bad-rows.csv', lines.join('\r\n'))]);
    expect(ds.nRows).toBe(11);
    expect(ds.summary.skippedRows).toBe(3);
    expect(cell(ds, 10, 'Destination Port')).toBe(10000);
  });

  it('maxRows stops early', async () => {
    const a = cicFile('cic-max-a.csv');
    const b = cicFile('cic-max-b.csv');
    const ds = await loadFlowCsv([a, b], { maxRows: 12 });
    expect(ds.nRows).toBe(12);
    expect(ds.summary.files).toEqual([
      { path: a, rows: 10 },
      { path: b, rows: 2 },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// UNSW-NB15
// ---------------------------------------------------------------------------------------------

const UNSW_NAMES = UNSW_HEADER.split(',');
interface UnswRow {
  proto: string;
  service: string;
  state: string;
  cat: string;
}
const UNSW_ROWS: UnswRow[] = [
  { proto: 'udp', service: '-', state: 'INT', cat: 'Normal' },
  { proto: 'tcp', service: 'http', state: 'FIN', cat: 'Exploits' },
  { proto: 'tcp', service: '-', state: 'FIN', cat: 'Exploits' },
  { proto: 'tcp', service: 'ftp', state: 'CON', cat: 'DoS' },
  { proto: 'udp', service: 'dns', state: 'INT', cat: 'Normal' },
  { proto: 'arp', service: '-', state: 'INT', cat: 'Reconnaissance' },
];

function unswLine(r: number, row: UnswRow, names = UNSW_NAMES): string {
  return names
    .map((n) => {
      if (n === 'id') return String(r + 1);
      if (n === 'dur') return `0.${r}5`;
      if (n === 'proto') return row.proto;
      if (n === 'service') return row.service;
      if (n === 'state') return row.state;
      if (n === 'attack_cat') return row.cat;
      if (n === 'label') return row.cat === 'Normal' ? '0' : '1';
      return String(r * 100 + UNSW_NAMES.indexOf(n));
    })
    .join(',');
}

function unswFile(name: string, rows = UNSW_ROWS, names = UNSW_NAMES): string {
  return write(name, BOM + [names.join(','), ...rows.map((row, r) => unswLine(r, row, names))].join('\r\n') + '\r\n');
}

describe('UNSW-NB15', () => {
  it('one-hot encodes proto/service/state, drops id and both label columns', async () => {
    const ds = await loadFlowCsv([unswFile('unsw.csv')]);
    expect(ds.format).toBe('unsw-nb15');
    expect(ds.nRows).toBe(6);
    expect(ds.featureNames.slice(0, 6)).toEqual(['dur', 'proto=tcp', 'proto=udp', 'proto=arp', 'proto=other', 'service=-']);
    expect(ds.featureNames).not.toContain('id');
    expect(ds.featureNames).not.toContain('label');
    expect(ds.featureNames).not.toContain('attack_cat');
    expect(ds.featureNames).not.toContain('proto');
    expect(ds.encoding).toEqual({
      columns: [
        { name: 'proto', categories: ['tcp', 'udp', 'arp'] },
        { name: 'service', categories: ['-', 'dns', 'ftp', 'http'] },
        { name: 'state', categories: ['INT', 'FIN', 'CON'] },
      ],
    });
    // 45 - id - label - attack_cat - 3 categorical + (4 + 5 + 4) one-hot
    expect(ds.nCols).toBe(45 - 6 + 13);
    expect(ds.summary.oneHotColumns).toEqual(['proto (3 values + other)', 'service (4 values + other)', 'state (3 values + other)']);
    expect(describeLoad(ds.summary)).toContain('text columns one-hot encoded (3): proto (3 values + other), service (4 values + other), state (3 values + other)');
    expect(Array.from(ds.y)).toEqual([0, 1, 1, 1, 0, 1]);
    expect(ds.summary.perLabel).toEqual({ '0': 2, '1': 4 });
    expect(cell(ds, 3, 'dur')).toBeCloseTo(0.35, 6);
    expect(cell(ds, 3, 'proto=tcp')).toBe(1);
    expect(cell(ds, 3, 'proto=udp')).toBe(0);
    expect(cell(ds, 3, 'service=ftp')).toBe(1);
    expect(cell(ds, 3, 'state=CON')).toBe(1);
    expect(cell(ds, 3, 'sbytes')).toBe(300 + UNSW_NAMES.indexOf('sbytes'));
    expect(cell(ds, 5, 'proto=arp')).toBe(1);
    expect(cell(ds, 5, 'proto=other')).toBe(0);
  });

  it('multi-class from attack_cat with Normal as benign', async () => {
    const ds = await loadFlowCsv([unswFile('unsw-multi.csv')], { multiClass: true });
    expect(ds.labelColumn).toBe('attack_cat');
    expect(ds.classNames).toEqual(['benign', 'Exploits', 'DoS', 'Reconnaissance']);
    expect(Array.from(ds.y)).toEqual([0, 1, 1, 2, 0, 3]);
  });

  it('caps one-hot width: rarer categories go to =other', async () => {
    const ds = await loadFlowCsv([unswFile('unsw-cap.csv')], { maxCategories: 2 });
    expect(ds.encoding.columns[0]).toEqual({ name: 'proto', categories: ['tcp', 'udp'] });
    expect(cell(ds, 5, 'proto=other')).toBe(1);
    expect(ds.featureNames).not.toContain('proto=arp');
  });

  it('schema projection: reordered columns, unseen category -> other, same features in the same order', async () => {
    const train = await loadFlowCsv([unswFile('unsw-train.csv')]);
    const schema = featureSchemaOf(train);
    // Same rows, columns in reverse order, one unseen protocol.
    const rows = UNSW_ROWS.map((r, i) => (i === 1 ? { ...r, proto: 'sctp' } : r));
    const reversed = [...UNSW_NAMES].reverse();
    const evalFile = unswFile('unsw-eval.csv', rows, reversed);
    const ev = await loadFlowCsv([evalFile], { schema });
    expect(ev.featureNames).toEqual(train.featureNames);
    expect(ev.encoding).toEqual(train.encoding);
    for (let r = 0; r < ev.nRows; r++) {
      for (const f of train.featureNames) {
        if (r === 1 && f.startsWith('proto=')) continue;
        expect(cell(ev, r, f)).toBe(cell(train, r, f));
      }
    }
    expect(cell(ev, 1, 'proto=tcp')).toBe(0);
    expect(cell(ev, 1, 'proto=other')).toBe(1);

    // A model whose schema has a subset of features in its own order gets exactly that.
    const sub = await loadFlowCsv([evalFile], {
      schema: { featureNames: ['sbytes', 'state=INT', 'dur'], encoding: schema.encoding },
    });
    expect(sub.featureNames).toEqual(['sbytes', 'state=INT', 'dur']);
    expect(Array.from(sub.X.subarray(0, 3))).toEqual([UNSW_NAMES.indexOf('sbytes'), 1, Math.fround(0.05)]);
  });

  it('schema projection fails clearly on a missing column', async () => {
    const train = await loadFlowCsv([unswFile('unsw-train2.csv')]);
    const names = UNSW_NAMES.filter((n) => n !== 'sbytes');
    const p = unswFile('unsw-nosbytes.csv', UNSW_ROWS, names);
    expect(await loadError([p], { schema: featureSchemaOf(train) })).toBe(
      `${p}: column "sbytes": required by the model's feature schema but missing`,
    );
    const q = unswFile('unsw-noproto.csv', UNSW_ROWS, UNSW_NAMES.filter((n) => n !== 'proto'));
    expect(await loadError([q], { schema: featureSchemaOf(train) })).toBe(
      `${q}: column "proto": required by the model's feature schema but missing`,
    );
  });

  it('multi-class schema keeps the model class order and appends unseen classes', async () => {
    const train = await loadFlowCsv([unswFile('unsw-train3.csv')], { multiClass: true });
    const rows = [...UNSW_ROWS, { proto: 'tcp', service: '-', state: 'FIN', cat: 'Worms' }, UNSW_ROWS[5]!, UNSW_ROWS[5]!];
    const ev = await loadFlowCsv([unswFile('unsw-eval3.csv', rows)], { multiClass: true, schema: featureSchemaOf(train) });
    expect(ev.classNames).toEqual(['benign', 'Exploits', 'DoS', 'Reconnaissance', 'Worms']);
    expect(Array.from(ev.y)).toEqual([0, 1, 1, 2, 0, 3, 4, 3, 3]);
  });
});

// ---------------------------------------------------------------------------------------------
// Generic CSVs
// ---------------------------------------------------------------------------------------------

describe('generic CSV', () => {
  function genericText(): string {
    const lines = ['"src ip",bytes,"pkts",note,label'];
    for (let i = 0; i < 80; i++) {
      const note = ['plain', '"hello, world"', '"say ""hi"""'][i % 3]!;
      lines.push(`"10.0.${i >> 4}.${i}",${i * 10},"${i % 7}",${note},${i % 4 === 0 ? 'attack' : i % 2 ? 'normal' : 'Normal'}`);
    }
    lines.push('');
    lines.push('10.9.9.9,5,1,plain,normal,'); // trailing comma
    lines.push('10.9.9.8,6,2,"two'); // a quoted field across two lines
    lines.push('lines",attack');
    lines.push('1,2'); // malformed
    return lines.join('\n');
  }

  it('parses quotes, drops high-cardinality text, encodes low-cardinality text, case-insensitive benign', async () => {
    const p = write('generic.csv', genericText());
    const ds = await loadFlowCsv([p], { labelColumn: 'label', benign: 'normal' });
    expect(ds.format).toBe('generic');
    expect(ds.nRows).toBe(82);
    expect(ds.summary.skippedRows).toBe(1);
    expect(ds.summary.droppedColumns).toContain('src ip (address)');
    expect(ds.featureNames).toEqual([
      'bytes',
      'pkts',
      'note=plain',
      'note=hello, world',
      'note=say "hi"',
      'note=two\nlines',
      'note=other',
    ]);
    expect(ds.summary.perClass).toEqual({ benign: 61, attack: 21 });
    expect(cell(ds, 5, 'bytes')).toBe(50);
    expect(cell(ds, 5, 'pkts')).toBe(5);
    expect(cell(ds, 5, 'note=say "hi"')).toBe(1);
    expect(cell(ds, 80, 'bytes')).toBe(5);
    expect(ds.y[80]).toBe(0);
    expect(cell(ds, 81, 'bytes')).toBe(6);
    expect(cell(ds, 81, 'note=two\nlines')).toBe(1);
    expect(cell(ds, 81, 'note=other')).toBe(0);
    expect(ds.y[81]).toBe(1);
  });

  it('headers and rows with trailing commas, a pandas index column', async () => {
    const p = write('trailing.csv', ',a,b,label,,\r\n0,1,2,x,,\r\n1,3,4,y\r\n2,5,6,x,\r\n3,7,8,x,,,,\r\n4,9,10,y,1,\r\n');
    const ds = await loadFlowCsv([p], { labelColumn: 'label', benign: 'x' });
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(ds.summary.droppedColumns).toContain('(unnamed column 1) (index column)');
    expect(ds.nRows).toBe(4);
    expect(ds.summary.skippedRows).toBe(1); // the row with a value past the header
    expect(Array.from(ds.X)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(ds.y)).toEqual([0, 1, 0, 0]);
  });

  it('dropColumns removes a column by name', async () => {
    const p = write('generic-drop.csv', genericText());
    const ds = await loadFlowCsv([p], { labelColumn: 'label', benign: 'normal', dropColumns: ['pkts'] });
    expect(ds.featureNames).not.toContain('pkts');
    expect(ds.featureNames[0]).toBe('bytes');
  });
});

// ---------------------------------------------------------------------------------------------
// Columns: pandas duplicates, re-extractions, raw UNSW, identifiers, text in numeric columns
// ---------------------------------------------------------------------------------------------

const ENGELEN_HEADER = readFileSync(new URL('./fixtures/cicids2017-engelen-header.txt', import.meta.url), 'utf8');

describe('columns', () => {
  it("pandas' `.1` name for CICIDS2017's repeated Fwd Header Length is the known duplicate; models read either spelling", async () => {
    const names = CIC_NAMES.map((n, j) => (j === CIC_NAMES.lastIndexOf('Fwd Header Length') ? 'Fwd Header Length.1' : n));
    const pandasText = [names.join(','), ...CIC_LABELS.map((l, r) => cicRow(r, l))].join('\n') + '\n';
    const pandas = await loadFlowCsv([write('cic-pandas.csv', pandasText)]);
    const original = cicFile('cic-original.csv');
    const orig = await loadFlowCsv([original]);
    expect(pandas.featureNames).toEqual(orig.featureNames);
    expect(pandas.featureNames).not.toContain('Fwd Header Length.1');
    expect(pandas.summary.droppedColumns).toContain('Fwd Header Length#2 (identical to Fwd Header Length)');
    expect(Array.from(pandas.X)).toEqual(Array.from(orig.X));
    // A model trained on the pandas file scores the original file, and the other way round.
    const back = await loadFlowCsv([original], { schema: featureSchemaOf(pandas) });
    expect(Array.from(back.X)).toEqual(Array.from(orig.X));
    const fwd = await loadFlowCsv([write('cic-pandas2.csv', pandasText)], { schema: featureSchemaOf(orig) });
    expect(Array.from(fwd.X)).toEqual(Array.from(orig.X));
  });

  it("Engelen et al.'s CICIDS2017 re-extraction: recognised, identifiers and Attempted Category dropped", async () => {
    const names = ENGELEN_HEADER.split(',');
    const labels = ['BENIGN', 'FTP-Patator', 'FTP-Patator - Attempted', 'BENIGN', 'DoS Hulk'];
    const rows = labels.map((l, r) =>
      names
        .map((n, j) => {
          if (n === 'Label') return l;
          if (n === 'Attempted Category') return l.endsWith('Attempted') ? '2' : '-1';
          if (n === 'Src IP' || n === 'Dst IP') return `192.168.10.${r + 3}`;
          if (n === 'Flow ID') return `192.168.10.${r + 3}-192.168.10.50-${40000 + r}-21-6`;
          if (n === 'Timestamp') return `2017-07-04 09:1${r}:00.${r}`;
          return String(r * 100 + j);
        })
        .join(','),
    );
    const p = write('engelen.csv', [ENGELEN_HEADER, ...rows].join('\n') + '\n');
    expect(detectFormat(ENGELEN_HEADER)).toBe('cicids2017-engelen');
    const ds = await loadFlowCsv([p], { multiClass: true });
    expect(ds.format).toBe('cicids2017-engelen');
    expect(ds.labelColumn).toBe('Label');
    for (const d of ['id (identifier)', 'Flow ID (identifier)', 'Src IP (address)', 'Src Port (source port)', 'Dst IP (address)', 'Timestamp (timestamp)', 'Attempted Category (label-side)', 'Label (label)']) {
      expect(ds.summary.droppedColumns).toContain(d);
    }
    expect(ds.featureNames).toContain('Dst Port');
    expect(ds.featureNames).toContain('Protocol');
    expect(ds.nCols).toBe(91 - 8);
    expect(ds.classNames).toEqual(['benign', 'DoS Hulk', 'FTP-Patator', 'FTP-Patator \u2013 Attempted']);
    expect(cell(ds, 4, 'Dst Port')).toBe(400 + names.indexOf('Dst Port'));
  });

  const unswRawRow = (r: number, cat: string): string =>
    UNSW_RAW_COLUMNS.map((n, j) => {
      if (n === 'srcip') return `175.45.176.${r}`;
      if (n === 'dstip') return '149.171.126.12';
      if (n === 'sport') return String(33000 + r);
      if (n === 'dsport') return r === 2 ? '0x000b' : r === 3 ? '-' : '80';
      if (n === 'proto') return r % 2 ? 'udp' : 'tcp';
      if (n === 'state') return 'FIN';
      if (n === 'service') return r % 3 ? '-' : 'http';
      if (n === 'Stime' || n === 'Ltime') return String(1421927414 + r);
      if (n === 'attack_cat') return cat;
      if (n === 'Label') return cat === '' ? '0' : '1';
      return String(r * 100 + j);
    }).join(',');
  const RAW_CATS = ['', 'Exploits', ' Fuzzers ', '', 'Backdoors', 'Exploits', ''];

  it('UNSW-NB15 raw files, with a header or without: empty attack_cat is normal traffic, addresses, source ports and times dropped', async () => {
    const headed = write('unsw-raw-headed.csv', [UNSW_RAW_COLUMNS.join(','), ...RAW_CATS.map((c, r) => unswRawRow(r, c))].join('\r\n') + '\r\n');
    const headless = write('unsw-raw.csv', RAW_CATS.map((c, r) => unswRawRow(r, c)).join('\r\n') + '\r\n');
    for (const p of [headed, headless]) {
      const ds = await loadFlowCsv([p], { multiClass: true });
      expect(ds.format).toBe('unsw-nb15-raw');
      expect(ds.nRows).toBe(RAW_CATS.length);
      expect(ds.summary.skippedRows).toBe(0);
      expect(ds.labelColumn).toBe('attack_cat');
      expect(ds.summary.perClass).toEqual({ benign: 3, Exploits: 2, Fuzzers: 1, Backdoor: 1 });
      for (const d of ['srcip (address)', 'sport (source port)', 'dstip (address)', 'Stime (timestamp)', 'Ltime (timestamp)', 'Label (label-side)', 'attack_cat (label)']) {
        expect(ds.summary.droppedColumns).toContain(d);
      }
      expect(ds.featureNames).toContain('proto=tcp');
      expect(cell(ds, 2, 'dsport')).toBe(11); // hexadecimal, as some raw rows have it
      expect(cell(ds, 3, 'dsport')).toBe(0); // '-': no port, a missing value rather than text
      expect(ds.summary.nonFiniteCells).toBe(1);
      expect(ds.summary.nonNumericCells).toEqual([]);
      const bin = await loadFlowCsv([p]);
      expect(bin.labelColumn).toBe('Label');
      expect(bin.summary.perClass).toEqual({ benign: 3, attack: 4 });
    }
  });

  it('generic CSVs: identifier, address, source-port, timestamp and label-side columns dropped by default; --keep-columns, --drop-columns', async () => {
    const header = 'id,Flow ID,Src IP,Src Port,Dst Port,Timestamp,bytes,pkts,Attempted Category,srcip,Stime,Ltime,verdict';
    const rows = Array.from({ length: 30 }, (_, r) => `${r},f${r},10.0.0.${r},${40000 + r},443,2017-07-04 09:0${r % 10},${r * 10},${r % 5},-1,10.1.0.${r},${1000 + r},${1001 + r},${r % 3 ? 'ok' : 'bad'}`);
    const p = write('generic-ids.csv', [header, ...rows].join('\n'));
    const ds = await loadFlowCsv([p], { labelColumn: 'verdict', benign: 'ok' });
    expect(ds.featureNames).toEqual(['Dst Port', 'bytes', 'pkts']);
    expect(ds.summary.droppedColumns).toEqual([
      'id (identifier)', 'Flow ID (identifier)', 'Src IP (address)', 'Src Port (source port)', 'Timestamp (timestamp)',
      'Attempted Category (label-side)', 'srcip (address)', 'Stime (timestamp)', 'Ltime (timestamp)', 'verdict (label)',
    ]);
    const kept = await loadFlowCsv([p], { labelColumn: 'verdict', benign: 'ok', keepColumns: ['Src Port', 'stime'], dropColumns: ['pkts'] });
    expect(kept.featureNames).toEqual(['Src Port', 'Dst Port', 'bytes', 'Stime']);
    expect(kept.summary.droppedColumns).toContain('pkts (dropped by request)');
    expect(await loadError([p], { labelColumn: 'verdict', benign: 'ok', keepColumns: ['nope'] })).toBe(`${p}: --keep-columns: no column "nope" (columns: "id", "Flow ID", "Src IP", "Src Port", "Dst Port", "Timestamp", ... (13 columns))`);
    expect(await loadError([p], { labelColumn: 'verdict', benign: 'ok', dropColumns: ['nope'] })).toMatch(/--drop-columns: no column "nope"/);
  });

  it('one text cell does not drop a numeric column: the cell is 0 and reported; skipped rows are counted by reason', async () => {
    const lines = ['a,b,label', ...Array.from({ length: 50 }, (_, r) => `${r},${r === 7 ? 'oops' : r * 2},${r % 4 ? 'x' : 'y'}`)];
    lines.push('1,2', '3,4,', ',,', 'a,b,label');
    const p = write('generic-text-cell.csv', lines.join('\n'));
    const ds = await loadFlowCsv([p], { labelColumn: 'label', benign: 'x' });
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(cell(ds, 7, 'b')).toBe(0);
    expect(cell(ds, 8, 'b')).toBe(16);
    expect(ds.summary.nonNumericCells).toEqual([{ column: 'b', cells: 1, example: 'oops' }]);
    expect(ds.summary.skippedByReason).toEqual({ 'wrong number of fields': 1, 'empty label': 1, 'empty (only commas)': 1, 'header repeated': 1 });
    expect(ds.summary.skippedRows).toBe(4);
    expect(describeLoad(ds.summary)).toEqual([
      'columns not used as features (1): label (label)',
      'rows skipped: 4 (wrong number of fields 1, empty label 1, empty (only commas) 1, header repeated 1)',
      'column "b": 1 cells are not numbers (e.g. "oops"), stored as 0',
    ]);
  });

  it('labels optional (scoring): a file without the label column loads every row', async () => {
    const train = await loadFlowCsv([unswFile('unsw-for-scoring.csv')]);
    const names = UNSW_NAMES.filter((n) => n !== 'label' && n !== 'attack_cat');
    const rows = UNSW_ROWS.map((row, r) => unswLine(r, row, UNSW_NAMES).split(',').filter((_, j) => UNSW_NAMES[j] !== 'label' && UNSW_NAMES[j] !== 'attack_cat').join(','));
    const p = write('unsw-unlabelled.csv', [names.join(','), ...rows].join('\n'));
    expect(await loadError([p], { schema: featureSchemaOf(train) })).toMatch(/label column "label" not in header/);
    const ds = await loadFlowCsv([p], { schema: featureSchemaOf(train), labels: 'optional' });
    expect(ds.nRows).toBe(UNSW_ROWS.length);
    expect(Array.from(ds.X)).toEqual(Array.from(train.X));
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input: one-line CyrangeErrors naming the file
// ---------------------------------------------------------------------------------------------

describe('bad input', () => {
  it('missing, empty, header-only files', async () => {
    const missing = join(dir, 'nope.csv');
    expect(await loadError([missing])).toBe(`${missing}: file not found`);
    const empty = write('empty.csv', '');
    expect(await loadError([empty])).toBe(`${empty}: empty file`);
    const bomOnly = write('bom-only.csv', `${BOM}\r\n\r\n`);
    expect(await loadError([bomOnly])).toBe(`${bomOnly}: empty file`);
    const headerOnly = write('header-only.csv', `${BOM}${CICIDS_HEADER}\r\n`);
    expect(await loadError([headerOnly])).toBe(`${headerOnly}: no data rows after the header`);
    expect(await loadError([])).toMatch(/no CSV files/);
    expect(await loadError([dir])).toBe(`${dir}: is a directory, expected a CSV file`);
  });

  it('unknown label column lists some column names', async () => {
    const p = write('gen-label.csv', 'src,bytes,pkts,Class\n1,2,3,a\n');
    expect(await loadError([p], { labelColumn: 'label', benign: 'a' })).toBe(
      `${p}: label column "label" not in header (columns: "src", "bytes", "pkts", "Class")`,
    );
    const c = cicFile('cic-label.csv');
    expect(await loadError([c], { labelColumn: 'Verdict' })).toMatch(
      new RegExp(`^${c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: label column "Verdict" not in header \\(columns: "Destination Port", "Flow Duration", .*\\(79 columns\\)\\)$`),
    );
  });

  it('unrecognised format without a label column, or without a benign value', async () => {
    const p = write('gen.csv', 'a,b,verdict\n1,2,ok\n');
    expect(await loadError([p])).toBe(
      `${p}: CSV format not recognised (not CICIDS2017 or UNSW-NB15); pass --label-column NAME --benign VALUE`,
    );
    expect(await loadError([p], { labelColumn: 'verdict' })).toBe(
      `${p}: column "verdict": no benign value given; pass --benign VALUE`,
    );
  });

  it('files of different formats', async () => {
    const c = cicFile('mix-cic.csv');
    const u = unswFile('mix-unsw.csv');
    expect(await loadError([c, u])).toBe(
      `${u}: format unsw-nb15 differs from ${c} (cicids2017); load files of one data set together`,
    );
  });

  it('a file where most rows are malformed', async () => {
    const lines = [CICIDS_HEADER, cicRow(0, 'BENIGN'), '1,2,3,4,5', '1,2,3,4,5', '1,2,3,4,5'];
    const p = write('cic-broken.csv', lines.join('\n'));
    expect(await loadError([p])).toBe(
      `${p}: line 3: expected 79 fields, got 5; 3 of 4 rows malformed (is this the right file?)`,
    );
  });

  it('a label column with no benign rows is not an error: the counts say so', async () => {
    const ds = await loadFlowCsv([cicFile('cic-attacks.csv', ['DDoS', 'DDoS', 'PortScan'])]);
    expect(ds.summary.perClass).toEqual({ benign: 0, attack: 3 });
  });
});

// ---------------------------------------------------------------------------------------------
// Streaming a larger file
// ---------------------------------------------------------------------------------------------

describe('large file', () => {
  it('streams 200k rows in chunks and loads them exactly', async () => {
    const n = 200_000;
    const parts: string[] = ['a,b,c,label\n'];
    for (let i = 0; i < n; i++) parts.push(`${i},${(i % 1000) / 8},${i % 3 === 0 ? 'NaN' : -i},${i % 5 === 0 ? 'bad' : 'ok'}\n`);
    const p = write('big.csv', parts.join(''));
    const progress: LoadProgress[] = [];
    const ds = await loadFlowCsv([p], { labelColumn: 'label', benign: 'ok', onProgress: (q) => progress.push(q) });
    expect(ds.nRows).toBe(n);
    expect(ds.nCols).toBe(3);
    expect(ds.summary.perClass).toEqual({ benign: n - n / 5, attack: n / 5 });
    expect(ds.summary.nonFiniteCells).toBe(Math.ceil(n / 3));
    let sumA = 0;
    let sumB = 0;
    let sumC = 0;
    for (let r = 0; r < n; r++) {
      sumA += ds.X[r * 3]!;
      sumB += ds.X[r * 3 + 1]!;
      sumC += ds.X[r * 3 + 2]!;
    }
    expect(sumA).toBe((n * (n - 1)) / 2);
    expect(sumB).toBe((n / 1000) * ((999 * 1000) / 2 / 8));
    let expectC = 0;
    for (let i = 0; i < n; i++) if (i % 3 !== 0) expectC -= i;
    expect(sumC).toBe(expectC);
    expect(ds.X[(n - 1) * 3]).toBe(n - 1);
    // Progress arrives while the file is still being read: it is consumed in chunks, not whole.
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress[0]!.rows).toBe(65536);
    expect(progress[0]!.bytesRead).toBeLessThan(progress[0]!.bytesTotal);
    expect(progress.at(-1)!.bytesRead).toBe(progress.at(-1)!.bytesTotal);
  });
});

// ---------------------------------------------------------------------------------------------
// The shared real samples (../shared/datasets from the repository root, or $CYRANGE_SHARED_DATASETS;
// missing samples fail these tests)
// ---------------------------------------------------------------------------------------------

describe('shared real samples', () => {
  it('are present', () => {
    expectSharedSamples();
  });

  it('CICIDS2017 Thursday web attacks: counts from the README', async () => {
    const ds = await loadFlowCsv([CIC_SAMPLE], { multiClass: true });
    expect(ds.format).toBe('cicids2017');
    expect(ds.nRows).toBe(10180);
    expect(ds.nCols).toBe(77);
    expect(ds.summary.perClass).toEqual({
      benign: 8000,
      'Web Attack \u2013 Brute Force': 1507,
      'Web Attack \u2013 XSS': 652,
      'Web Attack \u2013 Sql Injection': 21,
    });
    expect(ds.summary.nonFiniteCells).toBeGreaterThan(0);
    expect(ds.summary.skippedRows).toBe(0);
    expect(ds.X.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('UNSW-NB15 testing-set subset: counts from the README', async () => {
    const bin = await loadFlowCsv([UNSW_SAMPLE]);
    expect(bin.format).toBe('unsw-nb15');
    expect(bin.nRows).toBe(4528);
    expect(bin.summary.perLabel).toEqual({ '0': 243, '1': 4285 });
    const schema = { featureNames: bin.featureNames, encoding: bin.encoding };
    const multi = await loadFlowCsv([UNSW_SAMPLE], { multiClass: true, schema });
    expect(multi.featureNames).toEqual(bin.featureNames);
    expect(multi.X.length).toBe(bin.X.length);
    expect(multi.X.every((v, i) => v === bin.X[i])).toBe(true);
    expect(multi.summary.perClass['benign']).toBe(243);
    expect(new Set(multi.classNames)).toEqual(
      new Set(['benign', 'Exploits', 'DoS', 'Fuzzers', 'Reconnaissance', 'Analysis', 'Shellcode', 'Backdoor', 'Worms']),
    );
  });
});
