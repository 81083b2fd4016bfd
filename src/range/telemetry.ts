/**
 * Host telemetry: per host and per window (1 s by default) a named feature vector modelled on the flow
 * features of CICFlowMeter (CICIDS2017) and UNSW-NB15 plus host events (authentications, processes,
 * privilege use), the sum of benign background traffic and of what attacker actions add.
 *
 * Benign traffic is a pure function of (env seed, host, window): a counter hash picks an offset into a
 * fixed table of normal deviates, so a window's values do not depend on which other windows were read
 * or in what order (the env stays deterministic whoever watches), and generating one costs a hash and a
 * few dozen table reads. The model per role: base rates, a slow activity wave with a per-host phase,
 * quiet/normal/busy regimes per minute, short bursts (backups, updates), and occasional administrator
 * sessions that look like an intrusion (logons, new processes, privilege use): the false-positive bait.
 *
 * Labels (attack stage per host-window) are ground truth for training and scoring, never shown to
 * defenders.
 */
import { Rng, hash32 } from '../shared/prng.js';
import type { Role } from './scenario.js';
import { ROLES } from './scenario.js';

/** The defender-visible feature vector, in this order. */
export const FEATURES = [
  'flowsOut',
  'flowsIn',
  'packetsOut',
  'packetsIn',
  'bytesOut',
  'bytesIn',
  'distinctDstHosts',
  'distinctDstPorts',
  'distinctSrcHosts',
  'failedConnections',
  'synRatio',
  'meanFlowDuration',
  'meanPacketSize',
  'failedAuth',
  'successAuth',
  'newProcesses',
  'privilegeEvents',
  'egressBytesInternet',
  'dnsQueries',
  'remoteAdminSessions',
  'outInByteRatio',
] as const;
export type FeatureName = (typeof FEATURES)[number];
export const N_FEATURES = FEATURES.length;

/** Raw per-window accumulators; ratios and means are derived from them when a window is read. */
export const RAW = {
  flowsOut: 0, flowsIn: 1, packetsOut: 2, packetsIn: 3, bytesOut: 4, bytesIn: 5, distinctDstHosts: 6, distinctDstPorts: 7,
  distinctSrcHosts: 8, failedConnections: 9, synPackets: 10, flowDurationSum: 11, failedAuth: 12, successAuth: 13,
  newProcesses: 14, privilegeEvents: 15, egressBytesInternet: 16, dnsQueries: 17, remoteAdminSessions: 18,
} as const;
export const N_RAW = 19;
export type RawField = keyof typeof RAW;

/** Attack stages, in increasing severity; a host-window's label is the most severe stage that touched it. */
export const STAGES = ['benign', 'c2', 'recon', 'exploit', 'privesc', 'lateral', 'exfiltration'] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE = { benign: 0, c2: 1, recon: 2, exploit: 3, privesc: 4, lateral: 5, exfiltration: 6 } as const;

/**
 * Benign base rates per second at activity 1, per role. Orders of magnitude follow typical enterprise
 * flow statistics (workstations: a few flows per second out; servers: many in), not any data set's values.
 */
