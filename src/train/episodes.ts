/**
 * Per-episode records of evaluation episodes and their summary, shared by co-training's round records
 * and `evaluateAttacker`: one list of per-episode values, summarised in one place, so a new measure is
 * one field here (its per-episode value and how it pools).
 */
import { kaplanMeier, type CensoredTime } from '../shared/kaplan-meier.js';
import { mean } from '../shared/stats.js';
import type { EpisodeResult } from '../range/agent.js';
import type { RangeEnv } from '../range/env.js';
import { episodeMetrics, type DetectionRecorder, type EpisodeMetrics } from '../range/metrics.js';

/**
 * How quietly `agent` (or the attackers `agent` lists, pooled) attacked in one episode: their attack
 * actions (waits and tempo switches aside), how many were in the quiet tempo, how many were quiet in any
 * way (quiet tempo, stealthy zone scan, credential logon), and whether the first exploit came in the quiet tempo.
 */
export function quietShare(events: EpisodeResult['events'], agent: string | readonly string[]): { tempo: number; quiet: number; total: number; quietOpening: boolean } {
  const ids = new Set(typeof agent === 'string' ? [agent] : agent);
  let tempo = 0;
  let quiet = 0;
  let total = 0;
  let firstExploit: { start: number; quiet: boolean } | null = null;
  for (const e of events) {
    if (e.type !== 'attack' || !ids.has(e.agent)) continue;
    total++;
    if (e.action === 'exploit' && (firstExploit === null || e.start < firstExploit.start)) firstExploit = { start: e.start, quiet: e.quiet === true };
    if (e.quiet) tempo++;
    if (e.quiet || (e.action === 'scanZone' && e.stealthy) || e.action === 'lateral') quiet++;
  }
  return { tempo, quiet, total, quietOpening: firstExploit?.quiet ?? false };
}

/** One evaluation episode: the range's episode metrics, the attackers' return and how quietly they attacked. */
export interface EpisodeRecord {
  metrics: EpisodeMetrics;
  /** The attacker's undiscounted return (with several attackers: their mean). */
  reward: number;
  quiet: ReturnType<typeof quietShare>;
}

/** The record of an episode that just ended in `env` (call before the next reset), for one attacker id or several (pooled). */
export function recordEpisode(env: RangeEnv, ep: EpisodeResult, recorder: DetectionRecorder | null, attacker: string | readonly string[]): EpisodeRecord {
  const ids = typeof attacker === 'string' ? [attacker] : attacker;
  const reward = ids.length ? ids.reduce((s, id) => s + (ep.returns[id] ?? 0), 0) / ids.length : 0;
  return { metrics: episodeMetrics(env, ep, recorder), reward, quiet: quietShare(ep.events, ids) };
}

export interface EpisodeSummary {
  episodes: number;
  successRate: number;
  /** Mean over the episodes where the attacker reached its objective (null when none did). */
  meanTimeToObjective: number | null;
  detectionF1: number;
  /** Mean defender return (minus damage, exfiltration losses and business cost) and its business part on untouched hosts. */
  defenderReturn: number;
  healthyHostCost: number;
  /** Footholds regained after containment, per episode. */
  reentries: number;
  /**
   * Per-incident times pooled over the episodes, as Kaplan-Meier medians (null when more than half were
   * still censored at their episode's end) with the censored share beside each: nothing is dropped.
   */
  timeToDetect: number | null;
  timeToDetectCensoredShare: number | null;
  responseLatency: number | null;
  responseLatencyCensoredShare: number | null;
  timeToContain: number | null;
  timeToContainCensoredShare: number | null;
  compromiseRate: number;
  chainLength: number;
  attackPhases: number;
  /** Share of the attacker's actions (waits and tempo switches aside) started in the quiet tempo. */
  quietTempoShare: number;
  /**
   * Share of episodes whose first exploit was launched in the quiet tempo (episodes without an exploit
   * count as not). The tempo is chosen before the defence has acted, so unlike the action shares this is
   * the policy's own preference, not a product of being caught early or late.
   */
  quietOpeningShare: number;
  /** Share of the attacker's actions that were quiet in any way: in the quiet tempo, stealthy zone scans, or credential logons. */
  quietActionShare: number;
  meanReward: number;
  /** Mean simulated length of an episode (s). */
  episodeSeconds: number;
}

const finite = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));
/** Mean of the defined values, null when there is none. */
const meanOrNull = (xs: (number | null)[]): number | null => {
  const v = finite(xs);
  return v.length ? mean(v) : null;
};

/** KM median and censored share of the incidents' `field` (nulls when there is no incident to time). */
function km(rs: readonly EpisodeRecord[], field: 'timeToDetect' | 'responseLatency' | 'timeToContain'): [number | null, number | null] {
  const obs: CensoredTime[] = rs.flatMap((r) => r.metrics.incidents.flatMap((i) => (i[field] ? [i[field]!] : [])));
  if (obs.length === 0) return [null, null];
  const k = kaplanMeier(obs);
  return [k.median, k.censoredShare];
}

export function summariseEpisodes(rs: readonly EpisodeRecord[]): EpisodeSummary {
  const m = rs.map((r) => r.metrics);
  let tempo = 0;
  let quiet = 0;
  let actions = 0;
  let openings = 0;
  for (const r of rs) {
    tempo += r.quiet.tempo;
    quiet += r.quiet.quiet;
    actions += r.quiet.total;
    if (r.quiet.quietOpening) openings++;
  }
  const detect = km(rs, 'timeToDetect');
  const respond = km(rs, 'responseLatency');
  const contain = km(rs, 'timeToContain');
  return {
    episodes: rs.length,
    successRate: mean(m.map((x) => x.attackerSuccess)),
    meanTimeToObjective: meanOrNull(m.map((x) => x.timeToObjective)),
    detectionF1: mean(m.map((x) => x.detection.f1)),
    defenderReturn: mean(m.map((x) => x.defenderReturn)),
    healthyHostCost: mean(m.map((x) => x.healthyHostCost)),
    reentries: mean(m.map((x) => x.reentries)),
    timeToDetect: detect[0],
    timeToDetectCensoredShare: detect[1],
    responseLatency: respond[0],
    responseLatencyCensoredShare: respond[1],
    timeToContain: contain[0],
    timeToContainCensoredShare: contain[1],
    compromiseRate: mean(m.map((x) => x.compromiseRate)),
    chainLength: mean(m.map((x) => x.chainLength)),
    attackPhases: mean(m.map((x) => x.attackPhases)),
    // Action shares pool the actions of all episodes (an episode's weight is its number of actions).
    quietTempoShare: actions ? tempo / actions : 0,
    quietOpeningShare: rs.length ? openings / rs.length : 0,
    quietActionShare: actions ? quiet / actions : 0,
    meanReward: mean(rs.map((r) => r.reward)),
    episodeSeconds: mean(m.map((x) => x.duration)),
  };
}
