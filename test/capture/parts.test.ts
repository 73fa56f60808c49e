// A classic pcap cut into parts (CaptureReader.splitPoints, openPart: replay by parts, src/engine/parts.ts): every cut
// is a record's start, the parts read back to back hand out the whole reader's records and end as it ends, and a
// cut that a record chain inside a payload fakes is found out by the walk from the part before. Where records start
// is this file's walker's to say, and tshark's (frame.file_off) judges the walker in every layout.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureReader, PcapRun } from '../../src/capture/reader.js';
import { pcapFile, pcapRecord, type PcapOpts, type Rec } from './build.js';
import { haveTool, tempFiles } from '../helpers.js';

const tmpFile = tempFiles('ecmp-parts-').file;

/** 300 records of 1 to 199 bytes, timestamps a few ms apart: what a capture tool writes, in miniature. */
const recs: Rec[] = Array.from({ length: 300 }, (_, i) => {
  const len = 1 + ((i * 53) % 199);
  return { data: Uint8Array.from({ length: len }, (_, j) => (i * 31 + j * 7) & 0xff), sec: 1_700_000_000 + (i >> 6), frac: (i * 3907) % 1_000_000, origLen: len + (i % 3) };
});

/** Every record a reader hands out (runs, as the replay reads them), and how reading ended. */
function readAll(r: CaptureReader): { records: string[]; end: string } {
  const run = new PcapRun();
  const records: string[] = [];
  while (r.readRunSync(run) > 0) {
    const view = new DataView(run.buf.buffer, run.buf.byteOffset, run.buf.byteLength);
    for (let p = run.start; p < run.end; ) {
      const capLen = view.getUint32(p + 8, run.littleEndian);
      const off = p + run.recordHeader;
      records.push(`${view.getUint32(p + 12, run.littleEndian)}:${Buffer.from(run.buf.subarray(off, off + capLen)).toString('hex')}`);
      p = off + capLen;
    }
  }
  return { records, end: r.stopped ? `${r.stopped.message}` : 'end' };
}

/** The file position of every record's start, walking the headers (16 or 24 bytes, either byte order). */
function recordStarts(data: Uint8Array, o: PcapOpts): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const hdr = o.modified ? 24 : 16;
  const out: number[] = [];
  for (let p = 24; p + hdr <= data.length; p += hdr + view.getUint32(p + 8, o.le ?? true)) out.push(p);
  return out;
}

/** Reads the file part by part at `cuts`, each part with its own reader, as the engines do. */
function readParts(file: string, cuts: number[]): { records: string[]; end: string; ends: number[]; stops: string[] } {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const records: string[] = [];
    const ends: number[] = [];
    const stops: string[] = [];
    let end = 'end';
    for (let k = 0; k + 1 < cuts.length; k++) {
      const r = CaptureReader.openPart(fd, file, cuts[k]!, cuts[k + 1]!, buffer);
      const got = readAll(r);
      records.push(...got.records);
      ends.push(r.bytesRead);
      stops.push(got.end);
      end = got.end;
    }
    return { records, end, ends, stops };
  } finally {
    fs.closeSync(fd);
  }
}

