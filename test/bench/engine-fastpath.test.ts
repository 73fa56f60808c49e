// The engine's fast path (a performance change: the common frame shape read straight from the bytes) must forward
// exactly as decodeFrame does. Differential: mutated frames of every shape through an engine with and without it.

import { describe, expect, it } from 'vitest';
import { PcapRun, RecordBatch } from '../../src/capture/reader.js';
import { Engine } from '../../src/engine/engine.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { DUAL_STACK_YAML, benchCaptureBuffer } from '../../bench/captures.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { expectSameEngine } from '../engine/state.js';
import { prng } from '../helpers.js';
import { pcapFile, type Rec } from '../capture/build.js';

const fabric = converge(loadTopology());

/** The bytes the fast path tests: EtherType, version/IHL, total length, flags/fragment, protocol, ports, addresses. */
const HOT_BYTES = [12, 13, 14, 16, 17, 20, 21, 23, 34, 35, 36, 37, 26, 30];
/** The IPv6 fast path's: EtherType, version and flow label, payload length, next header, ports, address words. */
const HOT_BYTES6 = [12, 13, 14, 15, 16, 17, 18, 19, 20, 54, 55, 56, 57, 22, 37, 38, 53];

/** Flips up to two of the frame at buf[off..off + capLen)'s hot bytes, to values that matter to the fast path. */
function flipHotBytes(buf: Uint8Array, off: number, capLen: number, rand: () => number, hot = HOT_BYTES): void {
  for (let k = Math.floor(rand() * 3); k > 0; k--) {
    const at = off + hot[Math.floor(rand() * hot.length)]!;
    if (at >= off + capLen) continue;
    const pick = rand();
    buf[at] = pick < 0.3 ? 0 : pick < 0.5 ? 0xff : pick < 0.6 ? (hot === HOT_BYTES ? 0x45 : 0x60) : pick < 0.7 ? 0x12 /* 4789 >> 8 */ : pick < 0.8 ? 0xb5 : pick < 0.85 ? 0x86 : pick < 0.9 ? 0x2c : Math.floor(rand() * 256);
  }
}

/** Frames from the bench builder (client TCP/UDP, VXLAN, ARP, cut short, no route), then bytes flipped at random. */
function mutatedBatches(seed: number, count: number, ipv6: 'none' | 'mixed' = 'none'): RecordBatch[] {
  const rand = prng(seed);
  const capture = benchCaptureBuffer({ packets: count, flows: 500, mixEvery: 3, seed, ipv6 });
  const reader = CaptureReader.fromBuffer(capture);
  const batches: RecordBatch[] = [];
  for (;;) {
    const b = new RecordBatch(256);
    if (reader.readSync(b) === 0) break;
    // Own copy of the bytes, so each batch can be mutated and kept.
    const buf = Uint8Array.from(b.buf);
    b.buf = buf;
    for (let i = 0; i < b.count; i++) {
      flipHotBytes(buf, b.offset[i]!, b.capLen[i]!, rand, ipv6 !== 'none' && rand() < 0.7 ? HOT_BYTES6 : HOT_BYTES);
      if (rand() < 0.05) b.capLen[i] = Math.floor(rand() * (b.capLen[i]! + 1));
      if (rand() < 0.03) b.linkType[i] = [101, 228, 113, 276, 1][Math.floor(rand() * 5)]!;
    }
    batches.push(b);
  }
  return batches;
}

