// The report as one self-contained HTML page (`--html`): inline CSS and SVG, nothing fetched, no script.
//
// The page is also well-formed XML (XHTML syntax: every element closed, attributes quoted, only XML's five
// entities), so any XML tool can read it and a test can check it strictly.

import { P_THRESHOLD } from '../stats/fairness.js';
import { unroutedAdvice } from './unrouted.js';
import type { Report, StageRow, Warning } from '../stats/types.js';
import {
  deviation,
  deviationRatio,
  escapeHtml as esc,
  formatP,
  groupDigits,
  humanBytes,
  orderedSkipKeys,
  percent,
  ratio,
  trafficCells,
} from './format.js';
import { fabricSection } from './html-fabric.js';

export interface HtmlMeta {
  title: string;
  /** what was replayed, e.g. a capture's file name */
  source: string;
  /** the topology's file name, or "built-in default" */
  topology: string;
  /** e.g. "ecmp-emu 0.1.0"; shown in the footer */
  generatedBy?: string;
}

const COLOR = {
  ok: '#2f7fc1',
  warn: '#e39b26',
  bad: '#d1453b',
  expected: '#1d2733',
  track: '#edf0f4',
  ghost: '#c9d3de',
  grid: '#dde3ea',
  text: '#1d2733',
  muted: '#66758a',
};

/** Bar colour by how far observed strays from expected: within 10%, within 25%, beyond. */
function deviationColor(share: number, expected: number): string {
  if (!(expected > 0)) return share > 0 ? COLOR.bad : COLOR.ok;
  const d = Math.abs(deviationRatio(share, expected));
  return d > 0.25 ? COLOR.bad : d > 0.1 ? COLOR.warn : COLOR.ok;
}

/** A round tick step giving 4 to 8 ticks up to x, and the axis maximum it implies: 0.4 → 0.1 and 0.4. */
function niceAxis(x: number): { step: number; max: number } {
  const steps = [0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25];
  for (const step of steps) {
    const n = Math.ceil(x / step - 1e-9);
    if (n <= 8) return { step, max: Math.max(1, n) * step };
  }
  return { step: 0.25, max: Math.ceil(x / 0.25) * 0.25 };
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

function fmt(n: number): string {
  // SVG coordinates: short, and never exponent notation.
  return (Math.round(n * 100) / 100).toString();
}

interface ShareBar {
  label: string;
  sublabel: string;
  flows: number;
  share: number;
  expected: number;
}

/** A horizontal bar chart of observed share per row, with the expected share as a ghost bar and a dark tick. */
function shareChart(rows: readonly ShareBar[], caption: string): string {
  const width = 1000;
  const left = 180;
  const right = 220;
  const plot = width - left - right;
  const rowH = 38;
  const barH = 18;
  const top = 30;
  const bottom = 12;
  const height = top + rows.length * rowH + bottom;
  const { step, max } = niceAxis(Math.max(0.0001, ...rows.flatMap((r) => [r.share, r.expected])));
  const x = (v: number): number => left + (Math.max(0, v) / max) * plot;
  const ticks = Math.round(max / step);
  const tickDigits = step < 0.01 ? 1 : step === 0.025 ? 1 : 0;
  const out: string[] = [];
  out.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(caption)}">`,
  );
  out.push(`<title>${esc(caption)}</title>`);
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const gx = fmt(x(v));
    out.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - bottom}" stroke="${COLOR.grid}" stroke-width="1"/>`,
      `<text x="${gx}" y="${top - 12}" class="axis" text-anchor="middle">${esc(percent(v, tickDigits))}</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH + (rowH - barH) / 2;
    const cy = fmt(y + barH / 2);
    const color = deviationColor(r.share, r.expected);
    const tip = `${r.label} (${r.sublabel}): ${groupDigits(r.flows)} flows, ${percent(r.share)} observed, ${percent(r.expected)} expected (${deviation(r.share, r.expected)})`;
    out.push(`<g><title>${esc(tip)}</title>`);
    out.push(
      `<text x="${left - 12}" y="${fmt(y + barH / 2 - 2)}" class="label" text-anchor="end">${esc(truncate(r.label, 18))}</text>`,
      `<text x="${left - 12}" y="${fmt(y + barH / 2 + 12)}" class="sublabel" text-anchor="end">${esc(truncate(r.sublabel, 26))}</text>`,
      `<rect x="${left}" y="${fmt(y)}" width="${fmt(plot)}" height="${barH}" rx="3" fill="${COLOR.track}"/>`,
    );
    if (r.expected > 0) {
      out.push(
        `<rect x="${left}" y="${fmt(y)}" width="${fmt(x(r.expected) - left)}" height="${barH}" rx="3" fill="url(#ghost)"/>`,
      );
    }
    if (r.share > 0) {
      out.push(
        `<rect x="${left}" y="${fmt(y + 3)}" width="${fmt(Math.max(1, x(r.share) - left))}" height="${barH - 6}" rx="2" fill="${color}"/>`,
      );
    }
    if (r.expected > 0) {
      const ex = fmt(x(r.expected));
      out.push(
        `<line x1="${ex}" y1="${fmt(y - 5)}" x2="${ex}" y2="${fmt(y + barH + 5)}" stroke="${COLOR.expected}" stroke-width="2.5"/>`,
      );
    }
    const dev = deviation(r.share, r.expected);
    out.push(
      `<text x="${left + plot + 14}" y="${cy}" dy="-1" class="value">${esc(percent(r.share, 1))}` +
        `<tspan class="valuesub" dx="8">exp ${esc(percent(r.expected, 1))}</tspan>` +
        `<tspan class="valuesub" dx="8"${color === COLOR.ok ? '' : ` style="fill:${color};font-weight:600"`}>${esc(dev)}</tspan></text>`,
      `<text x="${left + plot + 14}" y="${cy}" dy="14" class="sublabel">${esc(groupDigits(r.flows))} flows</text>`,
    );
    out.push('</g>');
  });
  out.push(
    `<defs><pattern id="ghost" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="6" height="6" fill="${COLOR.track}"/><rect width="3" height="6" fill="${COLOR.ghost}"/></pattern></defs>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

