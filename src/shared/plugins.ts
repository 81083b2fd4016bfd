/**
 * Plugins: ES modules that register kinds (attackers, defences, ...) when imported. The CLI takes
 * `--plugin <module>` (repeatable) and experiment specs take `"plugins": [...]`; worker threads import
 * the same list before they run anything, so a plugin's kinds exist wherever the work runs.
 *
 * A specifier is a path (absolute, or relative to `baseDir`: the working directory for flags, the spec
 * file's directory for specs) or a package name. Paths are resolved to file URLs once, here, so workers
 * import exactly the file the main thread did.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CyrangeError } from './errors.js';

/** Resolve plugin specifiers to what `import()` takes: file URLs for paths, bare names for packages. */
export function resolvePlugins(specifiers: readonly string[], baseDir: string, where: string): string[] {
  return specifiers.map((s, i) => {
    const looksLikePath = s.startsWith('.') || isAbsolute(s) || /\.(m?js|cjs)$/.test(s);
    if (s.startsWith('file:') || s.startsWith('node:')) return s;
    if (!looksLikePath) return s;
    const p = resolve(baseDir, s);
    if (!existsSync(p)) throw new CyrangeError(`${where}${specifiers.length > 1 ? `[${i}]` : ''}: ${s}: no such plugin file`);
    return pathToFileURL(p).href;
  });
}

const loaded = new Set<string>();

/** Import each resolved plugin once per thread (a plugin registers its kinds as it loads). */
export async function loadPlugins(resolved: readonly string[], where = 'plugin'): Promise<void> {
  for (const url of resolved) {
    if (loaded.has(url)) continue;
    try {
      await import(url);
    } catch (e) {
      if (e instanceof CyrangeError) throw e;
      const msg = (e as Error).message?.split('\n')[0] ?? String(e);
      throw new CyrangeError(`${where}: ${url}: cannot load (${msg})`);
    }
    loaded.add(url);
  }
}

/** The plugins loaded in this thread so far (workers are given this list). */
export function loadedPlugins(): string[] {
  return [...loaded];
}
