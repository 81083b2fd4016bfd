/**
 * Defence kinds, in an open registry (see shared/registry.ts; plugins add kinds with
 * `registerDefense`). Built in:
 *   none          no defence (agents monitor and never act)
 *   random        random responses (a sanity baseline)
 *   rf, autoencoder, ensemble
 *                 AI-MAS: zone agents scoring every window with an ML detector (a trained Detector)
 *   rule-mas      rule-based MAS: the same agents and playbook, scoring by static rules per aggregation window
 *   static-range  static cyber range: a central SIEM correlating on a batch interval, analysts triaging
 *   oracle        sanity row: the MAS agents and playbook scoring with the ground-truth traced labels
 *   flag-all      sanity row: the MAS agents and playbook with every host-window an alert
 * A metric that lets flag-all (or no defence) beat the oracle is a wrong metric, not a finding.
 *
 * DEFENSE_PARAMS holds every parameter of the three defences with its reason. They are the same for every
 * network size and were set from the sources named, not fitted to the reference paper's results. Time
 * scale: real SOC processes run over minutes; the range compresses them so a whole intrusion fits in a
 * 15-minute episode, with one factor (about 1 real minute to 1 simulated second) for all of them.
 */
import { CyrangeError } from '../shared/errors.js';
import { Registry, type RegistryOptions } from '../shared/registry.js';
import type { Policy } from '../range/agent.js';
import type { RangeEnv } from '../range/env.js';
import { NoopDefender, RandomDefender } from '../range/baselines.js';
import type { Detector } from '../detectors/detector.js';
import { DetectionRecorder } from '../range/metrics.js';
import { STAGE } from '../range/telemetry.js';
import { RuleScorer, loadRules, type RuleSet } from './rules.js';
import { DefenderTeam, type TeamConfig, type WindowScorer } from './team.js';

export type DefenderKind = string;

/** Real seconds per simulated second: SOC time scales are compressed by this one factor everywhere. */
const TIME_COMPRESSION = 60;

/**
 * Scoring cost per host-window, measured wall time of the scorer (`npm run bench -- pipeline`, one
 * thread, zone-sized batches, detectors at their training defaults (rf: 100 trees), the lower of two
 * runs on 2026-11-30 on the project's 2-core VM), in real microseconds. Constants,
 * not timed at run time, so results stay deterministic.
 */
const SCORE_MICROS = { rf: 13.2, autoencoder: 1.4, ensemble: 13.4, rules: 0.15, oracle: 0, 'flag-all': 0 } as const;

/** Seconds on the range's clock per host-window for a scorer measured at `micros` real microseconds. */
const scoreSeconds = (micros: number): number => (micros * 1e-6) / TIME_COMPRESSION;

export const DEFENSE_PARAMS = {
  /**
   * The defence pipeline, stage by stage. The response's own start-up and execution are the env's
   * action durations (DEFAULT_SIM.defender), the same for every defence.
   */
  pipeline: {
    timeCompression: TIME_COMPRESSION,
    scoreMicrosPerHostWindow: SCORE_MICROS,
    /** Zone agents (AI-MAS, rule-based MAS, sanity rows): features from their own zone's sensors. */
    agents: { ingestSeconds: 0.1, decisionSeconds: 0.1 },
    /** The static range's central SIEM: logs shipped and indexed before a correlation search sees them. */
    siem: { ingestSeconds: 1, decisionSeconds: 0.1 },
    reasons: {
      timeCompression: 'one real minute of SOC time is one simulated second (the factor that fits an intrusion into a 15-minute episode); applied to every stage',
      agentIngest: 'a zone agent reads its own sensor: flow export and feature extraction take seconds (about 6 s real), 0.1 s simulated',
      siemIngest: 'central log shipping and indexing lag is commonly a minute or more before a search sees an event; 1 s simulated',
      scoring: 'the scorer\'s measured compute time per host-window (bench/pipeline.bench.mjs), divided by the time compression: negligible next to the other stages, but paid',
      decision: 'an automated playbook picks the response for a confirmed case in seconds (about 6 s real), 0.1 s simulated; a detection and its response never share an instant',
    },
  },
  /** Agent teams (AI-MAS and rule-based MAS). */
  mas: {
    confirmCount: 2,
    confirmOf: 3,
    highConfidence: 2,
    peerHeightenSeconds: 30,
    eradicateScore: 2,
    approval: { kind: 'coordinator', servers: 1, medianSeconds: 0.5, sigma: 0, minHostValue: 4 },
    reasons: {
      confirm: 'two alerts in three evaluations (or one high-confidence alert) before acting: the usual corroboration step of NIST SP 800-61r2 3.2.4 (analysis) against one-window noise',
      peerHeighten: 'an alert shared by another zone lowers the bar to one alert for 30 s (alert exchange between agents)',
      eradicate: 'high-confidence cases get the full eradication (reset credentials, reimage); others a process kill (SP 800-61r2 3.3.4)',
      approval: 'containing a server or critical host (value >= 4) needs the coordinator agent, an automated policy check of 0.5 s served one at a time',
    },
  },
  /** Rule-based MAS scoring. */
  ruleMas: {
    aggregationSeconds: 5,
    reasons: { aggregation: 'threshold rules need counts over a fixed window; 5 s is the shortest in which the default rules separate scans and brute force from benign bursts' },
  },
  /** Static cyber range: SIEM + analysts. */
  staticRange: {
    batchSeconds: 10,
    analysts: 2,
    triageMedianSeconds: 6,
    triageSigma: 0.5,
    reasons: {
      batch: 'SIEM correlation searches run on a schedule (commonly every 5-15 min); compressed to 10 s',
      analysts: 'a small SOC shift of two tier-1 analysts; each alert is triaged before any response',
      triage: 'tier-1 triage takes minutes per alert with a long tail; lognormal, median 6 s (compressed), sigma 0.5',
    },
  },
} as const;

