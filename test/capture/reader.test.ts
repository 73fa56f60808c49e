// The streaming reader: classic pcap and pcapng in every layout, chunk boundaries, corrupt and bad input.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.js';
import { CaptureReader, MAX_CAPLEN, RecordBatch } from '../../src/capture/reader.js';
import { block, bytesOf, epb, idb, opb, option, pcapFile, pcapHeader, shb, spb, type Rec } from './build.js';
import { tempFiles } from '../helpers.js';

const temp = tempFiles('ecmp-reader-');
const tmp = temp.dir;
const tmpFile = (data: Uint8Array): string => temp.file(data, '.cap');

interface Got {
  hex: string;
  capLen: number;
  origLen: number;
  linkType: number;
  sec: number;
  nsec: number;
}

function collect(batch: RecordBatch, out: Got[]): void {
  for (let i = 0; i < batch.count; i++) {
    const o = batch.offset[i]!;
    out.push({
      hex: Buffer.from(batch.buf.subarray(o, o + batch.capLen[i]!)).toString('hex'),
      capLen: batch.capLen[i]!,
      origLen: batch.origLen[i]!,
      linkType: batch.linkType[i]!,
      sec: batch.tsSec[i]!,
      nsec: batch.tsNsec[i]!,
    });
  }
}

/** Every record; where reading stopped early (the reader keeps that as `stopped`), that error is thrown. */
async function readAll(r: CaptureReader, capacity = 256): Promise<Got[]> {
  const batch = new RecordBatch(capacity);
  const out: Got[] = [];
  while ((await r.read(batch)) > 0) collect(batch, out);
  await r.close();
  if (r.stopped) throw r.stopped;
  return out;
}

function readAllSync(r: CaptureReader, capacity = 256): Got[] {
  const batch = new RecordBatch(capacity);
  const out: Got[] = [];
  while (r.readSync(batch) > 0) collect(batch, out);
  if (r.stopped) throw r.stopped;
  return out;
}

/** One read; the error it stopped at when it hands out nothing for that reason. */
async function readOrStop(r: CaptureReader, batch: RecordBatch): Promise<number> {
  const n = await r.read(batch);
  if (n === 0 && r.stopped) throw r.stopped;
  return n;
}

/** Every way of reading the same bytes gives the same records: memory, file (async and sync), small chunks. */
async function readEveryWay(data: Uint8Array): Promise<Got[]> {
  const ref = readAllSync(CaptureReader.fromBuffer(data));
  expect(await readAll(CaptureReader.fromBuffer(data), 1)).toEqual(ref);
  const f = tmpFile(data);
  expect(await readAll(await CaptureReader.open(f))).toEqual(ref);
  for (const chunkSize of [64, 97, 1000]) {
    expect(await readAll(await CaptureReader.open(f, { chunkSize }), 3), `chunk ${chunkSize}`).toEqual(ref);
    const r = await CaptureReader.open(f, { chunkSize });
    expect(readAllSync(r, 5), `sync chunk ${chunkSize}`).toEqual(ref);
    await r.close();
  }
  return ref;
}

const recs: Rec[] = [
  { data: bytesOf(60, 1), sec: 1700000000, frac: 123456 },
  { data: bytesOf(1, 2), sec: 1700000001, frac: 0 },
  { data: bytesOf(0, 3), sec: 1700000002, frac: 999999 },
  { data: bytesOf(300, 4), sec: 1700000003, frac: 5, origLen: 1500 },
  { data: bytesOf(77, 5), sec: 0xffffffff, frac: 1 },
];
const expected = (nanos: boolean, linkType = 1): Got[] =>
  recs.map((r) => ({
    hex: Buffer.from(r.data).toString('hex'),
    capLen: r.data.length,
    origLen: r.origLen ?? r.data.length,
    linkType,
    sec: r.sec,
    nsec: nanos ? r.frac : r.frac * 1000,
  }));

