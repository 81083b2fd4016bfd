/**
 * Where the shared real flow-data samples live: $CYRANGE_SHARED_DATASETS if set, else
 * `<repository root>/../shared/datasets` (where CI puts them). Tests that use them fail, never skip,
 * when they are missing.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

export const SHARED_DATASETS = process.env.CYRANGE_SHARED_DATASETS ?? join(repoRoot, '..', 'shared', 'datasets');
export const CIC_SAMPLE = join(SHARED_DATASETS, 'cicids2017_thursday_webattacks_sample.csv');
export const UNSW_SAMPLE = join(SHARED_DATASETS, 'unsw_nb15_testing-set_subset.csv');

/** Fails the calling test with a line saying where the samples were looked for. */
export function expectSharedSamples(): void {
  for (const p of [CIC_SAMPLE, UNSW_SAMPLE]) {
    expect(existsSync(p), `${p} is missing: put the shared samples at <repo>/../shared/datasets or set CYRANGE_SHARED_DATASETS`).toBe(true);
  }
}
