/**
 * Thresholds that hold: the autoencoder's at a target false-alarm rate whatever the class mix, warnings
 * for too few benign rows and for flagging most benign rows, recorded in the manifest; the manifest is
 * validated and checksummed; detector kinds come from the open registry.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Detector, type LabelledData } from '../src/detectors/detector.js';
import { detectorKinds, registerDetector } from '../src/detectors/registry.js';
import { fprThreshold, weightedQuantile } from '../src/detectors/thresholds.js';
import type { DetectorModel } from '../src/detectors/detector-kind.js';
import { Rng } from '../src/shared/prng.js';

const tmp = mkdtempSync(join(tmpdir(), 'cyrange-thresholds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Benign rows on a 2-d manifold in 6 dimensions; attacks off it. `attackShare` sets the class mix. */
function manifold(n: number, attackShare: number, seed: number, signal = 2.5): LabelledData {
  const rng = new Rng(seed);
  const d = 6;
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.next() < attackShare;
    y[i] = a ? 1 : 0;
    const u = rng.normal();
    const v = rng.normal();
    const row = [u, v, u + v, u - v, 2 * u, -v];
    // An attack moves two coordinates off the plane the benign rows lie in.
    const off = a ? signal * (rng.next() < 0.5 ? -1 : 1) : 0;
    // Small values, where the normaliser's log1p is nearly linear and the plane stays flat.
    for (let j = 0; j < d; j++) X[i * d + j] = 0.1 * (row[j]! + 0.05 * rng.normal() + (j === 2 || j === 3 ? off : 0));
  }
  return { featureNames: ['a', 'b', 'c', 'd', 'e', 'f'], X, nRows: n, y, classNames: ['benign', 'attack'] };
}

describe('thresholds', () => {
  it('weighted quantile and the target-FPR threshold', () => {
    expect(weightedQuantile([5, 1, 3, 2, 4], undefined, 0.6)).toBe(3);
    expect(weightedQuantile([1, 2, 3], [1, 1, 8], 0.5)).toBe(3);
    const scores = Array.from({ length: 1000 }, (_, i) => i);
    const { threshold, enough } = fprThreshold(scores, undefined, 0.01);
    expect(enough).toBe(true);
    expect(scores.filter((s) => s >= threshold).length).toBe(10);
    expect(fprThreshold(scores.slice(0, 99), undefined, 0.01).enough).toBe(false);
  });

  it('the autoencoder flags about the target share of benign validation rows, on attack-light and attack-heavy data alike', async () => {
    for (const share of [0.1, 0.8]) {
      const data = manifold(share > 0.5 ? 12000 : 3000, share, 3);
      const { detector, validation } = await Detector.train('autoencoder', data, { seed: 1, targetFpr: 0.05, ae: { epochs: 40 } });
      // Set on these very rows: at most the target (ties and the strict threshold can only lower it).
      expect(validation.fpr).toBeLessThanOrEqual(0.05);
      expect(validation.fpr).toBeGreaterThan(0.02);
      expect(validation.recall).toBeGreaterThan(2 * validation.fpr); // and it still tells attacks apart
      expect(detector.report.targetFpr).toBe(0.05);
      expect(detector.report.warnings).toEqual([]);
    }
  });

  it('too few benign validation rows: a warning, in the report and the manifest', async () => {
    const data = manifold(400, 0.8, 4);
    const { detector, validation } = await Detector.train('autoencoder', data, { seed: 1, targetFpr: 0.01, ae: { epochs: 3 } });
    expect(detector.report.warnings).toHaveLength(1);
    expect(detector.report.warnings[0]).toMatch(/^autoencoder: validation has \d+ benign rows, too few to set a threshold at 1\.0 % false alarms \(needs 100\)/);
    const dir = join(tmp, 'few-benign');
    await detector.save(dir, { seed: 1, training: {}, validation });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.warnings).toEqual(detector.report.warnings);
    expect(m.targetFpr).toBe(0.01);
    expect(m.validation.fpr).toBe(validation.fpr);
  });

  it('a detector that flags most benign validation rows says so', async () => {
    // 95 % attacks and no signal: the max-F1 forest threshold alerts on everything.
    const data = manifold(2000, 0.95, 5, 0);
    const { detector, validation } = await Detector.train('rf', data, { seed: 1, rf: { nTrees: 5, workers: 1 } });
    expect(validation.fpr).toBeGreaterThan(0.5);
    expect(detector.report.warnings.some((w) => /^rf: flags \d+\.\d % of the benign validation rows \(more than half\)/.test(w))).toBe(true);
  });
});

