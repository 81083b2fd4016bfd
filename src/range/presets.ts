/**
 * Scenario lookup: a registered scenario name (the package's envs/*.json presets are registered when this
 * module loads; plugins add more with `registerScenario`) or a path to a scenario file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { Registry, type RegistryOptions } from '../shared/registry.js';
import { loadScenarioFile, parseScenario, type Scenario, type ScenarioInput } from './scenario.js';

/** The package's envs/ folder (same relative place from src/ and dist/). */
export const ENVS_DIR = fileURLToPath(new URL('../../envs/', import.meta.url));

/** A registered scenario: a file, or a function that builds one (checked like a file when loaded). */
export type ScenarioEntry = { description: string } & ({ file: string } | { build: () => ScenarioInput });

export const scenarioRegistry = new Registry<ScenarioEntry>('scenario');

/** Register a scenario under a name usable wherever a preset name is (plugins call this when imported). */
export function registerScenario(name: string, entry: ScenarioEntry, opts?: RegistryOptions): void {
  scenarioRegistry.register(name, entry, opts);
}

if (existsSync(ENVS_DIR)) {
  for (const f of readdirSync(ENVS_DIR).filter((x) => x.endsWith('.json')).sort()) {
    registerScenario(f.slice(0, -5), { description: `preset envs/${f}`, file: join(ENVS_DIR, f) });
  }
}

/** Registered scenario names (the presets first). */
export function presetNames(): string[] {
  return scenarioRegistry.kinds();
}

/** The file a name or path refers to: an existing path, else a registered scenario's file. */
export function scenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath) && nameOrPath.endsWith('.json')) return nameOrPath;
  if (scenarioRegistry.has(nameOrPath)) {
    const e = scenarioRegistry.get(nameOrPath);
    if ('file' in e) return e.file;
    throw new CyrangeError(`${nameOrPath}: a scenario built in code has no file`);
  }
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) throw new CyrangeError(`${nameOrPath}: no such scenario file`);
  throw new CyrangeError(`--env ${nameOrPath}: unknown scenario (known: ${presetNames().join(', ')}; or give a path to a .json file)`);
}

export function loadScenario(nameOrPath: string): Scenario {
  if (!existsSync(nameOrPath) && scenarioRegistry.has(nameOrPath)) {
    const e = scenarioRegistry.get(nameOrPath);
    if ('build' in e) return parseScenario(e.build(), `scenario "${nameOrPath}"`);
  }
  return loadScenarioFile(scenarioPath(nameOrPath));
}
