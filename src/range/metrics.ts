/**
 * Episode and incident metrics, defined once here; the README's "Metrics" table and the lab's report
 * cite this file. All times are simulated seconds.
 *
 * Per incident (one foothold's life on one host, from range v2's events):
 * - an incident on host h starts with the first malicious action aimed at h (scan, exploit or log-on)
 *   since h's previous incident ended, and lasts until the foothold is eradicated (process killed or host
 *   reimaged) or the episode ends; an attempt that never gained a foothold is no incident;
 * - time to detect: incident start to the first alert on h during the incident (an alert on a host
 *   under attack or holding a foothold is true by construction: the ground truth is the host's state);
 * - response latency: from the alert that opened the case the defence responded to (defences post an
 *   alert when they open a case; the last alert on h before the response) to the start of the first
 *   containing response on h (isolate, kill the process, reimage) in the incident: the reference paper's
 *   "detection to the start of the in-depth response", tied to one case; censored at the incident's end
 *   (from its first alert) when no containing response came;
 * - time to contain: incident start to the first moment the foothold is cut off (isolated, offline) or
 *   removed; time to eradicate: incident start to its removal;
 * - regained: the foothold came back after it was contained (its host reconnected with the implant) or
 *   eradicated (the attacker re-entered the host later in the episode).
 * Times not reached by the episode's end are censored there: `{ time, event: false }` with the time
 * observed so far (`event: true`: it happened at `time`). Nothing is dropped; summaries use Kaplan-Meier estimates (the lab).
 *
 * Per episode:
 * - defender return: minus (damage + exfiltration loss + business cost), weights in the scenario
 *   (DEFENDER_RETURN_DEFAULTS in scenario.ts); its parts are reported too;
 * - healthy-host cost: the business cost paid on hosts the attack never touched (no traced attack
 *   telemetry and no foothold in the episode): the price of false alarms;
 * - attacker success: a crown jewel was exfiltrated; time to objective: when (null otherwise);
 * - compromise rate: share of hosts the attacker controlled at any time; re-entries: footholds regained
 *   (reconnected or re-entered) after containment;
 * - attack chain length: distinct hosts compromised before the first containing response on a host the
 *   attack held;
 * - attack complexity score (the reference paper's): successful attack phases per attack, i.e. per
 *   attacker that acted, the number of kill-chain phases (reconnaissance, exploitation, privilege
 *   escalation, lateral movement, exfiltration) in which it had at least one successful action, averaged
 *   over the episode's attackers;
 * - detection precision / recall / F1 / FPR per host-window: positive when the window's traced label is an
 *   attack stage (the attack left telemetry), predicted positive when the defence flagged it.
 */
import type { CensoredTime } from '../shared/kaplan-meier.js';
import { scoreDetections, type DetectionScores } from '../shared/stats.js';
import type { EpisodeResult } from './agent.js';
import type { RangeEnv } from './env.js';
import type { RangeEvent } from './types.js';

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

export type { CensoredTime };

export interface Incident {
  agent: string;
  host: number;
  /** Incident start (first malicious action aimed at the host) and its end (eradication or episode end). */
  start: number;
  end: number;
  /** When the foothold was gained (first compromise of this incident). */
  gained: number;
  /** The foothold was gained by re-entering a host the attacker had held and lost before. */
  reentry: boolean;
  timeToDetect: CensoredTime;
  /** From the first alert to the first containing response; null when there was no alert. */
  responseLatency: CensoredTime | null;
  timeToContain: CensoredTime;
  timeToEradicate: CensoredTime;
  regained: boolean;
}