async function expectEmuError(p: Promise<unknown> | (() => unknown), re: RegExp): Promise<EmuError> {
  let err: unknown;
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(EmuError);
  expect(String((err as Error).message)).toMatch(re);
  return err as EmuError;
}

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nanos of [false, true]) {
      it(`${le ? 'little' : 'big'}-endian, ${nanos ? 'nano' : 'micro'}seconds`, async () => {
        const data = pcapFile(recs, { le, nanos, linkType: 113 });
        const r = CaptureReader.fromBuffer(data, 'x.pcap');
        expect(r.format).toBe('pcap');
        expect(r.linkType).toBe(113);
        expect(await readEveryWay(data)).toEqual(expected(nanos, 113));
      });
    }
  }

  it('the modified (Kuznetzov) format with 24-byte record headers', async () => {
    expect(await readEveryWay(pcapFile(recs, { modified: true }))).toEqual(expected(false));
  });

  it('link type from the low 16 bits (FCS bits above are ignored)', () => {
    const data = pcapFile(recs.slice(0, 1), { linkType: 0x10000001 | (1 << 26) });
    expect(readAllSync(CaptureReader.fromBuffer(data))[0]!.linkType).toBe(1);
  });

  it('carries an out-of-range fraction into the seconds', () => {
    const data = pcapFile([{ data: bytesOf(4), sec: 10, frac: 2_500_000 }]);
    expect(readAllSync(CaptureReader.fromBuffer(data))[0]).toMatchObject({ sec: 12, nsec: 500_000_000 });
  });

  it('a header-only file has no records; progress counts bytes', async () => {
    const r = CaptureReader.fromBuffer(pcapHeader());
    expect(await readAll(r)).toEqual([]);
    const data = pcapFile(recs);
    const r2 = CaptureReader.fromBuffer(data);
    expect(r2.size).toBe(data.length);
    readAllSync(r2);
    expect(r2.bytesRead).toBe(data.length);
  });

  it('the largest legal record (262144 bytes) across chunk boundaries', async () => {
    const big = bytesOf(MAX_CAPLEN, 9);
    const data = pcapFile([{ data: bytesOf(10), sec: 1, frac: 1 }, { data: big, sec: 2, frac: 2 }, { data: bytesOf(10), sec: 3, frac: 3 }], { snaplen: MAX_CAPLEN });
    const got = await readAll(await CaptureReader.open(tmpFile(data), { chunkSize: 100_000 }));
    expect(got.map((g) => g.capLen)).toEqual([10, MAX_CAPLEN, 10]);
    expect(got[1]!.hex).toBe(Buffer.from(big).toString('hex'));
  });
});

