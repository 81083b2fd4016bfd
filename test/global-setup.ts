/**
 * Worker threads run the compiled code in dist/, so a test run after editing src/ must build first or it
 * silently tests stale workers. Every vitest run (npm test, npx vitest run FILE) builds once here.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/postbuild.mjs'], { cwd: root, stdio: 'inherit' });
}
