/**
 * Aggregates, tests and claims of a run directory (results.json). The unit is the seed:
 * - a cell (scenario x attacker x defender x seed) gives one value per metric (metric-table.ts): its
 *   episodes' mean, or for censored times the Kaplan-Meier restricted mean to the run's common horizon
 *   (the largest time observed for that metric in the run, as R's survfit rmean = "common");
 * - a group (attacker x scenario x defender) is summarised over its seeds: the mean of the seeds'
 *   values with a BCa bootstrap interval over seeds (seeded; inside the metric's range), and for
 *   censored times the Kaplan-Meier median and censored share of the group's pooled observations;
 * - the claims (claims.ts) compare defences paired over seeds, per attacker; nothing is pooled across
 *   attackers.
 * - beside them: the training of the learning attackers (training-summary.ts), learning cells that took
 *   no gradient step, the sanity rows (sanity.ts) and the detectors' validation on flow data (jobs.ts).
 * Every number carries its n. Failed and missing cells are counted and listed, never dropped silently.
 * results.json is a pure function of cells.jsonl, the job outputs and the plan (timing lives under its
 * `timing` key only).
 * Metric definitions: src/range/metrics.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { hashString } from '../shared/prng.js';
import { mean } from '../shared/stats.js';
import { bootstrapInterval } from '../shared/bootstrap.js';
import { kaplanMeier, restrictedMean, type CensoredTime } from '../shared/kaplan-meier.js';
import { cellId } from './spec.js';
import { evaluateClaims } from './claims.js';
import { METRICS, type EpisodeRecord, type MetricDef } from './metric-table.js';
import { sanityChecks } from './sanity.js';
import { summariseTraining, untrainedCells } from './training-summary.js';
import { JOB_LOG_FILE, jobLogSchema, readFlowValidation } from './jobs.js';
import { CELLS_FILE, MANIFEST_FILE, readCellsFile, readManifest, type GroupResult, type OkCellRecord, type Results, type Summary, type Unit } from './run-format.js';

/** Bootstrap resamples per interval (seeds are few, so this is cheap; more only smooths the bounds). */
export const BOOTSTRAP_RESAMPLES = 4000;

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
const unitKey = (a: string, sc: string, d: string, s: number): string => `${a}|${sc}|${d}|${s}`;

function observations(def: MetricDef & { kind: 'censored' }, eps: readonly EpisodeRecord[]): CensoredTime[] {
  return eps.flatMap((m) => def.episode(m));
}

/** One cell's value of every metric. */
function unitOf(r: OkCellRecord, attacker: string, scenario: string, horizon: Map<string, number>): Unit {
  const eps = r.metrics as EpisodeRecord[];
  const values: Unit['values'] = {};
  for (const def of METRICS) {
    if (def.kind === 'mean') {
      const vs = eps.map(def.episode).filter((v): v is number => v !== null);
      values[def.key] = { value: vs.length ? fin(mean(vs)) : null, n: vs.length };
    } else {
      const obs = observations(def, eps);
      const km = kaplanMeier(obs);
      values[def.key] = { value: obs.length ? fin(restrictedMean(km, horizon.get(def.key) ?? 0)) : null, n: obs.length, median: km.median, censoredShare: obs.length ? km.censoredShare : null };
    }
  }
  return { attacker, scenario, defender: r.spec.defender, seed: r.spec.seed, episodes: eps.length, values };
}

function summarise(def: MetricDef, key: string, units: readonly Unit[], cells: readonly OkCellRecord[], horizon: number | null): Summary {
  const vals = units.map((u) => u.values[def.key]!).filter((v) => v.value !== null);
  const data = vals.map((v) => v.value!);
  const range: [number, number] = def.kind === 'censored' ? [0, horizon ?? Infinity] : [def.range[0], def.range[1]];
  const b = bootstrapInterval(data, { seed: hashString(`${key}|${def.key}`), resamples: BOOTSTRAP_RESAMPLES, range });
  let km: Summary['km'] = null;
  if (def.kind === 'censored') {
    const pooled = cells.flatMap((c) => observations(def, c.metrics as EpisodeRecord[]));
    const k = kaplanMeier(pooled);
    km = { median: k.median, censoredShare: pooled.length ? k.censoredShare : null, n: pooled.length };
  }
  return { mean: fin(b.estimate), ciLow: fin(b.low), ciHigh: fin(b.high), ciMethod: b.method, n: data.length, observations: vals.reduce((s, v) => s + v.n, 0), km };
}

