/**
 * Verdicts on claims, decided on Holm-adjusted p-values over one stated family (stats.ts `holmAdjust`):
 * - supported: Holm-significant, and the effect goes the claimed way;
 * - not supported: Holm-significant the other way;
 * - inconclusive: not Holm-significant (or not testable). A reversal of the means that is not
 *   significant is inconclusive, not a refutation.
 * A claim made of several comparisons ("at every size", "for each defender") is supported when every
 * part is, not supported when any part is, and inconclusive otherwise.
 */

export const VERDICTS = ['supported', 'not supported', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The significance level of every verdict. */
export const ALPHA = 0.05;

/** `effect`: the signed estimate (e.g. a mean difference, a correlation); `claimed`: its claimed sign. */
export function verdictOf(effect: number | null, pHolm: number | null, claimed: 'positive' | 'negative', alpha = ALPHA): Verdict {
  if (effect === null || pHolm === null || !Number.isFinite(effect) || !Number.isFinite(pHolm) || !(pHolm < alpha) || effect === 0) return 'inconclusive';
  return (effect > 0) === (claimed === 'positive') ? 'supported' : 'not supported';
}

/** The verdict of an all-of claim from its parts' verdicts (no parts: inconclusive). */
export function combineVerdicts(parts: readonly Verdict[]): Verdict {
  if (parts.length === 0) return 'inconclusive';
  if (parts.includes('not supported')) return 'not supported';
  return parts.every((v) => v === 'supported') ? 'supported' : 'inconclusive';
}
