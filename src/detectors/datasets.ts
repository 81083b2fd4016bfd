/**
 * Streaming loaders for public intrusion-detection flow data sets (the ones the reference paper trained on).
 *
 * Recognised by their header line:
 * - CICIDS2017 (CICFlowMeter "MachineLearningCVE" / "TrafficLabelling" CSVs): column names with leading
 *   spaces, a duplicated ` Fwd Header Length`, `Infinity`/`NaN` cells, labels like `Web Attack – Brute Force`
 *   whose en dash is often mojibake. Identifier columns (Flow ID, IPs, source port, timestamp) are dropped.
 * - UNSW-NB15 training/testing-set CSVs: `id` dropped, `proto`/`service`/`state` one-hot encoded
 *   (`proto=tcp`, ..., `proto=other`), `label` 0/1 for binary, `attack_cat` for multi-class.
 * - Any other CSV, given `labelColumn` and the `benign` value (string columns are sniffed: few distinct
 *   values -> one-hot, many -> dropped as identifiers).
 *
 * Files are read line by line (the originals are hundreds of MB) into typed buffers that grow
 * geometrically; the matrix is assembled once at the end, when the categories and classes are known.
 * A model stores `featureNames` + `encoding` (+ `classNames`); passing them back as `schema` projects
 * any later file onto exactly the same features in the same order.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CyrangeError } from '../shared/errors.js';

export type FlowFormat = 'cicids2017' | 'unsw-nb15' | 'generic';

/** One categorical column: its one-hot features are `${name}=${c}` for each category, then `${name}=other`. */
export interface CategoricalColumn {
  name: string;
  categories: string[];
}

/** How categorical columns were encoded in training; store it in the model manifest. */
export interface CategoricalEncoding {
  columns: CategoricalColumn[];
}

/** What a trained model remembers about its inputs (see `featureSchemaOf`). */
export interface FeatureSchemaLike {
  featureNames: readonly string[];
  encoding?: CategoricalEncoding;
  /** Multi-class models: class order to reproduce (index 0 benign); unseen labels are appended. */
  classNames?: readonly string[];
  labelColumn?: string;
  benign?: string;
}

export interface LoadProgress {
  file: string;
  rows: number;
  bytesRead: number;
  bytesTotal: number;
}

export interface LoadFlowOptions {
  /** Label column (default: ` Label` for CICIDS2017, `label` / `attack_cat` (multi-class) for UNSW-NB15). */
  labelColumn?: string;
  /** Label value meaning benign (case-insensitive; defaults per format: BENIGN, 0, Normal). */
  benign?: string;
  /** Classes per label value instead of benign-vs-attack. */
  multiClass?: boolean;
  /** Project onto a trained model's features (evaluation). */
  schema?: FeatureSchemaLike;
  /** Stop after this many data rows in total. */
  maxRows?: number;
  /** Extra columns never to use as features (e.g. identifiers in a generic CSV). */
  dropColumns?: string[];
  /** One-hot width cap per categorical column in training (rarer values go to `=other`). Default 32. */
  maxCategories?: number;
  /** Called every 65,536 rows and at the end of each file. */
  onProgress?: (p: LoadProgress) => void;
}

export interface FlowSummary {
  files: { path: string; rows: number }[];
  rows: number;
  /** Rows per class name (keys are `classNames`). */
  perClass: Record<string, number>;
  /** Rows per normalised label value as found in the files (e.g. `Web Attack – XSS`, or `0`/`1`). */
  perLabel: Record<string, number>;
  /** Numeric cells that were Infinity, NaN, empty or not a number, stored as 0. */
  nonFiniteCells: number;
  /** Data rows not loaded: wrong field count, empty label, all-empty rows, repeated header lines. */
  skippedRows: number;
  /** Columns not used as features, with why (`name (identifier)`, `name#2 (identical to name)`, ...). */
  droppedColumns: string[];
}

export interface FlowDataset {
  format: FlowFormat;
  featureNames: string[];
  /** Row-major nRows x nCols. */
  X: Float32Array;
  nRows: number;
  nCols: number;
  y: Int32Array;
  /** Index 0 is benign. */
  classNames: string[];
  labelColumn: string;
  benign: string;
  summary: FlowSummary;
  encoding: CategoricalEncoding;
}