export interface EpisodeMetrics {
  seed: number;
  outcome: EpisodeResult['outcome'];
  duration: number;
  steps: number;
  defenderReturn: number;
  returnParts: { damage: number; exfiltration: number; business: number };
  healthyHostCost: number;
  attackerSuccess: number;
  timeToObjective: number | null;
  firstMaliciousAction: number | null;
  compromiseRate: number;
  chainLength: number;
  /** Footholds regained (reconnected or re-entered) after containment. */
  reentries: number;
  /** Attack complexity score: successful kill-chain phases per attacker (0-5). */
  attackPhases: number;
  incidents: Incident[];
  /** Responses that started on hosts the attack had not touched at the time. */
  healthyResponses: number;
  detection: DetectionScores;
}

/** Per host-window confusion counts of the recorder's flags against the env's traced labels. */
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

const CONTAINING: ReadonlySet<string> = new Set(['isolate', 'killProcess', 'reimage']);
const TARGETED: ReadonlySet<string> = new Set(['scanHost', 'exploit', 'lateral']);

/**
 * Incidents from an episode's events (ordered by time). `endTime` is the episode's end, where
 * unfinished times are censored.
 */
export function incidentsOf(events: readonly RangeEvent[], endTime: number): Incident[] {
  const out: Incident[] = [];
  // Per attacker|host: the start of malicious activity not yet part of an incident, and the open incident.
  const firstAim = new Map<string, number>();
  const open = new Map<string, { inc: Incident; alert: number | null; contained: number | null; response: number | null; lostAt: number | null }>();
  const closed = new Map<string, Incident[]>();
  const alertsByHost = new Map<number, number[]>();
  const responsesByHost = new Map<number, number[]>();
  const finish = (key: string, o: NonNullable<ReturnType<typeof open.get>>, end: number): void => {
    const inc = o.inc;
    inc.end = end;
    const since = (t: number | null): CensoredTime => (t === null ? { time: end - inc.start, event: false } : { time: t - inc.start, event: true });
    // The first alert on the host during the incident, and the first containing response after it.
    const alerts = (alertsByHost.get(inc.host) ?? []).filter((t) => t >= inc.start && t <= end);
    const alert = alerts[0] ?? null;
    inc.timeToDetect = since(alert);
    if (alert !== null) {
      // The response serves the case opened by the last alert before it (each alert opens a case).
      const resp = (responsesByHost.get(inc.host) ?? []).find((t) => t > alert && t <= end) ?? null;
      if (resp === null) inc.responseLatency = { time: end - alert, event: false };
      else {
        const trigger = alerts.filter((t) => t < resp).pop()!;
        inc.responseLatency = { time: resp - trigger, event: true };
      }
    }
    inc.timeToContain = since(o.contained);
    inc.timeToEradicate = since(o.lostAt);
    out.push(inc);
    closed.set(key, [...(closed.get(key) ?? []), inc]);
    open.delete(key);
  };
  for (const e of events) {
    switch (e.type) {
      case 'attack': {
        if (e.host === null || !TARGETED.has(e.action)) break;
        const key = `${e.agent}|${e.host}`;
        if (!open.has(key) && !firstAim.has(key)) firstAim.set(key, e.start);
        break;
      }
      case 'alert':
        alertsByHost.set(e.host, [...(alertsByHost.get(e.host) ?? []), e.t]);
        break;
      case 'response':
        if (CONTAINING.has(e.action)) responsesByHost.set(e.host, [...(responsesByHost.get(e.host) ?? []), e.t]);
        break;
      case 'compromise': {
        const key = `${e.agent}|${e.host}`;
        if (open.has(key)) break; // privilege escalation within the incident
        const start = Math.min(firstAim.get(key) ?? e.t, e.t);
        firstAim.delete(key);
        const before = closed.get(key);
        if (before?.length) before[before.length - 1]!.regained = true;
        const inc: Incident = {
          agent: e.agent, host: e.host, start, end: endTime, gained: e.t, reentry: e.reentry === true,
          timeToDetect: { time: 0, event: false }, responseLatency: null, timeToContain: { time: 0, event: false }, timeToEradicate: { time: 0, event: false }, regained: false,
        };
        open.set(key, { inc, alert: null, contained: null, response: null, lostAt: null });
        break;
      }
      case 'foothold-contained': {
        const o = open.get(`${e.agent}|${e.host}`);
        if (o && o.contained === null) o.contained = e.t;
        break;
      }
      case 'foothold-reconnected': {
        const o = open.get(`${e.agent}|${e.host}`);
        if (o) o.inc.regained = true;
        break;
      }
      case 'foothold-lost': {
        const key = `${e.agent}|${e.host}`;
        const o = open.get(key);
        if (!o) break;
        o.lostAt = e.t;
        if (o.contained === null) o.contained = e.t;
        finish(key, o, e.t);
        break;
      }
      default:
        break;
    }
  }
  for (const [key, o] of [...open]) finish(key, o, endTime);
  return out.sort((a, b) => a.start - b.start || a.host - b.host);
}

