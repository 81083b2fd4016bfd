/**
 * Aggregates, tests and claims of a run directory (results.json).
 *
 * Aggregation: for each attacker (and all attackers pooled), network size and defender, the episodes of
 * every seed are pooled and each metric is summarised as mean +- 95 % t-CI with its n (episodes where the
 * metric is defined). Tests on response latency: Welch t-tests of each ML defender against `rule-mas` and
 * `static-range` per size (raw p and Holm-adjusted over the family), and a one-way ANOVA across sizes per
 * defender. Failed and missing cells are counted and listed, never dropped silently.
 * results.json is a pure function of cells.jsonl and the plan (timing lives under its `timing` key only).
 * Metric definitions: src/range/metrics.ts (the one definition; the README's "Metrics" table cites it).
 */
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { anovaOneWay, ci95, holmAdjust, mean, welchTTest } from '../shared/stats.js';
import { cellId } from './spec.js';
import { evaluateClaims } from './claims.js';
import { CELLS_FILE, MANIFEST_FILE, METRIC_KEYS, readCellsFile, readManifest, type AnovaRow, type GroupResult, type MetricKey, type Results, type StoredEpisode, type Summary, type WelchRow } from './run-format.js';

export const ML_KINDS = ['rf', 'autoencoder', 'ensemble'] as const;
export const BASELINE_KINDS = ['rule-mas', 'static-range'] as const;
/** Attacker label of the pooled (all attackers) aggregates. */
export const ALL_ATTACKERS = 'all';