export interface Defense {
  kind: DefenderKind;
  policies: Record<string, Policy>;
  /** Host-windows the defence flagged (null for defences that never flag). */
  recorder: DetectionRecorder | null;
}

export interface DefenseOptions {
  detector?: Detector;
  rules?: RuleSet;
}

type ScorerCost = keyof typeof SCORE_MICROS;

function pipelineOf(where: 'agents' | 'siem', scorer: ScorerCost): TeamConfig['pipeline'] {
  const p = DEFENSE_PARAMS.pipeline[where];
  return { ingestSeconds: p.ingestSeconds, decisionSeconds: p.decisionSeconds, scoreSecondsPerHostWindow: scoreSeconds(SCORE_MICROS[scorer]) };
}

function masConfig(highConfidence: number, scorer: ScorerCost): TeamConfig {
  const m = DEFENSE_PARAMS.mas;
  return {
    confirmCount: m.confirmCount, confirmOf: m.confirmOf, highConfidence, peerHeightenSeconds: m.peerHeightenSeconds, eradicateScore: m.eradicateScore,
    approval: { ...m.approval }, pipeline: pipelineOf('agents', scorer),
  };
}

export function staticRangeConfig(): TeamConfig {
  const s = DEFENSE_PARAMS.staticRange;
  return {
    confirmCount: 1,
    confirmOf: 1,
    highConfidence: 1,
    peerHeightenSeconds: 0,
    eradicateScore: DEFENSE_PARAMS.mas.eradicateScore,
    approval: { kind: 'analysts', servers: s.analysts, medianSeconds: s.triageMedianSeconds, sigma: s.triageSigma, minHostValue: 0 },
    pipeline: pipelineOf('siem', 'rules'),
  };
}

/**
 * Sanity scorer: the ground truth. A host-window the attack left a trace in scores 2 (high confidence)
 * when the stage shows a foothold at work (C2, exploitation, escalation, lateral movement,
 * exfiltration), 1 (an alert that needs corroboration) when it was only scanned; 0 otherwise.
 */
export class OracleScorer implements WindowScorer {
  readonly name = 'oracle';
  constructor(private readonly env: RangeEnv) {}
  evaluate(_agent: string, w: number, hosts: Int32Array): { scores: Float32Array; covers: number[] } {
    const scores = new Float32Array(hosts.length);
    for (let i = 0; i < hosts.length; i++) {
      const stage = this.env.label(hosts[i]!, w);
      scores[i] = stage === 0 ? 0 : stage === STAGE.recon ? 1 : 2;
    }
    return { scores, covers: [w] };
  }
}

/** Sanity scorer: every host-window is an alert (score 1). */
export class FlagAllScorer implements WindowScorer {
  readonly name = 'flag-all';
  evaluate(_agent: string, w: number, hosts: Int32Array): { scores: Float32Array; covers: number[] } {
    return { scores: new Float32Array(hosts.length).fill(1), covers: [w] };
  }
}

/** Scores every window with a trained ML detector. */
export class DetectorScorer implements WindowScorer {
  readonly name: string;
  constructor(readonly detector: Detector) {
    this.name = `ml:${detector.kind}`;
  }
  evaluate(_agent: string, w: number, hosts: Int32Array, features: Float32Array): { scores: Float32Array; covers: number[] } {
    return { scores: this.detector.score(features, hosts.length), covers: [w] };
  }
}

