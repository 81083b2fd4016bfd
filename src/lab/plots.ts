/**
 * SVG figures for the report, rendered headless in Node with vega-lite -> vega (`renderer: 'none'`).
 *
 * No browser and no `canvas` package: text widths come from vega's built-in estimate
 * (0.8 * fontSize per character), which we force on so the output does not change if `canvas` ever
 * gets installed. Same input -> byte-identical SVG:
 * - data rows are sorted into a canonical order before rendering,
 * - vega's global clip/gradient id counters are reset, and element ids are rewritten with a prefix
 *   derived from a hash of the spec, so several figures can be inlined into one HTML page without
 *   their `<clipPath id>`s colliding.
 * Specs must carry inline data (`data.values`); nothing is fetched.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { hashString } from '../shared/prng.js';

/** Internals of vega-scenegraph re-exported by `vega` at runtime but absent from its typings. */
interface VegaInternals {
  textMetrics?: { canvas(use: boolean): void };
  resetSVGDefIds?: () => void;
}
const internals = vega as unknown as VegaInternals;

const FONT = 'Helvetica, Arial, sans-serif';

/** Shared look: white background, no chart border, readable labels. */
const BASE_CONFIG = {
  background: 'white',
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' as const },
};

/** Rewrite every `id="x"` (and its `url(#x)` / `href="#x"` references) to `${prefix}-${n}`. */
function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_all, a: string, id: string, b: string) => a + (ids.get(id) ?? id) + b)
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${ids.get(id)!})` : all))
    .replace(/(href=")#([^"]+)(")/g, (all, a: string, id: string, b: string) =>
      ids.has(id) ? `${a}#${ids.get(id)!}${b}` : all,
    );
}

/**
 * Compile a Vega-Lite spec and render it to an SVG string, without a browser or canvas.
 * Vega-Lite compile warnings and vega runtime warnings are suppressed (errors still throw).
 */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  internals.textMetrics?.canvas(false);
  const silent = vega.logger(vega.None);
  const compiled = compile(spec, { logger: silent }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    internals.resetSVGDefIds?.();
    const svg = await view.toSVG();
    return prefixSvgIds(svg, `vl${hashString(JSON.stringify(spec)).toString(16).padStart(8, '0')}`);
  } finally {
    view.finalize();
  }
}

// ---------------------------------------------------------------------------------------------
// Chart builders
// ---------------------------------------------------------------------------------------------

export interface LatencyPoint {
  hosts: number;
  defender: string;
  attacker?: string;
  mean: number;
  /** CI bounds; non-finite values (e.g. n = 1) draw the point without an error bar. */
  lo: number;
  hi: number;
}

export interface ChartOptions {
  title?: string;
  /** Width of one panel in px (default 320). */
  width?: number;
  /** Height of one panel in px (default 220). */
  height?: number;
}

export interface LatencyChartOptions extends ChartOptions {
  /** y-axis title (default `Response latency (steps)`). */
  yTitle?: string;
  /** `point` (default) draws mean markers; `bar` draws bars from 0. Both get CI error bars. */
  mark?: 'point' | 'bar';
  /** Log-scale y axis, for latencies spanning orders of magnitude (default false). */
  logY?: boolean;
}

export interface F1Point {
  hosts: number;
  defender: string;
  attacker?: string;
  f1: number;
}

export interface CurvePoint {
  round: number;
  series: string;
  metric: string;
  value: number;
}

/** JSON cannot hold NaN/Infinity and vega-lite's invalid-filter wants null. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasAttacker(rows: readonly { attacker?: string }[]): boolean {
  return rows.some((r) => r.attacker !== undefined && r.attacker !== '');
}

/** Wrap a unit/layer spec in a column facet by `field` when asked; otherwise return it at top level. */
function maybeFacet(
  values: object[],
  inner: Record<string, unknown>,
  facetField: string | undefined,
  facetTitle: string,
  opts: ChartOptions,
  extra: Record<string, unknown> = {},
): TopLevelSpec {
  const top = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(opts.title ? { title: opts.title } : {}),
    config: BASE_CONFIG,
    data: { values },
  };
  const sized = { width: opts.width ?? 320, height: opts.height ?? 220, ...inner };
  if (facetField === undefined) return { ...top, ...sized } as TopLevelSpec;
  return {
    ...top,
    facet: { column: { field: facetField, type: 'nominal', title: facetTitle, sort: 'ascending' } },
    spec: sized,
    ...extra,
  } as TopLevelSpec;
}

