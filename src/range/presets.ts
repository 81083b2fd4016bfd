/**
 * Scenario lookup: a preset name (a file in the package's envs/ folder) or a path to a scenario file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { loadScenarioFile, type Scenario } from './scenario.js';

/** The package's envs/ folder (same relative place from src/ and dist/). */
export const ENVS_DIR = fileURLToPath(new URL('../../envs/', import.meta.url));

export function presetNames(): string[] {
  if (!existsSync(ENVS_DIR)) return [];
  return readdirSync(ENVS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** The file a name or path refers to: an existing path, else envs/NAME.json. */
export function scenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath) && nameOrPath.endsWith('.json')) return nameOrPath;
  const p = join(ENVS_DIR, `${nameOrPath}.json`);
  if (existsSync(p)) return p;
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) throw new CyrangeError(`${nameOrPath}: no such scenario file`);
  throw new CyrangeError(`--env ${nameOrPath}: unknown scenario (presets: ${presetNames().join(', ')}; or give a path to a .json file)`);
}

export function loadScenario(nameOrPath: string): Scenario {
  return loadScenarioFile(scenarioPath(nameOrPath));
}
