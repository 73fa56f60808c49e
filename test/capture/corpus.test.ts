// libpcap parity (issue 14): captures scapy writes, turned by editcap and byte patches into every edge case of
// libpcap's sf-pcap.c / sf-pcapng.c, replayed by the CLI; its frame count must be `tcpdump -r FILE --count`'s, where
// tcpdump stops early the report must say why, and where libpcap refuses the file the CLI refuses it in one line.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../helpers.js';
import { emu } from '../cli/run.js';
import { block, epb, idb, shb } from './build.js';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { expectSameAsTshark } from '../wire/tshark.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);
/** Debian's python3 has scapy; a pyenv shim first on PATH may not. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const haveAll = haveTool('tcpdump') && haveTool('editcap', ['-h']) && haveTool('tshark') && haveTool('gcc') && haveTool(PYTHON, ['-c', 'import scapy.all']);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-corpus-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => path.join(dir, name);
const read = (name: string): Buffer => fs.readFileSync(at(name));
const write = (name: string, data: Uint8Array): string => (fs.writeFileSync(at(name), data), name);

interface PcapRecord {
  hdr: number; // offset of the record header
  capLen: number;
  origLen: number;
}

/** The records of a classic pcap as its header says to walk them (16-byte headers, lengths as written). */
function records(data: Buffer): { le: boolean; recs: PcapRecord[] } {
  const le = data.readUInt32LE(0) === 0xa1b2c3d4 || data.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (p: number): number => (le ? data.readUInt32LE(p) : data.readUInt32BE(p));
  const recs: PcapRecord[] = [];
  for (let p = 24; p + 16 <= data.length; ) {
    const capLen = u32(p + 8);
    recs.push({ hdr: p, capLen, origLen: u32(p + 12) });
    p += 16 + capLen;
  }
  return { le, recs };
}

function put32(data: Buffer, le: boolean, p: number, v: number): void {
  if (le) data.writeUInt32LE(v >>> 0, p);
  else data.writeUInt32BE(v >>> 0, p);
}

/** A copy with the file header's version set and, in the records `swap` picks, caplen and len exchanged. */
function withVersion(src: Buffer, major: number, minor: number, swap: (i: number) => boolean): Buffer {
  const data = Buffer.from(src);
  const { le, recs } = records(src);
  if (le) (data.writeUInt16LE(major, 4), data.writeUInt16LE(minor, 6));
  else (data.writeUInt16BE(major, 4), data.writeUInt16BE(minor, 6));
  recs.forEach((r, i) => {
    if (!swap(i)) return;
    put32(data, le, r.hdr + 8, r.origLen);
    put32(data, le, r.hdr + 12, r.capLen);
  });
  return data;
}

function tcpdumpCount(file: string): { count: number; code: number; opened: boolean; stderr: string } {
  const r = spawnSync('tcpdump', ['-r', file, '--count'], { encoding: 'utf8', timeout: 60_000 });
  const m = /(\d+) packets?/.exec(r.stdout);
  return { count: m ? Number(m[1]) : 0, code: r.status ?? -1, opened: r.stderr.includes('reading from file'), stderr: r.stderr.trim() };
}

