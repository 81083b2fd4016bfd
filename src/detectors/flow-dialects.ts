/**
 * Dialects of flow CSVs: which data set a header belongs to, and each one's rules (label column, benign
 * value, columns never used as features, categorical columns).
 *
 * - CICIDS2017 (CICFlowMeter "MachineLearningCVE" / "TrafficLabelling" CSVs): column names with leading
 *   spaces, a duplicated ` Fwd Header Length`, `Infinity`/`NaN` cells, labels like `Web Attack – Brute Force`
 *   whose en dash is often mojibake. Identifier columns (Flow ID, IPs, source port, timestamp) are dropped.
 * - UNSW-NB15 training/testing-set CSVs: `id` dropped, `proto`/`service`/`state` one-hot encoded
 *   (`proto=tcp`, ..., `proto=other`), `label` 0/1 for binary, `attack_cat` for multi-class.
 * - Any other CSV, given `labelColumn` and the `benign` value (string columns are sniffed: few distinct
 *   values -> one-hot, many -> dropped as identifiers).
 */
import { CyrangeError } from '../shared/errors.js';
import { eachLine, splitCsvLine, stripBom } from './csv-tokenizer.js';

export type FlowFormat = 'cicids2017' | 'unsw-nb15' | 'generic';

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

/** Case-insensitive identity of a label value. */
export function labelKey(s: string): string {
  return normalizeLabel(s).toLowerCase();
}

/** Trimmed column names; a repeated name becomes `name#2`, `name#3`; empty names stay empty. */
export function columnNames(headerLine: string): string[] {
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

/** What a dialect needs from the load options. */
export interface DialectOptions {
  labelColumn?: string;
  benign?: string;
  multiClass?: boolean;
  dropColumns?: string[];
}

export interface FormatRules {
  labelColumn: string;
  benign: string;
  /** Lower-case names never used as features, with the reason. */
  drop: Map<string, string>;
  /** Lower-case categorical names, or null to sniff them (generic CSVs). */
  categorical: Set<string> | null;
}

const CICIDS_IDENTIFIERS = ['flow id', 'source ip', 'src ip', 'source port', 'src port', 'destination ip', 'dst ip', 'timestamp'];

/** The rules of `format`; `labelColumn`/`benign` come from the options, else from a model's schema. */
export function rulesFor(format: FlowFormat, opts: DialectOptions, file: string): FormatRules {
  const drop = new Map<string, string>();
  for (const d of opts.dropColumns ?? []) drop.set(d.trim().toLowerCase(), 'dropped by request');
  const { labelColumn, benign } = opts;
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

const NON_NUMERIC_TOKEN = /^[+-]?(?:inf|infinity|nan|na|n\/a|null|none)?$/i;
const SNIFF_ROWS = 1000;
const SNIFF_MAX_DISTINCT = 64;

/**
 * Generic CSVs: which of the `candidates` columns hold text, from the first rows of `path`. Few distinct
 * values -> categorical (one-hot), many -> text (an identifier, dropped).
 */
export async function sniffTextColumns(path: string, nNames: number, candidates: number[]): Promise<Map<number, 'categorical' | 'text'>> {
  const distinct = candidates.map(() => new Set<string>());
  const isText = candidates.map(() => false);
  let seenHeader = false;
  let rows = 0;
  await eachLine(path, (raw) => {
    if (!seenHeader) {
      if (stripBom(raw).trim() !== '') seenHeader = true;
      return true;
    }
    const fields = splitCsvLine(raw);
    if (fields === null || fields.length < nNames) return true;
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
