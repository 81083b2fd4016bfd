// DQN train-step benchmark: the usual tfjs way (model.apply inside optimizer.minimize) on the wasm and
// cpu backends, our Mlp + MlpTrainer (wasm SIMD kernels, src/nn), and PyTorch (single thread) when
// /usr/bin/python3 has torch.
// One step = target-network forward on s', y = r + gamma (1 - done) max_a' Q_target(s', a'),
// Huber loss on Q(s, a) for the chosen actions, backward, Adam (lr 1e-3), batch 64.
// Prints one JSON line per figure. Wall-clock means; on a shared machine compare within one run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { initTf } from '../dist/nn/runtime.js';
import { buildMlp, Mlp, MlpTrainer } from '../dist/nn/mlp.js';
import { Rng } from '../dist/shared/prng.js';

const here = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const NETS = {
  paper: { inp: 256, hidden: [128, 64, 32], out: 64 },
  big: { inp: 128, hidden: [256, 256], out: 64 },
};
const B = 64;
const GAMMA = 0.99;

function emit(figure, value, extra = {}) {
  console.log(JSON.stringify({ bench: 'nn', figure, value: Math.round(value * 10) / 10, ...extra }));
}

function timeIt(fn, steps, warmup) {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return ((performance.now() - t0) / steps) * 1000; // microseconds
}

function batchData(net, seed) {
  const rng = new Rng(seed);
  const s = Float32Array.from({ length: B * net.inp }, () => rng.next());
  const s2 = Float32Array.from({ length: B * net.inp }, () => rng.next());
  const a = Int32Array.from({ length: B }, () => rng.int(net.out));
  const r = Float32Array.from({ length: B }, () => rng.next());
  const done = Float32Array.from({ length: B }, () => (rng.bool(0.1) ? 1 : 0));
  return { s, s2, a, r, done };
}

/** The usual tfjs way: model.apply inside optimizer.minimize. */
function tfjsStep(tf, net, data) {
  const online = buildMlp({ inputDim: net.inp, hidden: net.hidden, outputDim: net.out, seed: 1 });
  const target = buildMlp({ inputDim: net.inp, hidden: net.hidden, outputDim: net.out, seed: 2 });
  const opt = tf.train.adam(1e-3);
  const vars = online.trainableWeights.map((w) => w.read());
  const s = tf.tensor2d(data.s, [B, net.inp]);
  const s2 = tf.tensor2d(data.s2, [B, net.inp]);
  const mask = tf.oneHot(tf.tensor1d(data.a, 'int32'), net.out);
  const r = tf.tensor1d(data.r);
  const notDone = tf.tensor1d(data.done.map((d) => 1 - d));
  const step = () => {
    const y = tf.tidy(() => r.add(target.predictOnBatch(s2).max(1).mul(notDone).mul(GAMMA)));
    const loss = opt.minimize(() => {
      const qa = online.apply(s, { training: true }).mul(mask).sum(1);
      return tf.losses.huberLoss(y, qa);
    }, true, vars);
    loss.dataSync();
    loss.dispose();
    y.dispose();
  };
  const dispose = () => {
    tf.dispose([s, s2, mask, r, notDone]);
    opt.dispose();
    online.dispose();
    target.dispose();
  };
  return { step, dispose, online };
}

