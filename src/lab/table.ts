/**
 * One table model for every table of a report, rendered three ways: GitHub markdown (table.md, the
 * console), CSV (table.csv) and HTML (report.html). Cells are plain text or numbers; each renderer
 * escapes for its own format, so nothing is parsed back from another format.
 */

export interface Column {
  label: string;
  /** Default: the first column left, the others right (numbers). */
  align?: 'left' | 'right';
}

export type CellValue = string | number | null;

export interface Table {
  /** Shown as a heading above the table (markdown and HTML; not part of CSV). */
  title?: string;
  columns: Column[];
  rows: CellValue[][];
  /** Plain-text remark under the table. */
  note?: string;
}

function alignOf(t: Table, j: number): 'left' | 'right' {
  return t.columns[j]!.align ?? (j === 0 ? 'left' : 'right');
}

function text(v: CellValue): string {
  return v === null ? '' : String(v);
}

/** A GitHub-flavoured markdown table (without its title); `|` in cells is escaped. */
export function renderMarkdown(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  const line = (cells: string[]): string => `| ${cells.map(esc).join(' | ')} |`;
  const delim = `|${t.columns.map((_, j) => (alignOf(t, j) === 'left' ? ':---' : '---:')).join('|')}|`;
  return [line(t.columns.map((c) => c.label)), delim, ...t.rows.map((r) => line(t.columns.map((_, j) => text(r[j] ?? null))))].join('\n');
}

/** RFC 4180 CSV with a header line; null is an empty field. */
export function renderCsv(t: Table): string {
  const field = (v: CellValue): string => {
    const s = text(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[t.columns.map((c) => field(c.label)).join(','), ...t.rows.map((r) => t.columns.map((_, j) => field(r[j] ?? null)).join(','))].join('\n')}\n`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** An HTML `<table>` (without its title); every cell is escaped. */
export function renderHtmlTable(t: Table): string {
  const cell = (tag: 'th' | 'td', v: CellValue, j: number): string => `<${tag} style="text-align:${alignOf(t, j)}">${escapeHtml(text(v))}</${tag}>`;
  const head = `<thead><tr>${t.columns.map((c, j) => cell('th', c.label, j)).join('')}</tr></thead>`;
  const body = t.rows.map((r) => `<tr>${t.columns.map((_, j) => cell('td', r[j] ?? null, j)).join('')}</tr>`).join('');
  return `<table>${head}<tbody>${body}</tbody></table>`;
}
