/** Piscina worker for co-training rollouts (see rollouts.ts); result buffers are transferred back. */
import { Piscina } from 'piscina';
import { runDefendedRollouts, transferList, type DefendedRolloutResult, type DefendedRolloutTask } from './rollouts.js';

export default async function rollout(task: DefendedRolloutTask): Promise<DefendedRolloutResult> {
  const r = await runDefendedRollouts(task);
  // Piscina's transfer protocol: an object carrying the value and its transfer list, marked movable.
  const movable = { [Piscina.transferableSymbol]: transferList(r), [Piscina.valueSymbol]: r };
  return Piscina.move(movable as unknown as ArrayBuffer) as unknown as DefendedRolloutResult;
}
