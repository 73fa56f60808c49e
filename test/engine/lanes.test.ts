// Every entry into the engine's one lane forwards alike: pcap runs, batches, one frame at a time (live capture),
// weighted frames (sFlow samples) and synthetic flows give the same per-flow results, column by column.

import { describe, expect, it } from 'vitest';
import { benchCaptureBuffer } from '../../bench/captures.js';
import { CaptureReader, PcapRun, RecordBatch } from '../../src/capture/reader.js';
import { Engine } from '../../src/engine/engine.js';
import { FlowTable } from '../../src/engine/flowtable.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { FrameKey, REASON_OK, decodeFrame } from '../../src/wire/decode.js';
import { engineState, expectSameEngine } from './state.js';

const fabric = converge(loadTopology());
// Client flows and one frame in 5 of another shape: underlay VXLAN (known and unknown VNI), ARP, cut short, no route.
const capture = benchCaptureBuffer({ packets: 20_000, flows: 2000, mixEvery: 5, seed: 21 });

function batches(): RecordBatch[] {
  const reader = CaptureReader.fromBuffer(capture);
  const out: RecordBatch[] = [];
  for (;;) {
    const b = new RecordBatch(333);
    if (reader.readSync(b) === 0) return out;
    out.push(b);
  }
}

function byRuns(weight = 1): Engine {
  const e = new Engine(fabric);
  const reader = CaptureReader.fromBuffer(capture);
  const run = new PcapRun();
  while (reader.readRunSync(run) > 0) e.processPcapRun(run, weight);
  return e;
}

function byFrames(weight: number, repeat = 1, fastPath = true): Engine {
  const e = new Engine(fabric, { fastPath });
  for (const b of batches()) {
    for (let i = 0; i < b.count; i++) {
      for (let k = 0; k < repeat; k++) e.processFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.origLen[i]!, b.linkType[i]!, b.tsSec[i]!, b.tsNsec[i]!, weight);
    }
  }
  return e;
}

describe('the one lane', () => {
  it('runs, batches and frames one at a time (with and without the fast path) forward alike', () => {
    const runs = byRuns();
    const batched = new Engine(fabric);
    for (const b of batches()) batched.processBatch(b);
    expectSameEngine(batched, runs);
    expectSameEngine(byFrames(1), runs);
    expectSameEngine(byFrames(1, 1, false), runs);
    // Every kind of frame met: forwarded flows, and skipped ones counted per flow and per reason.
    expect(runs.packets).toBe(20_000);
    const skipped = runs.skippedByReason();
    for (const reason of ['not-ip', 'truncated', 'no-route', 'unknown-vni']) expect(skipped[reason], reason).toBeGreaterThan(0);
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