/** What a registered defence kind provides. */
export interface DefenseEntry {
  /** One line for help texts. */
  description: string;
  /**
   * The detector kind this defence scores with, when it needs a trained detector: callers train one
   * (or load one) and pass it as `opts.detector`.
   */
  detector?: string;
  create(env: RangeEnv, opts: DefenseOptions): Defense | Promise<Defense>;
}

export const defenseRegistry = new Registry<DefenseEntry>('defence');

/** Register a defence kind (plugins call this when imported). */
export function registerDefense(kind: string, entry: DefenseEntry, opts?: RegistryOptions): void {
  defenseRegistry.register(kind, entry, opts);
}

/** Registered defence kinds (built-ins first). */
export function defenseKinds(): string[] {
  return defenseRegistry.kinds();
}

/** The detector kind a defence needs trained, or null (unknown kinds throw, naming `where`). */
export function defenseDetector(kind: string, where?: string): string | null {
  return defenseRegistry.get(kind, where).detector ?? null;
}

/** Build a defence for an env. Kinds with a detector need `opts.detector`; rule kinds load the default rules unless given. */
export async function createDefense(kind: DefenderKind, env: RangeEnv, opts: DefenseOptions = {}): Promise<Defense> {
  return defenseRegistry.get(kind).create(env, opts);
}

const windowsOf = (env: RangeEnv, seconds: number): number => Math.max(1, Math.round(seconds / env.windowSeconds));

function mlDefense(kind: string): DefenseEntry {
  return {
    description: `AI-MAS: zone agents scoring every window with the ${kind} detector`,
    detector: kind,
    create(env, opts) {
      if (!opts.detector) throw new CyrangeError(`defence ${kind}: needs a trained ${kind} detector`);
      if (opts.detector.kind !== kind) throw new CyrangeError(`defence ${kind}: given a ${opts.detector.kind} detector`);
      const team = new DefenderTeam(env, new DetectorScorer(opts.detector), masConfig(DEFENSE_PARAMS.mas.highConfidence, kind as ScorerCost));
      return { kind, policies: team.policies(), recorder: team.recorder };
    },
  };
}

registerDefense('none', {
  description: 'no defence: agents monitor and never act',
  create: (env) => ({ kind: 'none', policies: Object.fromEntries(env.defenderIds.map((d) => [d, new NoopDefender()])), recorder: null }),
});
registerDefense('random', {
  description: 'random responses (a sanity baseline)',
  create: (env) => ({ kind: 'random', policies: Object.fromEntries(env.defenderIds.map((d) => [d, new RandomDefender()])), recorder: null }),
});
for (const k of ['rf', 'autoencoder', 'ensemble']) registerDefense(k, mlDefense(k));
registerDefense('rule-mas', {
  description: 'rule-based MAS: the same agents and playbook, scoring with static rules per aggregation window',
  async create(env, opts) {
    const rules = opts.rules ?? (await loadRules('default'));
    const team = new DefenderTeam(env, new RuleScorer(rules, windowsOf(env, DEFENSE_PARAMS.ruleMas.aggregationSeconds), 'rule-mas'), masConfig(2, 'rules'));
    return { kind: 'rule-mas', policies: team.policies(), recorder: team.recorder };
  },
});
registerDefense('static-range', {
  description: 'static cyber range: a central SIEM on a batch interval, analysts triaging every alert',
  async create(env, opts) {
    const rules = opts.rules ?? (await loadRules('default'));
    const team = new DefenderTeam(env, new RuleScorer(rules, windowsOf(env, DEFENSE_PARAMS.staticRange.batchSeconds), 'siem'), staticRangeConfig());
    return { kind: 'static-range', policies: team.policies(), recorder: team.recorder };
  },
});

registerDefense('oracle', {
  description: 'sanity row: the MAS agents and playbook, scoring with the ground-truth traced labels (no detection error)',
  create(env) {
    const team = new DefenderTeam(env, new OracleScorer(env), masConfig(DEFENSE_PARAMS.mas.highConfidence, 'oracle'));
    return { kind: 'oracle', policies: team.policies(), recorder: team.recorder };
  },
});
registerDefense('flag-all', {
  description: 'sanity row: the MAS agents and playbook, every host-window an alert',
  create(env) {
    const team = new DefenderTeam(env, new FlagAllScorer(), masConfig(DEFENSE_PARAMS.mas.highConfidence, 'flag-all'));
    return { kind: 'flag-all', policies: team.policies(), recorder: team.recorder };
  },
});

export function isDefenderKind(s: string): boolean {
  return defenseRegistry.has(s);
}
