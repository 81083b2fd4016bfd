/**
 * Experiment specs: a JSON grid over scenarios x attackers x defenders x seeds with an evaluation budget
 * and a training block for learning attackers, plus optional named profiles (e.g. `quick`, `full`) that
 * override the budget, the training, the seeds or the scenarios.
 *
 *   {
 *     "name": "response-times",
 *     "description": "...",
 *     "scenarios": ["small", "medium", "envs/mine.json", { "name": "tiny", "generate": { "hosts": 16, "seed": 3 } }],
 *     "attackers": ["dqn", "pg", "scripted"],
 *     "defenders": ["rf", "rule-mas", "oracle", "flag-all", "none"],
 *     "seeds": [1, 2],
 *     "budget": { "evalEpisodes": 3, "detectorEpisodes": 3 },
 *     "training": { "episodes": 300, "against": "none", "curveEvery": 50, "curveEpisodes": 5,
 *                   "overrides": [{ "attackers": ["pg"], "episodes": 1500, "curveEvery": 150 }] },
 *     "flowValidation": { "kinds": ["rf", "autoencoder", "ensemble"] },
 *     "profiles": { "quick": { "description": "...", "budget": { "evalEpisodes": 2 }, "training": { "episodes": 100 }, "seeds": [1, 2] } },
 *     "plugins": ["./my-attacker.mjs"]
 *   }
 *
 * Learning attackers are trained once per (scenario, kind, seed) from no warm start against the
 * training defence (`training.against`, default none), then evaluated frozen against every defence
 * (see runner.ts). `overrides` apply in order to the jobs whose attacker kind and scenario they name
 * (a field left out names all). A profile's `training` replaces the fields it gives; its `overrides`
 * apply after the spec's (so per-kind settings given once hold in every profile, and a profile can still
 * set any job's budget).
 *
 * A scenario is a preset name, a path (relative to the spec file, else to the working directory) or a
 * generated network (`generate`: hosts and seed; the runner writes it into the run directory so the run
 * stays self-describing). Bad input throws a one-line CyrangeError `file: json.path: what was expected`.
 * Plugins (paths relative to the spec file, or package names) are imported before the spec is
 * validated, so the kinds they register are valid attackers and defenders; the runner's worker threads
 * import the same resolved modules before they run a cell.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadPlugins, resolvePlugins } from '../shared/plugins.js';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { schemaError } from '../shared/schema-errors.js';
import { MAX_GENERATED_HOSTS, MIN_GENERATED_HOSTS } from '../range/generate.js';
import { attackerRegistry, isLearningKind, type AttackerKind } from '../attackers/registry.js';
import { defenseDetector, defenseRegistry, type DefenderKind } from '../defenders/registry.js';
import { detectorRegistry } from '../detectors/registry.js';
import type { Registry } from '../shared/registry.js';
import type { CellBudget, CellSpec } from './cell.js';

const count = (min: number) => z.number().int().min(min);

/** A kind registered in `reg` when the spec is parsed (plugins load first, so their kinds count). */
const kindOf = <E>(reg: Registry<E>) =>
  z.string().superRefine((k, ctx) => {
    if (!reg.has(k)) ctx.addIssue({ code: 'custom', message: `unknown ${reg.role} kind "${k}" (known: ${reg.kinds().join(', ')})` });
  });

export const budgetSchema = z.strictObject({
  /** Frozen evaluation episodes per cell (the same episode seeds for every defence). */
  evalEpisodes: count(1),
  /** Scripted-attacker telemetry episodes each ML detector trains on. */
  detectorEpisodes: count(1),
  /** Random-forest trees and autoencoder epochs (smaller in quick profiles). */
  rfTrees: count(1).optional(),
  aeEpochs: count(1).optional(),
});

const hyperparameters = z.record(z.string(), z.unknown());