describe('classic pcap: corrupt records', () => {
  it('a captured length above the snapshot length is cut to it, as libpcap does, and reading goes on', async () => {
    const long = bytesOf(101, 4);
    const data = pcapFile([...recs.slice(0, 2), { data: long, sec: 1, frac: 1 }, recs[0]!], { snaplen: 100 });
    const r = CaptureReader.fromBuffer(data, 'long.pcap');
    const got = await readAll(r);
    expect(got.map((g) => g.capLen)).toEqual([60, 1, 100, 60]);
    expect(got[2]!.hex).toBe(Buffer.from(long.subarray(0, 100)).toString('hex'));
    expect(got[2]!.origLen).toBe(101);
    expect(got[3]!.hex).toBe(Buffer.from(recs[0]!.data).toString('hex'));
    expect(r.recordsCutToSnapshot).toBe(1);
    expect(r.skipped).toEqual({});
  });

  it('a captured length above 256 KiB (the link type maximum) stops reading there, with libpcap words', async () => {
    const data = Buffer.concat([pcapHeader({ snaplen: 0 }), pcapFile([recs[0]!]).subarray(24), Buffer.from('00000000000000000100040000000400', 'hex')]);
    const r = CaptureReader.fromBuffer(data, 'z.pcap');
    const batch = new RecordBatch();
    expect(await r.read(batch)).toBe(1);
    await expectEmuError(readOrStop(r, batch), /invalid packet capture length 262145, bigger than snaplen of 262144.*z\.pcap: byte 100/);
    expect(r.skipped).toEqual({ 'record-too-long': 1 });
    expect(await r.read(batch)).toBe(0);
  });

  it('a record cut by the end of the file, from memory and from a file', async () => {
    const full = pcapFile(recs);
    const cut = full.subarray(0, full.length - 10);
    const last = full.length - (16 + 77);
    await expectEmuError(readAll(CaptureReader.fromBuffer(cut, 'cut.pcap')), new RegExp(`record of 93 bytes runs past the end.*cut\\.pcap: byte ${last}`));
    const f = tmpFile(cut);
    await expectEmuError(readAll(await CaptureReader.open(f)), new RegExp(`runs past the end.*byte ${last}`));
    await expectEmuError(readAll(await CaptureReader.open(f, { chunkSize: 64 })), new RegExp(`byte ${last}`));
    // standard input redirected from a file: the size is not trusted, the end says it
    await expectEmuError(readAll(await CaptureReader.open(f, { chunkSize: 64, trustSize: false })), new RegExp(`ends inside a record \\(83 of 93 bytes present\\).*byte ${last}`));
    // cut inside a record header
    await expectEmuError(readAll(CaptureReader.fromBuffer(full.subarray(0, 24 + 8), 'h.pcap')), /ends inside a record \(8 of 16 bytes present\).*h\.pcap: byte 24/);
  });

  it('the records before the corrupt one are all delivered first', async () => {
    const full = pcapFile(recs);
    const r = CaptureReader.fromBuffer(full.subarray(0, full.length - 10));
    const batch = new RecordBatch();
    expect(await r.read(batch)).toBe(recs.length - 1);
    await expectEmuError(readOrStop(r, batch), /runs past the end/);
  });

  it('a pcap version other than 2 is refused', () => {
    const data = pcapHeader();
    data.writeUInt16LE(3, 4);
    expect(() => CaptureReader.fromBuffer(data, 'v.pcap')).toThrow(/version 3.*v\.pcap: byte 4/);
  });
});

describe('what the reader counts', () => {
  it('records per link type (the full 26-bit value of a classic pcap), per interface in pcapng, across sections', async () => {
    const pcap = CaptureReader.fromBuffer(pcapFile(recs, { linkType: 147 | 0x04000000 }));
    await readAll(pcap);
    expect([...pcap.recordsByLinkType]).toEqual([[147, recs.length]]);
    const wide = CaptureReader.fromBuffer(pcapFile(recs.slice(0, 2), { linkType: 0x10001 }));
    expect((await readAll(wide)).map((g) => g.linkType)).toEqual([0xffff, 0xffff]); // no link type we decode
    expect([...wide.recordsByLinkType]).toEqual([[0x10001, 2]]);
    const frame = bytesOf(60, 1);
    const ng = CaptureReader.fromBuffer(
      Buffer.concat([shb(true), idb(true, 1), idb(true, 0), epb(true, 0, 1n, frame), epb(true, 1, 2n, frame), epb(true, 1, 3n, frame), shb(false), idb(false, 1), epb(false, 0, 4n, frame)]),
    );
    await readAll(ng);
    expect(new Map(ng.recordsByLinkType)).toEqual(new Map([[1, 2], [0, 2]]));
  });

  it('pcapng packets it steps over, by reason: no interface, a length past the block, above the link type maximum', async () => {
    const frame = bytesOf(60, 1);
    const tooLong = epb(true, 0, 1n, frame);
    tooLong.writeUInt32LE(300000, 20); // caplen above the block: corrupt
    const r = CaptureReader.fromBuffer(Buffer.concat([shb(true), epb(true, 0, 1n, frame), idb(true, 1), epb(true, 2, 1n, frame), tooLong, epb(true, 0, 2n, frame)]));
    expect(await readAll(r)).toHaveLength(1);
    expect(r.skipped).toEqual({ 'no-interface': 2, 'corrupt-block': 1 });
    expect(r.corrupt).toBe(3);
    expect(r.stopped).toBeUndefined();
  });

  it('a pcapng first section of version 1.1 is refused as libpcap refuses it; 1.2 is read', async () => {
    const v = (minor: number): Buffer => {
      const d = Buffer.concat([shb(true), idb(true, 1), epb(true, 0, 1n, bytesOf(60, 1))]);
      d.writeUInt16LE(minor, 14);
      return d;
    };
    expect(await readAll(CaptureReader.fromBuffer(v(2)))).toHaveLength(1);
    await expectEmuError(readAll(CaptureReader.fromBuffer(v(1), 'v11')), /unsupported pcapng savefile version 1\.1.*v11: byte 12/);
  });
});