describe('manifest', () => {
  it('an edited threshold is refused (checksum); a value out of range is refused even with a matching checksum', async () => {
    const data = manifold(1500, 0.3, 6);
    const { detector, validation } = await Detector.train('rf', data, { seed: 1, rf: { nTrees: 5, workers: 1 } });
    const dir = join(tmp, 'edited');
    await detector.save(dir, { seed: 1, training: {}, validation });
    const mpath = join(dir, 'manifest.json');
    const text = readFileSync(mpath, 'utf8');
    const m = JSON.parse(text);
    const edit = (thresholds: Record<string, number>, fixSum: boolean): void => {
      const t = `${JSON.stringify({ ...m, thresholds }, null, 2)}\n`;
      writeFileSync(mpath, t);
      if (fixSum) writeFileSync(join(dir, 'manifest.sha256'), `${createHash('sha256').update(t).digest('hex')}  manifest.json\n`);
    };
    edit({ rf: 0.999 }, false);
    await expect(Detector.load(dir)).rejects.toThrow(`${mpath}: sha256 does not match manifest.sha256 (the manifest was edited or corrupted)`);
    edit({ rf: 1000 }, true);
    await expect(Detector.load(dir)).rejects.toThrow(`${mpath}: thresholds.rf: expected a probability in (0, 1)`);
    edit({ rf: -1 }, true);
    await expect(Detector.load(dir)).rejects.toThrow(`${mpath}: thresholds.rf: Too small: expected number to be >0`);
    writeFileSync(mpath, JSON.stringify({ ...m, targetFpr: 2 }));
    writeFileSync(join(dir, 'manifest.sha256'), `${createHash('sha256').update(readFileSync(mpath)).digest('hex')}  manifest.json\n`);
    await expect(Detector.load(dir)).rejects.toThrow(`${mpath}: targetFpr: Too big: expected number to be <=0.5`);
    writeFileSync(mpath, text);
    writeFileSync(join(dir, 'manifest.sha256'), `${createHash('sha256').update(text).digest('hex')}  manifest.json\n`);
    const back = await Detector.load(dir);
    expect(back.detector.thresholds).toEqual(detector.thresholds);
  });

  it('--force replaces a model directory, never another folder', async () => {
    const data = manifold(800, 0.3, 7);
    const { detector, validation } = await Detector.train('rf', data, { seed: 1, rf: { nTrees: 3, workers: 1 } });
    const dir = join(tmp, 'force-model');
    await detector.save(dir, { seed: 1, training: {}, validation });
    await detector.save(dir, { seed: 1, training: { again: true }, validation }, true);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).training).toEqual({ again: true });
    const notes = join(tmp, 'notes');
    await import('node:fs').then((fs) => fs.mkdirSync(notes));
    writeFileSync(join(notes, 'thesis.tex'), 'x');
    await expect(detector.save(notes, { seed: 1, training: {}, validation }, true)).rejects.toThrow(/not replaced: --force replaces only a cyrange model directory \(no manifest\.json in it\)/);
    expect(readFileSync(join(notes, 'thesis.tex'), 'utf8')).toBe('x');
  });
});

describe('detector registry', () => {
  it('a registered kind trains, saves and loads like a built-in one', async () => {
    /** Alerts when the first feature (normalised) exceeds a threshold set at max F1: a minimal plugin kind. */
    class FirstFeature implements DetectorModel {
      readonly scoreRule = 'alert when z[0] / thresholds.firstFeature >= 1';
      constructor(readonly t: number) {}
      get thresholds(): Record<string, number> {
        return { firstFeature: this.t };
      }
      scoreNormalized(X: Float32Array, nRows: number): Float32Array {
        const d = X.length / Math.max(1, nRows);
        return Float32Array.from({ length: nRows }, (_, i) => X[i * d]! / this.t);
      }
      async save(dir: string): Promise<void> {
        writeFileSync(join(dir, 'first-feature.json'), '{}');
      }
    }
    registerDetector('first-feature', {
      description: 'test kind',
      needsAttacks: true,
      usesTf: false,
      impl: async () => ({
        fit: async () => ({ model: new FirstFeature(1.5), warnings: [] }),
        load: async (_dir, th) => new FirstFeature(th.firstFeature!),
      }),
    });
    expect(detectorKinds()).toEqual(['rf', 'autoencoder', 'ensemble', 'first-feature']);
    const data = manifold(600, 0.3, 8, 3);
    const { detector, validation } = await Detector.train('first-feature', data, { seed: 1 });
    const dir = join(tmp, 'plugin');
    await detector.save(dir, { seed: 1, training: {}, validation });
    const back = await Detector.load(dir);
    expect(back.detector.kind).toBe('first-feature');
    expect(Array.from(back.detector.score(data.X, 50))).toEqual(Array.from(detector.score(data.X, 50)));
    await expect(Detector.train('svm', data)).rejects.toThrow('detector kind: unknown detector kind "svm" (known: rf, autoencoder, ensemble, first-feature)');
  });
});