/** Fields of a learning attacker's training job (src/train/attacker-job.ts). */
const trainingFields = {
  /** Training episodes in all, from no warm start. */
  episodes: count(1),
  /** The defence trained against: a defence kind without a detector (default none). */
  against: z.string().min(1),
  /** A frozen learning-curve point every this many episodes (episodes must be a multiple of it). */
  curveEvery: count(1),
  /** Frozen episodes per learning-curve point. */
  curveEpisodes: count(1),
  /** Learner hyperparameters (the kind's defaults for the rest). */
  hyperparameters,
};

const trainingOverrideSchema = z.strictObject({
  attackers: z.array(z.string().min(1)).min(1).optional(),
  scenarios: z.array(z.string().min(1)).min(1).optional(),
  ...z.object(trainingFields).partial().shape,
});

export const trainingSchema = z.strictObject({
  episodes: trainingFields.episodes,
  against: trainingFields.against.optional(),
  curveEvery: trainingFields.curveEvery,
  curveEpisodes: trainingFields.curveEpisodes,
  hyperparameters: hyperparameters.optional(),
  overrides: z.array(trainingOverrideSchema).optional(),
});
export type TrainingSpec = z.output<typeof trainingSchema>;

/** Detector validation on real flow data (the reference paper's Table 6); data from sharedDatasetsDir(). */
export const flowValidationSchema = z.strictObject({
  kinds: z.array(z.string()).min(1),
  /** Rows read per file at most (default: all). */
  maxRows: count(20).optional(),
});

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." or "-"');

const generatedSchema = z.strictObject({
  name,
  generate: z.strictObject({ hosts: z.number().int().min(MIN_GENERATED_HOSTS).max(MAX_GENERATED_HOSTS), seed: z.number().int() }),
});

// `|` separates the parts of a cell id, so a scenario string must not contain one.
const scenarioEntry = z.union([z.string().min(1).regex(/^[^|]+$/, 'expected no "|" in a scenario name'), generatedSchema]);

const seeds = z.array(z.number().int().min(0).max(2 ** 32 - 1)).min(1);

const profileSchema = z.strictObject({
  description: z.string().optional(),
  budget: budgetSchema.partial().optional(),
  training: trainingSchema.partial().optional(),
  seeds: seeds.optional(),
  scenarios: z.array(scenarioEntry).min(1).optional(),
});

const pluginList = z.array(z.string().min(1));

const experimentObject = (attackerKind: z.ZodType<string>, defenderKind: z.ZodType<string>, detectorKind: z.ZodType<string>) =>
  z.strictObject({
    $schema: z.string().optional(),
    name,
    description: z.string().optional(),
    scenarios: z.array(scenarioEntry).min(1),
    attackers: z.array(attackerKind).min(1),
    defenders: z.array(defenderKind).min(1),
    seeds,
    budget: budgetSchema,
    training: trainingSchema.optional(),
    flowValidation: flowValidationSchema.extend({ kinds: z.array(detectorKind).min(1) }).optional(),
    profiles: z.record(name, profileSchema).optional(),
    plugins: pluginList.optional(),
  });

/** An experiment spec; its kinds must be registered when it is parsed (plugins load first). */
export const experimentSchema = experimentObject(kindOf(attackerRegistry), kindOf(defenseRegistry), kindOf(detectorRegistry));
/** A spec as stored in a run's manifest: kinds are not checked (a report needs no plugins loaded). */
export const storedExperimentSchema = experimentObject(z.string(), z.string(), z.string());

export type ExperimentSpec = z.output<typeof experimentSchema>;
export type ScenarioEntry = ExperimentSpec['scenarios'][number];
export type GeneratedScenario = z.output<typeof generatedSchema>;

/** A spec as loaded: the parsed JSON, where it came from and the directory relative paths start at. */
export interface LoadedSpec {
  spec: ExperimentSpec;
  /** File name for messages (or "(inline)"). */
  source: string;
  /** Directory that relative scenario paths are resolved against (the spec file's), else the cwd. */
  baseDir: string;
  /** Resolved plugin modules (the caller's, then the spec's), imported before parsing; workers import them too. */
  plugins: string[];
}

