import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/range/presets.js';
import { RangeEnv } from '../src/range/env.js';
import { runEpisode } from '../src/range/agent.js';
import { ScriptedAttacker } from '../src/range/baselines.js';
import { collectTelemetry } from '../src/train/collect.js';
import { Detector } from '../src/detectors/detector.js';
import { createDefense, DEFENSE_PARAMS } from '../src/defenders/registry.js';
import { episodeMetrics } from '../src/range/metrics.js';
import { fitSchema, normalize } from '../src/detectors/features.js';
import { loadRules, ruleScore } from '../src/defenders/rules.js';
import { FEATURES } from '../src/range/telemetry.js';
import { CyrangeError } from '../src/shared/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'cyrange-def-'));
const small = loadScenario('small');
const data = collectTelemetry(small, { episodes: 4, seed: 3 });

describe('features', () => {
  it('the normaliser is fitted on training data and reproduces exactly', () => {
    const s = fitSchema(FEATURES, data.X, data.nRows);
    expect(s.names).toEqual([...FEATURES]);
    const a = normalize(s, data.X, data.nRows);
    const b = normalize(JSON.parse(JSON.stringify(s)), data.X, data.nRows);
    expect(Array.from(a.slice(0, 500))).toEqual(Array.from(b.slice(0, 500)));
    const col0 = Array.from({ length: data.nRows }, (_, i) => a[i * FEATURES.length]!);
    expect(Math.abs(col0.reduce((x, y) => x + y, 0) / data.nRows)).toBeLessThan(1e-3);
  });
});

