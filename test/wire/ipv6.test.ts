// The IPv6 header and its extension-header walk: byte literals, bounds, and differentials against scapy + tshark
// (packets with every extension header) and glibc's inet_pton / inet_ntop (address text).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import {
  Ipv6Walk,
  WALK_MALFORMED,
  WALK_OK,
  WALK_TRUNCATED,
  formatIpv6,
  ipv6DstWord,
  ipv6FlowLabel,
  ipv6HopLimit,
  ipv6NextHeader,
  ipv6PayloadLength,
  ipv6SrcWord,
  ipv6TrafficClass,
  ipv6Version,
  tryParseIpv6,
  tryParsePrefix6,
  walkIpv6,
  writeIpv6Header,
} from '../../src/wire/ipv6.js';
import { haveTool } from '../helpers.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

// version 6, traffic class 0xb8, flow label 0x12345, payload 8, next header UDP, hop limit 64,
// 2001:db8::1 -> 2001:db8:0:1::2, then UDP 1234 -> 53
const HEADER = hex(`6b812345 0008 11 40
  20010db8000000000000000000000001
  20010db8000000010000000000000002
  04d2 0035 0008 0000`);

describe('IPv6 header', () => {
  it('reads every field of a byte literal', () => {
    expect([ipv6Version(HEADER, 0), ipv6TrafficClass(HEADER, 0), ipv6FlowLabel(HEADER, 0)]).toEqual([6, 0xb8, 0x12345]);
    expect([ipv6PayloadLength(HEADER, 0), ipv6NextHeader(HEADER, 0), ipv6HopLimit(HEADER, 0)]).toEqual([8, 17, 64]);
    expect([0, 1, 2, 3].map((i) => ipv6SrcWord(HEADER, 0, i))).toEqual([0x20010db8, 0, 0, 1]);
    expect(formatIpv6([0, 1, 2, 3].map((i) => ipv6DstWord(HEADER, 0, i)))).toBe('2001:db8:0:1::2');
  });

  it('writes the same bytes back', () => {
    const out = new Uint8Array(48).fill(0xee);
    const src = tryParseIpv6('2001:db8::1')!;
    const dst = tryParseIpv6('2001:db8:0:1::2')!;
    expect(writeIpv6Header(out, 0, 0xb8, 0x12345, 8, 17, 64, src, dst)).toBe(40);
    expect(out.subarray(0, 40)).toEqual(HEADER.subarray(0, 40));
  });
});

