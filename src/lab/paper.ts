/**
 * The reference paper's reported figures (Agrawal et al., Sci. Rep. 16:11673, 2026; Tables 5, 6, 9, 10
 * and 11, transcribed in ../shared/reference/agrawal2026.md). Printed beside ours; never used to fit or
 * tune anything. Their times are seconds on their testbed, ours simulated seconds of the range.
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
  /** Table 11: attack complexity score (successful attack phases per simulated attack, averaged over runs). */
  complexity: Readonly<Record<PaperSystem, BySize<number>>>;
  /** Table 5: the DQN attacker's training (average reward, attack success rate in %, epsilon) at training episodes. */
  dqnTraining: readonly { episodes: number; reward: number; successRate: number; epsilon: number }[];
  /** Table 6: defender validation on flow data (CICIDS2017 and UNSW-NB15), in %. */
  detectorValidation: Readonly<Record<'rf' | 'autoencoder' | 'ensemble', { accuracy: number; precision: number; recall: number; f1: number }>>;
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
  complexity: {
    'AI-driven MAS': { 50: 5, 120: 12, 200: 15 },
    'rule-based MAS': { 50: 3, 120: 7, 200: 9 },
    // 2 at 50 hosts as in the table (the paper's text says 3)
    'static cyber range': { 50: 2, 120: 4, 200: 5 },
  },
  dqnTraining: [
    { episodes: 1000, reward: 25.3, successRate: 18.7, epsilon: 0.8 },
    { episodes: 2500, reward: 56.1, successRate: 46.4, epsilon: 0.6 },
    { episodes: 4000, reward: 92.7, successRate: 79.1, epsilon: 0.3 },
    { episodes: 5000, reward: 101.4, successRate: 84.5, epsilon: 0.1 },
  ],
  detectorValidation: {
    rf: { accuracy: 91.2, precision: 89.8, recall: 90.5, f1: 90.1 },
    autoencoder: { accuracy: 87.5, precision: 85.3, recall: 86.0, f1: 85.6 },
    ensemble: { accuracy: 93.0, precision: 91.7, recall: 92.1, f1: 91.9 },
  },
};

/** The paper's system a defence kind stands for (its ML defences are the AI-driven MAS). */
export function paperSystem(defender: string): PaperSystem | null {
  if (defender === 'rf' || defender === 'autoencoder' || defender === 'ensemble') return 'AI-driven MAS';
  if (defender === 'rule-mas') return 'rule-based MAS';
  if (defender === 'static-range') return 'static cyber range';
  return null;
}
