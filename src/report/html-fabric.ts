// The fabric as a diagram for the HTML report: ingress → (spines) → leaves → VMs, edge width = flows, colour = deviation.

import type { Report } from '../stats/types.js';
import { deviation, escapeHtml as esc, groupDigits, percent } from './format.js';

const COLOR = { ok: '#2f7fc1', warn: '#e39b26', bad: '#d1453b', text: '#1d2733', muted: '#66758a', node: '#f3f5f8', line: '#c9d3de' };

export interface DiagramNode {
  id: string;
  label: string;
  sub: string;
  column: number;
}

export interface DiagramEdge {
  from: string;
  to: string;
  flows: number;
  share: number;
  expected: number;
}

export interface FabricDiagram {
  columns: string[];
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

/** Colour by how far an edge's share strays from what the weights promise: within 10%, 10–25%, beyond. */
export function edgeColor(share: number, expected: number): string {
  if (!(expected > 0)) return share > 0 ? COLOR.bad : COLOR.line;
  const d = Math.abs(share / expected - 1);
  return d > 0.25 ? COLOR.bad : d > 0.1 ? COLOR.warn : COLOR.ok;
}

/**
 * The ingress leaf: the node of the stage that chooses among VTEPs (every other stage chooses VMs). With spines the
 * report's `links` add a column between it and the leaves: its uplinks, then the spines' downlinks.
 */
function ingressOf(report: Report): string {
  const vteps = new Set(report.vteps.map((v) => v.name));
  const stage = report.stages.find((s) => s.nextHops.some((h) => vteps.has(h.name)));
  if (stage) return stage.node;
  const local = report.vms.find((v) => v.flows > 0 && !vteps.has(v.leaf));
  return local?.leaf ?? 'ingress';
}

/** The diagram's nodes and edges, from the report alone: VTEP rows are ingress → leaf, VM rows leaf → VM. */
export function fabricDiagram(report: Report): FabricDiagram {
  const ingress = ingressOf(report);
  const nodes: DiagramNode[] = [{ id: `leaf:${ingress}`, label: ingress, sub: `ingress · ${groupDigits(report.flows)} flows`, column: 0 }];
  const edges: DiagramEdge[] = [];
  const vms = report.vms.filter((v) => v.flows > 0 || v.expected > 0);
  const links = report.links;
  const spines = links ? [...new Set(links.filter((l) => l.from === ingress).map((l) => l.to))] : [];
  const leafCol = spines.length > 0 ? 2 : 1;
  for (const s of spines) {
    const up = links!.find((l) => l.from === ingress && l.to === s)!;
    nodes.push({ id: `spine:${s}`, label: s, sub: `spine · ${percent(up.share, 1)} of flows`, column: 1 });
    edges.push({ from: `leaf:${ingress}`, to: `spine:${s}`, flows: up.flows, share: up.share, expected: up.expected });
  }
  for (const v of report.vteps) {
    if (v.name === ingress) continue;
    nodes.push({ id: `leaf:${v.name}`, label: v.name, sub: `VTEP ${v.address}`, column: leafCol });
    if (spines.length === 0) edges.push({ from: `leaf:${ingress}`, to: `leaf:${v.name}`, flows: v.flows, share: v.share, expected: v.expected });
    for (const l of links ?? []) {
      if (l.to === v.name && spines.includes(l.from)) edges.push({ from: `spine:${l.from}`, to: `leaf:${v.name}`, flows: l.flows, share: l.share, expected: l.expected });
    }
  }
  for (const v of vms) {
    nodes.push({ id: `vm:${v.name}`, label: v.name, sub: `${percent(v.share, 1)} · expected ${percent(v.expected, 1)}`, column: leafCol + 1 });
    const from = nodes.some((n) => n.id === `leaf:${v.leaf}`) ? `leaf:${v.leaf}` : `leaf:${ingress}`;
    edges.push({ from, to: `vm:${v.name}`, flows: v.flows, share: v.share, expected: v.expected });
  }
  return { columns: spines.length > 0 ? ['ingress', 'spines', 'leaves', 'VMs'] : ['ingress', 'leaves', 'VMs'], nodes, edges };
}

const fmt = (n: number): string => (Math.round(n * 100) / 100).toString();

/** Vertical places: VMs evenly, each leaf at the middle of its VMs (or evenly when it has none), ingress centred. */
function layout(d: FabricDiagram, rowH: number, top: number): Map<string, number> {
  const y = new Map<string, number>();
  const vmCol = d.columns.length - 1;
  const vms = d.nodes.filter((n) => n.column === vmCol);
  vms.forEach((n, i) => y.set(n.id, top + i * rowH + rowH / 2));
  const leaves = d.nodes.filter((n) => n.column === vmCol - 1);
  const span = Math.max(vms.length, leaves.length, 1) * rowH;
  // Spines (a middle column, with spines only): evenly over the span.
  const spines = d.nodes.filter((n) => n.column > 0 && n.column < vmCol - 1);
  spines.forEach((n, i) => y.set(n.id, top + ((i + 0.5) * span) / spines.length));
  leaves.forEach((n, i) => {
    const mine = d.edges.filter((e) => e.from === n.id).map((e) => y.get(e.to)!).filter((v) => v !== undefined);
    y.set(n.id, mine.length ? mine.reduce((a, b) => a + b, 0) / mine.length : top + ((i + 0.5) * span) / leaves.length);
  });
  for (const n of d.nodes) if (n.column === 0) y.set(n.id, top + span / 2);
  return y;
}

/** The diagram as SVG: boxes per node, a curve per edge as wide as its flows, coloured by deviation. */
export function renderFabricSvg(report: Report): string {
  const d = fabricDiagram(report);
  const rowH = 70, top = 48, boxW = 170, boxH = 44;
  const rows = Math.max(d.nodes.filter((n) => n.column === d.columns.length - 1).length, d.nodes.filter((n) => n.column === d.columns.length - 2).length, 1);
  const height = top + rows * rowH + 10;
  const colX = d.columns.length === 4 ? [20, 280, 545, 810] : [20, 415, 810];
  const y = layout(d, rowH, top);
  const maxFlows = Math.max(1, ...d.edges.map((e) => e.flows));
  const out = [`<svg class="fabric" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 ${height}" width="100%" role="img" aria-label="the fabric: flows per link">`, '<title>the fabric: flows per link</title>'];
  d.columns.forEach((c, i) => out.push(`<text x="${colX[i]! + boxW / 2}" y="18" text-anchor="middle" style="font-size:11.5px;fill:${COLOR.muted};text-transform:uppercase;letter-spacing:0.06em">${esc(c)}</text>`));
  for (const e of d.edges) {
    const from = d.nodes.find((n) => n.id === e.from)!;
    const to = d.nodes.find((n) => n.id === e.to)!;
    const x1 = colX[from.column]! + boxW, x2 = colX[to.column]!;
    const y1 = y.get(from.id)!, y2 = y.get(to.id)!;
    const w = e.flows > 0 ? Math.max(1.5, (26 * e.flows) / maxFlows) : 1.5;
    const mid = (x1 + x2) / 2;
    const tip = `${from.label} → ${to.label}: ${groupDigits(e.flows)} flows, ${percent(e.share, 1)} of all, expected ${percent(e.expected, 1)} (${deviation(e.share, e.expected)})`;
    const dash = e.flows === 0 && e.expected > 0 ? ' stroke-dasharray="5 4"' : '';
    out.push(`<path d="M${fmt(x1)} ${fmt(y1)} C${fmt(mid)} ${fmt(y1)} ${fmt(mid)} ${fmt(y2)} ${fmt(x2)} ${fmt(y2)}" fill="none" stroke="${edgeColor(e.share, e.expected)}" stroke-width="${fmt(w)}" stroke-opacity="0.85"${dash}><title>${esc(tip)}</title></path>`);
    // A leaf fed by several spines: its links' figures are in their tooltips (one label per box corner fits).
    if (d.edges.filter((x) => x.to === e.to).length > 1) continue;
    const label = `${groupDigits(e.flows)} · ${deviation(e.share, e.expected)}`;
    // Above the target box's corner, clear of the curves that enter the box at its middle.
    out.push(`<text x="${fmt(x2 + 2)}" y="${fmt(y2 - boxH / 2 - 5)}" style="font-size:11px;fill:${COLOR.muted}">${esc(label)}</text>`);
  }
  for (const n of d.nodes) {
    const x = colX[n.column]!, cy = y.get(n.id)!;
    out.push(`<g><title>${esc(`${n.label}: ${n.sub}`)}</title><rect x="${x}" y="${fmt(cy - boxH / 2)}" width="${boxW}" height="${boxH}" rx="8" fill="${COLOR.node}" stroke="${COLOR.text}" stroke-width="1.2"/>`);
    out.push(`<text x="${x + 12}" y="${fmt(cy - 3)}" style="font-size:14px;font-weight:650;fill:${COLOR.text}">${esc(n.label)}</text>`);
    out.push(`<text x="${x + 12}" y="${fmt(cy + 13)}" style="font-size:11px;fill:${COLOR.muted}">${esc(n.sub)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The report's section holding the diagram. */
export function fabricSection(report: Report): string {
  if (report.vteps.length === 0 && report.vms.every((v) => v.flows === 0)) return '';
  return `<section>
<h2>The fabric</h2>
<p class="lede">Ingress leaf, spines (with spines), leaves (VTEPs), VMs: each link as wide as the flows it carried, coloured by how far its share strays from what the weights promise (blue within 10%, amber 10–25%, red beyond; dashed: expected flows but none came).</p>
${renderFabricSvg(report)}
</section>`;
}