interface Profile {
  flowsOut: number; flowsIn: number; pktsPerFlowOut: number; pktsPerFlowIn: number; bytesPerPktOut: number; bytesPerPktIn: number;
  dstHosts: number; dstPorts: number; srcHosts: number; failedConn: number; flowDur: number; failedAuth: number; successAuth: number;
  newProc: number; privEvents: number; egressShare: number; dns: number; adminPerMinute: number;
}
const P = (p: Profile): Profile => p;
const workstation = P({ flowsOut: 2, flowsIn: 0.3, pktsPerFlowOut: 10, pktsPerFlowIn: 6, bytesPerPktOut: 250, bytesPerPktIn: 900, dstHosts: 0.7, dstPorts: 0.5, srcHosts: 0.15, failedConn: 0.02, flowDur: 3, failedAuth: 0.003, successAuth: 0.01, newProc: 0.06, privEvents: 0.002, egressShare: 0.7, dns: 0.8, adminPerMinute: 0.01 });
const server = (over: Partial<Profile>): Profile => ({ flowsOut: 0.8, flowsIn: 4, pktsPerFlowOut: 12, pktsPerFlowIn: 8, bytesPerPktOut: 800, bytesPerPktIn: 300, dstHosts: 0.3, dstPorts: 0.2, srcHosts: 1.5, failedConn: 0.05, flowDur: 1.5, failedAuth: 0.01, successAuth: 0.05, newProc: 0.03, privEvents: 0.005, egressShare: 0.05, dns: 0.2, adminPerMinute: 0.04, ...over });
export const ROLE_PROFILES: Record<Role, Profile> = {
  workstation,
  'admin-workstation': { ...workstation, dstHosts: 1.2, dstPorts: 1, successAuth: 0.04, newProc: 0.1, privEvents: 0.01, adminPerMinute: 0.15 },
  web: server({ flowsIn: 12, srcHosts: 4, bytesPerPktOut: 1100, egressShare: 0.8, failedConn: 0.2 }),
  mail: server({ flowsIn: 3, flowsOut: 2, egressShare: 0.6, failedAuth: 0.03, dns: 1 }),
  dns: server({ flowsIn: 15, flowsOut: 6, pktsPerFlowIn: 1, pktsPerFlowOut: 1, bytesPerPktOut: 120, bytesPerPktIn: 80, flowDur: 0.05, egressShare: 0.4, dns: 0 }),
  vpn: server({ flowsIn: 2, successAuth: 0.1, failedAuth: 0.05, egressShare: 0.5, flowDur: 30 }),
  'domain-controller': server({ flowsIn: 10, srcHosts: 6, successAuth: 0.8, failedAuth: 0.05, privEvents: 0.02, bytesPerPktOut: 400 }),
  file: server({ flowsIn: 3, bytesPerPktOut: 1300, bytesPerPktIn: 1000, flowDur: 6 }),
  app: server({ flowsIn: 5, flowsOut: 3, dstHosts: 0.6 }),
  db: server({ flowsIn: 4, bytesPerPktOut: 1200, flowDur: 0.8 }),
  backup: server({ flowsIn: 0.5, flowsOut: 0.5, bytesPerPktIn: 1400, flowDur: 20, adminPerMinute: 0.06 }),
  jump: server({ flowsIn: 0.5, flowsOut: 1, successAuth: 0.05, dstHosts: 0.5, dstPorts: 0.3, adminPerMinute: 0.3 }),
  'crown-db': server({ flowsIn: 3, bytesPerPktOut: 1200, flowDur: 0.8, adminPerMinute: 0.03 }),
  historian: server({ flowsIn: 6, pktsPerFlowIn: 3, bytesPerPktIn: 200, egressShare: 0.02 }),
};

const TABLE_BITS = 16;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
/** Fixed table of standard normal deviates; the same on every machine (seeded). */
const NORMALS: Float32Array = (() => {
  const rng = new Rng(0x7e1e);
  const t = new Float32Array(1 << TABLE_BITS);
  for (let i = 0; i < t.length; i++) t[i] = rng.normal();
  return t;
})();

/** Normal deviates drawn per host-window. */
const Z_PER_WINDOW = 24;
/** exp(s z - s^2 / 2) over the normal table: lognormal factors with mean 1. */
const lognTable = (sd: number): Float32Array => NORMALS.map((z) => Math.exp(sd * z - (sd * sd) / 2));
const LOGN25 = lognTable(0.25);
const LOGN30 = lognTable(0.3);
const LOGN40 = lognTable(0.4);

/** Quiet / normal / busy regime multipliers, drawn per host per minute. */
const REGIME_MULT = [0.3, 1, 2.2];
const REGIME_CUM = [0.2, 0.85, 1];
const WAVE_PERIOD = 300; // seconds: a compressed working-day rhythm
const BURST_BLOCK = 5; // seconds
const BURST_PROB = 0.03;
const BURST_MULT = 4;
const ADMIN_BLOCK = 30; // seconds

interface Activity {
  start: number;
  end: number;
  host: number;
  zone: number;
  vec: Float32Array;
  stage: number;
}

