/**
 * The multi-agent environment, in the PettingZoo-Parallel / Gymnasium style (camelCase):
 *   reset({ seed }) -> { observations, infos }
 *   step(actions)   -> { observations, rewards, terminations, truncations, infos, events, time, dt }
 *   actionMask(agent), actionSpace(agent), observationSpace(agent)
 *
 * Simulated time runs in ticks of 0.1 s. The env is a semi-MDP: every action takes time, an agent that
 * is busy is not asked to act, and a step advances to the next decision point (some agent free again),
 * reporting the simulated time elapsed. Effects of an action apply when it completes; its telemetry is
 * written over the windows it spans as it starts, so defenders see it as those windows close. When a
 * defender's and an attacker's actions complete at the same tick, the defender's applies first.
 *
 * `observations` holds an entry for each agent that must act now (busy agents are absent); `rewards`,
 * `terminations`, `truncations` and `infos` hold every agent. An agent's reward for a step is what
 * accrued during it; agents sum rewards between their own decisions (infos[agent].elapsed says how long
 * that was, for semi-MDP discounting).
 */
import { Rng, hash32 } from '../shared/prng.js';
import { AttackerActionLayout, DefenderActionLayout, type AttackerDecoded, type DefenderActionKind, type DefenderDecoded } from './actions.js';
import { Network, PRIV_NONE, PRIV_ROOT, PRIV_USER } from './network.js';
import type { Scenario } from './scenario.js';
import { N_FEATURES, N_RAW, RAW, STAGE, TelemetryModel } from './telemetry.js';

export const TICKS_PER_SECOND = 10;
const toTicks = (s: number): number => Math.max(1, Math.round(s * TICKS_PER_SECOND));

/** Attacker observation: per host K values, then G global values. */
export const ATTACKER_HOST_FEATURES = [
  'discovered', 'scanned', 'privUser', 'privRoot', 'crownJewelKnown', 'credentialUsable', 'reachable', 'knownExploits', 'zoneKind',
] as const;
export const ATTACKER_GLOBAL_FEATURES = ['timeFraction', 'footholds', 'credentialsHeld', 'footholdLost', 'quietTempo'] as const;
const K = ATTACKER_HOST_FEATURES.length;
const G = ATTACKER_GLOBAL_FEATURES.length;
const ZONE_KIND_CODE: Record<string, number> = { internet: 0, dmz: 1, user: 2, server: 3, critical: 4, other: 5 };

/** Host status bits shown to defenders. */
export const STATUS_ISOLATED = 1;
export const STATUS_BLOCKED = 2;
export const STATUS_OFFLINE = 4;

/** Documented simulation parameters, shared by every scenario size. */
export const SIM = {
  /** Attacker action durations (s) before stealth scaling. */
  waitSeconds: 1,
  scanZoneFast: { base: 2, perHost: 0.02, discover: 0.95 },
  scanZoneStealthy: { base: 10, perHost: 0.2, discover: 0.8 },
  scanHostSeconds: 1.5,
  lateralSeconds: 2,
  exfilSeconds: (value: number): number => 10 + value / 10,
  /** A stealth of s multiplies durations by 1 + 1.5 s and telemetry by 1 - 0.7 s. */
  stealthSlowdown: 1.5,
  stealthQuieting: 0.7,
  /**
   * The quiet tempo (an attacker's choice, action "go quiet") raises its stealth to s + (1 - s) * 0.9:
   * a loud attacker then takes 2.35x as long per action and leaves 0.37x the telemetry, spread thinner.
   * Switching takes one beacon interval (the implant picks up its new sleep and jitter at its next
   * check-in) and leaves no trace of its own.
   */
  quietTempo: 0.9,
  tempoSeconds: 5,
  beaconEvery: 5,
  /** Defender action durations (s): how long the responder is busy before the effect applies. */
  defender: { isolate: 2, block: 1, resetCredentials: 4, killProcess: 1.5, reimage: 10, restore: 2 } as Record<DefenderActionKind, number>,
  reimageDowntime: 60,
  /** Chance that killing the process removes a foothold (root footholds persist more often). */
  killRemoves: { user: 0.9, root: 0.5 },
  /** Alerts reach other defenders after this delay (s). */
  alertDelay: 0.2,
  /** An alert is a true positive if the host holds a foothold or was touched by the attack in this many recent windows. */
  alertTruthWindows: 3,
  /** Rewards and costs. */
  damagePerValueSecond: 0.01,
  isolationCostPerWeightSecond: 0.01,
  blockCostPerWeightSecond: 0.003,
  reimageCostPerWeight: 2,
  resetCostPerCredential: 0.5,
  killCost: 0.05,
  attackerTimeCost: 0.001,
  /** An attacker loses this share of a host's value when its foothold there is contained (isolated or removed): detection has a price, so stealth can pay. */
  footholdLossPenalty: 0.1,
};

export type AlertMsg = { host: number; score: number; reason?: string };
export type DefenderAction = number | { action: number; alerts?: AlertMsg[] };
export type Action = number | DefenderAction;
export interface ReceivedAlert extends AlertMsg { from: string; time: number }

export interface AttackerObservation {
  kind: 'attacker';
  time: number;
  vector: Float32Array;
}
export interface DefenderObservation {
  kind: 'defender';
  time: number;
  /** Index of the telemetry window the features describe (the last one closed); -1 before the first. */
  window: number;
  hosts: Int32Array;
  /** hosts.length x N_FEATURES, row-major, in FEATURES order (generated when first read). */
  readonly features: Float32Array;
  status: Uint8Array;
  inbox: ReceivedAlert[];
}
export type Observation = AttackerObservation | DefenderObservation;

/**
 * Defender observation whose features are generated on first read. Closed windows never change
 * (actions only write telemetry for the windows they will span), so reading later gives the same values.
 */
class DefenderObs implements DefenderObservation {
  readonly kind = 'defender' as const;
  private cached: Float32Array | null = null;
  constructor(
    readonly time: number,
    readonly window: number,
    readonly hosts: Int32Array,
    readonly status: Uint8Array,
    readonly inbox: ReceivedAlert[],
    private readonly source: TelemetryModel | null,
  ) {}
  get features(): Float32Array {
    if (!this.cached) {
      const f = new Float32Array(this.hosts.length * N_FEATURES);
      if (this.window >= 0 && this.source) for (let i = 0; i < this.hosts.length; i++) this.source.read(this.hosts[i]!, this.window, f, i * N_FEATURES);
      this.cached = f;
    }
    return this.cached;
  }
}

interface Reach {
  zone: Uint8Array;
  host(h: number): boolean;
  port(h: number, port: number): boolean;
  mgmt(h: number): boolean;
  sourceForZone(z: number): number | null;
  sourceForHost(h: number, port: number): number | null;
}

export type RangeEvent =
  | { t: number; type: 'attack'; agent: string; action: Exclude<AttackerDecoded['type'], 'wait' | 'tempo'>; stealthy?: boolean; quiet?: boolean; host: number | null; zone: number | null; source: number | null; start: number; success: boolean }
  | { t: number; type: 'tempo'; agent: string; quiet: boolean }
  | { t: number; type: 'compromise'; agent: string; host: number; privilege: 'user' | 'root'; via: string }
  | { t: number; type: 'foothold-lost'; agent: string; host: number; reason: string }
  | { t: number; type: 'alert'; agent: string; host: number; score: number; truePositive: boolean }
  | { t: number; type: 'response'; agent: string; action: DefenderActionKind; host: number; healthy: boolean; end: number }
  | { t: number; type: 'response-done'; agent: string; action: DefenderActionKind; host: number; effective: boolean }
  | { t: number; type: 'contained' }
  | { t: number; type: 'exfiltration'; agent: string; host: number; value: number };

