/** Package version and the versions of the packages results depend on, read from package.json files. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION: string = pkg.version;

/** Installed versions of the given packages (missing ones are left out). */
export function packageVersions(names: readonly string[] = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'piscina', 'mathjs', 'zod', 'vega', 'vega-lite']): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = { cyrange: VERSION, node: process.versions.node };
  for (const n of names) {
    try {
      const p = require(`${n}/package.json`) as { version: string };
      out[n] = p.version;
    } catch {
      // not installed or no exported package.json: leave it out
    }
  }
  return out;
}
