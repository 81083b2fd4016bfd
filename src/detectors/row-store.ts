/**
 * Rows of a flow CSV as they are parsed: numeric slots (Float32, row-major), categorical dictionary codes
 * and label codes, each in a typed buffer that doubles when full. The matrix is assembled once at the end
 * (one-hot.ts), when the categories and classes are known.
 */
import { parseCell } from './csv-tokenizer.js';
import { NO_NUMBER_TOKEN, normalizeLabel } from './flow-dialects.js';

/** How label cells are read: what an empty one stands for (or null: the row has no label) and aliases by lower-case spelling. */
export interface LabelRules {
  emptyLabel: string | null;
  labelAliases: ReadonlyMap<string, string>;
}

const F32_MAX = 3.4028234663852886e38;

/** A class, not closure variables, so V8 keeps the hot `add` fast. */
export class RowStore {
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
  /** Per numeric slot: cells holding text (not a number, not empty/NaN/Infinity), and the first such text. */
  readonly textCells: Int32Array;
  readonly textExample: string[];

  constructor(
    private readonly nNum: number,
    private readonly nCat: number,
    dupOf: Map<number, number>,
    private readonly labels: LabelRules = { emptyLabel: null, labelAliases: new Map() },
  ) {
    this.textCells = new Int32Array(nNum);
    this.textExample = new Array<string>(nNum).fill('');
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
    let norm = normalizeLabel(raw);
    if (norm === '') {
      if (this.labels.emptyLabel === null) return -1;
      norm = this.labels.emptyLabel;
    }
    norm = this.labels.labelAliases.get(norm.toLowerCase()) ?? norm;
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
        if (v !== v) this.noteText(s, line.slice(starts[col]!, starts[col + 1]! - 1).trim());
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

  /** A NaN cell: text unless it is empty or a NaN/Infinity/NA token. */
  private noteText(slot: number, cell: string): void {
    if (NO_NUMBER_TOKEN.test(cell)) return;
    if (this.textCells[slot]! === 0) this.textExample[slot] = cell;
    this.textCells[slot]!++;
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