function metricValue(m: StoredEpisode, k: MetricKey): number | null {
  const v = k === 'f1' ? m.detection.f1 : m[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

function summarise(values: number[]): Summary {
  if (values.length === 0) return { mean: null, ciLow: null, ciHigh: null, halfWidth: null, n: 0 };
  const c = ci95(values);
  return { mean: fin(c.mean), ciLow: fin(c.lo), ciHigh: fin(c.hi), halfWidth: fin(c.halfWidth), n: values.length };
}

/** Compute every aggregate, test and claim of a run directory. */
export function computeResults(dir: string): Results {
  const manifest = readManifest(dir);
  if (!manifest) throw new CyrangeError(`${dir}: not a cyrange run directory (no readable ${MANIFEST_FILE} of cyrange run, nor run.json of cyrange train)`);
  const { records } = readCellsFile(join(dir, CELLS_FILE));
  const byId = new Map(records.map((r) => [r.id, r]));
  const plan = manifest.plan;
  const hostsOf = new Map(manifest.scenarios.map((s) => [s.name, s.hosts]));
  const sizes = [...manifest.scenarios].sort((a, b) => a.hosts - b.hosts || (a.name < b.name ? -1 : 1)).map((s) => ({ scenario: s.name, hosts: s.hosts }));
  const attackerSets: [string, string[]][] = [...plan.attackers.map((a): [string, string[]] => [a, [a]])];
  if (plan.attackers.length > 1) attackerSets.push([ALL_ATTACKERS, [...plan.attackers]]);

  const groups: GroupResult[] = [];
  const failedCells: { id: string; error: string }[] = [];
  const missingCells: string[] = [];
  let wall = 0;
  let steps = 0;
  // Plan order (not file order), so float sums and results.json do not depend on scheduling.
  for (const sc of plan.scenarios)
    for (const a of plan.attackers)
      for (const d of plan.defenders)
        for (const s of plan.seeds) {
          const id = cellId(sc, a, d, s);
          const r = byId.get(id);
          if (!r) missingCells.push(id);
          else if (r.status === 'failed') failedCells.push({ id, error: r.error });
          else {
            wall += r.wallSeconds;
            steps += r.envSteps;
          }
        }

  for (const [label, atts] of attackerSets)
    for (const { scenario, hosts } of sizes)
      for (const d of plan.defenders) {
        const eps: StoredEpisode[] = [];
        const cells: GroupResult['cells'] = { expected: 0, ok: 0, failed: [], missing: [] };
        for (const a of atts)
          for (const s of plan.seeds) {
            const id = cellId(scenario, a, d, s);
            cells.expected++;
            const r = byId.get(id);
            if (!r) cells.missing.push(id);
            else if (r.status === 'failed') cells.failed.push(id);
            else {
              cells.ok++;
              eps.push(...r.metrics);
            }
          }
        const metrics = Object.fromEntries(METRIC_KEYS.map((k) => [k, summarise(eps.map((m) => metricValue(m, k)).filter((v): v is number => v !== null))])) as Record<MetricKey, Summary>;
        groups.push({ attacker: label, scenario, hosts: hostsOf.get(scenario) ?? hosts, defender: d, cells, episodes: eps.length, metrics });
      }

  const values = (attacker: string, scenario: string, defender: string, k: MetricKey): number[] => {
    const atts = attacker === ALL_ATTACKERS ? plan.attackers : [attacker];
    const out: number[] = [];
    for (const a of atts)
      for (const s of plan.seeds) {
        const r = byId.get(cellId(scenario, a, defender, s));
        if (r?.status === 'ok') for (const m of r.metrics) {
          const v = metricValue(m, k);
          if (v !== null) out.push(v);
        }
      }
    return out;
  };

  // Welch: every ML defender against every baseline, per attacker set and size, on latency and on F1
  const welch: WelchRow[] = [];
  const mls = plan.defenders.filter((d) => (ML_KINDS as readonly string[]).includes(d));
  for (const metric of ['responseLatency', 'f1'] as const) {
    const bases = plan.defenders.filter((d) => (metric === 'f1' ? d === 'rule-mas' : (BASELINE_KINDS as readonly string[]).includes(d)));
    const family: WelchRow[] = [];
    for (const [label] of attackerSets)
      for (const { scenario, hosts } of sizes)
        for (const ml of mls)
          for (const b of bases) {
            const x = values(label, scenario, ml, metric);
            const y = values(label, scenario, b, metric);
            const w = welchTTest(x, y);
            family.push({ attacker: label, hosts, scenario, metric, ml, baseline: b, meanMl: x.length ? fin(mean(x)) : null, meanBaseline: y.length ? fin(mean(y)) : null, nMl: x.length, nBaseline: y.length, t: fin(w.t), df: fin(w.df), p: fin(w.pValue), pHolm: null });
          }
    const adj = holmAdjust(family.map((r) => r.p ?? NaN));
    family.forEach((r, i) => (r.pHolm = fin(adj[i]!)));
    welch.push(...family);
  }

  // ANOVA of latency across sizes, per attacker set and defender
  const anova: AnovaRow[] = [];
  for (const [label] of attackerSets)
    for (const d of plan.defenders) {
      const gs = sizes.map(({ scenario }) => values(label, scenario, d, 'responseLatency'));
      const means = sizes.map(({ hosts }, i) => ({ hosts, mean: gs[i]!.length ? fin(mean(gs[i]!)) : null, n: gs[i]!.length }));
      const defined = means.filter((m) => m.mean !== null);
      const monotone = defined.length < 2 || defined.length < means.length ? null : defined.every((m, i) => i === 0 || m.mean! > defined[i - 1]!.mean!);
      const r = anovaOneWay(gs);
      anova.push({ attacker: label, defender: d, means, monotoneIncreasing: monotone, F: fin(r.F), dfBetween: r.dfBetween, dfWithin: r.dfWithin, p: fin(r.pValue) });
    }

  const claimsLabel = plan.attackers.length > 1 ? ALL_ATTACKERS : plan.attackers[0]!;
  const claims = evaluateClaims(welch.filter((w) => w.attacker === claimsLabel), anova.filter((a) => a.attacker === claimsLabel), sizes.length, claimsLabel === ALL_ATTACKERS ? 'all attackers pooled' : `attacker ${claimsLabel}`, failedCells.length + missingCells.length);

  return {
    experiment: manifest.experiment,
    profile: manifest.profile,
    specSha256: manifest.specSha256,
    budget: plan.budget,
    seeds: plan.seeds,
    sizes,
    attackers: plan.attackers,
    defenders: plan.defenders,
    groups,
    welch,
    anova,
    claims,
    failedCells,
    missingCells,
    timing: { cellWallSeconds: wall, envSteps: steps, stepsPerSecond: wall > 0 ? steps / wall : null },
  };
}
