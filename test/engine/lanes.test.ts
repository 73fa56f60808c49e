// Every entry into the engine's one lane forwards alike: pcap runs, batches, one frame at a time (live capture),
// weighted frames (sFlow samples) and synthetic flows give the same per-flow results, column by column.

import { describe, expect, it } from 'vitest';
import { DUAL_STACK_YAML, benchCaptureBuffer } from '../../bench/captures.js';
import { CaptureReader, PcapRun, RecordBatch } from '../../src/capture/reader.js';
import { Engine } from '../../src/engine/engine.js';
import { FlowTable } from '../../src/engine/flowtable.js';
import { PcapWriter } from '../../src/capture/writer.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { formatIpv6 } from '../../src/wire/ipv6.js';
import { FrameKey, REASON_OK, decodeFrame } from '../../src/wire/decode.js';
import { engineState, expectSameEngine } from './state.js';

const fabric = converge(loadTopology());
// Client flows and one frame in 5 of another shape: underlay VXLAN (known and unknown VNI), ARP, cut short, no route.
const capture = benchCaptureBuffer({ packets: 20_000, flows: 2000, mixEvery: 5, seed: 21 });

function batches(cap = capture): RecordBatch[] {
  const reader = CaptureReader.fromBuffer(cap);
  const out: RecordBatch[] = [];
  for (;;) {
    const b = new RecordBatch(333);
    if (reader.readSync(b) === 0) return out;
    out.push(b);
  }
}

function byRuns(weight = 1, f = fabric, cap = capture): Engine {
  const e = new Engine(f);
  const reader = CaptureReader.fromBuffer(cap);
  const run = new PcapRun();
  while (reader.readRunSync(run) > 0) e.processPcapRun(run, weight);
  return e;
}

function byFrames(weight: number, repeat = 1, fastPath = true, f = fabric, cap = capture): Engine {
  const e = new Engine(f, { fastPath });
  for (const b of batches(cap)) {
    for (let i = 0; i < b.count; i++) {
      for (let k = 0; k < repeat; k++) e.processFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.origLen[i]!, b.linkType[i]!, b.tsSec[i]!, b.tsNsec[i]!, weight);
    }
  }
  return e;
}

/**
 * An engine that writes frames (--write) computes each flow's VXLAN source port on first sight; one that does not
 * defers a leaf's `independent` port (PathResult.deferSport) and computes it when asked: the same ports, flow by flow.
 */
function expectDeferredSportsAsFirstSight(f = fabric, cap = capture): void {
  const deferred = byRuns(1, f, cap);
  const eager = new Engine(f, { writer: PcapWriter.toBuffer() });
  for (const b of batches(cap)) eager.processBatch(b);
  const stored = Array.from({ length: deferred.flows.size }, (_, i) => deferred.flows.outerSportOf(i));
  expectSameEngine(eager, deferred);
  // it was deferred (0 stored before it was asked for), and most encapsulated flows have one
  const ports = Array.from({ length: deferred.flows.size }, (_, i) => deferred.outerSportOf(i));
  expect(stored.filter((p, i) => p === 0 && ports[i] !== 0).length).toBeGreaterThan(deferred.flows.size / 4);
}

describe('the one lane', () => {
  it('runs, batches and frames one at a time (with and without the fast path) forward alike', () => {
    const runs = byRuns();
    const batched = new Engine(fabric);
    for (const b of batches()) batched.processBatch(b);
    expectSameEngine(batched, runs);
    expectSameEngine(byFrames(1), runs);
    expectSameEngine(byFrames(1, 1, false), runs);
    expectDeferredSportsAsFirstSight();
    // Every kind of frame met: forwarded flows, and skipped ones counted per flow and per reason.
    expect(runs.packets).toBe(20_000);
    const skipped = runs.skippedByReason();
    for (const reason of ['not-ipv4', 'truncated', 'no-route', 'unknown-vni']) expect(skipped[reason], reason).toBeGreaterThan(0);
  });

  it('a frame of weight 3 (an sFlow sample) counts as the frame three times, on its flow and in the totals', () => {
    expectSameEngine(byFrames(3), byFrames(1, 3));
    expectSameEngine(byRuns(3), byFrames(1, 3));
    const single = engineState(byRuns());
    const weighted = engineState(byRuns(3));
    expect(weighted.packets).toBe(3 * single.packets);
    expect(weighted.skipped).toEqual(single.skipped.map((x) => 3 * x));
  });

  it('every flow, forwarded or not, has its packets and bytes counted (no-route flows included)', () => {
    const e = byRuns();
    const skipped = e.skippedByReason();
    let counted = 0;
    for (let f = 0; f < e.flows.size; f++) if (e.reasonOf(f) !== 0) counted += e.flows.packetsOf(f);
    // Flows that are not forwarded: no route, or a loop; the other reasons stop a frame before it has a flow.
    expect(skipped['no-route']).toBeGreaterThan(0);
    expect(counted).toBe((skipped['no-route'] ?? 0) + (skipped['loop'] ?? 0));
  });

  it('synthetic flows (processFlow) forward as frames with the same keys', () => {
    const frames = byRuns();
    const flows = new Engine(fabric);
    const key = new FrameKey();
    const rest = new Engine(fabric);
    for (const b of batches()) {
      for (let i = 0; i < b.count; i++) {
        decodeFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.linkType[i]!, fabric.topology.vxlan.port, key);
        const client = key.reason === REASON_OK && !key.vxlan;
        if (client) flows.processFlow(key.src, key.dst, key.proto, key.sport, key.dport, 1, b.origLen[i]!);
        else rest.processFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.origLen[i]!, b.linkType[i]!, 0, 0);
      }
    }
    // The client flows are the frames' ingress flows, in the same first-seen order.
    const f = engineState(frames).columns;
    const s = engineState(flows).columns;
    const ingress = f.meta!.map((m, i) => (FlowTable.entryLeaf(m) === fabric.ingressLeaf ? i : -1)).filter((i) => i >= 0);
    const n = flows.flows.size;
    expect(ingress.length).toBe(n);
    for (const name of Object.keys(s)) {
      const width = s[name]!.length / n;
      expect(ingress.flatMap((i) => f[name]!.slice(i * width, (i + 1) * width)), name).toEqual(s[name]);
    }
    expect(flows.packets + rest.packets).toBe(frames.packets);
  });
});