/**
 * Mean response latency +- CI per network size (x, ordinal) and defender (colour, dodged), one panel
 * per attacker when any point names one.
 */
export async function latencyBySizeSvg(points: readonly LatencyPoint[], opts: LatencyChartOptions = {}): Promise<string> {
  const facet = hasAttacker(points);
  const values = [...points]
    .map((p) => ({
      hosts: p.hosts,
      defender: p.defender,
      attacker: p.attacker ?? '',
      mean: finiteOrNull(p.mean),
      lo: finiteOrNull(p.lo),
      hi: finiteOrNull(p.hi),
    }))
    .sort((a, b) => cmpStr(a.attacker, b.attacker) || a.hosts - b.hosts || cmpStr(a.defender, b.defender));
  const yTitle = opts.yTitle ?? 'Response latency (steps)';
  const yScale = opts.logY ? { type: 'log' } : { zero: opts.mark === 'bar' };
  const x = { field: 'hosts', type: 'ordinal', title: 'Network size (hosts)', axis: { labelAngle: 0 } };
  const xOffset = { field: 'defender', type: 'nominal' };
  const color = { field: 'defender', type: 'nominal', title: 'Defender' };
  const bar = opts.mark === 'bar';
  const inner = {
    encoding: { x, xOffset },
    layer: [
      {
        mark: bar ? { type: 'bar', opacity: 0.85 } : { type: 'point', filled: true, size: 60, opacity: 1 },
        encoding: { y: { field: 'mean', type: 'quantitative', title: yTitle, scale: yScale }, color },
      },
      {
        // on bars a same-coloured whisker would vanish into the bar, so draw it dark
        mark: { type: 'rule', strokeWidth: 1.5, ...(bar ? { color: '#222' } : {}) },
        encoding: {
          y: { field: 'lo', type: 'quantitative', title: yTitle },
          y2: { field: 'hi' },
          ...(bar ? {} : { color }),
        },
      },
    ],
  };
  return renderVegaLiteSvg(maybeFacet(values, inner, facet ? 'attacker' : undefined, 'Attacker', opts));
}

/** Detection F1 per network size and defender as grouped bars on [0, 1], one panel per attacker. */
export async function f1BySizeSvg(points: readonly F1Point[], opts: ChartOptions = {}): Promise<string> {
  const facet = hasAttacker(points);
  const values = [...points]
    .map((p) => ({ hosts: p.hosts, defender: p.defender, attacker: p.attacker ?? '', f1: finiteOrNull(p.f1) }))
    .sort((a, b) => cmpStr(a.attacker, b.attacker) || a.hosts - b.hosts || cmpStr(a.defender, b.defender));
  const inner = {
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'hosts', type: 'ordinal', title: 'Network size (hosts)', axis: { labelAngle: 0 } },
      xOffset: { field: 'defender', type: 'nominal' },
      y: { field: 'f1', type: 'quantitative', title: 'Detection F1', scale: { domain: [0, 1] } },
      color: { field: 'defender', type: 'nominal', title: 'Defender' },
    },
  };
  return renderVegaLiteSvg(maybeFacet(values, inner, facet ? 'attacker' : undefined, 'Attacker', opts));
}

/**
 * Co-training curves: one line per series over rounds, one panel per metric (independent y scales,
 * since metrics have different units).
 */
