// The pcap writer: header and record bytes, snaplen cutting, reserve/commit encapsulation, and what tshark and
// tcpdump make of its files (no warning on stderr).

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.js';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { PcapWriter } from '../../src/capture/writer.js';
import { decodeFrame, FrameKey } from '../../src/wire/decode.js';
import { writeVxlanEncap } from '../../src/wire/vxlan.js';
import { haveTool } from '../helpers.js';
import { expectSameAsTshark } from '../wire/tshark.js';
import { frame, ipv4Packet } from '../wire/frames.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-writer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function readBack(data: Uint8Array): { hex: string; capLen: number; origLen: number; sec: number; nsec: number; linkType: number }[] {
  const r = CaptureReader.fromBuffer(data);
  const batch = new RecordBatch();
  const out = [];
  while (r.readSync(batch) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const o = batch.offset[i]!;
      out.push({ hex: hex(batch.buf.subarray(o, o + batch.capLen[i]!)), capLen: batch.capLen[i]!, origLen: batch.origLen[i]!, sec: batch.tsSec[i]!, nsec: batch.tsNsec[i]!, linkType: batch.linkType[i]! });
    }
  }
  return out;
}

describe('PcapWriter bytes', () => {
  it('writes the classic header (µs, little-endian) and 16-byte record headers', () => {
    const w = PcapWriter.toBuffer({ snaplen: 65535 });
    w.write(Uint8Array.of(1, 2, 3), 0, 3, 60, 1700000000, 123456789);
    expect(hex(w.bytes())).toBe(
      'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000'.replace(/ /g, '') +
        '00f15365 40e20100 03000000 3c000000 010203'.replace(/ /g, ''),
    );
  });

  it('nanosecond magic and timestamps; link type', () => {
    const w = PcapWriter.toBuffer({ nanos: true, linkType: 276 });
    w.write(Uint8Array.of(9), 0, 1, 1, 5, 999999999);
    const b = w.bytes();
    expect(hex(b.subarray(0, 4))).toBe('4d3cb2a1');
    expect(readBack(b)).toEqual([{ hex: '09', capLen: 1, origLen: 1, sec: 5, nsec: 999999999, linkType: 276 }]);
  });

  it('round-trips many records through a small buffer (flushes), microseconds truncating nanoseconds', () => {
    const w = PcapWriter.toBuffer({ bufferSize: 200 });
    const want = [];
    for (let i = 0; i < 500; i++) {
      const data = Uint8Array.from({ length: (i * 13) % 150 }, (_, j) => (i + j) & 0xff);
      w.write(data, 0, data.length, data.length + 4, 1000 + i, i * 1001);
      want.push({ hex: hex(data), capLen: data.length, origLen: data.length + 4, sec: 1000 + i, nsec: Math.floor((i * 1001) / 1000) * 1000, linkType: 1 });
    }
    expect(w.records).toBe(500);
    expect(readBack(w.bytes())).toEqual(want);
  });

  it('cuts records longer than the snapshot length, keeping the original length', () => {
    const w = PcapWriter.toBuffer({ snaplen: 64 });
    const big = Uint8Array.from({ length: 1000 }, (_, j) => j & 0xff);
    w.write(big, 10, 500, 500, 1, 0);
    const at = w.reserve(300);
    w.buf.set(big.subarray(0, 300), at);
    w.commit(300, 300, 2, 0);
    const got = readBack(w.bytes());
    expect(got.map((g) => [g.capLen, g.origLen])).toEqual([[64, 500], [64, 300]]);
    expect(got[0]!.hex).toBe(hex(big.subarray(10, 74)));
  });

  it('carries out-of-range nanoseconds into seconds', () => {
    const w = PcapWriter.toBuffer({ nanos: true });
    w.write(Uint8Array.of(0), 0, 1, 1, 10, 2_500_000_000);
    expect(readBack(w.bytes())[0]).toMatchObject({ sec: 12, nsec: 500_000_000 });
  });

  it('a record bigger than the buffer grows it', () => {
    const w = PcapWriter.toBuffer({ bufferSize: 100 });
    const data = new Uint8Array(5000).fill(7);
    w.write(data, 0, 5000, 5000, 0, 0);
    expect(readBack(w.bytes())[0]!.capLen).toBe(5000);
  });

  it('reserve/commit: VXLAN written straight into the output buffer decodes back', () => {
    const w = PcapWriter.toBuffer();
    const inner = frame(ipv4Packet({ src: 0x0a000001, dst: 0xc0a8640a, proto: 6, sport: 1234, dport: 443 }));
    const at = w.reserve(50 + inner.length);
    const p = writeVxlanEncap(w.buf, at, 0x0200, 3, 0x0200, 0xfe, 0x0a0101fe, 0x0a010103, 1, 50000, 4789, 10100, inner.length);
    w.buf.set(inner, p);
    w.commit(50 + inner.length, 50 + inner.length, 0, 0);
    const data = w.bytes();
    const r = CaptureReader.fromBuffer(data);
    const batch = new RecordBatch();
    r.readSync(batch);
    const key = new FrameKey();
    decodeFrame(batch.buf, batch.offset[0]!, batch.capLen[0]!, 1, 4789, key);
    expect(key).toMatchObject({ reason: 0, vxlan: true, vni: 10100, src: 0x0a0101fe, dst: 0x0a010103, sport: 50000, innerSport: 1234, innerDport: 443 });
  });

  it('close is idempotent; writing after close is an EmuError; bad paths name themselves', async () => {
    const f = path.join(tmp, 'x.pcap');
    const w = await PcapWriter.open(f);
    w.write(Uint8Array.of(1), 0, 1, 1, 0, 0);
    await w.close();
    w.closeSync();
    await w.close();
    expect(() => w.reserve(1)).toThrow(EmuError);
    expect(fs.statSync(f).size).toBe(24 + 17);
    await expect(PcapWriter.open(path.join(tmp, 'no/such/dir.pcap'))).rejects.toThrow(/no such directory.*no\/such\/dir\.pcap/);
    await expect(PcapWriter.open(tmp)).rejects.toThrow(/is a directory/);
    expect(() => PcapWriter.toBuffer({ snaplen: 0 })).toThrow(/snapshot length/);
  });

  it('an empty capture (header only) is written on close', async () => {
    const f = path.join(tmp, 'empty.pcap');
    await (await PcapWriter.open(f, { nanos: true })).close();
    expect(fs.statSync(f).size).toBe(24);
    expect((await CaptureReader.open(f)).format).toBe('pcap');
  });
});

