/**
 * Observation encoding. Attackers see only what they discovered: a fixed-size vector per host plus a few
 * globals. Defenders see their zone's hosts: the last closed telemetry window's features (generated on
 * first read), host status bits, and alerts from other defenders after the alert delay.
 */
import { PRIV_ROOT, PRIV_USER } from './network.js';
import { N_FEATURES, type TelemetryModel } from './telemetry.js';
import type { DefenderObservation, ReceivedAlert } from './types.js';
import type { AttackerState, DefenderState, World } from './world.js';

/** Attacker observation: per host K values, then G global values. */
export const ATTACKER_HOST_FEATURES = [
  'discovered', 'scanned', 'privUser', 'privRoot', 'crownJewelKnown', 'credentialUsable', 'reachable', 'knownExploits', 'zoneKind', 'contact',
] as const;
/** `sourceBlocked`: the perimeter drops the attacker's outside addresses (its connections from outside fail). */
export const ATTACKER_GLOBAL_FEATURES = ['timeFraction', 'footholds', 'credentialsHeld', 'footholdLost', 'quietTempo', 'sourceBlocked'] as const;
export const K = ATTACKER_HOST_FEATURES.length;
export const G = ATTACKER_GLOBAL_FEATURES.length;
const ZONE_KIND_CODE: Record<string, number> = { internet: 0, dmz: 1, user: 2, server: 3, critical: 4, other: 5 };

/** Host status bits shown to defenders. */
export const STATUS_ISOLATED = 1;
export const STATUS_BLOCKED = 2;
export const STATUS_OFFLINE = 4;

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

export function observeDefender(w: World, d: DefenderState, telemetryOn: boolean): DefenderObservation {
  const win = w.closedWindows - 1;
  const status = new Uint8Array(d.hosts.length);
  for (let i = 0; i < d.hosts.length; i++) {
    const h = d.hosts[i]!;
    status[i] = (w.isolated[h] ? STATUS_ISOLATED : 0) | (w.blocked[h] ? STATUS_BLOCKED : 0) | (w.offlineUntil[h]! > w.now ? STATUS_OFFLINE : 0);
  }
  const cutoff = w.time - w.sim.alertDelay + 1e-9;
  const inbox: ReceivedAlert[] = [];
  let i = d.inboxCursor;
  for (; i < w.alerts.length && w.alerts[i]!.time <= cutoff; i++) if (w.alerts[i]!.from !== d.id) inbox.push(w.alerts[i]!);
  d.inboxCursor = i;
  return new DefenderObs(w.time, win, d.hosts, status, inbox, telemetryOn ? w.telemetry : null);
}

/** Encodes attacker observations; the per-host part is cached until host status or the attacker's knowledge changes. */
export class AttackerEncoder {
  private cache = new Map<string, { status: number; attacker: number; v: Float32Array; footholds: number }>();

  constructor(private readonly w: World) {}

  reset(): void {
    this.cache.clear();
  }

  vector(s: AttackerState): Float32Array {
    const w = this.w;
    const H = w.network.nHosts;
    const c = this.cache.get(s.id);
    let v: Float32Array;
    let footholds = 0;
    if (c && c.status === w.statusVersion && c.attacker === s.version) {
      v = c.v.slice();
      footholds = c.footholds;
    } else {
      ({ v, footholds } = this.hostPart(s));
      this.cache.set(s.id, { status: w.statusVersion, attacker: s.version, v: v.slice(), footholds });
    }
    const g = H * K;
    v[g] = w.now / w.limitTicks;
    v[g + 1] = footholds / H;
    let held = 0;
    for (let k = 0; k < s.credHeld.length; k++) if (s.credHeld[k]! >= 0) held++;
    v[g + 2] = s.credHeld.length ? held / s.credHeld.length : 0;
    v[g + 3] = s.lostFoothold ? 1 : 0;
    v[g + 4] = s.quiet ? 1 : 0;
    v[g + 5] = w.infraBlocked(s) ? 1 : 0;
    s.lostFoothold = false;
    return v;
  }

  private hostPart(s: AttackerState): { v: Float32Array; footholds: number } {
    const w = this.w;
    const net = w.network;
    const H = net.nHosts;
    const v = new Float32Array(H * K + G);
    const reach = w.reachability(s);
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
      v[o + 5] = w.usableCred(s, h, p) >= 0 ? 1 : 0;
      v[o + 6] = reach.host(h) ? 1 : 0;
      v[o + 7] = s.scanned[h] ? net.exploitSlots[h]!.length / net.maxSlots : 0;
      v[o + 8] = ZONE_KIND_CODE[net.zoneKinds[net.hostZone[h]!]!]! / 5;
      // The implant answers: a foothold cut off by isolation or downtime goes silent.
      v[o + 9] = p > 0 && w.footholdLive(s, h) ? 1 : 0;
    }
    return { v, footholds };
  }
}
