// `fuzz --html`: the algorithm × selection grid as a heat map of max/mean, polarized cells marked, findings below.

import type { FuzzResult, FuzzRow } from '../stats/trials.js';
import { escapeHtml as esc, groupDigits, ratio } from './format.js';
import { PAGE_COLOR as C, num, renderPage } from './html-page.js';
import { survived, type SearchRowView } from './search.js';
import { shellQuote } from './trials.js';

export interface FuzzHtmlMeta {
  mode: 'trials' | 'search';
  topology: string;
  /** the command that made the page */
  command: string;
  budget?: number;
  strategy?: string;
}

type Row = FuzzRow & { finding?: string };

/** Heat colour stops by max/mean: 1 even, 1.25 noticeable (SPEC §5's threshold), 2 bad, 3 one next-hop of three takes all. */
const STOPS: Array<[number, [number, number, number]]> = [
  [1, [0x2e, 0x9e, 0x6a]],
  [1.25, [0xe9, 0xc4, 0x3b]],
  [2, [0xe3, 0x70, 0x2a]],
  [3, [0xa8, 0x1f, 0x1a]],
];

export function heatColor(v: number): string {
  const x = Math.max(1, Math.min(3, Number.isFinite(v) ? v : 3));
  let i = 0;
  while (i < STOPS.length - 2 && x > STOPS[i + 1]![0]) i++;
  const [a, ca] = STOPS[i]!;
  const [b, cb] = STOPS[i + 1]!;
  const t = (x - a) / (b - a);
  const hex = (k: number): string => Math.round(ca[k]! + (cb[k]! - ca[k]!) * t).toString(16).padStart(2, '0');
  return `#${hex(0)}${hex(1)}${hex(2)}`;
}

function replayCommand(r: Row): string | undefined {
  return r.reproducer ? ['ecmp-emu', 'replay', r.reproducer, ...r.replayArgs].map(shellQuote).join(' ') : undefined;
}

/** The figure a cell shows: the worst significant spread when searching, the mean over trials otherwise. */
function cellValue(r: Row, mode: FuzzHtmlMeta['mode']): number {
  return mode === 'search' ? r.worstMaxOverMean : r.meanMaxOverMean;
}

function isSurvivor(r: Row, mode: FuzzHtmlMeta['mode']): boolean {
  return mode === 'search' && r.finding !== undefined && survived(r as SearchRowView);
}

function heatMap(result: FuzzResult, rows: Row[], meta: FuzzHtmlMeta): string {
  const algorithms = [...new Set(rows.map((r) => r.algorithm))];
  const selections = [...new Set(rows.map((r) => r.selection))];
  const left = 230, top = 44, cellW = 270, cellH = 58, gap = 6;
  const width = left + selections.length * (cellW + gap);
  const height = top + algorithms.length * (cellH + gap) + 4;
  const out = [`<svg class="figure heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="max/mean per algorithm and selection">`];
  out.push(`<title>max/mean per algorithm and selection</title>`);
  selections.forEach((s, j) => out.push(`<text x="${num(left + j * (cellW + gap) + cellW / 2)}" y="${top - 16}" class="label" text-anchor="middle">${esc(s)}</text>`));
  algorithms.forEach((a, i) => {
    const y = top + i * (cellH + gap);
    const [name, extra] = a.endsWith(' (shared seed)') ? [a.slice(0, -14), 'shared seed'] : [a, 'per-leaf seeds'];
    out.push(`<text x="${left - 14}" y="${num(y + cellH / 2 - 2)}" class="label" text-anchor="end">${esc(name)}</text>`);
    out.push(`<text x="${left - 14}" y="${num(y + cellH / 2 + 14)}" class="sub" text-anchor="end">${esc(extra)}</text>`);
    selections.forEach((s, j) => {
      const r = rows.find((x) => x.algorithm === a && x.selection === s);
      if (r) out.push(heatCell(r, left + j * (cellW + gap), y, cellW, cellH, result, meta));
    });
  });
  out.push('</svg>');
  return out.join('\n');
}

