/** Piscina worker for co-training rollouts (see rollouts.ts); result buffers are transferred back. */
import { Piscina } from 'piscina';
import { runDefendedRollouts, type DefendedRolloutResult, type DefendedRolloutTask } from './rollouts.js';

export default async function rollout(task: DefendedRolloutTask): Promise<DefendedRolloutResult> {
  const r = await runDefendedRollouts(task);
  const buffers: ArrayBuffer[] = [r.X.buffer as ArrayBuffer, r.y.buffer as ArrayBuffer, r.w.buffer as ArrayBuffer];
  for (const e of r.episodes) for (const a of [e.obs, e.mask, e.action, e.reward, e.elapsed, e.nextObs, e.nextMask, e.done]) buffers.push(a.buffer as ArrayBuffer);
  const movable = { [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: r };
  return Piscina.move(movable as unknown as ArrayBuffer) as unknown as DefendedRolloutResult;
}