/** The schema a model should store to evaluate later files the same way. */
export function featureSchemaOf(ds: FlowDataset): Required<FeatureSchemaLike> {
  return {
    featureNames: [...ds.featureNames],
    encoding: { columns: ds.encoding.columns.map((c) => ({ name: c.name, categories: [...c.categories] })) },
    classNames: [...ds.classNames],
    labelColumn: ds.labelColumn,
    benign: ds.benign,
  };
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers (exported for tests)
// ---------------------------------------------------------------------------------------------

/**
 * Splits one CSV record. Unquoted lines (all of CICIDS/UNSW) take the fast `split` path; quoted fields
 * follow RFC 4180 (`""` is a literal quote). Returns null when a quote is left open: the record continues
 * on the next line.
 */
export function splitCsvLine(line: string): string[] | null {
  if (line.indexOf('"') === -1) return line.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let j = i;
    while (line.charCodeAt(j) === 32) j++;
    if (line.charCodeAt(j) === 34) {
      let s = '';
      i = j + 1;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        s += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          s += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      const c = line.indexOf(',', i);
      const tail = (c === -1 ? line.slice(i) : line.slice(i, c)).trim();
      out.push(s + tail);
      if (c === -1) return out;
      i = c + 1;
    } else {
      const c = line.indexOf(',', i);
      if (c === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

// The CICIDS2017 web-attack labels carry a cp1252 en dash that was mangled differently in each copy:
// U+0096 (cp1252 read as latin-1), U+FFFD, `ï¿½` (U+FFFD re-encoded), `â€“` (UTF-8 read as cp1252).
const MANGLED_DASH = /\s*(?:ï¿½|Ã¯Â¿Â½|â€“|â€”|[\u0096\u0097\u2012-\u2015\u2212\ufffd])\s*/g;
// A whitespace-bounded token made only of such bytes is a dash of some other mangling.
const MANGLED_TOKEN = /\s+[\u0080-\u00bf\u00c0-\u00ff\u2013-\u201f\u20ac\u2122\ufffd]+\s+/g;
const SPACED_HYPHEN = /\s+-\s+/g;

/** Canonical label text: trimmed, single spaces, every dash variant between words as ` – ` (en dash). */
export function normalizeLabel(raw: string): string {
  let s = raw.trim();
  if (s.length === 0) return s;
  // Fast path: plain ASCII without a spaced hyphen is already canonical (BENIGN, DDoS, 0, Exploits).
  if (/^[\x21-\x7e]+(?: [\x21-\x2c\x2e-\x7e][\x21-\x7e]*)*$/.test(s)) return s;
  s = s
    .replace(MANGLED_TOKEN, ' – ')
    .replace(MANGLED_DASH, ' – ')
    .replace(SPACED_HYPHEN, ' – ')
    .replace(/\s+/g, ' ')
    .trim();
  return s;
}

function labelKey(s: string): string {
  return normalizeLabel(s).toLowerCase();
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** Trimmed column names; a repeated name becomes `name#2`, `name#3`; empty names stay empty. */
function columnNames(headerLine: string): string[] {
  const raw = splitCsvLine(stripBom(headerLine)) ?? stripBom(headerLine).split(',');
  const seen = new Map<string, number>();
  const names = raw.map((n) => n.trim());
  // A header ending in commas has empty trailing names: not columns.
  while (names.length > 1 && names[names.length - 1] === '') names.pop();
  return names.map((n) => {
    if (n === '') return '';
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}#${k}`;
  });
}

/** Which data set a header line belongs to. */
export function detectFormat(headerLine: string): FlowFormat {
  const names = new Set(columnNames(headerLine).map((n) => n.toLowerCase()));
  if (
    names.has('label') &&
    names.has('flow duration') &&
    (names.has('destination port') || names.has('total fwd packets'))
  ) {
    return 'cicids2017';
  }
  if (['proto', 'service', 'state', 'sbytes', 'dbytes', 'attack_cat', 'label'].every((n) => names.has(n))) {
    return 'unsw-nb15';
  }
  return 'generic';
}

// ---------------------------------------------------------------------------------------------
// Per-format rules
// ---------------------------------------------------------------------------------------------

interface FormatRules {
  labelColumn: string;
  benign: string;
  /** Lower-case names never used as features, with the reason. */
  drop: Map<string, string>;
  /** Lower-case categorical names, or null to sniff them (generic CSVs). */
  categorical: Set<string> | null;
}

const CICIDS_IDENTIFIERS = ['flow id', 'source ip', 'src ip', 'source port', 'src port', 'destination ip', 'dst ip', 'timestamp'];

function rulesFor(format: FlowFormat, opts: LoadFlowOptions, file: string): FormatRules {
  const drop = new Map<string, string>();
  for (const d of opts.dropColumns ?? []) drop.set(d.trim().toLowerCase(), 'dropped by request');
  const labelColumn = opts.labelColumn ?? opts.schema?.labelColumn;
  const benign = opts.benign ?? opts.schema?.benign;
  if (format === 'cicids2017') {
    for (const n of CICIDS_IDENTIFIERS) drop.set(n, 'identifier');
    drop.set('label', 'label');
    return { labelColumn: labelColumn ?? 'Label', benign: benign ?? 'BENIGN', drop, categorical: new Set() };
  }
  if (format === 'unsw-nb15') {
    drop.set('id', 'row number');
    // Both label columns go, whichever is the target: each leaks the other.
    drop.set('label', 'label');
    drop.set('attack_cat', 'label');
    const lc = labelColumn ?? (opts.multiClass === true ? 'attack_cat' : 'label');
    const def = lc.trim().toLowerCase() === 'attack_cat' ? 'Normal' : '0';
    return { labelColumn: lc, benign: benign ?? def, drop, categorical: new Set(['proto', 'service', 'state']) };
  }
  if (labelColumn === undefined) {
    throw new CyrangeError(
      `${file}: CSV format not recognised (not CICIDS2017 or UNSW-NB15); pass --label-column NAME --benign VALUE`,
    );
  }
  if (benign === undefined) {
    throw new CyrangeError(`${file}: column "${labelColumn}": no benign value given; pass --benign VALUE`);
  }
  return { labelColumn, benign, drop, categorical: null };
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

interface FileHead {
  path: string;
  size: number;
  /** Header line without BOM, as in the file (to recognise repeated header lines). */
  line: string;
  names: string[];
  format: FlowFormat;
}

function ioError(path: string, e: unknown): CyrangeError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CyrangeError(`${path}: file not found`);
  if (code === 'EISDIR') return new CyrangeError(`${path}: is a directory, expected a CSV file`);
  return new CyrangeError(`${path}: cannot read (${code ?? String(e)})`);
}

/**
 * Calls `onLine(line, lineNo)` for every line of `path`: readline over a read stream, consumed through
 * 'line' events (a promise per line, as `for await` makes, costs more than parsing the line). Lines are
 * handled synchronously, so at most one stream chunk is in memory. `onLine` returns false to stop early;
 * whatever it throws rejects the promise.
 */
function eachLine(
  path: string,
  onLine: (line: string, lineNo: number) => boolean | void,
  onBytes?: (bytesRead: () => number) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    const rl = createInterface({ input, crlfDelay: Infinity });
    onBytes?.(() => input.bytesRead);
    let lineNo = 0;
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      rl.close();
      input.destroy();
      if (err === undefined) resolve();
      else reject(err instanceof CyrangeError ? err : ioError(path, err));
    };
    rl.on('line', (line: string) => {
      if (done) return; // readline may still deliver the rest of a chunk after close()
      try {
        if (onLine(line, ++lineNo) === false) finish();
      } catch (e) {
        finish(e);
      }
    });
    rl.on('close', () => finish());
    input.on('error', (e) => finish(e));
  });
}

async function readHead(path: string): Promise<FileHead> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    size = st.size;
  } catch (e) {
    throw ioError(path, e);
  }
  if (size === 0) throw new CyrangeError(`${path}: empty file`);
  let head: FileHead | null = null;
  await eachLine(path, (raw) => {
    const line = stripBom(raw);
    if (line.trim() === '') return true;
    head = { path, size, line, names: columnNames(line), format: detectFormat(line) };
    return false;
  });
  if (head === null) throw new CyrangeError(`${path}: empty file`);
  return head;
}

