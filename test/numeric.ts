/** Numeric helpers shared by the tests. */
import { expect } from 'vitest';

/** Largest absolute difference between a and b, relative to their largest magnitude. */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i] as number), Math.abs(b[i] as number));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d / Math.max(scale, 1e-12);
}
