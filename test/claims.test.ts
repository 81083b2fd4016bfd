/**
 * Claim verdicts on hand-made result sets (one per outcome), and the seed-unit aggregation of a
 * hand-made run directory: censored times kept, pairing over seeds, every number with its n.
 */
import { metricDef } from '../src/lab/metric-table.js';
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateClaims, type ClaimInput } from '../src/lab/claims.js';
import { computeResults } from '../src/lab/results.js';
import { resultsSchema } from '../src/lab/run-format.js';
import { episode, handmadeRun, type HandmadeCell } from './handmade-run.js';
import { pairedTTest } from '../src/shared/paired-tests.js';
import { holmAdjust } from '../src/shared/stats.js';
import { kaplanMeier, restrictedMean } from '../src/shared/kaplan-meier.js';
import type { Verdict } from '../src/shared/verdict.js';

const SIZES = [
  { scenario: 'small', hosts: 50 },
  { scenario: 'medium', hosts: 120 },
  { scenario: 'large', hosts: 200 },
];
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
/** Deterministic noise in [-0.5, 0.5) per seed (and a salt), so a test's numbers are fixed. */
const noise = (s: number, salt = 0): number => (((s * 7919 + salt * 104729) % 13) / 13) - 0.5;

type Values = (defender: string, hosts: number, seed: number, metric: string) => number | null;

function input(values: Values, defenders = ['rf', 'rule-mas', 'static-range'], seeds = SEEDS): ClaimInput {
  const hostsOf = new Map(SIZES.map((s) => [s.scenario, s.hosts]));
  return { attackers: ['dqn'], defenders, seeds, sizes: SIZES, value: (_a, sc, d, s, m) => values(d, hostsOf.get(sc)!, s, m), incomplete: 0 };
}

const BASE: Record<string, number> = { rf: 2, 'rule-mas': 6, 'static-range': 12 };
/** The paper's world: ML fastest, every latency rising with size, ML F1 well above rule-mas. */
const paperWorld: Values = (d, hosts, s, m) => (m === 'f1' ? (d === 'rf' ? 0.9 : 0.6) + 0.02 * noise(s, hosts) : BASE[d]! + hosts / 25 + 0.3 * noise(s, hosts + d.length));

const cases: { name: string; values: Values; defenders?: string[]; seeds?: number[]; verdicts: [Verdict, Verdict, Verdict] }[] = [
  { name: 'the paper\'s world: all three supported', values: paperWorld, verdicts: ['supported', 'supported', 'supported'] },
  {
    name: 'ML slower than the baselines, latency falling with size, F1 below: all three not supported',
    values: (d, hosts, s, m) => (m === 'f1' ? (d === 'rf' ? 0.4 : 0.7) + 0.02 * noise(s, hosts) : 20 - BASE[d]! - hosts / 25 + 0.3 * noise(s, hosts + d.length)),
    verdicts: ['not supported', 'not supported', 'not supported'],
  },
  {
    // differences of the same size as the seed-to-seed noise: nothing is Holm-significant
    name: 'noise only: all three inconclusive (a reversal in the means is not a refutation)',
    values: (d, hosts, s, m) => (m === 'f1' ? 0.6 + 0.2 * noise(s, hosts + d.length) : 5 + 3 * noise(s, hosts * 3 + d.length)),
    verdicts: ['inconclusive', 'inconclusive', 'inconclusive'],
  },
  {
    // (rf's latency still rises with size, so claim 2 stays supported)
    name: 'supported at two sizes, significantly reversed at one: not supported',
    values: (d, hosts, s, m) => (hosts === 200 && d === 'rf' && m !== 'f1' ? 30 + 0.3 * noise(s) : paperWorld(d, hosts, s, m)),
    verdicts: ['not supported', 'supported', 'supported'],
  },
  {
    name: 'two seeds only: too few to decide anything',
    values: paperWorld,
    seeds: [1, 2],
    verdicts: ['inconclusive', 'inconclusive', 'inconclusive'],
  },
  {
    name: 'no baseline in the run: claims 1 and 3 have nothing to test',
    values: paperWorld,
    defenders: ['rf'],
    verdicts: ['inconclusive', 'supported', 'inconclusive'],
  },
];