/** Per-next-hop observed/expected ratios of one stage as small columns around the 1.0 line. */
function stageSpark(stage: StageRow): string {
  const n = stage.nextHops.length;
  if (n === 0) return '';
  const w = Math.max(90, Math.min(220, n * 22));
  const h = 40;
  const ratios = stage.nextHops.map((hop) => {
    const exp = stage.flows * hop.expected;
    return exp > 0 ? hop.flows / exp : hop.flows > 0 ? Infinity : NaN;
  });
  const finite = ratios.filter((r) => Number.isFinite(r));
  const top = Math.max(2, ...finite);
  const slot = w / n;
  const bw = Math.max(3, Math.min(16, slot * 0.65));
  const y = (r: number): number => h - 2 - (Math.min(r, top) / top) * (h - 4);
  const out = [
    `<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="observed over expected per next-hop">`,
  ];
  stage.nextHops.forEach((hop, i) => {
    const r = ratios[i]!;
    const cx = slot * i + (slot - bw) / 2;
    const color = Number.isFinite(r) ? deviationColor(r, 1) : r === Infinity ? COLOR.bad : COLOR.ghost;
    const rr = Number.isFinite(r) ? r : r === Infinity ? top : 0;
    const yTop = y(rr);
    const label = Number.isFinite(r) ? `×${r.toFixed(2)} of expected` : r === Infinity ? 'not expected at all' : '';
    // The outline reaches 1.0, what the weights promise; the fill is what came. A starved next-hop shows as an
    // empty outline on a red floor.
    const expectedBox =
      hop.expected > 0
        ? `<rect x="${fmt(cx + 0.5)}" y="${fmt(y(1))}" width="${fmt(bw - 1)}" height="${fmt(h - 2 - y(1))}" rx="1.5" fill="none" stroke="${COLOR.ghost}" stroke-width="1"/>`
        : '';
    const fill =
      rr > 0
        ? `<rect x="${fmt(cx)}" y="${fmt(yTop)}" width="${fmt(bw)}" height="${fmt(h - 2 - yTop)}" rx="1.5" fill="${color}"/>`
        : `<rect x="${fmt(cx)}" y="${fmt(h - 3)}" width="${fmt(bw)}" height="3" fill="${hop.expected > 0 ? COLOR.bad : COLOR.ghost}"/>`;
    out.push(`<g><title>${esc(`${hop.name}: ${groupDigits(hop.flows)} flows, ${label}`)}</title>${expectedBox}${fill}</g>`);
  });
  const one = fmt(y(1));
  out.push(
    `<line x1="0" y1="${one}" x2="${w}" y2="${one}" stroke="${COLOR.expected}" stroke-width="1.2" stroke-dasharray="3 2"/>`,
  );
  out.push('</svg>');
  return out.join('');
}

