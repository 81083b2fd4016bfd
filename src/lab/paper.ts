/**
 * The reference paper's reported figures (Agrawal et al., Sci. Rep. 16:11673, 2026; transcribed in
 * ../shared/reference/agrawal2026.md). Printed beside ours; never used to fit or tune anything.
 */

/** The reference paper's figures by network size (hosts). */
export const REFERENCE = {
  citation: 'Agrawal et al., Sci. Rep. 16:11673 (2026)',
  sizes: [50, 120, 200],
  aiMasLatency: { 50: 4.2, 120: 5.6, 200: 6.1 } as Record<number, number>,
  aiMasF1: { 50: 94.5, 120: 89.9, 200: 87.9 } as Record<number, number>,
  ruleMasLatency: '6.5-9.5',
  ruleMasF1: '71.8-80.1',
  staticLatency: '12.1-18.4',
} as const;