/** Counts with Poisson-like spread: mean x, sd sqrt(x), never negative. */
function count(x: number, n: number): number {
  const v = Math.round(x + Math.sqrt(x) * n);
  return v > 0 ? v : 0;
}

/**
 * Everything needed to produce a host's telemetry window: the roles, the env seed, and the sparse
 * attack contributions and labels written by the env as actions happen.
 */
export class TelemetryModel {
  readonly nHosts: number;
  readonly window: number;
  private readonly profiles: Profile[];
  private readonly seed: number;
  private readonly phase: Float32Array;
  /** Point attack increments (beacons, an action's final effects) keyed by window * nHosts + host. */
  private readonly attack = new Map<number, Float32Array>();
  /**
   * Attack activities spread over time (scans, exploits, transfers), indexed by the windows they overlap,
   * so a zone-wide scan costs one entry per window rather than one per host and window.
   */
  private activities: Activity[] = [];
  /** Activity ids by window and host (key w * nHosts + h) and by window and zone (key w * nZones + z). */
  private readonly hostBuckets = new Map<number, number[]>();
  private readonly zoneBuckets = new Map<number, number[]>();
  private readonly nZones: number;
  private readonly hostZone: Int32Array;
  private readonly windowTicks: number;
  private readonly labels = new Map<number, number>();
  private readonly raw = new Float64Array(N_RAW);
  private readonly att = new Float64Array(N_RAW);
  private readonly z = new Float64Array(Z_PER_WINDOW);
  private readonly zi = new Int32Array(Z_PER_WINDOW);

  constructor(roles: Uint8Array, hostZone: Int32Array, window: number, seed: number) {
    this.nHosts = roles.length;
    this.hostZone = hostZone;
    this.nZones = hostZone.reduce((m, z) => Math.max(m, z + 1), 1);
    this.windowTicks = Math.round(window * 10);
    this.window = window;
    this.seed = seed >>> 0;
    this.profiles = Array.from(roles, (r) => ROLE_PROFILES[ROLES[r]!]);
    this.phase = Float32Array.from(roles, (_, h) => (hash32(this.seed, h, 0x51) / 4294967296) * 2 * Math.PI);
  }

  /** Forget attack contributions (new episode). */
  clear(): void {
    this.attack.clear();
    this.labels.clear();
    this.activities = [];
    this.hostBuckets.clear();
    this.zoneBuckets.clear();
  }

  /**
   * An attack activity from tick `start` to `end` (ticks of 0.1 s) on one host (host >= 0) or on every
   * host of a zone (zone >= 0): `vec` (raw amounts for the whole activity) is spread over the windows by
   * overlap.
   */
  addActivity(start: number, end: number, host: number, zone: number, vec: Float32Array, stage: number): void {
    const id = this.activities.length;
    this.activities.push({ start, end, host, zone, vec, stage });
    const wt = this.windowTicks;
    const map = host >= 0 ? this.hostBuckets : this.zoneBuckets;
    for (let w = Math.floor(start / wt); w <= Math.floor((end - 1) / wt); w++) {
      const key = host >= 0 ? w * this.nHosts + host : w * this.nZones + zone;
      const b = map.get(key);
      if (b) b.push(id);
      else map.set(key, [id]);
    }
  }

  /** Activity ids that may touch host h in window w (its own and its zone's). */
  private bucketsOf(h: number, w: number): [number[] | undefined, number[] | undefined] {
    return [this.hostBuckets.get(w * this.nHosts + h), this.zoneBuckets.get(w * this.nZones + this.hostZone[h]!)];
  }

  /** Fraction of an activity falling in window w for host h (0 when it does not touch h). */
  private share(a: Activity, h: number, w: number): number {
    if (a.host >= 0 ? a.host !== h : a.zone !== this.hostZone[h]) return 0;
    const wt = this.windowTicks;
    const lo = Math.max(a.start, w * wt);
    const hi = Math.min(a.end, (w + 1) * wt);
    return hi > lo ? (hi - lo) / (a.end - a.start) : 0;
  }

