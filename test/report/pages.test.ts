import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderFuzzHtml, heatColor } from '../../src/report/html-fuzz.js';
import { renderFailoverHtml } from '../../src/report/html-failover.js';
import { fabricDiagram, renderFabricSvg } from '../../src/report/html-fabric.js';
import { renderHtml } from '../../src/report/html.js';
import type { SearchResultView } from '../../src/report/search.js';
import { chromium, findChromium } from './chromium.js';
import { sampleFailover, sampleFuzz, sampleReport } from './fixture.js';
import { elements, parseXml, textOf } from './helpers.js';
import { colourStats, countNear, decodePng } from './png.js';

const sampleSearch: SearchResultView = {
  trials: 500,
  flows: 3000,
  results: [
    { algorithm: 'xor', selection: 'hash-threshold', meanMaxOverMean: 2.6, worstMaxOverMean: 3, polarized: 81, reproducer: 'w/worst-xor-hash-threshold.pcap', replayArgs: ['--topology', 'w/worst-xor-hash-threshold.yaml', '--json'], finding: 'one client (10.0.0.1), UDP to port 7, source ports 1024+4k, in order: xor — border sends every flow to leaf-2, expected 33% <&>' },
    { algorithm: 'xor', selection: 'modulo', meanMaxOverMean: 1.1, worstMaxOverMean: 1.3, polarized: 0, reproducer: null, replayArgs: [], finding: 'two clients: xor — border sends 43% of its flows to leaf-1, expected 33%' },
    { algorithm: 'linux-l4', selection: 'hash-threshold', meanMaxOverMean: 1.05, worstMaxOverMean: 1.09, polarized: 0, reproducer: null, replayArgs: [], finding: 'survives: none of 500 shapes of 3000 flows spread significantly unevenly at any stage' },
    { algorithm: 'linux-l4', selection: 'modulo', meanMaxOverMean: 1.05, worstMaxOverMean: 1.08, polarized: 0, reproducer: null, replayArgs: [], finding: 'survives: none of 500 shapes' },
    { algorithm: 'linux-l4 (shared seed)', selection: 'hash-threshold', meanMaxOverMean: 3, worstMaxOverMean: 3, polarized: 463, reproducer: null, replayArgs: [], finding: 'one client: linux-l4 — leaf-3 sends every flow to VM-C; polarized' },
    { algorithm: 'linux-l4 (shared seed)', selection: 'modulo', meanMaxOverMean: 3, worstMaxOverMean: 3, polarized: 463, reproducer: null, replayArgs: [], finding: 'one client: polarized' },
  ],
};

const fuzzPage = renderFuzzHtml(sampleSearch, { mode: 'search', topology: 'built-in', command: 'ecmp-emu fuzz --search --html x.html', budget: 1_500_000, strategy: 'hill-climb' });
const trialsPage = renderFuzzHtml(sampleFuzz, { mode: 'trials', topology: 'a "b" <c>.yaml', command: 'ecmp-emu fuzz' });
const failoverPage = renderFailoverHtml(sampleFailover, { topology: 'built-in', command: 'ecmp-emu failover --fail VM-B --html f.html' });
const reportPage = renderHtml(sampleReport, { title: 'demo', source: 'traces/demo.pcap', topology: 'built-in' });

