/**
 * Logistic regression for stacking detector scores: P(attack | u) = sigmoid(w0 + w1 u1 + ... + wk uk),
 * fitted by Newton's method (iteratively reweighted least squares) on weighted rows, with a small ridge
 * penalty on the slopes so that perfectly separated validation rows (common: the forest alone often
 * separates them) give finite weights instead of diverging.
 *
 * The inputs u are the members' calibrated scores (see ensemble-detector.ts): few features, a few
 * thousand rows, so a dense k+1 system solved by Gaussian elimination each step is all it needs.
 */

export interface Logistic {
  /** Intercept first, then one weight per feature. */
  weights: number[];
}

const RIDGE = 1e-2;
const MAX_ITER = 50;

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function linear(w: readonly number[], U: Float64Array, i: number, k: number): number {
  let z = w[0]!;
  for (let j = 0; j < k; j++) z += w[j + 1]! * U[i * k + j]!;
  return z;
}

/** Solves A x = b (A is m x m, row-major) by Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, b: Float64Array, m: number): Float64Array {
  const a = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(a[r * m + c]!) > Math.abs(a[p * m + c]!)) p = r;
    if (p !== c) {
      for (let j = 0; j < m; j++) [a[c * m + j], a[p * m + j]] = [a[p * m + j]!, a[c * m + j]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    const d = a[c * m + c]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = c + 1; r < m; r++) {
      const f = a[r * m + c]! / d;
      if (f === 0) continue;
      for (let j = c; j < m; j++) a[r * m + j]! -= f * a[c * m + j]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let j = c + 1; j < m; j++) s -= a[c * m + j]! * x[j]!;
    const d = a[c * m + c]!;
    x[c] = Math.abs(d) < 1e-300 ? 0 : s / d;
  }
  return x;
}

/**
 * Fit on rows `rows` of U (nRows x k, row-major) with labels y (0/1) and weights w. Weights are rescaled
 * to mean 1 over the rows used, so the ridge strength does not depend on how rows were weighted.
 */
export function fitLogistic(U: Float64Array, k: number, y: ArrayLike<number>, w: ArrayLike<number>, rows: ArrayLike<number>): Logistic {
  const m = k + 1;
  const n = rows.length;
  let wsum = 0;
  for (let t = 0; t < n; t++) wsum += w[rows[t]!]!;
  const scale = wsum > 0 ? n / wsum : 1;
  const weights = new Array<number>(m).fill(0);
  for (let iter = 0; iter < MAX_ITER; iter++) {
    const H = new Float64Array(m * m);
    const g = new Float64Array(m);
    for (let t = 0; t < n; t++) {
      const i = rows[t]!;
      const p = sigmoid(linear(weights, U, i, k));
      const wi = w[i]! * scale;
      const r = wi * (p - (y[i]! > 0 ? 1 : 0));
      const h = wi * Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < m; a++) {
        const xa = a === 0 ? 1 : U[i * k + a - 1]!;
        g[a]! += r * xa;
        for (let b = 0; b < m; b++) H[a * m + b]! += h * xa * (b === 0 ? 1 : U[i * k + b - 1]!);
      }
    }
    for (let a = 1; a < m; a++) {
      g[a]! += RIDGE * weights[a]!;
      H[a * m + a]! += RIDGE;
    }
    const step = solve(H, g, m);
    let change = 0;
    for (let a = 0; a < m; a++) {
      weights[a]! -= step[a]!;
      change = Math.max(change, Math.abs(step[a]!));
    }
    if (change < 1e-9) break;
  }
  return { weights };
}

/** P(attack) of every row of U. */
export function predictLogistic(model: Logistic, U: Float64Array, k: number, nRows: number): Float64Array {
  const out = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) out[i] = sigmoid(linear(model.weights, U, i, k));
  return out;
}
