// Mirrored traffic (ERSPAN I/II/III, Ethernet over GRE) and the BSD loopback and PPP link types, made by scapy and
// compared with tshark's dissection: unwrapped, the key is the mirrored frame's; with unwrap off, the mirror's own.

import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { writeErspanHeader } from '../../src/wire/erspan.js';
import { GRE_PROTO_ERSPAN, GRE_PROTO_ERSPAN3, GRE_PROTO_TEB, greHeaderEnd, writeGreHeader } from '../../src/wire/gre.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';
import {
  decodeFrame,
  FrameKey,
  MIRROR_ERSPAN_I,
  MIRROR_ERSPAN_II,
  MIRROR_ERSPAN_III,
  MIRROR_NONE,
  MIRROR_TEB,
  REASON_NAMES,
} from '../../src/wire/decode.js';
import { haveTool } from '../helpers.js';
import { emu } from '../cli/run.js';
import { expectSameAsTshark } from './tshark.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const haveAll = haveTool('tshark', ['-v']) && haveTool(PYTHON, ['-c', 'import scapy.all, scapy.contrib.erspan']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-mirrors-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => path.join(dir, name);

interface Frame {
  buf: Uint8Array;
  capLen: number;
  linkType: number;
}

async function frames(file: string): Promise<Frame[]> {
  const r = await CaptureReader.open(file);
  const batch = new RecordBatch(64);
  const out: Frame[] = [];
  while ((await r.read(batch)) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const o = batch.offset[i]!;
      out.push({ buf: batch.buf.slice(o, o + batch.capLen[i]!), capLen: batch.capLen[i]!, linkType: batch.linkType[i]! });
    }
  }
  await r.close();
  return out;
}

function decode(f: Frame, unwrap = true): FrameKey {
  const k = new FrameKey();
  decodeFrame(f.buf, 0, f.capLen, f.linkType, 4789, k, unwrap);
  return k;
}

const FIELDS = ['ip.src', 'ip.dst', 'ip.proto', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'erspan.spanid', 'erspan.version', 'gre.proto'];
function tshark(file: string): Record<string, string[]>[] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const cols = l.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ? cols[i]!.split(',') : []]));
    });
}

const keyOf = (k: FrameKey) => ({ src: formatIpv4(k.src), dst: formatIpv4(k.dst), proto: k.proto, sport: k.sport, dport: k.dport });

describe.skipIf(!haveAll)('mirrored traffic against tshark', () => {
  beforeAll(() => {
    execFileSync(PYTHON, [path.join(HERE, 'mirrors.py'), dir], { stdio: 'pipe' });
  });

  it('ERSPAN II and III, TEB, ERSPAN I: unwrapped to the mirrored frame, session ids as tshark reads them', async () => {
    const ours = await frames(at('mirrors.pcap'));
    const theirs = tshark(at('mirrors.pcap'));
    expect(ours).toHaveLength(theirs.length);
    expect(ours.length).toBe(19);
    const kinds = new Set<number>();
    ours.forEach((f, n) => {
      const t = theirs[n]!;
      const label = `frame ${n + 1}`;
      const k = decode(f);
      expect(REASON_NAMES[k.reason], label).toBe('ok');
      const last = t['ip.src']!.length - 1;
      const greProto = Number(t['gre.proto']![0]);
      const mirrored = greProto !== 0x0800;
      // tshark's innermost IPv4 packet for a mirror; the outer one (the GRE packet itself) for a GRE tunnel
      const i = mirrored ? last : 0;
      const proto = Number(t['ip.proto']![i]);
      const ports = proto === 17 ? ['udp.srcport', 'udp.dstport'] : ['tcp.srcport', 'tcp.dstport'];
      expect(keyOf(k), label).toEqual({
        src: t['ip.src']![i],
        dst: t['ip.dst']![i],
        proto,
        sport: proto === 47 ? 0 : Number(t[ports[0]!]![0]),
        dport: proto === 47 ? 0 : Number(t[ports[1]!]![0]),
      });
      const want = !mirrored ? MIRROR_NONE : greProto === GRE_PROTO_TEB ? MIRROR_TEB : greProto === GRE_PROTO_ERSPAN3 ? MIRROR_ERSPAN_III : t['erspan.version']![0] === '1' ? MIRROR_ERSPAN_II : MIRROR_ERSPAN_I;
      expect(k.mirror, label).toBe(want);
      kinds.add(k.mirror);
      expect(k.mirrorSession, label).toBe(t['erspan.spanid']!.length ? Number(t['erspan.spanid']![0]) : 0);
      // --no-unwrap: the mirror's own packet, GRE between the switch and its collector
      const raw = decode(f, false);
      expect(keyOf(raw), `${label} no unwrap`).toEqual({ src: t['ip.src']![0], dst: t['ip.dst']![0], proto: 47, sport: 0, dport: 0 });
      expect(raw.mirror, label).toBe(MIRROR_NONE);
    });
    expect([...kinds].sort()).toEqual([MIRROR_NONE, MIRROR_TEB, MIRROR_ERSPAN_I, MIRROR_ERSPAN_II, MIRROR_ERSPAN_III].sort());
  });

  it('malformed mirrors are counted by reason, where tshark finds no mirrored IPv4 packet either', async () => {
    const ours = await frames(at('bad-mirrors.pcap'));
    const theirs = tshark(at('bad-mirrors.pcap'));
    expect(ours.map((f) => REASON_NAMES[decode(f).reason])).toEqual(['bad-erspan', 'bad-gre', 'bad-erspan', 'truncated']);
    // tshark dissects GRE version 1 on as if it were 0 (frame 2); the others end where ours do
    expect(theirs.map((t) => t['ip.src']!.length)).toEqual([1, 2, 1, 1]);
  });

  it('the CLI forwards the mirrored flows, and the mirror itself with --no-unwrap', () => {
    const unwrapped = JSON.parse(emu(['replay', at('mirrors.pcap'), '--json']).stdout);
    expect(unwrapped.packets).toBe(19);
    expect(unwrapped.flows).toBe(19);
    const raw = emu(['replay', at('mirrors.pcap'), '--json', '--no-unwrap']);
    expect(raw.code).toBe(0);
    const report = JSON.parse(raw.stdout);
    expect(report.packets).toBe(19);
    // 10.99.0.1 → 10.99.0.2 (every mirror) and 10.98.0.1 → 192.168.100.10 (the GRE tunnel): no route for the first
    expect(report.flows).toBe(1);
    expect(report.skipped['no-route']).toBe(18);
  });

  for (const name of ['null.pcap', 'loop.pcap', 'ppp.pcap', 'ppp-hdlc.pcap']) {
    it(`${name}: link type decoded as tshark decodes it`, async () => {
      expect(await expectSameAsTshark(at(name), name)).toBeGreaterThanOrEqual(3);
    });
  }
});

