// `failover --html`: per selection method, the flows a failure moved as a bar beside the least any method can move.

import type { FailoverMethod, FailoverResult } from '../stats/trials.js';
import { escapeHtml as esc, groupDigits, percent } from './format.js';
import { PAGE_COLOR as C, num, renderPage } from './html-page.js';

/** Moved within rounding of the minimum: nothing moved that did not have to. */
export function minimal(m: FailoverMethod): boolean {
  return m.minimum > 0 ? m.moved <= m.minimum * (1 + 1e-9) : m.moved === 0;
}

function bars(methods: FailoverMethod[]): string {
  const left = 170, right = 260, plot = 1000 - left - right, rowH = 64, barH = 26, top = 34;
  const height = top + methods.length * rowH + 8;
  const max = Math.max(1e-9, ...methods.map((m) => Math.max(m.moved, m.minimum)));
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
  const step = steps.find((s) => max / s <= 6) ?? 0.25;
  const axisMax = Math.ceil(max / step - 1e-9) * step;
  const x = (v: number): number => left + (v / axisMax) * plot;
  const out = [`<svg class="figure" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 ${height}" width="100%" role="img" aria-label="flows moved per selection method">`, '<title>flows moved per selection method</title>'];
  for (let v = 0; v <= axisMax + 1e-9; v += step) {
    out.push(`<line x1="${num(x(v))}" y1="${top - 6}" x2="${num(x(v))}" y2="${height - 8}" stroke="${C.grid}"/>`);
    out.push(`<text x="${num(x(v))}" y="${top - 12}" class="axis" text-anchor="middle">${esc(percent(v, 0))}</text>`);
  }
  methods.forEach((m, i) => {
    const y = top + i * rowH + (rowH - barH) / 2;
    const need = Math.min(m.minimum, m.moved);
    const extra = Math.max(0, m.moved - need);
    const ok = minimal(m);
    const ratioText = m.minimum > 0 ? `${(m.moved / m.minimum).toFixed(2)}× the minimum` : m.moved > 0 ? 'none had to move' : 'nothing moved';
    out.push(`<g><title>${esc(`${m.selection}: ${percent(m.moved, 1)} of flows changed VM; ${percent(m.minimum, 1)} had to (they were on what failed)`)}</title>`);
    out.push(`<text x="${left - 14}" y="${num(y + barH / 2 - 1)}" class="label" text-anchor="end">${esc(m.selection)}</text>`);
    out.push(`<text x="${left - 14}" y="${num(y + barH / 2 + 14)}" class="sub" text-anchor="end">${esc(ok ? 'minimal' : `${percent(extra, 1)} moved needlessly`)}</text>`);
    out.push(`<rect x="${left}" y="${num(y)}" width="${plot}" height="${barH}" rx="3" fill="${C.track}"/>`);
    if (need > 0) out.push(`<rect x="${left}" y="${num(y)}" width="${num(x(need) - left)}" height="${barH}" rx="3" fill="${C.ok}"/>`);
    if (extra > 0) out.push(`<rect x="${num(x(need))}" y="${num(y)}" width="${num(x(m.moved) - x(need))}" height="${barH}" fill="${C.bad}"/>`);
    out.push(`<line x1="${num(x(m.minimum))}" y1="${num(y - 6)}" x2="${num(x(m.minimum))}" y2="${num(y + barH + 6)}" stroke="${C.text}" stroke-width="2.5"/>`);
    out.push(`<text x="${left + plot + 14}" y="${num(y + barH / 2 - 1)}" class="value">${esc(percent(m.moved, 1))}<tspan class="sub" dx="8">minimum ${esc(percent(m.minimum, 1))}</tspan></text>`);
    out.push(`<text x="${left + plot + 14}" y="${num(y + barH / 2 + 15)}" class="sub"${ok ? ` style="fill:${C.good};font-weight:600"` : ''}>${esc(ratioText)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

/** The failover result as one self-contained page. */
export function renderFailoverHtml(result: FailoverResult, meta: { topology: string; command: string }): string {
  const methods = [...result.methods].sort((a, b) => a.moved - b.moved || a.selection.localeCompare(b.selection, 'en'));
  const rows = methods
    .map((m) => `<tr><td><b>${esc(m.selection)}</b></td><td class="n">${esc(percent(m.moved, 2))}</td><td class="n">${esc(percent(m.minimum, 2))}</td><td class="n">${esc(m.minimum > 0 ? `${(m.moved / m.minimum).toFixed(3)}×` : '-')}</td><td>${minimal(m) ? '<span class="badge ok">minimal</span>' : `<span class="badge bad">${esc(percent(Math.max(0, m.moved - m.minimum), 1))} needless</span>`}</td></tr>`)
    .join('\n');
  const body = [
    `<section><h2>Flows that change VM when ${esc(result.removed)} fails</h2>`,
    `<p class="lede">Per selection method set on every leaf, the share of all ${esc(groupDigits(result.flows))} flows whose VM changed. Blue: flows that had to move (they were on what failed; the dark line, the least any method can move). Red: flows moved needlessly, from a VM that stayed up.</p>`,
    bars(methods),
    `<div class="legend"><span><i class="sw" style="background:${C.ok}"></i>had to move</span><span><i class="sw" style="background:${C.bad}"></i>moved needlessly</span><span><i class="sw" style="background:${C.text};width:3px;height:14px"></i>minimum</span></div></section>`,
    `<section><h2>Numbers</h2><table><thead><tr><th>selection</th><th class="n">moved</th><th class="n">minimum</th><th class="n">moved/minimum</th><th>verdict</th></tr></thead><tbody>\n${rows}\n</tbody></table></section>`,
  ].join('\n');
  return renderPage({
    title: `Failover: ${result.removed} removed`,
    brand: 'ecmp-emu · failover',
    meta: `${esc(groupDigits(result.flows))} flows · topology <b>${esc(meta.topology)}</b>`,
    body,
    footer: meta.command,
  });
}