describe('bad input files', () => {
  it('missing file, directory, empty file, wrong magic, gzip, too short: EmuError naming the file', async () => {
    const missing = path.join(tmp, 'nope.pcap');
    const e1 = await expectEmuError(CaptureReader.open(missing), /no such file/);
    expect(e1.where).toBe(missing);
    expect(e1.exitCode).toBe(1);
    expect((await expectEmuError(CaptureReader.open(tmp), /is a directory/)).where).toBe(tmp);
    const empty = tmpFile(new Uint8Array(0));
    expect((await expectEmuError(CaptureReader.open(empty), /empty capture file/)).where).toBe(empty);
    const text = tmpFile(Buffer.from('hello, this is not a capture file at all\n'));
    expect((await expectEmuError(CaptureReader.open(text), /not a pcap or pcapng file \(magic 0x6c6c6568\)/)).where).toBe(`${text}: byte 0`);
    const gz = tmpFile(Buffer.from('1f8b0800000000000003', 'hex'));
    await expectEmuError(CaptureReader.open(gz), /gzip/);
    const tiny = tmpFile(Buffer.from('d4c3', 'hex'));
    await expectEmuError(CaptureReader.open(tiny), /shorter than any header/);
    const shortHeader = tmpFile(pcapHeader().subarray(0, 20));
    await expectEmuError(CaptureReader.open(shortHeader), /file header cut short/);
  });
});

// ---- pcapng ----

