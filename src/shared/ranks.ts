/** Ranks with ties averaged (1-based), as scipy's `rankdata(method='average')` and R's `rank()`. */

export interface Ranked {
  ranks: number[];
  /** Sizes of the groups of tied values (groups of one included). */
  tieGroups: number[];
}

export function averageRanks(values: readonly number[]): Ranked {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const ranks = new Array<number>(values.length);
  const tieGroups: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i + 1;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const r = (i + 1 + j) / 2; // mean of ranks i+1 .. j
    for (let k = i; k < j; k++) ranks[order[k]![1]] = r;
    tieGroups.push(j - i);
    i = j;
  }
  return { ranks, tieGroups };
}
