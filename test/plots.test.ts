/**
 * Headless SVG charts and the self-contained HTML report page.
 */
import { describe, it, expect } from 'vitest';
import {
  latencyBySizeSvg,
  f1BySizeSvg,
  coTrainingCurvesSvg,
  learningCurvesSvg,
  trainingCurvesSvg,
  renderVegaLiteSvg,
  type LearningCurvePoint,
  type LatencyPoint,
  type F1Point,
  type CurvePoint,
} from '../src/lab/plots.js';
import { buildReportHtml, escapeHtml } from '../src/lab/report-html.js';
import { renderCsv, renderHtmlTable, renderMarkdown, type Table } from '../src/lab/table.js';
import { Rng } from '../src/shared/prng.js';
import type { TopLevelSpec } from 'vega-lite';

const DEFENDERS = ['rule-mas', 'static-range', 'gnn-defender', 'ppo-mlp'];
const ATTACKERS = ['scripted-apt', 'ppo-attacker'];
const SIZES = [8, 16, 32, 64];

function latencyPoints(seed: number, withAttacker: boolean): LatencyPoint[] {
  const rng = new Rng(seed);
  const out: LatencyPoint[] = [];
  for (const attacker of withAttacker ? ATTACKERS : [undefined]) {
    for (const hosts of SIZES) {
      for (const defender of DEFENDERS) {
        const mean = 5 + hosts * 0.2 + 3 * rng.next();
        const hw = 0.5 + rng.next();
        out.push({ hosts, defender, ...(attacker ? { attacker } : {}), mean, lo: mean - hw, hi: mean + hw });
      }
    }
  }
  return out;
}

function f1Points(seed: number): F1Point[] {
  const rng = new Rng(seed);
  return ATTACKERS.flatMap((attacker) =>
    SIZES.flatMap((hosts) => DEFENDERS.map((defender) => ({ hosts, defender, attacker, f1: rng.next() }))),
  );
}

function curvePoints(seed: number): CurvePoint[] {
  const rng = new Rng(seed);
  const out: CurvePoint[] = [];
  for (let round = 0; round < 8; round++) {
    for (const series of ['attacker', 'defender']) {
      for (const metric of ['reward', 'latency']) out.push({ round, series, metric, value: rng.normal() });
    }
  }
  return out;
}

function expectSvg(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(svg).not.toMatch(/NaN/);
}