export interface AgentInfo {
  role: 'attacker' | 'defender';
  /** The agent must act at this decision point. */
  ready: boolean;
  /** Simulated seconds since the agent's previous decision (when ready). */
  elapsed: number;
  busyUntil: number;
  /** The action given was not allowed by the mask; a wait/monitor ran instead. */
  invalidAction?: boolean;
  /** Outcome of the agent's last completed action. */
  lastOutcome?: { action: number; success: boolean };
}

export interface StepResult {
  observations: Record<string, Observation>;
  rewards: Record<string, number>;
  terminations: Record<string, boolean>;
  truncations: Record<string, boolean>;
  infos: Record<string, AgentInfo>;
  events: RangeEvent[];
  /** Simulated time now (s) and elapsed in this step (s). */
  time: number;
  dt: number;
}

interface Pending {
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

/** Stealth in effect for an attacker's next action: the scenario's, raised by the quiet tempo. */
function effectiveStealth(s: { stealth: number; quiet: boolean }): number {
  return s.quiet ? s.stealth + (1 - s.stealth) * SIM.quietTempo : s.stealth;
}

interface AttackerState {
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
}

interface DefenderState {
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

export interface RangeEnvOptions {
  /** Telemetry on (default). Off skips generating defender features (they get zeros); labels still kept. */
  telemetry?: boolean;
  /** Override agent lists (defaults: the scenario's). */
  attackers?: { id: string; stealth?: number }[];
  defenders?: { id: string; zones: string[] }[];
}

export class RangeEnv {
  readonly network: Network;
  readonly attackerLayout: AttackerActionLayout;
  readonly defenderLayout: DefenderActionLayout;
  readonly possibleAgents: string[];
  readonly attackerIds: string[];
  readonly defenderIds: string[];
  readonly telemetry: TelemetryModel;
  private readonly telemetryOn: boolean;
  private readonly windowTicks: number;
  private readonly limitTicks: number;
  private readonly attackerSpecs: { id: string; stealth: number }[];
  private readonly defenderSpecs: { id: string; zones: number[] }[];
  private readonly businessWeight: Float32Array;

  private readonly attackerSet: Set<string>;
  private byId = new Map<string, AttackerState | DefenderState>();
  private rng = new Rng(0);
  private seed = 0;
  private now = 0;
  private closedWindows = 0;
  private attackers: AttackerState[] = [];
  private defenders: DefenderState[] = [];
  private isolated!: Uint8Array;
  private blocked!: Uint8Array;
  private offlineUntil!: Int32Array;
  private credEpoch!: Int32Array;
  private alerts: ReceivedAlert[] = [];
  private everCompromised = false;
  private done = true;
  private started = false;
  private stepEvents: RangeEvent[] = [];
  private log: RangeEvent[] = [];
  private stepRewards: Record<string, number> = {};
  private maskCache = new Map<string, Uint8Array>();
  private maskKey = new Map<string, string>();
  /** Bumped when host status (isolated, blocked, offline) or any foothold changes: masks, rates, reach. */
  private statusVersion = 0;
  /** Bumped when an attacker's own knowledge changes. */
  private attackerVersion = new Map<string, number>();
  private nextOnline = Infinity;
  private ratesVersion = -1;
  private damageRate = 0;
  private costRate = 0;
  private liveCount = 0;
  private healthyCost = 0;
  private healthyCostRate = 0;
  /** Hosts whose current containment started while they were healthy (for the healthy-response cost). */
  private healthyHost!: Uint8Array;

  constructor(scenario: Scenario, opts: RangeEnvOptions = {}) {
    this.network = new Network(scenario);
    const net = this.network;
    this.telemetryOn = opts.telemetry ?? true;
    this.windowTicks = toTicks(net.window);
    this.limitTicks = toTicks(net.timeLimit);
    const scanZones = net.zoneKinds.map((k, i) => (k === 'internet' ? -1 : i)).filter((i) => i >= 0 && net.zoneHosts[i]!.length > 0);
    this.attackerLayout = new AttackerActionLayout(scanZones, net.nHosts, net.maxSlots);
    this.defenderLayout = new DefenderActionLayout(net.nHosts);
    this.attackerSpecs = (opts.attackers ?? scenario.attackers).map((a) => ({ id: a.id, stealth: a.stealth ?? 0 }));
    const zoneIndex = new Map(net.zoneIds.map((z, i) => [z, i]));
    this.defenderSpecs = (opts.defenders ?? scenario.defenders).map((d) => ({
      id: d.id,
      zones: d.zones.map((z) => {
        const i = zoneIndex.get(z);
        if (i === undefined) throw new RangeError(`defender ${d.id}: unknown zone ${z}`);
        return i;
      }),
    }));
    this.attackerIds = this.attackerSpecs.map((a) => a.id);
    this.defenderIds = this.defenderSpecs.map((d) => d.id);
    this.possibleAgents = [...this.attackerIds, ...this.defenderIds];
    this.attackerSet = new Set(this.attackerIds);
    if (new Set(this.possibleAgents).size !== this.possibleAgents.length) throw new RangeError('agent ids must be unique');
    this.telemetry = new TelemetryModel(net.hostRole, net.hostZone, net.window, 0);
    this.businessWeight = Float32Array.from(net.hostValue, (v) => 1 + Math.log1p(v));
  }

  /** Simulated time now, seconds. */
  get time(): number {
    return this.now / TICKS_PER_SECOND;
  }
  get windowSeconds(): number {
    return this.windowTicks / TICKS_PER_SECOND;
  }
  get timeLimit(): number {
    return this.limitTicks / TICKS_PER_SECOND;
  }
  /** Number of telemetry windows closed so far (windows 0 .. n-1 can be read). */
  get windowsClosed(): number {
    return this.closedWindows;
  }
  get isDone(): boolean {
    return this.done;
  }
  /** Every event of the episode so far. */
  get eventLog(): readonly RangeEvent[] {
    return this.log;
  }