/** tshark's file offset of every record (frame.file_off, shown with frame.show_file_off). */
function tsharkStarts(file: string): number[] {
  return execFileSync('tshark', ['-n', '-o', 'frame.show_file_off:TRUE', '-r', file, '-T', 'fields', '-e', 'frame.file_off'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

describe('a capture cut into parts', () => {
  const layouts: PcapOpts[] = [{}, { le: false }, { nanos: true }, { modified: true }, { le: false, modified: true }, { snaplen: 120 }];
  it.runIf(haveTool('tshark', ['-v']))("the record starts the cuts are judged by are tshark's, in every layout", () => {
    for (const opts of layouts) {
      const data = pcapFile(recs, opts);
      const starts = tsharkStarts(tmpFile(data));
      expect(starts, JSON.stringify(opts)).toHaveLength(300);
      expect(recordStarts(data, opts), JSON.stringify(opts)).toEqual(starts);
    }
  });
  for (const opts of layouts) {
    it(`cuts only where a record starts, and the parts read back to back are the whole file: ${JSON.stringify(opts)}`, async () => {
      const data = pcapFile(recs, opts);
      const file = tmpFile(data);
      const whole = readAll(await CaptureReader.open(file));
      expect(whole.records).toHaveLength(300);
      const starts = new Set(recordStarts(data, opts));
      for (const partBytes of [100, 777, 5000]) {
        const reader = await CaptureReader.open(file);
        const cuts = reader.splitPoints(partBytes)!;
        await reader.close();
        expect(cuts[0]).toBe(24);
        expect(cuts.at(-1)).toBe(data.length);
        // a cut every partBytes or so
        expect(cuts.length).toBeGreaterThan(Math.floor(data.length / (partBytes + 16 * 200)));
        for (let k = 1; k < cuts.length - 1; k++) {
          expect(starts.has(cuts[k]!), `cut ${cuts[k]} is a record's start`).toBe(true);
          expect(cuts[k]! - cuts[k - 1]!).toBeGreaterThanOrEqual(k === 1 ? partBytes - 24 : partBytes);
        }
        const parts = readParts(file, cuts);
        expect(parts.records).toEqual(whole.records);
        expect(parts.end).toBe(whole.end);
        expect(parts.ends).toEqual(cuts.slice(1));
        expect(parts.stops.slice(0, -1).every((e) => e === 'end')).toBe(true);
      }
    });
  }

  it('cuts a capture of jumbo frames (a chain longer than the first window)', async () => {
    const jumbo = Array.from({ length: 80 }, (_, i) => ({ data: new Uint8Array(9000).fill(i), sec: 1_700_000_000, frac: i }));
    const file = tmpFile(pcapFile(jumbo, { snaplen: 262144 }));
    const reader = await CaptureReader.open(file);
    const cuts = reader.splitPoints(100_000)!;
    await reader.close();
    expect(cuts.length).toBeGreaterThan(3);
    for (const c of cuts.slice(1, -1)) expect((c - 24) % 9016).toBe(0);
    expect(readParts(file, cuts).records).toHaveLength(80);
  });

  it('cannot cut pcapng, swapped lengths or memory', async () => {
    const swapped = tmpFile(pcapFile(recs, { version: [2, 2] }));
    const r = await CaptureReader.open(swapped);
    expect(r.splitPoints(100)).toBeUndefined();
    await r.close();
    expect(CaptureReader.fromBuffer(pcapFile(recs)).splitPoints(100)).toBeUndefined();
  });

  it('a file cut short: the last part stops where the whole reader stops, with the same error', async () => {
    const data = pcapFile(recs);
    const file = tmpFile(data.subarray(0, data.length - 10));
    const whole = readAll(await CaptureReader.open(file));
    expect(whole.end).toContain('runs past the end of the file');
    const reader = await CaptureReader.open(file);
    const cuts = reader.splitPoints(1000)!;
    await reader.close();
    const parts = readParts(file, cuts);
    expect(parts.records).toEqual(whole.records);
    expect(parts.end).toBe(whole.end);
  });

  it('a record chain inside a payload fakes a cut; the part before it does not end there', async () => {
    // A 1400-byte frame whose payload is 20 record headers of 40-byte records, and enough records before it for the
    // nominal cut to land just before the fake chain.
    const fake = Buffer.concat(Array.from({ length: 20 }, (_, i) => pcapRecord({ data: new Uint8Array(40).fill(0xee), sec: 1_700_000_000, frac: i })));
    const carrier = { data: Uint8Array.from(Buffer.concat([Buffer.alloc(8, 0xff), fake, Buffer.alloc(1400 - 8 - fake.length, 0xff)])), sec: 1_700_000_000, frac: 5 };
    const before = recs.slice(0, 10);
    const data = pcapFile([...before, carrier, ...recs.slice(10)]);
    const carrierAt = 24 + before.reduce((n, r) => n + 16 + r.data.length, 0);
    const file = tmpFile(data);
    const reader = await CaptureReader.open(file);
    const cuts = reader.splitPoints(carrierAt + 16 + 4 - 24)!;
    await reader.close();
    const fakeAt = carrierAt + 16 + 8;
    expect(cuts[1]).toBe(fakeAt);
    const parts = readParts(file, cuts);
    // Part 0's last record runs over the fake cut: cut short there, so its caller does not trust part 1's start.
    expect(parts.stops[0]).toContain(`capture ends inside a record (${fakeAt - carrierAt} of 1416 bytes present) (${file}: byte ${carrierAt})`);
    expect(parts.records.slice(0, 10)).toEqual(readAll(CaptureReader.fromBuffer(data)).records.slice(0, 10));
  });

  it('openPart positions errors in the file and refuses pcapng', async () => {
    const data = pcapFile(recs);
    const bad = Buffer.from(data);
    const at = recordStarts(data, {})[200]!;
    bad.writeUInt32LE(0x7fffffff, at + 8); // a captured length no link type allows
    const file = tmpFile(bad);
    const whole = readAll(await CaptureReader.open(file));
    expect(whole.end).toContain(`byte ${at}`);
    const fd = fs.openSync(file, 'r');
    try {
      const part = CaptureReader.openPart(fd, file, recordStarts(data, {})[150]!, bad.length, Buffer.alloc(4096));
      expect(readAll(part).end).toBe(whole.end);
    } finally {
      fs.closeSync(fd);
    }
    const ng = tmpFile(Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'));
    const fd2 = fs.openSync(ng, 'r');
    try {
      expect(() => CaptureReader.openPart(fd2, ng, 28, 28, Buffer.alloc(4096))).toThrow(/classic pcap/);
    } finally {
      fs.closeSync(fd2);
    }
  });
});
