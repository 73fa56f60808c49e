// Number and text formatting shared by the renderers: locale-independent, so output is the same on every machine.

/** 1234567 → "1,234,567" (always commas, whatever the locale). Non-integers keep up to `digits` decimals. */
export function groupDigits(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const fixed = Math.abs(n).toFixed(digits);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + grouped + (frac !== undefined ? '.' + frac : '');
}

/** Bytes in SI units as interfaces count them: "9.81 MB". */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** A share 0..1 as a percentage with two decimals: "33.33%". */
export function percent(share: number, digits = 2): string {
  if (!Number.isFinite(share)) return '-';
  return `${(share * 100).toFixed(digits)}%`;
}

/** A VTEP, VM or other next-hop row's flows, packets, bytes and share, as the text and HTML tables print them. */
export function trafficCells(r: { flows: number; packets: number; bytes: number; share: number }): string[] {
  return [groupDigits(r.flows), groupDigits(r.packets), groupDigits(r.bytes), percent(r.share)];
}

/**
 * Relative deviation of an observed share from the expected one: "+0.2%", "-100.0%"; "-" when nothing was
 * expected and nothing came, "unexpected" when something came where nothing was expected.
 */
export function deviation(share: number, expected: number): string {
  if (!(expected > 0)) return share > 0 ? 'unexpected' : '-';
  const d = (share / expected - 1) * 100;
  // Within rounding of zero: no sign, so "+0.0%" and "-0.0%" never appear.
  if (Math.abs(d) < 0.05) return '0.0%';
  return `${d > 0 ? '+' : '-'}${Math.abs(d).toFixed(1)}%`;
}

/** Relative deviation as a number (share/expected − 1), NaN when nothing was expected. */
export function deviationRatio(share: number, expected: number): number {
  return expected > 0 ? share / expected - 1 : NaN;
}

/**
 * A p-value as a person reads it: "0.482" when ordinary, "3.2e-8" when small, "0" when it underflowed (or a
 * next-hop with no weight carried flows), "1" when perfect.
 */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '-';
  if (p === 0) return '0';
  if (p >= 1) return '1';
  if (p >= 0.001) return p.toFixed(3);
  return p.toExponential(1);
}

/** A ratio such as max/mean or Jain's index: three decimals. */
export function ratio(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** Escape text for HTML/XML content and double-quoted attributes (only the five XML entities, so XHTML parses). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

/** What makes a CSV field need quotes (one object: a literal in csvField would be a new RegExp each call). */
const CSV_SPECIAL = /[",\r\n]/;

/** One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return CSV_SPECIAL.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Display width of a string in a monospaced terminal (block characters count 1; no wide characters expected). */
export function displayWidth(s: string): number {
  // Strip ANSI colour sequences: they take no room.
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** Unsigned 32-bit address → dotted quad. */
export function dottedQuad(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Known skip reasons first, in SPEC §5's order, then any others alphabetically: deterministic output. */
export const SKIP_ORDER = ['truncated', 'not-ipv4', 'no-route', 'unknown-vni'];

export function orderedSkipKeys(skipped: Record<string, number>): string[] {
  const keys = Object.keys(skipped);
  const known = SKIP_ORDER.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !SKIP_ORDER.includes(k)).sort();
  return [...known, ...rest];
}
