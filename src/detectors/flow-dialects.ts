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

export type FlowFormat = 'cicids2017' | 'cicids2017-engelen' | 'unsw-nb15' | 'unsw-nb15-raw' | 'generic';

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

/**
 * Column names of a header line: trimmed; a repeated name becomes `name#2`, `name#3`, and so does pandas'
 * spelling of a repeat (`name.1` when `name` came earlier: pandas renames duplicated columns so when it
 * writes a CSV back, e.g. CICIDS2017's second ` Fwd Header Length` as `Fwd Header Length.1`). Empty names
 * stay empty.
 */
export function columnNames(headerLine: string): string[] {
  const raw = splitCsvLine(stripBom(headerLine)) ?? stripBom(headerLine).split(',');
  const seen = new Map<string, number>();
  const names = raw.map((n) => n.trim());
  // A header ending in commas has empty trailing names: not columns.
  while (names.length > 1 && names[names.length - 1] === '') names.pop();
  return names.map((n) => {
    if (n === '') return '';
    const pandas = /^(.+)\.(\d+)$/.exec(n);
    const base = pandas !== null && seen.has(pandas[1]!) ? pandas[1]! : n;
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? base : `${base}#${k}`;
  });
}

/** The 49 columns of the headerless UNSW-NB15 raw files (UNSW-NB15_1.csv ... _4.csv), per NUSW-NB15_features.csv. */
export const UNSW_RAW_COLUMNS = [
  'srcip', 'sport', 'dstip', 'dsport', 'proto', 'state', 'dur', 'sbytes', 'dbytes', 'sttl', 'dttl', 'sloss', 'dloss',
  'service', 'Sload', 'Dload', 'Spkts', 'Dpkts', 'swin', 'dwin', 'stcpb', 'dtcpb', 'smeansz', 'dmeansz', 'trans_depth',
  'res_bdy_len', 'Sjit', 'Djit', 'Stime', 'Ltime', 'Sintpkt', 'Dintpkt', 'tcprtt', 'synack', 'ackdat', 'is_sm_ips_ports',
  'ct_state_ttl', 'ct_flw_http_mthd', 'is_ftp_login', 'ct_ftp_cmd', 'ct_srv_src', 'ct_srv_dst', 'ct_dst_ltm', 'ct_src_ltm',
  'ct_src_dport_ltm', 'ct_dst_sport_ltm', 'ct_dst_src_ltm', 'attack_cat', 'Label',
] as const;

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** A first line that is a raw UNSW-NB15 data row (no header): 49 fields, two IPv4 addresses, a 0/1 label. */
export function isHeaderlessUnswRaw(line: string): boolean {
  const f = splitCsvLine(stripBom(line));
  return f !== null && f.length === UNSW_RAW_COLUMNS.length && IPV4.test(f[0]!.trim()) && IPV4.test(f[2]!.trim()) && /^[01]$/.test(f[48]!.trim());
}

/** Which data set a header line belongs to. */
export function detectFormat(headerLine: string): FlowFormat {
  if (isHeaderlessUnswRaw(headerLine)) return 'unsw-nb15-raw';
  const names = new Set(columnNames(headerLine).map((n) => n.toLowerCase()));
  const has = (...ns: string[]): boolean => ns.every((n) => names.has(n));
  // Engelen et al.'s re-extraction (WTMC 2021): CICFlowMeter-v4 names, `Label` then `Attempted Category` last.
  if (has('label', 'attempted category', 'flow duration')) return 'cicids2017-engelen';
  if (has('label', 'flow duration') && (names.has('destination port') || names.has('total fwd packets'))) return 'cicids2017';
  if (has('srcip', 'dstip', 'sbytes', 'dbytes', 'attack_cat', 'label')) return 'unsw-nb15-raw';
  if (has('proto', 'service', 'state', 'sbytes', 'dbytes', 'attack_cat', 'label')) return 'unsw-nb15';
  return 'generic';
}

/** What a dialect needs from the load options. */
export interface DialectOptions {
  labelColumn?: string | undefined;
  benign?: string | undefined;
  multiClass?: boolean | undefined;
  dropColumns?: readonly string[] | undefined;
  keepColumns?: readonly string[] | undefined;
}

export interface FormatRules {
  labelColumn: string;
  benign: string;
  /** Lower-case names never used as features, with the reason. */
  drop: Map<string, string>;
  /** Lower-case categorical names, or null to sniff them (generic CSVs). */
  categorical: Set<string> | null;
  /** The value an empty label cell stands for (UNSW-NB15: empty `attack_cat` is normal traffic), or null: skip the row. */
  emptyLabel: string | null;
  /** Label spellings of the same class across a data set's files (UNSW-NB15 raw `Backdoors` is `Backdoor`). */
  labelAliases: Map<string, string>;
}

/**
 * Columns that are not flow features whatever the data set, by normalised name (lower case, letters and
 * digits only), with the reason. A model that learns a row's identifier, address, source port or time
 * learns the capture, not the traffic; label-side columns leak the label. Destination ports stay: they
 * name the service.
 */
