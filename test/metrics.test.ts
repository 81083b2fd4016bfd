/**
 * Incident metrics on hand-built event sequences: each definition in src/range/metrics.ts, including
 * censored, contained-and-regained and re-entered incidents.
 */
import { describe, expect, it } from 'vitest';
import { attackPhases, incidentsOf } from '../src/range/metrics.js';
import type { RangeEvent } from '../src/range/env.js';

const A = 'attacker_0';
const attack = (start: number, t: number, action: 'scanHost' | 'exploit' | 'lateral' | 'scanZone', host: number | null, success = true): RangeEvent => ({
  t, type: 'attack', agent: A, action, host, zone: action === 'scanZone' ? 1 : null, source: null, start, success,
});
const compromise = (t: number, host: number, reentry = false): RangeEvent => ({ t, type: 'compromise', agent: A, host, privilege: 'user', via: 'x', ...(reentry ? { reentry: true } : {}) });
const alert = (t: number, host: number): RangeEvent => ({ t, type: 'alert', agent: 'd', host, score: 1, truePositive: true });
const response = (t: number, host: number, action: 'isolate' | 'killProcess' | 'reimage' | 'restore' | 'blockSource'): RangeEvent => ({ t, type: 'response', agent: 'd', action, host, healthy: false, end: t + 1 });
const contained = (t: number, host: number): RangeEvent => ({ t, type: 'foothold-contained', agent: A, host, reason: 'isolated' });
const reconnected = (t: number, host: number): RangeEvent => ({ t, type: 'foothold-reconnected', agent: A, host });
const lost = (t: number, host: number): RangeEvent => ({ t, type: 'foothold-lost', agent: A, host, reason: 'reimaged' });

describe('incidents', () => {
  it('a detected, contained and eradicated incident: every time from the first action aimed at the host', () => {
    const ev = [
      attack(0, 2, 'scanZone', null), // zone scans are not aimed at one host
      attack(10, 11.5, 'scanHost', 3),
      attack(11.5, 15, 'exploit', 3),
      compromise(15, 3),
      alert(17.2, 3),
      response(19.4, 3, 'isolate'),
      contained(21.4, 3),
      response(21.4, 3, 'reimage'),
      lost(31.4, 3),
    ];
    const [inc, ...rest] = incidentsOf(ev, 900);
    expect(rest).toEqual([]);
    expect(inc).toMatchObject({ host: 3, start: 10, gained: 15, end: 31.4, reentry: false, regained: false });
    expect(inc!.timeToDetect.event).toBe(true);
    expect(inc!.timeToDetect.time).toBeCloseTo(7.2, 9);
    expect(inc!.responseLatency!.event).toBe(true);
    expect(inc!.responseLatency!.time).toBeCloseTo(2.2, 9);
    expect(inc!.timeToContain.time).toBeCloseTo(11.4, 9);
    expect(inc!.timeToEradicate.time).toBeCloseTo(21.4, 9);
  });

  it('never detected: every time is censored at the episode end, none is dropped', () => {
    const [inc] = incidentsOf([attack(5, 9, 'exploit', 1), compromise(9, 1)], 120);
    expect(inc!.timeToDetect).toEqual({ time: 115, event: false });
    expect(inc!.responseLatency).toBeNull();
    expect(inc!.timeToContain).toEqual({ time: 115, event: false });
    expect(inc!.timeToEradicate).toEqual({ time: 115, event: false });
  });

  it('detected but never answered: response latency is censored from the first alert', () => {
    const [inc] = incidentsOf([attack(0, 4, 'exploit', 2), compromise(4, 2), alert(6, 2), response(8, 2, 'blockSource')], 100);
    expect(inc!.timeToDetect).toEqual({ time: 6, event: true });
    expect(inc!.responseLatency).toEqual({ time: 94, event: false });
  });

  it('response latency runs from the alert of the case that was answered (a dismissed case alerted earlier)', () => {
    const [inc] = incidentsOf([attack(0, 4, 'exploit', 2), compromise(4, 2), alert(5, 2), alert(30, 2), response(31.5, 2, 'isolate')], 100);
    expect(inc!.timeToDetect.time).toBe(5);
    expect(inc!.responseLatency!.time).toBeCloseTo(1.5, 9);
  });

  it('contained then reconnected by a restore: one incident, regained, still open at the end', () => {
    const ev = [attack(0, 4, 'exploit', 5), compromise(4, 5), alert(5, 5), response(6, 5, 'isolate'), contained(8, 5), response(9, 5, 'killProcess'), response(11, 5, 'restore'), reconnected(13, 5)];
    const incs = incidentsOf(ev, 200);
    expect(incs).toHaveLength(1);
    expect(incs[0]).toMatchObject({ regained: true, end: 200 });
    expect(incs[0]!.timeToContain).toEqual({ time: 8, event: true });
    expect(incs[0]!.timeToEradicate).toEqual({ time: 200, event: false });
  });

  it('eradicated then re-entered: two incidents, the first regained, the second a re-entry with its own start', () => {
    const ev = [
      attack(0, 4, 'exploit', 5), compromise(4, 5), response(6, 5, 'reimage'), lost(16, 5),
      attack(80, 82, 'scanHost', 5), attack(82, 86, 'exploit', 5), compromise(86, 5, true), alert(90, 5),
    ];
    const [a, b] = incidentsOf(ev, 300);
    expect(a).toMatchObject({ start: 0, end: 16, regained: true, reentry: false });
    expect(a!.timeToDetect).toEqual({ time: 16, event: false });
    expect(b).toMatchObject({ start: 80, gained: 86, end: 300, reentry: true, regained: false });
    expect(b!.timeToDetect).toEqual({ time: 10, event: true });
  });

  it('an attempt that never gained a foothold is no incident; escalation stays in the same incident', () => {
    const ev = [attack(0, 4, 'exploit', 1, false), attack(4, 8, 'exploit', 2), compromise(8, 2), { ...compromise(12, 2), privilege: 'root' } as RangeEvent];
    const incs = incidentsOf(ev, 50);
    expect(incs.map((i) => i.host)).toEqual([2]);
  });
});

describe('attack complexity score', () => {
  it('counts the kill-chain phases with a successful action, per attacker that acted', () => {
    const ev: RangeEvent[] = [
      attack(0, 2, 'scanZone', null), attack(2, 3, 'scanHost', 1), attack(3, 6, 'exploit', 1, false), attack(6, 9, 'exploit', 1),
      { t: 9, type: 'attack', agent: 'attacker_1', action: 'scanHost', host: 2, zone: null, source: null, start: 8, success: false },
    ];
    // attacker_0: recon and exploit; attacker_1 acted but succeeded in nothing: (2 + 0) / 2
    expect(attackPhases(ev)).toBe(1);
    expect(attackPhases([])).toBe(0);
  });
});
