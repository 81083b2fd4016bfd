// Env throughput: steps per second and simulated seconds per wall second, random attacker and random
// defenders, telemetry on, one core. Two figures per network: defenders that read their telemetry
// every window (what detector defenders do) and defenders that do not (telemetry is generated lazily).
import { generateScenario } from '../dist/range/generate.js';
import { loadScenario } from '../dist/range/presets.js';
import { RangeEnv } from '../dist/range/env.js';
import { runEpisode } from '../dist/range/agent.js';
import { RandomAttacker } from '../dist/range/baselines.js';
import { RandomDefender } from '../dist/range/baselines.js';

const quick = process.env.BENCH_QUICK === '1';
const nets = [
  ['small', () => loadScenario('small')],
  ['medium', () => loadScenario('medium')],
  ['large', () => loadScenario('large')],
  ['generated-5000', () => generateScenario({ hosts: 5000, seed: 1 })],
];

class ReadingDefender extends RandomDefender {
  act(obs, ctx) {
    let s = 0;
    const f = obs.features;
    for (let i = 0; i < f.length; i += 64) s += f[i];
    this.sink = s;
    return super.act(obs, ctx);
  }
}

for (const [name, make] of nets) {
  const env = new RangeEnv(make());
  for (const reads of [false, true]) {
    const pol = { attacker_0: new RandomAttacker() };
    for (const d of env.defenderIds) pol[d] = reads ? new ReadingDefender() : new RandomDefender();
    const budgetMs = quick ? 1500 : name === 'generated-5000' ? 8000 : 4000;
    runEpisode(env, pol, 999); // warm-up
    let steps = 0, sim = 0, eps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < budgetMs) {
      const r = runEpisode(env, pol, eps++);
      steps += r.steps;
      sim += r.duration;
    }
    const wall = (performance.now() - t0) / 1000;
    const base = { bench: 'env', network: name, hosts: env.network.nHosts, defendersReadTelemetry: reads, episodes: eps };
    console.log(JSON.stringify({ ...base, figure: 'steps_per_s', value: Math.round(steps / wall) }));
    console.log(JSON.stringify({ ...base, figure: 'sim_s_per_wall_s', value: Math.round(sim / wall) }));
  }
}