function heatCell(r: Row, x: number, y: number, w: number, h: number, result: FuzzResult, meta: FuzzHtmlMeta): string {
  const v = cellValue(r, meta.mode);
  const survivor = isSurvivor(r, meta.mode);
  const fill = survivor ? '#e6f4ec' : heatColor(v);
  const dark = !survivor && v > 1.6;
  const text = dark ? ' onfill' : '';
  const cmd = replayCommand(r);
  const tip = [`${r.algorithm} / ${r.selection}: max/mean ${ratio(v)}`, r.finding, cmd ? `replay: ${cmd}` : undefined].filter(Boolean).join('\n');
  const big = survivor ? 'survives' : ratio(v);
  const polarizedShare = r.polarized / Math.max(1, result.trials);
  const sub = meta.mode === 'search'
    ? survivor ? 'no significant shape found' : `${groupDigits(r.polarized)}/${groupDigits(result.trials)} shapes polarized`
    : `mean · worst ${ratio(r.worstMaxOverMean)} · polarized ${r.polarized}/${result.trials}`;
  const parts = [
    `<g class="cell"><title>${esc(tip)}</title>`,
    `<rect x="${num(x)}" y="${num(y)}" width="${w}" height="${h}" rx="6" fill="${fill}"${survivor ? ` stroke="${C.good}" stroke-width="1.5"` : ''}/>`,
    `<text x="${num(x + 14)}" y="${num(y + 26)}" class="value${text}"${survivor ? ` style="fill:${C.good}"` : ''}>${esc(big)}</text>`,
    `<text x="${num(x + 14)}" y="${num(y + 45)}" class="sub${text}">${esc(sub)}</text>`,
  ];
  if (r.polarized > 0 && polarizedShare >= 0.05) {
    // A corner flag: polarized in at least 5% of the shapes or trials.
    parts.push(`<path d="M${num(x + w - 34)} ${num(y)} h28 a6 6 0 0 1 6 6 v28 z" fill="${C.text}"/>`);
    parts.push(`<text x="${num(x + w - 10)}" y="${num(y + 15)}" class="sub onfill" text-anchor="end" style="font-weight:700">P</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

function findingsTable(rows: Row[], meta: FuzzHtmlMeta): string {
  const head = `<tr><th>algorithm</th><th>selection</th><th class="n">max/mean</th><th>${meta.mode === 'search' ? 'finding' : 'polarized'}</th><th>reproducer</th></tr>`;
  const body = rows.map((r) => {
    const cmd = replayCommand(r);
    const verdict = isSurvivor(r, meta.mode) ? `<span class="badge ok">survives</span> ` : '';
    const what = meta.mode === 'search' ? `${verdict}${esc(r.finding ?? '')}` : esc(`${r.polarized} trials`);
    return `<tr><td><b>${esc(r.algorithm)}</b></td><td>${esc(r.selection)}</td><td class="n">${esc(ratio(cellValue(r, meta.mode)))}</td><td>${what}</td><td>${cmd ? `<code>${esc(cmd)}</code>` : '<span class="note">run with --save-worst DIR</span>'}</td></tr>`;
  });
  return `<table><thead>${head}</thead><tbody>\n${body.join('\n')}\n</tbody></table>`;
}

/** The fuzz result as one self-contained page. */
export function renderFuzzHtml(result: FuzzResult & { results: Row[] }, meta: FuzzHtmlMeta): string {
  const rows = result.results;
  const search = meta.mode === 'search';
  const what = search
    ? `${groupDigits(result.trials)} traffic shapes of ${groupDigits(result.flows)} flows per cell${meta.budget ? ` (budget ${groupDigits(meta.budget)} flow evaluations, ${meta.strategy ?? ''})` : ''}`
    : `${groupDigits(result.trials)} trials of ${groupDigits(result.flows)} flows per cell`;
  const lede = search
    ? 'Each cell: the worst max/mean the search found at a stage whose imbalance is significant (chi-square p &lt; 1e-6), on that algorithm and selection set on every leaf. 1 is even; 3 is one next-hop of three taking everything. Green "survives": no shape was significantly uneven. P: polarized (a downstream leaf re-splits what its upstream cut with a correlated hash).'
    : 'Each cell: the mean over trials of the worst stage\'s max/mean, on that algorithm and selection set on every leaf. 1 is even; 3 is one next-hop of three taking everything. P: polarized in some trials.';
  const legend = [1, 1.1, 1.25, 1.5, 2, 2.5, 3].map((v) => `<span><i class="sw" style="background:${heatColor(v)}"></i>${v.toFixed(2)}</span>`).join('');
  const body = [
    `<section><h2>Max/mean per algorithm and selection</h2><p class="lede">${lede}</p>`,
    heatMap(result, rows, meta),
    `<div class="legend">${legend}<span><i class="sw" style="background:${C.text}"></i>P polarized</span></div></section>`,
    `<section><h2>${search ? 'Findings and reproducers' : 'Rows and reproducers'}</h2><p class="lede">${search ? 'The worst shape of each cell, shrunk to its simplest form, in words; its reproducer replays to exactly the max/mean shown.' : 'Replay a row\'s worst trial with the command shown.'}</p>`,
    findingsTable(rows, meta),
    '</section>',
  ].join('\n');
  return renderPage({
    title: search ? 'What breaks each hash: fuzz --search' : 'Hash fairness: fuzz',
    brand: 'ecmp-emu · fuzz',
    meta: `${esc(what)} · topology <b>${esc(meta.topology)}</b>`,
    body,
    footer: meta.command,
  });
}
