/**
 * Piscina worker for RolloutPool: plays a task's episodes with a worker-local copy of the learner's
 * network (see rollouts.ts). Transitions go back as flat typed arrays whose buffers are transferred.
 */
import { Piscina } from 'piscina';
import { runRolloutTask, transferList, type RolloutTask, type RolloutTaskResult } from './rollouts.js';

export default async function rollout(task: RolloutTask): Promise<RolloutTaskResult> {
  const result = await runRolloutTask(task);
  // Piscina's transfer protocol: an object carrying the value and its transfer list, marked movable.
  const movable = { [Piscina.transferableSymbol]: transferList(result), [Piscina.valueSymbol]: result };
  return Piscina.move(movable as unknown as ArrayBuffer) as unknown as RolloutTaskResult;
}