  reset(opts: { seed?: number } = {}): { observations: Record<string, Observation>; infos: Record<string, AgentInfo> } {
    const net = this.network;
    const H = net.nHosts;
    this.seed = (opts.seed ?? 0) >>> 0;
    this.rng = new Rng(this.seed).split('env');
    (this as { telemetry: TelemetryModel }).telemetry = new TelemetryModel(net.hostRole, net.hostZone, net.window, hash32(this.seed, 0x7e1));
    this.now = 0;
    this.closedWindows = 0;
    this.isolated = new Uint8Array(H);
    this.blocked = new Uint8Array(H);
    this.offlineUntil = new Int32Array(H);
    this.credEpoch = new Int32Array(net.credIds.length);
    this.healthyHost = new Uint8Array(H);
    this.healthyCost = 0;
    this.healthyCostRate = 0;
    this.alerts = [];
    this.everCompromised = false;
    this.done = false;
    this.started = true;
    this.log = [];
    this.stepEvents = [];
    this.maskCache.clear();
    this.maskKey.clear();
    this.reachCache.clear();
    this.vectorCache.clear();
    this.credCache.clear();
    this.footholdCache.clear();
    this.statusVersion++;
    this.attackerVersion.clear();
    this.nextOnline = Infinity;
    this.ratesVersion = -1;
    this.attackers = this.attackerSpecs.map((a) => ({
      id: a.id,
      stealth: a.stealth,
      quiet: false,
      rng: this.rng.split(`attacker:${a.id}`),
      priv: new Int8Array(H),
      discovered: new Uint8Array(H),
      scanned: new Uint8Array(H),
      crownKnown: new Uint8Array(H),
      credHeld: new Int32Array(net.credIds.length).fill(-1),
      busyUntil: 0,
      lastDecision: 0,
      pending: null,
      lostFoothold: false,
      exfiltrating: -1,
      invalid: false,
    }));
    this.defenders = this.defenderSpecs.map((d) => ({
      id: d.id,
      zones: d.zones,
      hosts: Int32Array.from(d.zones.flatMap((z) => net.zoneHosts[z]!)).sort(),
      busyUntil: 0,
      lastDecision: 0,
      pending: null,
      inboxCursor: 0,
      invalid: false,
    }));
    this.byId = new Map<string, AttackerState | DefenderState>([...this.attackers.map((a) => [a.id, a] as const), ...this.defenders.map((d) => [d.id, d] as const)]);
    const observations: Record<string, Observation> = {};
    const infos: Record<string, AgentInfo> = {};
    for (const id of this.possibleAgents) {
      observations[id] = this.observe(id);
      infos[id] = this.info(id, 0);
    }
    return { observations, infos };
  }

  // ---------------------------------------------------------------- spaces and masks

  actionSpace(agent: string): { n: number } {
    return { n: this.isAttacker(agent) ? this.attackerLayout.n : this.defenderLayout.n };
  }

  observationSpace(agent: string): { shape: number[] } {
    if (this.isAttacker(agent)) return { shape: [this.network.nHosts * K + G] };
    const d = this.defender(agent);
    return { shape: [d.hosts.length, N_FEATURES] };
  }

  isAttacker(agent: string): boolean {
    return this.attackerSet.has(agent);
  }

  /** 1 where the action is allowed now. Cached until the state changes; do not modify the array. */
  actionMask(agent: string): Uint8Array {
    this.assertStarted();
    const isA = this.isAttacker(agent);
    const key = isA ? `${this.statusVersion}:${this.attackerVersion.get(agent) ?? 0}` : `${this.statusVersion}`;
    const cached = this.maskCache.get(agent);
    if (cached && this.maskKey.get(agent) === key) return cached;
    const m = isA ? this.attackerMask(this.attacker(agent)) : this.defenderMask(this.defender(agent));
    this.maskCache.set(agent, m);
    this.maskKey.set(agent, key);
    return m;
  }

  /** A readable description of an action, for logs and tests. */
  describeAction(agent: string, a: number): string {
    const net = this.network;
    if (this.isAttacker(agent)) {
      const d = this.attackerLayout.decode(a);
      switch (d.type) {
        case 'wait': return 'wait';
        case 'scanZone': return `scan zone ${net.zoneIds[d.zone]} (${d.stealthy ? 'stealthy' : 'fast'})`;
        case 'tempo': return d.quiet ? 'go quiet (low-and-slow tempo)' : 'go loud (full-speed tempo)';
        case 'exploit': {
          const slot = net.exploitSlots[d.host]![d.slot];
          return `exploit ${slot ? net.vulns[slot.vuln]!.id : `slot ${d.slot}`} on ${net.hostIds[d.host]}`;
        }
        default: return `${d.type} ${net.hostIds[d.host]}`;
      }
    }
    const d = this.defenderLayout.decode(a);
    return d.type === 'monitor' ? 'monitor' : `${d.type} ${net.hostIds[d.host]}`;
  }

  private attackerMask(s: AttackerState): Uint8Array {
    const net = this.network;
    const L = this.attackerLayout;
    const m = new Uint8Array(L.n);
    m[0] = 1;
    if (this.done) return m;
    const reach = this.reachability(s);
    m[L.tempo(!s.quiet)] = 1;
    L.scanZones.forEach((z, i) => {
      if (reach.zone[z]) {
        m[L.scanZone(i, false)] = 1;
        m[L.scanZone(i, true)] = 1;
      }
    });
    for (let h = 0; h < net.nHosts; h++) {
      const p = s.priv[h]!;
      if (s.discovered[h] && !s.scanned[h] && reach.host(h)) m[L.scanHost(h)] = 1;
      if (p === PRIV_USER && net.localVulns[h]!.length > 0) m[L.escalate(h)] = 1;
      if (s.discovered[h] && this.usableCred(s, h, p) >= 0 && reach.mgmt(h)) m[L.lateral(h)] = 1;
      if (p >= PRIV_USER && s.crownKnown[h]) m[L.exfiltrate(h)] = 1;
      if (s.scanned[h]) {
        const slots = net.exploitSlots[h]!;
        for (let k = 0; k < slots.length; k++) {
          const v = net.vulns[slots[k]!.vuln]!;
          if (v.grants > p && v.requires <= p && reach.port(h, slots[k]!.port)) m[L.exploit(h, k)] = 1;
        }
      }
    }
    return m;
  }

  private defenderMask(d: DefenderState): Uint8Array {
    const L = this.defenderLayout;
    const m = new Uint8Array(L.n);
    m[0] = 1;
    if (this.done) return m;
    for (const h of d.hosts) {
      const offline = this.offlineUntil[h]! > this.now;
      if (!this.isolated[h]) m[L.encode('isolate', h)] = 1;
      if (!this.blocked[h] && !this.isolated[h]) m[L.encode('block', h)] = 1;
      if (this.network.credsOnHost[h]!.length > 0 || this.credsValidOnHost(h).length > 0) m[L.encode('resetCredentials', h)] = 1;
      if (!offline) {
        m[L.encode('killProcess', h)] = 1;
        m[L.encode('reimage', h)] = 1;
      }
      if (this.isolated[h] || this.blocked[h]) m[L.encode('restore', h)] = 1;
    }
    return m;
  }

  // ---------------------------------------------------------------- step

