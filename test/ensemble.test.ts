/**
 * The ensemble's decision (ensemble-detector.ts): stacking is kept only when it helps, a member alone
 * otherwise, and the ensemble is never worse than its best member on validation.
 */
import { describe, expect, it } from 'vitest';
import { decideEnsemble, type MemberScores } from '../src/detectors/ensemble-detector.js';
import { confusion, f1Of, fprThreshold, weightedMaxF1Threshold } from '../src/detectors/thresholds.js';
import { Detector } from '../src/detectors/detector.js';
import { collectTelemetry } from '../src/train/collect.js';
import { loadScenario } from '../src/range/presets.js';
import { Rng } from '../src/shared/prng.js';
import { sigmoid } from '../src/detectors/stacker.js';

/** Validation scores of two members: each sees the attack signal through its own independent noise. */
function members(n: number, seed: number, aeNoiseOnly: boolean): MemberScores {
  const rng = new Rng(seed);
  const y = new Uint8Array(n);
  const pa = new Float32Array(n);
  const e = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.next() < 0.3 ? 1 : 0;
    const s = y[i] ? 1.2 : 0;
    pa[i] = sigmoid(2 * (s + rng.normal()) - 1.2);
    e[i] = Math.exp((aeNoiseOnly ? 0 : s) + rng.normal());
  }
  // Each member's threshold as fitting sets it: the forest's at max F1, the autoencoder's at the target FPR.
  const tRf = weightedMaxF1Threshold(pa, y);
  const benign = Array.from(e).filter((_, i) => y[i] === 0);
  return { pa, tRf, e, tAe: fprThreshold(benign, undefined, 0.05).threshold, y, w: new Float32Array(n).fill(1), weighted: false, targetFpr: 0.05, seed };
}

describe('ensemble decision', () => {
  it('stacks two members that carry independent evidence, and the stack beats both on validation', () => {
    const m = members(4000, 1, false);
    const d = decideEnsemble(m);
    expect(d.choice).toBe('stacked');
    expect(d.reason).toMatch(/^stacking helps: cross-validated F1/);
    const c = d.candidates;
    expect(c.stacked!.crossValidatedF1).toBeGreaterThan(Math.max(c.rf!.crossValidatedF1, c.autoencoder!.crossValidatedF1));
    expect(c.stacked!.validationF1).toBeGreaterThanOrEqual(Math.max(c.rf!.validationF1, c.autoencoder!.validationF1));
    // The reported F1s are those of the deployed alerts.
    expect(c.stacked!.validationF1).toBeCloseTo(f1Of(confusion(d.deployed.stacked, m.y)), 12);
  });

  it('keeps the forest alone when the autoencoder adds nothing', () => {
    const d = decideEnsemble(members(4000, 2, true));
    expect(d.choice, JSON.stringify(d.candidates)).toBe('rf');
    expect(d.reason).toMatch(/^the forest alone: the stacked combination does not beat it/);
  });

  it('falls back to the forest when validation holds no attacks', () => {
    const m = members(500, 3, false);
    m.y.fill(0);
    const d = decideEnsemble(m);
    expect(d.choice).toBe('rf');
    expect(d.reason).toMatch(/no attacks/);
  });

  it('a trained ensemble is never worse than its best member on validation, and says why it chose', async () => {
    const data = collectTelemetry(loadScenario('small'), { episodes: 3, seed: 5 });
    for (const seed of [1, 2]) {
      const { detector, validation } = await Detector.train('ensemble', data, { seed, rf: { nTrees: 10, workers: 1 }, ae: { epochs: 3 } });
      const r = detector.report;
      expect(r.decision).toBeDefined();
      expect(['rf', 'autoencoder', 'stacked']).toContain(r.decision!.choice);
      expect(r.decision!.reason.length).toBeGreaterThan(20);
      const best = Math.max(r.members!.rf!.f1, r.members!.autoencoder!.f1);
      expect(validation.f1).toBeGreaterThanOrEqual(best - 1e-9);
    }
  });
});