  /** Add `amount` of raw field `f` to host h in window w, and raise its label to `stage`. */
  add(h: number, w: number, f: number, amount: number, stage: number): void {
    const key = w * this.nHosts + h;
    let acc = this.attack.get(key);
    if (!acc) {
      acc = new Float32Array(N_RAW);
      this.attack.set(key, acc);
    }
    acc[f]! += amount;
    if (stage > (this.labels.get(key) ?? 0)) this.labels.set(key, stage);
  }

  /** Add `scale` times the raw vector `vec` to host h in window w, and raise its label to `stage`. */
  addVec(h: number, w: number, vec: Float32Array, scale: number, stage: number): void {
    const key = w * this.nHosts + h;
    let acc = this.attack.get(key);
    if (!acc) {
      acc = new Float32Array(N_RAW);
      this.attack.set(key, acc);
    }
    for (let i = 0; i < N_RAW; i++) if (vec[i] !== 0) acc[i]! += vec[i]! * scale;
    if (stage > (this.labels.get(key) ?? 0)) this.labels.set(key, stage);
  }

  /** Mark host h in window w with `stage` without adding traffic. */
  mark(h: number, w: number, stage: number): void {
    const key = w * this.nHosts + h;
    if (stage > (this.labels.get(key) ?? 0)) this.labels.set(key, stage);
  }

  /**
   * Stage of the most severe attack activity that touched host h in window w (0 = none), whether or
   * not it left a trace in the telemetry.
   */
  touchedStage(h: number, w: number): number {
    let l = this.labels.get(w * this.nHosts + h) ?? 0;
    for (const b of this.bucketsOf(h, w)) {
      if (b) for (const id of b) {
        const a = this.activities[id]!;
        if (a.stage > l && this.share(a, h, w) > 0) l = a.stage;
      }
    }
    return l;
  }

  /**
   * Ground-truth label of host h in window w: the touching stage when the attack left at least one
   * whole event (or any bytes) in this host-window's telemetry, else 0. Like a flow data set's labels,
   * it describes the record: a window in which a slow attacker's fractional footprint rounded to
   * nothing is benign telemetry, and labelling it an attack would teach detectors to flag noise.
   */
  label(h: number, w: number): number {
    const l = this.touchedStage(h, w);
    return l === 0 ? 0 : this.traced(l, this.attackRaw(h, w));
  }

  /** `stage` if the attack's rounded contribution `att` leaves any trace, else 0. */
  private traced(stage: number, att: Float64Array | null): number {
    if (att !== null) for (let i = 0; i < N_RAW; i++) if (i !== RAW.flowDurationSum && att[i]! > 0) return stage;
    return 0;
  }

  /** read() and label() of one host-window together, working out the attack's contribution once. */
  readLabelled(h: number, w: number, out: Float32Array, offset: number): number {
    const att = this.readRaw(h, w, out, offset);
    const l = att === null ? 0 : this.touchedStage(h, w);
    return l === 0 ? 0 : this.traced(l, att);
  }

  /** Activity multiplier of host h at window w (wave x regime x burst), exposed for tests. */
  activity(h: number, w: number): number {
    const t = w * this.window;
    const wave = 0.75 + 0.25 * Math.sin((2 * Math.PI * t) / WAVE_PERIOD + this.phase[h]!);
    const u = hash32(this.seed, h, Math.floor(t / 60), 0xa1) / 4294967296;
    const regime = REGIME_MULT[u < REGIME_CUM[0]! ? 0 : u < REGIME_CUM[1]! ? 1 : 2]!;
    const b = hash32(this.seed, h, Math.floor(t / BURST_BLOCK), 0xb2) / 4294967296;
    return wave * regime * (b < BURST_PROB ? BURST_MULT : 1);
  }

  /** Write host h's feature vector for window w into out[offset .. offset + N_FEATURES). */
  read(h: number, w: number, out: Float32Array, offset: number): void {
    this.readRaw(h, w, out, offset);
  }