  step(actions: Record<string, Action | undefined>): StepResult {
    this.assertStarted();
    if (this.done) throw new Error('step() called after the episode ended; call reset()');
    this.stepEvents = [];
    const rewards: Record<string, number> = {};
    for (const id of this.possibleAgents) rewards[id] = 0;
    this.stepRewards = rewards;
    const t0 = this.now;
    for (const a of this.attackers) if (a.busyUntil <= this.now) this.startAttacker(a, actions[a.id]);
    for (const d of this.defenders) if (d.busyUntil <= this.now) this.startDefender(d, actions[d.id]);

    let terminated = false;
    let truncated = false;
    for (;;) {
      let next = (this.closedWindows + 1) * this.windowTicks;
      for (const a of this.attackers) if (a.busyUntil > this.now && a.busyUntil < next) next = a.busyUntil;
      for (const d of this.defenders) if (d.busyUntil > this.now && d.busyUntil < next) next = d.busyUntil;
      if (next > this.limitTicks) next = this.limitTicks;
      if (this.nextOnline > this.now && this.nextOnline < next) next = this.nextOnline;
      this.accrue(next - this.now);
      this.now = next;
      if (this.now >= this.nextOnline) {
        this.statusVersion++;
        this.nextOnline = Infinity;
        for (let h = 0; h < this.network.nHosts; h++) if (this.offlineUntil[h]! > this.now) this.nextOnline = Math.min(this.nextOnline, this.offlineUntil[h]!);
      }
      if (this.now === (this.closedWindows + 1) * this.windowTicks) this.closeWindow();
      for (const d of this.defenders) if (d.pending && d.pending.end === this.now) this.completeDefender(d);
      for (const a of this.attackers) if (a.pending && a.pending.end === this.now) this.completeAttacker(a);
      if (this.exfiltrated()) terminated = true;
      else if (this.everCompromised && this.liveFootholds() === 0) {
        terminated = true;
        this.emit({ t: this.time, type: 'contained' });
      }
      if (!terminated && this.now >= this.limitTicks) truncated = true;
      if (terminated || truncated) break;
      if (this.anyReady()) break;
    }
    this.done = terminated || truncated;

    const observations: Record<string, Observation> = {};
    const infos: Record<string, AgentInfo> = {};
    const terminations: Record<string, boolean> = {};
    const truncations: Record<string, boolean> = {};
    for (const id of this.possibleAgents) {
      const st = this.state(id);
      const ready = st.busyUntil <= this.now || this.done;
      if (ready) observations[id] = this.observe(id);
      infos[id] = this.info(id, ready ? (this.now - st.lastDecision) / TICKS_PER_SECOND : 0);
      terminations[id] = terminated;
      truncations[id] = truncated;
    }
    for (const a of this.attackers) if (a.busyUntil <= this.now) a.lastDecision = this.now;
    for (const d of this.defenders) if (d.busyUntil <= this.now) d.lastDecision = this.now;
    return {
      observations,
      rewards: this.stepRewards,
      terminations,
      truncations,
      infos,
      events: this.stepEvents,
      time: this.time,
      dt: (this.now - t0) / TICKS_PER_SECOND,
    };
  }

  // ---------------------------------------------------------------- attacker actions

  private startAttacker(s: AttackerState, raw: Action | undefined): void {
    const net = this.network;
    const L = this.attackerLayout;
    let a = typeof raw === 'number' ? raw : raw === undefined ? 0 : raw.action;
    if (!Number.isInteger(a) || a < 0 || a >= L.n) throw new RangeError(`${s.id}: action ${String(a)} is outside 0..${L.n - 1}`);
    s.invalid = false;
    if (!this.actionMask(s.id)[a]) {
      s.invalid = true;
      a = 0;
    }
    const d = L.decode(a);
    const slow = 1 + SIM.stealthSlowdown * effectiveStealth(s);
    let seconds = SIM.waitSeconds;
    let roll = true;
    let source: number | null = null;
    let vuln = -1;
    let cred = -1;
    const reach = this.reachability(s);
    switch (d.type) {
      case 'wait':
        break;
      case 'tempo':
        seconds = SIM.tempoSeconds;
        break;
      case 'scanZone': {
        const p = d.stealthy ? SIM.scanZoneStealthy : SIM.scanZoneFast;
        seconds = (p.base + p.perHost * net.zoneHosts[d.zone]!.length) * slow;
        source = reach.sourceForZone(d.zone);
        break;
      }
      case 'scanHost':
        seconds = SIM.scanHostSeconds * slow;
        source = reach.sourceForHost(d.host, -1);
        break;
      case 'exploit': {
        const slot = net.exploitSlots[d.host]![d.slot]!;
        vuln = slot.vuln;
        const v = net.vulns[vuln]!;
        seconds = v.duration * slow;
        roll = s.rng.next() < v.success;
        source = reach.sourceForHost(d.host, slot.port);
        break;
      }
      case 'escalate': {
        vuln = this.bestLocal(d.host);
        const v = net.vulns[vuln]!;
        seconds = v.duration * slow;
        roll = s.rng.next() < v.success;
        source = d.host;
        break;
      }
      case 'lateral':
        cred = this.usableCred(s, d.host, s.priv[d.host]!);
        seconds = SIM.lateralSeconds * slow;
        source = reach.sourceForHost(d.host, -2);
        break;
      case 'exfiltrate':
        seconds = SIM.exfilSeconds(net.hostValue[d.host]!) * slow;
        source = d.host;
        s.exfiltrating = d.host;
        break;
    }
    const start = this.now;
    const end = start + toTicks(seconds);
    s.pending = { action: a, start, end, roll, source, vuln, cred, quiet: s.quiet };
    s.busyUntil = end;
    if (d.type !== 'wait' && d.type !== 'tempo') this.writeFootprint(s, d, s.pending);
  }

  private completeAttacker(s: AttackerState): void {
    const p = s.pending!;
    s.pending = null;
    const net = this.network;
    const d = this.attackerLayout.decode(p.action);
    const t = this.time;
    let success = false;
    const sourceOk = p.source === null || this.footholdLive(s, p.source);
    const targetUp = (h: number): boolean => !this.isolated[h] && this.offlineUntil[h]! <= this.now;
    switch (d.type) {
      case 'wait':
        success = true;
        break;
      case 'tempo':
        s.quiet = d.quiet;
        success = true;
        this.emit({ t, type: 'tempo', agent: s.id, quiet: d.quiet });
        break;
      case 'scanZone': {
        if (!sourceOk) break;
        const reach = this.reachability(s);
        const pr = d.stealthy ? SIM.scanZoneStealthy.discover : SIM.scanZoneFast.discover;
        for (const h of net.zoneHosts[d.zone]!) {
          if (!s.discovered[h] && targetUp(h) && reach.host(h) && s.rng.next() < pr) {
            s.discovered[h] = 1;
            success = true;
          }
        }
        break;
      }
      case 'scanHost':
        if (sourceOk && targetUp(d.host)) {
          s.scanned[d.host] = 1;
          success = true;
        }
        break;
      case 'exploit': {
        const v = net.vulns[p.vuln]!;
        if (sourceOk && targetUp(d.host) && p.roll && s.priv[d.host]! < v.grants) {
          this.grant(s, d.host, v.grants, v.id);
          success = true;
        }
        break;
      }
      case 'escalate': {
        const v = net.vulns[p.vuln]!;
        if (targetUp(d.host) && s.priv[d.host] === PRIV_USER && p.roll) {
          this.grant(s, d.host, PRIV_ROOT, v.id);
          success = true;
        }
        break;
      }
      case 'lateral': {
        const c = p.cred;
        if (sourceOk && targetUp(d.host) && c >= 0 && s.credHeld[c] === this.credEpoch[c] && net.credValidOn[c]![d.host]) {
          if (net.credPriv[c]! > s.priv[d.host]!) this.grant(s, d.host, net.credPriv[c]!, net.credIds[c]!);
          success = true;
        }
        break;
      }
      case 'exfiltrate':
        s.exfiltrating = -1;
        if (s.priv[d.host]! >= PRIV_USER && targetUp(d.host)) {
          const value = net.hostValue[d.host]!;
          this.emit({ t, type: 'exfiltration', agent: s.id, host: d.host, value });
          this.rewardAttackers(s.id, value);
          this.rewardDefenders(-value);
          success = true;
        }
        break;
    }
    if (d.type !== 'wait' && d.type !== 'tempo') {
      const host = 'host' in d ? d.host : null;
      const zone = d.type === 'scanZone' ? d.zone : null;
      this.emit({ t, type: 'attack', agent: s.id, action: d.type, ...(d.type === 'scanZone' ? { stealthy: d.stealthy } : {}), ...(p.quiet ? { quiet: true } : {}), host, zone, source: p.source, start: p.start / TICKS_PER_SECOND, success });
    }
    s.lastOutcome = { action: p.action, success };
    this.attackerVersion.set(s.id, (this.attackerVersion.get(s.id) ?? 0) + 1);
  }