describe('GRE and ERSPAN headers (byte literals)', () => {
  it('GRE header lengths: flags, RFC 1701 routes bounded by the packet', () => {
    const b = new Uint8Array(64);
    expect(writeGreHeader(b, 0, { protocol: GRE_PROTO_TEB, key: 5, sequence: 6 })).toBe(12);
    expect(Buffer.from(b.subarray(0, 12)).toString('hex')).toBe('3000655800000005' + '00000006');
    expect(greHeaderEnd(b, 0, 12)).toBe(12);
    expect(greHeaderEnd(b, 0, 11)).toBe(-1);
    // R with a route entry claiming 255 bytes that the packet does not have
    b.set([0x40, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0x08, 0x00, 0x00, 0xff]);
    expect(greHeaderEnd(b, 0, 64)).toBe(-1);
    b.set([0x00, 0x01, 0x65, 0x58]);
    expect(greHeaderEnd(b, 0, 64)).toBe(-2);
  });

  it('ERSPAN II and III headers as the draft lays them out', () => {
    const b = new Uint8Array(32);
    expect(writeErspanHeader(b, 0, { version: 1, session: 0x3ff, vlan: 0xabc, cos: 5, index: 0xfffff })).toBe(8);
    expect(Buffer.from(b.subarray(0, 8)).toString('hex')).toBe('1abca3ff000fffff');
    expect(writeErspanHeader(b, 0, { version: 2, session: 9, timestamp: 0x01020304, sgt: 7, frameType: 0, hwId: 3, platform: true })).toBe(20);
    expect(Buffer.from(b.subarray(0, 12)).toString('hex')).toBe('2000000901020304' + '00070031');
  });

  it('a byte flipper over mirrored frames: a reason, never an exception, whatever the bytes', () => {
    const frame = (proto: number, erspan: 0 | 1 | 2): Uint8Array => {
      const b = new Uint8Array(160);
      b.set([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
      b.set([0x45, 0, 0, 146, 0, 1, 0, 0, 64, 47, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2], 14);
      let p = 34 + writeGreHeader(b, 34, { protocol: proto, sequence: erspan ? 1 : undefined });
      if (erspan) p += writeErspanHeader(b, p, { version: erspan, session: 3, platform: erspan === 2 });
      b.set([0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 3, 0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 192, 168, 100, 10, 0x9c, 0x40, 0x27, 0x0f], p);
      return b;
    };
    const bases = [frame(GRE_PROTO_TEB, 0), frame(GRE_PROTO_ERSPAN, 1), frame(GRE_PROTO_ERSPAN3, 2), frame(GRE_PROTO_ERSPAN, 0)];
    const k = new FrameKey();
    for (const b of bases) {
      decodeFrame(b, 0, b.length, 1, 4789, k);
      expect(REASON_NAMES[k.reason]).toBe('ok');
      expect(formatIpv4(k.src)).toBe('10.0.0.1');
    }
    fc.assert(
      fc.property(fc.nat({ max: bases.length - 1 }), fc.array(fc.tuple(fc.nat({ max: 159 }), fc.nat({ max: 255 })), { maxLength: 8 }), fc.nat({ max: 160 }), (which, flips, cut) => {
        const b = Uint8Array.from(bases[which]!);
        for (const [pos, v] of flips) b[pos] = v;
        decodeFrame(b, 0, cut, 1, 4789, k);
        expect(k.reason).toBeLessThan(REASON_NAMES.length);
        if (k.reason === 0) expect(k.l3Offset + 20).toBeLessThanOrEqual(cut);
      }),
      { seed: 14, numRuns: 20000 },
    );
  });
});