describe('claim verdicts on hand-made result sets', () => {
  it.each(cases)('$name', ({ values, defenders, seeds, verdicts }) => {
    const out = evaluateClaims(input(values, defenders, seeds));
    expect(out.claims.map((c) => c.verdict)).toEqual(verdicts);
    for (const c of out.claims) {
      expect(c.attacker).toBe('dqn');
      if (c.n > 0 && c.verdict !== 'inconclusive') {
        expect(c.p).not.toBeNull();
        expect(c.pHolm!).toBeLessThan(0.05);
      }
    }
  });

  it('every seed the same difference (no spread for a t statistic): the exact Wilcoxon p decides', () => {
    const same: Values = (d, hosts, s, m) => (m === 'f1' ? (d === 'rf' ? 1 : 0) : paperWorld(d, hosts, s, m));
    const out = evaluateClaims(input(same));
    const c = out.comparisons.find((r) => r.claim === 3)!;
    expect(c.t).toBeNull();
    expect(c.test).toBe('wilcoxon');
    expect(c.p).toBe(2 / 2 ** 8);
    expect(out.claims.find((r) => r.id === 3)!.verdict).toBe('supported');
  });

  it('Holm runs over the whole family, verdicts use the adjusted p, and a claim reports its deciding part', () => {
    const out = evaluateClaims(input(paperWorld));
    const family = [...out.comparisons, ...out.trends];
    expect(out.family.size).toBe(family.length); // 6 + 3 comparisons, 3 trends, all testable
    expect(family.length).toBe(12);
    const adj = holmAdjust(family.map((r) => r.p!));
    family.forEach((r, i) => expect(r.pHolm).toBe(adj[i]));
    // the paired t-test on the seeds' values decides
    const c = out.comparisons.find((r) => r.claim === 1 && r.hosts === 120 && r.baseline === 'static-range')!;
    const x = SEEDS.map((s) => paperWorld('rf', 120, s, 'responseLatency')!);
    const y = SEEDS.map((s) => paperWorld('static-range', 120, s, 'responseLatency')!);
    expect(c.n).toBe(8);
    expect(c.p).toBeCloseTo(pairedTTest(x, y).pValue, 15);
    expect(c.meanDiff).toBeCloseTo(-10, 0);
    expect(c.wilcoxonP).toBeCloseTo(0.0078125, 12); // 8 pairs all one way: 2/2^8
    // supported: the weakest part (largest Holm p) decides
    const claim1 = out.claims.find((r) => r.id === 1)!;
    const parts = out.comparisons.filter((r) => r.claim === 1);
    expect(claim1.pHolm).toBe(Math.max(...parts.map((r) => r.pHolm!)));
    expect(claim1.n).toBe(6);
  });

  it('a seed missing on one side drops that pair only (n says so)', () => {
    const holes: Values = (d, hosts, s, m) => (d === 'rule-mas' && s === 3 ? null : paperWorld(d, hosts, s, m));
    const out = evaluateClaims(input(holes));
    const c = out.comparisons.find((r) => r.claim === 1 && r.baseline === 'rule-mas')!;
    expect(c.n).toBe(7);
    expect(out.comparisons.find((r) => r.claim === 1 && r.baseline === 'static-range')!.n).toBe(8);
    expect(out.trends.find((t) => t.defender === 'rule-mas')!.n).toBe(21);
  });
});

// ---------------------------------------------------------------------------------------------
// A hand-made run directory
// ---------------------------------------------------------------------------------------------

const root = mkdtempSync(join(tmpdir(), 'cyrange-claims-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An episode with one incident from t = 0: detected at `det` (or never), responded at det + lat (or never), in an episode of `duration` s. */
const ep = (seed: number, duration: number, det: number | null, lat: number | null) => episode(seed, { duration, incidents: [{ det, lat }] });
const runDir = (name: string, cells: HandmadeCell[]): string => handmadeRun(root, name, cells);

describe('seed-unit aggregation of a run directory', () => {
  it('keeps censored latencies (a defence that never responds is slow, not absent), pairs over seeds, carries n everywhere', () => {
    // 'slow' detects at 10 s and never responds in 60 s episodes: censored at 50 s. 'fast' responds after 2-3 s.
    const cells = [1, 2, 3].flatMap((seed) => [
      { defender: 'fast', seed, eps: [ep(seed, 60, 10, 2 + seed / 10), ep(seed, 60, 10, 3)] },
      { defender: 'slow', seed, eps: [ep(seed, 60, 10, null), ep(seed, 60, null, null)] },
    ]);
    const res = resultsSchema.parse(computeResults(runDir('censor', cells)));
    const lat = res.metrics.find((m) => m.key === 'responseLatency')!;
    expect(lat.kind).toBe('censored');
    expect(lat.horizon).toBe(50); // the largest time observed: the censoring at 60 - 10
    const slow = res.units.find((u) => u.defender === 'slow' && u.seed === 1)!.values.responseLatency!;
    // one censored observation (the undetected episode has no latency to time): RMST = horizon, all censored
    expect(slow).toEqual({ value: 50, n: 1, median: null, censoredShare: 1 });
    const fast = res.units.find((u) => u.defender === 'fast' && u.seed === 2)!.values.responseLatency!;
    const km = kaplanMeier([{ time: 2.2, event: true }, { time: 3, event: true }]);
    expect(fast.value).toBeCloseTo(restrictedMean(km, 50), 12);
    expect(fast.value).toBeCloseTo(2.6, 12);
    const g = res.groups.find((x) => x.defender === 'slow')!;
    expect(g.metrics.responseLatency).toMatchObject({ mean: 50, n: 3, observations: 3, km: { median: null, censoredShare: 1, n: 3 } });
    // time to detect: the undetected episode is censored at its end (60 s), not dropped
    expect(res.units.find((u) => u.defender === 'slow' && u.seed === 1)!.values.timeToDetect).toMatchObject({ n: 2, censoredShare: 0.5 });
    // every group metric has n and a bootstrap interval inside its range (times: inside [0, horizon])
    for (const gr of res.groups)
      for (const [k, s] of Object.entries(gr.metrics)) {
        expect(s.n, k).toBe(3);
        if (s.ciLow !== null) expect(s.ciLow, k).toBeGreaterThanOrEqual(metricDef(k).range[0]);
        if (s.ciHigh !== null) expect(s.ciHigh, k).toBeLessThanOrEqual(metricDef(k).range[1]);
        if (k === 'responseLatency' && s.ciHigh !== null) expect(s.ciHigh).toBeLessThanOrEqual(50);
      }
    expect(res.claims).toHaveLength(3); // one attacker; no paper defences in this run
    expect(res.claims.every((c) => c.verdict === 'inconclusive' && c.n === 0)).toBe(true);
  });
});