  /** Writes the features like read() and returns the attack's rounded contribution (null: none). */
  private readRaw(h: number, w: number, out: Float32Array, offset: number): Float64Array | null {
    const p = this.profiles[h]!;
    const raw = this.raw;
    const dt = this.window;
    const a = this.activity(h, w) * dt;
    const hh = hash32(this.seed, h, w, 0xc3);
    // The k-th deviate of this host-window is table entry (base + k * stride); lognormal factors come
    // from tables of exp(s z - s^2 / 2) at the same entries (no exp/closures on the hot path).
    const stride = ((hh >>> 16) | 1) & TABLE_MASK;
    const z = this.z;
    const zi = this.zi;
    let idx = hh & TABLE_MASK;
    for (let k = 0; k < Z_PER_WINDOW; k++) {
      idx = (idx + stride) & TABLE_MASK;
      z[k] = NORMALS[idx]!;
      zi[k] = idx;
    }
    const fo = count(p.flowsOut * a, z[0]!);
    const fi = count(p.flowsIn * a, z[1]!);
    raw[RAW.flowsOut] = fo;
    raw[RAW.flowsIn] = fi;
    const po = fo * p.pktsPerFlowOut * LOGN30[zi[2]!]!;
    const pi = fi * p.pktsPerFlowIn * LOGN30[zi[3]!]!;
    raw[RAW.packetsOut] = Math.round(po);
    raw[RAW.packetsIn] = Math.round(pi);
    raw[RAW.bytesOut] = Math.round(po * p.bytesPerPktOut * LOGN25[zi[4]!]!);
    raw[RAW.bytesIn] = Math.round(pi * p.bytesPerPktIn * LOGN25[zi[5]!]!);
    raw[RAW.distinctDstHosts] = Math.min(fo, count(p.dstHosts * a, z[6]!));
    raw[RAW.distinctDstPorts] = Math.min(fo, count(p.dstPorts * a, z[7]!));
    raw[RAW.distinctSrcHosts] = Math.min(fi, count(p.srcHosts * a, z[8]!));
    raw[RAW.failedConnections] = count(p.failedConn * dt, z[9]!);
    raw[RAW.synPackets] = fo + fi + count(0.02 * (fo + fi), z[10]!);
    raw[RAW.flowDurationSum] = (fo + fi) * p.flowDur * LOGN40[zi[11]!]!;
    raw[RAW.failedAuth] = count(p.failedAuth * dt, z[12]!);
    raw[RAW.successAuth] = count(p.successAuth * a, z[13]!);
    raw[RAW.newProcesses] = count(p.newProc * a, z[14]!);
    raw[RAW.privilegeEvents] = count(p.privEvents * dt, z[15]!);
    raw[RAW.egressBytesInternet] = Math.round(raw[RAW.bytesOut]! * p.egressShare * LOGN30[zi[16]!]!);
    raw[RAW.dnsQueries] = count(p.dns * a, z[17]!);
    raw[RAW.remoteAdminSessions] = 0;
    // Administrator sessions: a burst of logons, tools and privilege use, as an intrusion would show.
    const t = w * dt;
    const block = Math.floor(t / ADMIN_BLOCK);
    const ah = hash32(this.seed, h, block, 0xd4);
    if (ah / 4294967296 < (p.adminPerMinute * ADMIN_BLOCK) / 60) {
      const start = block * ADMIN_BLOCK + ((ah >>> 8) % 20);
      const len = 3 + ((ah >>> 16) % 8);
      if (t + dt > start && t < start + len) {
        const first = t <= start && start < t + dt;
        raw[RAW.remoteAdminSessions]! += first ? 1 : 0;
        raw[RAW.successAuth]! += first ? 2 : count(0.3, z[18]!);
        raw[RAW.newProcesses]! += count(2.5, z[19]!);
        raw[RAW.privilegeEvents]! += count(1, z[20]!);
        raw[RAW.distinctDstPorts]! += count(1.5, z[21]!);
        raw[RAW.flowsOut]! += count(3, z[22]!);
        raw[RAW.failedAuth]! += z[23]! > 1.6 ? 1 : 0; // an admin mistyping a password
      }
    }
    const att = this.attackRaw(h, w);
    if (att !== null) for (let i = 0; i < N_RAW; i++) raw[i]! += att[i]!;
    // Admin sessions add ports without matching flows now and then: keep every record within the bounds.
    raw[RAW.distinctDstPorts] = Math.min(raw[RAW.distinctDstPorts]!, raw[RAW.flowsOut]!);
    derive(raw, out, offset);
    return att;
  }

