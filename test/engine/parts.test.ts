// Replay by parts (src/engine/parts.ts): each engine reads the parts of a classic pcap it claims with its own reader;
// the report and flows CSV are one engine's exactly, byte for byte, in every layout; a cut that does not hold, or a
// capture that stops before its last part, is replayed on one engine; Ctrl-C stops every engine. Workers run the
// built dist/ (npm test builds).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DUAL_STACK_YAML, benchCaptureBuffer } from '../../bench/captures.js';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { writeFlowsCsv } from '../../src/analysis/flows-csv.js';
import { replayCapture } from '../../src/engine/replay.js';
import { replayParallel, type ParallelReplayOptions } from '../../src/engine/workers.js';
import { renderJson } from '../../src/report/index.js';
import { pcapFile, pcapRecord, type PcapOpts, type Rec } from '../capture/build.js';
import { tempFiles } from '../helpers.js';

const temp = tempFiles('ecmp-emu-parts-');
const file = temp.file;

function flowsCsv(engine: Parameters<typeof writeFlowsCsv>[0]): string {
  const f = temp.next('.csv');
  writeFlowsCsv(engine, f);
  return readFileSync(f, 'utf8');
}

/** A capture's records, to write again in another layout. */
function recordsOf(data: Uint8Array): Rec[] {
  const r = CaptureReader.fromBuffer(data);
  const batch = new RecordBatch(512);
  const out: Rec[] = [];
  while (r.readSync(batch) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const o = batch.offset[i]!;
      out.push({ data: batch.buf.slice(o, o + batch.capLen[i]!), sec: batch.tsSec[i]!, frac: Math.floor(batch.tsNsec[i]! / 1000), origLen: batch.origLen[i]! });
    }
  }
  return out;
}

/** Where record i starts in a classic little-endian pcap with 16-byte record headers. */
function recordStart(data: Uint8Array, i: number): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 24;
  for (let k = 0; k < i; k++) p += 16 + view.getUint32(p + 8, true);
  return p;
}

/** Small parts, every worker up before the first is claimed: many parts on every engine. */
const SMALL: ParallelReplayOptions = { partBytes: 64 << 10, readBufferBytes: 64 << 10, awaitWorkers: true };

// Client frames over 3000 flows, one in 7 something else (underlay VXLAN, unknown VNI, ARP, cut short, no route).
const MIXED = benchCaptureBuffer({ packets: 60_000, flows: 3000, mixEvery: 7, seed: 7 });

