// The frame decoder: byte literals for every link type, the truncation and malformation boundaries, and properties.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FrameKey,
  REASON_MALFORMED,
  REASON_NAMES,
  REASON_NOT_IPV4,
  REASON_OK,
  REASON_TRUNCATED,
  REASON_UNSUPPORTED_LINKTYPE,
} from '../../src/wire/decode.js';
import { frame, ipv4Packet, vxlanFrame, type Tuple } from './frames.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const key = new FrameKey();
function decode(b: Uint8Array, linkType = 1, vxlanPort = 4789, off = 0, capLen = b.length - off): FrameKey {
  decodeFrame(b, off, capLen, linkType, vxlanPort, key);
  return key;
}

// 10.0.0.1:40000 → 192.168.100.10:443 UDP, over Ethernet
const ETH = '020000000002 020000000001';
const IP_UDP = '4500 001c 0001 0000 4011 0000 0a000001 c0a8640a';
const UDP = '9c40 01bb 0008 0000';

describe('decodeFrame on byte literals', () => {
  it('names its reasons', () => {
    expect(REASON_NAMES).toEqual(['ok', 'truncated', 'not-ipv4', 'malformed', 'unsupported-linktype', 'bad-erspan', 'bad-gre']);
    expect([REASON_OK, REASON_TRUNCATED, REASON_NOT_IPV4, REASON_MALFORMED, REASON_UNSUPPORTED_LINKTYPE]).toEqual([0, 1, 2, 3, 4]);
  });

  it('Ethernet / IPv4 / UDP', () => {
    const k = decode(hex(ETH + '0800' + IP_UDP + UDP));
    expect(k).toMatchObject({ reason: REASON_OK, l3Offset: 14, src: 0x0a000001, dst: 0xc0a8640a, proto: 17 });
    expect(k).toMatchObject({ sport: 40000, dport: 443, fragment: false, ttl: 64, ipTotalLength: 28, vxlan: false });
  });

  it('at an offset inside a bigger buffer', () => {
    const b = hex('ffffff' + ETH + '0800' + IP_UDP + UDP + 'eeee');
    const k = decode(b, 1, 4789, 3, b.length - 5);
    expect(k).toMatchObject({ reason: REASON_OK, l3Offset: 17, sport: 40000, dport: 443 });
  });

  it('802.1Q and QinQ, and a third tag is not IPv4', () => {
    expect(decode(hex(ETH + '8100 0064 0800' + IP_UDP + UDP))).toMatchObject({ reason: 0, l3Offset: 18, sport: 40000 });
    expect(decode(hex(ETH + '88a8 0014 8100 012c 0800' + IP_UDP + UDP))).toMatchObject({ reason: 0, l3Offset: 22 });
    expect(decode(hex(ETH + '8100 0014 8100 012c 0800' + IP_UDP + UDP))).toMatchObject({ reason: 0, l3Offset: 22 });
    expect(decode(hex(ETH + '88a8 0001 8100 0002 8100 0003 0800' + IP_UDP + UDP)).reason).toBe(REASON_NOT_IPV4);
  });

  it('ARP, IPv6 and 802.3 lengths are not IPv4', () => {
    expect(decode(hex(ETH + '0806' + '0001080006040001')).reason).toBe(REASON_NOT_IPV4);
    expect(decode(hex(ETH + '86dd' + '6000000000081101')).reason).toBe(REASON_NOT_IPV4);
    expect(decode(hex(ETH + '0026' + 'aaaa03000000')).reason).toBe(REASON_NOT_IPV4);
  });

  it('raw IPv4 (101, 228) and raw IPv6', () => {
    expect(decode(hex(IP_UDP + UDP), 101)).toMatchObject({ reason: 0, l3Offset: 0, sport: 40000, dport: 443 });
    expect(decode(hex(IP_UDP + UDP), 228)).toMatchObject({ reason: 0, src: 0x0a000001 });
    expect(decode(hex('6000000000081101'), 101).reason).toBe(REASON_NOT_IPV4);
    expect(decode(hex('6000000000081101'), 228).reason).toBe(REASON_MALFORMED);
    expect(decode(hex('6000000000081101'), 229).reason).toBe(REASON_NOT_IPV4);
    expect(decode(new Uint8Array(0), 101).reason).toBe(REASON_TRUNCATED);
  });

  it('BSD loopback: NULL (0) in either host byte order, LOOP (108) in network order; IPv6 families are not IPv4', () => {
    expect(decode(hex('02000000' + IP_UDP + UDP), 0)).toMatchObject({ reason: 0, l3Offset: 4, sport: 40000, dport: 443 });
    expect(decode(hex('00000002' + IP_UDP + UDP), 0)).toMatchObject({ reason: 0, l3Offset: 4 });
    expect(decode(hex('00000002' + IP_UDP + UDP), 108)).toMatchObject({ reason: 0, l3Offset: 4, src: 0x0a000001 });
    expect(decode(hex('02000000' + IP_UDP + UDP), 108).reason).toBe(REASON_NOT_IPV4);
    for (const af of ['18000000', '1c000000', '1e000000', '0a000000']) expect(decode(hex(af + '6000000000081101'), 0).reason).toBe(REASON_NOT_IPV4);
    expect(decode(hex('020000'), 0).reason).toBe(REASON_TRUNCATED);
  });

  it('PPP (9) bare and HDLC-framed, compressed protocol field; PPP_HDLC (50)', () => {
    expect(decode(hex('0021' + IP_UDP + UDP), 9)).toMatchObject({ reason: 0, l3Offset: 2, dport: 443 });
    expect(decode(hex('ff030021' + IP_UDP + UDP), 9)).toMatchObject({ reason: 0, l3Offset: 4 });
    expect(decode(hex('21' + IP_UDP + UDP), 9)).toMatchObject({ reason: 0, l3Offset: 1 });
    expect(decode(hex('ff0321' + IP_UDP + UDP), 50)).toMatchObject({ reason: 0, l3Offset: 3 });
    expect(decode(hex('0057' + '60000000'), 9).reason).toBe(REASON_NOT_IPV4);
    expect(decode(hex('c021' + '0101'), 9).reason).toBe(REASON_NOT_IPV4); // LCP
    expect(decode(hex('ff03'), 9).reason).toBe(REASON_TRUNCATED);
    expect(decode(hex('ff0300'), 9).reason).toBe(REASON_TRUNCATED);
  });

  it('raw IP as DLT_RAW (12) and OpenBSD DLT_RAW (14); another link type is unsupported', () => {
    expect(decode(hex(IP_UDP + UDP), 12)).toMatchObject({ reason: 0, l3Offset: 0 });
    expect(decode(hex(IP_UDP + UDP), 14)).toMatchObject({ reason: 0, l3Offset: 0 });
    expect(decode(hex(IP_UDP + UDP), 147).reason).toBe(REASON_UNSUPPORTED_LINKTYPE);
  });

  it('Linux cooked v1 (113) and v2 (276), with a VLAN tag', () => {
    const sll = '0000 0001 0006 020000000001 0000';
    expect(decode(hex(sll + '0800' + IP_UDP + UDP), 113)).toMatchObject({ reason: 0, l3Offset: 16, dport: 443 });
    expect(decode(hex(sll + '8100 0064 0800' + IP_UDP + UDP), 113)).toMatchObject({ reason: 0, l3Offset: 20 });
    expect(decode(hex(sll + '86dd' + '60000000'), 113).reason).toBe(REASON_NOT_IPV4);
    const sll2 = (proto: string): string => proto + '0000 00000002 0001 00 06 020000000001 0000';
    expect(decode(hex(sll2('0800') + IP_UDP + UDP), 276)).toMatchObject({ reason: 0, l3Offset: 20, sport: 40000 });
    expect(decode(hex(sll2('8100') + '0064 0800' + IP_UDP + UDP), 276)).toMatchObject({ reason: 0, l3Offset: 24 });
    expect(decode(hex(sll2('0806') + '00'), 276).reason).toBe(REASON_NOT_IPV4);
    expect(decode(hex(sll2('0800').slice(0, 38)), 276).reason).toBe(REASON_TRUNCATED);
  });

  it('an unknown link type', () => {
    expect(decode(hex(IP_UDP + UDP), 105).reason).toBe(REASON_UNSUPPORTED_LINKTYPE);
  });

  it('TCP and ICMP', () => {
    const tcp = '4500 0028 0001 4000 3f06 0000 0a000002 c0a8640a' + 'c93b 01bb 00000001 00000000 5002 2000 0000 0000';
    expect(decode(hex(ETH + '0800' + tcp))).toMatchObject({ proto: 6, sport: 51515, dport: 443, ttl: 63 });
    const icmp = '4500 001c 0001 0000 4001 0000 0a000003 c0a8640a' + '0800 f7f7 0007 0001';
    expect(decode(hex(ETH + '0800' + icmp))).toMatchObject({ reason: 0, proto: 1, sport: 0, dport: 0 });
  });

  it('ESP and AH: the SPI where ports would be, as Linux hashes it', () => {
    const esp = '4500 0020 0001 0000 4032 0000 0a000001 0a000002' + '12345678 00000001 0000 0000';
    expect(decode(hex(ETH + '0800' + esp))).toMatchObject({ proto: 50, sport: 0x1234, dport: 0x5678 });
    const ah = '4500 0024 0001 0000 4033 0000 0a000001 0a000002' + '0404 0000 abcdef01 00000001 0000 0000';
    expect(decode(hex(ETH + '0800' + ah))).toMatchObject({ proto: 51, sport: 0xabcd, dport: 0xef01 });
  });

  it('IP options move L4; fragments have ports 0', () => {
    const opt = '4800 0028 0001 0000 4011 0000 0a000001 c0a8640a 07070401 00000000 00000000' + UDP;
    expect(decode(hex(ETH + '0800' + opt))).toMatchObject({ reason: 0, sport: 40000, dport: 443 });
    const first = '4500 001c 0001 2000 4011 0000 0a000001 c0a8640a' + UDP;
    expect(decode(hex(ETH + '0800' + first))).toMatchObject({ reason: 0, fragment: true, sport: 0, dport: 0 });
    const later = '4500 001c 0001 0003 4011 0000 0a000001 c0a8640a' + '0102030405060708';
    expect(decode(hex(ETH + '0800' + later))).toMatchObject({ reason: 0, fragment: true, sport: 0, dport: 0 });
  });

  it('malformed IPv4: version, IHL < 5, total length < IHL', () => {
    expect(decode(hex(ETH + '0800' + '5500 001c' + IP_UDP.slice(8) + UDP)).reason).toBe(REASON_MALFORMED);
    expect(decode(hex(ETH + '0800' + '4400 001c' + IP_UDP.slice(8) + UDP)).reason).toBe(REASON_MALFORMED);
    expect(decode(hex(ETH + '0800' + '4500 0013' + IP_UDP.slice(8) + UDP)).reason).toBe(REASON_MALFORMED);
    expect(decode(hex(ETH + '0800' + '4500 0000' + IP_UDP.slice(8) + UDP)).reason).toBe(REASON_MALFORMED);
    // total length = IHL exactly: a valid header-only packet, no ports
    expect(decode(hex(ETH + '0800' + '4500 0014' + IP_UDP.slice(8) + UDP))).toMatchObject({ reason: 0, sport: 0 });
  });

  it('truncated inside the headers; a snaplen cut after the ports still has its key', () => {
    const b = hex(ETH + '0800' + IP_UDP + UDP);
    for (let cap = 0; cap < 38; cap++) expect(decode(b, 1, 4789, 0, cap).reason, `capLen ${cap}`).toBe(REASON_TRUNCATED);
    for (let cap = 38; cap <= b.length; cap++) {
      expect(decode(b, 1, 4789, 0, cap), `capLen ${cap}`).toMatchObject({ reason: 0, sport: 40000, dport: 443 });
    }
  });

  it('Ethernet padding beyond the IP total length is not the packet', () => {
    // total length 24: the UDP header does not fit in the packet, whatever the padding holds: ports 0, key ok
    const short = '4500 0018 0001 0000 4011 0000 0a000001 c0a8640a' + '9c40 01bb' + '0000000000000000000000000000';
    expect(decode(hex(ETH + '0800' + short))).toMatchObject({ reason: 0, sport: 0x9c40, dport: 0x01bb });
    const shorter = '4500 0016 0001 0000 4011 0000 0a000001 c0a8640a' + '9c40 01bb' + '000000000000000000000000000000';
    expect(decode(hex(ETH + '0800' + shorter))).toMatchObject({ reason: 0, sport: 0, dport: 0 });
  });

  it('VXLAN: the outer key, the VNI and the inner key', () => {
    const inner = ETH + '8100 002a 0800' + '4500 0028 0001 0000 4006 0000 0a000008 c0a8640a' + '9c42 0016 00000001 00000000 5002 2000 0000 0000';
    const innerLen = hex(inner).length;
    const outerIp = `4500 ${(20 + 16 + innerLen).toString(16).padStart(4, '0')} 0001 4000 4011 0000 0a0101fe 0a010103`;
    const outerUdp = `c351 12b5 ${(16 + innerLen).toString(16).padStart(4, '0')} 0000`;
    const b = hex(ETH + '0800' + outerIp + outerUdp + '08000000 abcdef00' + inner);
    const k = decode(b);
    expect(k).toMatchObject({ reason: 0, src: 0x0a0101fe, dst: 0x0a010103, proto: 17, sport: 50001, dport: 4789 });
    expect(k).toMatchObject({ vxlan: true, vni: 0xabcdef, innerL2Offset: 50, innerCapLen: innerLen });
    expect(k).toMatchObject({ innerReason: 0, innerL3Offset: 68, innerSrc: 0x0a000008, innerDst: 0xc0a8640a });
    expect(k).toMatchObject({ innerProto: 6, innerSport: 40002, innerDport: 22, innerFragment: false });
    // another VXLAN port: plain UDP
    expect(decode(b, 1, 8472)).toMatchObject({ reason: 0, vxlan: false, dport: 4789 });
    // I flag clear: plain UDP
    const noI = b.slice();
    noI[42] = 0;
    expect(decode(noI)).toMatchObject({ reason: 0, vxlan: false });
    // cut inside the VXLAN header: truncated underlay
    expect(decode(b, 1, 4789, 0, 45).reason).toBe(REASON_TRUNCATED);
    // cut inside the inner frame: outer ok, inner truncated
    expect(decode(b, 1, 4789, 0, 60)).toMatchObject({ reason: 0, vxlan: true, innerCapLen: 10, innerReason: REASON_TRUNCATED });
  });

  it('a UDP packet to 4789 too short to hold VXLAN is plain UDP', () => {
    const b = hex(ETH + '0800' + '4500 001e 0001 0000 4011 0000 0a000001 0a000002' + 'c351 12b5 000a 0000 0800');
    expect(decode(b)).toMatchObject({ reason: 0, vxlan: false, dport: 4789 });
  });

  it('VXLAN carrying IPv6 inside', () => {
    const inner = ETH + '86dd' + '6000000000081101';
    const b = vxlanFrame(hex(inner), 1, 2, 3, 77);
    expect(decode(b)).toMatchObject({ reason: 0, vxlan: true, vni: 77, innerReason: REASON_NOT_IPV4 });
  });

  it('resets every field between frames', () => {
    const vx = vxlanFrame(frame(ipv4Packet({ src: 1, dst: 2, proto: 17, sport: 3, dport: 4 })), 5, 6, 7, 8);
    decode(vx);
    expect(key.vxlan).toBe(true);
    const k = decode(hex(ETH + '0806' + '00'));
    const fresh = new FrameKey();
    fresh.reason = REASON_NOT_IPV4;
    expect({ ...k }).toEqual({ ...fresh });
  });
});