  /**
   * The attack's raw contribution to host h in window w (null when there is none), with counts made
   * whole. Attack amounts are spread over windows as fractions (an action's 0.4 events over 2.5
   * windows), but a sensor counts whole events: each count is rounded stochastically (seeded by host
   * and window), so a slow attacker shows an event in some windows and none in others rather than a
   * tell-tale 0.16 in every window. Expected counts are unchanged; flow durations stay continuous.
   * Benign counts are whole, so rounding the attack part equals rounding the sum.
   */
  private attackRaw(h: number, w: number): Float64Array | null {
    const acc = this.attack.get(w * this.nHosts + h);
    const hb = this.hostBuckets.get(w * this.nHosts + h);
    const zb = this.zoneBuckets.get(w * this.nZones + this.hostZone[h]!);
    if (!acc && !hb && !zb) return null;
    const att = this.att;
    att.fill(0);
    if (acc) for (let i = 0; i < N_RAW; i++) att[i] = acc[i]!;
    if (hb) this.addActivities(att, hb, h, w);
    if (zb) this.addActivities(att, zb, h, w);
    // One uniform for the whole record: rounding is then monotone across fields (a smaller amount never
    // rounds above a larger one), so related counts stay consistent with each other.
    const u = hash32(this.seed, h, w, 0xe0) / 4294967296;
    for (let i = 0; i < N_RAW; i++) {
      if (i === RAW.flowDurationSum) continue;
      const x = att[i]!;
      const fl = Math.floor(x);
      if (x !== fl) att[i] = fl + (u < x - fl ? 1 : 0);
    }
    // What a sensor can see: no more distinct peers than flows, no more SYNs than packets (benign
    // records obey the same bounds, so breaking them would give attacks away for free).
    att[RAW.distinctSrcHosts] = Math.min(att[RAW.distinctSrcHosts]!, att[RAW.flowsIn]!);
    att[RAW.distinctDstHosts] = Math.min(att[RAW.distinctDstHosts]!, att[RAW.flowsOut]!);
    att[RAW.distinctDstPorts] = Math.min(att[RAW.distinctDstPorts]!, att[RAW.flowsOut]!);
    att[RAW.synPackets] = Math.min(att[RAW.synPackets]!, att[RAW.packetsIn]! + att[RAW.packetsOut]!);
    return att;
  }

  private addActivities(into: Float64Array, ids: number[], h: number, w: number): void {
    for (const id of ids) {
      const act = this.activities[id]!;
      const f = this.share(act, h, w);
      if (f > 0) for (let i = 0; i < N_RAW; i++) into[i]! += act.vec[i]! * f;
    }
  }
}

/** Raw accumulators to the defender-visible features: counts copied, ratios and means derived. */
function derive(raw: Float64Array, out: Float32Array, o: number): void {
  const flows = raw[RAW.flowsOut]! + raw[RAW.flowsIn]!;
  const pkts = raw[RAW.packetsOut]! + raw[RAW.packetsIn]!;
  const bytes = raw[RAW.bytesOut]! + raw[RAW.bytesIn]!;
  // FEATURES 0-9 are RAW 0-9 (flows .. failedConnections); 13-19 are RAW 12-18 (failedAuth .. remoteAdminSessions).
  for (let i = 0; i <= 9; i++) out[o + i] = raw[i]!;
  out[o + 10] = pkts > 0 ? Math.min(1, raw[RAW.synPackets]! / pkts) : 0;
  out[o + 11] = flows > 0 ? raw[RAW.flowDurationSum]! / flows : 0;
  out[o + 12] = pkts > 0 ? bytes / pkts : 0;
  for (let i = 13; i <= 19; i++) out[o + i] = raw[i - 1]!;
  out[o + 20] = raw[RAW.bytesIn]! > 0 ? raw[RAW.bytesOut]! / raw[RAW.bytesIn]! : raw[RAW.bytesOut]! > 0 ? 10 : 0;
}
