/**
 * The reference paper's reported figures per network size (Agrawal et al., Sci. Rep. 16:11673, 2026;
 * Tables 9 and 10, transcribed in ../shared/reference/agrawal2026.md). Printed beside ours; never used
 * to fit or tune anything. Their times are seconds on their testbed, ours simulated seconds of the range.
 */

export type PaperSystem = 'AI-driven MAS' | 'rule-based MAS' | 'static cyber range';

type BySize<T> = Readonly<Record<number, T>>;

export const REFERENCE: {
  citation: string;
  sizes: readonly number[];
  /** Table 10: response latency (s). */
  latency: Readonly<Record<PaperSystem, BySize<number>>>;
  /** Table 9: precision / recall / F1 (%). */
  detection: Readonly<Record<PaperSystem, BySize<{ precision: number; recall: number; f1: number }>>>;
} = {
  citation: 'Agrawal et al., Sci. Rep. 16:11673 (2026)',
  sizes: [50, 120, 200],
  latency: {
    'AI-driven MAS': { 50: 4.2, 120: 5.6, 200: 6.1 },
    'rule-based MAS': { 50: 6.5, 120: 8.3, 200: 9.5 },
    // 15.8 at 120 hosts as in the table (the paper's text says 12.6)
    'static cyber range': { 50: 12.1, 120: 15.8, 200: 18.4 },
  },
  detection: {
    'AI-driven MAS': { 50: { precision: 95.8, recall: 93.2, f1: 94.5 }, 120: { precision: 91.2, recall: 88.7, f1: 89.9 }, 200: { precision: 89.6, recall: 86.3, f1: 87.9 } },
    'rule-based MAS': { 50: { precision: 81.3, recall: 78.9, f1: 80.1 }, 120: { precision: 77.4, recall: 73.8, f1: 75.5 }, 200: { precision: 73.1, recall: 70.5, f1: 71.8 } },
    'static cyber range': { 50: { precision: 70.2, recall: 65.5, f1: 67.8 }, 120: { precision: 61.5, recall: 57.1, f1: 59.2 }, 200: { precision: 58.4, recall: 54.0, f1: 56.1 } },
  },
};

/** The paper's system a defence kind stands for (its ML defences are the AI-driven MAS). */
export function paperSystem(defender: string): PaperSystem | null {
  if (defender === 'rf' || defender === 'autoencoder' || defender === 'ensemble') return 'AI-driven MAS';
  if (defender === 'rule-mas') return 'rule-based MAS';
  if (defender === 'static-range') return 'static cyber range';
  return null;
}