/** Our path (src/nn/mlp.ts): Mlp forward for the target, MlpTrainer's hand-written backward + Adam. */
function fastStep(tf, net, data) {
  const online = Mlp.create({ inputDim: net.inp, hidden: net.hidden, outputDim: net.out, seed: 1 });
  const target = Mlp.create({ inputDim: net.inp, hidden: net.hidden, outputDim: net.out, seed: 2 });
  const trainer = new MlpTrainer(online, { learningRate: 1e-3 });
  const y = new Float32Array(B);
  const huberGrad = (q, g) => {
    let l = 0;
    for (let i = 0; i < B; i++) {
      const k = i * net.out + data.a[i];
      const e = q[k] - y[i];
      const ae = Math.abs(e);
      l += ae <= 1 ? 0.5 * e * e : ae - 0.5;
      g[k] = (ae <= 1 ? e : Math.sign(e)) / B;
    }
    return l / B;
  };
  const step = () => {
    const qn = target.forward(data.s2, B);
    for (let i = 0; i < B; i++) {
      let m = -Infinity;
      for (let j = 0; j < net.out; j++) m = Math.max(m, qn[i * net.out + j]);
      y[i] = data.r[i] + GAMMA * (1 - data.done[i]) * m;
    }
    trainer.step(data.s, B, huberGrad);
  };
  return { step, dispose: () => {}, online };
}

function forward1(tf, online, net, fast) {
  const x = new Float32Array(net.inp).fill(0.5);
  const xt = tf.tensor2d(x, [1, net.inp]);
  const us = fast
    ? timeIt(() => online.forward(x, 1), QUICK ? 300 : 2000, 100)
    : timeIt(() => {
      const q = online.predictOnBatch(xt);
      q.dataSync();
      q.dispose();
    }, QUICK ? 300 : 2000, 100);
  xt.dispose();
  return us;
}

function torchFigures() {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const res = spawnSync('/usr/bin/python3', [join(here, 'torch_dqn.py'), QUICK ? '100' : '500'], { encoding: 'utf8', env });
  if (res.status !== 0) {
    console.error(`torch bench failed: ${res.stderr.slice(0, 500)}`);
    return null;
  }
  const out = {};
  for (const line of res.stdout.split('\n')) if (line.trim()) { const j = JSON.parse(line); out[j.net] = j; }
  return out;
}

const rt = await initTf({ backend: 'wasm' });
const tf = rt.tf;
const steps = QUICK ? 40 : 300;
const results = {};
for (const [name, net] of Object.entries(NETS)) {
  const data = batchData(net, 7);
  const r = (results[name] = {});
  for (const mode of ['wasm_tfjs', 'wasm_fast', 'cpu']) {
    await initTf({ backend: mode === 'cpu' ? 'cpu' : 'wasm' });
    const impl = mode === 'wasm_fast' ? fastStep(tf, net, data) : tfjsStep(tf, net, data);
    const n = mode === 'cpu' ? Math.max(10, steps / 10) : steps;
    r[mode] = timeIt(impl.step, n, Math.min(30, n));
    emit(`dqn_step_us_${name}_${mode}`, r[mode], { backend: tf.getBackend(), net: name });
    r[`fwd1_${mode}`] = forward1(tf, impl.online, net, mode === 'wasm_fast');
    emit(`forward1_us_${name}_${mode}`, r[`fwd1_${mode}`], { backend: tf.getBackend(), net: name });
    impl.dispose();
  }
  emit(`dqn_speedup_${name}_fast_vs_tfjs_wasm`, r.wasm_tfjs / r.wasm_fast);
  emit(`dqn_speedup_${name}_fast_vs_cpu`, r.cpu / r.wasm_fast);
}
await initTf({ backend: 'wasm' });

const torch = torchFigures();
if (torch === null) {
  console.log(JSON.stringify({ bench: 'nn', figure: 'torch', value: null, note: '/usr/bin/python3 has no torch; skipped' }));
} else {
  for (const name of Object.keys(NETS)) {
    const t = torch[name];
    if (t === undefined) continue;
    emit(`dqn_step_us_${name}_torch`, t.train_step_us, { net: name });
    emit(`forward1_us_${name}_torch`, t.forward1_us, { net: name });
    emit(`dqn_ratio_${name}_tfjs_fast_over_torch`, results[name].wasm_fast / t.train_step_us);
    emit(`dqn_ratio_${name}_tfjs_wasm_over_torch`, results[name].wasm_tfjs / t.train_step_us);
  }
}
