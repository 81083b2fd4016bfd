/**
 * Self-contained HTML report page: inline CSS, inline SVG figures, no scripts and no external assets,
 * so the single file can be archived, mailed or opened offline and always looks the same.
 *
 * Everything given as text (title, meta, headings, notes, table cells) is HTML-escaped. Only two inputs
 * are inserted as markup: `section.html` (a trusted fragment written by cyrange code) and `section.svg`
 * (vega output); both are rejected if they contain `<script`. Output is a pure function of the input
 * (no timestamps), so the same results produce a byte-identical report.
 */
import { escapeHtml, renderHtmlTable, type Table } from './table.js';

export interface ReportSection {
  heading: string;
  /** Trusted HTML fragment, inserted verbatim (must not contain scripts). */
  html?: string;
  /** Tables, each under its own title (an h3) when it has one; every cell is escaped. */
  tables?: Table[];
  /** An `<svg ...>` document (an XML prolog, if any, is dropped), inlined as a figure. */
  svg?: string;
  /** Plain-text caption / remark shown under the section's content. */
  note?: string;
}

export interface ReportInput {
  title: string;
  subtitle?: string;
  /** Key/value run information (seeds, commit, scenario set, ...), shown in insertion order. */
  meta: Record<string, string>;
  sections: ReportSection[];
}

export { escapeHtml };

// ---------------------------------------------------------------------------------------------
// Page
// ---------------------------------------------------------------------------------------------

const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1b1f24; margin: 0; background: #fff; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.subtitle { color: #57606a; margin: 0 0 16px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 13px; margin: 12px 0 20px; }
dl.meta dt { color: #57606a; }
dl.meta dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
nav.toc { font-size: 14px; }
nav.toc ol { margin: 4px 0; padding-left: 22px; }
a { color: #0969da; text-decoration: none; }
.table-wrap { overflow-x: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; white-space: nowrap; }
thead th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fafbfc; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
figure { margin: 12px 0; overflow-x: auto; }
figure svg { max-width: none; height: auto; }
p.note { color: #57606a; font-size: 13px; margin: 6px 0 0; }
`.trim();

function assertNoScript(what: string, markup: string): void {
  if (/<script/i.test(markup)) throw new Error(`buildReportHtml: ${what} must not contain <script>`);
}

/** Strip an XML prolog / doctype so the SVG can be inlined in HTML. */
function inlineSvg(svg: string, heading: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '').trim();
  if (!body.startsWith('<svg')) throw new Error(`buildReportHtml: section "${heading}": svg must start with <svg`);
  assertNoScript(`section "${heading}" svg`, body);
  return body;
}

/** URL-fragment id from a heading, made unique within the page. */
function slugger(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text) => {
    const base =
      text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'section';
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    return k === 0 ? base : `${base}-${k + 1}`;
  };
}

function tablesToHtml(tables: readonly Table[]): string {
  return tables
    .map((t) => [t.title !== undefined ? `<h3>${escapeHtml(t.title)}</h3>` : '', `<div class="table-wrap">${renderHtmlTable(t)}</div>`, t.note !== undefined ? `<p class="note">${escapeHtml(t.note)}</p>` : ''].filter((x) => x).join('\n'))
    .join('\n');
}

/** Build the complete report page as one HTML string. */
export function buildReportHtml(input: ReportInput): string {
  const slug = slugger();
  const ids = input.sections.map((s) => slug(s.heading));

  const meta = Object.entries(input.meta)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  const toc =
    input.sections.length > 1
      ? `<nav class="toc"><strong>Contents</strong><ol>${input.sections
          .map((s, i) => `<li><a href="#${ids[i]!}">${escapeHtml(s.heading)}</a></li>`)
          .join('')}</ol></nav>`
      : '';

  const sections = input.sections.map((s, i) => {
    const parts = [`<h2 id="${ids[i]!}">${escapeHtml(s.heading)}</h2>`];
    if (s.html !== undefined) {
      assertNoScript(`section "${s.heading}" html`, s.html);
      parts.push(s.html);
    }
    if (s.tables !== undefined) parts.push(tablesToHtml(s.tables));
    if (s.svg !== undefined) parts.push(`<figure>${inlineSvg(s.svg, s.heading)}</figure>`);
    if (s.note !== undefined) parts.push(`<p class="note">${escapeHtml(s.note)}</p>`);
    return `<section>\n${parts.join('\n')}\n</section>`;
  });

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(input.title)}</h1>`,
    input.subtitle !== undefined ? `<p class="subtitle">${escapeHtml(input.subtitle)}</p>` : '',
    meta ? `<dl class="meta">${meta}</dl>` : '',
    toc,
    ...sections,
    '</main>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
