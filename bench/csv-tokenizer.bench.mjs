// CSV tokenizer benchmark (issue 9): our hand tokenizer (dist/detectors/csv-tokenizer.js: readline lines,
// comma offsets, in-place number parsing) against csv-parse 7's streaming parser on the same ~100 MB
// CICIDS2017-shaped file, in one run, alternating, best of three each. Both turn every feature cell into
// a number with the same parseCell, so only the tokenizing differs. The full loader (loadFlowCsv) is
// timed too, for context. One JSON line per figure.
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse';
import { eachLine, parseCell, scanFields } from '../dist/detectors/csv-tokenizer.js';
import { loadFlowCsv } from '../dist/detectors/datasets.js';
import { writeCicidsLike } from './cicids-synth.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 240_000); // about 100 MB
const emit = (figure, value, extra = {}) => console.log(JSON.stringify({ bench: 'csv-tokenizer', figure, value, ...extra }));

const dir = mkdtempSync(join(tmpdir(), 'cyrange-tok-'));
const path = join(dir, 'cicids-like.csv');
const bytes = await writeCicidsLike(path, ROWS, 7);
emit('file_mb', Number((bytes / 1e6).toFixed(1)), { rows: ROWS });

/** Hand tokenizer: lines, comma offsets, numbers in place. Returns [rows, checksum]. */
async function hand() {
  const starts = new Int32Array(128);
  let rows = 0;
  let sum = 0;
  let header = true;
  await eachLine(path, (line) => {
    if (header) {
      header = false;
      return;
    }
    const nf = scanFields(line, starts, 100);
    for (let k = 0; k < nf - 1; k++) {
      const v = parseCell(line, starts[k], starts[k + 1] - 1);
      if (v === v && v !== Infinity) sum += v;
    }
    rows++;
  });
  return [rows, sum];
}

/** csv-parse: records as string arrays, the same numbers from each field. */
function csvParse() {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let sum = 0;
    const parser = parse({ bom: true, from_line: 2, relax_column_count: true, skip_empty_lines: true });
    parser.on('readable', () => {
      let rec;
      while ((rec = parser.read()) !== null) {
        for (let k = 0; k < rec.length - 1; k++) {
          const f = rec[k];
          const v = parseCell(f, 0, f.length);
          if (v === v && v !== Infinity) sum += v;
        }
        rows++;
      }
    });
    parser.on('error', reject);
    parser.on('end', () => resolve([rows, sum]));
    createReadStream(path, { highWaterMark: 1 << 20 }).pipe(parser);
  });
}

async function time(fn) {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
}

try {
  const best = { hand: Infinity, csvParse: Infinity };
  let check = null;
  for (let rep = 0; rep < 3; rep++) {
    for (const [name, fn] of [['hand', hand], ['csvParse', csvParse]]) {
      const { ms, r } = await time(fn);
      best[name] = Math.min(best[name], ms);
      if (check === null) check = r;
      else if (r[0] !== check[0] || Math.abs(r[1] - check[1]) > 1e-6 * Math.abs(check[1])) throw new Error(`${name} read different data: ${r} vs ${check}`);
    }
  }
  emit('hand_ms', Math.round(best.hand), { mb_per_s: Number((bytes / 1e3 / best.hand).toFixed(1)) });
  emit('csv_parse_ms', Math.round(best.csvParse), { mb_per_s: Number((bytes / 1e3 / best.csvParse).toFixed(1)) });
  emit('ratio_csv_parse_over_hand', Number((best.csvParse / best.hand).toFixed(2)));
  const { ms } = await time(() => loadFlowCsv([path]));
  emit('load_flow_csv_ms', Math.round(ms), { mb_per_s: Number((bytes / 1e3 / ms).toFixed(1)) });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
