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
import { AttackerActionLayout, DefenderActionLayout } from './actions.js';
import { attackerMask, completeAttacker, startAttacker } from './attacker-actions.js';
import { Costs } from './costs.js';
import { completeDefender, defenderMask, startDefender } from './defender-actions.js';
import { writeBeacons } from './footprint.js';
import { Network } from './network.js';
import { AttackerEncoder, G, K, observeDefender } from './observations.js';
import { simParams, TICKS_PER_SECOND, toTicks, type SimOverrides, type SimParams } from './params.js';
import { ATTACK_STAGES, type AttackStage, type Scenario } from './scenario.js';
import { N_FEATURES, TelemetryModel } from './telemetry.js';
import type { Action, AgentInfo, Observation, RangeEvent, StepResult } from './types.js';
import { World, type AttackerState, type DefenderState } from './world.js';

export { TICKS_PER_SECOND } from './params.js';
export { ATTACKER_HOST_FEATURES, ATTACKER_GLOBAL_FEATURES, STATUS_ISOLATED, STATUS_BLOCKED, STATUS_OFFLINE } from './observations.js';
export type { AlertMsg, ReceivedAlert, AttackerObservation, DefenderObservation, Observation, Action, DefenderAction, RangeEvent, AgentInfo, StepResult } from './types.js';

export interface RangeEnvOptions {
  /** Telemetry on (default). Off skips generating defender features (they get zeros); labels still kept. */
  telemetry?: boolean;
  /** Override agent lists (defaults: the scenario's). */
  attackers?: { id: string; stealth?: number; stages?: readonly AttackStage[]; startAfter?: number }[];
  defenders?: { id: string; zones: string[] }[];
  /** Simulation parameter overrides (defaults: DEFAULT_SIM in params.ts). */
  sim?: SimOverrides;
}

export class RangeEnv {
  readonly network: Network;
  readonly sim: Readonly<SimParams>;
  readonly attackerLayout: AttackerActionLayout;
  readonly defenderLayout: DefenderActionLayout;
  readonly possibleAgents: string[];
  readonly attackerIds: string[];
  readonly defenderIds: string[];
  private readonly telemetryOn: boolean;
  private readonly attackerSpecs: { id: string; stealth: number; stages: readonly AttackStage[]; startAfter: number }[];
  private readonly defenderSpecs: { id: string; zones: number[] }[];
  private readonly attackerSet: Set<string>;
  private readonly w: World;
  private readonly costs: Costs;
  private readonly encoder: AttackerEncoder;
  private byId = new Map<string, AttackerState | DefenderState>();
  private started = false;
  private maskCache = new Map<string, { status: number; attacker: number; mask: Uint8Array }>();

  constructor(scenario: Scenario, opts: RangeEnvOptions = {}) {
    this.network = new Network(scenario);
    const net = this.network;
    this.sim = simParams(opts.sim);
    this.telemetryOn = opts.telemetry ?? true;
    const scanZones = net.zoneKinds.map((k, i) => (k === 'internet' ? -1 : i)).filter((i) => i >= 0 && net.zoneHosts[i]!.length > 0);
    this.attackerLayout = new AttackerActionLayout(scanZones, net.nHosts, net.maxSlots);
    this.defenderLayout = new DefenderActionLayout(net.nHosts, net.maxSlots);
    this.attackerSpecs = (opts.attackers ?? scenario.attackers).map((a) => ({ id: a.id, stealth: a.stealth ?? 0, stages: a.stages ?? ATTACK_STAGES, startAfter: a.startAfter ?? 0 }));
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
    this.w = new World(
      net, this.sim, this.attackerLayout, this.defenderLayout,
      new TelemetryModel(net.hostRole, net.hostZone, net.window, 0),
      toTicks(net.window), toTicks(net.timeLimit),
      Float32Array.from(net.hostValue, (v) => 1 + Math.log1p(v)),
      scenario.defenderReturn,
    );
    this.costs = new Costs(this.w);
    this.encoder = new AttackerEncoder(this.w);
  }

