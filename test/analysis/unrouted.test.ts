import { describe, expect, it } from 'vitest';
import { CaptureReader, PcapRun, RecordBatch } from '../../src/capture/reader.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/analysis/report.js';
import { unroutedDestinations } from '../../src/analysis/unrouted.js';
import { renderHtml, renderJson, renderText } from '../../src/report/index.js';
import { pcapFile } from '../capture/build.js';
import { frame, ipv4Packet } from '../wire/frames.js';

const SERVICE = 0xc0a8640a;
const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/**
 * A capture mixing forwarded and unrouted traffic: 3 flows × 2 packets to 203.0.113.7, 1 flow × 4 packets to
 * 203.0.113.9, 2 flows × 1 packet to 198.51.100.1, 5 flows × 3 packets to the service, and 2 frames cut short.
 */
function capture(): Buffer {
  const recs: { sec: number; frac: number; data: Uint8Array }[] = [];
  const add = (dst: number, sport: number, n: number): void => {
    for (let i = 0; i < n; i++) recs.push({ sec: recs.length, frac: 0, data: frame(ipv4Packet({ src: 0x0a000001, dst, proto: 17, sport, dport: 53 })) });
  };
  for (let f = 0; f < 3; f++) add(ip('203.0.113.7'), 1000 + f, 2);
  add(ip('203.0.113.9'), 2000, 4);
  for (let f = 0; f < 2; f++) add(ip('198.51.100.1'), 3000 + f, 1);
  for (let f = 0; f < 5; f++) add(SERVICE, 4000 + f, 3);
  for (let i = 0; i < 2; i++) recs.push({ sec: 99, frac: 0, data: new Uint8Array(10) });
  return pcapFile(recs);
}

/** The same capture through each lane: the replay lane (record runs), batches, and live capture's one frame at a time. */
function lanes(): Record<string, Engine> {
  const fabric = converge(loadTopology());
  const run = new Engine(fabric);
  const r = CaptureReader.fromBuffer(capture());
  const pr = new PcapRun();
  while (r.readRunSync(pr) > 0) run.processPcapRun(pr);
  const batch = new Engine(fabric);
  const b = CaptureReader.fromBuffer(capture());
  const rb = new RecordBatch(4);
  while (b.readSync(rb) > 0) batch.processBatch(rb);
  const frames = new Engine(fabric);
  const c = CaptureReader.fromBuffer(capture());
  const one = new RecordBatch(1);
  while (c.readSync(one) > 0) frames.processFrame(one.buf, one.offset[0]!, one.capLen[0]!, one.origLen[0]!, one.linkType[0]!, 0, 0);
  return { run, batch, frames };
}

describe('unrouted (SPEC §5)', () => {
  for (const [name, engine] of Object.entries(lanes())) {
    it(`${name}: names the no-route destinations, most flows first, with their packets; skipped totals unchanged`, () => {
      const report = buildReport(engine);
      expect(report.unrouted).toEqual([
        { address: '203.0.113.7', flows: 3, packets: 6 },
        { address: '198.51.100.1', flows: 2, packets: 2 },
        { address: '203.0.113.9', flows: 1, packets: 4 },
      ]);
      expect(report.skipped).toEqual({ 'no-route': 12, truncated: 2 });
      expect(report.flows).toBe(5);
      expect(report.vms.reduce((a, v) => a + v.packets, 0)).toBe(15);
      expect(report.packets).toBe(29);
    });
  }

  it('synthetic flows count on their flow too, and the list stops at the limit', () => {
    const engine = new Engine(converge(loadTopology()));
    for (let d = 0; d < 15; d++) for (let f = 0; f <= d; f++) engine.processFlow(0x0a000001, ip('203.0.113.0') + d, 17, 1000 + f, 53, 2, 100);
    const rows = unroutedDestinations(engine.flows, engine.paths, 3);
    expect(rows).toEqual([
      { address: '203.0.113.14', flows: 15, packets: 30 },
      { address: '203.0.113.13', flows: 14, packets: 28 },
      { address: '203.0.113.12', flows: 13, packets: 26 },
    ]);
    expect(buildReport(engine).unrouted).toHaveLength(10);
  });

  it('the text says how to fix it, the JSON lists it, the HTML shows it', () => {
    const report = buildReport(lanes().run!);
    const text = renderText(report);
    expect(text).toContain('No route');
    expect(text).toMatch(/203\.0\.113\.7 +3 +6/);
    expect(text).toContain('ecmp-emu init --from-capture FILE');
    expect(text).toContain('announce 203.0.113.0/24 from a VM');
    expect(JSON.parse(renderJson(report)).unrouted[0]).toEqual({ address: '203.0.113.7', flows: 3, packets: 6 });
    const html = renderHtml(report, { title: 't', source: 's', topology: 'built-in' });
    expect(html).toContain('No route: top destinations');
    expect(html).toContain('<td class="mono">203.0.113.7</td>');
  });

  it('a report with every frame routed has an empty list and no such section', () => {
    const engine = new Engine(converge(loadTopology()));
    engine.processFlow(0x0a000001, SERVICE, 17, 1, 2, 1, 60);
    const report = buildReport(engine);
    expect(report.unrouted).toEqual([]);
    expect(renderText(report)).not.toContain('No route');
  });
});
