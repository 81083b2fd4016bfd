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
import { RandomAttacker, ScriptedAttacker } from '../range/baselines.js';
import type { LabelledData } from '../detectors/detector.js';

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

/**
 * Labelled rows of the env's finished episode: every attacked host-window and a seeded share `keep` of
 * the benign ones (weight 1/keep, so weighted counts match the true class shares). Labels are 0/1, or
 * the attack stage with `multiClass`. Shared by data collection, co-training and its rollout workers.
 */
export function episodeRows(env: RangeEnv, rng: Rng, keep: number, multiClass = false): { X: number[]; y: number[]; w: number[] } {
  const X: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  for (let k = 0; k < env.windowsClosed; k++) {
    const { features, labels } = env.readWindow(k);
    for (let h = 0; h < labels.length; h++) {
      const label = labels[h]!;
      if (label === 0 && rng.next() >= keep) continue;
      for (let f = 0; f < N_FEATURES; f++) X.push(features[h * N_FEATURES + f]!);
      y.push(multiClass ? label : label > 0 ? 1 : 0);
      w.push(label > 0 ? 1 : 1 / keep);
    }
  }
  return { X, y, w };
}

export function collectTelemetry(scenario: Scenario, opts: CollectOptions): LabelledData & { episodes: number; windows: number } {
  const env = new RangeEnv(scenario);
  const rng = new Rng(opts.seed).split('collect');
  const keep = opts.benignShare ?? 0.05;
  const classNames = opts.multiClass ? [...STAGES] : ['benign', 'attack'];
  const X: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  let windows = 0;
  for (let i = 0; i < opts.episodes; i++) {
    const policies: Record<string, Policy> = { ...(opts.defenders?.(env) ?? {}) };
    for (const a of env.attackerIds) policies[a] = collectionAttacker(i);
    const seed = (opts.seed * 7919 + i) >>> 0;
    runEpisode(env, policies, seed);
    const rows = episodeRows(env, rng, keep, opts.multiClass);
    for (const x of rows.X) X.push(x);
    for (const v of rows.y) y.push(v);
    for (const v of rows.w) w.push(v);
    windows += env.windowsClosed;
  }
  return { featureNames: [...FEATURES], X: Float32Array.from(X), nRows: y.length, y: Int32Array.from(y), weights: Float32Array.from(w), classNames, episodes: opts.episodes, windows };
}
