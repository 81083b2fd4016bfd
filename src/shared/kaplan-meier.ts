/**
 * The Kaplan-Meier estimator for right-censored times (an incident not yet detected, responded to or
 * contained when its episode ended is censored there, never dropped).
 *
 * S(t) = prod over event times t_j <= t of (1 - d_j / n_j), with n_j the observations still at risk at
 * t_j (time >= t_j: a censoring at t_j counts as at risk, the usual convention, as scipy.stats.ecdf and
 * R's survfit). Summaries:
 * - median: the smallest time with S(t) <= 0.5 (Klein & Moeschberger's definition); null when the
 *   curve never gets there (more than half censored before it could);
 * - restricted mean to a horizon tau: the area under S from 0 to tau, with S carried flat after the last
 *   observation (R's survfit rmean convention); it is always defined, so it is the unit value that
 *   tests and intervals use;
 * - the censored share.
 */

export interface CensoredTime {
  time: number;
  /** true: the event happened at `time`; false: censored at `time` (not seen by then). */
  event: boolean;
}

export interface KmStep {
  time: number;
  atRisk: number;
  events: number;
  /** S just after `time`. */
  survival: number;
}

export interface KaplanMeier {
  n: number;
  events: number;
  censored: number;
  censoredShare: number;
  /** One step per distinct event time. */
  steps: KmStep[];
  /** The largest time observed (event or censoring); 0 when empty. */
  lastTime: number;
  median: number | null;
}

export function kaplanMeier(obs: readonly CensoredTime[]): KaplanMeier {
  for (const o of obs) if (!(o.time >= 0) || !Number.isFinite(o.time)) throw new RangeError(`kaplanMeier: time must be finite and >= 0, got ${o.time}`);
  const sorted = [...obs].sort((a, b) => a.time - b.time);
  const n = sorted.length;
  const steps: KmStep[] = [];
  let s = 1;
  let atRisk = n;
  for (let i = 0; i < n; ) {
    const t = sorted[i]!.time;
    let d = 0;
    let c = 0;
    for (; i < n && sorted[i]!.time === t; i++) {
      if (sorted[i]!.event) d++;
      else c++;
    }
    if (d > 0) {
      s *= 1 - d / atRisk;
      steps.push({ time: t, atRisk, events: d, survival: s });
    }
    atRisk -= d + c;
  }
  const events = obs.filter((o) => o.event).length;
  const med = steps.find((x) => x.survival <= 0.5);
  return { n, events, censored: n - events, censoredShare: n ? (n - events) / n : NaN, steps, lastTime: n ? sorted[n - 1]!.time : 0, median: med ? med.time : null };
}

/** S(t): the share still without the event at time t. */
export function survivalAt(km: KaplanMeier, t: number): number {
  let s = 1;
  for (const x of km.steps) {
    if (x.time > t) break;
    s = x.survival;
  }
  return s;
}

/** Restricted mean time to the event up to `horizon`: the area under S on [0, horizon]. NaN when empty. */
export function restrictedMean(km: KaplanMeier, horizon: number): number {
  if (km.n === 0) return NaN;
  let area = 0;
  let prev = 0;
  let s = 1;
  for (const x of km.steps) {
    if (x.time >= horizon) break;
    area += s * (x.time - prev);
    prev = x.time;
    s = x.survival;
  }
  return area + s * (horizon - prev);
}