/** Compute every aggregate, test and claim of a run directory. */
export function computeResults(dir: string): Results {
  const manifest = readManifest(dir);
  if (!manifest) throw new CyrangeError(`${dir}: not a cyrange run directory (no readable ${MANIFEST_FILE} of cyrange run, nor run.json of cyrange train)`);
  const { records } = readCellsFile(join(dir, CELLS_FILE));
  const byId = new Map(records.map((r) => [r.id, r]));
  const plan = manifest.plan;
  const sizes = [...manifest.scenarios].sort((a, b) => a.hosts - b.hosts || (a.name < b.name ? -1 : 1)).map((s) => ({ scenario: s.name, hosts: s.hosts }));

  // Plan order (not file order), so float sums and results.json do not depend on scheduling.
  const failedCells: { id: string; error: string }[] = [];
  const missingCells: string[] = [];
  const ok: { r: OkCellRecord; attacker: string; scenario: string }[] = [];
  let wall = 0;
  let steps = 0;
  for (const sc of plan.scenarios)
    for (const a of plan.attackers)
      for (const d of plan.defenders)
        for (const s of plan.seeds) {
          const id = cellId(sc, a, d, s);
          const r = byId.get(id);
          if (!r) missingCells.push(id);
          else if (r.status === 'failed') failedCells.push({ id, error: r.error });
          else {
            ok.push({ r, attacker: a, scenario: sc });
            wall += r.wallSeconds;
            steps += r.envSteps;
          }
        }

  // The common horizon of each censored time: the largest time observed in the run.
  const horizon = new Map<string, number>();
  for (const def of METRICS) {
    if (def.kind !== 'censored') continue;
    let h = 0;
    for (const { r } of ok) for (const o of observations(def, r.metrics as EpisodeRecord[])) h = Math.max(h, o.time);
    horizon.set(def.key, h);
  }

  const units = ok.map(({ r, attacker, scenario }) => unitOf(r, attacker, scenario, horizon));
  const unitBy = new Map(units.map((u) => [unitKey(u.attacker, u.scenario, u.defender, u.seed), u]));

  const groups: GroupResult[] = [];
  for (const attacker of plan.attackers)
    for (const { scenario, hosts } of sizes)
      for (const defender of plan.defenders) {
        const cells: GroupResult['cells'] = { expected: 0, ok: 0, failed: [], missing: [] };
        const gUnits: Unit[] = [];
        const gCells: OkCellRecord[] = [];
        for (const s of plan.seeds) {
          const id = cellId(scenario, attacker, defender, s);
          cells.expected++;
          const r = byId.get(id);
          if (!r) cells.missing.push(id);
          else if (r.status === 'failed') cells.failed.push(id);
          else {
            cells.ok++;
            gCells.push(r);
            gUnits.push(unitBy.get(unitKey(attacker, scenario, defender, s))!);
          }
        }
        const key = unitKey(attacker, scenario, defender, 0);
        const metrics = Object.fromEntries(METRICS.map((def) => [def.key, summarise(def, key, gUnits, gCells, horizon.get(def.key) ?? null)]));
        groups.push({ attacker, scenario, hosts, defender, cells, episodes: gUnits.reduce((s, u) => s + u.episodes, 0), metrics });
      }

  const value = (a: string, sc: string, d: string, s: number, m: string): number | null => unitBy.get(unitKey(a, sc, d, s))?.values[m]?.value ?? null;
  const grid = { attackers: plan.attackers, defenders: plan.defenders, seeds: plan.seeds, sizes, value };
  const claims = evaluateClaims({ ...grid, incomplete: failedCells.length + missingCells.length });
  const okCells = ok.map((o) => o.r);

  const inf = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    experiment: manifest.experiment,
    profile: manifest.profile,
    specSha256: manifest.specSha256,
    budget: plan.budget,
    seeds: plan.seeds,
    sizes,
    attackers: plan.attackers,
    defenders: plan.defenders,
    metrics: METRICS.map((d) => ({ key: d.key, label: d.label, unit: d.unit, kind: d.kind, range: [inf(d.range[0]), inf(d.range[1])], horizon: horizon.get(d.key) ?? null })),
    units,
    groups,
    ...claims,
    failedCells,
    missingCells,
    training: summariseTraining(dir, okCells, sizes, plan.attackers),
    untrainedCells: untrainedCells(okCells),
    sanity: sanityChecks(grid),
    flowValidation: readFlowValidation(dir, manifest),
    timing: { cellWallSeconds: wall, envSteps: steps, stepsPerSecond: wall > 0 ? steps / wall : null, jobWallSeconds: jobWall(dir) },
  };
}

/** Wall seconds of the jobs run (not reused) in the run's sessions, from jobs.jsonl. */
function jobWall(dir: string): number {
  const f = join(dir, JOB_LOG_FILE);
  if (!existsSync(f)) return 0;
  let s = 0;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const l = jobLogSchema.parse(JSON.parse(line));
      if (l.status === 'ok') s += l.wallSeconds;
    } catch {
      // a torn line: its job will be counted when it is redone
    }
  }
  return s;
}