  /** The telemetry of the current episode (ground truth included: for collection and tests, not defenders). */
  get telemetry(): TelemetryModel {
    return this.w.telemetry;
  }
  /** Simulated time now, seconds. */
  get time(): number {
    return this.w.time;
  }
  get windowSeconds(): number {
    return this.w.windowTicks / TICKS_PER_SECOND;
  }
  get timeLimit(): number {
    return this.w.limitTicks / TICKS_PER_SECOND;
  }
  /** Number of telemetry windows closed so far (windows 0 .. n-1 can be read). */
  get windowsClosed(): number {
    return this.w.closedWindows;
  }
  get isDone(): boolean {
    return this.w.done;
  }
  /** Every event of the episode so far. */
  get eventLog(): readonly RangeEvent[] {
    return this.w.log;
  }

  reset(opts: { seed?: number } = {}): { observations: Record<string, Observation>; infos: Record<string, AgentInfo> } {
    const net = this.network;
    const w = this.w;
    const H = net.nHosts;
    w.seed = (opts.seed ?? 0) >>> 0;
    w.rng = new Rng(w.seed).split('env');
    w.telemetry = new TelemetryModel(net.hostRole, net.hostZone, net.window, hash32(w.seed, 0x7e1));
    w.now = 0;
    w.closedWindows = 0;
    w.isolated = new Uint8Array(H);
    w.blocked = new Uint8Array(H);
    w.offlineUntil = new Int32Array(H);
    w.credEpoch = new Int32Array(net.credIds.length);
    w.parts = { damage: 0, exfiltration: 0, business: 0 };
    w.hostBusinessCost = new Float64Array(H);
    w.patched = new Uint8Array(H * net.maxSlots);
    w.blockedInfra = new Set();
    w.seenInfra = Array.from({ length: H }, () => new Map<string, number>());
    w.wasLive = new Uint8Array(this.attackerSpecs.length * H);
    w.everHeld = new Uint8Array(this.attackerSpecs.length * H);
    w.livenessVersion = -1;
    w.alerts = [];
    w.everCompromised = false;
    w.done = false;
    this.started = true;
    w.log = [];
    w.stepEvents = [];
    this.maskCache.clear();
    w.clearCaches();
    this.encoder.reset();
    this.costs.reset();
    w.statusVersion++;
    w.nextOnline = Infinity;
    w.attackers = this.attackerSpecs.map((a, index) => ({
      id: a.id,
      index,
      infra: 0,
      stages: new Set(a.stages),
      startTick: toTicks(a.startAfter) * (a.startAfter > 0 ? 1 : 0),
      stealth: a.stealth,
      quiet: false,
      rng: w.rng.split(`attacker:${a.id}`),
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
      version: 0,
    }));
    w.defenders = this.defenderSpecs.map((d) => ({
      id: d.id,
      zones: d.zones,
      hosts: Int32Array.from(d.zones.flatMap((z) => net.zoneHosts[z]!)).sort(),
      busyUntil: 0,
      lastDecision: 0,
      pending: null,
      inboxCursor: 0,
      invalid: false,
    }));
    this.byId = new Map<string, AttackerState | DefenderState>([...w.attackers.map((a) => [a.id, a] as const), ...w.defenders.map((d) => [d.id, d] as const)]);
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
    const a = isA ? this.attacker(agent) : null;
    // An attacker that has not started yet may only wait: its mask changes with the clock then.
    const version = a ? a.version * 2 + (this.w.now < a.startTick ? 1 : 0) : 0;
    const cached = this.maskCache.get(agent);
    if (cached && cached.status === this.w.statusVersion && cached.attacker === version) return cached.mask;
    const mask = a ? attackerMask(this.w, a) : defenderMask(this.w, this.defender(agent));
    this.maskCache.set(agent, { status: this.w.statusVersion, attacker: version, mask });
    return mask;
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
        case 'rotate': return 'rotate infrastructure (new outside addresses)';
        case 'exploit': {
          const slot = net.exploitSlots[d.host]![d.slot];
          return `exploit ${slot ? net.vulns[slot.vuln]!.id : `slot ${d.slot}`} on ${net.hostIds[d.host]}`;
        }
        default: return `${d.type} ${net.hostIds[d.host]}`;
      }
    }
    const d = this.defenderLayout.decode(a);
    if (d.type === 'patch') {
      const slot = net.exploitSlots[d.host]![d.slot];
      return `patch ${slot ? net.vulns[slot.vuln]!.id : `slot ${d.slot}`} on ${net.hostIds[d.host]}`;
    }
    return d.type === 'monitor' ? 'monitor' : `${d.type} ${net.hostIds[d.host]}`;
  }

  // ---------------------------------------------------------------- step

  step(actions: Record<string, Action | undefined>): StepResult {
    this.assertStarted();
    const w = this.w;
    if (w.done) throw new Error('step() called after the episode ended; call reset()');
    w.stepEvents = [];
    const rewards: Record<string, number> = {};
    for (const id of this.possibleAgents) rewards[id] = 0;
    w.stepRewards = rewards;
    const t0 = w.now;
    for (const a of w.attackers) if (a.busyUntil <= w.now) startAttacker(w, a, actions[a.id], this.actionMask(a.id));
    for (const d of w.defenders) if (d.busyUntil <= w.now) startDefender(w, d, actions[d.id], () => this.actionMask(d.id));

    let terminated = false;
    let truncated = false;
    for (;;) {
      let next = (w.closedWindows + 1) * w.windowTicks;
      for (const a of w.attackers) if (a.busyUntil > w.now && a.busyUntil < next) next = a.busyUntil;
      for (const d of w.defenders) if (d.busyUntil > w.now && d.busyUntil < next) next = d.busyUntil;
      if (next > w.limitTicks) next = w.limitTicks;
      if (w.nextOnline > w.now && w.nextOnline < next) next = w.nextOnline;
      this.costs.accrue(next - w.now);
      w.now = next;
      if (w.now >= w.nextOnline) {
        w.statusVersion++;
        w.nextOnline = Infinity;
        for (let h = 0; h < this.network.nHosts; h++) if (w.offlineUntil[h]! > w.now) w.nextOnline = Math.min(w.nextOnline, w.offlineUntil[h]!);
      }
      if (w.now === (w.closedWindows + 1) * w.windowTicks) this.closeWindow();
      for (const d of w.defenders) if (d.pending && d.pending.end === w.now) completeDefender(w, d);
      for (const a of w.attackers) if (a.pending && a.pending.end === w.now) completeAttacker(w, a);
      this.checkLiveness();
      // Containment is not the end: only the attacker's objective or the time limit ends an episode.
      if (w.stepEvents.some((e) => e.type === 'exfiltration')) {
        terminated = true;
        this.costs.accrueDamageUntil(w.limitTicks);
      }
      if (!terminated && w.now >= w.limitTicks) truncated = true;
      if (terminated || truncated) break;
      if (this.anyReady()) break;
    }
    w.done = terminated || truncated;

    const observations: Record<string, Observation> = {};
    const infos: Record<string, AgentInfo> = {};
    const terminations: Record<string, boolean> = {};
    const truncations: Record<string, boolean> = {};
    for (const id of this.possibleAgents) {
      const st = this.state(id);
      const ready = st.busyUntil <= w.now || w.done;
      if (ready) observations[id] = this.observe(id);
      infos[id] = this.info(id, ready ? (w.now - st.lastDecision) / TICKS_PER_SECOND : 0);
      terminations[id] = terminated;
      truncations[id] = truncated;
    }
    for (const a of w.attackers) if (a.busyUntil <= w.now) a.lastDecision = w.now;
    for (const d of w.defenders) if (d.busyUntil <= w.now) d.lastDecision = w.now;
    return {
      observations,
      rewards: w.stepRewards,
      terminations,
      truncations,
      infos,
      events: w.stepEvents,
      time: w.time,
      dt: (w.now - t0) / TICKS_PER_SECOND,
    };
  }

  private anyReady(): boolean {
    const w = this.w;
    for (const a of w.attackers) if (a.busyUntil <= w.now) return true;
    for (const d of w.defenders) if (d.busyUntil <= w.now) return true;
    return false;
  }

  /**
   * Foothold contact changes since the last check: an implant cut off by isolation or downtime is
   * contained; one whose host comes back (restore, end of downtime) is reconnected. Gains and
   * eradications emit their own events where they happen (attacker-actions.ts).
   */
  private checkLiveness(): void {
    const w = this.w;
    if (w.livenessVersion === w.statusVersion) return;
    w.livenessVersion = w.statusVersion;
    const H = this.network.nHosts;
    for (const s of w.attackers) {
      for (let h = 0; h < H; h++) {
        if (s.priv[h]! <= 0) continue;
        const k = s.index * H + h;
        const live = w.footholdLive(s, h) ? 1 : 0;
        if (live === w.wasLive[k]) continue;
        w.wasLive[k] = live;
        if (live) w.emit({ t: w.time, type: 'foothold-reconnected', agent: s.id, host: h });
        else w.emit({ t: w.time, type: 'foothold-contained', agent: s.id, host: h, reason: w.isolated[h] ? 'isolated' : 'offline' });
      }
    }
  }

  private closeWindow(): void {
    writeBeacons(this.w, this.w.closedWindows);
    this.w.closedWindows++;
  }

  // ---------------------------------------------------------------- observations

  private observe(id: string): Observation {
    if (this.isAttacker(id)) return { kind: 'attacker', time: this.time, vector: this.encoder.vector(this.attacker(id)) };
    return observeDefender(this.w, this.defender(id), this.telemetryOn);
  }

  private info(id: string, elapsed: number): AgentInfo {
    const st = this.state(id);
    const isA = 'priv' in st;
    const info: AgentInfo = { role: isA ? 'attacker' : 'defender', ready: st.busyUntil <= this.w.now && !this.w.done, elapsed, busyUntil: st.busyUntil / TICKS_PER_SECOND };
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
    const w = this.w;
    return { isolated: !!w.isolated[h], blocked: !!w.blocked[h], offline: w.offlineUntil[h]! > w.now };
  }
  /** Number of hosts where some attacker holds a foothold that is not isolated or offline. */
  liveFootholds(): number {
    return this.costs.liveFootholds();
  }
  /** Hosts any attacker holds with at least user privilege (live or contained). */
  compromisedHosts(): number[] {
    const out: number[] = [];
    for (let h = 0; h < this.network.nHosts; h++) if (this.w.attackers.some((s) => s.priv[h]! > 0)) out.push(h);
    return out;
  }
  /**
   * The defender return of the episode so far: minus damage (host value x seconds of attacker control of
   * live footholds), exfiltration losses and business cost (isolation, block and downtime of hosts
   * without a foothold, and one-off response costs), weighted by the scenario's defenderReturn.
   */
  get defenderReturn(): { total: number; damage: number; exfiltration: number; business: number } {
    const p = this.w.parts;
    return { total: -(p.damage + p.exfiltration + p.business), ...p };
  }
  /** Business cost so far on host h (its share of the return's business part). */
  hostBusinessCost(h: number): number {
    return this.w.hostBusinessCost[h]!;
  }
  /** Whether vulnerability slot `slot` of host h has been patched. */
  isPatched(h: number, slot: number): boolean {
    return this.w.patched[h * this.network.maxSlots + slot] === 1;
  }

  /**
   * Ground-truth label of host h in window w (0 benign, else the STAGE code): set when the attack left
   * a trace in that host-window's telemetry (see TelemetryModel.label).
   */
  label(h: number, w: number): number {
    return this.w.telemetry.label(h, w);
  }

  /**
   * Features of the given hosts (default: all) in closed window w, row-major hosts x N_FEATURES,
   * plus their labels. For data collection and scoring; defenders get theirs in observations.
   */
  readWindow(w: number, hosts?: ArrayLike<number>): { features: Float32Array; labels: Uint8Array } {
    if (w < 0 || w >= this.w.closedWindows) throw new RangeError(`window ${w} is not closed yet (closed: ${this.w.closedWindows})`);
    const n = hosts ? hosts.length : this.network.nHosts;
    const features = new Float32Array(n * N_FEATURES);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const h = hosts ? hosts[i]! : i;
      labels[i] = this.w.telemetry.readLabelled(h, w, features, i * N_FEATURES);
    }
    return { features, labels };
  }

  /**
   * Features only (no labels) of the given hosts in closed window w: what a defender's own telemetry
   * pipeline has, for defences that catch up on windows they did not see while busy.
   */
  readFeatures(w: number, hosts: ArrayLike<number>): Float32Array {
    if (w < 0 || w >= this.w.closedWindows) throw new RangeError(`window ${w} is not closed yet (closed: ${this.w.closedWindows})`);
    const out = new Float32Array(hosts.length * N_FEATURES);
    if (this.telemetryOn) for (let i = 0; i < hosts.length; i++) this.w.telemetry.read(hosts[i]!, w, out, i * N_FEATURES);
    return out;
  }

  /** Whether host h holds a foothold or was touched by the attack in the last few windows (alert truth). */
  hostTouched(h: number): boolean {
    return this.w.hostTouched(h);
  }

  // ---------------------------------------------------------------- helpers

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
