/**
 * Streaming loader for public intrusion-detection flow data sets (the ones the reference paper trained
 * on): CICIDS2017, UNSW-NB15 and generic labelled CSVs (see flow-dialects.ts for what each one means).
 *
 * Steps, top to bottom in `loadFlowCsv`:
 *   1. every file's header (flow-reader.ts), so a wrong file among many fails before hundreds of MB are read;
 *   2. the column plan: numeric and categorical columns by name, what is dropped and why (or a model's
 *      schema, which decides everything);
 *   3. the rows of every file into typed buffers that grow geometrically (row-store.ts);
 *   4. classes from the label values;
 *   5. the categorical encoding and the dense matrix (one-hot.ts).
 * A model stores `featureNames` + `encoding` (+ `classNames`); passing them back as `schema` projects
 * any later file onto exactly the same features in the same order.
 */
import { CyrangeError } from '../shared/errors.js';
import { labelKey, notAFeature, rulesFor, sniffTextColumns, type FlowFormat, type FormatRules, type TextKind } from './flow-dialects.js';
import { readHead, readRows, type FileHead, type LoadProgress, type SkipReasons } from './flow-reader.js';
import { assembleMatrix, chooseEncoding, schemaLayout, trainingFeatures, type CategoricalEncoding, type FeatureSource, type Source } from './one-hot.js';
import { RowStore } from './row-store.js';

export { splitCsvLine } from './csv-tokenizer.js';
export { detectFormat, normalizeLabel, type FlowFormat } from './flow-dialects.js';
export type { LoadProgress } from './flow-reader.js';
export type { CategoricalColumn, CategoricalEncoding } from './one-hot.js';

/** What a trained model remembers about its inputs (see `featureSchemaOf`). */
export interface FeatureSchemaLike {
  featureNames: readonly string[];
  encoding?: CategoricalEncoding;
  /** Multi-class models: class order to reproduce (index 0 benign); unseen labels are appended. */
  classNames?: readonly string[];
  labelColumn?: string;
  benign?: string;
  /** Trained with one class per label value (evaluation reads later files the same way). */
  multiClass?: boolean;
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
  /** Extra columns never to use as features. */
  dropColumns?: string[];
  /**
   * Columns to use as features although they are dropped by default (identifiers, addresses, source ports,
   * timestamps, label-side columns; see flow-dialects.ts).
   */
  keepColumns?: string[];
  /**
   * 'optional' (scoring): a missing label column or an empty label cell is no reason to skip a row; such
   * rows get the label `(unlabelled)`. Default 'required'.
   */
  labels?: 'required' | 'optional';
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
  /** Numeric columns with text cells (stored as 0): how many, and the first one seen. */
  nonNumericCells: { column: string; cells: number; example: string }[];
  /** Data rows not loaded: wrong field count, empty label, all-empty rows, repeated header lines. */
  skippedRows: number;
  /** The same, by reason. */
  skippedByReason: Record<string, number>;
  /** Columns not used as features, with why (`name (identifier)`, `name#2 (identical to name)`, ...). */
  droppedColumns: string[];
  /** Text columns used one-hot encoded, with their width (`proto (32 values + other)`). */
  oneHotColumns: string[];
}

/** Label of rows without one, when labels are optional. */
export const UNLABELLED = '(unlabelled)';

/** What a load did to the files, in lines for a person: columns dropped and why, rows skipped and why, text in numeric columns. */
export function describeLoad(s: FlowSummary): string[] {
  const lines: string[] = [];
  if (s.droppedColumns.length > 0) lines.push(`columns not used as features (${s.droppedColumns.length}): ${s.droppedColumns.join(', ')}`);
  if (s.skippedRows > 0) {
    const why = Object.entries(s.skippedByReason).map(([r, n]) => `${r} ${n}`).join(', ');
    lines.push(`rows skipped: ${s.skippedRows} (${why})`);
  }
  if (s.oneHotColumns.length > 0) lines.push(`text columns one-hot encoded (${s.oneHotColumns.length}): ${s.oneHotColumns.join(', ')}`);
  for (const c of s.nonNumericCells) lines.push(`column "${c.column}": ${c.cells} cells are not numbers (e.g. ${JSON.stringify(c.example)}), stored as 0`);
  return lines;
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
  /** One class per label value (else benign vs attack). */
  multiClass: boolean;
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
    multiClass: ds.multiClass,
  };
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