describe('detectors', () => {
  it('collects labelled telemetry with both classes and weights for subsampled benign rows', () => {
    const attacks = data.y.reduce((s, v) => s + v, 0);
    expect(attacks).toBeGreaterThan(100);
    expect(data.nRows - attacks).toBeGreaterThan(100);
    expect(data.weights![data.y.indexOf(0)]).toBeCloseTo(20, 5);
  });

  it('a random forest detector validates well, exports, reloads in a new process and scores identically', async () => {
    const { detector, validation } = await Detector.train('rf', data, { seed: 1, rf: { nTrees: 20, workers: 1 } });
    // Slow attackers' windows carry a whole event or two among benign noise, so recall is bounded well
    // below 1; flagging everything would score F1 ~0.1 here (about 5 % of weighted rows are attacks).
    expect(validation.f1).toBeGreaterThan(0.45);
    expect(validation.precision).toBeGreaterThan(0.6);
    expect(validation.fpr).toBeLessThan(0.03);
    const dir = join(tmp, 'rf');
    await detector.save(dir, { seed: 1, training: { source: 'test' }, validation });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.kind).toBe('rf');
    expect(m.featureSchema.names).toEqual([...FEATURES]);
    expect(Object.keys(m.files)).toEqual(['forest.json']);
    expect(m.files['forest.json']).toMatch(/^[0-9a-f]{64}$/);
    // Score in this process and in a fresh one (the built CLI's library) on the same rows.
    const rows = data.X.slice(0, 200 * FEATURES.length);
    writeFileSync(join(tmp, 'rows.json'), JSON.stringify(Array.from(rows)));
    const here = Array.from(detector.score(rows, 200));
    const script = `import { Detector } from ${JSON.stringify(new URL('../dist/detectors/detector.js', import.meta.url).href)};
      import { readFileSync } from 'node:fs';
      const rows = Float32Array.from(JSON.parse(readFileSync(${JSON.stringify(join(tmp, 'rows.json'))}, 'utf8')));
      const { detector } = await Detector.load(${JSON.stringify(dir)});
      console.log(JSON.stringify(Array.from(detector.score(rows, 200))));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(here);
  });

  it('refuses a missing, tampered, newer-format model directory, and never overwrites without force', async () => {
    const { detector, validation } = await Detector.train('rf', data, { seed: 2, rf: { nTrees: 5, workers: 1 } });
    const dir = join(tmp, 'rf2');
    await detector.save(dir, { seed: 2, training: {}, validation });
    await expect(detector.save(dir, { seed: 2, training: {}, validation })).rejects.toThrow(/already exists and is not empty \(use --force/);
    await expect(Detector.load(join(tmp, 'nope'))).rejects.toThrow(/no such model directory/);
    const f = join(dir, 'forest.json');
    const orig = readFileSync(f, 'utf8');
    writeFileSync(f, orig.replace(/\d(?=[,\]])/, '7'));
    await expect(Detector.load(dir)).rejects.toThrow(CyrangeError);
    await expect(Detector.load(dir)).rejects.toThrow(/forest\.json: sha256 does not match manifest\.json/);
    writeFileSync(f, orig);
    const mf = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(mf, 'utf8'));
    writeFileSync(mf, JSON.stringify({ ...m, format: 99 }));
    await expect(Detector.load(dir)).rejects.toThrow(/format: 99 is newer than this cyrange reads/);
    writeFileSync(mf, '{ not json');
    await expect(Detector.load(dir)).rejects.toThrow(/manifest\.json: not valid JSON/);
  });
});

describe('defences', () => {
  it('rules parse once and score a brute-force window above a quiet one', async () => {
    const rules = await loadRules('default');
    const quiet = new Float32Array(FEATURES.length);
    const brute = new Float32Array(FEATURES.length);
    brute[FEATURES.indexOf('failedAuth')] = 5;
    expect(ruleScore(rules, quiet)).toBe(0);
    expect(ruleScore(rules, brute)).toBeGreaterThanOrEqual(1);
    const bad = join(tmp, 'bad-rules.json');
    writeFileSync(bad, JSON.stringify({ format: 1, name: 'x', rules: [{ id: 'a', when: 'import("fs")', severity: 1 }] }));
    await expect(loadRules(bad)).rejects.toThrow(/bad-rules\.json: rules\[0\]\.when: /);
  });

  it('every defence kind runs an episode; the defender return adds up; no defence never responds', async () => {
    const env = new RangeEnv(small);
    const { detector } = await Detector.train('rf', data, { seed: 1, rf: { nTrees: 20, workers: 1 } });
    for (const kind of ['none', 'rf', 'rule-mas', 'static-range', 'oracle', 'flag-all'] as const) {
      const d = await createDefense(kind, env, { detector });
      let responses = 0;
      for (let s = 0; s < 3; s++) {
        const ep = runEpisode(env, { ...d.policies, attacker_0: new ScriptedAttacker() }, 500 + s);
        const m = episodeMetrics(env, ep, d.recorder);
        const r = ep.events.filter((e) => e.type === 'response').length;
        responses += r;
        const p = m.returnParts;
        expect(m.defenderReturn).toBeCloseTo(-(p.damage + p.exfiltration + p.business), 9);
        // The defenders' summed step rewards are the return: one definition, two views.
        expect(ep.returns[env.defenderIds[0]!]!).toBeCloseTo(m.defenderReturn, 6);
        expect(m.healthyHostCost).toBeLessThanOrEqual(p.business + 1e-9);
        if (kind === 'none') {
          expect(r).toBe(0);
          expect(m.outcome).toBe('exfiltration');
          expect(p.business).toBe(0);
          expect(m.detection.f1).toBe(0);
          expect(m.incidents.every((i) => !i.timeToDetect.event)).toBe(true);
        }
      }
      if (kind !== 'none') expect(responses).toBeGreaterThan(0);
    }
  });
});

describe('defenders CLI', () => {
  const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
  it('trains, evaluates with --json, and refuses bad input with one line', () => {
    expect(existsSync(cli)).toBe(true);
    const dir = join(tmp, 'cli-model');
    execFileSync(process.execPath, [cli, 'defenders', 'train', '--kind', 'rf', '--env', 'small', '--episodes', '2', '--out', dir, '--workers', '1'], { encoding: 'utf8' });
    const out = execFileSync(process.execPath, [cli, 'defenders', 'evaluate', '--model', dir, '--env', 'small', '--episodes', '1', '--json'], { encoding: 'utf8' });
    const j = JSON.parse(out);
    for (const k of ['precision', 'recall', 'f1', 'fpr', 'rows']) expect(typeof j[k]).toBe('number');
    const again = spawnSync(process.execPath, [cli, 'defenders', 'train', '--kind', 'rf', '--env', 'small', '--out', dir], { encoding: 'utf8' });
    expect(again.status).not.toBe(0);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already exists/);
    const badKind = spawnSync(process.execPath, [cli, 'defenders', 'train', '--kind', 'svm', '--env', 'small', '--out', join(tmp, 'x')], { encoding: 'utf8' });
    expect(badKind.status).not.toBe(0);
    expect(badKind.stderr).toMatch(/--kind/);
    expect(badKind.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