  private grant(s: AttackerState, h: number, priv: number, via: string): void {
    const net = this.network;
    const before = s.priv[h]!;
    if (priv <= before) return;
    s.priv[h] = priv;
    this.statusVersion++;
    s.discovered[h] = 1;
    s.scanned[h] = 1;
    if (net.crownJewel[h]) s.crownKnown[h] = 1;
    this.everCompromised = true;
    const value = net.hostValue[h]!;
    this.rewardAttackers(s.id, value * (before === PRIV_NONE ? 0.1 : 0.05));
    if (priv === PRIV_ROOT) for (const c of net.credsOnHost[h]!) s.credHeld[c] = this.credEpoch[c]!;
    this.emit({ t: this.time, type: 'compromise', agent: s.id, host: h, privilege: priv === PRIV_ROOT ? 'root' : 'user', via });
  }

  private loseFoothold(s: AttackerState, h: number, reason: string): void {
    if (s.priv[h] === PRIV_NONE) return;
    s.priv[h] = PRIV_NONE;
    this.statusVersion++;
    s.lostFoothold = true;
    if (!this.isolated[h]) this.rewardAttackers(s.id, -SIM.footholdLossPenalty * this.network.hostValue[h]!);
    if (s.exfiltrating === h && s.pending) s.exfiltrating = -1;
    this.emit({ t: this.time, type: 'foothold-lost', agent: s.id, host: h, reason });
  }

  // ---------------------------------------------------------------- defender actions

  private startDefender(d: DefenderState, raw: Action | undefined): void {
    const L = this.defenderLayout;
    let a = typeof raw === 'number' ? raw : raw === undefined ? 0 : raw.action;
    if (!Number.isInteger(a) || a < 0 || a >= L.n) throw new RangeError(`${d.id}: action ${String(a)} is outside 0..${L.n - 1}`);
    if (raw !== undefined && typeof raw !== 'number' && raw.alerts) for (const al of raw.alerts) this.postAlert(d, al);
    d.invalid = false;
    if (!this.actionMask(d.id)[a]) {
      d.invalid = true;
      a = 0;
    }
    const dec = L.decode(a);
    let end: number;
    if (dec.type === 'monitor') {
      end = (Math.floor(this.now / this.windowTicks) + 1) * this.windowTicks;
    } else {
      end = this.now + toTicks(SIM.defender[dec.type]);
      const healthy = !this.hostTouched(dec.host);
      this.emit({ t: this.time, type: 'response', agent: d.id, action: dec.type, host: dec.host, healthy, end: end / TICKS_PER_SECOND });
      if (dec.type === 'restore') this.healthyHost[dec.host] = 0;
      else if (healthy) this.healthyHost[dec.host] = 1;
      this.chargeResponse(dec, healthy);
    }
    d.pending = { action: a, start: this.now, end };
    d.busyUntil = end;
  }

  private completeDefender(d: DefenderState): void {
    const p = d.pending!;
    d.pending = null;
    const dec = this.defenderLayout.decode(p.action);
    if (dec.type === 'monitor') return;
    const h = dec.host;
    let effective = false;
    switch (dec.type) {
      case 'isolate':
        this.isolated[h] = 1;
        effective = this.attackers.some((s) => s.priv[h]! > 0);
        for (const s of this.attackers) if (s.priv[h]! > 0) this.rewardAttackers(s.id, -SIM.footholdLossPenalty * this.network.hostValue[h]!);
        break;
      case 'block':
        this.blocked[h] = 1;
        effective = this.attackers.some((s) => s.priv[h]! > 0);
        break;
      case 'resetCredentials':
        for (const c of this.credsAround(h)) {
          this.credEpoch[c]!++;
          effective ||= this.attackers.some((s) => s.credHeld[c]! >= 0);
        }
        break;
      case 'killProcess':
        for (const s of this.attackers) {
          const pr = s.priv[h]!;
          if (pr === PRIV_NONE) continue;
          if (this.rng.next() < (pr === PRIV_ROOT ? SIM.killRemoves.root : SIM.killRemoves.user)) {
            this.loseFoothold(s, h, 'process killed');
            effective = true;
          }
        }
        break;
      case 'reimage':
        for (const s of this.attackers) {
          if (s.priv[h]! > 0) effective = true;
          this.loseFoothold(s, h, 'reimaged');
          s.scanned[h] = 0;
        }
        this.offlineUntil[h] = this.now + toTicks(SIM.reimageDowntime);
        this.nextOnline = Math.min(this.nextOnline, this.offlineUntil[h]!);
        this.isolated[h] = 0;
        this.blocked[h] = 0;
        break;
      case 'restore':
        this.isolated[h] = 0;
        this.blocked[h] = 0;
        effective = true;
        break;
    }
    d.lastOutcome = { action: p.action, success: effective };
    this.emit({ t: this.time, type: 'response-done', agent: d.id, action: dec.type, host: h, effective });
    this.statusVersion++;
  }

  private postAlert(d: DefenderState, al: AlertMsg): void {
    const h = al.host;
    if (!Number.isInteger(h) || h < 0 || h >= this.network.nHosts) throw new RangeError(`${d.id}: alert host ${h} out of range`);
    this.alerts.push({ ...al, from: d.id, time: this.time });
    this.emit({ t: this.time, type: 'alert', agent: d.id, host: h, score: al.score, truePositive: this.hostTouched(h) });
  }

  /** Credentials a reset on host h rotates: those cached on h and those that log on to h. */
  private credsAround(h: number): number[] {
    return [...new Set([...this.network.credsOnHost[h]!, ...this.credsValidOnHost(h)])];
  }
  private credsValidCache: number[][] | null = null;
  private credsValidOnHost(h: number): number[] {
    if (!this.credsValidCache) {
      const net = this.network;
      this.credsValidCache = Array.from({ length: net.nHosts }, () => [] as number[]);
      net.credValidOn.forEach((v, c) => v.forEach((x, host) => { if (x) this.credsValidCache![host]!.push(c); }));
    }
    return this.credsValidCache[h]!;
  }

  private chargeResponse(dec: DefenderDecoded, healthy: boolean): void {
    if (dec.type === 'monitor') return;
    const w = this.businessWeight[dec.host]!;
    let cost = 0;
    if (dec.type === 'reimage') cost = SIM.reimageCostPerWeight * w;
    else if (dec.type === 'resetCredentials') cost = SIM.resetCostPerCredential * this.credsAround(dec.host).length;
    else if (dec.type === 'killProcess') cost = SIM.killCost;
    this.rewardDefenders(-cost);
    if (healthy) this.healthyCost += cost;
  }

  /**
   * Business cost of responses to healthy hosts so far: one-off costs of responses that started on a host
   * the attack had not touched, plus isolation/block/downtime of such hosts until they are restored.
   */
  get healthyResponseCost(): number {
    return this.healthyCost;
  }

  // ---------------------------------------------------------------- time, windows, telemetry

