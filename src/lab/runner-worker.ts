/**
 * Piscina worker for the experiment runner: runs one grid cell and returns its CellResult.
 * Kept tiny so the same task function also serves as the in-thread fallback (see runner.ts).
 */
import { runCell, type CellResult, type CellSpec } from './cell.js';

/** How a test-only failure hook makes a cell fail (see CYRANGE_LAB_TEST_FAIL in runner.ts). */
export type TestFailMode = 'throw' | 'once' | 'exit';

export interface CellTask {
  spec: CellSpec;
  detectorCacheDir: string;
  /** 0 for the first try, 1 for the retry. */
  attempt: number;
  /** Test-only: make this cell fail on purpose. */
  testFail?: TestFailMode;
}

export async function runCellTask(task: CellTask): Promise<CellResult> {
  if (task.testFail === 'throw' || (task.testFail === 'once' && task.attempt === 0)) {
    throw new Error(`test-only failure of cell ${task.spec.id} (attempt ${task.attempt + 1})`);
  }
  if (task.testFail === 'exit') {
    // In a worker thread process.exit ends the thread only: this simulates a worker dying mid-cell.
    process.exit(3);
  }
  return runCell(task.spec, { detectorCacheDir: task.detectorCacheDir });
}

export default runCellTask;
