/**
 * The compiled network: a scenario turned into index-based typed arrays for the simulator's hot path,
 * and reachability: what the firewall lets through between zones, and where an attacker reaches from
 * its live footholds.
 */
import { MANAGEMENT_PORTS, ROLES, type Role, type Scenario, type ZoneKind } from './scenario.js';

export const PRIV_NONE = 0;
export const PRIV_USER = 1;
export const PRIV_ROOT = 2;

export interface CompiledVuln {
  id: string;
  kind: 'remote' | 'local';
  success: number;
  requires: number; // PRIV_*
  grants: number; // PRIV_*
  duration: number; // seconds
  noise: number;
}

/** Where an attacker reaches now, from its live footholds and the internet. */
export interface Reach {
  /** zone[z] = 1: some host of zone z can be reached (zone scans are possible). */
  zone: Uint8Array;
  host(h: number): boolean;
  port(h: number, port: number): boolean;
  /** A management (log-on) port of h is reachable: lateral movement with a credential. */
  mgmt(h: number): boolean;
  /** The foothold an action on zone z comes from (null = the internet). */
  sourceForZone(z: number): number | null;
  /** The foothold an action on h comes from: `port` >= 0 a service port, -1 any service, -2 a management port. */
  sourceForHost(h: number, port: number): number | null;
}

/** A remote vulnerability on one of a host's services: an exploit action slot. */
export interface ExploitSlot {
  vuln: number;
  port: number;
}

export class Network {
  readonly scenario: Scenario;
  readonly zoneIds: string[];
  readonly zoneKinds: ZoneKind[];
  readonly internetZone: number;
  readonly hostIds: string[];
  readonly hostIndex: Map<string, number>;
  readonly hostZone: Int32Array;
  readonly hostRole: Uint8Array;
  readonly hostValue: Float32Array;
  readonly crownJewel: Uint8Array;
  readonly hostPorts: number[][];
  readonly hostHasMgmt: Uint8Array;
  readonly exploitSlots: ExploitSlot[][];
  /** Largest number of exploit slots on any host: the fixed per-host width of the attack action space. */
  readonly maxSlots: number;
  readonly localVulns: number[][];
  readonly vulns: CompiledVuln[];
  readonly credIds: string[];
  readonly credPriv: Int8Array;
  /** credValid[c] is the set of hosts credential c logs on to. */
  readonly credValidOn: Uint8Array[];
  readonly credsOnHost: number[][];
  readonly zoneHosts: number[][];
  /** allowedPorts[from * Z + to]: null = any port, else the allowed port set. */
  private readonly allowed: (Set<number> | null | undefined)[];
  readonly nZones: number;
  readonly nHosts: number;
  readonly window: number;
  readonly timeLimit: number;

  constructor(s: Scenario) {
    this.scenario = s;
    this.zoneIds = s.zones.map((z) => z.id);
    this.zoneKinds = s.zones.map((z) => z.kind);
    this.nZones = s.zones.length;
    this.internetZone = this.zoneKinds.indexOf('internet');
    const zoneIndex = new Map(this.zoneIds.map((z, i) => [z, i]));
    const vulnIndex = new Map(s.vulnerabilities.map((v, i) => [v.id, i]));
    const privOf = (p: string): number => (p === 'root' ? PRIV_ROOT : p === 'user' ? PRIV_USER : PRIV_NONE);
    this.vulns = s.vulnerabilities.map((v) => ({
      id: v.id, kind: v.kind, success: v.success, requires: privOf(v.requires), grants: privOf(v.grants), duration: v.duration, noise: v.noise,
    }));
    const H = (this.nHosts = s.hosts.length);
    this.hostIds = s.hosts.map((h) => h.id);
    this.hostIndex = new Map(this.hostIds.map((h, i) => [h, i]));
    this.hostZone = Int32Array.from(s.hosts, (h) => zoneIndex.get(h.zone)!);
    this.hostRole = Uint8Array.from(s.hosts, (h) => ROLES.indexOf(h.role as Role));
    this.hostValue = Float32Array.from(s.hosts, (h) => h.value);
    this.crownJewel = Uint8Array.from(s.hosts, (h) => (h.crownJewel ? 1 : 0));
    this.hostPorts = s.hosts.map((h) => h.services.map((x) => x.port));
    this.hostHasMgmt = Uint8Array.from(this.hostPorts, (ps) => (ps.some((p) => MANAGEMENT_PORTS.includes(p)) ? 1 : 0));
    this.exploitSlots = s.hosts.map((h) => h.services.flatMap((svc) => svc.vulns.map((v) => ({ vuln: vulnIndex.get(v)!, port: svc.port }))));
    this.maxSlots = Math.max(1, ...this.exploitSlots.map((x) => x.length));
    this.localVulns = s.hosts.map((h) => h.localVulns.map((v) => vulnIndex.get(v)!));
    this.credIds = s.credentials.map((c) => c.id);
    const credIndex = new Map(this.credIds.map((c, i) => [c, i]));
    this.credPriv = Int8Array.from(s.credentials, (c) => privOf(c.privilege));
    this.credValidOn = s.credentials.map((c) => {
      const m = new Uint8Array(H);
      for (const h of c.validOn) m[this.hostIndex.get(h)!] = 1;
      return m;
    });
    this.credsOnHost = s.hosts.map((h) => h.credentials.map((c) => credIndex.get(c)!));
    this.zoneHosts = this.zoneIds.map(() => []);
    for (let h = 0; h < H; h++) this.zoneHosts[this.hostZone[h]!]!.push(h);
    const Z = this.nZones;
    this.allowed = new Array(Z * Z);
    for (const r of s.firewall) {
      const k = zoneIndex.get(r.from)! * Z + zoneIndex.get(r.to)!;
      if (r.ports === 'any') this.allowed[k] = null;
      else if (this.allowed[k] !== null) {
        const set = this.allowed[k] ?? new Set<number>();
        for (const p of r.ports) set.add(p);
        this.allowed[k] = set;
      }
    }
    this.window = s.time.window;
    this.timeLimit = s.time.limit;
  }

