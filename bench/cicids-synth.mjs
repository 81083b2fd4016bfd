// A CICIDS2017-shaped synthetic flow CSV for the loader and scale benchmarks: the real MachineLearningCVE
// header (79 columns: 78 features, the duplicated ` Fwd Header Length` included, and ` Label`), CRLF line
// ends, a BOM, integer and 9 digit decimal cells, `Infinity` and `NaN` cells where CICFlowMeter writes
// them, and four classes whose distributions overlap (plus 2 % label noise), so no classifier is perfect.
// Not a model of real traffic: a file with the real one's shape and parsing costs.
import { createWriteStream, readFileSync } from 'node:fs';
import { Rng } from '../dist/shared/prng.js';

/** The header line of a CICIDS2017 MachineLearningCVE CSV, byte for byte (the tests' fixture). */
export const CICIDS_HEADER = readFileSync(new URL('../test/fixtures/cicids2017-mlcve-header.txt', import.meta.url), 'utf8');

const NAMES = CICIDS_HEADER.split(',').map((s) => s.trim());
const N_FEATURES = NAMES.length - 1;
const FWD_HDR = NAMES.indexOf('Fwd Header Length');
const FWD_HDR_DUP = NAMES.lastIndexOf('Fwd Header Length');
const PORT = NAMES.indexOf('Destination Port');
const BYTES_S = NAMES.indexOf('Flow Bytes/s');
const PKTS_S = NAMES.indexOf('Flow Packets/s');

// Per class: share of rows, ports, and the means of five latent log-scale variables (duration, forward
// packets, backward packets, forward size, backward size). Attack classes sit within about one standard
// deviation of benign on most of them.
const CLASSES = [
  { label: 'BENIGN', share: 0.8, ports: [443, 80, 53, 22, 8080], mu: [11, 1.5, 1.5, 4.5, 5.5], flag: 0.3 },
  { label: 'DoS Hulk', share: 0.08, ports: [80], mu: [13, 1.8, 1.2, 5.5, 3.5], flag: 0.6 },
  { label: 'PortScan', share: 0.07, ports: [21, 22, 23, 80, 443, 3389, 8080], mu: [8.5, 0.3, 0.3, 1.5, 1.0], flag: 0.8 },
  { label: 'Web Attack \u2013 Brute Force', share: 0.05, ports: [80], mu: [12, 2.2, 2.0, 5.8, 6.2], flag: 0.45 },
];
const CUM = CLASSES.reduce((a, c) => [...a, (a.at(-1) ?? 0) + c.share], []);

/** Column j's latent, offset and whether it is written as an integer (fixed per column). */
const COLS = Array.from({ length: N_FEATURES }, (_, j) => ({
  latent: j % 5,
  offset: ((j * 7919) % 13) / 4 - 1.5,
  integer: j % 2 === 0 || /Flag|Packets$|Port|Length$|Win|Min$/.test(NAMES[j]),
  flag: /Flag/.test(NAMES[j]),
}));

function fmt(v, integer) {
  if (integer) return String(Math.round(v));
  return String(Number(v.toPrecision(9)));
}

function row(rng) {
  const u = rng.next();
  let c = CUM.findIndex((x) => u < x);
  if (c < 0) c = 0;
  const k = CLASSES[c];
  const lat = k.mu.map((m) => m + 1.2 * rng.normal());
  const zeroDuration = rng.next() < 0.01;
  const cells = new Array(N_FEATURES + 1);
  for (let j = 0; j < N_FEATURES; j++) {
    const col = COLS[j];
    if (col.flag) cells[j] = rng.next() < k.flag ? '1' : '0';
    else cells[j] = fmt(Math.exp(lat[col.latent] + col.offset + 0.4 * rng.normal()), col.integer);
  }
  cells[PORT] = String(k.ports[rng.int(k.ports.length)]);
  cells[FWD_HDR_DUP] = cells[FWD_HDR];
  if (zeroDuration) {
    cells[1] = '0';
    cells[BYTES_S] = rng.next() < 0.5 ? 'Infinity' : 'NaN';
    cells[PKTS_S] = 'Infinity';
  }
  // 2 % label noise: the flow looks like its class, the label says another.
  const labelled = rng.next() < 0.02 ? CLASSES[rng.int(CLASSES.length)] : k;
  cells[N_FEATURES] = labelled.label;
  return cells.join(',');
}

/** Writes `nRows` rows to `path`; resolves with the byte size. */
export function writeCicidsLike(path, nRows, seed = 1) {
  const rng = new Rng(seed);
  const out = createWriteStream(path);
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    let r = 0;
    let bytes = 0;
    const pump = () => {
      while (r < nRows) {
        const lines = [];
        const end = Math.min(nRows, r + 2000);
        for (; r < end; r++) lines.push(row(rng));
        const chunk = lines.join('\r\n') + '\r\n';
        bytes += Buffer.byteLength(chunk);
        if (!out.write(chunk)) {
          out.once('drain', pump);
          return;
        }
      }
      out.end(() => resolve(bytes));
    };
    const head = '\ufeff' + CICIDS_HEADER + '\r\n';
    bytes += Buffer.byteLength(head);
    out.write(head);
    pump();
  });
}