  /** Continuous rewards over `ticks`: damage from live footholds, cost of isolated/blocked/offline hosts. */
  private accrue(ticks: number): void {
    if (ticks <= 0) return;
    const dt = ticks / TICKS_PER_SECOND;
    this.updateRates();
    this.rewardDefenders(-(this.damageRate * SIM.damagePerValueSecond + this.costRate) * dt);
    this.healthyCost += this.healthyCostRate * dt;
    for (const s of this.attackers) this.stepRewards[s.id]! -= SIM.attackerTimeCost * dt;
  }

  /** Damage and cost rates and the live-foothold count change only with host status: recompute then. */
  private updateRates(): void {
    if (this.ratesVersion === this.statusVersion) return;
    this.ratesVersion = this.statusVersion;
    const net = this.network;
    let damage = 0;
    let cost = 0;
    let live = 0;
    let healthy = 0;
    for (let h = 0; h < net.nHosts; h++) {
      let held = false;
      for (const s of this.attackers) {
        if (s.priv[h]! > 0 && !this.isolated[h]) damage += net.hostValue[h]!;
        if (this.footholdLive(s, h)) held = true;
      }
      if (held) live++;
      let c = 0;
      if (this.isolated[h] || this.offlineUntil[h]! > this.now) c = SIM.isolationCostPerWeightSecond * this.businessWeight[h]!;
      else if (this.blocked[h]) c = SIM.blockCostPerWeightSecond * this.businessWeight[h]!;
      cost += c;
      if (this.healthyHost[h]) healthy += c;
    }
    this.healthyCostRate = healthy;
    this.damageRate = damage;
    this.costRate = cost;
    this.liveCount = live;
  }

  private closeWindow(): void {
    const w = this.closedWindows;
    const net = this.network;
    // C2 beacons from live footholds, every few seconds (less often for stealthier attackers).
    for (const s of this.attackers) {
      const st = effectiveStealth(s);
      const every = Math.max(1, Math.round((SIM.beaconEvery * (1 + 2 * st)) / net.window));
      const q = 1 - SIM.stealthQuieting * st;
      for (const h of this.footholdHosts(s)) {
        if (!this.isolated[h] && (w + h) % every === 0) {
          const T = this.telemetry;
          T.add(h, w, RAW.flowsOut, 1, STAGE.c2);
          T.add(h, w, RAW.packetsOut, Math.round(6 * q) + 1, STAGE.c2);
          T.add(h, w, RAW.synPackets, 1, STAGE.c2);
          T.add(h, w, RAW.bytesOut, 600 * q, STAGE.c2);
          T.add(h, w, RAW.egressBytesInternet, 600 * q, STAGE.c2);
          T.add(h, w, RAW.dnsQueries, 1, STAGE.c2);
          T.add(h, w, RAW.flowDurationSum, 0.5, STAGE.c2);
        }
      }
    }
    this.closedWindows++;
  }

  /**
   * Ground-truth label of host h in window w (0 benign, else the STAGE code): set when the attack left
   * a trace in that host-window's telemetry (see TelemetryModel.label).
   */
  label(h: number, w: number): number {
    return this.telemetry.label(h, w);
  }

  /**
   * Features of the given hosts (default: all) in closed window w, row-major hosts x N_FEATURES,
   * plus their labels. For data collection and scoring; defenders get theirs in observations.
   */
  readWindow(w: number, hosts?: ArrayLike<number>): { features: Float32Array; labels: Uint8Array } {
    if (w < 0 || w >= this.closedWindows) throw new RangeError(`window ${w} is not closed yet (closed: ${this.closedWindows})`);
    const n = hosts ? hosts.length : this.network.nHosts;
    const features = new Float32Array(n * N_FEATURES);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const h = hosts ? hosts[i]! : i;
      labels[i] = this.telemetry.readLabelled(h, w, features, i * N_FEATURES);
    }
    return { features, labels };
  }

  /**
   * Features only (no labels) of the given hosts in closed window w: what a defender's own telemetry
   * pipeline has, for defences that catch up on windows they did not see while busy.
   */
  readFeatures(w: number, hosts: ArrayLike<number>): Float32Array {
    if (w < 0 || w >= this.closedWindows) throw new RangeError(`window ${w} is not closed yet (closed: ${this.closedWindows})`);
    const out = new Float32Array(hosts.length * N_FEATURES);
    if (this.telemetryOn) for (let i = 0; i < hosts.length; i++) this.telemetry.read(hosts[i]!, w, out, i * N_FEATURES);
    return out;
  }

  /** Whether host h holds a foothold or was touched by the attack in the last few windows (alert truth). */
  hostTouched(h: number): boolean {
    if (this.attackers.some((s) => s.priv[h]! > 0)) return true;
    const cur = Math.floor(this.now / this.windowTicks);
    for (let w = Math.max(0, cur - SIM.alertTruthWindows); w <= cur; w++) if (this.telemetry.touchedStage(h, w) > STAGE.benign) return true;
    return false;
  }

  /**
   * Spread an action's telemetry over the windows it spans, on its target(s) and source. Amounts are per
   * action (split across windows by overlap); `atEnd` amounts land in the action's last window.
   */
  private writeFootprint(s: AttackerState, d: AttackerDecoded, p: Pending): void {
    const net = this.network;
    const T = this.telemetry;
    const q = 1 - SIM.stealthQuieting * effectiveStealth(s);
    const w1 = Math.floor((p.end - 1) / this.windowTicks);
    const span = p.end - p.start;
    const spread = (h: number, stage: number, vec: Float32Array, atEnd?: Float32Array): void => {
      for (let i = 0; i < vec.length; i++) vec[i]! *= q;
      T.addActivity(p.start, p.end, h, -1, vec, stage);
      if (atEnd) T.addVec(h, w1, atEnd, q, stage);
    };
    const src = p.source;
    const v = (fields: Partial<Record<keyof typeof RAW, number>>): Float32Array => {
      const out = new Float32Array(N_RAW);
      for (const [k, x] of Object.entries(fields)) out[RAW[k as keyof typeof RAW]] = x;
      return out;
    };
    switch (d.type) {
      case 'scanZone': {
        const hosts = net.zoneHosts[d.zone]!;
        const k = d.stealthy ? 0.4 : 3;
        const target = v({ flowsIn: k, packetsIn: k * 1.3, synPackets: k * 1.3, failedConnections: k * 0.8, distinctSrcHosts: 1 });
        for (let i = 0; i < target.length; i++) target[i]! *= q;
        T.addActivity(p.start, p.end, -1, d.zone, target, STAGE.recon);
        const n = hosts.length;
        if (src !== null) spread(src, STAGE.recon, v({ flowsOut: k * n, packetsOut: k * 1.3 * n, synPackets: k * 1.3 * n, distinctDstHosts: n, distinctDstPorts: d.stealthy ? 2 : 12, failedConnections: k * 0.8 * n }));
        break;
      }
      case 'scanHost':
        spread(d.host, STAGE.recon, v({ flowsIn: 40, packetsIn: 50, synPackets: 50, failedConnections: 30, distinctSrcHosts: 1 }));
        if (src !== null) spread(src, STAGE.recon, v({ flowsOut: 40, packetsOut: 50, synPackets: 50, distinctDstPorts: 35, failedConnections: 30 }));
        break;
      case 'exploit': {
        const vu = net.vulns[p.vuln]!;
        const nu = vu.noise;
        const target = v({
          flowsIn: 2 + 8 * nu, packetsIn: 20 + 60 * nu, bytesIn: 2e4 + 8e4 * nu, synPackets: 2 + 8 * nu,
          failedAuth: vu.id === 'ssh-weak-password' ? 60 * nu : 0,
        });
        const onSuccess = p.roll ? v({ newProcesses: 1 + 4 * nu, privilegeEvents: vu.grants === PRIV_ROOT ? 1 + 2 * nu : 0, flowsOut: 1, bytesOut: 5e3 }) : undefined;
        spread(d.host, STAGE.exploit, target, onSuccess);
        if (src !== null) spread(src, STAGE.exploit, v({ flowsOut: 2 + 8 * nu, bytesOut: 2e4 + 8e4 * nu, packetsOut: 20 + 60 * nu }));
        break;
      }
      case 'escalate': {
        const nu = net.vulns[p.vuln]!.noise;
        spread(d.host, STAGE.privesc, v({ newProcesses: 2 + 4 * nu, failedAuth: p.roll ? 0 : 1 + 3 * nu }), p.roll ? v({ privilegeEvents: 2 + 2 * nu }) : undefined);
        break;
      }
      case 'lateral': {
        const ok = p.cred >= 0 && s.credHeld[p.cred] === this.credEpoch[p.cred];
        spread(d.host, STAGE.lateral, v({ flowsIn: 3, packetsIn: 30, distinctSrcHosts: 1, failedAuth: ok ? 0 : 3 }), ok ? v({ successAuth: 1, remoteAdminSessions: 1, newProcesses: 2 }) : undefined);
        if (src !== null) spread(src, STAGE.lateral, v({ flowsOut: 3, packetsOut: 30, distinctDstHosts: 1, distinctDstPorts: 1 }));
        break;
      }
      case 'exfiltrate': {
        const bytes = 2e6 * (1 + net.hostValue[d.host]! / 10);
        spread(d.host, STAGE.exfiltration, v({ bytesOut: bytes, egressBytesInternet: bytes, packetsOut: bytes / 1200, flowsOut: 4, flowDurationSum: (span / TICKS_PER_SECOND) * 4 }));
        break;
      }
      case 'wait':
        break;
    }
  }