/** An IPv6 header naming `first`, then the given extension headers (each [type, bytes]), then `tail`. */
function packet(first: number, chain: [number, Uint8Array][], tail: Uint8Array): Uint8Array {
  const body = [...chain.map(([, b]) => b), tail];
  const length = body.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(40 + length);
  writeIpv6Header(out, 0, 0, 0, length, first, 64, [0x20010db8, 0, 0, 1], [0x20010db8, 0, 0, 2]);
  let at = 40;
  for (const b of body) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
const opts = (next: number, units = 0): Uint8Array => Uint8Array.of(next, units, ...new Array<number>(6 + 8 * units).fill(0));
const frag = (next: number, offset8: number, more: boolean): Uint8Array =>
  Uint8Array.of(next, 0, (offset8 << 3) >>> 8, ((offset8 << 3) & 0xf8) | (more ? 1 : 0), 0, 0, 0, 7);
const ah = (next: number): Uint8Array => Uint8Array.of(next, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, ...new Array<number>(12).fill(0)); // 24 bytes
const UDP = hex('04d2 0035 0008 0000');

function walk(p: Uint8Array, end = p.length): Ipv6Walk {
  const w = new Ipv6Walk();
  walkIpv6(p, 0, end, w);
  return w;
}

describe('walkIpv6', () => {
  it('walks hop-by-hop, routing, a first fragment, destination options and AH to UDP', () => {
    const p = packet(0, [[0, opts(43, 1)], [43, opts(44)], [44, frag(60, 0, true)], [60, opts(51)], [51, ah(17)]], UDP);
    const w = walk(p);
    expect([w.reason, w.upperProto, w.upperOffset, w.upperPresent, w.headers]).toEqual([WALK_OK, 17, 40 + 16 + 8 + 8 + 8 + 24, true, 5]);
    expect([w.fragment, w.firstFragment]).toEqual([true, true]);
    // Linux's dissector stops right after the fragment header, at the header it names (destination options)
    expect(w.dissectorProto).toBe(60);
  });

  it('stops at AH for the kernel when no fragment header comes first', () => {
    const w = walk(packet(60, [[60, opts(51)], [51, ah(6)]], UDP));
    expect([w.upperProto, w.dissectorProto, w.fragment]).toEqual([6, 51, false]);
  });

  it('a later fragment has no upper header; ESP and "no next header" have none either', () => {
    const later = walk(packet(44, [[44, frag(17, 185, false)]], UDP));
    expect([later.reason, later.upperProto, later.upperPresent, later.fragment, later.firstFragment]).toEqual([WALK_OK, 17, false, true, false]);
    expect(walk(packet(50, [], UDP)).upperPresent).toBe(false);
    expect(walk(packet(0, [[0, opts(59)]], new Uint8Array(0))).upperProto).toBe(59);
    expect(walk(packet(17, [], UDP)).upperOffset).toBe(40);
  });

  it('an extension header cut short is truncated; sixteen of them are malformed', () => {
    const p = packet(0, [[0, opts(43, 1)], [43, opts(17)]], UDP);
    expect(walk(p, 40 + 15).reason).toBe(WALK_TRUNCATED);
    expect(walk(p, 40 + 1).reason).toBe(WALK_TRUNCATED);
    expect(walk(p, 40 + 24).reason).toBe(WALK_OK); // the upper header itself is not the walk's to check
    const many = packet(60, Array.from({ length: 16 }, (_, i) => [60, opts(i === 15 ? 17 : 60)] as [number, Uint8Array]), UDP);
    expect(walk(many).reason).toBe(WALK_MALFORMED);
  });

  it('law: the walk reads nothing at or past `end` (garbage there changes nothing) and never passes it', () => {
    const arbChain = fc.array(fc.constantFrom(0, 43, 44, 60, 51), { maxLength: 6 });
    fc.assert(
      fc.property(arbChain, fc.nat(), fc.uint8Array({ minLength: 64, maxLength: 64 }), (types, cut, garbage) => {
        const chain = types.map((t, i): [number, Uint8Array] => {
          const next = i + 1 < types.length ? types[i + 1]! : 17;
          return [t, t === 44 ? frag(next, 0, true) : t === 51 ? ah(next) : opts(next, i % 3)];
        });
        const p = packet(types[0] ?? 17, chain, UDP);
        const end = 40 + (cut % (p.length - 39));
        const exact = walk(p.slice(0, end));
        const padded = new Uint8Array(end + garbage.length);
        padded.set(p.subarray(0, end));
        padded.set(garbage, end);
        const w = walk(padded, end);
        expect(w).toEqual(exact);
        if (w.reason === WALK_OK) expect(w.upperOffset).toBeLessThanOrEqual(end);
      }),
      { seed: 0x1b6, numRuns: 500 },
    );
  });
});

const PY = '/usr/bin/python3';
const haveScapy = haveTool(PY, ['-c', 'import scapy.all']);
const haveTshark = haveTool('tshark', ['-v']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-ipv6-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
if (!haveScapy || !haveTshark) console.warn('IPv6 scapy/tshark differential skipped: needs /usr/bin/python3 with scapy, and tshark');

/** Seeded random IPv6 packets with every kind of extension header chain, as scapy builds them. */
const SCAPY_IPV6 = String.raw`
import random, sys
from scapy.all import Ether, IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt, UDP, TCP, ICMPv6EchoRequest, Raw, PadN, wrpcap
from scapy.layers.ipsec import AH
rnd = random.Random(int(sys.argv[2]))
def addr():
    return ':'.join('%x' % rnd.choice([0, 0, rnd.randrange(65536)]) for _ in range(8))
pkts = []
for n in range(int(sys.argv[3])):
    upper = rnd.choice(['udp', 'tcp', 'icmp', 'none'])
    chain = [rnd.choice(['hbh', 'rt', 'dst', 'frag', 'ah']) for _ in range(rnd.randrange(5))]
    if 'hbh' in chain: chain.remove('hbh'); chain.insert(0, 'hbh')
    p = IPv6(src=addr(), dst=addr(), fl=rnd.randrange(1 << 20), tc=rnd.randrange(256))
    later = False
    for i, h in enumerate(chain):
        if h == 'hbh': p = p / IPv6ExtHdrHopByHop(options=[PadN(optdata=b'\0' * rnd.choice([0, 4, 12]))])
        elif h == 'rt': p = p / IPv6ExtHdrRouting(addresses=[addr() for _ in range(rnd.randrange(3))])
        elif h == 'dst': p = p / IPv6ExtHdrDestOpt()
        elif h == 'frag':
            off = rnd.choice([0, 0, rnd.randrange(1, 8000)])
            later = later or off > 0
            p = p / IPv6ExtHdrFragment(offset=off, m=rnd.randrange(2), id=rnd.randrange(1 << 32))
        else: p = p / AH(spi=rnd.randrange(1, 1 << 32), seq=1, payloadlen=4, icv=b'\0' * 12, nh={'udp': 17, 'tcp': 6, 'icmp': 58, 'none': 59}[upper] if i == len(chain) - 1 else {'hbh': 0, 'rt': 43, 'dst': 60, 'frag': 44, 'ah': 51}[chain[i + 1]])
    if upper == 'udp': p = p / UDP(sport=rnd.randrange(65536), dport=rnd.randrange(65536)) / Raw(b'x' * 4)
    elif upper == 'tcp': p = p / TCP(sport=rnd.randrange(65536), dport=rnd.randrange(65536))
    elif upper == 'icmp': p = p / ICMPv6EchoRequest(id=rnd.randrange(65536))
    pkts.append(Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / p)
wrpcap(sys.argv[1], pkts)
`;

type Seen = { upper: string; sport: number; dport: number; src: string; dst: string; label: number; later: boolean };

/** tshark's view of each frame: the protocol after the IPv6 headers, ports, addresses, flow label. */
function tsharkView(file: string): Seen[] {
  const fields = ['frame.protocols', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'ipv6.src', 'ipv6.dst', 'ipv6.flow', 'ipv6.fraghdr.offset'];
  const out = execFileSync('tshark', ['-n', '-r', file, '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').filter((l) => l !== '').map((line) => {
    const [protocols, us, ud, ts, td, src, dst, flow, offset] = line.split('\t');
    const layers = protocols!.split(':');
    const upper = layers.find((l) => l === 'udp' || l === 'tcp' || l === 'icmpv6') ?? 'other';
    return {
      upper, sport: Number(us || ts || 0), dport: Number(ud || td || 0), src: src!, dst: dst!, label: Number(flow), later: (offset || '0').split(',').some((o) => Number(o) > 0),
    };
  });
}

describe.skipIf(!haveScapy || !haveTshark)('walkIpv6 against scapy and tshark', () => {
  it('400 random packets with hop-by-hop, routing, fragment, destination options and AH chains', async () => {
    const file = path.join(tmp, 'ipv6-chains.pcap');
    execFileSync(PY, ['-c', SCAPY_IPV6, file, '6', '400'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const theirs = tsharkView(file);
    const reader = await CaptureReader.open(file);
    const batch = new RecordBatch(512);
    await reader.read(batch);
    await reader.close();
    expect(batch.count).toBe(400);
    const w = new Ipv6Walk();
    const NAMES: Record<number, string> = { 17: 'udp', 6: 'tcp', 58: 'icmpv6' };
    let withPorts = 0;
    for (let i = 0; i < batch.count; i++) {
      const t = theirs[i]!;
      const off = batch.offset[i]! + 14;
      walkIpv6(batch.buf, off, batch.offset[i]! + batch.capLen[i]!, w);
      const at = `frame ${i + 1}`;
      expect(w.reason, at).toBe(WALK_OK);
      expect(formatIpv6([0, 1, 2, 3].map((k) => ipv6SrcWord(batch.buf, off, k))), at).toBe(t.src);
      expect(formatIpv6([0, 1, 2, 3].map((k) => ipv6DstWord(batch.buf, off, k))), at).toBe(t.dst);
      expect(ipv6FlowLabel(batch.buf, off), at).toBe(t.label);
      expect(w.fragment && !w.firstFragment, `${at}: a later fragment`).toBe(t.later);
      if (!w.upperPresent) {
        expect(t.upper, `${at}: no upper layer`).toBe('other');
        continue;
      }
      expect(NAMES[w.upperProto] ?? 'other', at).toBe(t.upper);
      if (w.upperProto === 17 || w.upperProto === 6) {
        const sport = (batch.buf[w.upperOffset]! << 8) | batch.buf[w.upperOffset + 1]!;
        const dport = (batch.buf[w.upperOffset + 2]! << 8) | batch.buf[w.upperOffset + 3]!;
        expect([sport, dport], `${at}: ports`).toEqual([t.sport, t.dport]);
        withPorts++;
      }
    }
    expect(withPorts).toBeGreaterThan(100);
  });
});

describe('IPv6 address text', () => {
  it('known forms (RFC 5952 §4 and inet_ntop\'s dotted tails)', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longer run
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs
      ['2001:DB8::ABCD', '2001:db8::abcd'],
      ['::', '::'],
      ['::1', '::1'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['::192.0.2.1', '::192.0.2.1'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
    ];
    for (const [text, canonical] of cases) expect(formatIpv6(tryParseIpv6(text)!), text).toBe(canonical);
    for (const bad of ['', ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '1.2.3.4::', '::1.2.3', '::01.2.3.4', 'g::', '1:2:3:4:5:6:7:8::', '::%eth0']) {
      expect(tryParseIpv6(bad), bad).toBeUndefined();
    }
    expect(tryParsePrefix6('2001:db8:1::2/127')).toMatchObject({ length: 127, network: Uint32Array.of(0x20010db8, 0x10000, 0, 2) });
    expect(tryParsePrefix6('2001:db8::/129')).toBeUndefined();
    expect(tryParsePrefix6('2001:db8::/064')).toBeUndefined();
  });

  it.skipIf(!haveTool(PY, ['-c', '']))('parse and format agree with glibc inet_pton / inet_ntop on 3000 seeded strings', () => {
    // addresses with many zero groups (so "::" placement and dotted tails are exercised), printed many ways
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
    const written = fc.tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.nat(), fc.boolean()).map(([g, style, upper]) => {
      let text = g.map((x) => (style % 3 === 0 ? x.toString(16).padStart(4, '0') : x.toString(16))).join(':');
      if (style % 5 === 1) text = text.replace(/(^|:)0(:0)+(:|$)/, '::'); // a (not necessarily longest) run shortened
      if (style % 7 === 2) text = text.slice(0, text.lastIndexOf(':', text.lastIndexOf(':') - 1) + 1) + `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
      if (style % 11 === 3) text = text.replace(/:/, ':::'); // invalid
      if (style % 13 === 4) text += ':1'; // nine groups: invalid
      return upper ? text.toUpperCase() : text;
    });
    const texts = fc.sample(written, { seed: 0x6a6, numRuns: 3000 });
    const oracle = String.raw`
import json, socket, sys
out = []
for t in json.load(sys.stdin):
    try:
        b = socket.inet_pton(socket.AF_INET6, t)
        out.append([b.hex(), socket.inet_ntop(socket.AF_INET6, b)])
    except OSError:
        out.append(None)
print(json.dumps(out))`;
    const glibc = JSON.parse(execFileSync(PY, ['-c', oracle], { input: JSON.stringify(texts), encoding: 'utf8' })) as ([string, string] | null)[];
    let valid = 0;
    texts.forEach((text, i) => {
      const ours = tryParseIpv6(text);
      const theirs = glibc[i];
      if (theirs === null) return expect(ours, `${text}: glibc refuses it`).toBeUndefined();
      valid++;
      expect(ours, `${text}: glibc reads it`).toBeDefined();
      expect(Array.from(ours!, (w) => w.toString(16).padStart(8, '0')).join(''), text).toBe(theirs![0]);
      expect(formatIpv6(ours!), text).toBe(theirs![1]);
    });
    expect(valid).toBeGreaterThan(1500);
  });
});
