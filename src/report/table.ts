// Plain-text tables and bars for the terminal renderers.

import { displayWidth } from './format.js';

export type Align = 'l' | 'r';

export interface Column {
  header: string;
  align: Align;
}

function pad(s: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return align === 'r' ? fill + s : s + fill;
}

/**
 * Lay out rows under headers, columns two spaces apart, each line indented. `tail` cells (one per row, e.g. a bar)
 * follow the last column unpadded. Trailing spaces are trimmed.
 */
export function table(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  opts: { indent?: string; tail?: readonly string[]; style?: (header: string) => string } = {},
): string[] {
  const indent = opts.indent ?? '  ';
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[], tail?: string): string => {
    const body = columns.map((c, i) => pad(cells[i] ?? '', widths[i]!, c.align)).join('  ');
    return (indent + body + (tail ? '  ' + tail : '')).replace(/\s+$/, '');
  };
  const head = line(columns.map((c) => c.header));
  const out = [opts.style ? opts.style(head) : head];
  rows.forEach((r, i) => out.push(line(r, opts.tail?.[i])));
  return out;
}

export interface BarGlyphs {
  /** observed, up to what was expected */
  full: string;
  /** expected but not observed: the shortfall */
  short: string;
  /** observed beyond what was expected: the excess */
  excess: string;
}

export const UNICODE_BARS: BarGlyphs = { full: '█', short: '░', excess: '▓' };
export const ASCII_BARS: BarGlyphs = { full: '#', short: '.', excess: '+' };

/**
 * A bar of `width` cells at most for an observed share against an expected one, both scaled by `scale` (the largest
 * value in the table): solid up to the lesser of the two, then the shortfall or the excess in its own glyph, so the
 * expected share is visible as where the solid part would end.
 */
export function bar(observed: number, expected: number, scale: number, width: number, g: BarGlyphs): string {
  if (!(scale > 0)) return '';
  const cells = (x: number): number => Math.round((Math.max(0, x) / scale) * width);
  const o = cells(observed);
  const e = cells(expected);
  const solid = Math.min(o, e);
  return g.full.repeat(solid) + (o < e ? g.short.repeat(e - o) : g.excess.repeat(o - e));
}
