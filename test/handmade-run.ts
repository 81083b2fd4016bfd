/**
 * Hand-made run directories for the lab's tests: a manifest and cells.jsonl written directly (no range,
 * no training), so results, claims, sanity rows and tables can be checked against known inputs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunManifest } from '../src/lab/run-format.js';
import { cellId, specSha256 } from '../src/lab/spec.js';

const scores = { rows: 10, tp: 1, fp: 1, fn: 1, tn: 7, precision: 0.5, recall: 0.5, f1: 0.5, fpr: 0.125 };

export interface EpisodeShape {
  duration?: number;
  /** Incidents: detected at `det` (null: never), responded `lat` later (null: never). None: no incident at all. */
  incidents?: { det: number | null; lat: number | null }[];
  defenderReturn?: number;
  attackPhases?: number;
  /** 1 when the attacker reached its objective (default 0). */
  attackerSuccess?: number;
  detection?: Partial<typeof scores>;
}

/** A stored episode record with the given incidents (each from t = 0 on host 1). */
export function episode(seed: number, shape: EpisodeShape = {}) {
  const duration = shape.duration ?? 60;
  const incidents = (shape.incidents ?? [{ det: 10, lat: 2 }]).map(({ det, lat }) => {
    const contain = det !== null && lat !== null ? det + lat : null;
    return {
      agent: 'attacker_0', host: 1, start: 0, end: duration, gained: 0, reentry: false, regained: false,
      timeToDetect: det === null ? { time: duration, event: false } : { time: det, event: true },
      responseLatency: det === null ? null : lat === null ? { time: duration - det, event: false } : { time: lat, event: true },
      timeToContain: contain === null ? { time: duration, event: false } : { time: contain, event: true },
      timeToEradicate: { time: duration, event: false },
    };
  });
  const det = { ...scores, ...(incidents.some((i) => i.timeToDetect.event) ? {} : { tp: 0, f1: 0 }), ...shape.detection };
  return {
    seed, outcome: 'timeout', duration, steps: 100, defenderReturn: shape.defenderReturn ?? -1, returnParts: { damage: 1, exfiltration: 0, business: 0 }, healthyHostCost: 0,
    attackerSuccess: shape.attackerSuccess ?? 0, timeToObjective: shape.attackerSuccess ? duration / 2 : null, firstMaliciousAction: 0, compromiseRate: 0.1, chainLength: 1, reentries: 0, attackPhases: shape.attackPhases ?? 2, incidents,
    healthyResponses: 0, detection: det,
  };
}

export interface HandmadeCell {
  scenario?: string;
  attacker?: string;
  defender: string;
  seed: number;
  eps: ReturnType<typeof episode>[];
  training?: { job: string; episodes: number; envSteps: number; gradientSteps: number; wallSeconds: number; against: string; curve: { episodes: number; successRate: number; meanReward: number; meanTimeToObjective: number | null; gradientSteps: number }[] } | null;
}

/** Write a run directory of `cells` (scenarios and their host counts in `sizes`) under `root`. */
export function handmadeRun(root: string, name: string, cells: HandmadeCell[], sizes: { scenario: string; hosts: number }[] = [{ scenario: 'small', hosts: 50 }], extra: Partial<RunManifest> = {}): string {
  const dir = join(root, name);
  const attackers = [...new Set(cells.map((c) => c.attacker ?? 'scripted'))];
  const defenders = [...new Set(cells.map((c) => c.defender))];
  const seeds = [...new Set(cells.map((c) => c.seed))];
  const budget = { evalEpisodes: 2, detectorEpisodes: 1 };
  const spec = { name, scenarios: sizes.map((s) => s.scenario), attackers, defenders, seeds, budget };
  const manifest: RunManifest = {
    format: 2, tool: 'cyrange', experiment: name, specSource: 'x.json', specSha256: specSha256(spec), spec, plugins: [], profile: null,
    plan: { scenarios: spec.scenarios, attackers, defenders, seeds, budget, training: null, flowValidation: null },
    scenarios: sizes.map((s) => ({ name: s.scenario, hosts: s.hosts, source: s.scenario })), seeds, flowData: null, packageVersions: {}, tfBackend: null, gitCommit: null,
    machine: { cpu: 'x', cores: 1, totalMemoryBytes: 1, platform: 'linux', arch: 'x64' }, node: '20', startedAt: 't', endedAt: 't', sessions: [],
    cells: { total: cells.length, done: cells.length, failed: 0 }, jobs: { total: 0, done: 0, failed: 0 },
    ...extra,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const hostsOf = new Map(sizes.map((s) => [s.scenario, s.hosts]));
  const lines = cells.map((c) => {
    const scenario = c.scenario ?? sizes[0]!.scenario;
    const attacker = c.attacker ?? 'scripted';
    const id = cellId(scenario, attacker, c.defender, c.seed);
    return JSON.stringify({
      status: 'ok', id, spec: { id, scenario, scenarioName: scenario, attacker, defender: c.defender, seed: c.seed, budget, attackerJob: c.training ? c.training.job : null, detectorJob: null },
      hosts: hostsOf.get(scenario), metrics: c.eps, training: c.training ?? null, wallSeconds: 1, envSteps: 1, tfBackend: null,
    });
  });
  writeFileSync(join(dir, 'cells.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}
