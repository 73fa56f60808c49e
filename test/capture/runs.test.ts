// Record runs (readRun / readRunSync, the replay lane's input): the same records and the same errors as read(), in
// every layout, chunk size and corruption, also when the reader hands its buffer away after every run.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.js';
import { CaptureReader, PcapRun, RecordBatch } from '../../src/capture/reader.js';
import { bytesOf, pcapFile, shb, idb, epb, type PcapOpts } from './build.js';
import { Engine } from '../../src/engine/engine.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { replayCapture } from '../../src/engine/replay.js';
import { replayParallel } from '../../src/engine/workers.js';
import { renderJson } from '../../src/report/index.js';
import { benchCaptureBuffer } from '../../bench/captures.js';
import { tempFiles } from '../helpers.js';

const tmpFile = tempFiles('ecmp-runs-').file;

/** What a reader hands out, record by record, and how it ended: the error's text, or 'end'. */
interface Outcome {
  records: string[];
  end: string;
}

/** How reading ended: 'end', or where the reader stopped (it keeps that error rather than throwing it). */
function stopEnd(r: CaptureReader): string {
  return r.stopped ? ending(r.stopped) : 'end';
}

function ending(e: unknown): string {
  if (e instanceof EmuError) return `${e.message} @ ${e.where}`;
  throw e;
}

function viaBatches(r: CaptureReader): Outcome {
  const batch = new RecordBatch(5);
  const records: string[] = [];
  try {
    while (r.readSync(batch) > 0) {
      for (let i = 0; i < batch.count; i++) {
        const o = batch.offset[i]!;
        records.push(`${batch.origLen[i]}:${Buffer.from(batch.buf.subarray(o, o + batch.capLen[i]!)).toString('hex')}`);
      }
    }
    return { records, end: stopEnd(r) };
  } catch (e) {
    return { records, end: ending(e) };
  }
}

/** Walks the record headers of each run as Engine.processPcapRun does. */
function collectRun(run: PcapRun, records: string[]): void {
  const view = new DataView(run.buf.buffer, run.buf.byteOffset, run.buf.byteLength);
  let n = 0;
  for (let p = run.start; p < run.end; n++) {
    const capLen = view.getUint32(p + 8, run.littleEndian);
    const origLen = view.getUint32(p + 12, run.littleEndian);
    const off = p + run.recordHeader;
    records.push(`${origLen}:${Buffer.from(run.buf.subarray(off, off + capLen)).toString('hex')}`);
    p = off + capLen;
  }
  expect(n).toBe(run.count);
}

function viaRunsSync(r: CaptureReader, replace: boolean): Outcome {
  const run = new PcapRun();
  const records: string[] = [];
  try {
    while (r.readRunSync(run) > 0) {
      collectRun(run, records);
      // The replay's handing a run to a worker: the reader must go on in a fresh buffer, the run's bytes untouched.
      if (replace) {
        const kept = Buffer.from(run.buf.subarray(run.start, run.end));
        r.replaceBuffer(new Uint8Array(new SharedArrayBuffer(r.bufferSize)));
        expect(Buffer.from(run.buf.subarray(run.start, run.end)).equals(kept)).toBe(true);
      }
    }
    return { records, end: stopEnd(r) };
  } catch (e) {
    return { records, end: ending(e) };
  }
}

async function viaRunsAsync(r: CaptureReader): Promise<Outcome> {
  const run = new PcapRun();
  const records: string[] = [];
  try {
    while ((await r.readRun(run)) > 0) collectRun(run, records);
    return { records, end: stopEnd(r) };
  } catch (e) {
    return { records, end: ending(e) };
  } finally {
    await r.close();
  }
}

const recs = Array.from({ length: 30 }, (_, i) => ({ data: bytesOf((i * 53) % 180, i), sec: 1000 + i, frac: i * 7, origLen: ((i * 53) % 180) + (i % 3) }));