  /** Whether traffic from zone `from` to zone `to` on `port` passes the firewall. */
  portAllowed(from: number, to: number, port: number): boolean {
    if (from === to) return true;
    const a = this.allowed[from * this.nZones + to];
    if (a === null) return true;
    return a !== undefined && a.has(port);
  }

  /** Whether any of host h's service ports is reachable from zone `from`. */
  hostReachableFrom(from: number, h: number): boolean {
    const to = this.hostZone[h]!;
    if (from === to) return true;
    for (const p of this.hostPorts[h]!) if (this.portAllowed(from, to, p)) return true;
    return false;
  }

  /** Whether a management (log-on) port of host h is reachable from zone `from`. */
  mgmtReachableFrom(from: number, h: number): boolean {
    const to = this.hostZone[h]!;
    for (const p of this.hostPorts[h]!) if (MANAGEMENT_PORTS.includes(p) && this.portAllowed(from, to, p)) return true;
    return false;
  }

  /** Whether zone `to` can be reached at all (some port) from zone `from`. */
  zoneReachableFrom(from: number, to: number): boolean {
    if (from === to) return true;
    return this.allowed[from * this.nZones + to] !== undefined;
  }

  /**
   * Reachability from the live footholds `live` (hosts) and the internet (unless `fromInternet` is false:
   * the attacker's outside addresses are blocked at the perimeter). A blocked foothold reaches only
   * its own zone. When several footholds could serve as an action's source, `pick(zone, n)` chooses
   * among the n candidates of that zone (the env hashes its seed and clock: deterministic, no RNG draw).
   */
  reachFrom(live: readonly number[], blocked: Uint8Array, pick: (zone: number, n: number) => number, fromInternet = true): Reach {
    const Z = this.nZones;
    const same = new Uint8Array(Z);
    const cross = new Uint8Array(Z);
    if (fromInternet) cross[this.internetZone] = 1;
    const footholdsByZone: number[][] = Array.from({ length: Z }, () => []);
    for (const h of live) {
      const z = this.hostZone[h]!;
      same[z] = 1;
      if (!blocked[h]) cross[z] = 1;
      footholdsByZone[z]!.push(h);
    }
    const zone = new Uint8Array(Z);
    for (let to = 0; to < Z; to++) {
      if (same[to]) zone[to] = 1;
      else for (let from = 0; from < Z; from++) if (cross[from] && this.zoneReachableFrom(from, to)) zone[to] = 1;
    }
    const port = (h: number, p: number): boolean => {
      const to = this.hostZone[h]!;
      if (same[to]) return true;
      for (let from = 0; from < Z; from++) if (cross[from] && this.portAllowed(from, to, p)) return true;
      return false;
    };
    const anyPort = (h: number, mgmtOnly: boolean): boolean => {
      for (const p of this.hostPorts[h]!) if ((!mgmtOnly || MANAGEMENT_PORTS.includes(p)) && port(h, p)) return true;
      return same[this.hostZone[h]!] === 1 && !mgmtOnly;
    };
    /** The foothold an action comes from: same zone first, else one whose zone passes the firewall; null = the internet. */
    const source = (to: number, ok: (from: number) => boolean): number | null => {
      const local = footholdsByZone[to]!;
      if (local.length) return local[pick(to, local.length)]!;
      for (let from = 0; from < Z; from++) {
        if (from === this.internetZone || !cross[from] || !ok(from)) continue;
        const c = footholdsByZone[from]!.filter((h) => !blocked[h]);
        if (c.length) return c[pick(from, c.length)]!;
      }
      return null;
    };
    return {
      zone,
      host: (h) => anyPort(h, false),
      port,
      mgmt: (h) => anyPort(h, true),
      sourceForZone: (z) => source(z, (from) => this.zoneReachableFrom(from, z)),
      sourceForHost: (h, p) =>
        source(this.hostZone[h]!, (from) =>
          p >= 0 ? this.portAllowed(from, this.hostZone[h]!, p)
          : p === -2 ? this.mgmtReachableFrom(from, h)
          : this.hostReachableFrom(from, h)),
    };
  }
}