/** libpcap's own count (test/capture/pcap-count.c): -1 when pcap_open_offline refuses the file. */
function libpcapCount(file: string): number {
  const r = spawnSync(at('pcap-count'), [file], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 2 ? -1 : Number(r.stdout.split('\t')[0]);
}

function tsharkCount(file: string): number {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

interface Case {
  file: string;
  /** the skip reason the report must give where tcpdump stops early */
  stops?: string;
  /** compare with tshark, not tcpdump: libpcap stops where Wireshark (and we) read on; says why */
  tshark?: string;
  /** a skip reason the report must count, with how many */
  skipped?: [string, number];
  /** compare with libpcap itself, not tcpdump: tcpdump refuses the file for its own reasons; says which */
  libpcap?: string;
}

const cases: Case[] = [];

describe.skipIf(!haveAll)('libpcap parity: record counts against tcpdump --count', () => {
  beforeAll(() => {
    execFileSync('gcc', ['-O1', '-o', at('pcap-count'), path.join(HERE, 'pcap-count.c'), '-lpcap'], { stdio: 'pipe' });
    execFileSync(PYTHON, [path.join(HERE, 'corpus.py'), dir], { stdio: 'pipe' });
    const base = ['ether.pcap', 'ether-be-ns.pcap', 'null.pcap', 'loop.pcap', 'ppp.pcap', 'raw.pcap', 'ipv4.pcap', 'sll.pcap', 'ether.pcapng'];
    cases.push(...base.map((file) => ({ file })));
    // editcap: other formats of the same records, and records cut to a snapshot length
    for (const [name, args] of [
      ['nsec.pcap', ['-F', 'nsecpcap']],
      ['modified.pcap', ['-F', 'modpcap']],
      ['snap64.pcap', ['-s', '64', '-F', 'pcap']],
      ['snap64.pcapng', ['-s', '64', '-F', 'pcapng']],
      ['editcap.pcapng', ['-F', 'pcapng']],
    ] as const) {
      execFileSync('editcap', [...args, at('ether.pcap'), at(name)], { stdio: 'pipe' });
      cases.push({ file: name });
    }
    // Nokia's, Red Hat 6.1's and SuSE 6.3's formats share the modified format's magic with longer record headers: libpcap reads
    // them as the modified format and stops at the first record whose lengths are garbage that way; so do we.
    for (const [name, format] of [['nokia.pcap', 'nokiapcap'], ['rh61.pcap', 'rh6_1pcap'], ['suse63.pcap', 'suse6_3pcap']] as const) {
      execFileSync('editcap', ['-F', format, at('ether.pcap'), at(name)], { stdio: 'pipe' });
      cases.push({ file: name, stops: 'record-too-long' });
    }
    const ether = read('ether.pcap');
    const { le, recs } = records(ether);
    const header = (patch: (d: Buffer) => void, name: string): string => {
      const d = Buffer.from(ether);
      patch(d);
      return write(name, d);
    };
    // caplen above the file's snapshot length (old Solaris bufmod files): libpcap cuts each record to it
    cases.push({ file: header((d) => put32(d, le, 16, 100), 'caplen-above-snaplen.pcap') });
    cases.push({ file: header((d) => put32(d, le, 16, 0), 'snaplen-zero.pcap') });
    cases.push({ file: header((d) => put32(d, le, 16, 0x7fffffff), 'snaplen-int-max.pcap') });
    // FCS bits above the 26-bit link type; and a link type ecmp-emu does not decode (USER0, 147)
    cases.push({ file: header((d) => put32(d, le, 20, 1 | 0x04000000 | 0x40000000), 'fcs-bits.pcap') });
    cases.push({ file: header((d) => put32(d, le, 20, 147), 'user0.pcap'), skipped: ['unsupported-linktype', recs.length] });
    cases.push({
      file: header((d) => put32(d, le, 20, 0x10001), 'linktype-65537.pcap'),
      skipped: ['unsupported-linktype', recs.length],
      libpcap: "tcpdump's filter compiler knows no link type 65537; libpcap reads the file",
    });
    // versions whose records give len before caplen (2.2, 543.0), or may (2.3: where caplen > len)
    const snap64 = read('snap64.pcap');
    cases.push({ file: write('v2.2.pcap', withVersion(ether, 2, 2, () => true)) });
    cases.push({ file: write('v2.3.pcap', withVersion(snap64, 2, 3, (i) => i % 2 === 0)) });
    cases.push({ file: write('v543.pcap', withVersion(snap64, 543, 0, () => true)) });
    // zero-length records, with and without an original length
    const zero = (origLen: number): Buffer => {
      const r = Buffer.alloc(16);
      put32(r, le, 0, 1700000000);
      put32(r, le, 12, origLen);
      return r;
    };
    cases.push({ file: write('zero-length.pcap', Buffer.concat([ether.subarray(0, recs[3]!.hdr), zero(0), zero(60), ether.subarray(recs[3]!.hdr), zero(0)])) });
    // cut short: inside the last record's data, inside a record header
    cases.push({ file: write('cut-data.pcap', ether.subarray(0, ether.length - 10)), stops: 'cut-short' });
    cases.push({ file: write('cut-header.pcap', ether.subarray(0, recs[7]!.hdr + 9)), stops: 'cut-short' });
    // a captured length above the link type's maximum: libpcap stops there
    cases.push({ file: header((d) => put32(d, le, recs[5]!.hdr + 8, 300000), 'too-long.pcap'), stops: 'record-too-long' });
    // files libpcap refuses
    cases.push({ file: write('v1.0.pcap', withVersion(ether, 1, 0, () => false)) });
    cases.push({ file: write('v2.5.pcap', withVersion(ether, 2, 5, () => false)) });
    cases.push({ file: write('header-cut.pcap', ether.subarray(0, 20)) });

    // pcapng: several sections, blocks of unknown types, an interface without if_tsresol, a cut block
    const ng = read('editcap.pcapng');
    cases.push({ file: write('two-sections.pcapng', Buffer.concat([ng, ng])) });
    cases.push({ file: write('two-sections-snaplens.pcapng', Buffer.concat([ng, read('ether.pcapng')])), tshark: 'libpcap stops at a second snapshot length' });
    const frames = recs.map((r) => ether.subarray(r.hdr + 16, r.hdr + 16 + r.capLen));
    const epbs = frames.map((f, i) => epb(true, 0, BigInt(1700000000 + i) * 1000000n, f));
    const custom = block(0x00000bad, Buffer.from('not a block anyone knows'), true);
    // name resolution: 192.168.100.1 is "host" (NUL-terminated), then the end record
    const nrb = block(0x00000004, Buffer.from('01000a00c0a86401686f737400000000' + '00000000', 'hex'), true);
    const dsb = block(0x0000000a, Buffer.alloc(16), true);
    cases.push({ file: write('unknown-blocks.pcapng', Buffer.concat([shb(true), custom, idb(true, 1, { snaplen: 65535, name: 'eth0' }), nrb, ...epbs.slice(0, 10), dsb, custom, ...epbs.slice(10)])) });
    // the same without the custom block, which tshark shows as a record of its own
    cases.push({ file: write('nrb-dsb.pcapng', Buffer.concat([shb(true), idb(true, 1, { snaplen: 65535 }), nrb, ...epbs.slice(0, 10), dsb, ...epbs.slice(10)])) });
    cases.push({ file: write('no-tsresol.pcapng', Buffer.concat([shb(true), idb(true, 1, { snaplen: 0 }), ...epbs])) });
    cases.push({ file: write('cut.pcapng', ng.subarray(0, ng.length - 7)), stops: 'cut-short' });
    const bad = Buffer.from(ng);
    bad.writeUInt32LE(0x55555555, ng.length - 4); // the last block's trailing length
    cases.push({ file: write('bad-trailer.pcapng', bad), stops: 'corrupt-block' });
    cases.push({ file: write('v1.1.pcapng', (() => ((d) => (d.writeUInt16LE(1, 14), d))(Buffer.from(ng)))()) });
    // where libpcap stops and Wireshark reads on (a second link type, a packet above its interface's snapshot length)
    cases.push({
      file: write('two-linktypes.pcapng', Buffer.concat([shb(true), idb(true, 1, { snaplen: 65535 }), idb(true, 101, { snaplen: 65535 }), ...epbs.slice(0, 5), epb(true, 1, 5n, frames[6]!.subarray(14))])),
      tshark: 'libpcap reads one link type per file',
    });
    cases.push({
      file: write('above-idb-snaplen.pcapng', Buffer.concat([shb(true), idb(true, 1, { snaplen: 100 }), ...epbs])),
      tshark: 'libpcap stops at a packet above its interface snapshot length',
    });
  }, 120_000);

  it('every case: the same frame count as tcpdump and libpcap (or tshark where said), the stop reason, or a one-line refusal', () => {
    expect(cases.length).toBeGreaterThan(35);
    const seen = { refused: 0, stopped: 0, cut: 0 };
    for (const c of cases) {
      const file = at(c.file);
      const td = tcpdumpCount(file);
      const lib = libpcapCount(file);
      const r = emu(['replay', file, '--json']);
      // tcpdump counts what libpcap hands out, except where it refuses a file libpcap reads (c.libpcap says why)
      if (!c.libpcap) expect(lib, `${c.file}: libpcap and tcpdump`).toBe(td.opened ? td.count : -1);
      if (c.libpcap) {
        expect([td.code, td.count], `${c.file}: ${td.stderr}`).toEqual([1, 0]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).packets, `${c.file}: ${c.libpcap}`).toBe(lib);
        expect(JSON.parse(r.stdout).skipped[c.skipped![0]], c.file).toBe(c.skipped![1]);
        continue;
      }
      if (!td.opened && !c.tshark) {
        // libpcap refuses the file: so do we, in one line, exit 1
        expect(r.code, `${c.file}: tcpdump says ${td.stderr}`).toBe(1);
        expect(r.stderr.trim().split('\n'), c.file).toHaveLength(1);
        expect(r.stderr, c.file).toMatch(/^ecmp-emu: /);
        seen.refused++;
        continue;
      }
      expect(r.code, `${c.file}: ${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout) as { packets: number; skipped: Record<string, number>; warnings: { kind: string; message: string }[] };
      const want = c.tshark ? tsharkCount(file) : td.count;
      expect(report.packets, `${c.file}: ${c.tshark ?? `tcpdump ${td.stderr}`}`).toBe(want);
      const stopped = report.warnings.filter((w) => w.kind === 'capture-stopped');
      if (c.tshark) {
        expect(td.count, `${c.file}: libpcap stops early here`).toBeLessThan(want);
      } else if (td.code !== 0) {
        // tcpdump stopped partway: we stop at the same record, count why, and say so
        expect(c.stops, `${c.file}: tcpdump stopped (${td.stderr}); the case must say why`).toBeDefined();
        expect(report.skipped[c.stops!], c.file).toBe(1);
        expect(stopped, c.file).toHaveLength(1);
        expect(r.stderr, c.file).toMatch(/^ecmp-emu: warning: /);
        seen.stopped++;
      } else {
        expect(c.stops, `${c.file}: tcpdump read it all`).toBeUndefined();
        expect(stopped, c.file).toHaveLength(0);
      }
      if (c.skipped) expect(report.skipped[c.skipped[0]], c.file).toBe(c.skipped[1]);
      if (c.file === 'caplen-above-snaplen.pcap') seen.cut++;
    }
    expect(seen).toEqual({ refused: 4, stopped: 8, cut: 1 });
  }, 300_000);

  it('timestamps, lengths and keys as tshark reads them: swapped lengths, sections, no if_tsresol, link types', async () => {
    const files = ['v2.2.pcap', 'v2.3.pcap', 'v543.pcap', 'zero-length.pcap', 'modified.pcap', 'fcs-bits.pcap', 'two-sections.pcapng', 'nrb-dsb.pcapng', 'no-tsresol.pcapng', 'null.pcap', 'loop.pcap', 'ppp.pcap', 'snap64.pcapng'];
    for (const f of files) expect(await expectSameAsTshark(at(f), f), f).toBeGreaterThan(30);
  }, 120_000);

  it('records above the snapshot length are cut to it: the same bytes as tcpdump -xx prints', async () => {
    const file = at('caplen-above-snaplen.pcap');
    const out = execFileSync('tcpdump', ['-r', file, '-nn', '-xx'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // One hex dump per record, after its summary line.
    const dumps: string[] = [];
    for (const line of out.split('\n')) {
      const m = /^\s+0x[0-9a-f]{4}:\s+([0-9a-f ]+?)\s*$/.exec(line);
      if (m) dumps[dumps.length - 1] += m[1]!.replace(/\s+/g, '');
      else if (line.trim() !== '') dumps.push('');
    }
    const reader = await CaptureReader.open(file);
    const batch = new RecordBatch(1024);
    const ours: string[] = [];
    while ((await reader.read(batch)) > 0) {
      for (let i = 0; i < batch.count; i++) ours.push(Buffer.from(batch.buf.subarray(batch.offset[i]!, batch.offset[i]! + batch.capLen[i]!)).toString('hex'));
    }
    expect(reader.recordsCutToSnapshot).toBeGreaterThan(20);
    expect(ours).toEqual(dumps);
    expect(Math.max(...ours.map((h) => h.length / 2))).toBe(100);
    await reader.close();
  });
});
