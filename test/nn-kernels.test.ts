import { describe, it, expect } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTf, tf } from '../src/nn/runtime.js';
import { KernelArena } from '../src/nn/wasm-kernels.js';
import { buildMlp, Mlp, MlpTrainer, type Activation } from '../src/nn/mlp.js';
import { loadLayersModelFromDir, saveLayersModel } from '../src/nn/io.js';
import { Rng } from '../src/shared/prng.js';
import { maxRelDiff } from './numeric.js';

/** A tfjs model's weights, flat in getWeights() order. */
function tfWeights(model: tf.LayersModel): Float32Array {
  return Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync() as Float32Array)));
}

function randomMatrix(rng: Rng, rows: number, cols: number, density = 1): Float32Array {
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = rng.next() < density ? rng.normal() : 0;
  return a;
}


describe('wasm SIMD kernels', () => {
  it('gemm matches a float64 reference for any strides, row tails and accumulate', () => {
    const ar = new KernelArena();
    const rng = new Rng(1);
    for (const [M, N, K] of [[7, 16, 5], [64, 24, 13], [3, 8, 1], [1, 8, 9], [9, 32, 0], [130, 8, 70]] as const) {
      const a = ar.alloc(M * K);
      const b = ar.alloc(K * N);
      const c = ar.alloc(M * N);
      ar.f32(a, M * K).set(randomMatrix(rng, M, K));
      ar.f32(b, K * N).set(randomMatrix(rng, K, N));
      // A row-major [M x K], then the same buffer read as the transpose of a [K x M] matrix.
      for (const [sai, sak] of [[K, 1], [1, M]] as const) {
        const A = ar.f32(a, M * K);
        const B = ar.f32(b, K * N);
        const ref = new Float32Array(M * N);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += (A[i * sai + k * sak] as number) * (B[k * N + j] as number);
            ref[i * N + j] = s;
          }
        }
        ar.k.gemm(M, N, K, a * 4, sai * 4, sak * 4, b * 4, N * 4, c * 4, N * 4, 0);
        expect(maxRelDiff(ar.f32(c, M * N).slice(), ref)).toBeLessThan(1e-6);
        ar.k.gemm(M, N, K, a * 4, sai * 4, sak * 4, b * 4, N * 4, c * 4, N * 4, 1);
        expect(maxRelDiff(ar.f32(c, M * N).slice(), ref.map((v) => 2 * v))).toBeLessThan(1e-6);
      }
    }
  });

  it('zero-skipping spmmRows / spmmCols give exactly the gemm results', () => {
    const ar = new KernelArena();
    const rng = new Rng(4);
    for (const [R, K, N, density] of [[5, 11, 16, 0.3], [7, 37, 8, 0.05], [3, 4, 8, 0.5], [9, 1804, 16, 0.05], [2, 3, 8, 1]] as const) {
      const [a, b, bt, c1, c2, d1, d2] = [ar.alloc(R * K), ar.alloc(K * N), ar.alloc(R * N), ar.alloc(R * N), ar.alloc(R * N), ar.alloc(K * N), ar.alloc(K * N)];
      ar.f32(a, R * K).set(randomMatrix(rng, R, K, density));
      ar.f32(b, K * N).set(randomMatrix(rng, K, N));
      ar.f32(bt, R * N).set(randomMatrix(rng, R, N));
      ar.k.gemm(R, N, K, a * 4, K * 4, 4, b * 4, N * 4, c1 * 4, N * 4, 0);
      ar.k.spmmRows(R, K, a * 4, K * 4, b * 4, N * 4, c2 * 4, N * 4, N);
      expect(Array.from(ar.f32(c2, R * N))).toEqual(Array.from(ar.f32(c1, R * N)));
      ar.k.gemm(K, N, R, a * 4, 4, K * 4, bt * 4, N * 4, d1 * 4, N * 4, 0);
      ar.k.spmmCols(R, K, a * 4, K * 4, bt * 4, N * 4, d2 * 4, N * 4, N);
      expect(Array.from(ar.f32(d2, K * N))).toEqual(Array.from(ar.f32(d1, K * N)));
      let nz = 0;
      for (const v of ar.f32(a, R * K)) if (v !== 0) nz++;
      expect(ar.countNonzero(a, R * K)).toBe(nz);
    }
  });

  it('adam, sumsq and transpose do what they say', () => {
    const ar = new KernelArena();
    const n = 8;
    const [w, g, m, v, t] = [ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n)];
    const rng = new Rng(2);
    const W = randomMatrix(rng, 1, n);
    const G = randomMatrix(rng, 1, n);
    ar.f32(w, n).set(W);
    ar.f32(g, n).set(G);
    expect(ar.k.sumsq(n, g * 4)).toBeCloseTo(G.reduce((s, x) => s + x * x, 0), 10);
    const [lr, b1, b2, eps, scale] = [0.01, 0.9, 0.999, 1e-7, 0.5];
    ar.k.adam(n, w * 4, g * 4, m * 4, v * 4, scale, b1, b2, 1 - b1, 1 - b2, lr / (1 - b1), 1 / (1 - b2), eps);
    for (let j = 0; j < n; j++) {
      const gj = (G[j] as number) * scale;
      const mj = (1 - b1) * gj;
      const vj = (1 - b2) * gj * gj;
      expect(ar.f32(m, n)[j]).toBeCloseTo(mj, 6);
      expect(ar.f32(v, n)[j]).toBeCloseTo(vj, 8);
      expect(ar.f32(w, n)[j]).toBeCloseTo((W[j] as number) - (lr * mj / (1 - b1)) / (Math.sqrt(vj / (1 - b2)) + eps), 5);
    }
    // 2 x 3 (row stride 4 floats) -> 3 x 2 (row stride 2 floats)
    ar.f32(t, n).set([1, 2, 3, 0, 4, 5, 6, 0]);
    const d = ar.alloc(6);
    ar.k.transpose(2, 3, t * 4, 16, d * 4, 8);
    expect(Array.from(ar.f32(d, 6))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('MlpTrainer on the kernels', () => {
  it.each([['relu', 'linear'], ['sigmoid', 'sigmoid'], ['tanh', 'relu']] as const)(
    'hidden %s / output %s, odd widths: matches tf.train.adam step for step (growing batch, clipping)',
    async (activation, outputActivation) => {
      await initTf();
      // Widths that are not multiples of 8 exercise the zero padding (sigmoid(0) = 0.5 must not leak).
      const spec = { inputDim: 13, hidden: [11, 5], outputDim: 7, activation: activation as Activation, outputActivation: outputActivation as Activation, seed: 4 };
      const a = buildMlp(spec);
      const b = buildMlp(spec);
      const rng = new Rng(8);
      const lr = 0.01;
      const clip = 0.05;
      const trainer = new MlpTrainer(a, { learningRate: lr, clipNorm: clip });
      const opt = tf.train.adam(lr);
      const vars = b.trainableWeights.map((w) => w.read() as tf.Variable);
      for (const rows of [5, 3, 17, 64, 2]) {
        const xs = randomMatrix(rng, rows, 13, 0.4);
        const ys = randomMatrix(rng, rows, 7);
        trainer.step(xs, rows, (out, grad) => {
          let l = 0;
          for (let i = 0; i < rows * 7; i++) {
            const e = (out[i] as number) - (ys[i] as number);
            l += e * e;
            grad[i] = (2 * e) / (rows * 7);
          }
          return l / (rows * 7);
        });
        const x = tf.tensor2d(xs, [rows, 13]);
        const y = tf.tensor2d(ys, [rows, 7]);
        // Same clipping by global norm as MlpTrainer, through tfjs gradients.
        const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, b.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
        const norm = Math.sqrt(Object.values(grads).reduce((s, gr) => s + (tf.sum(tf.square(gr)).dataSync()[0] as number), 0));
        const f = norm > clip ? clip / norm : 1;
        const scaled: Record<string, tf.Tensor> = {};
        for (const [k, gr] of Object.entries(grads)) scaled[k] = tf.mul(gr, f);
        opt.applyGradients(scaled as tf.NamedTensorMap);
        tf.dispose([x, y, ...Object.values(grads), ...Object.values(scaled)]);
        expect(maxRelDiff(tfWeights(a), tfWeights(b))).toBeLessThan(1e-4);
      }
      const xs = randomMatrix(rng, 9, 13);
      const x = tf.tensor2d(xs, [9, 13]);
      expect(maxRelDiff(trainer.mlp.forward(xs, 9), tf.tidy(() => (b.predictOnBatch(x) as tf.Tensor).dataSync() as Float32Array))).toBeLessThan(1e-4);
      tf.dispose(x);
      opt.dispose();
      a.dispose();
      b.dispose();
    },
  );

  it('sparse inputs and a one-output-per-row loss (the zero-skipping paths) match tf.train.adam', async () => {
    await initTf();
    const [inDim, out, rows] = [300, 37, 32];
    const spec = { inputDim: inDim, hidden: [24, 16], outputDim: out, seed: 12 };
    const a = buildMlp(spec);
    const b = buildMlp(spec);
    const lr = 0.01;
    const trainer = new MlpTrainer(a, { learningRate: lr });
    const opt = tf.train.adam(lr);
    const vars = b.trainableWeights.map((w) => w.read() as tf.Variable);
    const rng = new Rng(21);
    for (let step = 0; step < 4; step++) {
      // 5% nonzero inputs (like attacker observations); step 3 is dense, so both paths alternate.
      const xs = randomMatrix(rng, rows, inDim, step === 3 ? 1 : 0.05);
      const act = Int32Array.from({ length: rows }, () => rng.int(out));
      const ys = randomMatrix(rng, rows, 1);
      const la = trainer.step(xs, rows, (q, grad) => {
        let l = 0;
        for (let i = 0; i < rows; i++) {
          const k = i * out + (act[i] as number);
          const e = (q[k] as number) - (ys[i] as number);
          l += 0.5 * e * e;
          grad[k] = e / rows;
        }
        return l / rows;
      });
      const mask = new Float32Array(rows * out);
      const target = new Float32Array(rows * out);
      for (let i = 0; i < rows; i++) {
        mask[i * out + (act[i] as number)] = 1;
        target[i * out + (act[i] as number)] = ys[i] as number;
      }
      const [x, m, t] = [tf.tensor2d(xs, [rows, inDim]), tf.tensor2d(mask, [rows, out]), tf.tensor2d(target, [rows, out])];
      const lb = opt.minimize(() => tf.div(tf.sum(tf.mul(m, tf.square(tf.sub(b.apply(x, { training: true }) as tf.Tensor, t)))), 2 * rows) as tf.Scalar, true, vars);
      expect(la).toBeCloseTo(lb?.dataSync()[0] as number, 5);
      tf.dispose([x, m, t, lb as tf.Scalar]);
      expect(maxRelDiff(tfWeights(a), tfWeights(b))).toBeLessThan(1e-4);
    }
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('an Mlp trains without tfjs; weights written between steps are what the next step starts from; save/load keeps every bit', async () => {
    await initTf();
    const spec = { inputDim: 10, hidden: [12], outputDim: 9, seed: 3 };
    const net = Mlp.create(spec);
    const trainer = new MlpTrainer(net, { learningRate: 0.05, clipNorm: 100 });
    const rng = new Rng(1);
    const xs = randomMatrix(rng, 6, 10);
    const before = net.getWeights().data;
    const tensorsBefore = tf.memory().numTensors;
    const push = (): number => trainer.step(xs, 6, (out, grad) => {
      for (let i = 0; i < out.length; i++) grad[i] = 1 / out.length;
      return 0;
    });
    push();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(trainer.lastGradNorm).toBeGreaterThan(0);
    const after = net.getWeights().data;
    expect(maxRelDiff(after, before)).toBeGreaterThan(1e-3);
    // A step from restored weights and optimizer state equals the step it replays.
    const state = trainer.state();
    push();
    const twice = net.getWeights().data;
    net.setWeights(after);
    trainer.setState(state);
    push();
    expect(Array.from(net.getWeights().data)).toEqual(Array.from(twice));
    expect(trainer.iterations).toBe(2);
    // Weights written after a step (a transposed copy feeds the backward pass) are what the next step uses.
    net.setWeights(before);
    trainer.setState(state);
    const fresh = Mlp.create(spec);
    const freshTrainer = new MlpTrainer(fresh, { learningRate: 0.05, clipNorm: 100 });
    freshTrainer.setState(state);
    push();
    freshTrainer.step(xs, 6, (out, grad) => {
      for (let i = 0; i < out.length; i++) grad[i] = 1 / out.length;
      return 0;
    });
    expect(Array.from(fresh.getWeights().data)).toEqual(Array.from(net.getWeights().data));
    const dir = await mkdtemp(join(tmpdir(), 'cyrange-nnk-'));
    try {
      const model = net.toLayersModel();
      await saveLayersModel(model, dir);
      model.dispose();
      const loaded = await loadLayersModelFromDir(dir);
      expect(Array.from(Mlp.fromLayersModel(loaded).getWeights().data)).toEqual(Array.from(net.getWeights().data));
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('two trainers with the same seed and data give bit-identical weights', async () => {
    await initTf();
    const run = (): Float32Array => {
      const m = Mlp.create({ inputDim: 30, hidden: [16, 8], outputDim: 19, seed: 5 });
      const tr = new MlpTrainer(m, { learningRate: 0.01, clipNorm: 1 });
      const rng = new Rng(6);
      for (let s = 0; s < 4; s++) {
        const xs = randomMatrix(rng, 20, 30, 0.2);
        tr.step(xs, 20, (out, grad) => {
          for (let i = 0; i < 20; i++) grad[i * 19 + (i % 19)] = (out[i * 19 + (i % 19)] as number) - 1;
          return 0;
        });
      }
      return m.getWeights().data;
    };
    expect(Array.from(run())).toEqual(Array.from(run()));
  });
});