const frameA = bytesOf(60, 11);
const frameB = bytesOf(33, 12);
const frameC = bytesOf(101, 13);
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`${le ? 'little' : 'big'}-endian: several interfaces, resolutions, packet block kinds, unknown blocks`, async () => {
      const data = Buffer.concat([
        shb(le, [option(4, Buffer.from('test'), le)]),
        idb(le, 1), // default µs
        idb(le, 276, { tsresol: 9, name: 'any' }),
        idb(le, 101, { tsresol: 0x80 | 20, snaplen: 40 }), // 2^-20 s
        idb(le, 113, { tsresol: 3, tsoffset: 100n }), // ms, plus 100 s
        block(4, Buffer.alloc(16), le), // name resolution: skipped
        epb(le, 0, 1700000000_123456n, frameA, 1514),
        epb(le, 1, 1700000000_987654321n, frameB),
        block(0x00000bad, Buffer.alloc(40, 7), le), // custom block: skipped
        epb(le, 2, (5n << 20n) + (1n << 19n), frameC), // 5.5 s
        epb(le, 3, 1_234n, frameA, 60, [option(1, Buffer.from('a comment'), le)]),
        spb(le, frameC), // interface 0's link type, no timestamp; cut to interface 0's snaplen (none)
        opb(le, 1, 2_000_000_001n, frameB),
        block(5, Buffer.alloc(20), le), // interface statistics: skipped
      ]);
      const r = CaptureReader.fromBuffer(data, 'x.pcapng');
      expect(r.format).toBe('pcapng');
      const got = await readEveryWay(data);
      expect(got).toEqual([
        { hex: hexOf(frameA), capLen: 60, origLen: 1514, linkType: 1, sec: 1700000000, nsec: 123456000 },
        { hex: hexOf(frameB), capLen: 33, origLen: 33, linkType: 276, sec: 1700000000, nsec: 987654321 },
        { hex: hexOf(frameC), capLen: 101, origLen: 101, linkType: 101, sec: 5, nsec: 500000000 },
        { hex: hexOf(frameA), capLen: 60, origLen: 60, linkType: 113, sec: 101, nsec: 234000000 },
        { hex: hexOf(frameC), capLen: 101, origLen: 101, linkType: 1, sec: 0, nsec: 0 },
        { hex: hexOf(frameB), capLen: 33, origLen: 33, linkType: 276, sec: 2, nsec: 1 },
      ]);
      expect(r.corrupt).toBe(0);
    });
  }

  it('a new section resets the interfaces, and may change byte order', async () => {
    const data = Buffer.concat([
      shb(true),
      idb(true, 1),
      epb(true, 0, 1_000_000n, frameA),
      shb(false),
      idb(false, 228, { tsresol: 9 }),
      epb(false, 0, 2_000_000_000n, frameB),
      shb(true),
      epb(true, 0, 3n, frameC), // no interface in this section yet: counted as corrupt, skipped
      idb(true, 113, { tsresol: 0 }),
      epb(true, 0, 3n, frameC),
    ]);
    const r = CaptureReader.fromBuffer(data);
    const got = readAllSync(r);
    expect(got.map((g) => [g.linkType, g.sec, g.nsec])).toEqual([
      [1, 1, 0],
      [228, 2, 0],
      [113, 3, 0],
    ]);
    expect(r.corrupt).toBe(1);
    expect(await readEveryWay(data)).toEqual(got);
  });

  it('simple packet blocks are cut to the snapshot length of interface 0', () => {
    const data = Buffer.concat([shb(true), idb(true, 1, { snaplen: 40 }), spb(true, frameC)]);
    expect(readAllSync(CaptureReader.fromBuffer(data))[0]).toMatchObject({ capLen: 40, origLen: 101 });
  });

  it('timestamps split exactly for every resolution (64-bit ticks)', () => {
    const cases: [number, bigint][] = [];
    const res = [0, 1, 3, 6, 9, 0x80, 0x80 | 9, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32];
    fc.assert(
      fc.property(fc.constantFrom(...res), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (tsresol, t) => {
        const unit = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
        // keep the seconds within 2^53, where a Float64 holds them exactly
        const ticks = t % (unit * (1n << 52n));
        cases.push([tsresol, ticks]);
        const data = Buffer.concat([shb(true), idb(true, 1, { tsresol }), epb(true, 0, ticks, frameA)]);
        const g = readAllSync(CaptureReader.fromBuffer(data))[0]!;
        expect(g.sec).toBe(Number(ticks / unit));
        expect(g.nsec).toBe(Number(((ticks % unit) * 1_000_000_000n) / unit));
      }),
      { seed: 42, numRuns: 3000 },
    );
    expect(cases.length).toBe(3000);
  });

  it('finer resolutions than 1 ns and 2^-32 s are close', () => {
    for (const [tsresol, unit] of [[12, 10n ** 12n], [0x80 | 40, 1n << 40n]] as const) {
      const ticks = 1000000n * unit + unit / 4n; // 64 bits hold 10^6 s at these resolutions
      const data = Buffer.concat([shb(true), idb(true, 1, { tsresol }), epb(true, 0, ticks, frameA)]);
      const g = readAllSync(CaptureReader.fromBuffer(data))[0]!;
      expect(g.sec).toBe(1000000);
      expect(Math.abs(g.nsec - 250_000_000)).toBeLessThan(1000);
    }
  });

  it('a packet block with huge options (bigger than the chunk) keeps its packet, skips the rest', async () => {
    const data = Buffer.concat([shb(true), idb(true, 1), epb(true, 0, 1n, frameA, 60, [option(1, Buffer.alloc(5000, 0x41), true)]), epb(true, 0, 2n, frameB)]);
    const got = await readEveryWay(data);
    expect(got.map((g) => g.hex)).toEqual([hexOf(frameA), hexOf(frameB)]);
  });

  it('an unknown block bigger than the chunk buffer is skipped', async () => {
    const data = Buffer.concat([shb(true), idb(true, 1), block(0x40000001, Buffer.alloc(10_000, 1), true), epb(true, 0, 1n, frameA)]);
    expect((await readEveryWay(data)).map((g) => g.hex)).toEqual([hexOf(frameA)]);
  });

  it('an interface block bigger than the chunk buffer grows it', async () => {
    const data = Buffer.concat([shb(true), idb(true, 1, { name: 'x'.repeat(3000), tsresol: 9 }), epb(true, 0, 7n, frameA)]);
    expect((await readEveryWay(data))[0]).toMatchObject({ sec: 0, nsec: 7 });
  });
});

