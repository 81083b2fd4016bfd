import { describe, it, expect, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTf, tfBackendName, tf, TF_BACKEND_ENV } from '../src/nn/runtime.js';
import { buildMlp, Mlp, MlpTrainer } from '../src/nn/mlp.js';
import { loadLayersModelFromDir, saveLayersModel } from '../src/nn/io.js';
import { CyrangeError } from '../src/shared/errors.js';
import { Rng } from '../src/shared/prng.js';
import { maxRelDiff } from './numeric.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'cyrange-nn-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function randomMatrix(rng: Rng, rows: number, cols: number): Float32Array {
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}


describe('backend selection', () => {
  it('auto falls back past tfjs-node and records the backend it ran', async () => {
    const rt = await initTf();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(rt.backend);
    expect(rt.backend).toBe(tf.getBackend());
    expect(tfBackendName()).toBe(rt.backend);
    if (rt.backend !== 'tensorflow') expect(rt.fallbacks.some((f) => f.startsWith('node:'))).toBe(true);
    // Idempotent: the same call gives the same runtime object.
    expect(await initTf()).toBe(rt);
  });

  it('an explicit backend wins, and the env var overrides auto', async () => {
    const cpu = await initTf({ backend: 'cpu' });
    expect(cpu.backend).toBe('cpu');
    expect(tfBackendName()).toBe('cpu');
    process.env[TF_BACKEND_ENV] = 'cpu';
    try {
      expect((await initTf()).backend).toBe('cpu');
      process.env[TF_BACKEND_ENV] = 'gpu-please';
      await expect(initTf()).rejects.toThrow(CyrangeError);
      await expect(initTf()).rejects.toThrow(/CYRANGE_TF_BACKEND/);
    } finally {
      delete process.env[TF_BACKEND_ENV];
    }
    const wasm = await initTf({ backend: 'wasm' });
    expect(wasm.backend).toBe('wasm');
  });
});

/** A tfjs model's weights, flat in getWeights() order. */
function tfWeights(model: tf.LayersModel): Float32Array {
  return Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync() as Float32Array)));
}

describe('Mlp', () => {
  it('starts from the weights of a tfjs Dense stack with the same seed; same seed same weights, another seed different ones', async () => {
    await initTf();
    for (const spec of [{ inputDim: 10, hidden: [8, 4], outputDim: 3, seed: 7 }, { inputDim: 5, hidden: [], outputDim: 9, seed: 1 }, { inputDim: 33, hidden: [17], outputDim: 2, activation: 'tanh' as const, seed: 99 }]) {
      const ref = buildMlp(spec);
      expect(Array.from(Mlp.create(spec).getWeights().data)).toEqual(Array.from(tfWeights(ref)));
      ref.dispose();
    }
    const a = Mlp.create({ inputDim: 10, hidden: [8, 4], outputDim: 3, seed: 7 });
    const b = Mlp.create({ inputDim: 10, hidden: [8, 4], outputDim: 3, seed: 7 });
    const c = Mlp.create({ inputDim: 10, hidden: [8, 4], outputDim: 3, seed: 8 });
    const fa = a.getWeights().data;
    expect(fa.length).toBe(10 * 8 + 8 + 8 * 4 + 4 + 4 * 3 + 3);
    expect(a.paramCount).toBe(fa.length);
    expect(b.getWeights().data).toEqual(fa);
    expect(c.getWeights().data).not.toEqual(fa);
    c.copyFrom(a);
    expect(c.getWeights().data).toEqual(fa);
    const flat = b.getWeights();
    flat.data[0] = 42;
    c.setWeights(flat);
    expect(c.getWeights().data[0]).toBe(42);
    expect(() => c.setWeights(new Float32Array(3))).toThrow(/expected/);
    const d = Mlp.create({ inputDim: 10, hidden: [8], outputDim: 3, seed: 7 });
    expect(() => d.copyFrom(a)).toThrow(/shapes differ/);
    expect(() => Mlp.create({ inputDim: 4, hidden: [3], outputDim: 2, activation: 'elu', seed: 1 })).toThrow(/activation elu/);
  });

  it('forward equals tfjs predict; tfjs models convert both ways without changing a weight', async () => {
    await initTf();
    const spec = { inputDim: 12, hidden: [16, 8], outputDim: 5, activation: 'tanh' as const, outputActivation: 'sigmoid' as const, seed: 21 };
    const net = Mlp.create(spec);
    const xs = randomMatrix(new Rng(2), 9, 12);
    const model = net.toLayersModel();
    const x = tf.tensor2d(xs, [9, 12]);
    const ref = (model.predictOnBatch(x) as tf.Tensor).dataSync() as Float32Array;
    expect(maxRelDiff(net.forward(xs, 9), ref)).toBeLessThan(1e-5);
    const rows = net.forwardRows(xs, 9);
    for (let r = 0; r < 9; r++) for (let j = 0; j < 5; j++) expect(rows.out[r * rows.stride + j]).toBe(net.forward(xs, 9)[r * 5 + j]);
    expect(Array.from(tfWeights(model))).toEqual(Array.from(net.getWeights().data));
    const back = Mlp.fromLayersModel(model);
    expect(Array.from(back.getWeights().data)).toEqual(Array.from(net.getWeights().data));
    expect([back.hidden, back.activation, back.outputActivation]).toEqual([[16, 8], 'tanh', 'sigmoid']);
    model.dispose();
    x.dispose();
  });
});