describe('replay by parts equals one engine', () => {
  const fabric = converge(loadTopology());

  it('2 and 3 engines, many parts each: the JSON and flows CSV of one engine, and every part forwarded once', async () => {
    const path = file(MIXED);
    const single = await replayCapture(path, fabric);
    const json = renderJson(single.report);
    const csv = flowsCsv(single.engine);
    for (const workers of [2, 3]) {
      const r = await replayParallel(path, fabric, { workers, ...SMALL });
      // 5.5 MB in 64 KiB parts; a merge by engine instead of by part in stream order fails the CSV check.
      expect(r.unitsByEngine.reduce((a, b) => a + b, 0)).toBeGreaterThan(60);
      for (let w = 0; w < workers; w++) expect(r.unitsByEngine[w], `engine ${w} forwarded parts`).toBeGreaterThan(0);
      expect(r.packetsByEngine.reduce((a, b) => a + b, 0)).toBe(60_000);
      expect(renderJson(r.report)).toBe(json);
      expect(flowsCsv(r.engine)).toBe(csv);
    }
  });

  it('every layout a classic pcap comes in: byte orders, nanoseconds, the modified format, records cut to the snapshot length', async () => {
    const recs = recordsOf(benchCaptureBuffer({ packets: 20_000, flows: 2000, mixEvery: 5, seed: 3 }));
    const layouts: PcapOpts[] = [{ le: false }, { nanos: true }, { modified: true }, { le: false, modified: true }, { snaplen: 60 }];
    for (const opts of layouts) {
      const path = file(pcapFile(opts.nanos ? recs.map((r) => ({ ...r, frac: r.frac * 1000 + 7 })) : recs, opts));
      const single = await replayCapture(path, fabric);
      expect(single.report.packets).toBe(20_000);
      const r = await replayParallel(path, fabric, { workers: 2, ...SMALL, partBytes: 32 << 10 });
      expect(r.unitsByEngine[1], JSON.stringify(opts)).toBeGreaterThan(0);
      expect(renderJson(r.report), JSON.stringify(opts)).toBe(renderJson(single.report));
      expect(flowsCsv(r.engine)).toBe(flowsCsv(single.engine));
    }
  });

  it('IPv6 and mixed captures on a dual-stack fabric', async () => {
    const dual = converge(parseTopology(DUAL_STACK_YAML, 'dual.yaml'));
    for (const ipv6 of ['all', 'mixed'] as const) {
      const path = file(benchCaptureBuffer({ packets: 30_000, flows: 3000, mixEvery: 7, seed: 9, ipv6 }));
      const single = await replayCapture(path, dual);
      const r = await replayParallel(path, dual, { workers: 3, ...SMALL });
      expect(r.unitsByEngine[2]).toBeGreaterThan(0);
      expect(renderJson(r.report)).toBe(renderJson(single.report));
      expect(flowsCsv(r.engine)).toBe(flowsCsv(single.engine));
    }
  });

  it('a capture cut short in its last record: parts still, and the same warning as one engine', async () => {
    const path = file(MIXED.subarray(0, MIXED.length - 30));
    const single = await replayCapture(path, fabric);
    expect(single.stopped?.reason).toBe('cut-short');
    const r = await replayParallel(path, fabric, { workers: 2, ...SMALL });
    expect(r.unitsByEngine).toHaveLength(2);
    expect(r.unitsByEngine[1]).toBeGreaterThan(0);
    expect(r.stopped?.message).toBe(single.stopped!.message);
    expect(renderJson(r.report)).toBe(renderJson(single.report));
  });

  it('a corrupt record before the last part: replayed on one engine, which stops there as libpcap does', async () => {
    const bad = Buffer.from(MIXED);
    bad.writeUInt32LE(0x7fffffff, recordStart(MIXED, 20_000) + 8); // record 20000's captured length
    const path = file(bad);
    const single = await replayCapture(path, fabric);
    expect(single.report.packets).toBe(20_000);
    expect(single.stopped?.reason).toBe('record-too-long');
    const r = await replayParallel(path, fabric, { workers: 2, ...SMALL });
    expect(r.unitsByEngine).toHaveLength(1); // done again on one engine
    expect(r.stopped?.message).toBe(single.stopped!.message);
    expect(renderJson(r.report)).toBe(renderJson(single.report));
  });

  it('a cut faked by record headers inside a payload: found out, and replayed on one engine', async () => {
    // One 1400-byte frame carries 20 record headers of 40-byte records (a capture of a pcap being copied, say), and
    // the first nominal cut lands just before them.
    const recs = recordsOf(MIXED).slice(0, 5000);
    const fake = Buffer.concat(Array.from({ length: 20 }, (_, i) => pcapRecord({ data: new Uint8Array(40).fill(0xee), sec: 1_700_000_000, frac: i })));
    const carrier: Rec = { data: Uint8Array.from(Buffer.concat([Buffer.alloc(8, 0xff), fake, Buffer.alloc(1400 - 8 - fake.length, 0xff)])), sec: 1_700_000_000, frac: 5 };
    const data = pcapFile([...recs.slice(0, 100), carrier, ...recs.slice(100)]);
    const at = recordStart(data, 100);
    const path = file(data);
    const reader = await CaptureReader.open(path);
    const cuts = reader.splitPoints(at + 16 + 4 - 24)!;
    await reader.close();
    expect(cuts[1]).toBe(at + 16 + 8); // the fake chain
    const single = await replayCapture(path, fabric);
    const r = await replayParallel(path, fabric, { workers: 2, ...SMALL, partBytes: at + 16 + 4 - 24 });
    expect(r.unitsByEngine).toHaveLength(1);
    expect(r.stopped).toBeUndefined();
    expect(renderJson(r.report)).toBe(renderJson(single.report));
    expect(r.report.packets).toBe(5001);
  });

  it('Ctrl-C: every engine stops after the run it is forwarding, and the report covers what they forwarded', async () => {
    // 1.2M frames, stopped at 100k: the worker could only forward the rest first if this thread stalled for a
    // second or so between the abort and its next run.
    const path = file(benchCaptureBuffer({ packets: 1_200_000, flows: 5000, seed: 5 }));
    const ac = new AbortController();
    let seen = 0;
    const r = await replayParallel(path, fabric, {
      workers: 2,
      ...SMALL,
      partBytes: 256 << 10,
      signal: ac.signal,
      onProgress: (p) => {
        seen = p.packets;
        if (p.packets >= 100_000) ac.abort();
      },
    });
    expect(r.interrupted).toBe(true);
    expect(seen).toBeGreaterThanOrEqual(100_000);
    expect(r.report.packets).toBeGreaterThanOrEqual(100_000);
    expect(r.report.packets).toBeLessThan(1_200_000);
    expect(r.report.packets).toBe(r.packetsByEngine.reduce((a, b) => a + b, 0));
    expect(r.report.bytes).toBe(r.report.packets * 76);
  });
});
