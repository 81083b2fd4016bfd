/**
 * Action encodings. Every agent acts with one integer per decision; the layout is fixed per scenario
 * so neural agents get fixed-size outputs, and `actionMask` says which integers are allowed now.
 *
 * Attacker (host-major so a host's actions sit together):
 *   0                          wait (1 s)
 *   1 .. Z                     scan zone z, fast (noisy)
 *   Z+1 .. 2Z                  scan zone z, stealthy (slow, quiet)
 *   2Z+1                       go quiet: low-and-slow tempo for every later action (slower, fainter)
 *   2Z+2                       go loud: back to full speed
 *   2Z+3                       rotate infrastructure: new outside addresses after the defence blocked ours
 *   2Z+4 + h*(4+V) + 0         scan host h (services and their vulnerabilities)
 *                  + 1         escalate privilege on h (best known local vulnerability)
 *                  + 2         move laterally to h with a stolen credential
 *                  + 3         exfiltrate from h (a crown jewel the attacker holds)
 *                  + 4 + s     exploit h's vulnerability slot s (s < V, the scenario's largest slot count)
 * Z counts the zones that hold hosts (not the internet).
 *
 * Defender:
 *   0                          monitor (until the next telemetry window closes, or for a given time)
 *   1 + h*(7+V) + k            k: 0 isolate h, 1 block h as a source (its traffic to other zones),
 *                              2 reset credentials used on h, 3 kill the suspicious process on h,
 *                              4 reimage h, 5 restore h (lift isolation/block), 6 block at the perimeter
 *                              the outside addresses seen attacking h, 7 + s patch h's vulnerability slot s
 */
export const ATTACKER_PER_HOST_FIXED = 4;
/** Defender actions with one encoding per host (patch has one per vulnerability slot and comes after them). */
export const DEFENDER_ACTIONS = ['isolate', 'block', 'resetCredentials', 'killProcess', 'reimage', 'restore', 'blockSource', 'patch'] as const;
export type DefenderActionKind = (typeof DEFENDER_ACTIONS)[number];
const DEFENDER_FIXED = DEFENDER_ACTIONS.length - 1;
const DEFENDER_ACTION_INDEX = Object.fromEntries(DEFENDER_ACTIONS.map((k, i) => [k, i])) as Record<DefenderActionKind, number>;

export type AttackerDecoded =
  | { type: 'wait' }
  | { type: 'scanZone'; zone: number; stealthy: boolean }
  | { type: 'tempo'; quiet: boolean }
  | { type: 'rotate' }
  | { type: 'scanHost'; host: number }
  | { type: 'escalate'; host: number }
  | { type: 'lateral'; host: number }
  | { type: 'exfiltrate'; host: number }
  | { type: 'exploit'; host: number; slot: number };

export type DefenderDecoded =
  | { type: 'monitor' }
  | { type: Exclude<DefenderActionKind, 'patch'>; host: number }
  | { type: 'patch'; host: number; slot: number };

export class AttackerActionLayout {
  readonly n: number;
  readonly perHost: number;
  readonly hostBase: number;
  /** scanZones[i] is the zone index of zone action i (zones holding hosts). */
  constructor(readonly scanZones: readonly number[], readonly nHosts: number, readonly slots: number) {
    this.perHost = ATTACKER_PER_HOST_FIXED + slots;
    this.hostBase = 4 + 2 * scanZones.length;
    this.n = this.hostBase + nHosts * this.perHost;
  }
  wait(): number { return 0; }
  scanZone(zoneAction: number, stealthy: boolean): number { return 1 + zoneAction + (stealthy ? this.scanZones.length : 0); }
  tempo(quiet: boolean): number { return 1 + 2 * this.scanZones.length + (quiet ? 0 : 1); }
  rotate(): number { return 3 + 2 * this.scanZones.length; }
  scanHost(h: number): number { return this.hostBase + h * this.perHost; }
  escalate(h: number): number { return this.hostBase + h * this.perHost + 1; }
  lateral(h: number): number { return this.hostBase + h * this.perHost + 2; }
  exfiltrate(h: number): number { return this.hostBase + h * this.perHost + 3; }
  exploit(h: number, slot: number): number { return this.hostBase + h * this.perHost + 4 + slot; }

  decode(a: number): AttackerDecoded {
    if (!Number.isInteger(a) || a < 0 || a >= this.n) throw new RangeError(`attacker action ${a} is outside 0..${this.n - 1}`);
    if (a === 0) return { type: 'wait' };
    const Z = this.scanZones.length;
    if (a <= 2 * Z) {
      const i = (a - 1) % Z;
      return { type: 'scanZone', zone: this.scanZones[i]!, stealthy: a > Z };
    }
    if (a < this.hostBase) return a === this.rotate() ? { type: 'rotate' } : { type: 'tempo', quiet: a === 2 * Z + 1 };
    const r = a - this.hostBase;
    const host = Math.floor(r / this.perHost);
    const k = r - host * this.perHost;
    switch (k) {
      case 0: return { type: 'scanHost', host };
      case 1: return { type: 'escalate', host };
      case 2: return { type: 'lateral', host };
      case 3: return { type: 'exfiltrate', host };
      default: return { type: 'exploit', host, slot: k - 4 };
    }
  }
}

export class DefenderActionLayout {
  readonly n: number;
  readonly perHost: number;
  constructor(readonly nHosts: number, readonly slots: number) {
    this.perHost = DEFENDER_FIXED + slots;
    this.n = 1 + nHosts * this.perHost;
  }
  monitor(): number { return 0; }
  /** The action `kind` on `host` (`slot`: the vulnerability slot, for patch only). */
  encode(kind: DefenderActionKind, host: number, slot = 0): number {
    if (kind === 'patch') {
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`patch slot ${slot} is outside 0..${this.slots - 1}`);
      return 1 + host * this.perHost + DEFENDER_FIXED + slot;
    }
    return 1 + host * this.perHost + DEFENDER_ACTION_INDEX[kind];
  }
  decode(a: number): DefenderDecoded {
    if (!Number.isInteger(a) || a < 0 || a >= this.n) throw new RangeError(`defender action ${a} is outside 0..${this.n - 1}`);
    if (a === 0) return { type: 'monitor' };
    const r = a - 1;
    const host = Math.floor(r / this.perHost);
    const k = r - host * this.perHost;
    if (k >= DEFENDER_FIXED) return { type: 'patch', host, slot: k - DEFENDER_FIXED };
    return { type: DEFENDER_ACTIONS[k] as Exclude<DefenderActionKind, 'patch'>, host };
  }
}