/** Metrics of an episode that just ended in `env` (call before the next reset). */
export function episodeMetrics(env: RangeEnv, ep: EpisodeResult, recorder: DetectionRecorder | null): EpisodeMetrics {
  const ev = ep.events;
  const H = env.network.nHosts;
  let firstMal: number | null = null;
  for (const e of ev) if (e.type === 'attack' && (firstMal === null || e.start < firstMal)) firstMal = e.start;
  const exfil = ev.find((e) => e.type === 'exfiltration');
  const incidents = incidentsOf(ev, ep.duration);
  const held = new Set(incidents.map((i) => i.host));
  const firstContaining = ev.find((e) => e.type === 'response' && CONTAINING.has(e.action) && held.has(e.host));
  const beforeResponse = new Set<number>();
  for (const e of ev) if (e.type === 'compromise' && (!firstContaining || e.t < firstContaining.t)) beforeResponse.add(e.host);
  // Hosts the attack touched: traced attack telemetry in some window, or a foothold.
  const touched = new Uint8Array(H);
  for (const h of held) touched[h] = 1;
  for (let w = 0; w < env.windowsClosed; w++) for (let h = 0; h < H; h++) if (!touched[h] && env.label(h, w) > 0) touched[h] = 1;
  let healthyHostCost = 0;
  for (let h = 0; h < H; h++) if (!touched[h]) healthyHostCost += env.hostBusinessCost(h);
  const ret = env.defenderReturn;
  return {
    seed: ep.seed,
    outcome: ep.outcome,
    duration: ep.duration,
    steps: ep.steps,
    defenderReturn: ret.total,
    returnParts: { damage: ret.damage, exfiltration: ret.exfiltration, business: ret.business },
    healthyHostCost,
    attackerSuccess: exfil ? 1 : 0,
    timeToObjective: exfil ? exfil.t : null,
    firstMaliciousAction: firstMal,
    compromiseRate: held.size / H,
    chainLength: beforeResponse.size,
    reentries: ev.filter((e) => e.type === 'foothold-reconnected' || (e.type === 'compromise' && e.reentry)).length,
    attackPhases: attackPhases(ev),
    incidents,
    healthyResponses: ev.filter((e) => e.type === 'response' && e.healthy).length,
    detection: hostWindowScores(env, recorder),
  };
}


const PHASE_OF: Readonly<Record<string, string>> = { scanZone: 'recon', scanHost: 'recon', exploit: 'exploit', escalate: 'privesc', lateral: 'lateral', exfiltrate: 'exfiltration' };

/** Successful kill-chain phases per attacker that acted (the attack complexity score of one episode). */
export function attackPhases(events: readonly RangeEvent[]): number {
  const byAgent = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.type !== 'attack') continue;
    const phases = byAgent.get(e.agent) ?? new Set<string>();
    byAgent.set(e.agent, phases);
    if (e.success) phases.add(PHASE_OF[e.action]!);
  }
  if (byAgent.size === 0) return 0;
  let total = 0;
  for (const p of byAgent.values()) total += p.size;
  return total / byAgent.size;
}