/** Mutated frames through an engine with the fast path and one without: the same results, column by column. */
function fastEqualsSlow(f: typeof fabric, seed: number, ipv6: 'none' | 'mixed'): Engine {
  const batches = mutatedBatches(seed, 30_000, ipv6);
  const fast = new Engine(f);
  const slow = new Engine(f, { fastPath: false });
  for (const b of batches) {
    fast.processBatch(b);
    slow.processBatch(b);
  }
  expectSameEngine(fast, slow);
  // Enough of each case to mean something: many skipped frames, many forwarded flows.
  expect(fast.skipped.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  expect(fast.flows.size).toBeGreaterThan(1000);
  return fast;
}

describe('engine fast path', () => {
  it('forwards mutated frames of every shape exactly as the decoder path does', () => {
    for (const seed of [1, 2, 3]) fastEqualsSlow(fabric, seed, 'none');
  });

  it('forwards mutated IPv6 and IPv4 frames on a dual-stack fabric exactly as the decoder path does (flow labels hashed or not)', () => {
    const dual = converge(parseTopology(DUAL_STACK_YAML.replace('ingress:', 'defaults: { hash: { algorithm: linux-l3 } }\ningress:'), 'dual.yaml'));
    expect(dual.readsFlowLabel).toBe(true);
    for (const f of [dual, converge(parseTopology(DUAL_STACK_YAML, 'dual.yaml'))]) {
      for (const seed of [7, 8]) expect(fastEqualsSlow(f, seed, 'mixed').addrs.count).toBeGreaterThan(500);
    }
  });
});

describe('engine pcap-run lane (one loop over the record headers, for replay)', () => {
  it('forwards mutated captures of every link type exactly as processBatch and the decoder path do', () => {
    for (const seed of [4, 5, 6]) {
      const rand = prng(seed);
      const capture = Buffer.from(benchCaptureBuffer({ packets: 20_000, flows: 500, mixEvery: 3, seed }));
      // Flip the bytes the fast path tests in most frames (the framing stays: record headers are not touched).
      const reader = CaptureReader.fromBuffer(capture);
      const batch = new RecordBatch(256);
      while (reader.readSync(batch) > 0) {
        for (let i = 0; i < batch.count; i++) flipHotBytes(capture, batch.offset[i]!, batch.capLen[i]!, rand);
      }
      for (const linkType of [1, 101, 113, 228, 276]) {
        capture.writeUInt32LE(linkType, 20);
        const lane = new Engine(fabric);
        const run = new PcapRun();
        const r1 = CaptureReader.fromBuffer(capture);
        while (r1.readRunSync(run) > 0) lane.processPcapRun(run);
        for (const fastPath of [true, false]) {
          const ref = new Engine(fabric, { fastPath });
          const r2 = CaptureReader.fromBuffer(capture);
          const b = new RecordBatch(300);
          while (r2.readSync(b) > 0) ref.processBatch(b);
          expectSameEngine(lane, ref);
        }
        expect(lane.packets).toBe(20_000);
        if (linkType === 1) {
          expect(lane.skipped.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
          expect(lane.flows.size).toBeGreaterThan(500);
        }
      }
    }
  });
});

describe('engine pcap-run lane: every classic pcap layout', () => {
  it('big-endian, nanosecond and 24-byte-header ("modified") captures forward as the little-endian one', () => {
    // The same frames (client flows and every other shape) in each layout.
    const base = CaptureReader.fromBuffer(benchCaptureBuffer({ packets: 5000, flows: 300, mixEvery: 5, seed: 8 }));
    const batch = new RecordBatch(5000);
    base.readSync(batch);
    const recs: Rec[] = [];
    for (let i = 0; i < batch.count; i++) {
      const o = batch.offset[i]!;
      recs.push({ data: batch.buf.slice(o, o + batch.capLen[i]!), sec: 1_700_000_000 + i, frac: i, origLen: batch.origLen[i]! });
    }
    const forward = (data: Uint8Array): Engine => {
      const engine = new Engine(fabric);
      const reader = CaptureReader.fromBuffer(data);
      const run = new PcapRun();
      while (reader.readRunSync(run) > 0) engine.processPcapRun(run);
      return engine;
    };
    const ref = forward(pcapFile(recs));
    expect(ref.packets).toBe(5000);
    expect(ref.skipped.reduce((a, b) => a + b, 0)).toBeGreaterThan(400); // every 5th frame is of another shape
    for (const opts of [{ le: false }, { nanos: true }, { modified: true }, { le: false, modified: true }]) {
      expectSameEngine(forward(pcapFile(recs, opts)), ref);
    }
  });
});