/** The column plan of a training load: which columns are features, of which kind, and what was dropped. */
interface TrainingPlan {
  numNames: string[];
  catNames: string[];
  /** Header order of the first file. */
  order: Source[];
  dropped: string[];
  /** Numeric slot -> slot of the column it repeats (a duplicated header name). */
  dupOf: Map<number, number>;
}

async function trainingPlan(heads: readonly FileHead[], rules: FormatRules, keep: ReadonlySet<string>): Promise<TrainingPlan> {
  const first = heads[0]!;
  const plan: TrainingPlan = { numNames: [], catNames: [], order: [], dropped: [], dupOf: new Map() };
  const { numNames, catNames, order, dropped, dupOf } = plan;
  const isIndex = (n: string): boolean => n === '' || /^unnamed: \d+$/i.test(n);
  // Why a column is not a feature: requested, then the data set's defaults (unless kept).
  const whyNot = (n: string): string | undefined => {
    const lower = n.toLowerCase();
    const why = rules.drop.get(lower);
    if (why === 'label' || why === 'dropped by request') return why;
    if (keep.has(lower)) return undefined;
    return why ?? notAFeature(n.replace(/#\d+$/, ''));
  };
  const candidates: number[] = [];
  first.names.forEach((n, i) => {
    if (!isIndex(n) && whyNot(n) === undefined) candidates.push(i);
  });
  const textKinds = rules.categorical === null ? await sniffTextColumns(first.path, first.names.length, candidates) : new Map<number, TextKind>();
  for (let i = 0; i < first.names.length; i++) {
    const n = first.names[i]!;
    if (isIndex(n)) {
      dropped.push(`${n === '' ? `(unnamed column ${i + 1})` : n} (index column)`);
      continue;
    }
    const why = whyNot(n);
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
    } else if (kind === 'address' && !keep.has(n.toLowerCase())) {
      dropped.push(`${n} (address)`);
    } else if (kind === 'categorical' || kind === 'address' || rules.categorical?.has(n.toLowerCase()) === true) {
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
  return plan;
}

/** Every name in a --drop-columns / --keep-columns list must be a column of the first file. */
function checkNamed(head: FileHead, list: readonly string[] | undefined, flag: string): void {
  for (const n of list ?? []) {
    if (findColumn(head.names, n) < 0) throw new CyrangeError(`${head.path}: ${flag}: no column "${n.trim()}" (columns: ${describeColumns(head.names)})`);
  }
}

/**
 * Classes: benign vs attack, or with `multiClass` one per label value, 'benign' first, then the schema's
 * classes in order, then unseen labels by frequency.
 */
function assignClasses(store: RowStore, benign: string, multiClass: boolean, schemaClasses: readonly string[] | undefined): { classNames: string[]; y: Int32Array; perClass: Record<string, number>; perLabel: Record<string, number> } {
  const { lab, labelNames, labelCounts, labelByKey } = store;
  const benignKey = labelKey(benign);
  const classOf = new Int32Array(labelNames.length);
  let classNames: string[];
  if (multiClass) {
    classNames = ['benign'];
    const known = new Map<string, number>();
    if (schemaClasses !== undefined) {
      schemaClasses.forEach((n, i) => {
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
  const y = new Int32Array(store.n);
  for (let r = 0; r < store.n; r++) y[r] = classOf[lab[r]!]!;
  const perClass: Record<string, number> = {};
  for (const n of classNames) perClass[n] = 0;
  labelNames.forEach((_, i) => {
    perClass[classNames[classOf[i]!]!]! += labelCounts[i]!;
  });
  const perLabel: Record<string, number> = {};
  labelNames.forEach((n, i) => {
    perLabel[n] = labelCounts[i]!;
  });
  return { classNames, y, perClass, perLabel };
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
  const labelColumn = opts.labelColumn ?? schema?.labelColumn;
  const benign = opts.benign ?? schema?.benign;
  const optionalLabels = opts.labels === 'optional';
  const rules = rulesFor(format, { ...opts, labelColumn, benign }, first.path);
  if (optionalLabels) rules.emptyLabel ??= UNLABELLED;
  const labelIdx = heads.map((h) => {
    const i = findColumn(h.names, rules.labelColumn);
    if (i < 0 && !optionalLabels) {
      throw new CyrangeError(
        `${h.path}: label column "${rules.labelColumn}" not in header (columns: ${describeColumns(h.names)})`,
      );
    }
    return i;
  });
  const labelName = labelIdx[0]! >= 0 ? first.names[labelIdx[0]!]! : rules.labelColumn;
  rules.drop.set(labelName.toLowerCase(), 'label');
  checkNamed(first, opts.dropColumns, '--drop-columns');
  checkNamed(first, opts.keepColumns, '--keep-columns');

  // 2. The column plan: a model's schema, or the training plan from the headers.
  const encodingIn = schema !== undefined ? (schema.encoding ?? { columns: [] }) : null;
  const layout = schema !== undefined ? schemaLayout(schema.featureNames, encodingIn!) : null;
  const keep = new Set((opts.keepColumns ?? []).map((n) => n.trim().toLowerCase()));
  const plan = layout === null ? await trainingPlan(heads, rules, keep) : null;
  const numNames = layout?.numNames ?? plan!.numNames;
  const catNames = layout?.catNames ?? plan!.catNames;

  // 3. Stream every file into growing buffers.
  const store = new RowStore(numNames.length, catNames.length, plan?.dupOf ?? new Map(), rules);
  const skippedByReason: SkipReasons = {};
  const fileRows: { path: string; rows: number }[] = [];
  for (let fi = 0; fi < heads.length; fi++) {
    const head = heads[fi]!;
    if (store.n >= maxRows) {
      fileRows.push({ path: head.path, rows: 0 });
      continue;
    }
    const index = (n: string): number => {
      const i = findColumn(head.names, n);
      if (i >= 0) return i;
      throw new CyrangeError(
        schema !== undefined
          ? `${head.path}: column "${n}": required by the model's feature schema but missing`
          : `${head.path}: column "${n}": present in ${first.path} but missing`,
      );
    };
    const cols = { numIdx: Int32Array.from(numNames, index), catIdx: Int32Array.from(catNames, index), labelIdx: labelIdx[fi]! };
    const r = await readRows(head, cols, store, { maxRows, onProgress: opts.onProgress });
    for (const [why, k] of Object.entries(r.skipped)) skippedByReason[why] = (skippedByReason[why] ?? 0) + k;
    fileRows.push({ path: head.path, rows: r.good });
  }

  // 4. Classes.
  const classes = assignClasses(store, rules.benign, opts.multiClass === true, schema?.classNames);

  // 5. Categorical encoding (the schema's, or the most frequent values seen here), features, matrix.
  const encoding = chooseEncoding(catNames, store, encodingIn, opts.maxCategories ?? 32);
  const dropped = plan?.dropped ?? [];
  const features: FeatureSource[] = layout?.features ?? trainingFeatures(plan!.order, numNames, plan!.dupOf, store, encoding, dropped);
  const X = assembleMatrix(features, store, numNames.length, encoding);

  return {
    format,
    featureNames: features.map((f) => f.name),
    X,
    nRows: store.n,
    nCols: features.length,
    y: classes.y,
    classNames: classes.classNames,
    multiClass: opts.multiClass === true,
    labelColumn: labelName,
    benign: rules.benign,
    summary: {
      files: fileRows,
      rows: store.n,
      perClass: classes.perClass,
      perLabel: classes.perLabel,
      nonFiniteCells: store.nonFinite,
      nonNumericCells: numNames.flatMap((column, k) => (store.textCells[k]! > 0 ? [{ column, cells: store.textCells[k]!, example: store.textExample[k]! }] : [])),
      skippedRows: Object.values(skippedByReason).reduce((a, b) => a + b, 0),
      skippedByReason,
      droppedColumns: dropped,
      oneHotColumns: encoding.columns.map((c) => `${c.name} (${c.categories.length} values + other)`),
    },
    encoding,
  };
}
