/**
 * The mutable state of one episode on the range, shared by the step loop (env.ts) and the files that
 * apply actions (attacker-actions.ts, defender-actions.ts), write telemetry (footprint.ts), charge
 * costs (costs.ts) and encode observations (observations.ts). Derived views (reachability, best
 * credentials, foothold lists) are cached against version counters bumped on every change they read.
 */
import { Rng, hash32 } from '../shared/prng.js';
import type { AttackerActionLayout, DefenderActionLayout } from './actions.js';
import type { Network, Reach } from './network.js';
import type { AttackStage, DefenderReturnWeights } from './scenario.js';
import type { SimParams } from './params.js';
import { TICKS_PER_SECOND } from './params.js';
import { STAGE, type TelemetryModel } from './telemetry.js';
import type { RangeEvent, ReceivedAlert } from './types.js';

export interface Pending {
  action: number;
  start: number;
  end: number;
  /** Decided at start: whether the action will succeed if its preconditions still hold at the end. */
  roll: boolean;
  /** Started in the quiet tempo. */
  quiet: boolean;
  source: number | null;
  vuln: number;
  cred: number;
}

export interface AttackerState {
  id: string;
  /** The scenario's stealth for this attacker (see effectiveStealth for the tempo). */
  stealth: number;
  /** Quiet tempo chosen (action "go quiet"); applies to actions started afterwards. */
  quiet: boolean;
  rng: Rng;
  priv: Int8Array;
  discovered: Uint8Array;
  scanned: Uint8Array;
  crownKnown: Uint8Array;
  /** credEpoch at the time the credential was stolen; -1 = not held. */
  credHeld: Int32Array;
  busyUntil: number;
  lastDecision: number;
  pending: Pending | null;
  lostFoothold: boolean;
  exfiltrating: number;
  lastOutcome?: { action: number; success: boolean };
  invalid: boolean;
  /** Bumped when the attacker's own knowledge changes (caches of its views key on it). */
  version: number;
  /** Index in World.attackers (for per-attacker arrays). */
  index: number;
  /** Current outside infrastructure (addresses); rotating takes a new one. */
  infra: number;
  /** Kill-chain stages this attacker may act in (the scenario's attack mix). */
  stages: ReadonlySet<AttackStage>;
  /** The attacker only waits before this tick. */
  startTick: number;
}

/** The defender return of the episode so far, by part (all >= 0; the return is minus their sum). */
export interface ReturnParts {
  /** Host value x seconds of attacker control of live footholds, times damagePerValueSecond. */
  damage: number;
  /** Exfiltrated crown jewels: value x exfiltrationLossPerValue. */
  exfiltration: number;
  /** Isolation, block and downtime of hosts without a foothold, and one-off costs of responses. */
  business: number;
}

export interface DefenderState {
  id: string;
  zones: number[];
  hosts: Int32Array;
  busyUntil: number;
  lastDecision: number;
  pending: { action: number; start: number; end: number } | null;
  inboxCursor: number;
  invalid: boolean;
  lastOutcome?: { action: number; success: boolean };
}

/** Stealth in effect for an attacker's next action: the scenario's, raised by the quiet tempo. */
export function effectiveStealth(sim: Readonly<SimParams>, s: { stealth: number; quiet: boolean }): number {
  return s.quiet ? s.stealth + (1 - s.stealth) * sim.quietTempo : s.stealth;
}

/** A cache entry valid while the status version and an attacker's version are unchanged. */
interface Cached<T> { status: number; attacker: number; value: T }