export async function coTrainingCurvesSvg(points: readonly CurvePoint[], opts: ChartOptions = {}): Promise<string> {
  const values = [...points]
    .map((p) => ({ round: p.round, series: p.series, metric: p.metric, value: finiteOrNull(p.value) }))
    .sort((a, b) => cmpStr(a.metric, b.metric) || cmpStr(a.series, b.series) || a.round - b.round);
  const inner = {
    mark: { type: 'line', point: true, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'Co-training round', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: 'Value', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: 'Series' },
    },
  };
  const o = { width: 260, height: 200, ...opts };
  return renderVegaLiteSvg(
    maybeFacet(values, inner, 'metric', 'Metric', o, { resolve: { scale: { y: 'independent' } } }),
  );
}

export interface ScalarPoint {
  name: string;
  step: number;
  value: number;
  /** Colour (e.g. the scenario); one line when absent. */
  series?: string;
}

/**
 * Training curves (scalars.jsonl): one panel per scalar name, value over the learner's steps, panels
 * wrapped three to a row with independent y scales.
 */
export async function trainingCurvesSvg(points: readonly ScalarPoint[], opts: ChartOptions & { seriesTitle?: string } = {}): Promise<string> {
  const series = points.some((p) => p.series !== undefined);
  const values = [...points]
    .map((p) => ({ name: p.name, step: p.step, value: finiteOrNull(p.value), series: p.series ?? '' }))
    .sort((a, b) => cmpStr(a.name, b.name) || cmpStr(a.series, b.series) || a.step - b.step);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(opts.title ? { title: opts.title } : {}),
    config: BASE_CONFIG,
    data: { values },
    facet: { field: 'name', type: 'nominal', title: null, sort: 'ascending' },
    columns: 3,
    spec: {
      width: opts.width ?? 260,
      height: opts.height ?? 180,
      mark: { type: 'line', strokeWidth: 1.2 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'Step' },
        y: { field: 'value', type: 'quantitative', title: 'Value', scale: { zero: false } },
        ...(series ? { color: { field: 'series', type: 'nominal', title: opts.seriesTitle ?? 'Series' } } : {}),
      },
    },
    resolve: { scale: { y: 'independent', x: 'independent' } },
  };
  return renderVegaLiteSvg(spec as TopLevelSpec);
}

export interface LearningCurvePoint {
  /** Panel column (e.g. the attacker kind) and colour (e.g. the scenario). */
  panel: string;
  series: string;
  /** Panel row: what is plotted (e.g. success rate, reward). */
  metric: string;
  episodes: number;
  mean: number;
  /** Interval bounds; non-finite values draw the point without a bar. */
  lo: number;
  hi: number;
}

/**
 * Frozen learning curves: mean over seeds against training episodes, with interval bars, one line per
 * series, a panel per (metric, panel) with independent y scales.
 */
export async function learningCurvesSvg(points: readonly LearningCurvePoint[], opts: ChartOptions = {}): Promise<string> {
  const values = [...points]
    .map((p) => ({ panel: p.panel, series: p.series, metric: p.metric, episodes: p.episodes, mean: finiteOrNull(p.mean), lo: finiteOrNull(p.lo), hi: finiteOrNull(p.hi) }))
    .sort((a, b) => cmpStr(a.metric, b.metric) || cmpStr(a.panel, b.panel) || cmpStr(a.series, b.series) || a.episodes - b.episodes);
  const x = { field: 'episodes', type: 'quantitative', title: 'Training episodes' };
  const color = { field: 'series', type: 'nominal', title: 'Scenario' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(opts.title ? { title: opts.title } : {}),
    config: BASE_CONFIG,
    data: { values },
    facet: { row: { field: 'metric', type: 'nominal', title: null }, column: { field: 'panel', type: 'nominal', title: 'Attacker' } },
    spec: {
      width: opts.width ?? 280,
      height: opts.height ?? 170,
      encoding: { x },
      layer: [
        { mark: { type: 'line', point: true, strokeWidth: 1.5 }, encoding: { y: { field: 'mean', type: 'quantitative', title: 'Mean over seeds', scale: { zero: false } }, color } },
        { mark: { type: 'rule', strokeWidth: 1 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
  return renderVegaLiteSvg(spec as TopLevelSpec);
}