describe('record runs', () => {
  const layouts: PcapOpts[] = [
    {}, { le: false }, { nanos: true }, { modified: true }, { le: false, modified: true },
    // libpcap's rules the run lane must follow too: records cut to a small snapshot length, lengths swapped
    { snaplen: 100 }, { snaplen: 1, le: false }, { version: [2, 2] }, { version: [2, 3], snaplen: 120 }, { version: [543, 0], modified: true },
  ];
  for (const opts of layouts) {
    it(`give read()'s records: ${JSON.stringify(opts)}, memory and files, chunk sizes down to one record`, async () => {
      const data = pcapFile(recs, opts);
      const ref = viaBatches(CaptureReader.fromBuffer(data));
      expect(ref.records).toHaveLength(30);
      expect(viaRunsSync(CaptureReader.fromBuffer(data), false)).toEqual(ref);
      const f = tmpFile(data);
      for (const chunkSize of [64, 200, 333, 4096]) {
        expect(viaRunsSync(await CaptureReader.open(f, { chunkSize }), false)).toEqual(ref);
        expect(viaRunsSync(await CaptureReader.open(f, { chunkSize }), true)).toEqual(ref);
        expect(await viaRunsAsync(await CaptureReader.open(f, { chunkSize }))).toEqual(ref);
      }
    });
  }

  it('corrupt and cut files: the same records first, then the same error, for any chunk size', async () => {
    // Snapshot length 150: some records (up to 179 bytes) are cut to it, so the rewritten runs meet corruption too.
    const base = pcapFile(recs, { snaplen: 150 });
    const endings = new Map<string, number>();
    let cutToSnapshot = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 0, maxLength: 4 }),
        fc.nat({ max: 40 }),
        fc.integer({ min: 64, max: 1200 }),
        fc.boolean(),
        async (flips, cutBy, chunkSize, replace) => {
          const data = Buffer.from(base);
          // Flip bytes of record headers and payloads alike (never the file header: that is another test's job).
          for (const [pos, v] of flips) data[24 + (pos % (data.length - 24))] = v;
          const cut = data.subarray(0, data.length - cutBy);
          const mem = CaptureReader.fromBuffer(cut);
          const ref = viaBatches(mem);
          if (mem.recordsCutToSnapshot > 0) cutToSnapshot++;
          const kind = ref.end.replace(/ \d+.*/, '');
          endings.set(kind, (endings.get(kind) ?? 0) + 1);
          expect(viaRunsSync(CaptureReader.fromBuffer(cut), false)).toEqual(ref);
          const f = tmpFile(cut);
          // A file of known size refuses a length past its end before reading on, as read() does.
          expect(viaRunsSync(await CaptureReader.open(f, { chunkSize }), replace)).toEqual(viaBatches(await CaptureReader.open(f, { chunkSize })));
          expect(await viaRunsAsync(await CaptureReader.open(f, { chunkSize, trustSize: false }))).toEqual(viaBatches(await CaptureReader.open(f, { chunkSize, trustSize: false })));
          fs.rmSync(f);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
    // The cases the property must have met (from memory, where the size is known): clean ends, lengths above the
    // link type's maximum, records running past the end of the data, and (below) records cut to the snapshot length.
    expect(cutToSnapshot).toBeGreaterThan(10);
    expect(endings.get('end')).toBeGreaterThan(10);
    expect(endings.get('corrupt capture: invalid packet capture length')).toBeGreaterThan(10);
    expect(endings.get('record of')).toBeGreaterThan(100);
  });

  it('the engine forwards the same from runs as from batches: records cut to the snapshot, swapped lengths', () => {
    const trace = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../../traces/scapy-ether.pcap'));
    const frames = [];
    for (let p = 24; p + 16 <= trace.length; ) {
      const capLen = trace.readUInt32LE(p + 8);
      frames.push({ data: trace.subarray(p + 16, p + 16 + capLen), sec: 1, frac: 0, origLen: trace.readUInt32LE(p + 12) });
      p += 16 + capLen;
    }
    const fabric = converge(loadTopology());
    const summary = (e: Engine): unknown => ({
      packets: e.packets,
      bytes: e.bytes,
      skipped: e.skippedByReason(),
      flows: Array.from({ length: e.flows.size }, (_, f) => [e.flows.srcOf(f), e.flows.dstOf(f), e.flows.portsOf(f), e.flows.packetsOf(f), e.flows.bytesOf(f)]),
    });
    // Snapshot lengths 38 (after the ports of a plain UDP frame) and 34 (inside them: truncated), and version 2.2.
    for (const opts of [{ snaplen: 38 }, { snaplen: 34 }, { version: [2, 2] }, { version: [2, 3], snaplen: 40 }] as PcapOpts[]) {
      const data = pcapFile(frames, opts);
      const viaBatch = new Engine(fabric);
      const r1 = CaptureReader.fromBuffer(data);
      const batch = new RecordBatch(7);
      while (r1.readSync(batch) > 0) viaBatch.processBatch(batch);
      const viaRuns = new Engine(fabric);
      const r2 = CaptureReader.fromBuffer(data);
      const run = new PcapRun();
      while (r2.readRunSync(run) > 0) viaRuns.processPcapRun(run);
      expect(summary(viaRuns), JSON.stringify(opts)).toEqual(summary(viaBatch));
      expect(viaRuns.packets).toBe(frames.length);
      if (opts.snaplen === 34) expect(viaRuns.skippedByReason().truncated).toBeGreaterThan(5);
    }
  });

  it('with worker threads too: rewritten runs stay on the main thread, in their place in the stream', async () => {
    // The bench's mixed capture, snapshot length its longest record, with one in 50 of its commonest records padded
    // past that by 20 bytes: cut back to it, as libpcap does, it is the record it was plus bytes past its IPv4 total
    // length, so the report must be the original capture's.
    const src = Buffer.from(benchCaptureBuffer({ packets: 30_000, flows: 2000, mixEvery: 7, seed: 14 }));
    const sizes = new Map<number, number>();
    for (let p = 24; p + 16 <= src.length; p += 16 + src.readUInt32LE(p + 8)) sizes.set(src.readUInt32LE(p + 8), (sizes.get(src.readUInt32LE(p + 8)) ?? 0) + 1);
    const max = Math.max(...sizes.keys());
    const common = [...sizes].sort((a, b) => b[1] - a[1])[0]![0];
    const parts: Buffer[] = [Buffer.from(src.subarray(0, 24))];
    parts[0]!.writeUInt32LE(max, 16);
    let padded = 0;
    for (let p = 24, i = 0; p + 16 <= src.length; i++) {
      const capLen = src.readUInt32LE(p + 8);
      const rec = Buffer.from(src.subarray(p, p + 16 + capLen));
      if (capLen === common && i % 50 === 0) {
        rec.writeUInt32LE(max + 20, 8);
        parts.push(rec, Buffer.alloc(max + 20 - capLen, 0xee));
        padded++;
      } else parts.push(rec);
      p += 16 + capLen;
    }
    expect(padded).toBeGreaterThan(30);
    const original = tmpFile(src);
    const cut = tmpFile(Buffer.concat(parts));
    const fabric = converge(loadTopology());
    const want = renderJson((await replayCapture(original, fabric)).report);
    expect(renderJson((await replayCapture(cut, fabric)).report)).toBe(want);
    const r = await replayParallel(cut, fabric, { workers: 2, readBufferBytes: 32 << 10, awaitWorkers: true });
    expect(r.unitsByEngine[1], 'the worker took runs').toBeGreaterThan(0);
    expect(renderJson(r.report)).toBe(want);
  });

  it('are for classic pcap only; pcapng says so', () => {
    const ng = Buffer.concat([shb(true), idb(true, 1), epb(true, 0, 5n, bytesOf(60, 1))]);
    expect(() => CaptureReader.fromBuffer(ng).readRunSync(new PcapRun())).toThrow(/classic pcap, not pcapng/);
  });

  it('replaceBuffer refuses a smaller buffer', () => {
    const r = CaptureReader.fromBuffer(pcapFile(recs));
    expect(() => r.replaceBuffer(new Uint8Array(10))).toThrow(RangeError);
  });
});
