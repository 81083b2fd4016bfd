/**
 * Episode metrics, defined once here and reused by the lab (see README "Metrics"):
 * - detection precision / recall / F1 / FPR per host-window: a host-window is positive when its
 *   ground-truth label is an attack stage; predicted positive when the defence flagged it;
 * - detection latency: first malicious action (start of the attacker's first non-wait action) to the
 *   first true alert;
 * - response latency: detection (first true alert) to the start of the first response against a host the
 *   attack touched (the reference paper's definition);
 * - time to containment: first malicious action to the moment no attacker foothold is live;
 * - attacker success: a crown jewel was exfiltrated; time to objective: simulated time of that exfiltration;
 * - compromise rate: share of hosts the attacker controlled at any time in the episode;
 * - attack chain length: distinct hosts compromised before the first response against the attacker;
 * - cost of responses to healthy hosts: business cost of actions on hosts the attack had not touched.
 */
import { scoreDetections, type DetectionScores } from '../shared/stats.js';
import type { EpisodeResult } from './agent.js';
import type { RangeEnv } from './env.js';

/** Host-windows a defence flagged as malicious during an episode. */
export class DetectionRecorder {
  private readonly flagged = new Set<number>();
  constructor(readonly nHosts: number) {}
  flag(host: number, window: number): void {
    if (window >= 0) this.flagged.add(window * this.nHosts + host);
  }
  has(host: number, window: number): boolean {
    return this.flagged.has(window * this.nHosts + host);
  }
  get size(): number {
    return this.flagged.size;
  }
  clear(): void {
    this.flagged.clear();
  }
}

export interface EpisodeMetrics {
  seed: number;
  outcome: EpisodeResult['outcome'];
  duration: number;
  steps: number;
  attackerSuccess: number;
  timeToObjective: number | null;
  firstMaliciousAction: number | null;
  detectionTime: number | null;
  detectionLatency: number | null;
  responseLatency: number | null;
  timeToContainment: number | null;
  compromiseRate: number;
  chainLength: number;
  healthyResponses: number;
  healthyResponseCost: number;
  detection: DetectionScores;
}

/** Per host-window confusion counts of the recorder's flags against the env's ground truth. */
export function hostWindowScores(env: RangeEnv, recorder: DetectionRecorder | null): DetectionScores {
  const H = env.network.nHosts;
  const W = env.windowsClosed;
  const pred = new Uint8Array(H * W);
  const truth = new Uint8Array(H * W);
  for (let w = 0; w < W; w++) {
    for (let h = 0; h < H; h++) {
      const i = w * H + h;
      truth[i] = env.label(h, w) > 0 ? 1 : 0;
      if (recorder?.has(h, w)) pred[i] = 1;
    }
  }
  return scoreDetections(pred, truth);
}

/** Metrics of an episode that just ended in `env` (call before the next reset). */
export function episodeMetrics(env: RangeEnv, ep: EpisodeResult, recorder: DetectionRecorder | null): EpisodeMetrics {
  const ev = ep.events;
  let firstMal: number | null = null;
  for (const e of ev) if (e.type === 'attack' && (firstMal === null || e.start < firstMal)) firstMal = e.start;
  const detection = ev.find((e) => e.type === 'alert' && e.truePositive && (firstMal === null || e.t >= firstMal));
  const detTime = detection ? detection.t : null;
  const firstResponseOnAttack = ev.find((e) => e.type === 'response' && !e.healthy);
  const response = detTime === null ? undefined : ev.find((e) => e.type === 'response' && !e.healthy && e.t >= detTime);
  const contained = ev.find((e) => e.type === 'contained');
  const exfil = ev.find((e) => e.type === 'exfiltration');
  const compromised = new Set<number>();
  const beforeResponse = new Set<number>();
  for (const e of ev) {
    if (e.type !== 'compromise') continue;
    compromised.add(e.host);
    if (!firstResponseOnAttack || e.t < firstResponseOnAttack.t) beforeResponse.add(e.host);
  }
  return {
    seed: ep.seed,
    outcome: ep.outcome,
    duration: ep.duration,
    steps: ep.steps,
    attackerSuccess: exfil ? 1 : 0,
    timeToObjective: exfil ? exfil.t : null,
    firstMaliciousAction: firstMal,
    detectionTime: detTime,
    detectionLatency: detTime !== null && firstMal !== null ? round1(detTime - firstMal) : null,
    responseLatency: response && detTime !== null ? round1(response.t - detTime) : null,
    timeToContainment: contained && firstMal !== null ? round1(contained.t - firstMal) : null,
    compromiseRate: compromised.size / env.network.nHosts,
    chainLength: beforeResponse.size,
    healthyResponses: ev.filter((e) => e.type === 'response' && e.healthy).length,
    healthyResponseCost: env.healthyResponseCost,
    detection: hostWindowScores(env, recorder),
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
