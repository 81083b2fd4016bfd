/**
 * Defender teams: one agent per zone plus a shared coordinator, deciding alert -> decision -> response
 * with a playbook aligned with NIST SP 800-61 (contain: isolate; eradicate: kill the process, or reset
 * credentials and reimage for high-confidence cases; close the door: block the outside addresses seen on
 * the host, and patch it when the intruder came back; recover: restore). The same engine runs every
 * defence compared in the reference paper; they differ only in how host-windows are scored, how a
 * confirmed case is approved, and what their pipeline stages cost (see `TeamConfig` and registry.ts):
 *   - AI-MAS: an ML detector scores every host every window; agents confirm and act autonomously, with
 *     coordinator approval for high-value hosts;
 *   - rule-based MAS: the same agents, scoring by static rules over a fixed aggregation window;
 *   - static cyber range: no autonomous agents; a central SIEM correlates on a batch interval and an
 *     analyst queue triages every alert before the (then purely mechanical) response.
 *
 * The pipeline takes time, in simulated seconds. A window closing at T is scored at
 * T + ingest + scoring cost x hosts; its alerts are posted then. A case confirmed at C may act at
 * C + decision, after approval where the playbook requires it (a FIFO queue of approvers). The response
 * itself then takes the env's action durations. So a detection and the response it triggers never share
 * an instant. Agents wait (monitor with a `wait`) until their next stage is due.
 */
import { Rng } from '../shared/prng.js';
import type { ActContext, Policy } from '../range/agent.js';
import type { Action, AlertMsg, DefenderObservation, Observation, RangeEnv } from '../range/env.js';
import type { DefenderActionKind } from '../range/actions.js';
import { DetectionRecorder } from '../range/metrics.js';

/** Scores the hosts of one agent for one closed telemetry window; null = no evaluation at this window. */
export interface WindowScorer {
  readonly name: string;
  /**
   * `features` is hosts x N_FEATURES for window `w`. Returns per-host scores (>= 1: alert) and the windows
   * each alert covers (an aggregation window flags all of its windows), or null when this window does
   * not end an evaluation period.
   */
  evaluate(agent: string, w: number, hosts: Int32Array, features: Float32Array): { scores: Float32Array; covers: number[] } | null;
  reset?(): void;
}

export interface ApprovalConfig {
  /** Who approves: an automated coordinator or an analyst pool. */
  kind: 'coordinator' | 'analysts';
  /** Parallel servers (coordinator threads or analysts). */
  servers: number;
  /** Service time per case (s): median of a lognormal with the given sigma (0 = fixed). */
  medianSeconds: number;
  sigma: number;
  /** Cases on hosts with value >= this need approval (0 = every case). */
  minHostValue: number;
}

/** Time each stage of the defence pipeline takes (simulated seconds). */
export interface PipelineConfig {
  /** From a window's close to its features at the scorer (export, shipping, feature extraction). */
  ingestSeconds: number;
  /** Scoring cost per host-window (the scorer's measured compute time, on the range's clock). */
  scoreSecondsPerHostWindow: number;
  /** From a confirmed case to the playbook's chosen response (before any approval). */
  decisionSeconds: number;
}

export interface TeamConfig {
  /** Alerts in this many of the last `confirmOf` evaluations confirm a case... */
  confirmCount: number;
  confirmOf: number;
  /** ...or one evaluation with score >= highConfidence. */
  highConfidence: number;
  /** After a peer agent's alert, one alert confirms, for this many seconds. */
  peerHeightenSeconds: number;
  /** Peak score at which eradication resets credentials and reimages (else the process is killed). */
  eradicateScore: number;
  approval: ApprovalConfig;
  pipeline: PipelineConfig;
}

interface Step {
  kind: DefenderActionKind;
  slot?: number;
}

interface Case {
  host: number;
  opened: number;
  hits: number[];
  peak: number;
  confirmed: boolean;
  /** When the playbook may act on the case (decision and approval done). */
  actionableAt: number;
  steps: Step[];
}

const EPS = 1e-9;

export class DefenderTeam {
  readonly recorder: DetectionRecorder;
  private cases = new Map<number, Case>();
  /** Hosts with a confirmed case earlier in the episode: a second one means the intruder came back. */
  private confirmedBefore = new Set<number>();
  private serversFreeAt: number[] = [];
  private rng = new Rng(0);
  private heightenedUntil = new Map<string, number>();
  private lastEvaluated = new Map<string, number>();
  private episodeKey = '';

  constructor(
    readonly env: RangeEnv,
    readonly scorer: WindowScorer,
    readonly config: TeamConfig,
  ) {
    this.recorder = new DetectionRecorder(env.network.nHosts);
  }

  /** Policies for every defender agent of the env, sharing this team. */
  policies(): Record<string, Policy> {
    return Object.fromEntries(this.env.defenderIds.map((id) => [id, this.policyFor(id)]));
  }

  policyFor(agent: string): Policy {
    return {
      reset: (ctx) => this.resetEpisode(ctx.seed),
      act: (obs, ctx) => this.act(agent, obs, ctx),
    };
  }

  private resetEpisode(seed: number): void {
    // Every agent's reset calls this; reset once per episode.
    const key = `${seed}`;
    if (this.env.time === 0 && this.episodeKey === key && this.cases.size === 0) return;
    this.episodeKey = key;
    this.cases.clear();
    this.confirmedBefore.clear();
    this.recorder.clear();
    this.heightenedUntil.clear();
    this.lastEvaluated.clear();
    this.serversFreeAt = new Array(this.config.approval.servers).fill(0);
    this.rng = new Rng(seed).split('defender-team');
    this.scorer.reset?.();
  }