  // ---------------------------------------------------------------- observations

  private observe(id: string): Observation {
    if (this.isAttacker(id)) return { kind: 'attacker', time: this.time, vector: this.attackerVector(this.attacker(id)) };
    const d = this.defender(id);
    const w = this.closedWindows - 1;
    const status = new Uint8Array(d.hosts.length);
    for (let i = 0; i < d.hosts.length; i++) {
      const h = d.hosts[i]!;
      status[i] = (this.isolated[h] ? STATUS_ISOLATED : 0) | (this.blocked[h] ? STATUS_BLOCKED : 0) | (this.offlineUntil[h]! > this.now ? STATUS_OFFLINE : 0);
    }
    const cutoff = this.time - SIM.alertDelay + 1e-9;
    const inbox: ReceivedAlert[] = [];
    let i = d.inboxCursor;
    for (; i < this.alerts.length && this.alerts[i]!.time <= cutoff; i++) if (this.alerts[i]!.from !== d.id) inbox.push(this.alerts[i]!);
    d.inboxCursor = i;
    return new DefenderObs(this.time, w, d.hosts, status, inbox, this.telemetryOn ? this.telemetry : null);
  }

  private vectorCache = new Map<string, { key: string; v: Float32Array; footholds: number }>();
  private attackerVector(s: AttackerState): Float32Array {
    const net = this.network;
    const H = net.nHosts;
    const key = `${this.statusVersion}:${this.attackerVersion.get(s.id) ?? 0}`;
    const c = this.vectorCache.get(s.id);
    let v: Float32Array;
    let footholds = 0;
    if (c && c.key === key) {
      v = c.v.slice();
      footholds = c.footholds;
    } else {
      ({ v, footholds } = this.attackerHostVector(s));
      this.vectorCache.set(s.id, { key, v: v.slice(), footholds });
    }
    const g = H * K;
    v[g] = this.now / this.limitTicks;
    v[g + 1] = footholds / H;
    let held = 0;
    for (let c = 0; c < s.credHeld.length; c++) if (s.credHeld[c]! >= 0) held++;
    v[g + 2] = s.credHeld.length ? held / s.credHeld.length : 0;
    v[g + 3] = s.lostFoothold ? 1 : 0;
    v[g + 4] = s.quiet ? 1 : 0;
    s.lostFoothold = false;
    return v;
  }

  private attackerHostVector(s: AttackerState): { v: Float32Array; footholds: number } {
    const net = this.network;
    const H = net.nHosts;
    const v = new Float32Array(H * K + G);
    const reach = this.reachability(s);
    let footholds = 0;
    for (let h = 0; h < H; h++) {
      const o = h * K;
      const p = s.priv[h]!;
      if (p > 0) footholds++;
      if (!s.discovered[h]) continue;
      v[o] = 1;
      v[o + 1] = s.scanned[h]!;
      v[o + 2] = p >= PRIV_USER ? 1 : 0;
      v[o + 3] = p === PRIV_ROOT ? 1 : 0;
      v[o + 4] = s.crownKnown[h]!;
      v[o + 5] = this.usableCred(s, h, p) >= 0 ? 1 : 0;
      v[o + 6] = reach.host(h) ? 1 : 0;
      v[o + 7] = s.scanned[h] ? net.exploitSlots[h]!.length / net.maxSlots : 0;
      v[o + 8] = ZONE_KIND_CODE[net.zoneKinds[net.hostZone[h]!]!]! / 5;
    }
    return { v, footholds };
  }

  private info(id: string, elapsed: number): AgentInfo {
    const st = this.state(id);
    const isA = 'priv' in st;
    const info: AgentInfo = { role: isA ? 'attacker' : 'defender', ready: st.busyUntil <= this.now && !this.done, elapsed, busyUntil: st.busyUntil / TICKS_PER_SECOND };
    if (st.invalid) info.invalidAction = true;
    if (st.lastOutcome) info.lastOutcome = st.lastOutcome;
    return info;
  }

  // ---------------------------------------------------------------- queries (tests, metrics, agents)

  /** True privilege of attacker `agent` on host h: 0 none, 1 user, 2 root. */
  privilege(agent: string, h: number): number {
    return this.attacker(agent).priv[h]!;
  }
  /** What attacker `agent` knows: discovered, scanned, crown jewel known, credentials held. */
  attackerKnowledge(agent: string): { discovered: Uint8Array; scanned: Uint8Array; crownKnown: Uint8Array; credentialsHeld: number[]; quiet: boolean } {
    const s = this.attacker(agent);
    return {
      quiet: s.quiet,
      discovered: s.discovered.slice(),
      scanned: s.scanned.slice(),
      crownKnown: s.crownKnown.slice(),
      credentialsHeld: [...s.credHeld.keys()].filter((c) => s.credHeld[c]! >= 0),
    };
  }
  hostStatus(h: number): { isolated: boolean; blocked: boolean; offline: boolean } {
    return { isolated: !!this.isolated[h], blocked: !!this.blocked[h], offline: this.offlineUntil[h]! > this.now };
  }
  /** Number of hosts where some attacker holds a foothold that is not isolated or offline. */
  liveFootholds(): number {
    this.updateRates();
    return this.liveCount;
  }
  /** Hosts any attacker holds with at least user privilege (live or contained). */
  compromisedHosts(): number[] {
    const out: number[] = [];
    for (let h = 0; h < this.network.nHosts; h++) if (this.attackers.some((s) => s.priv[h]! > 0)) out.push(h);
    return out;
  }

