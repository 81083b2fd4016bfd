/**
 * Piscina worker for the experiment runner: runs one task, a grid cell (cell.ts) or a prerequisite job
 * (job-run.ts). Everything a task depends on comes in it: the cell or job spec, the run directory its
 * outputs and inputs live in, and the plugin modules to import first (so plugin kinds exist in this
 * thread too). Kept tiny so the same task function also serves as the in-thread fallback (runner.ts).
 */
import { loadPlugins } from '../shared/plugins.js';
import { runCell, type CellResult, type CellSpec } from './cell.js';
import { runJob, type JobOutcome } from './job-run.js';
import { jobDir, type Job } from './jobs.js';

export type RunnerTask = ({ type: 'cell'; spec: CellSpec } | { type: 'job'; job: Job }) & {
  runDir: string;
  /** 0 for the first try, 1 for the retry. */
  attempt: number;
  /** Resolved plugin modules, imported (once per thread) before the task runs. */
  plugins: string[];
};

export type RunnerTaskResult = { type: 'cell'; result: CellResult } | { type: 'job'; outcome: JobOutcome };

export async function runRunnerTask(task: RunnerTask): Promise<RunnerTaskResult> {
  await loadPlugins(task.plugins);
  if (task.type === 'cell') {
    const { spec, runDir } = task;
    const dirs = { attackerJob: spec.attackerJob && jobDir(runDir, { type: 'attacker', key: spec.attackerJob }), detector: spec.detectorJob && jobDir(runDir, { type: 'detector', key: spec.detectorJob }) };
    return { type: 'cell', result: await runCell(spec, dirs) };
  }
  return { type: 'job', outcome: await runJob(task.job, task.runDir) };
}

export default runRunnerTask;