/** The grid after applying a profile: what the runner will execute. */
export interface ExperimentPlan {
  name: string;
  profile: string | null;
  scenarios: ScenarioEntry[];
  attackers: AttackerKind[];
  defenders: DefenderKind[];
  seeds: number[];
  budget: CellBudget;
  /** How learning attackers train (null when the spec has none: then it has no learning attackers). */
  training: TrainingSpec | null;
  /** Detector validation on real flow data (null: not part of this experiment). */
  flowValidation: z.output<typeof flowValidationSchema> | null;
}

/**
 * Validate a parsed JSON value as an experiment spec; `source` names the file in errors. Plugin kinds
 * must be registered already: `plugins` (resolved specifiers) are recorded for the workers, not loaded
 * here. Use `prepareExperimentSpec` or `loadExperimentSpec` to load a spec's own plugins first.
 */
export function parseExperimentSpec(value: unknown, source: string, baseDir = process.cwd(), plugins: readonly string[] = []): LoadedSpec {
  const r = experimentSchema.safeParse(value);
  if (!r.success) throw schemaError(source, r.error, 'expected a scenario preset name or path (string) or { "name", "generate": { "hosts", "seed" } }');
  const s = r.data;
  const dup = <T>(xs: readonly T[], key: (x: T) => string, path: string): void => {
    const seen = new Set<string>();
    xs.forEach((x, i) => {
      const k = key(x);
      if (seen.has(k)) throw new CyrangeError(`${source}: ${path}[${i}]: duplicate "${k}"`);
      seen.add(k);
    });
  };
  dup(s.scenarios, scenarioName, 'scenarios');
  dup(s.attackers, String, 'attackers');
  dup(s.defenders, String, 'defenders');
  dup(s.seeds, String, 'seeds');
  for (const [p, prof] of Object.entries(s.profiles ?? {})) {
    if (prof.seeds) dup(prof.seeds, String, `profiles.${p}.seeds`);
    if (prof.scenarios) dup(prof.scenarios, scenarioName, `profiles.${p}.scenarios`);
  }
  checkTraining(s, source);
  return { spec: s, source, baseDir, plugins: [...new Set(plugins)] };
}

/** A training defence must be a registered kind without a detector (the attacker trains once, against it alone). */
function checkAgainst(kind: string | undefined, source: string, path: string): void {
  if (kind === undefined) return;
  if (!defenseRegistry.has(kind)) throw new CyrangeError(`${source}: ${path}: unknown defence kind "${kind}" (known: ${defenseRegistry.kinds().join(', ')})`);
  if (defenseDetector(kind) !== null) throw new CyrangeError(`${source}: ${path}: "${kind}" needs a detector; train attackers against a defence without one (none, rule-mas, static-range, ...)`);
}

function checkTraining(s: ExperimentSpec, source: string): void {
  const learning = s.attackers.filter(isLearningKind);
  if (learning.length > 0 && !s.training) throw new CyrangeError(`${source}: training: required when the attackers include learning kinds (${learning.join(', ')}): { "episodes", "curveEvery", "curveEpisodes" }`);
  const blocks: [string, Partial<TrainingSpec> | undefined][] = [['training', s.training], ...Object.entries(s.profiles ?? {}).map(([p, prof]): [string, Partial<TrainingSpec> | undefined] => [`profiles.${p}.training`, prof.training])];
  for (const [path, t] of blocks) {
    if (!t) continue;
    checkAgainst(t.against, source, `${path}.against`);
    (t.overrides ?? []).forEach((o, i) => {
      checkAgainst(o.against, source, `${path}.overrides[${i}].against`);
      o.attackers?.forEach((a, j) => {
        if (!learning.includes(a)) throw new CyrangeError(`${source}: ${path}.overrides[${i}].attackers[${j}]: "${a}" is not a learning attacker of this spec (${learning.join(', ') || 'none'})`);
      });
    });
  }
}