  // ---------------------------------------------------------------- helpers

  private footholdLive(s: AttackerState, h: number): boolean {
    return s.priv[h]! > 0 && !this.isolated[h] && this.offlineUntil[h]! <= this.now;
  }

  private anyReady(): boolean {
    for (const a of this.attackers) if (a.busyUntil <= this.now) return true;
    for (const d of this.defenders) if (d.busyUntil <= this.now) return true;
    return false;
  }

  private exfiltrated(): boolean {
    return this.stepEvents.some((e) => e.type === 'exfiltration');
  }

  /** A held credential (any epoch: the attacker cannot tell a rotated one) that raises privilege on h; -1 none. */
  private usableCred(s: AttackerState, h: number, priv: number): number {
    const c = this.bestCreds(s)[h]!;
    return c >= 0 && this.network.credPriv[c]! > priv ? c : -1;
  }

  /** Hosts where attacker s holds a foothold (cached until a foothold or host status changes). */
  private footholdCache = new Map<string, { key: number; hosts: number[] }>();
  private footholdHosts(s: AttackerState): number[] {
    const c = this.footholdCache.get(s.id);
    if (c && c.key === this.statusVersion) return c.hosts;
    const hosts: number[] = [];
    for (let h = 0; h < this.network.nHosts; h++) if (s.priv[h]! > 0) hosts.push(h);
    this.footholdCache.set(s.id, { key: this.statusVersion, hosts });
    return hosts;
  }

  /** Per host, the highest-privilege held credential that logs on to it (-1 none); cached per attacker state. */
  private credCache = new Map<string, { key: string; best: Int32Array }>();
  private bestCreds(s: AttackerState): Int32Array {
    const key = `${this.statusVersion}:${this.attackerVersion.get(s.id) ?? 0}`;
    const c = this.credCache.get(s.id);
    if (c && c.key === key) return c.best;
    const net = this.network;
    const best = new Int32Array(net.nHosts).fill(-1);
    for (let cr = 0; cr < s.credHeld.length; cr++) {
      if (s.credHeld[cr]! < 0) continue;
      const valid = net.credValidOn[cr]!;
      for (let h = 0; h < net.nHosts; h++) if (valid[h] && (best[h]! < 0 || net.credPriv[cr]! > net.credPriv[best[h]!]!)) best[h] = cr;
    }
    this.credCache.set(s.id, { key, best });
    return best;
  }

  private bestLocal(h: number): number {
    const net = this.network;
    let best = -1;
    for (const v of net.localVulns[h]!) if (best < 0 || net.vulns[v]!.success > net.vulns[best]!.success) best = v;
    return best;
  }

  /**
   * Where attacker s can reach from its live footholds and the internet. A blocked foothold reaches only
   * its own zone; an isolated or offline one reaches nothing.
   */
  private reachCache = new Map<string, { key: string; r: Reach }>();
  private reachability(s: AttackerState): Reach {
    const key = `${this.statusVersion}:${this.attackerVersion.get(s.id) ?? 0}:${this.now}`;
    const c = this.reachCache.get(s.id);
    if (c && c.key === key) return c.r;
    const r = this.computeReach(s);
    this.reachCache.set(s.id, { key, r });
    return r;
  }

  private computeReach(s: AttackerState): Reach {
    const net = this.network;
    const Z = net.nZones;
    const same = new Uint8Array(Z);
    const cross = new Uint8Array(Z);
    cross[net.internetZone] = 1;
    const footholdsByZone: number[][] = Array.from({ length: Z }, () => []);
    for (let h = 0; h < net.nHosts; h++) {
      if (!this.footholdLive(s, h)) continue;
      const z = net.hostZone[h]!;
      same[z] = 1;
      if (!this.blocked[h]) cross[z] = 1;
      footholdsByZone[z]!.push(h);
    }
    const zone = new Uint8Array(Z);
    for (let to = 0; to < Z; to++) {
      if (same[to]) zone[to] = 1;
      else for (let from = 0; from < Z; from++) if (cross[from] && net.zoneReachableFrom(from, to)) zone[to] = 1;
    }
    const port = (h: number, p: number): boolean => {
      const to = net.hostZone[h]!;
      if (same[to]) return true;
      for (let from = 0; from < Z; from++) if (cross[from] && net.portAllowed(from, to, p)) return true;
      return false;
    };
    const anyPort = (h: number, mgmtOnly: boolean): boolean => {
      for (const p of net.hostPorts[h]!) if ((!mgmtOnly || p === 22 || p === 3389 || p === 445 || p === 5985) && port(h, p)) return true;
      return net.hostZone[h] !== undefined && same[net.hostZone[h]!] === 1 && !mgmtOnly;
    };
    /** The foothold an action comes from: same zone first, else one whose zone passes the firewall; null = the internet. */
    const pick = (to: number, ok: (from: number) => boolean): number | null => {
      const local = footholdsByZone[to]!;
      if (local.length) return local[hash32(this.seed, this.now, to) % local.length]!;
      for (let from = 0; from < Z; from++) {
        if (from === net.internetZone || !cross[from] || !ok(from)) continue;
        const c = footholdsByZone[from]!.filter((h) => !this.blocked[h]);
        if (c.length) return c[hash32(this.seed, this.now, from) % c.length]!;
      }
      return null;
    };
    const MG = [22, 3389, 445, 5985];
    return {
      zone,
      host: (h) => anyPort(h, false),
      port,
      mgmt: (h) => anyPort(h, true),
      sourceForZone: (z) => pick(z, (from) => net.zoneReachableFrom(from, z)),
      sourceForHost: (h, p) =>
        pick(net.hostZone[h]!, (from) =>
          p >= 0 ? net.portAllowed(from, net.hostZone[h]!, p)
          : p === -2 ? MG.some((m) => net.hostPorts[h]!.includes(m) && net.portAllowed(from, net.hostZone[h]!, m))
          : net.hostReachableFrom(from, h)),
    };
  }

  private rewardAttackers(id: string, r: number): void {
    this.stepRewards[id] = (this.stepRewards[id] ?? 0) + r;
  }
  private rewardDefenders(r: number): void {
    for (const d of this.defenders) this.stepRewards[d.id] = (this.stepRewards[d.id] ?? 0) + r;
  }

  private emit(e: RangeEvent): void {
    this.stepEvents.push(e);
    this.log.push(e);
  }

  private attacker(id: string): AttackerState {
    const a = this.byId.get(id);
    if (!a || !('priv' in a)) throw new RangeError(`unknown attacker "${id}"`);
    return a;
  }
  private defender(id: string): DefenderState {
    const d = this.byId.get(id);
    if (!d || !('zones' in d)) throw new RangeError(`unknown defender "${id}"`);
    return d;
  }
  private state(id: string): AttackerState | DefenderState {
    const x = this.byId.get(id);
    if (!x) throw new RangeError(`unknown agent "${id}"`);
    return x;
  }
  private assertStarted(): void {
    if (!this.started) throw new Error('call reset() before using the env');
  }
}

