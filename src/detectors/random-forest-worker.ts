/**
 * Piscina worker for RandomForest.fit: fits trees [from, to) of a forest. The binned matrix and the labels
 * arrive in SharedArrayBuffers (no copy per worker); the trees go back as flat typed arrays whose buffers
 * are transferred rather than copied. Tree i uses treeRng(seed, i), so results do not depend on which
 * worker fits which tree.
 */
import { Piscina } from 'piscina';
import { fitTreeRange, type FlatTree } from './forest-tree.js';
import type { ForestWorkerTask } from './random-forest.js';

export default function fitTrees(task: ForestWorkerTask): FlatTree[] {
  const trees = fitTreeRange(task.data, task.seed, task.from, task.to);
  const transfer: ArrayBufferLike[] = [];
  for (const t of trees) transfer.push(t.feature.buffer, t.threshold.buffer, t.child.buffer, t.leafValue.buffer, t.importance.buffer);
  // Piscina's transfer protocol: an object carrying the value and its transfer list, marked movable.
  const movable = { [Piscina.transferableSymbol]: transfer, [Piscina.valueSymbol]: trees };
  return Piscina.move(movable as unknown as ArrayBuffer) as unknown as FlatTree[];
}