export interface SpecOptions {
  /** Plugin modules from the caller (e.g. `--plugin` flags), resolved with `resolvePlugins`; loaded before the spec's own. */
  plugins?: readonly string[];
}

/** Load the caller's and the spec's plugins (paths relative to `baseDir`), then validate the spec. */
export async function prepareExperimentSpec(value: unknown, source: string, baseDir = process.cwd(), opts: SpecOptions = {}): Promise<LoadedSpec> {
  const pre = z.looseObject({ plugins: pluginList.optional() }).safeParse(value);
  if (!pre.success) throw schemaError(source, pre.error);
  const own = resolvePlugins(pre.data.plugins ?? [], baseDir, `${source}: plugins`);
  await loadPlugins(opts.plugins ?? [], 'plugin');
  await loadPlugins(own, `${source}: plugins`);
  return parseExperimentSpec(value, source, baseDir, [...(opts.plugins ?? []), ...own]);
}

/** Read an experiment spec file, load its plugins (and the caller's), and validate it. */
export async function loadExperimentSpec(file: string, opts: SpecOptions = {}): Promise<LoadedSpec> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CyrangeError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CyrangeError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return prepareExperimentSpec(json, file, dirname(resolve(file)), opts);
}

/** The name a scenario entry has in cell ids and tables. */
export function scenarioName(e: ScenarioEntry): string {
  return typeof e === 'string' ? e : e.name;
}

/** Apply a profile (null = the spec's own grid). Unknown profiles are errors listing the known ones. */
export function planOf(loaded: LoadedSpec, profile: string | null): ExperimentPlan {
  const s = loaded.spec;
  let budget: CellBudget = { ...s.budget };
  let training: TrainingSpec | null = s.training ? { ...s.training } : null;
  let seedList = s.seeds;
  let scenarios = s.scenarios;
  if (profile !== null) {
    const p = s.profiles?.[profile];
    if (!p) {
      const known = Object.keys(s.profiles ?? {});
      throw new CyrangeError(`${loaded.source}: profiles.${profile}: no such profile (${known.length ? `known: ${known.join(', ')}` : 'the spec defines none'})`);
    }
    budget = { ...budget, ...stripUndefined(p.budget ?? {}) };
    if (p.training) {
      const base = training ?? { episodes: 1, curveEvery: 1, curveEpisodes: 1 };
      const overrides = [...(base.overrides ?? []), ...(p.training.overrides ?? [])];
      training = { ...base, ...stripUndefined(p.training), ...(overrides.length ? { overrides } : {}) };
    }
    seedList = p.seeds ?? seedList;
    scenarios = p.scenarios ?? scenarios;
  }
  const plan: ExperimentPlan = { name: s.name, profile, scenarios, attackers: [...s.attackers], defenders: [...s.defenders], seeds: [...seedList], budget, training, flowValidation: s.flowValidation ?? null };
  checkPlanTraining(plan, loaded.source);
  return plan;
}

/** The training of `kind` on `scenario` in a plan: the plan's training with its matching overrides applied in order. */
export function trainingFor(plan: Pick<ExperimentPlan, 'training'>, scenario: string, kind: string): AttackerTraining {
  const t = plan.training;
  if (!t) throw new CyrangeError(`training: none given for the learning attacker "${kind}"`);
  let out: AttackerTraining = { episodes: t.episodes, against: t.against ?? 'none', curveEvery: t.curveEvery, curveEpisodes: t.curveEpisodes, ...(t.hyperparameters ? { hyperparameters: t.hyperparameters } : {}) };
  for (const o of t.overrides ?? []) {
    if (o.attackers && !o.attackers.includes(kind)) continue;
    if (o.scenarios && !o.scenarios.includes(scenario)) continue;
    const { attackers: _a, scenarios: _s, hyperparameters: hp, ...rest } = o;
    out = { ...out, ...stripUndefined(rest), ...(hp ? { hyperparameters: { ...out.hyperparameters, ...hp } } : {}) };
  }
  return out;
}

