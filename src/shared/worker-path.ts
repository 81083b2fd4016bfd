/**
 * Worker-thread plumbing shared by the pools: where a compiled worker file is, and how work is split.
 * Piscina runs plain JS: from dist/ the worker sits beside
 * the calling module; from the TypeScript source (under vitest) the build in dist/ is used instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `callerUrl` is the caller's import.meta.url, `file` the worker's compiled name (beside the caller).
 * Returns the path, or null when it has not been built.
 */
export function compiledWorkerPath(callerUrl: string, file: string): string | null {
  const fromSource = callerUrl.endsWith('.ts');
  const base = fromSource ? callerUrl.replace(/\/src\/([^/]+)\/[^/]+\.ts$/, '/dist/$1/x.js') : callerUrl;
  if (fromSource && base === callerUrl) throw new Error(`compiledWorkerPath: ${callerUrl} is not a file directly under src/<layer>/`);
  const url = new URL(`./${file}`, base);
  const path = fileURLToPath(url);
  return existsSync(path) ? path : null;
}

/**
 * Items split into at most `workers` contiguous chunks, one per worker task. Contiguous and fixed by
 * position, so which worker plays an item never changes its result.
 */
export function contiguousChunks<T>(items: readonly T[], workers: number): T[][] {
  const chunks: T[][] = Array.from({ length: Math.min(workers, items.length) }, () => []);
  items.forEach((e, k) => chunks[Math.floor((k * chunks.length) / items.length)]!.push(e));
  return chunks;
}