function findColumn(names: readonly string[], want: string): number {
  const w = want.trim();
  const exact = names.indexOf(w);
  if (exact >= 0) return exact;
  const lw = w.toLowerCase();
  return names.findIndex((n) => n.toLowerCase() === lw);
}

function describeColumns(names: readonly string[]): string {
  const shown = names.filter((n) => n !== '').slice(0, 6).map((n) => `"${n}"`);
  const more = names.length > 6 ? `, ... (${names.length} columns)` : '';
  return shown.join(', ') + more;
}

const NON_NUMERIC_TOKEN = /^[+-]?(?:inf|infinity|nan|na|n\/a|null|none)?$/i;
const SNIFF_ROWS = 1000;
const SNIFF_MAX_DISTINCT = 64;

/** Generic CSVs: which columns hold text. Few distinct values -> categorical, many -> identifier, dropped. */
async function sniffTextColumns(head: FileHead, candidates: number[]): Promise<Map<number, 'categorical' | 'text'>> {
  const distinct = candidates.map(() => new Set<string>());
  const isText = candidates.map(() => false);
  let seenHeader = false;
  let rows = 0;
  await eachLine(head.path, (raw) => {
    if (!seenHeader) {
      if (stripBom(raw).trim() !== '') seenHeader = true;
      return true;
    }
    const fields = splitCsvLine(raw);
    if (fields === null || fields.length < head.names.length) return true;
    candidates.forEach((col, k) => {
      const cell = (fields[col] ?? '').trim();
      if (cell === '' || NON_NUMERIC_TOKEN.test(cell)) return;
      if (!Number.isFinite(Number(cell))) isText[k] = true;
      if (distinct[k]!.size <= SNIFF_MAX_DISTINCT) distinct[k]!.add(cell);
    });
    return ++rows < SNIFF_ROWS;
  });
  const out = new Map<number, 'categorical' | 'text'>();
  candidates.forEach((col, k) => {
    if (isText[k]) out.set(col, distinct[k]!.size <= SNIFF_MAX_DISTINCT ? 'categorical' : 'text');
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The loader
// ---------------------------------------------------------------------------------------------

/** Where each final feature comes from. */
type Source = { kind: 'num'; slot: number } | { kind: 'cat'; slot: number };

const F32_MAX = 3.4028234663852886e38;
const PROGRESS_EVERY = 65536;
const MAX_PENDING_LINES = 100;
const MAX_TRAILING = 8;

/**
 * Splits an unquoted line at commas into `starts` (field k is line[starts[k], starts[k + 1] - 1)),
 * without allocating strings. Stops counting after `max` fields; returns the field count (capped).
 */
function scanFields(line: string, starts: Int32Array, max: number): number {
  // A charCodeAt loop beats one indexOf call per field on 80-column lines.
  let k = 0;
  starts[0] = 0;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    if (line.charCodeAt(i) === 44) {
      if (++k > max) return max + 1; // more fields than we care to count
      starts[k] = i + 1;
    }
  }
  starts[k + 1] = n + 1;
  return k + 1;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The number in s[a, b), or NaN for an empty or non-numeric cell. Decimals with at most 15 digits
 * (nearly every flow-meter cell) are read in place as digits / 10^k: both are exact doubles, so the one
 * division rounds exactly as Number() would (Clinger's fast path). Anything else goes through Number().
 */
function parseCell(s: string, a: number, b: number): number {
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  if (a === b) return NaN;
  let i = a;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  if (i < b && b - i <= 16) {
    let m = 0;
    let digits = 0;
    let dot = -1;
    let j = i;
    for (; j < b; j++) {
      const c = s.charCodeAt(j);
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
      } else if (c === 46 && dot < 0) {
        dot = j;
      } else {
        break;
      }
    }
    if (j === b && digits > 0 && digits <= 15) {
      const v = dot < 0 ? m : m / POW10[b - dot - 1]!;
      return neg ? -v : v;
    }
  }
  return Number(s.slice(a, b));
}

/**
 * Rows parsed so far: numeric slots (Float32, row-major), categorical dictionary codes and label codes,
 * each in a typed buffer that doubles when full. A class, not closure variables, so V8 keeps the hot
 * `add` fast.
 */
class RowStore {
  n = 0;
  nonFinite = 0;
  num: Float32Array;
  cat: Int32Array;
  lab: Int32Array;
  private cap = 4096;
  readonly catDict: Map<string, number>[];
  readonly catValues: string[][];
  readonly catCounts: number[][];
  /** Normalised label values (first spelling seen) and their counts; keys are lower-case. */
  readonly labelNames: string[] = [];
  readonly labelCounts: number[] = [];
  readonly labelByKey = new Map<string, number>();
  private readonly labelByRaw = new Map<string, number>();
  /** Pairs (duplicate slot, original slot), and whether they have matched on every row so far. */
  private readonly dupPairs: Int32Array;
  private readonly dupSame: Uint8Array;

  constructor(
    private readonly nNum: number,
    private readonly nCat: number,
    dupOf: Map<number, number>,
  ) {
    this.num = new Float32Array(this.cap * nNum);
    this.cat = new Int32Array(this.cap * nCat);
    this.lab = new Int32Array(this.cap);
    this.catDict = Array.from({ length: nCat }, () => new Map<string, number>());
    this.catValues = Array.from({ length: nCat }, (): string[] => []);
    this.catCounts = Array.from({ length: nCat }, (): number[] => []);
    this.dupPairs = Int32Array.from([...dupOf.entries()].flat());
    this.dupSame = new Uint8Array(dupOf.size).fill(1);
  }

  /** True when numeric slot `slot` duplicates another and matched it on every row. */
  identical(slot: number): boolean {
    for (let p = 0; p < this.dupSame.length; p++) if (this.dupPairs[2 * p] === slot) return this.dupSame[p] === 1;
    return false;
  }

  /** Code of a label cell (spellings normalised, case-insensitive), or -1 for an empty label. */
  labelCode(raw: string): number {
    const hit = this.labelByRaw.get(raw);
    if (hit !== undefined) return hit;
    const norm = normalizeLabel(raw);
    if (norm === '') return -1;
    const key = norm.toLowerCase();
    let code = this.labelByKey.get(key);
    if (code === undefined) {
      code = this.labelNames.push(norm) - 1;
      this.labelCounts.push(0);
      this.labelByKey.set(key, code);
    }
    this.labelByRaw.set(raw, code);
    return code;
  }

  /** Stores one row; field k of `line` is line[starts[k], starts[k + 1] - 1). */
  add(line: string, starts: Int32Array, numIdx: Int32Array, catIdx: Int32Array, code: number): void {
    if (this.n === this.cap) this.grow();
    const nNum = this.nNum;
    const num = this.num;
    const base = this.n * nNum;
    for (let s = 0; s < nNum; s++) {
      const col = numIdx[s]!;
      let v = parseCell(line, starts[col]!, starts[col + 1]! - 1);
      // NaN (also empty and non-numeric cells), +-Infinity and float32 overflow all count.
      if (!(v <= F32_MAX && v >= -F32_MAX)) {
        v = 0;
        this.nonFinite++;
      }
      num[base + s] = v;
    }
    for (let p = 0; p < this.dupSame.length; p++) {
      if (num[base + this.dupPairs[2 * p]!] !== num[base + this.dupPairs[2 * p + 1]!]) this.dupSame[p] = 0;
    }
    const cbase = this.n * this.nCat;
    for (let c = 0; c < this.nCat; c++) {
      const col = catIdx[c]!;
      const v = line.slice(starts[col]!, starts[col + 1]! - 1).trim() || '(blank)';
      let k = this.catDict[c]!.get(v);
      if (k === undefined) {
        k = this.catValues[c]!.push(v) - 1;
        this.catCounts[c]!.push(0);
        this.catDict[c]!.set(v, k);
      }
      this.catCounts[c]![k]!++;
      this.cat[cbase + c] = k;
    }
    this.lab[this.n] = code;
    this.labelCounts[code]!++;
    this.n++;
  }

  private grow(): void {
    this.cap *= 2;
    const num = new Float32Array(this.cap * this.nNum);
    num.set(this.num);
    this.num = num;
    const cat = new Int32Array(this.cap * this.nCat);
    cat.set(this.cat);
    this.cat = cat;
    const lab = new Int32Array(this.cap);
    lab.set(this.lab);
    this.lab = lab;
  }
}

/**
 * Loads one or more flow CSVs of one data set into a dense matrix.
 * Binary benign-vs-attack by default (classNames ['benign', 'attack']); with `multiClass`, one class per
 * label value, 'benign' first, the rest by frequency (or in `schema.classNames` order).
 */
export async function loadFlowCsv(paths: string[], opts: LoadFlowOptions = {}): Promise<FlowDataset> {
  if (paths.length === 0) throw new CyrangeError('no CSV files given (pass --data FILE.csv)');
  const maxRows = opts.maxRows ?? Infinity;
  if (!(maxRows > 0) || (maxRows !== Infinity && !Number.isInteger(maxRows))) {
    throw new CyrangeError(`maxRows: expected a positive integer, got ${String(opts.maxRows)}`);
  }
  const maxCategories = opts.maxCategories ?? 32;
  const schema = opts.schema;

  // 1. Every header first, so a wrong file among many fails before hundreds of MB are parsed.
  const heads: FileHead[] = [];
  for (const p of paths) heads.push(await readHead(p));
  const first = heads[0]!;
  const format = first.format;
  for (const h of heads) {
    if (h.format !== format) {
      throw new CyrangeError(
        `${h.path}: format ${h.format} differs from ${first.path} (${format}); load files of one data set together`,
      );
    }
  }
  const rules = rulesFor(format, opts, first.path);
  const labelIdx = heads.map((h) => {
    const i = findColumn(h.names, rules.labelColumn);
    if (i < 0) {
      throw new CyrangeError(
        `${h.path}: label column "${rules.labelColumn}" not in header (columns: ${describeColumns(h.names)})`,
      );
    }
    return i;
  });
  const labelName = first.names[labelIdx[0]!]!;
  rules.drop.set(labelName.toLowerCase(), 'label');

  // 2. Layout: numeric slots and categorical columns, by name, shared by all files.
  const numNames: string[] = [];
  const catNames: string[] = [];
  const order: Source[] = []; // header order of the first file (no-schema mode)
  const dropped: string[] = [];
  const dupOf = new Map<number, number>(); // numeric slot -> slot of the column it duplicates
  let schemaFeatures: { name: string; src: Source; category?: string }[] | null = null;
  let encodingIn: CategoricalEncoding | null = null;

  if (schema !== undefined) {
    // The schema decides everything: plain names are numeric columns, `col=value` one-hot of an encoded column.
    encodingIn = schema.encoding ?? { columns: [] };
    schemaFeatures = [];
    for (const name of schema.featureNames) {
      const enc = encodingIn.columns.find((c) => name.startsWith(`${c.name}=`));
      if (enc !== undefined) {
        let slot = catNames.indexOf(enc.name);
        if (slot < 0) slot = catNames.push(enc.name) - 1;
        schemaFeatures.push({ name, src: { kind: 'cat', slot }, category: name.slice(enc.name.length + 1) });
      } else {
        let slot = numNames.indexOf(name);
        if (slot < 0) slot = numNames.push(name) - 1;
        schemaFeatures.push({ name, src: { kind: 'num', slot } });
      }
    }
  } else {
    let textKinds = new Map<number, 'categorical' | 'text'>();
    const candidates: number[] = [];
    first.names.forEach((n, i) => {
      if (n !== '' && !rules.drop.has(n.toLowerCase()) && !/^unnamed: \d+$/i.test(n)) candidates.push(i);
    });
    if (rules.categorical === null) textKinds = await sniffTextColumns(first, candidates);
    for (let i = 0; i < first.names.length; i++) {
      const n = first.names[i]!;
      if (n === '' || /^unnamed: \d+$/i.test(n)) {
        dropped.push(`${n === '' ? `(unnamed column ${i + 1})` : n} (index column)`);
        continue;
      }
      const why = rules.drop.get(n.toLowerCase());
      if (why !== undefined) {
        dropped.push(`${n} (${why})`);
        continue;
      }
      const lacking = heads.find((h) => findColumn(h.names, n) < 0);
      if (lacking !== undefined) {
        dropped.push(`${n} (missing in ${lacking.path})`);
        continue;
      }
      const kind = textKinds.get(i);
      if (kind === 'text') {
        dropped.push(`${n} (text with many distinct values)`);
      } else if (kind === 'categorical' || rules.categorical?.has(n.toLowerCase()) === true) {
        order.push({ kind: 'cat', slot: catNames.push(n) - 1 });
      } else {
        const slot = numNames.push(n) - 1;
        order.push({ kind: 'num', slot });
        const dup = /^(.+)#\d+$/.exec(n); // a repeated header name, renamed by columnNames
        if (dup !== null) {
          const orig = numNames.indexOf(dup[1]!);
          if (orig >= 0) dupOf.set(slot, orig);
        }
      }
    }
    if (order.length === 0) {
      throw new CyrangeError(`${first.path}: no feature columns left (all were labels, identifiers or text)`);
    }
  }
  const nNum = numNames.length;
  const nCat = catNames.length;

  // 3. Stream every file into growing buffers.
  const store = new RowStore(nNum, nCat, dupOf);
  let skipped = 0;
  const fileRows: { path: string; rows: number }[] = [];

  for (let fi = 0; fi < heads.length; fi++) {
    const head = heads[fi]!;
    if (store.n >= maxRows) {
      fileRows.push({ path: head.path, rows: 0 });
      continue;
    }
    const nFields = head.names.length;
    const li = labelIdx[fi]!;
    const missing = (name: string): never => {
      throw new CyrangeError(
        schema !== undefined
          ? `${head.path}: column "${name}": required by the model's feature schema but missing`
          : `${head.path}: column "${name}": present in ${first.path} but missing`,
      );
    };
    const numIdx = Int32Array.from(numNames, (n) => {
      const i = findColumn(head.names, n);
      return i < 0 ? missing(n) : i;
    });
    const catIdx = Int32Array.from(catNames, (n) => {
      const i = findColumn(head.names, n);
      return i < 0 ? missing(n) : i;
    });

    const starts = new Int32Array(nFields + MAX_TRAILING + 3);
    let seenHeader = false;
    let good = 0;
    let malformed = 0;
    let firstBad = '';
    let pending = '';
    let pendingLines = 0;
    let pendingStart = 0;
    let bytesRead = (): number => 0;
    const checkMalformed = (): void => {
      if (malformed > good) {
        throw new CyrangeError(
          `${head.path}: ${firstBad}; ${malformed} of ${malformed + good} rows malformed (is this the right file?)`,
        );
      }
    };
    const bad = (why: string): void => {
      malformed++;
      skipped++;
      if (firstBad === '') firstBad = why;
      if (malformed + good === 1000) checkMalformed(); // fail early on a wrong multi-GB file
    };
    const onLine = (raw: string, lineNo: number): boolean => {
      if (!seenHeader) {
        if (stripBom(raw).trim() !== '') seenHeader = true;
        return true;
      }
      let line = raw;
      let at = lineNo;
      if (pending !== '') {
        line = `${pending}\n${raw}`;
        at = pendingStart;
      }
      if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) return true;
      // Rows of bare commas pad some CICIDS2017 files (hundreds of thousands in Thursday morning).
      if (line.charCodeAt(0) === 44 && /^[,\s]*$/.test(line)) {
        skipped++;
        return true;
      }
      if (line.length === head.line.length && line === head.line) {
        skipped++; // header repeated by concatenating files
        return true;
      }
      // Field boundaries: field k is line[starts[k], starts[k + 1] - 1).
      let row = line;
      let nf: number;
      let quotedCount: number | undefined;
      if (line.indexOf('"') === -1) {
        nf = scanFields(line, starts, nFields + MAX_TRAILING + 1);
      } else {
        const fields = splitCsvLine(line);
        if (fields === null) {
          // An open quote: the field holds a newline, the record goes on.
          if (pending === '') pendingStart = lineNo;
          pending = line;
          if (++pendingLines <= MAX_PENDING_LINES) return true;
          pending = '';
          pendingLines = 0;
          bad(`line ${at}: unterminated quoted field`);
          return true;
        }
        row = fields.join(',');
        quotedCount = fields.length;
        nf = Math.min(fields.length, nFields + MAX_TRAILING + 1);
        for (let k = 0, p = 0; k < nf; k++) {
          starts[k] = p;
          p += fields[k]!.length + 1;
          starts[k + 1] = p;
        }
        if (fields.length > nFields + MAX_TRAILING + 1) nf = fields.length;
      }
      pending = '';
      pendingLines = 0;
      // Trailing commas (Excel exports, headers that end in commas) make empty extra fields.
      while (nf > nFields && nf <= nFields + MAX_TRAILING && starts[nf] === starts[nf - 1]! + 1) nf--;
      if (nf !== nFields) {
        const got = nf > nFields + MAX_TRAILING ? (quotedCount ?? row.split(',').length) : nf;
        bad(`line ${at}: expected ${nFields} fields, got ${got}`);
        return true;
      }
      const code = store.labelCode(row.slice(starts[li]!, starts[li + 1]! - 1));
      if (code < 0) {
        skipped++; // no label
        return true;
      }
      store.add(row, starts, numIdx, catIdx, code);
      good++;
      if (malformed + good === 1000) checkMalformed();
      if (opts.onProgress !== undefined && good % PROGRESS_EVERY === 0) {
        opts.onProgress({ file: head.path, rows: store.n, bytesRead: bytesRead(), bytesTotal: head.size });
      }
      return store.n < maxRows;
    };
    await eachLine(head.path, onLine, (b) => {
      bytesRead = b;
    });
    if (pending !== '') bad(`line ${pendingStart}: unterminated quoted field`);
    checkMalformed();
    if (good === 0) throw new CyrangeError(`${head.path}: no data rows after the header`);
    fileRows.push({ path: head.path, rows: good });
    opts.onProgress?.({ file: head.path, rows: store.n, bytesRead: head.size, bytesTotal: head.size });
  }
  const nRows = store.n;
  const { num, cat, lab, labelNames, labelCounts, labelByKey, catValues, catCounts } = store;

  // 4. Classes.
  const benignKey = labelKey(rules.benign);
  const classOf = new Int32Array(labelNames.length);
  let classNames: string[];
  if (opts.multiClass === true) {
    classNames = ['benign'];
    const known = new Map<string, number>();
    if (schema?.classNames !== undefined) {
      schema.classNames.forEach((n, i) => {
        if (i > 0) {
          classNames.push(n);
          known.set(labelKey(n), i);
        }
      });
    }
    const fresh = labelNames
      .map((_, i) => i)
      .filter((i) => labelByKey.get(benignKey) !== i && !known.has(labelKey(labelNames[i]!)))
      .sort((a, b) => labelCounts[b]! - labelCounts[a]! || (labelNames[a]! < labelNames[b]! ? -1 : 1));
    for (const i of fresh) known.set(labelKey(labelNames[i]!), classNames.push(labelNames[i]!) - 1);
    labelNames.forEach((n, i) => {
      classOf[i] = labelKey(n) === benignKey ? 0 : known.get(labelKey(n))!;
    });
  } else {
    classNames = ['benign', 'attack'];
    labelNames.forEach((n, i) => {
      classOf[i] = labelKey(n) === benignKey ? 0 : 1;
    });
  }
  const y = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) y[r] = classOf[lab[r]!]!;
  const perClass: Record<string, number> = {};
  for (const n of classNames) perClass[n] = 0;
  labelNames.forEach((_, i) => {
    perClass[classNames[classOf[i]!]!]! += labelCounts[i]!;
  });
  const perLabel: Record<string, number> = {};
  labelNames.forEach((n, i) => {
    perLabel[n] = labelCounts[i]!;
  });

  // 5. Categorical encoding: the schema's, or the most frequent values seen here.
  const encoding: CategoricalEncoding = { columns: [] };
  if (encodingIn !== null) {
    for (const n of catNames) {
      const c = encodingIn.columns.find((e) => e.name === n)!;
      encoding.columns.push({ name: c.name, categories: [...c.categories] });
    }
  } else {
    catNames.forEach((n, c) => {
      const ranked = catValues[c]!
        .map((_, k) => k)
        .filter((k) => catValues[c]![k] !== 'other')
        .sort((a, b) => catCounts[c]![b]! - catCounts[c]![a]! || (catValues[c]![a]! < catValues[c]![b]! ? -1 : 1))
        .slice(0, maxCategories)
        .map((k) => catValues[c]![k]!);
      encoding.columns.push({ name: n, categories: ranked });
    });
  }

  // 6. Final features, then the matrix.
  const features: { name: string; src: Source; category?: string }[] = [];
  if (schemaFeatures !== null) {
    features.push(...schemaFeatures);
  } else {
    for (const src of order) {
      if (src.kind === 'num') {
        const name = numNames[src.slot]!;
        const orig = dupOf.get(src.slot);
        if (orig !== undefined && store.identical(src.slot)) {
          dropped.push(`${name} (identical to ${numNames[orig]!})`);
          continue;
        }
        features.push({ name, src });
      } else {
        const col = encoding.columns[src.slot]!;
        for (const v of [...col.categories, 'other']) features.push({ name: `${col.name}=${v}`, src, category: v });
      }
    }
  }
  const nCols = features.length;
  let X: Float32Array;
  if (nCat === 0 && nCols === nNum && features.every((f, j) => f.src.slot === j)) {
    X = num.slice(0, nRows * nNum);
  } else {
    X = new Float32Array(nRows * nCols);
    const numOut: number[] = [];
    const numSrc: number[] = [];
    features.forEach((f, j) => {
      if (f.src.kind === 'num') {
        numOut.push(j);
        numSrc.push(f.src.slot);
      }
    });
    const outIdx = Int32Array.from(numOut);
    const srcIdx = Int32Array.from(numSrc);
    // Per categorical column: dictionary code -> output column of its one-hot (or -1: no column).
    const hot = catNames.map((_, c) => {
      const cats = encoding.columns[c]!.categories;
      const colOf = new Map<string, number>();
      let other = -1;
      features.forEach((f, j) => {
        if (f.src.kind === 'cat' && f.src.slot === c) {
          if (f.category === 'other') other = j;
          else colOf.set(f.category!, j);
        }
      });
      const inCats = new Set(cats);
      return Int32Array.from(catValues[c]!, (v) => (inCats.has(v) ? (colOf.get(v) ?? -1) : other));
    });
    for (let r = 0; r < nRows; r++) {
      const o = r * nCols;
      const b = r * nNum;
      for (let k = 0; k < outIdx.length; k++) X[o + outIdx[k]!] = num[b + srcIdx[k]!]!;
      for (let c = 0; c < nCat; c++) {
        const j = hot[c]![cat[r * nCat + c]!]!;
        if (j >= 0) X[o + j] = 1;
      }
    }
  }

  return {
    format,
    featureNames: features.map((f) => f.name),
    X,
    nRows,
    nCols,
    y,
    classNames,
    labelColumn: labelName,
    benign: rules.benign,
    summary: {
      files: fileRows,
      rows: nRows,
      perClass,
      perLabel,
      nonFiniteCells: store.nonFinite,
      skippedRows: skipped,
      droppedColumns: dropped,
    },
    encoding,
  };
}
