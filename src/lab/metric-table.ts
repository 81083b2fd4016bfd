/**
 * The metrics the lab aggregates: one line each. Definitions live in src/range/metrics.ts (the one
 * definition of each metric); this table says how to read each from an episode record and how to
 * aggregate it:
 * - `mean`: one value per episode (or none where undefined); a cell's unit value is its episodes' mean;
 * - `censored`: a time to an event per incident (or per episode), censored at the episode's end when the
 *   event did not happen by then; a cell's unit value is its Kaplan-Meier restricted mean to the run's
 *   common horizon, with the KM median and the censored share beside it.
 * `range` is the metric's possible range (bounds of intervals are kept inside it).
 *
 * Adding a metric is adding one line here (and its field to EpisodeMetrics and the stored schema).
 * Episode records may carry `incidents` (range v2: one foothold's life on one host); censored metrics
 * read them when present and fall back to the episode-level fields of today's EpisodeMetrics.
 */
import type { CensoredTime } from '../shared/kaplan-meier.js';
import type { StoredEpisode } from './run-format.js';

export type EpisodeRecord = StoredEpisode;
type IncidentField = 'timeToDetect' | 'responseLatency' | 'timeToContain' | 'timeToEradicate';

interface MetricBase {
  key: string;
  label: string;
  unit: string;
  /** Display scale (100 for shares shown in %) and decimals. */
  scale: number;
  digits: number;
  range: readonly [number, number];
}
export interface MeanMetric extends MetricBase {
  kind: 'mean';
  episode: (m: EpisodeRecord) => number | null;
}
export interface CensoredMetric extends MetricBase {
  kind: 'censored';
  episode: (m: EpisodeRecord) => CensoredTime[];
}
export type MetricDef = MeanMetric | CensoredMetric;

const finite = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const NON_NEG: readonly [number, number] = [0, Infinity];
const SHARE: readonly [number, number] = [0, 1];

/** The incidents' times for `field` (an incident without that time, e.g. no alert for a response latency, has none). */
function perIncident(field: IncidentField): (m: EpisodeRecord) => CensoredTime[] {
  return (m) => m.incidents.flatMap((i) => (i[field] ? [i[field]!] : []));
}

/** The episode's time to objective, censored at the episode's end when the attacker did not get there. */
const objective = (m: EpisodeRecord): CensoredTime[] => [m.timeToObjective !== null ? { time: m.timeToObjective, event: true } : { time: m.duration, event: false }];

const mean = (key: string, label: string, unit: string, scale: number, digits: number, range: readonly [number, number], episode: MeanMetric['episode']): MeanMetric => ({ kind: 'mean', key, label, unit, scale, digits, range, episode });
const censored = (key: string, label: string, episode: CensoredMetric['episode']): CensoredMetric => ({ kind: 'censored', key, label, unit: 's', scale: 1, digits: 1, range: NON_NEG, episode });

export const METRICS: readonly MetricDef[] = [
  censored('responseLatency', 'Response latency', perIncident('responseLatency')),
  censored('timeToDetect', 'Time to detect', perIncident('timeToDetect')),
  censored('timeToContain', 'Time to containment', perIncident('timeToContain')),
  censored('timeToEradicate', 'Time to eradication', perIncident('timeToEradicate')),
  censored('timeToObjective', 'Attacker time to objective', objective),
  mean('defenderReturn', 'Defender return', 'units', 1, 1, [-Infinity, 0], (m) => finite(m.defenderReturn)),
  mean('damage', 'Damage (return part)', 'units', 1, 1, NON_NEG, (m) => finite(m.returnParts.damage)),
  mean('businessCost', 'Business cost (return part)', 'units', 1, 1, NON_NEG, (m) => finite(m.returnParts.business)),
  mean('healthyHostCost', 'Healthy-host cost', 'units', 1, 1, NON_NEG, (m) => finite(m.healthyHostCost)),
  mean('f1', 'Detection F1', '%', 100, 1, SHARE, (m) => finite(m.detection.f1)),
  mean('precision', 'Detection precision', '%', 100, 1, SHARE, (m) => finite(m.detection.precision)),
  mean('recall', 'Detection recall', '%', 100, 1, SHARE, (m) => finite(m.detection.recall)),
  mean('fpr', 'False-positive rate', '%', 100, 2, SHARE, (m) => finite(m.detection.fpr)),
  mean('attackerSuccess', 'Attacker success', '%', 100, 1, SHARE, (m) => finite(m.attackerSuccess)),
  mean('compromiseRate', 'Compromise rate', '%', 100, 1, SHARE, (m) => finite(m.compromiseRate)),
  mean('reentries', 'Re-entries', 'per episode', 1, 2, NON_NEG, (m) => finite(m.reentries)),
  mean('chainLength', 'Attack chain length', 'hosts', 1, 2, NON_NEG, (m) => finite(m.chainLength)),
  mean('attackPhases', 'Attack complexity score', 'phases per attack', 1, 2, [0, 5], (m) => finite(m.attackPhases)),
];

export function metricDef(key: string): MetricDef {
  const d = METRICS.find((x) => x.key === key);
  if (!d) throw new Error(`no metric "${key}" in the metric table`);
  return d;
}