const tupleArb = fc.record({
  src: fc.nat({ max: 0xffffffff }),
  dst: fc.nat({ max: 0xffffffff }),
  proto: fc.constantFrom(1, 6, 17, 47, 132),
  sport: fc.nat({ max: 0xffff }),
  dport: fc.nat({ max: 0xffff }),
});
const optsArb = fc.record({
  linkType: fc.constantFrom(1, 101, 228, 113, 276),
  vlans: fc.nat({ max: 2 }),
  ipOptionsWords: fc.nat({ max: 10 }),
  fragment: fc.constantFrom('none' as const, 'first' as const, 'later' as const),
  payload: fc.nat({ max: 40 }),
});

describe('decodeFrame properties', () => {
  it('a 5-tuple survives build then decode, on every link type', () => {
    fc.assert(
      fc.property(tupleArb, optsArb, (t: Tuple, o) => {
        const vlans = o.linkType === 101 || o.linkType === 228 ? 0 : o.vlans;
        const b = frame(ipv4Packet(t, o), { ...o, vlans });
        const k = decode(b, o.linkType, -1);
        const ported = o.fragment === 'none' && (t.proto === 6 || t.proto === 17 || t.proto === 132);
        expect(k.reason).toBe(REASON_OK);
        expect([k.src, k.dst, k.proto]).toEqual([t.src, t.dst, t.proto]);
        expect([k.sport, k.dport]).toEqual(ported ? [t.sport, t.dport] : [0, 0]);
        expect(k.fragment).toBe(o.fragment !== 'none');
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('an inner 5-tuple survives VXLAN encapsulation then decode', () => {
    fc.assert(
      fc.property(tupleArb, tupleArb, fc.nat({ max: 0xffffff }), fc.nat({ max: 2 }), (outer, inner, vni, vlans) => {
        const b = vxlanFrame(frame(ipv4Packet(inner), { vlans }), outer.src, outer.dst, outer.sport, vni);
        const k = decode(b);
        expect(k).toMatchObject({ reason: 0, vxlan: true, vni, src: outer.src, dst: outer.dst, sport: outer.sport, dport: 4789 });
        expect([k.innerSrc, k.innerDst, k.innerProto]).toEqual([inner.src, inner.dst, inner.proto]);
        const ported = inner.proto === 6 || inner.proto === 17 || inner.proto === 132;
        expect([k.innerSport, k.innerDport]).toEqual(ported ? [inner.sport, inner.dport] : [0, 0]);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('arbitrary bytes never throw and always give a known reason, offsets inside the frame', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0, 1, 12, 101, 113, 228, 229, 276, 65535),
        fc.nat({ max: 3 }),
        (bytes, linkType, pre) => {
          const b = new Uint8Array(pre + bytes.length);
          b.set(bytes, pre);
          const k = decode(b, linkType, 4789, pre, bytes.length);
          expect(k.reason).toBeGreaterThanOrEqual(0);
          expect(k.reason).toBeLessThan(REASON_NAMES.length);
          if (k.vxlan) {
            expect(k.innerL2Offset + k.innerCapLen).toBeLessThanOrEqual(b.length);
            expect(k.innerReason).toBeLessThan(REASON_NAMES.length);
          }
        },
      ),
      { seed: 42, numRuns: 5000 },
    );
  });

  it('arbitrary bytes behind valid headers (VXLAN-shaped) never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat({ max: 170 }), (tail, cut) => {
        const head = vxlanFrame(new Uint8Array(0), 1, 2, 3, 4);
        const b = new Uint8Array(head.length + tail.length);
        b.set(head);
        b.set(tail, head.length);
        const k = decode(b, 1, 4789, 0, Math.min(cut, b.length));
        expect(k.reason).toBeLessThan(REASON_NAMES.length);
      }),
      { seed: 42, numRuns: 3000 },
    );
  });
});