  /** When window w's scores are available: close, ingest, scoring of this agent's hosts. */
  private availableAt(w: number, hosts: number): number {
    const p = this.config.pipeline;
    return (w + 1) * this.env.windowSeconds + p.ingestSeconds + p.scoreSecondsPerHostWindow * hosts;
  }

  private act(agent: string, o: Observation, ctx: ActContext): Action {
    const obs = o as DefenderObservation;
    const now = obs.time;
    for (const a of obs.inbox) if (a.from !== agent) this.heightenedUntil.set(agent, now + this.config.peerHeightenSeconds);
    const alerts: AlertMsg[] = [];
    // Score every window whose results are due by now (the agent may have been busy responding).
    let last = this.lastEvaluated.get(agent) ?? -1;
    while (last < obs.window && this.availableAt(last + 1, obs.hosts.length) <= now + EPS) {
      const w = last + 1;
      const features = w === obs.window ? obs.features : this.env.readFeatures(w, obs.hosts);
      const r = this.scorer.evaluate(agent, w, obs.hosts, features);
      if (r) this.update(agent, obs, r.scores, r.covers, now, alerts);
      last = w;
    }
    this.lastEvaluated.set(agent, last);
    const action = this.nextAction(obs, ctx.mask, now);
    if (action !== 0) return alerts.length ? { action, alerts } : action;
    // Monitor until the next stage is due: the next window's scores, or a case becoming actionable.
    let wake = this.availableAt(last + 1, obs.hosts.length);
    for (const h of obs.hosts) {
      const c = this.cases.get(h);
      if (c && c.confirmed && c.steps.length > 0 && c.actionableAt > now + EPS) wake = Math.min(wake, c.actionableAt);
    }
    return { action: 0, wait: Math.max(wake - now, EPS), ...(alerts.length ? { alerts } : {}) };
  }

  private update(agent: string, obs: DefenderObservation, scores: Float32Array, covers: number[], now: number, alerts: AlertMsg[]): void {
    const cfg = this.config;
    const heightened = (this.heightenedUntil.get(agent) ?? -1) >= now;
    for (let i = 0; i < obs.hosts.length; i++) {
      const h = obs.hosts[i]!;
      const s = scores[i]!;
      let c = this.cases.get(h);
      if (s >= 1) {
        for (const w of covers) this.recorder.flag(h, w);
        if (!c) {
          c = { host: h, opened: now, hits: [], peak: 0, confirmed: false, actionableAt: Infinity, steps: [] };
          this.cases.set(h, c);
          alerts.push({ host: h, score: s, reason: this.scorer.name });
        }
        c.peak = Math.max(c.peak, s);
      }
      if (!c || c.confirmed) continue;
      c.hits.push(s >= 1 ? 1 : 0);
      if (c.hits.length > cfg.confirmOf) c.hits.shift();
      const hits = c.hits.reduce((a, b) => a + b, 0);
      if (hits >= cfg.confirmCount || s >= cfg.highConfidence || (heightened && s >= 1)) this.confirm(c, now);
      else if (c.hits.length >= cfg.confirmOf && hits === 0) this.cases.delete(h); // went quiet: dismissed
    }
  }

  private confirm(c: Case, now: number): void {
    c.confirmed = true;
    const net = this.env.network;
    const steps: Step[] = [{ kind: 'isolate' }];
    if (c.peak >= this.config.eradicateScore) steps.push({ kind: 'resetCredentials' }, { kind: 'reimage' });
    else steps.push({ kind: 'killProcess' });
    steps.push({ kind: 'blockSource' });
    // The intruder came back to this host: close the door it used, at the price of patching.
    if (this.confirmedBefore.has(c.host)) for (let k = 0; k < net.exploitSlots[c.host]!.length; k++) steps.push({ kind: 'patch', slot: k });
    steps.push({ kind: 'restore' });
    c.steps = steps;
    this.confirmedBefore.add(c.host);
    const decided = now + this.config.pipeline.decisionSeconds;
    const ap = this.config.approval;
    if (net.hostValue[c.host]! < ap.minHostValue) {
      c.actionableAt = decided;
      return;
    }
    // FIFO queue over `servers` parallel approvers.
    let k = 0;
    for (let i = 1; i < this.serversFreeAt.length; i++) if (this.serversFreeAt[i]! < this.serversFreeAt[k]!) k = i;
    const start = Math.max(decided, this.serversFreeAt[k]!);
    const service = ap.sigma > 0 ? ap.medianSeconds * Math.exp(ap.sigma * this.rng.normal()) : ap.medianSeconds;
    this.serversFreeAt[k] = start + service;
    c.actionableAt = start + service;
  }

  /** The next playbook step of the most urgent actionable case this agent can act on (0: none). */
  private nextAction(obs: DefenderObservation, mask: Uint8Array, now: number): number {
    const L = this.env.defenderLayout;
    let best: Case | null = null;
    for (const h of obs.hosts) {
      const c = this.cases.get(h);
      if (!c || !c.confirmed || c.actionableAt > now + EPS || c.steps.length === 0) continue;
      if (!best || c.peak > best.peak || (c.peak === best.peak && c.opened < best.opened)) best = c;
    }
    if (!best) return 0;
    while (best.steps.length) {
      const step = best.steps.shift()!;
      const a = L.encode(step.kind, best.host, step.slot ?? 0);
      if (mask[a]) {
        if (best.steps.length === 0) this.cases.delete(best.host);
        return a;
      }
    }
    this.cases.delete(best.host);
    return 0;
  }
}