const haveTshark = haveTool('tshark', ['-v']);
const haveTcpdump = haveTool('tcpdump', ['--version']);

/** A file of VXLAN frames (as the engine writes them) and plain frames, micro- or nanosecond. */
async function writeSample(nanos: boolean): Promise<string> {
  const f = path.join(tmp, `sample-${nanos ? 'ns' : 'us'}.pcap`);
  const w = await PcapWriter.open(f, { nanos });
  for (let i = 0; i < 300; i++) {
    const inner = frame(ipv4Packet({ src: 0x0a000000 + i, dst: 0xc0a8640a, proto: i % 3 === 0 ? 6 : 17, sport: 1024 + i, dport: 443 }, { payload: i % 40 }), { vlans: i % 3 });
    if (i % 2 === 0) {
      const len = 50 + inner.length;
      const at = w.reserve(len);
      const p = writeVxlanEncap(w.buf, at, 0x0200, 0x0a010103, 0x0200, 0x0a0101fe, 0x0a0101fe, 0x0a010100 + (i % 3) + 1, i, 49152 + i, 4789, 10100, inner.length);
      w.buf.set(inner, p);
      w.commit(len, len, 1700000000 + i, i * 1_000_003);
    } else {
      w.write(inner, 0, inner.length, inner.length, 1700000000 + i, i * 1_000_003 % 1_000_000_000);
    }
  }
  await w.close();
  return f;
}

/** stderr without the lines tools print on every run (running as root; tcpdump's "reading from file"). */
const warnings = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => l.trim() !== '' && !/^Running as user "root"/.test(l) && !/^reading from file .*, link-type EN10MB \(Ethernet\), snapshot length 262144$/.test(l));

describe.skipIf(!haveTshark)('tshark reads what the writer writes', () => {
  for (const nanos of [false, true]) {
    it(`${nanos ? 'nanosecond' : 'microsecond'} file: no warning, no malformed frame, good IP checksums, same decode`, async () => {
      const f = await writeSample(nanos);
      const r = spawnSync('tshark', ['-n', '-r', f, '-o', 'ip.check_checksum:TRUE', '-Y', '_ws.malformed || _ws.expert.severity >= "warning" || ip.checksum.status == "Bad"'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      expect(r.stdout).toBe(''); // no frame matched the filter
      const fmt = spawnSync('capinfos', ['-t', '-E', '-c', '-M', f], { encoding: 'utf8' });
      expect(fmt.stdout).toMatch(nanos ? /File type:\s+nsecpcap/ : /File type:\s+pcap\n/);
      expect(fmt.stdout).toMatch(/Number of packets:\s+300/);
      expect(await expectSameAsTshark(f, 'writer')).toBe(300);
    });
  }
});

describe.skipIf(!haveTcpdump)('tcpdump reads what the writer writes', () => {
  for (const nanos of [false, true]) {
    it(`${nanos ? 'nanosecond' : 'microsecond'} file: tcpdump -r prints every frame and no warning`, async () => {
      const f = await writeSample(nanos);
      const r = spawnSync('tcpdump', ['-n', '-r', f], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      // one line per frame that starts with its time; tcpdump prints a VXLAN frame's inner packet on a second line
      const lines = r.stdout.trim().split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l));
      expect(lines.length).toBe(300);
      // (frame 0's source port 49152 is the one tcpdump takes for Broadcom's LI shim, so look at frame 2)
      expect(lines[2]).toMatch(/IP 10\.1\.1\.254\.49154 > 10\.1\.1\.3\.4789: VXLAN, flags \[I\] \(0x08\), vni 10100/);
      // tcpdump -w of our file: libpcap accepts it as input and writes an identical record stream
      const g = path.join(tmp, `tcpdump-copy-${nanos}.pcap`);
      execFileSync('tcpdump', ['-n', '-r', f, '-w', g, ...(nanos ? ['--time-stamp-precision=nano'] : [])], { stdio: 'ignore' });
      expect(fs.readFileSync(g).subarray(24)).toEqual(fs.readFileSync(f).subarray(24));
    });
  }
});
