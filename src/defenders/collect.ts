/**
 * Labelled telemetry from env episodes, for training and evaluating detectors: every host-window of
 * episodes played by a mix of scripted attackers (noisy, stealthy, random) against a passive defence.
 * Benign host-windows vastly outnumber attacked ones, so benign rows are subsampled (seeded).
 */
import { Rng } from '../shared/prng.js';
import type { Scenario } from '../range/scenario.js';
import { RangeEnv } from '../range/env.js';
import { runEpisode, type Policy } from '../range/agent.js';
import { FEATURES, N_FEATURES, STAGES } from '../range/telemetry.js';
import { RandomAttacker, ScriptedAttacker } from '../attackers/baselines.js';
import type { LabelledData } from './detector.js';

export interface CollectOptions {
  episodes: number;
  seed: number;
  /** Share of benign host-windows kept (default 0.05). */
  benignShare?: number;
  /** Label classes by attack stage instead of benign/attack. */
  multiClass?: boolean;
  /** Defender policies to play against (default: none, so attacks run to completion). */
  defenders?: (env: RangeEnv) => Record<string, Policy>;
}

/** Attacker used for episode i: noisy, stealthy and random kill chains in turn. */
export function collectionAttacker(i: number): Policy {
  switch (i % 3) {
    case 0: return new ScriptedAttacker();
    case 1: return new ScriptedAttacker({ stealthy: true });
    default: return new RandomAttacker();
  }
}

export function collectTelemetry(scenario: Scenario, opts: CollectOptions): LabelledData & { episodes: number; windows: number } {
  const env = new RangeEnv(scenario);
  const rng = new Rng(opts.seed).split('collect');
  const keep = opts.benignShare ?? 0.05;
  const classNames = opts.multiClass ? [...STAGES] : ['benign', 'attack'];
  let X = new Float32Array(1 << 16);
  let y = new Int32Array(1 << 12);
  let wt = new Float32Array(1 << 12);
  let n = 0;
  let windows = 0;
  const push = (row: Float32Array, off: number, label: number): void => {
    if ((n + 1) * N_FEATURES > X.length) {
      const nx = new Float32Array(X.length * 2);
      nx.set(X);
      X = nx;
    }
    if (n + 1 > y.length) {
      const ny = new Int32Array(y.length * 2);
      ny.set(y);
      y = ny;
      const nw = new Float32Array(wt.length * 2);
      nw.set(wt);
      wt = nw;
    }
    wt[n] = label > 0 ? 1 : 1 / keep;
    X.set(row.subarray(off, off + N_FEATURES), n * N_FEATURES);
    y[n++] = opts.multiClass ? label : label > 0 ? 1 : 0;
  };
  for (let i = 0; i < opts.episodes; i++) {
    const policies: Record<string, Policy> = { ...(opts.defenders?.(env) ?? {}) };
    for (const a of env.attackerIds) policies[a] = collectionAttacker(i);
    const seed = (opts.seed * 7919 + i) >>> 0;
    runEpisode(env, policies, seed);
    for (let w = 0; w < env.windowsClosed; w++) {
      const { features, labels } = env.readWindow(w);
      for (let h = 0; h < labels.length; h++) if (labels[h]! > 0 || rng.next() < keep) push(features, h * N_FEATURES, labels[h]!);
    }
    windows += env.windowsClosed;
  }
  return { featureNames: [...FEATURES], X: X.slice(0, n * N_FEATURES), nRows: n, y: y.slice(0, n), weights: wt.slice(0, n), classNames, episodes: opts.episodes, windows };
}
