/**
 * The range's simulation parameters, in one place with their reasons. The same values serve every
 * network size. They are inputs, not module state: `RangeEnv` takes overrides (`options.sim`, or a
 * scenario's `sim` block), so worker threads that build an env from the same scenario get the same
 * settings. The defences' own parameters live in DEFENSE_PARAMS (src/defenders/registry.ts); the weights
 * of the defender return live in the scenario file (DEFENDER_RETURN_DEFAULTS in scenario.ts).
 */
import type { DefenderActionKind } from './actions.js';

export const TICKS_PER_SECOND = 10;
export const toTicks = (s: number): number => Math.max(1, Math.round(s * TICKS_PER_SECOND));

export interface SimParams {
  /** Attacker action durations (s) before stealth scaling. */
  waitSeconds: number;
  scanZoneFast: { base: number; perHost: number; discover: number };
  scanZoneStealthy: { base: number; perHost: number; discover: number };
  scanHostSeconds: number;
  lateralSeconds: number;
  /** Exfiltration takes exfilBaseSeconds + host value / exfilValuePerSecond. */
  exfilBaseSeconds: number;
  exfilValuePerSecond: number;
  /** A stealth of s multiplies durations by 1 + stealthSlowdown * s and telemetry by 1 - stealthQuieting * s. */
  stealthSlowdown: number;
  stealthQuieting: number;
  /**
   * The quiet tempo (an attacker's choice, action "go quiet") raises its stealth to s + (1 - s) * quietTempo:
   * a loud attacker then takes 2.35x as long per action and leaves 0.37x the telemetry, spread thinner.
   * Switching takes one beacon interval (the implant picks up its new sleep and jitter at its next
   * check-in) and leaves no trace of its own.
   */
  quietTempo: number;
  tempoSeconds: number;
  beaconEvery: number;
  /**
   * Rotating infrastructure (new outside addresses, redirectors and C2 domains after the defence blocked
   * the old ones): about an hour of an operator's work, compressed like every SOC time scale here.
   */
  rotateSeconds: number;
  /** A perimeter block (blockSource on host h) covers the outside addresses seen in h's traffic this recently. */
  sourceMemorySeconds: number;
  /** Defender action durations (s): how long the responder is busy before the effect applies. */
  defender: Record<DefenderActionKind, number>;
  reimageDowntime: number;
  /** A patched service restarts: the host is offline this long (an implant survives the restart). */
  patchDowntime: number;
  /** Chance that killing the process removes a foothold (root footholds persist more often). */
  killRemoves: { user: number; root: number };
  /** Alerts reach other defenders after this delay (s). */
  alertDelay: number;
  /** An alert is a true positive if the host holds a foothold or was touched by the attack in this many recent windows. */
  alertTruthWindows: number;
  /**
   * Attacker reward shaping, on top of the damage part of the defender return (which attackers gain:
   * control seconds and exfiltration losses, weights in the scenario's defenderReturn). These help
   * learners find the kill chain and are the only terms that are not zero-sum:
   * a new foothold pays footholdGain x the host's value (privilege escalation footholdEscalation x);
   */
  footholdGain: number;
  footholdEscalation: number;
  /** ...each simulated second costs attackerTimeCost (finish sooner rather than later)... */
  attackerTimeCost: number;
  /** ...and a foothold contained (isolated) or removed costs footholdLossPenalty x the host's value: detection has a price, so stealth can pay. */
  footholdLossPenalty: number;
}

/** Deeply frozen defaults (a change must go through options, so it reaches every thread the same way). */
export const DEFAULT_SIM: Readonly<SimParams> = deepFreeze({
  waitSeconds: 1,
  scanZoneFast: { base: 2, perHost: 0.02, discover: 0.95 },
  scanZoneStealthy: { base: 10, perHost: 0.2, discover: 0.8 },
  scanHostSeconds: 1.5,
  lateralSeconds: 2,
  exfilBaseSeconds: 10,
  exfilValuePerSecond: 10,
  stealthSlowdown: 1.5,
  stealthQuieting: 0.7,
  quietTempo: 0.9,
  tempoSeconds: 5,
  beaconEvery: 5,
  rotateSeconds: 60,
  sourceMemorySeconds: 60,
  defender: { isolate: 2, block: 1, resetCredentials: 4, killProcess: 1.5, reimage: 10, restore: 2, blockSource: 1, patch: 3 },
  reimageDowntime: 60,
  patchDowntime: 20,
  killRemoves: { user: 0.9, root: 0.5 },
  alertDelay: 0.2,
  alertTruthWindows: 3,
  footholdGain: 0.1,
  footholdEscalation: 0.05,
  attackerTimeCost: 0.001,
  footholdLossPenalty: 0.1,
});

/** Overrides as options take them: any subset, nested objects partially. */
export type SimOverrides = { [K in keyof SimParams]?: SimParams[K] extends object ? Partial<SimParams[K]> : SimParams[K] };

/** Defaults with `overrides` applied (one level of nesting merged), frozen. */
export function simParams(overrides: SimOverrides = {}): Readonly<SimParams> {
  const out = structuredClone(DEFAULT_SIM) as SimParams;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const key = k as keyof SimParams;
    if (!(key in out)) throw new RangeError(`sim.${k}: unknown simulation parameter`);
    const cur = out[key];
    (out as unknown as Record<string, unknown>)[key] = typeof cur === 'object' && cur !== null ? { ...cur, ...(v as object) } : v;
  }
  return deepFreeze(out);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
