/**
 * From parsed rows to the feature matrix: which categories each categorical column keeps, the final
 * feature list (numeric columns and `${column}=${category}` one-hot columns, then `${column}=other`), and
 * the dense row-major matrix. A model stores the feature names and the encoding; `schemaLayout` projects a
 * later file onto exactly those features in that order.
 */
import type { RowStore } from './row-store.js';

/** One categorical column: its one-hot features are `${name}=${c}` for each category, then `${name}=other`. */
export interface CategoricalColumn {
  name: string;
  categories: string[];
}

/** How categorical columns were encoded in training; store it in the model manifest. */
export interface CategoricalEncoding {
  columns: CategoricalColumn[];
}

/** Where a feature comes from: a numeric slot or a categorical slot of the row store. */
export type Source = { kind: 'num'; slot: number } | { kind: 'cat'; slot: number };

export interface FeatureSource {
  name: string;
  src: Source;
  /** One-hot features: the category this column is 1 for. */
  category?: string;
}

/** Numeric and categorical columns (by name) a schema needs, and its features in order. */
export interface SchemaLayout {
  numNames: string[];
  catNames: string[];
  features: FeatureSource[];
}

/** Projection onto a model's schema: plain names are numeric columns, `col=value` one-hot of an encoded column. */
export function schemaLayout(featureNames: readonly string[], encoding: CategoricalEncoding): SchemaLayout {
  const numNames: string[] = [];
  const catNames: string[] = [];
  const features: FeatureSource[] = [];
  for (const name of featureNames) {
    const enc = encoding.columns.find((c) => name.startsWith(`${c.name}=`));
    if (enc !== undefined) {
      let slot = catNames.indexOf(enc.name);
      if (slot < 0) slot = catNames.push(enc.name) - 1;
      features.push({ name, src: { kind: 'cat', slot }, category: name.slice(enc.name.length + 1) });
    } else {
      let slot = numNames.indexOf(name);
      if (slot < 0) slot = numNames.push(name) - 1;
      features.push({ name, src: { kind: 'num', slot } });
    }
  }
  return { numNames, catNames, features };
}

/** The schema's encoding for these columns, or the `maxCategories` most frequent values of each seen here. */
export function chooseEncoding(catNames: readonly string[], store: RowStore, encodingIn: CategoricalEncoding | null, maxCategories: number): CategoricalEncoding {
  const encoding: CategoricalEncoding = { columns: [] };
  const { catValues, catCounts } = store;
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
  return encoding;
}

/**
 * Training features in header order: numeric columns (a repeated column identical to its original on
 * every row is dropped and noted in `dropped`), and each categorical column as its one-hot block.
 */
export function trainingFeatures(
  order: readonly Source[],
  numNames: readonly string[],
  dupOf: ReadonlyMap<number, number>,
  store: RowStore,
  encoding: CategoricalEncoding,
  dropped: string[],
): FeatureSource[] {
  const features: FeatureSource[] = [];
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
  return features;
}

/** The dense nRows x features.length matrix: numeric slots copied, categorical codes one-hot. */
export function assembleMatrix(features: readonly FeatureSource[], store: RowStore, nNum: number, encoding: CategoricalEncoding): Float32Array {
  const { num, cat, catValues } = store;
  const nRows = store.n;
  const nCat = encoding.columns.length;
  const nCols = features.length;
  if (nCat === 0 && nCols === nNum && features.every((f, j) => f.src.slot === j)) return num.slice(0, nRows * nNum);
  const X = new Float32Array(nRows * nCols);
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
  const hot = encoding.columns.map((col, c) => {
    const colOf = new Map<string, number>();
    let other = -1;
    features.forEach((f, j) => {
      if (f.src.kind === 'cat' && f.src.slot === c) {
        if (f.category === 'other') other = j;
        else colOf.set(f.category!, j);
      }
    });
    const inCats = new Set(col.categories);
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
  return X;
}