export class World {
  rng = new Rng(0);
  seed = 0;
  /** Simulated time, ticks. */
  now = 0;
  closedWindows = 0;
  attackers: AttackerState[] = [];
  defenders: DefenderState[] = [];
  isolated: Uint8Array;
  blocked: Uint8Array;
  offlineUntil: Int32Array;
  credEpoch: Int32Array;
  alerts: ReceivedAlert[] = [];
  everCompromised = false;
  done = true;
  stepEvents: RangeEvent[] = [];
  log: RangeEvent[] = [];
  stepRewards: Record<string, number> = {};
  /** Bumped when host status (isolated, blocked, offline) or any foothold changes: masks, rates, reach. */
  statusVersion = 0;
  /** Next tick at which an offline host comes back (Infinity: none). */
  nextOnline = Infinity;
  /** The defender return so far, by part. */
  parts: ReturnParts = { damage: 0, exfiltration: 0, business: 0 };
  /** Business cost so far per host (isolation, block, downtime while healthy, and one-off response costs). */
  hostBusinessCost: Float64Array;
  /** patched[h * maxSlots + s] = 1: vulnerability slot s of host h was patched. */
  patched: Uint8Array;
  /** Blocked outside infrastructure, as `${attacker index}:${infra}`. */
  blockedInfra = new Set<string>();
  /** Per host, outside infrastructure seen in its traffic: key `${attacker index}:${infra}` -> last tick. */
  seenInfra: Map<string, number>[] = [];
  /** Per attacker x host: the foothold was live at the last liveness check / was ever held this episode. */
  wasLive: Uint8Array = new Uint8Array(0);
  everHeld: Uint8Array = new Uint8Array(0);
  livenessVersion = -1;
  private reachCache = new Map<string, Cached<Reach> & { now: number }>();
  private credCache = new Map<string, Cached<Int32Array>>();
  private footholdCache = new Map<string, { status: number; hosts: number[] }>();
  private credsValidCache: number[][] | null = null;

  constructor(
    readonly network: Network,
    readonly sim: Readonly<SimParams>,
    readonly attackerLayout: AttackerActionLayout,
    readonly defenderLayout: DefenderActionLayout,
    public telemetry: TelemetryModel,
    readonly windowTicks: number,
    readonly limitTicks: number,
    /** Per host 1 + log1p(value): the business weight of downtime and isolation. */
    readonly businessWeight: Float32Array,
    /** Weights of the defender return (the scenario's). */
    readonly weights: Readonly<DefenderReturnWeights>,
  ) {
    const H = network.nHosts;
    this.isolated = new Uint8Array(H);
    this.blocked = new Uint8Array(H);
    this.offlineUntil = new Int32Array(H);
    this.credEpoch = new Int32Array(network.credIds.length);
    this.hostBusinessCost = new Float64Array(H);
    this.patched = new Uint8Array(H * network.maxSlots);
  }

  /** Whether attacker s's current outside infrastructure is blocked at the perimeter. */
  infraBlocked(s: AttackerState): boolean {
    return this.blockedInfra.size > 0 && this.blockedInfra.has(`${s.index}:${s.infra}`);
  }

  /** Record that attacker s's current outside infrastructure shows in host h's traffic now. */
  seeInfra(s: AttackerState, h: number): void {
    this.seenInfra[h]!.set(`${s.index}:${s.infra}`, this.now);
  }

  /** A one-off business cost on host h (charged to the defenders now). */
  chargeBusiness(h: number, cost: number): void {
    if (cost <= 0) return;
    this.parts.business += cost;
    this.hostBusinessCost[h]! += cost;
    this.rewardDefenders(-cost);
  }

  /** Simulated time now, seconds. */
  get time(): number {
    return this.now / TICKS_PER_SECOND;
  }

  /** Clears every per-episode cache (reset). */
  clearCaches(): void {
    this.reachCache.clear();
    this.credCache.clear();
    this.footholdCache.clear();
  }

  emit(e: RangeEvent): void {
    this.stepEvents.push(e);
    this.log.push(e);
  }

  rewardAttacker(id: string, r: number): void {
    this.stepRewards[id] = (this.stepRewards[id] ?? 0) + r;
  }
  rewardDefenders(r: number): void {
    for (const d of this.defenders) this.stepRewards[d.id] = (this.stepRewards[d.id] ?? 0) + r;
  }

  /** The attacker's knowledge changed: its cached views are stale. */
  touchAttacker(s: AttackerState): void {
    s.version++;
  }

  footholdLive(s: AttackerState, h: number): boolean {
    return s.priv[h]! > 0 && !this.isolated[h] && this.offlineUntil[h]! <= this.now;
  }

