/**
 * Where a module's compiled worker file is. Piscina runs plain JS: from dist/ the worker sits beside
 * the calling module; from the TypeScript source (under vitest) the build in dist/ is used instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `callerUrl` is the caller's import.meta.url, `dir` its folder under src/ (e.g. "train"), `file` the
 * worker's compiled name. Returns the path, or null when it has not been built.
 */
export function compiledWorkerPath(callerUrl: string, dir: string, file: string): string | null {
  const url = callerUrl.endsWith('.ts') ? new URL(`../../dist/${dir}/${file}`, callerUrl) : new URL(`./${file}`, callerUrl);
  const path = fileURLToPath(url);
  return existsSync(path) ? path : null;
}
