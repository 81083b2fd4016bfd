/**
 * The compiled network: a scenario turned into index-based typed arrays for the simulator's hot path.
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
}