function verdicts(stage: StageRow, warnings: readonly Warning[]): { text: string; cls: string }[] {
  const out: { text: string; cls: string }[] = [];
  if (warnings.some((w) => w.kind === 'polarization' && w.node === stage.node)) out.push({ text: 'polarized', cls: 'bad' });
  if (stage.chiSquareP < P_THRESHOLD) out.push({ text: 'imbalance', cls: 'warn' });
  if (out.length === 0) out.push({ text: 'ok', cls: 'ok' });
  return out;
}

const WARNING_TITLE: Record<string, string> = {
  polarization: 'Polarization',
  imbalance: 'Imbalance',
  'unequal-share': 'Unequal shares',
};

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f5f8; color: ${COLOR.text};
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 28px 40px; }
header.top { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px;
  border-bottom: 3px solid ${COLOR.text}; padding-bottom: 14px; margin-bottom: 22px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
.meta { color: ${COLOR.muted}; font-size: 13px; }
.meta b { color: ${COLOR.text}; font-weight: 600; }
.brand { font: 600 12px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; color: ${COLOR.muted};
  text-transform: uppercase; letter-spacing: 0.12em; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 14px; margin-bottom: 22px; }
.card { background: #fff; border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(20,30,50,.08), 0 2px 8px rgba(20,30,50,.04); }
.card .k { color: ${COLOR.muted}; font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; }
.card .v { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; }
.card .s { color: ${COLOR.muted}; font-size: 12px; }
.card.alert { background: #fff5f4; box-shadow: inset 0 0 0 1px #f1c4c0; }
.card.alert .v { color: ${COLOR.bad}; }
.card.notice .v { color: #b87413; }
section { background: #fff; border-radius: 10px; padding: 18px 20px 16px; margin-bottom: 18px;
  box-shadow: 0 1px 2px rgba(20,30,50,.08), 0 2px 8px rgba(20,30,50,.04); }
h2 { font-size: 17px; margin: 0 0 2px; }
.lede { color: ${COLOR.muted}; margin: 0 0 10px; font-size: 13px; }
.warnings { padding: 0; background: none; box-shadow: none; }
.warning { display: flex; gap: 14px; align-items: flex-start; background: #fff; border-radius: 10px; padding: 14px 18px;
  margin-bottom: 10px; border-left: 6px solid ${COLOR.bad}; box-shadow: 0 1px 2px rgba(20,30,50,.08); }
.warning.imbalance { border-left-color: ${COLOR.warn}; }
.warning.unequal-share { border-left-color: #d9b13b; }
.warning .badge { flex: none; margin-top: 1px; }
.warning .node { font-weight: 650; }
.warning .msg { margin-top: 2px; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600;
  color: #fff; background: ${COLOR.ok}; white-space: nowrap; }
.badge.ok { background: #2e9e6a; }
.badge.big { font-size: 14px; padding: 4px 14px; }
.badge.warn, .badge.imbalance { background: ${COLOR.warn}; }
.badge.bad, .badge.polarization { background: ${COLOR.bad}; }
.badge.unequal-share { background: #c99a16; }
.chart { display: block; margin-top: 4px; }
.chart .label { font-size: 14px; font-weight: 600; fill: ${COLOR.text}; }
.chart .sublabel { font-size: 11.5px; fill: ${COLOR.muted}; }
.chart .axis { font-size: 11px; fill: ${COLOR.muted}; }
.chart .value { font-size: 14px; font-weight: 650; fill: ${COLOR.text}; font-variant-numeric: tabular-nums; }
.chart .valuesub { font-size: 12px; font-weight: 400; fill: ${COLOR.muted}; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; color: ${COLOR.muted}; font-size: 12px; margin-top: 6px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 14px; height: 10px; border-radius: 2px; }
.sw.tick { width: 3px; height: 14px; background: ${COLOR.expected}; border-radius: 0; }
.sw.ghost { background: repeating-linear-gradient(45deg, ${COLOR.ghost} 0 2px, ${COLOR.track} 2px 4px); }
.grid2 { display: grid; grid-template-columns: 1fr; gap: 0; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.05em; color: ${COLOR.muted};
  font-weight: 600; border-bottom: 1px solid ${COLOR.grid}; padding: 6px 8px; }
td { padding: 7px 8px; border-bottom: 1px solid #eef1f5; vertical-align: middle; }
tr:last-child td { border-bottom: none; }
td.n, th.n { text-align: right; }
td.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
td.hot { color: ${COLOR.bad}; font-weight: 650; }
td.warm { color: #b87413; font-weight: 600; }
tr.failing td { background: #fff8f7; }
details { margin-top: 10px; }
summary { cursor: pointer; color: ${COLOR.muted}; font-size: 13px; }
.chips { display: flex; flex-wrap: wrap; gap: 8px; }
.chip { background: #f3f5f8; border-radius: 8px; padding: 6px 12px; }
.chip b { font-variant-numeric: tabular-nums; }
.none { color: ${COLOR.muted}; }
footer { color: ${COLOR.muted}; font-size: 12px; text-align: center; margin-top: 24px; }
`;

function numbersTable(
  headers: { h: string; n?: boolean }[],
  rows: { cells: string[]; cls?: (string | undefined)[] }[],
): string {
  const head = headers.map((c) => `<th${c.n ? ' class="n"' : ''}>${esc(c.h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        '<tr>' +
        r.cells
          .map((c, i) => {
            const cls = [headers[i]?.n ? 'n' : '', r.cls?.[i] ?? ''].filter(Boolean).join(' ');
            return `<td${cls ? ` class="${cls}"` : ''}>${esc(c)}</td>`;
          })
          .join('') +
        '</tr>',
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function deviationClass(share: number, expected: number): string | undefined {
  if (!(expected > 0)) return share > 0 ? 'hot' : undefined;
  const d = Math.abs(deviationRatio(share, expected));
  return d > 0.25 ? 'hot' : d > 0.1 ? 'warm' : undefined;
}

/** The numeric columns of the VTEP and VM tables, after the name columns. */
const SHARE_HEADERS: ReadonlyArray<{ h: string; n: boolean }> = [
  { h: 'flows', n: true },
  { h: 'packets', n: true },
  { h: 'bytes', n: true },
  { h: 'share', n: true },
  { h: 'expected', n: true },
  { h: 'deviation', n: true },
];

const LEGEND = `<div class="legend">
<span><i class="sw" style="background:${COLOR.ok}"></i>observed, within 10% of expected</span>
<span><i class="sw" style="background:${COLOR.warn}"></i>10–25% off</span>
<span><i class="sw" style="background:${COLOR.bad}"></i>more than 25% off</span>
<span><i class="sw ghost"></i><i class="sw tick"></i>expected share</span>
</div>`;

/** The report as one self-contained HTML page. All text from the report and `meta` is escaped. */
export function renderHtml(report: Report, meta: HtmlMeta): string {
  const skippedKeys = orderedSkipKeys(report.skipped).filter((k) => (report.skipped[k] ?? 0) > 0);
  const skippedTotal = skippedKeys.reduce((a, k) => a + report.skipped[k]!, 0);
  const severe = report.warnings.filter((w) => w.kind !== 'unequal-share').length;
  const parts: string[] = [];

  parts.push(`<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>${esc(meta.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>`);

  const polarized = report.warnings.some((w) => w.kind === 'polarization');
  const overall = polarized
    ? `<span class="badge bad big">polarized</span>`
    : severe
      ? `<span class="badge warn big">imbalanced</span>`
      : `<span class="badge ok big">spread as weighted</span>`;
  parts.push(`<header class="top">
<div>
<div class="brand">ecmp-emu · ECMP spread report</div>
<h1>${esc(meta.title)}</h1>
<div class="meta">capture <b>${esc(meta.source)}</b> · topology <b>${esc(meta.topology)}</b></div>
</div>
<div class="verdict">${overall}</div>
</header>`);

  const card = (k: string, v: string, s: string, tone: '' | 'alert' | 'notice' = ''): string =>
    `<div class="card${tone ? ' ' + tone : ''}"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div><div class="s">${esc(s)}</div></div>`;
  parts.push(
    `<div class="cards">` +
      card('Packets', groupDigits(report.packets), 'frames read') +
      card('Bytes', humanBytes(report.bytes), `${groupDigits(report.bytes)} bytes`) +
      card('Flows', groupDigits(report.flows), 'distinct flows forwarded') +
      card('Skipped', groupDigits(skippedTotal), skippedTotal ? 'frames not forwarded' : 'nothing skipped', skippedTotal > 0 ? 'notice' : '') +
      card(
        'Warnings',
        String(report.warnings.length),
        severe ? `${severe} about the data plane` : report.warnings.length ? 'about the design' : 'all clear',
        severe > 0 ? 'alert' : report.warnings.length ? 'notice' : '',
      ) +
      `</div>`,
  );

  if (report.warnings.length) {
    // Most serious first: polarization, then imbalance, then unequal-share; stable within a kind.
    const rank: Record<string, number> = { polarization: 0, imbalance: 1, 'unequal-share': 2 };
    const sorted = report.warnings
      .map((w, i) => ({ w, i }))
      .sort((a, b) => (rank[a.w.kind] ?? 3) - (rank[b.w.kind] ?? 3) || a.i - b.i)
      .map((x) => x.w);
    parts.push(`<section class="warnings" aria-label="warnings">`);
    for (const w of sorted) {
      parts.push(
        `<div class="warning ${esc(w.kind)}"><span class="badge ${esc(w.kind)}">${esc(WARNING_TITLE[w.kind] ?? w.kind)}</span>` +
          `<div><div><span class="node">${esc(w.node)}</span></div><div class="msg">${esc(w.message)}</div></div></div>`,
      );
    }
    parts.push(`</section>`);
  }

  parts.push(fabricSection(report));

  parts.push(`<section>
<h2>Flows per VTEP</h2>
<p class="lede">The ingress leaf's choice of egress leaf: share of forwarded flows against the share the weights promise.</p>`);
  if (report.vteps.length) {
    parts.push(
      shareChart(
        report.vteps.map((v) => ({ label: v.name, sublabel: v.address, flows: v.flows, share: v.share, expected: v.expected })),
        'Share of flows per VTEP, observed against expected',
      ),
    );
    parts.push(LEGEND);
    parts.push(
      `<details><summary>table of numbers</summary>` +
        numbersTable(
          [
            { h: 'leaf' },
            { h: 'address' },
            ...SHARE_HEADERS,
          ],
          report.vteps.map((v) => ({
            cells: [
              v.name,
              v.address,
              ...trafficCells(v),
              percent(v.expected),
              deviation(v.share, v.expected),
            ],
            cls: [, , , , , , , deviationClass(v.share, v.expected)],
          })),
        ) +
        `</details>`,
    );
  } else parts.push(`<p class="none">No VTEP carried traffic.</p>`);
  parts.push(`</section>`);

  parts.push(`<section>
<h2>Flows per VM</h2>
<p class="lede">Where each flow was delivered, after both stages.</p>`);
  if (report.vms.length) {
    parts.push(
      shareChart(
        report.vms.map((v) => ({
          label: v.name,
          sublabel: `${v.leaf} · ${v.address}`,
          flows: v.flows,
          share: v.share,
          expected: v.expected,
        })),
        'Share of flows per VM, observed against expected',
      ),
    );
    parts.push(LEGEND);
    parts.push(
      `<details><summary>table of numbers</summary>` +
        numbersTable(
          [
            { h: 'vm' },
            { h: 'leaf' },
            { h: 'address' },
            ...SHARE_HEADERS,
          ],
          report.vms.map((v) => ({
            cells: [
              v.name,
              v.leaf,
              v.address,
              ...trafficCells(v),
              percent(v.expected),
              deviation(v.share, v.expected),
            ],
            cls: [, , , , , , , , deviationClass(v.share, v.expected)],
          })),
        ) +
        `</details>`,
    );
  } else parts.push(`<p class="none">No VM received traffic.</p>`);
  parts.push(`</section>`);

  if (report.others.length) {
    parts.push(`<section>
<h2>Other next-hops</h2>
<p class="lede">Static routes to addresses outside the fabric, reported by address.</p>`);
    parts.push(
      numbersTable(
        [
          { h: 'via' },
          { h: 'from leaf' },
          { h: 'flows', n: true },
          { h: 'packets', n: true },
          { h: 'bytes', n: true },
          { h: 'share', n: true },
        ],
        report.others.map((o) => ({
          cells: [o.address, o.node, ...trafficCells(o)],
        })),
      ),
    );
    parts.push(`</section>`);
  }

  parts.push(`<section>
<h2>ECMP stages</h2>
<p class="lede">Each leaf that chose among several next-hops. max/mean: the busiest next-hop against its promised share
(1 is perfect); Jain: 1 is perfect, 1/n is one next-hop taking all; χ² p below 1e-6: the spread is not chance.
The columns show each next-hop's flows over expected, the dashed line at 1.</p>`);
  if (report.stages.length) {
    const head = ['node', 'vrf', 'prefix', 'flows', 'max/mean', 'Jain', 'χ² p', 'next-hops', 'verdict'];
    const numeric = new Set(['flows', 'max/mean', 'Jain', 'χ² p']);
    const rows = report.stages.map((s) => {
      const v = verdicts(s, report.warnings);
      const failing = v[0]!.cls !== 'ok';
      const momCls = s.maxOverMean > 1.25 ? ' hot' : s.maxOverMean > 1.1 ? ' warm' : '';
      const pCls = s.chiSquareP < P_THRESHOLD ? ' hot' : '';
      return (
        `<tr${failing ? ' class="failing"' : ''}>` +
        `<td><b>${esc(s.node)}</b></td><td>${esc(s.vrf)}</td><td class="mono">${esc(s.prefix)}</td>` +
        `<td class="n">${esc(groupDigits(s.flows))}</td>` +
        `<td class="n${momCls}">${esc(ratio(s.maxOverMean))}</td>` +
        `<td class="n">${esc(ratio(s.jain))}</td>` +
        `<td class="n${pCls}">${esc(formatP(s.chiSquareP))}</td>` +
        `<td>${stageSpark(s)}</td>` +
        `<td>${v.map((x) => `<span class="badge ${x.cls}">${esc(x.text)}</span>`).join(' ')}</td></tr>`
      );
    });
    parts.push(
      `<table><thead><tr>${head.map((h) => `<th${numeric.has(h) ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`,
    );
  } else parts.push(`<p class="none">No leaf chose among several next-hops.</p>`);
  parts.push(`</section>`);

  if (report.links) {
    parts.push(`<section>
<h2>Underlay links</h2>
<p class="lede">Each leaf's uplink to each spine, then the spines' downlinks to the leaves: the flows the leaves' choice of
spine (their hash of the outer VXLAN header) put on them, against the share the weights promise.</p>`);
    parts.push(
      numbersTable(
        [{ h: 'from' }, { h: 'to' }, ...SHARE_HEADERS],
        report.links.map((l) => ({
          cells: [l.from, l.to, ...trafficCells(l), percent(l.expected), deviation(l.share, l.expected)],
          cls: [, , , , , , , deviationClass(l.share, l.expected)],
        })),
      ),
    );
    parts.push(`</section>`);
  }

  parts.push(`<section>
<h2>Skipped frames</h2>`);
  if (skippedKeys.length) {
    parts.push(
      `<div class="chips">${skippedKeys.map((k) => `<span class="chip">${esc(k)} <b>${esc(groupDigits(report.skipped[k]!))}</b></span>`).join('')}</div>`,
    );
  } else parts.push(`<p class="none">Every frame was forwarded.</p>`);
  if (report.unrouted.length) {
    const rows = report.unrouted.map((u) => `<tr><td class="mono">${esc(u.address)}</td><td class="n">${esc(groupDigits(u.flows))}</td><td class="n">${esc(groupDigits(u.packets))}</td></tr>`);
    parts.push(`<h3>No route: top destinations</h3>`);
    parts.push(`<table><thead><tr><th>destination</th><th class="n">flows</th><th class="n">packets</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`);
    parts.push(`<p>${unroutedAdvice(report).map(esc).join(' ')}</p>`);
  }
  parts.push(`</section>`);

  parts.push(
    `<footer>${esc(meta.generatedBy ? `Generated by ${meta.generatedBy}` : 'Generated by ecmp-emu')} · shares are of forwarded flows, each flow counted once</footer>`,
  );
  parts.push(`</main>
</body>
</html>
`);
  return parts.join('\n');
}
