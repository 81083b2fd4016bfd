/**
 * The env's public types: observations, actions, events and step results (PettingZoo-Parallel style).
 */
import type { AttackerDecoded, DefenderActionKind } from './actions.js';

export type AlertMsg = { host: number; score: number; reason?: string };
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
 * A defender's action: an integer, or an object that also posts alerts to the other defenders (at the
 * time the action is given) and, for monitor (0), says how long to monitor: `wait` seconds (rounded up to
 * the range's 0.1-s tick) instead of until the next telemetry window closes. Defences use waits to model
 * the time their pipeline takes (scoring, decision, approval) between a window closing and acting on it.
 */
export type DefenderAction = number | { action: number; alerts?: AlertMsg[]; wait?: number };
export type Action = number | DefenderAction;

/**
 * What happened, with simulated timestamps (seconds). A foothold's life: `compromise` (gained; `reentry`
 * when the attacker held this host before and lost it), `foothold-contained` (its host was isolated or
 * went offline: the implant stays but is cut off), `foothold-reconnected` (the host came back with the
 * implant: regained), `foothold-lost` (eradicated: process killed or host reimaged).
 */
export type RangeEvent =
  | { t: number; type: 'attack'; agent: string; action: Exclude<AttackerDecoded['type'], 'wait' | 'tempo' | 'rotate'>; stealthy?: boolean; quiet?: boolean; host: number | null; zone: number | null; source: number | null; start: number; success: boolean }
  | { t: number; type: 'tempo'; agent: string; quiet: boolean }
  | { t: number; type: 'rotate'; agent: string; infra: number }
  | { t: number; type: 'compromise'; agent: string; host: number; privilege: 'user' | 'root'; via: string; reentry?: boolean }
  | { t: number; type: 'foothold-contained'; agent: string; host: number; reason: 'isolated' | 'offline' }
  | { t: number; type: 'foothold-reconnected'; agent: string; host: number }
  | { t: number; type: 'foothold-lost'; agent: string; host: number; reason: string }
  | { t: number; type: 'alert'; agent: string; host: number; score: number; truePositive: boolean }
  | { t: number; type: 'response'; agent: string; action: DefenderActionKind; host: number; slot?: number; healthy: boolean; end: number }
  | { t: number; type: 'response-done'; agent: string; action: DefenderActionKind; host: number; slot?: number; effective: boolean }
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

