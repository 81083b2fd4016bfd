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

export type DefenderAction = number | { action: number; alerts?: AlertMsg[] };
export type Action = number | DefenderAction;

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

