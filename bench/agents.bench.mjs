// Learning-attacker benchmark: our DqnAttacker / PgAttacker (src/attackers) on the `large` preset's
// sizes (200 hosts: 200*9+5 = 1805 inputs, 1211 actions), against the same updates in PyTorch
// (bench/torch_agents.py, 1 and 2 threads) when /usr/bin/python3 has torch.
// Figures (microseconds, wall-clock means; compare within one run on a shared machine):
//   dqn_train_step_us_<net>  one DqnAttacker.trainStep(): replay sample (batch 64), Double-DQN
//                            masked targets (2 forwards on s'), Huber, backward, clip, Adam
//   act1_us_<net>            one DqnAttacker.act() in eval mode: forward + masked argmax
//   pg_update_us_<net>       one PgAttacker.trainStep() on 256 decisions (policy + value update)
//   *_obs5pct_*              the same with observations 5% nonzero (what RandomAttacker sees on the
//                            large preset: mean 5%, max 8%); torch runs the same sparse inputs
// Nets: paper = 128/64/32 hidden, wide = 128-256-256-64 hidden.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { initTf } from '../dist/nn/runtime.js';
import { DqnAttacker } from '../dist/attackers/dqn.js';
import { PgAttacker } from '../dist/attackers/policy-gradient.js';
import { Rng } from '../dist/shared/prng.js';

const here = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const S = 200 * 9 + 5;
const A = 1211;
const B = 64;
const PG_ROWS = 256;
const NETS = { paper: [128, 64, 32], wide: [128, 256, 256, 64] };
const DENSITY = 0.05;
const STEPS = QUICK ? 20 : 100;

function emit(figure, value, extra = {}) {
  console.log(JSON.stringify({ bench: 'agents', figure, value: value === null ? null : Math.round(value * 10) / 10, ...extra }));
}

function timeIt(fn, steps, warmup) {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return ((performance.now() - t0) / steps) * 1000;
}

function transition(rng, density = 1) {
  const obsValue = () => (density >= 1 || rng.next() < density ? rng.next() : 0);
  const mask = new Uint8Array(A);
  for (let j = 0; j < A; j++) mask[j] = rng.next() < 0.3 ? 1 : 0;
  mask[0] = 1;
  const nextMask = new Uint8Array(A);
  for (let j = 0; j < A; j++) nextMask[j] = rng.next() < 0.3 ? 1 : 0;
  nextMask[0] = 1;
  let action = rng.int(A);
  while (!mask[action]) action = rng.int(A);
  return {
    obs: Float32Array.from({ length: S }, obsValue),
    mask, action, reward: rng.next(), elapsed: rng.next() * 5,
    nextObs: Float32Array.from({ length: S }, obsValue),
    nextMask, done: rng.next() < 0.05,
  };
}

const rt = await initTf();
emit('backend', null, { backend: rt.backend });
const rng = new Rng(1);
const pool = Array.from({ length: 512 }, () => transition(rng));
const sparsePool = Array.from({ length: 512 }, () => transition(rng, DENSITY));

function pgUpdate(hidden, transitions) {
  const pg = new PgAttacker({ obsSize: S, nActions: A, hidden, valueHidden: hidden, episodesPerUpdate: 1e9, seed: 1 });
  const episode = transitions.slice(0, PG_ROWS).map((t, i) => ({ ...t, done: i === PG_ROWS - 1 }));
  let total = 0;
  const n = Math.max(5, STEPS / 4);
  for (let k = 0; k < n + 2; k++) {
    for (const t of episode) pg.addTransition(t);
    const t0 = performance.now();
    pg.trainStep();
    if (k >= 2) total += performance.now() - t0;
  }
  return (total / n) * 1000;
}

const ours = {};
for (const [name, hidden] of Object.entries(NETS)) {
  const r = (ours[name] = {});
  const dqnSparse = new DqnAttacker({ obsSize: S, nActions: A, hidden, learningStarts: B, seed: 1 });
  for (let i = 0; i < 2048; i++) dqnSparse.addTransition(sparsePool[i % sparsePool.length]);
  const dqn = new DqnAttacker({ obsSize: S, nActions: A, hidden, learningStarts: B, seed: 1 });
  for (let i = 0; i < 2048; i++) dqn.addTransition(pool[i % pool.length]);
  r.dqn = timeIt(() => dqn.trainStep(), STEPS, 10);
  emit(`dqn_train_step_us_${name}`, r.dqn, { net: name, backend: rt.backend });
  r.dqnSparse = timeIt(() => dqnSparse.trainStep(), STEPS, 10);
  emit(`dqn_train_step_obs5pct_us_${name}`, r.dqnSparse, { net: name, backend: rt.backend, density: DENSITY });

  dqn.mode = 'eval';
  const obs = { kind: 'attacker', time: 0, vector: pool[0].obs };
  const ctx = { mask: pool[0].mask };
  r.act = timeIt(() => dqn.act(obs, ctx), STEPS * 5, 50);
  emit(`act1_us_${name}`, r.act, { net: name, backend: rt.backend });

  r.pg = pgUpdate(hidden, pool);
  emit(`pg_update_us_${name}`, r.pg, { net: name, rows: PG_ROWS, backend: rt.backend });
  r.pgSparse = pgUpdate(hidden, sparsePool);
  emit(`pg_update_obs5pct_us_${name}`, r.pgSparse, { net: name, rows: PG_ROWS, backend: rt.backend, density: DENSITY });
}

function torch(threads) {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const cfg = { obs: S, actions: A, batch: B, pg_rows: PG_ROWS, steps: STEPS, threads, nets: NETS, density: DENSITY };
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const res = spawnSync('/usr/bin/python3', [join(here, 'torch_agents.py'), JSON.stringify(cfg)], { encoding: 'utf8', env });
  if (res.status !== 0) {
    console.error(`torch bench failed: ${res.stderr.slice(0, 500)}`);
    return null;
  }
  const out = {};
  for (const line of res.stdout.split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line);
    (out[j.net] ??= {})[j.figure] = j.us;
  }
  return out;
}

const KEYS = [
  ['dqn', 'dqn_train_step', 'dqn_train_step'], ['act', 'act1', 'act1'], ['pg', 'pg_update', 'pg_update'],
  ['dqnSparse', 'dqn_train_step_obs5pct', 'dqn_train_step_obs5pct'], ['pgSparse', 'pg_update_obs5pct', 'pg_update_obs5pct'],
];
for (const threads of [1, 2]) {
  const t = torch(threads);
  if (t === null) {
    emit(`torch_t${threads}`, null, { note: '/usr/bin/python3 has no torch (or it failed); skipped' });
    continue;
  }
  for (const name of Object.keys(NETS)) {
    for (const [ourKey, torchKey, label] of KEYS) {
      const us = t[name]?.[torchKey];
      if (us === undefined) continue;
      emit(`${label}_us_${name}_torch_t${threads}`, us, { net: name, threads });
      emit(`${label}_ratio_${name}_ours_over_torch_t${threads}`, ours[name][ourKey] / us, { net: name, threads });
    }
  }
}
