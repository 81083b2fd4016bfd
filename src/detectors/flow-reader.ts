/**
 * Reading one flow CSV's data rows into a RowStore: records (a quoted field may span lines), blank and
 * padding rows, repeated headers, trailing commas, malformed rows (counted, and a file where they are the
 * majority is refused as the wrong file), rows without a label.
 */
import { stat } from 'node:fs/promises';
import { CyrangeError } from '../shared/errors.js';
import { eachLine, ioError, scanFields, splitCsvLine, stripBom } from './csv-tokenizer.js';
import { columnNames, detectFormat, isHeaderlessUnswRaw, UNSW_RAW_COLUMNS, type FlowFormat } from './flow-dialects.js';
import type { RowStore } from './row-store.js';

export interface FileHead {
  path: string;
  size: number;
  /** Header line without BOM, as in the file (to recognise repeated header lines). */
  line: string;
  names: string[];
  format: FlowFormat;
  /** The first line is data (UNSW-NB15 raw files have no header; `names` are the published ones). */
  headerless: boolean;
}

export interface LoadProgress {
  file: string;
  rows: number;
  bytesRead: number;
  bytesTotal: number;
}

const PROGRESS_EVERY = 65536;
const MAX_PENDING_LINES = 100;
const MAX_TRAILING = 8;

/** The header of `path` (the first non-blank line), its column names and format. */
export async function readHead(path: string): Promise<FileHead> {
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
    const headerless = isHeaderlessUnswRaw(line);
    head = { path, size, line, names: headerless ? [...UNSW_RAW_COLUMNS] : columnNames(line), format: detectFormat(line), headerless };
    return false;
  });
  if (head === null) throw new CyrangeError(`${path}: empty file`);
  return head;
}

/** Which field of a row feeds each numeric slot, categorical slot and the label. */
export interface RowColumns {
  numIdx: Int32Array;
  catIdx: Int32Array;
  /** -1: the file has no label column (labels optional). */
  labelIdx: number;
}

export interface ReadLimits {
  /** Stop when the store holds this many rows. */
  maxRows: number;
  onProgress?: ((p: LoadProgress) => void) | undefined;
}

/** Why data rows were not loaded, and how many. */
export type SkipReasons = Record<string, number>;

/** Appends the data rows of one file to `store`; returns the rows loaded and the rows skipped, by reason. */
export async function readRows(head: FileHead, cols: RowColumns, store: RowStore, limits: ReadLimits): Promise<{ good: number; skipped: SkipReasons }> {
  const nFields = head.names.length;
  const li = cols.labelIdx;
  const { numIdx, catIdx } = cols;
  const { maxRows, onProgress } = limits;
  const starts = new Int32Array(nFields + MAX_TRAILING + 3);
  const skipped: SkipReasons = {};
  const skip = (why: string): void => {
    skipped[why] = (skipped[why] ?? 0) + 1;
  };
  let seenHeader = head.headerless;
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
  const bad = (reason: string, why: string): void => {
    malformed++;
    skip(reason);
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
      skip('empty (only commas)');
      return true;
    }
    if (!head.headerless && line.length === head.line.length && line === head.line) {
      skip('header repeated'); // by concatenating files
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
        bad('unterminated quoted field', `line ${at}: unterminated quoted field`);
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
      bad('wrong number of fields', `line ${at}: expected ${nFields} fields, got ${got}`);
      return true;
    }
    const code = store.labelCode(li < 0 ? '' : row.slice(starts[li]!, starts[li + 1]! - 1));
    if (code < 0) {
      skip('empty label');
      return true;
    }
    store.add(row, starts, numIdx, catIdx, code);
    good++;
    if (malformed + good === 1000) checkMalformed();
    if (onProgress !== undefined && good % PROGRESS_EVERY === 0) {
      onProgress({ file: head.path, rows: store.n, bytesRead: bytesRead(), bytesTotal: head.size });
    }
    return store.n < maxRows;
  };
  await eachLine(head.path, onLine, (b) => {
    bytesRead = b;
  });
  if (pending !== '') bad('unterminated quoted field', `line ${pendingStart}: unterminated quoted field`);
  checkMalformed();
  if (good === 0) throw new CyrangeError(`${head.path}: no data rows after the header`);
  onProgress?.({ file: head.path, rows: store.n, bytesRead: head.size, bytesTotal: head.size });
  return { good, skipped };
}
