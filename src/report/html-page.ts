// The shell the experiment pages share (fuzz heat map, failover bars): XHTML, inline CSS, no script, nothing fetched.

import { escapeHtml as esc } from './format.js';

export const PAGE_COLOR = {
  ok: '#2f7fc1',
  good: '#2e9e6a',
  warn: '#e39b26',
  bad: '#d1453b',
  text: '#1d2733',
  muted: '#66758a',
  grid: '#dde3ea',
  track: '#edf0f4',
  ghost: '#c9d3de',
};

const C = PAGE_COLOR;

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; background: #f3f5f8; color: ${C.text};
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 28px 40px; }
header.top { border-bottom: 3px solid ${C.text}; padding-bottom: 14px; margin-bottom: 22px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
.brand { font: 600 12px ui-monospace, Menlo, Consolas, monospace; color: ${C.muted}; text-transform: uppercase; letter-spacing: 0.12em; }
.meta { color: ${C.muted}; font-size: 13px; }
.meta b { color: ${C.text}; font-weight: 600; }
section { background: #fff; border-radius: 10px; padding: 18px 20px 16px; margin-bottom: 18px;
  box-shadow: 0 1px 2px rgba(20,30,50,.08), 0 2px 8px rgba(20,30,50,.04); }
h2 { font-size: 17px; margin: 0 0 2px; }
.lede { color: ${C.muted}; margin: 0 0 10px; font-size: 13px; }
svg.figure { display: block; margin-top: 6px; }
svg .label { font-size: 14px; font-weight: 600; fill: ${C.text}; }
svg .sub { font-size: 11.5px; fill: ${C.muted}; }
svg .value { font-size: 15px; font-weight: 650; fill: ${C.text}; font-variant-numeric: tabular-nums; }
svg .onfill { fill: #fff; }
svg .axis { font-size: 11px; fill: ${C.muted}; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; color: ${C.muted}; font-size: 12px; margin-top: 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 14px; height: 10px; border-radius: 2px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.05em; color: ${C.muted};
  font-weight: 600; border-bottom: 1px solid ${C.grid}; padding: 6px 8px; }
td { padding: 7px 8px; border-bottom: 1px solid #eef1f5; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
code { font: 12px ui-monospace, Menlo, Consolas, monospace; background: #f3f5f8; border-radius: 4px; padding: 1px 4px; word-break: break-all; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.ok { background: ${C.good}; }
.badge.warn { background: ${C.warn}; }
.badge.bad { background: ${C.bad}; }
.note { color: ${C.muted}; font-size: 13px; }
footer { color: ${C.muted}; font-size: 12px; text-align: center; margin-top: 24px; }
`;

/** A whole page: `body` is trusted markup built by the caller (every text in it already escaped). */
export function renderPage(o: { title: string; brand: string; meta: string; body: string; footer: string }): string {
  return `<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>${esc(o.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="top">
<div class="brand">${esc(o.brand)}</div>
<h1>${esc(o.title)}</h1>
<div class="meta">${o.meta}</div>
</header>
${o.body}
<footer>${esc(o.footer)}</footer>
</main>
</body>
</html>
`;
}

/** SVG coordinates: short, never exponent notation. */
export function num(n: number): string {
  return (Math.round(n * 100) / 100).toString();
}