/** Every `http...` occurrence must be a namespace declaration. */
function externalRefs(text: string): string[] {
  const stripped = text.replace(/\sxmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
  return stripped.match(/https?:[^\s"')<]*/g) ?? [];
}

describe('charts', () => {
  it('latency by size: valid SVG with defenders, attackers and axis titles', async () => {
    const svg = await latencyBySizeSvg(latencyPoints(1, true), { title: 'Response latency' });
    expectSvg(svg);
    for (const d of DEFENDERS) expect(svg).toContain(d);
    for (const a of ATTACKERS) expect(svg).toContain(a);
    expect(svg).toContain('Network size (hosts)');
    expect(svg).toContain('Response latency (steps)');
    expect(svg).toContain('Response latency');
    expect(externalRefs(svg)).toEqual([]);
  });

  it('latency chart without attackers, bar mode, and NaN CI bounds (n = 1) render', async () => {
    const pts = latencyPoints(2, false);
    pts[0] = { ...pts[0]!, lo: NaN, hi: NaN };
    const svg = await latencyBySizeSvg(pts, { mark: 'bar', yTitle: 'Latency (s)' });
    expectSvg(svg);
    expect(svg).toContain('Latency (s)');
    expect(svg).not.toContain('Attacker');
  });

  it('F1 by size', async () => {
    const svg = await f1BySizeSvg(f1Points(3));
    expectSvg(svg);
    for (const d of DEFENDERS) expect(svg).toContain(d);
    expect(svg).toContain('Detection F1');
    expect(svg).toContain('Network size (hosts)');
  });

  it('co-training curves, faceted by metric', async () => {
    const svg = await coTrainingCurvesSvg(curvePoints(4));
    expectSvg(svg);
    for (const s of ['attacker', 'defender', 'reward', 'latency', 'Co-training round']) expect(svg).toContain(s);
  });

  it('frozen learning curves: a panel per metric and attacker, a line per scenario, deterministic whatever the row order', async () => {
    const pts: LearningCurvePoint[] = ['dqn', 'pg'].flatMap((panel) =>
      ['50 (small)', '120 (medium)'].flatMap((series) =>
        [50, 100, 150].flatMap((episodes) => [
          { panel, series, metric: 'success rate', episodes, mean: episodes / 150, lo: episodes / 200, hi: 1 },
          { panel, series, metric: 'mean attacker reward', episodes, mean: episodes * 10, lo: NaN, hi: NaN },
        ]),
      ),
    );
    const svg = await learningCurvesSvg(pts, { title: 'Frozen curves' });
    expect(svg).toMatch(/^<svg/);
    for (const t of ['Training episodes', 'success rate', 'mean attacker reward', 'dqn', 'pg', '120 (medium)', 'Frozen curves']) expect(svg, t).toContain(t);
    expect(await learningCurvesSvg([...pts].reverse(), { title: 'Frozen curves' })).toBe(svg);
  });

  it('training scalars with a series per scenario', async () => {
    const pts = [1, 2, 3].flatMap((step) => ['small', 'large'].map((series) => ({ name: 'loss', step, value: step * (series === 'small' ? 1 : 2), series })));
    const svg = await trainingCurvesSvg(pts, { seriesTitle: 'Scenario' });
    for (const t of ['loss', 'Scenario', 'small', 'large']) expect(svg, t).toContain(t);
  });

  it('is deterministic and independent of input row order', async () => {
    const pts = latencyPoints(5, true);
    const a = await latencyBySizeSvg(pts);
    const b = await latencyBySizeSvg(pts);
    const shuffled = [...pts];
    new Rng(99).shuffle(shuffled);
    const c = await latencyBySizeSvg(shuffled);
    expect(b).toBe(a);
    expect(c).toBe(a);
    const curves = curvePoints(6);
    expect(await coTrainingCurvesSvg(curves)).toBe(await coTrainingCurvesSvg([...curves].reverse()));
    // different data -> different picture
    expect(await latencyBySizeSvg(latencyPoints(7, true))).not.toBe(a);
  });

  it('escapes markup in labels', async () => {
    const svg = await f1BySizeSvg([
      { hosts: 8, defender: 'evil<script>', f1: 0.5 },
      { hosts: 8, defender: 'ok', f1: 0.7 },
    ]);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('evil&lt;script&gt;');
  });

  it('element ids (clip paths, gradients) are deterministic and distinct between figures', async () => {
    const spec = (title: string): TopLevelSpec => ({
        title,
        data: { values: [{ a: 'x', b: 1 }] },
        mark: { type: 'bar', clip: true },
        encoding: {
          x: { field: 'a', type: 'nominal' },
          y: { field: 'b', type: 'quantitative', scale: { domain: [0, 0.5] } },
          color: { value: { gradient: 'linear', stops: [{ offset: 0, color: 'red' }, { offset: 1, color: 'blue' }] } },
        },
    });
    const idsOf = (svg: string) => [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
    const a = await renderVegaLiteSvg(spec('A'));
    const b = await renderVegaLiteSvg(spec('B'));
    expect(await renderVegaLiteSvg(spec('A'))).toBe(a);
    const ia = idsOf(a);
    const ib = idsOf(b);
    expect(ia.length).toBeGreaterThanOrEqual(2);
    expect(ia.filter((id) => ib.includes(id))).toEqual([]);
    // every url(#...) reference points at an id in the same figure
    for (const m of a.matchAll(/url\(#([^)]+)\)/g)) expect(ia).toContain(m[1]);
  });

  it('renderVegaLiteSvg renders a raw spec', async () => {
    const svg = await renderVegaLiteSvg({
      data: { values: [{ a: 'x', b: 1 }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'nominal', title: 'AxisA' }, y: { field: 'b', type: 'quantitative' } },
    });
    expectSvg(svg);
    expect(svg).toContain('AxisA');
  });
});

describe('table model', () => {
  const t: Table = {
    title: 'Latency <by size>',
    columns: [{ label: 'defender' }, { label: 'hosts' }, { label: 'latency, s' }],
    rows: [
      ['rule-mas', 8, '12.3 ± 0.4'],
      ['a | b <i> "q"', 16, null],
      ['short'],
    ],
  };

  it('renders markdown: first column left, the rest right, pipes escaped, short rows padded', () => {
    expect(renderMarkdown(t)).toBe(
      ['| defender | hosts | latency, s |', '|:---|---:|---:|', '| rule-mas | 8 | 12.3 ± 0.4 |', '| a \\| b <i> "q" | 16 |  |', '| short |  |  |'].join('\n'),
    );
  });

  it('renders CSV with quoting where a field needs it and empty fields for null', () => {
    expect(renderCsv(t)).toBe('defender,hosts,"latency, s"\nrule-mas,8,12.3 ± 0.4\n"a | b <i> ""q""",16,\nshort,,\n');
  });

  it('renders HTML with every cell escaped and the same alignment', () => {
    const html = renderHtmlTable(t);
    expect(html.startsWith('<table><thead><tr><th style="text-align:left">defender</th><th style="text-align:right">hosts</th>')).toBe(true);
    expect(html).toContain('<td style="text-align:left">a | b &lt;i&gt; &quot;q&quot;</td><td style="text-align:right">16</td><td style="text-align:right"></td>');
    expect((html.match(/<tr>/g) ?? []).length).toBe(4);
    expect(renderHtmlTable({ columns: [{ label: 'x', align: 'right' }], rows: [[1]] })).toContain('<th style="text-align:right">x</th>');
  });

  it('escapeHtml covers the five specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('HTML report', () => {
  it('is one self-contained page: inline svgs, escaped text, no scripts or external resources', async () => {
    const lat = await latencyBySizeSvg(latencyPoints(8, true));
    const f1 = await f1BySizeSvg(f1Points(9));
    const page = buildReportHtml({
      title: 'cyrange report <script>alert(1)</script>',
      subtitle: 'seeds 0-4 & 20 episodes',
      meta: { commit: 'abc123', '<k>': '"v"' },
      sections: [
        {
          heading: 'Latency',
          tables: [
            { title: 'DQN <attacker>', columns: [{ label: 'defender' }, { label: 'mean' }], rows: [['rule-mas', '1.0']] },
            { columns: [{ label: 'defender' }, { label: 'mean' }], rows: [['ppo', '2.0']], note: 'note <b>' },
          ],
          svg: lat,
          note: 'Error bars: 95 % t CI over seeds <script>',
        },
        { heading: 'Detection', svg: f1, html: '<p>Trusted <em>fragment</em></p>' },
        { heading: 'Latency' },
      ],
    });
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('cyrange report &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('seeds 0-4 &amp; 20 episodes');
    expect(page).toContain('<dt>&lt;k&gt;</dt><dd>&quot;v&quot;</dd>');
    expect(page).toContain('Error bars: 95 % t CI over seeds &lt;script&gt;');
    expect(page).toContain('<p>Trusted <em>fragment</em></p>');
    expect(page).toContain(lat);
    expect(page).toContain(f1);
    expect((page.match(/<table>/g) ?? []).length).toBe(2);
    expect(page).toContain('<h3>DQN &lt;attacker&gt;</h3>');
    expect(page).toContain('<p class="note">note &lt;b&gt;</p>');
    expect((page.match(/<svg/g) ?? []).length).toBe(2);
    // repeated headings get unique anchors
    expect(page).toContain('<h2 id="latency">');
    expect(page).toContain('<h2 id="latency-2">');
    expect(externalRefs(page)).toEqual([]);
    expect(page).not.toMatch(/<link|<img|<iframe|@import|src=/i);
    // pure function of its input
    expect(buildReportHtml({ title: 't', meta: {}, sections: [{ heading: 'h', svg: lat }] })).toBe(
      buildReportHtml({ title: 't', meta: {}, sections: [{ heading: 'h', svg: lat }] }),
    );
  });

  it('refuses scripts in trusted markup and non-SVG figures', () => {
    expect(() => buildReportHtml({ title: 't', meta: {}, sections: [{ heading: 'h', html: '<script>x</script>' }] })).toThrow(
      /script/,
    );
    expect(() => buildReportHtml({ title: 't', meta: {}, sections: [{ heading: 'h', svg: '<div>no</div>' }] })).toThrow(/svg/);
    const withProlog = buildReportHtml({
      title: 't',
      meta: {},
      sections: [{ heading: 'h', svg: '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>' }],
    });
    expect(withProlog).not.toContain('<?xml');
    expect(withProlog).toContain('<figure><svg');
  });
});