describe('pcapng: corrupt blocks', () => {
  const head = Buffer.concat([shb(true), idb(true, 1)]);
  const good = epb(true, 0, 1n, frameA);

  it('bad contents in a sound block are counted and skipped', async () => {
    const unknownIf = epb(true, 5, 1n, frameB);
    const tooLong = epb(true, 0, 1n, frameB);
    tooLong.writeUInt32LE(1000, 20); // captured length beyond the block
    const data = Buffer.concat([head, good, unknownIf, tooLong, good]);
    const r = CaptureReader.fromBuffer(data);
    expect(readAllSync(r).length).toBe(2);
    expect(r.corrupt).toBe(2);
    const f = tmpFile(data);
    const r2 = await CaptureReader.open(f, { chunkSize: 64 });
    expect((await readAll(r2)).length).toBe(2);
    expect(r2.corrupt).toBe(2);
  });

  it('block length zero, not a multiple of 4, or past the end: EmuError naming the byte offset', async () => {
    const at = head.length + good.length;
    for (const len of [0, 8, 30]) {
      const bad = epb(true, 0, 1n, frameA);
      bad.writeUInt32LE(len, 4);
      const data = Buffer.concat([head, good, bad]);
      await expectEmuError(readAll(CaptureReader.fromBuffer(data, 'b.pcapng')), new RegExp(`block length ${len}.*b\\.pcapng: byte ${at + 4}`));
    }
    const past = epb(true, 0, 1n, frameA);
    past.writeUInt32LE(1 << 30, 4);
    const data = Buffer.concat([head, good, past]);
    await expectEmuError(readAll(CaptureReader.fromBuffer(data, 'p.pcapng')), new RegExp(`runs past the end.*p\\.pcapng: byte ${at}`));
    // when the size is not known (a pipe) the error comes at the end instead, and no 1 GiB buffer is made
    const f = tmpFile(data);
    await expectEmuError(readAll(await CaptureReader.open(f, { chunkSize: 64, trustSize: false })), new RegExp(`ends inside a block.*byte ${at}`));
  });

  it('a mismatched trailing length, a bad byte-order magic, a bad version', async () => {
    const bad = epb(true, 0, 1n, frameA);
    bad.writeUInt32LE(bad.length + 4, bad.length - 4);
    await expectEmuError(readAll(CaptureReader.fromBuffer(Buffer.concat([head, bad]), 't')), /trailing length/);
    const bom = shb(true);
    bom.writeUInt32LE(0x12345678, 8);
    await expectEmuError(readAll(CaptureReader.fromBuffer(bom, 'm')), /byte-order magic.*m: byte 8/);
    const ver = shb(true);
    ver.writeUInt16LE(2, 12);
    await expectEmuError(readAll(CaptureReader.fromBuffer(ver, 'v')), /unsupported pcapng savefile version 2\.0/);
  });

  it('a file cut inside a block', async () => {
    const data = Buffer.concat([head, good, good]);
    const cut = data.subarray(0, data.length - 6);
    await expectEmuError(readAll(CaptureReader.fromBuffer(cut, 'c')), new RegExp(`block of 92 bytes runs past the end.*c: byte ${head.length + good.length}`));
    const f = tmpFile(cut);
    await expectEmuError(readAll(await CaptureReader.open(f, { chunkSize: 64, trustSize: false })), new RegExp(`ends inside a block.*byte ${head.length + good.length}`));
  });
});