function selfContained(doc: string): void {
  const root = parseXml(doc);
  expect(root.name).toBe('html');
  expect(doc.replace(/\sxmlns(:[\w-]+)?="[^"]*"/g, '')).not.toMatch(/https?:\/\//i);
  const names = new Set([...elements(root)].map((e) => e.name));
  for (const banned of ['script', 'link', 'img', 'iframe', 'object', 'embed', 'image', 'use', 'foreignObject']) expect(names.has(banned), banned).toBe(false);
  for (const e of elements(root)) for (const k of Object.keys(e.attrs)) expect(k.toLowerCase().startsWith('on'), k).toBe(false);
}

describe('fuzz --html', () => {
  it('is self-contained, well-formed XHTML, text escaped', () => {
    for (const doc of [fuzzPage, trialsPage]) selfContained(doc);
    expect(textOf(parseXml(fuzzPage))).toContain('expected 33% <&>');
    expect(textOf(parseXml(trialsPage))).toContain('a "b" <c>.yaml');
  });

  it('draws one cell per row in a grid of algorithms × selections, coloured by max/mean, survivors and polarized cells marked', () => {
    const root = parseXml(fuzzPage);
    const cells = [...elements(root)].filter((e) => e.name === 'g' && e.attrs.class === 'cell');
    expect(cells).toHaveLength(6);
    const rectOf = (i: number) => cells[i]!.children.find((c) => c.name === 'rect')!;
    expect(rectOf(0).attrs.fill).toBe(heatColor(3));
    expect(textOf(cells[2]!)).toContain('survives');
    // the corner flag: on the polarized cells only (xor hash-threshold 81/500, both shared-seed cells)
    const flagged = cells.map((c) => c.children.some((x) => x.name === 'path'));
    expect(flagged).toEqual([true, false, false, false, true, true]);
    // every cell's finding and reproducer as its tooltip, and again in the table below (readable without hover)
    const tip = textOf(cells[0]!.children.find((c) => c.name === 'title')!);
    expect(tip).toContain('replay: ecmp-emu replay w/worst-xor-hash-threshold.pcap --topology w/worst-xor-hash-threshold.yaml --json');
    const table = [...elements(root)].find((e) => e.name === 'table')!;
    expect(textOf(table)).toContain('ecmp-emu replay w/worst-xor-hash-threshold.pcap');
    expect(textOf(table)).toContain('run with --save-worst DIR');
  });

  it('colours from green at 1 through amber at 1.25 to dark red at 3, and clamps', () => {
    expect(heatColor(1)).toBe('#2e9e6a');
    expect(heatColor(1.25)).toBe('#e9c43b');
    expect(heatColor(3)).toBe('#a81f1a');
    expect(heatColor(7)).toBe(heatColor(3));
    expect(heatColor(0.5)).toBe(heatColor(1));
  });
});

describe('failover --html', () => {
  it('draws a bar per method, the needed part, the needless part and the minimum line', () => {
    selfContained(failoverPage);
    const root = parseXml(failoverPage);
    const svg = [...elements(root)].find((e) => e.name === 'svg')!;
    const rects = [...elements(svg)].filter((e) => e.name === 'rect');
    // three tracks, three "had to move" parts, two needless parts (resilient moved exactly the minimum)
    expect(rects.filter((r) => r.attrs.fill === '#d1453b')).toHaveLength(2);
    expect(rects.filter((r) => r.attrs.fill === '#2f7fc1')).toHaveLength(3);
    const all = textOf(root);
    expect(all).toMatch(/resilient.*minimal/s);
    expect(all).toContain('6.68× the minimum');
    expect(all).toContain('63.0% moved needlessly');
  });
});

describe('the fabric diagram', () => {
  it('has ingress → leaves → VMs, edge widths by flows, colours by deviation, a starved VM dashed', () => {
    const d = fabricDiagram(sampleReport);
    expect(d.nodes.filter((n) => n.column === 0).map((n) => n.label)).toEqual(['border']);
    expect(d.nodes.filter((n) => n.column === 1).map((n) => n.label)).toEqual(['leaf-1', 'leaf-2', 'leaf-3']);
    expect(d.edges.filter((e) => e.to.startsWith('vm:')).map((e) => e.from)).toEqual(['leaf:leaf-1', 'leaf:leaf-2', 'leaf:leaf-3', 'leaf:leaf-3', 'leaf:leaf-3']);
    const svg = parseXml(renderFabricSvg(sampleReport));
    const paths = [...elements(svg)].filter((e) => e.name === 'path');
    expect(paths).toHaveLength(8);
    const widths = paths.map((p) => Number(p.attrs['stroke-width']));
    expect(Math.max(...widths)).toBe(26);
    const vmC = paths[7]!;
    expect(vmC.attrs['stroke-dasharray']).toBeDefined();
    expect(vmC.attrs.stroke).toBe('#d1453b');
    expect(paths[5]!.attrs.stroke).toBe('#d1453b'); // VM-A: +50%
    expect(paths[0]!.attrs.stroke).toBe('#2f7fc1'); // border → leaf-1: even
  });

  it('sits in the replay report beside the charts', () => {
    selfContained(reportPage);
    expect(reportPage.indexOf('The fabric')).toBeGreaterThan(0);
    expect(reportPage.indexOf('The fabric')).toBeLessThan(reportPage.indexOf('Flows per VTEP'));
  });
});

describe('the pages in headless Chromium', () => {
  const bin = findChromium();
  if (!bin) {
    if (process.env.CI) it('needs Chromium in CI', () => expect.fail('chromium not found on PATH; .ci/run installs it'));
    else {
      console.warn('skipping the headless Chromium page tests: no chromium on PATH');
      it.skip('renders the pages (Chromium missing)', () => {});
    }
    return;
  }

  async function shot(doc: string, size: string): Promise<ReturnType<typeof decodePng>> {
    const dir = mkdtempSync(join(tmpdir(), `ecmp-emu-pages-${process.pid}-`));
    try {
      writeFileSync(join(dir, 'p.html'), doc);
      await chromium(bin!, [`--screenshot=${join(dir, 'p.png')}`, `--window-size=${size}`], `file://${join(dir, 'p.html')}`);
      return decodePng(readFileSync(join(dir, 'p.png')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('renders the heat map: red cells, green survivors, dark polarized flags', async () => {
    const img = await shot(fuzzPage, '1200,1100');
    expect(colourStats(img).distinct).toBeGreaterThan(200);
    expect(countNear(img, heatColor(3), 4)).toBeGreaterThan(20_000);
    expect(countNear(img, '#e6f4ec', 2)).toBeGreaterThan(10_000);
    expect(countNear(img, '#1d2733', 4)).toBeGreaterThan(1500);
  }, 120_000);

  it('renders the failover bars in blue and red', async () => {
    const img = await shot(failoverPage, '1200,900');
    expect(countNear(img, '#2f7fc1', 4)).toBeGreaterThan(4000);
    expect(countNear(img, '#d1453b', 4)).toBeGreaterThan(10_000);
  }, 120_000);

  it('renders the fabric diagram in the replay report, and parses as XHTML', async () => {
    const img = await shot(reportPage, '1200,1200');
    expect(countNear(img, '#d1453b', 8)).toBeGreaterThan(3000);
    const dir = mkdtempSync(join(tmpdir(), `ecmp-emu-xhtml-${process.pid}-`));
    try {
      for (const [name, doc] of [['f.xhtml', fuzzPage], ['o.xhtml', failoverPage], ['r.xhtml', reportPage]] as const) {
        writeFileSync(join(dir, name), doc);
        const dom = await chromium(bin!, ['--dump-dom'], `file://${join(dir, name)}`);
        expect(dom, name).not.toMatch(/parsererror|This page contains the following errors/);
        expect(dom).toContain('</svg>');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