  /** Host h is up: not isolated and not offline. */
  targetUp(h: number): boolean {
    return !this.isolated[h] && this.offlineUntil[h]! <= this.now;
  }

  /** Hosts where attacker s holds a foothold (cached until a foothold or host status changes). */
  footholdHosts(s: AttackerState): number[] {
    const c = this.footholdCache.get(s.id);
    if (c && c.status === this.statusVersion) return c.hosts;
    const hosts: number[] = [];
    for (let h = 0; h < this.network.nHosts; h++) if (s.priv[h]! > 0) hosts.push(h);
    this.footholdCache.set(s.id, { status: this.statusVersion, hosts });
    return hosts;
  }

  /** Per host, the highest-privilege held credential that logs on to it (-1 none). */
  bestCreds(s: AttackerState): Int32Array {
    const c = this.credCache.get(s.id);
    if (c && c.status === this.statusVersion && c.attacker === s.version) return c.value;
    const net = this.network;
    const best = new Int32Array(net.nHosts).fill(-1);
    for (let cr = 0; cr < s.credHeld.length; cr++) {
      if (s.credHeld[cr]! < 0) continue;
      const valid = net.credValidOn[cr]!;
      for (let h = 0; h < net.nHosts; h++) if (valid[h] && (best[h]! < 0 || net.credPriv[cr]! > net.credPriv[best[h]!]!)) best[h] = cr;
    }
    this.credCache.set(s.id, { status: this.statusVersion, attacker: s.version, value: best });
    return best;
  }

  /** A held credential (any epoch: the attacker cannot tell a rotated one) that raises privilege on h; -1 none. */
  usableCred(s: AttackerState, h: number, priv: number): number {
    const c = this.bestCreds(s)[h]!;
    return c >= 0 && this.network.credPriv[c]! > priv ? c : -1;
  }

  /** The local vulnerability on h with the best success chance (-1 none). */
  bestLocal(h: number): number {
    const net = this.network;
    let best = -1;
    for (const v of net.localVulns[h]!) if (best < 0 || net.vulns[v]!.success > net.vulns[best]!.success) best = v;
    return best;
  }

  /**
   * Where attacker s reaches now: from its live footholds (an isolated or offline one reaches nothing)
   * and from the internet, unless its outside infrastructure is blocked.
   */
  reachability(s: AttackerState): Reach {
    const c = this.reachCache.get(s.id);
    if (c && c.status === this.statusVersion && c.attacker === s.version && c.now === this.now) return c.value;
    const live: number[] = [];
    for (let h = 0; h < this.network.nHosts; h++) if (this.footholdLive(s, h)) live.push(h);
    const r = this.network.reachFrom(live, this.blocked, (zone, n) => hash32(this.seed, this.now, zone) % n, !this.infraBlocked(s));
    this.reachCache.set(s.id, { status: this.statusVersion, attacker: s.version, now: this.now, value: r });
    return r;
  }

  /** Credentials a reset on host h rotates: those cached on h and those that log on to h. */
  credsAround(h: number): number[] {
    return [...new Set([...this.network.credsOnHost[h]!, ...this.credsValidOnHost(h)])];
  }

  credsValidOnHost(h: number): number[] {
    if (!this.credsValidCache) {
      const net = this.network;
      const byHost: number[][] = Array.from({ length: net.nHosts }, () => []);
      net.credValidOn.forEach((v, c) => v.forEach((x, host) => { if (x) byHost[host]!.push(c); }));
      this.credsValidCache = byHost;
    }
    return this.credsValidCache[h]!;
  }

  /**
   * Whether host h holds a foothold or the attack left traced telemetry on it in the last few closed
   * windows (alert truth, and what a response's `healthy` flag means): the same traced labels as F1.
   */
  hostTouched(h: number): boolean {
    if (this.attackers.some((s) => s.priv[h]! > 0)) return true;
    const last = this.closedWindows - 1;
    for (let w = Math.max(0, last - this.sim.alertTruthWindows); w <= last; w++) if (this.telemetry.label(h, w) > STAGE.benign) return true;
    return false;
  }
}