const NOT_FEATURES: [string, string[]][] = [
  ['identifier', ['id', 'flowid', 'uid', 'rowid', 'index']],
  ['address', ['srcip', 'sourceip', 'srcaddr', 'saddr', 'ipsrc', 'dstip', 'destinationip', 'dstaddr', 'daddr', 'ipdst', 'srcmac', 'dstmac']],
  ['source port', ['srcport', 'sourceport', 'sport', 'tcpsrcport', 'udpsrcport']],
  ['timestamp', ['timestamp', 'time', 'stime', 'ltime', 'starttime', 'endtime', 'ts', 'date', 'datetime', 'flowstart', 'flowend']],
  ['label-side', ['label', 'labels', 'class', 'attackcat', 'attackcategory', 'attempted', 'attemptedcategory', 'attacktype', 'category', 'subcategory', 'tag']],
];
const NOT_FEATURE_BY_KEY = new Map(NOT_FEATURES.flatMap(([why, keys]) => keys.map((k): [string, string] => [k, why])));

const nameKey = (n: string): string => n.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Why a column of this name is not a feature by default, or undefined. */
export function notAFeature(name: string): string | undefined {
  return NOT_FEATURE_BY_KEY.get(nameKey(name));
}

const UNSW_ALIASES = new Map([['backdoors', 'Backdoor']]);

/** The rules of `format`; `labelColumn`/`benign` come from the options, else from a model's schema. */
export function rulesFor(format: FlowFormat, opts: DialectOptions, file: string): FormatRules {
  const { labelColumn, benign } = opts;
  const base = { emptyLabel: null, labelAliases: new Map<string, string>() };
  let rules: FormatRules;
  if (format === 'cicids2017' || format === 'cicids2017-engelen') {
    rules = { ...base, labelColumn: labelColumn ?? 'Label', benign: benign ?? 'BENIGN', drop: new Map(), categorical: new Set() };
  } else if (format === 'unsw-nb15' || format === 'unsw-nb15-raw') {
    const lc = labelColumn ?? (opts.multiClass === true ? 'attack_cat' : 'label');
    const isCat = lc.trim().toLowerCase() === 'attack_cat';
    rules = {
      labelColumn: lc,
      benign: benign ?? (isCat ? 'Normal' : '0'),
      drop: new Map(),
      categorical: new Set(['proto', 'service', 'state']),
      emptyLabel: isCat ? 'Normal' : null,
      labelAliases: UNSW_ALIASES,
    };
  } else {
    if (labelColumn === undefined) {
      throw new CyrangeError(`${file}: CSV format not recognised (not CICIDS2017 or UNSW-NB15); pass --label-column NAME --benign VALUE`);
    }
    if (benign === undefined) throw new CyrangeError(`${file}: column "${labelColumn}": no benign value given; pass --benign VALUE`);
    rules = { ...base, labelColumn, benign, drop: new Map(), categorical: null };
  }
  for (const d of opts.dropColumns ?? []) rules.drop.set(d.trim().toLowerCase(), 'dropped by request');
  return rules;
}

/** Cells that mean "no number" rather than text: empty, NaN, Infinity, NA, null, ... */
export const NO_NUMBER_TOKEN = /^[+-]?(?:inf|infinity|nan|na|n\/a|null|none)?$/i;
const SNIFF_ROWS = 1000;
const SNIFF_MAX_DISTINCT = 64;
const IP_LIKE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})$/i;

export type TextKind = 'categorical' | 'text' | 'address';

/**
 * Generic CSVs: which of the `candidates` columns hold text, from the first rows of `path`. A column is
 * text when most of its non-empty cells are not numbers (one stray word in a numeric column does not
 * turn it into text: that cell is stored as 0 and reported); then IP addresses -> 'address' (dropped),
 * few distinct values -> 'categorical' (one-hot), many -> 'text' (an identifier, dropped).
 */
export async function sniffTextColumns(path: string, nNames: number, candidates: number[]): Promise<Map<number, TextKind>> {
  const distinct = candidates.map(() => new Set<string>());
  const texts = candidates.map(() => 0);
  const numbers = candidates.map(() => 0);
  const ips = candidates.map(() => 0);
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
      if (NO_NUMBER_TOKEN.test(cell)) return;
      if (Number.isFinite(Number(cell))) numbers[k]!++;
      else {
        texts[k]!++;
        if (IP_LIKE.test(cell)) ips[k]!++;
        if (distinct[k]!.size <= SNIFF_MAX_DISTINCT) distinct[k]!.add(cell);
      }
    });
    return ++rows < SNIFF_ROWS;
  });
  const out = new Map<number, TextKind>();
  candidates.forEach((col, k) => {
    if (texts[k]! === 0 || texts[k]! < numbers[k]!) return;
    if (ips[k]! * 2 > texts[k]!) out.set(col, 'address');
    else out.set(col, distinct[k]!.size <= SNIFF_MAX_DISTINCT ? 'categorical' : 'text');
  });
  return out;
}