describe('MlpTrainer (hand-written backward + wasm Adam)', () => {
  it.each(['relu', 'tanh'] as const)('%s: trained through a tfjs model, matches tf.train.adam + minimize step for step; the model sees every step', async (activation) => {
    await initTf();
    const spec = { inputDim: 20, hidden: [16, 12], outputDim: 6, activation, seed: 9 };
    const a = buildMlp(spec);
    const b = buildMlp(spec);
    const rng = new Rng(77);
    const xs = randomMatrix(rng, 64, 20);
    const ys = randomMatrix(rng, 64, 6);
    const lr = 0.01;
    const trainer = new MlpTrainer(a, { learningRate: lr });
    const opt = tf.train.adam(lr);
    const vars = b.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = tf.tensor2d(xs, [64, 20]);
    const y = tf.tensor2d(ys, [64, 6]);
    for (let step = 0; step < 5; step++) {
      // Mean squared error over all outputs: dL/dout = 2 (out - y) / n.
      const la = trainer.step(xs, 64, (out, grad) => {
        let l = 0;
        for (let i = 0; i < out.length; i++) {
          const e = (out[i] as number) - (ys[i] as number);
          l += e * e;
          grad[i] = (2 * e) / out.length;
        }
        return l / out.length;
      });
      const lb = opt.minimize(() => tf.losses.meanSquaredError(y, b.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
      expect(la).toBeCloseTo(lb?.dataSync()[0] as number, 5);
      lb?.dispose();
    }
    expect(trainer.iterations).toBe(5);
    expect(maxRelDiff(tfWeights(a), tfWeights(b))).toBeLessThan(1e-4);
    expect(maxRelDiff(tfWeights(a), tfWeights(buildMlp(spec)))).toBeGreaterThan(1e-3);
    // The trainer's own network and the tfjs model it writes back to agree after every step.
    expect(Array.from(trainer.mlp.getWeights().data)).toEqual(Array.from(tfWeights(a)));
    const ref = (a.predictOnBatch(x) as tf.Tensor).dataSync() as Float32Array;
    expect(maxRelDiff(trainer.mlp.forward(xs, 64), ref)).toBeLessThan(1e-5);
    const before = tf.memory().numTensors;
    trainer.step(xs, 64, () => 0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    opt.dispose();
  });
});

describe('model io', () => {
  it('save/load round trip gives identical outputs; model.json is plain tfjs format', async () => {
    await initTf();
    const model = buildMlp({ inputDim: 12, hidden: [16, 8], outputDim: 5, activation: 'tanh', seed: 21 });
    const dir = await tmp();
    const files = await saveLayersModel(model, dir);
    expect(files).toEqual(['model.json', 'weights.bin']);
    const x = tf.tensor2d(randomMatrix(new Rng(1), 9, 12), [9, 12]);
    const y0 = (model.predictOnBatch(x) as tf.Tensor).dataSync();

    const loaded = await loadLayersModelFromDir(dir);
    const y1 = (loaded.predictOnBatch(x) as tf.Tensor).dataSync();
    expect(Array.from(y1)).toEqual(Array.from(y0));

    // Loadable by plain tfjs from the two files, the way tfjs-node's file:// handler lays them out.
    const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(mj.format).toBe('layers-model');
    expect(mj.weightsManifest.map((g) => g.paths)).toEqual([['weights.bin']]);
    const bin = await readFile(join(dir, 'weights.bin'));
    const plain = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: mj.modelTopology,
        weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    );
    const y2 = (plain.predictOnBatch(x) as tf.Tensor).dataSync();
    expect(Array.from(y2)).toEqual(Array.from(y0));
    for (const m of [model, loaded, plain]) m.dispose();
    x.dispose();
  });

  it('missing or corrupt files throw CyrangeError naming the file', async () => {
    await initTf();
    const model = buildMlp({ inputDim: 4, hidden: [3], outputDim: 2, seed: 1 });
    const dir = await tmp();
    await saveLayersModel(model, dir);
    model.dispose();

    const empty = await tmp();
    await expect(loadLayersModelFromDir(empty)).rejects.toThrow(CyrangeError);
    await expect(loadLayersModelFromDir(empty)).rejects.toThrow(/model\.json/);

    const good = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), good.slice(0, good.length / 2));
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(CyrangeError);
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(/model\.json: not valid JSON/);

    await writeFile(join(dir, 'model.json'), JSON.stringify({ ...JSON.parse(good), modelTopology: { bogus: true } }));
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(/model\.json: not a loadable/);

    await writeFile(join(dir, 'model.json'), good);
    const bin = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), bin.subarray(0, 8));
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(/weights\.bin: expected \d+ bytes/);
    await rm(join(dir, 'weights.bin'));
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(/weights\.bin: cannot read/);
  });
});
