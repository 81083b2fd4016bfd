/**
 * Experiment specs: a JSON grid over scenarios x attackers x defenders x seeds with a training budget,
 * plus optional named profiles (e.g. `quick`, `full`) that override the budget, seeds or scenarios.
 *
 *   {
 *     "name": "response-times",
 *     "description": "...",
 *     "scenarios": ["small", "medium", "envs/mine.json", { "name": "tiny", "generate": { "hosts": 16, "seed": 3 } }],
 *     "attackers": ["dqn", "pg"],
 *     "defenders": ["rf", "rule-mas"],
 *     "seeds": [1, 2],
 *     "budget": { "rounds": 1, "trainEpisodes": 3, "evalEpisodes": 3, "detectorEpisodes": 3 },
 *     "profiles": { "quick": { "description": "...", "budget": { "trainEpisodes": 2 }, "seeds": [1, 2] } },
 *     "plugins": ["./my-attacker.mjs"]
 *   }
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
import { attackerRegistry, type AttackerKind } from '../attackers/registry.js';
import { defenseRegistry, type DefenderKind } from '../defenders/registry.js';
import type { Registry } from '../shared/registry.js';
import type { CellBudget, CellSpec } from './cell.js';

const count = (min: number) => z.number().int().min(min);

/** A kind registered in `reg` when the spec is parsed (plugins load first, so their kinds count). */
const kindOf = <E>(reg: Registry<E>) =>
  z.string().superRefine((k, ctx) => {
    if (!reg.has(k)) ctx.addIssue({ code: 'custom', message: `unknown ${reg.role} kind "${k}" (known: ${reg.kinds().join(', ')})` });
  });

export const budgetSchema = z.strictObject({
  rounds: count(0),
  trainEpisodes: count(0),
  evalEpisodes: count(1),
  detectorEpisodes: count(1),
  rfTrees: count(1).optional(),
  aeEpochs: count(1).optional(),
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
  seeds: seeds.optional(),
  scenarios: z.array(scenarioEntry).min(1).optional(),
});

const pluginList = z.array(z.string().min(1));

const experimentObject = (attackerKind: z.ZodType<string>, defenderKind: z.ZodType<string>) =>
  z.strictObject({
    $schema: z.string().optional(),
    name,
    description: z.string().optional(),
    scenarios: z.array(scenarioEntry).min(1),
    attackers: z.array(attackerKind).min(1),
    defenders: z.array(defenderKind).min(1),
    seeds,
    budget: budgetSchema,
    profiles: z.record(name, profileSchema).optional(),
    plugins: pluginList.optional(),
  });

/** An experiment spec; its kinds must be registered when it is parsed (plugins load first). */
export const experimentSchema = experimentObject(kindOf(attackerRegistry), kindOf(defenseRegistry));
/** A spec as stored in a run's manifest: kinds are not checked (a report needs no plugins loaded). */
export const storedExperimentSchema = experimentObject(z.string(), z.string());

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
  return { spec: s, source, baseDir, plugins: [...new Set(plugins)] };
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
  let seedList = s.seeds;
  let scenarios = s.scenarios;
  if (profile !== null) {
    const p = s.profiles?.[profile];
    if (!p) {
      const known = Object.keys(s.profiles ?? {});
      throw new CyrangeError(`${loaded.source}: profiles.${profile}: no such profile (${known.length ? `known: ${known.join(', ')}` : 'the spec defines none'})`);
    }
    budget = { ...budget, ...stripUndefined(p.budget ?? {}) };
    seedList = p.seeds ?? seedList;
    scenarios = p.scenarios ?? scenarios;
  }
  return { name: s.name, profile, scenarios, attackers: [...s.attackers], defenders: [...s.defenders], seeds: [...seedList], budget };
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

/** Expand a plan to cell specs in grid order (scenario, attacker, defender, seed). */
export function expandCells(plan: ExperimentPlan, resolveScenarioEntry: (e: ScenarioEntry) => string): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const sc of plan.scenarios) {
    const path = resolveScenarioEntry(sc);
    for (const attacker of plan.attackers)
      for (const defender of plan.defenders)
        for (const seed of plan.seeds) cells.push({ id: cellId(scenarioName(sc), attacker, defender, seed), scenario: path, attacker, defender, seed, budget: { ...plan.budget } });
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