describe('files past 4 GiB', () => {
  it('reads a record after 4 GiB of skipped blocks and names offsets past 2^32 (sparse file)', async () => {
    const f = path.join(tmp, 'sparse.pcapng');
    const fd = fs.openSync(f, 'w');
    try {
      const head = Buffer.concat([shb(true), idb(true, 1)]);
      fs.writeSync(fd, head, 0, head.length, 0);
      let pos = head.length;
      // two custom blocks of ~2.1 GiB each: headers written, bodies left as holes
      const len = 0x80000000 + 0x100;
      for (let i = 0; i < 2; i++) {
        const h = Buffer.alloc(8);
        h.writeUInt32LE(0x00000bad, 0);
        h.writeUInt32LE(len, 4);
        fs.writeSync(fd, h, 0, 8, pos);
        const t = Buffer.alloc(4);
        t.writeUInt32LE(len, 0);
        fs.writeSync(fd, t, 0, 4, pos + len - 4);
        pos += len;
      }
      expect(pos).toBeGreaterThan(2 ** 32);
      const rec = epb(true, 0, 9n, frameA);
      fs.writeSync(fd, rec, 0, rec.length, pos);
      pos += rec.length;
      const cut = epb(true, 0, 9n, frameB);
      fs.writeSync(fd, cut, 0, cut.length - 8, pos);
      const r = await CaptureReader.open(f);
      const batch = new RecordBatch();
      expect(await r.read(batch)).toBe(1);
      expect(hexOf(batch.buf.subarray(batch.offset[0]!, batch.offset[0]! + batch.capLen[0]!))).toBe(hexOf(frameA));
      expect(r.bytesRead).toBe(pos);
      await expectEmuError(readOrStop(r, batch), new RegExp(`byte ${pos}\\b`));
      await r.close();
    } finally {
      fs.closeSync(fd);
      fs.rmSync(f);
    }
  });
});

describe('reader properties', () => {
  function drain(r: CaptureReader): number {
    const batch = new RecordBatch(7);
    let total = 0;
    for (let i = 0; i < 100_000; i++) {
      const n = r.readSync(batch);
      if (n === 0) return total;
      total += n;
      for (let j = 0; j < n; j++) expect(batch.offset[j]! + batch.capLen[j]!).toBeLessThanOrEqual(batch.buf.length);
    }
    throw new Error('reader did not finish');
  }
  const onlyEmuErrors = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof EmuError)) throw e;
    }
  };

  it('arbitrary bytes after a pcap header: records or an EmuError, never a hang or another exception', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.uint8Array({ maxLength: 400 }), (le, nanos, tail) => {
        const data = Buffer.concat([pcapHeader({ le, nanos, snaplen: 200 }), tail]);
        onlyEmuErrors(() => drain(CaptureReader.fromBuffer(data)));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('arbitrary bytes after a pcapng section and interface: records, counted skips or an EmuError', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 400 }), (le, tail) => {
        const data = Buffer.concat([shb(le), idb(le, 1), tail]);
        onlyEmuErrors(() => drain(CaptureReader.fromBuffer(data)));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('mutated valid files (pcap and pcapng): only EmuErrors', () => {
    const base = [
      pcapFile(recs),
      Buffer.concat([shb(true), idb(true, 1, { tsresol: 9 }), epb(true, 0, 5n, frameA), spb(true, frameB), block(9, Buffer.alloc(8), true), epb(true, 0, 6n, frameC)]),
      Buffer.concat([shb(false), idb(false, 1), opb(false, 0, 5n, frameA)]),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (which, flips, cutAt) => {
          const data = Buffer.from(base[which]!);
          for (const [pos, v] of flips) data[pos % data.length] = v;
          const cut = data.subarray(0, Math.max(0, data.length - (cutAt % 16)));
          onlyEmuErrors(() => drain(CaptureReader.fromBuffer(cut)));
        },
      ),
      { seed: 42, numRuns: 5000 },
    );
  });

  it('any chunk size gives the same records as memory', async () => {
    const data = pcapFile(Array.from({ length: 40 }, (_, i) => ({ data: bytesOf((i * 37) % 200, i), sec: i, frac: i })));
    const ref = readAllSync(CaptureReader.fromBuffer(data));
    const f = tmpFile(data);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 64, max: 3000 }), fc.integer({ min: 1, max: 50 }), async (chunkSize, cap) => {
        expect(await readAll(await CaptureReader.open(f, { chunkSize }), cap)).toEqual(ref);
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});
