/**
 * Piscina worker for the experiment runner: runs one grid cell and returns its CellResult.
 * Everything a cell depends on comes in the task: the cell spec (scenario, kinds, seed, budget) and the
 * plugin modules to import first (so plugin kinds exist in this thread too). Kept tiny so the same task
 * function also serves as the in-thread fallback (see runner.ts).
 */
import { loadPlugins } from '../shared/plugins.js';
import { runCell, type CellResult, type CellSpec } from './cell.js';

export interface CellTask {
  spec: CellSpec;
  detectorCacheDir: string;
  /** 0 for the first try, 1 for the retry. */
  attempt: number;
  /** Resolved plugin modules, imported (once per thread) before the cell runs. */
  plugins: string[];
}

export async function runCellTask(task: CellTask): Promise<CellResult> {
  await loadPlugins(task.plugins);
  return runCell(task.spec, { detectorCacheDir: task.detectorCacheDir });
}

export default runCellTask;