describe('the one lane on IPv6 (a dual-stack fabric with an IPv6 underlay)', () => {
  // flow label hashed (linux-l3 on IPv6 reads it) and not
  const fabrics = [
    converge(parseTopology(DUAL_STACK_YAML, 'dual.yaml')),
    converge(parseTopology(DUAL_STACK_YAML.replace('ingress:', 'defaults: { hash: { algorithm: linux-l3 } }\ningress:'), 'dual-l3.yaml')),
  ];
  const captures = (['all', 'mixed'] as const).map((ipv6) => benchCaptureBuffer({ packets: 20_000, flows: 2000, mixEvery: 5, seed: 23, ipv6 }));

  it('runs, batches, frames (with and without the fast path) and weighted frames forward alike, IPv6 and mixed', () => {
    for (const f of fabrics) {
      for (const cap of captures) {
        const runs = byRuns(1, f, cap);
        const batched = new Engine(f);
        for (const b of batches(cap)) batched.processBatch(b);
        expectSameEngine(batched, runs);
        expectSameEngine(byFrames(1, 1, true, f, cap), runs);
        expectSameEngine(byFrames(1, 1, false, f, cap), runs);
        expectSameEngine(byFrames(3, 1, true, f, cap), byFrames(1, 3, true, f, cap));
        expectDeferredSportsAsFirstSight(f, cap);
        const skipped = runs.skippedByReason();
        for (const reason of ['not-ipv4', 'truncated', 'no-route', 'unknown-vni']) expect(skipped[reason], reason).toBeGreaterThan(0);
        // IPv6 flows forwarded, entering at the ingress leaf and as VXLAN over IPv6 at leaf-3
        const leaf3 = f.leafNames.indexOf('leaf-3');
        let v6 = 0;
        let underlay = 0;
        for (let i = 0; i < runs.flows.size; i++) {
          const meta = runs.flows.metaOf(i);
          if (!FlowTable.isIpv6(meta) || runs.reasonOf(i) !== 0) continue;
          v6++;
          if (FlowTable.entryLeaf(meta) === leaf3) underlay++;
        }
        expect(v6).toBeGreaterThan(500);
        expect(underlay).toBeGreaterThan(50);
      }
    }
  });

  it('the source id carries the flow label only where a hasher reads it: one flow per label under linux-l3, one per 5-tuple otherwise', () => {
    const [l4, l3] = fabrics as [typeof fabrics[0], typeof fabrics[0]];
    expect([l4.readsFlowLabel, l3.readsFlowLabel]).toEqual([false, true]);
    const src = new Uint32Array([0xfd000000, 0, 0, 1]);
    const dst = new Uint32Array([0x20010db8, 0x01000000, 0, 0x10]);
    const counts = [l4, l3].map((f) => {
      const e = new Engine(f);
      for (let label = 0; label < 64; label++) expect(e.processFlow6(src, dst, label, 17, 1000, 53)).toBeGreaterThanOrEqual(0);
      return e.flows.size;
    });
    expect(counts).toEqual([1, 64]);
  });

  it('synthetic IPv6 flows (processFlow6) forward as frames with the same keys', () => {
    const f = fabrics[1]!;
    const cap = captures[1]!;
    const frames = byRuns(1, f, cap);
    const flows = new Engine(f);
    const key = new FrameKey();
    const rest = new Engine(f);
    for (const b of batches(cap)) {
      for (let i = 0; i < b.count; i++) {
        decodeFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.linkType[i]!, f.topology.vxlan.port, key);
        const client = key.reason === REASON_OK && !key.vxlan;
        if (client && key.family === 6) flows.processFlow6(key.src6, key.dst6, key.flowLabel, key.proto, key.sport, key.dport, 1, b.origLen[i]!);
        else if (client) flows.processFlow(key.src, key.dst, key.proto, key.sport, key.dport, 1, b.origLen[i]!);
        else rest.processFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.origLen[i]!, b.linkType[i]!, 0, 0);
      }
    }
    const fs = engineState(frames);
    const ss = engineState(flows);
    const ingress = fs.columns.meta!.map((m, i) => (FlowTable.entryLeaf(m) === f.ingressLeaf ? i : -1)).filter((i) => i >= 0);
    expect(ingress.length).toBe(flows.flows.size);
    expect(ingress.map((i) => fs.addresses[i])).toEqual(ss.addresses);
    for (const name of ['ports', 'meta', 'packets', 'bytes', 'reason', 'outerSport', 'vm', 'vtep', 'stageRoute', 'stageMember']) {
      const width = ss.columns[name]!.length / flows.flows.size;
      expect(ingress.flatMap((i) => fs.columns[name]!.slice(i * width, (i + 1) * width)), name).toEqual(ss.columns[name]);
    }
    expect(ss.addresses.filter((a) => a !== '').length).toBeGreaterThan(500);
    expect(formatIpv6(flows.addrs.wordsOf(flows.flows.dstOf(ingress.findIndex((i) => fs.addresses[i] !== '')), new Uint32Array(4)))).toBe('2001:db8:100::10');
  });
});