/** What one learning attacker's training job is given (src/train/attacker-job.ts). */
export interface AttackerTraining {
  episodes: number;
  against: string;
  curveEvery: number;
  curveEpisodes: number;
  hyperparameters?: Record<string, unknown>;
}

/** Every learning job of the plan must have episodes a multiple of curveEvery; overrides name scenarios of the plan. */
function checkPlanTraining(plan: ExperimentPlan, source: string): void {
  const where = plan.profile !== null ? `profiles.${plan.profile}.training (with training)` : 'training';
  const names = plan.scenarios.map(scenarioName);
  (plan.training?.overrides ?? []).forEach((o, i) =>
    o.scenarios?.forEach((sc, j) => {
      if (!names.includes(sc)) throw new CyrangeError(`${source}: ${where}.overrides[${i}].scenarios[${j}]: "${sc}" is not a scenario of the plan (${names.join(', ')})`);
    }),
  );
  for (const sc of names)
    for (const kind of plan.attackers.filter(isLearningKind)) {
      const t = trainingFor(plan, sc, kind);
      if (t.episodes % t.curveEvery !== 0) throw new CyrangeError(`${source}: ${where}: episodes (${t.episodes}) must be a multiple of curveEvery (${t.curveEvery}) (attacker ${kind}, scenario ${sc})`);
    }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Stable cell id: `scenario|attacker|defender|sSEED`. */
export function cellId(scenario: string, attacker: string, defender: string, seed: number): string {
  return `${scenario}|${attacker}|${defender}|s${seed}`;
}

/**
 * Resolve a scenario entry to what `loadScenario` takes: preset names stay, paths are resolved against
 * the spec's directory when the file exists there, generated scenarios map to `generatedPath(name)`.
 */
export function resolveScenario(e: ScenarioEntry, baseDir: string, generatedPath: (g: GeneratedScenario) => string): string {
  if (typeof e !== 'string') return generatedPath(e);
  if (e.endsWith('.json') || e.includes('/')) {
    const p = resolve(baseDir, e);
    return existsSync(p) ? p : e;
  }
  return e;
}

/** A file-name-safe job key part; a name that had to be changed gets a short hash, so keys never collide. */
export function keyPart(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe === name ? name : `${safe}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/** Key of the training job of a learning attacker kind on a scenario and seed (its directory under jobs/attackers/). */
export function attackerJobKey(scenario: string, kind: string, seed: number): string {
  return `${keyPart(scenario)}-${keyPart(kind)}-s${seed}`;
}

/** Key of the detector a defence uses on a scenario and seed (its directory under jobs/detectors/). */
export function detectorJobKey(scenario: string, kind: string, seed: number): string {
  return `${keyPart(scenario)}-${keyPart(kind)}-s${seed}`;
}

/** Expand a plan to cell specs in grid order (scenario, attacker, defender, seed), naming the jobs each needs. */
export function expandCells(plan: ExperimentPlan, resolveScenarioEntry: (e: ScenarioEntry) => string): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const sc of plan.scenarios) {
    const path = resolveScenarioEntry(sc);
    const name = scenarioName(sc);
    for (const attacker of plan.attackers)
      for (const defender of plan.defenders)
        for (const seed of plan.seeds) {
          const det = defenseDetector(defender);
          cells.push({
            id: cellId(name, attacker, defender, seed), scenario: path, scenarioName: name, attacker, defender, seed, budget: { ...plan.budget },
            attackerJob: isLearningKind(attacker) ? attackerJobKey(name, attacker, seed) : null,
            detectorJob: det !== null ? detectorJobKey(name, det, seed) : null,
          });
        }
  }
  return cells;
}

/** JSON with object keys sorted, so equal specs hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 of the spec's canonical JSON (resume refuses a run directory whose spec hash differs). */
export function specSha256(spec: ExperimentSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}
