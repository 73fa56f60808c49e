// The frame decoder: byte literals for every link type, the truncation and malformation boundaries, and properties.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FrameKey,
  REASON_MALFORMED,
  REASON_NAMES,
  REASON_NOT_IP,
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
// fd00::1:40000 → 2001:db8::a:443 UDP, flow label 0x12345, hop limit 64
const IP6_ADDRS = 'fd000000 00000000 00000000 00000001 20010db8 00000000 00000000 0000000a';
const IP6_UDP = '60012345 00081140' + IP6_ADDRS;
const V6_KEY = { reason: 0, family: 6, proto: 17, sport: 40000, dport: 443, flowLabel: 0x12345, fragment: false };

describe('decodeFrame on byte literals', () => {
  it('names its reasons', () => {
    expect(REASON_NAMES).toEqual(['ok', 'truncated', 'not-ipv4', 'malformed', 'unsupported-linktype', 'bad-erspan', 'bad-gre']);
    expect([REASON_OK, REASON_TRUNCATED, REASON_NOT_IP, REASON_MALFORMED, REASON_UNSUPPORTED_LINKTYPE]).toEqual([0, 1, 2, 3, 4]);
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
    expect(decode(hex(ETH + '88a8 0001 8100 0002 8100 0003 0800' + IP_UDP + UDP)).reason).toBe(REASON_NOT_IP);
  });

  it('ARP and 802.3 lengths are not IP; IPv6 is decoded', () => {
    expect(decode(hex(ETH + '0806' + '0001080006040001')).reason).toBe(REASON_NOT_IP);
    expect(decode(hex(ETH + '0026' + 'aaaa03000000')).reason).toBe(REASON_NOT_IP);
    expect(decode(hex(ETH + '86dd' + IP6_UDP + UDP))).toMatchObject(V6_KEY);
    expect(decode(hex(ETH + '86dd' + '6000000000081101')).reason).toBe(REASON_TRUNCATED);
    expect(decode(hex(ETH + '86dd' + '4' + IP6_UDP.slice(1) + UDP)).reason).toBe(REASON_MALFORMED);
  });

  it('IPv6: addresses as words, the flow label, hop limit, length; VLAN and QinQ', () => {
    const k = decode(hex(ETH + '86dd' + IP6_UDP + UDP));
    expect([...k.src6]).toEqual([0xfd000000, 0, 0, 1]);
    expect([...k.dst6]).toEqual([0x20010db8, 0, 0, 0x0a]);
    expect(k).toMatchObject({ l3Offset: 14, src: 0, dst: 0, ttl: 64, ipTotalLength: 48 });
    expect(decode(hex(ETH + '8100 0064 86dd' + IP6_UDP + UDP))).toMatchObject({ ...V6_KEY, l3Offset: 18 });
    expect(decode(hex(ETH + '88a8 0014 8100 012c 86dd' + IP6_UDP + UDP))).toMatchObject({ ...V6_KEY, l3Offset: 22 });
    // padding past the payload length is not the packet's; a payload length past the capture is truncated
    expect(decode(hex(ETH + '86dd' + IP6_UDP + UDP + '0000'))).toMatchObject(V6_KEY);
    expect(decode(hex(ETH + '86dd' + IP6_UDP.replace('00081140', '000c1140') + UDP)).reason).toBe(REASON_OK);
    expect(decode(hex(ETH + '86dd' + IP6_UDP.replace('00081140', '00021140') + UDP))).toMatchObject({ reason: 0, sport: 0, dport: 0 });
  });

  it('IPv6 extension headers: ports past them, fragments with ports 0, AH and ESP by their SPI, ICMPv6 without', () => {
    const v6 = (nh: string, len: number, rest: string): Uint8Array => hex(ETH + '86dd' + `60012345${len.toString(16).padStart(4, '0')}${nh}40` + IP6_ADDRS + rest);
    const hbh = (nh: string): string => nh + '00 0104 00000000';
    expect(decode(v6('00', 16, hbh('11') + UDP))).toMatchObject({ ...V6_KEY, fragment: false });
    expect(decode(v6('3c', 24, '2b00 0104 00000000' + '1100 0104 00000000' + UDP))).toMatchObject(V6_KEY); // dstopts, routing
    expect(decode(v6('2c', 16, '1100 0001 0000004d' + UDP))).toMatchObject({ reason: 0, proto: 17, sport: 0, dport: 0, fragment: true });
    expect(decode(v6('2c', 16, '1100 0068 0000004d' + UDP))).toMatchObject({ reason: 0, proto: 17, sport: 0, dport: 0, fragment: true });
    expect(decode(v6('33', 20, '1101 0000 12345678 00000000' + UDP))).toMatchObject({ reason: 0, proto: 51, sport: 0x1234, dport: 0x5678 });
    expect(decode(v6('32', 8, 'deadbeef 00000001'))).toMatchObject({ reason: 0, proto: 50, sport: 0xdead, dport: 0xbeef });
    expect(decode(v6('3a', 8, '8000 0000 0009 0001'))).toMatchObject({ reason: 0, proto: 58, sport: 0, dport: 0 });
    expect(decode(v6('3b', 0, ''))).toMatchObject({ reason: 0, proto: 59, sport: 0, dport: 0 });
    // cut inside an extension header by the capture: truncated; by the payload length: malformed
    expect(decode(v6('00', 16, hbh('11').slice(0, 8))).reason).toBe(REASON_TRUNCATED);
    expect(decode(v6('00', 4, hbh('11') + UDP)).reason).toBe(REASON_MALFORMED);
    // 16 extension headers are more than Linux's dissector walks
    expect(decode(v6('3c', 128, '3c00 0104 00000000'.repeat(16) + UDP)).reason).toBe(REASON_MALFORMED);
  });

  it('raw IPv4 (101, 228) and raw IPv6', () => {
    expect(decode(hex(IP_UDP + UDP), 101)).toMatchObject({ reason: 0, l3Offset: 0, sport: 40000, dport: 443 });
    expect(decode(hex(IP_UDP + UDP), 228)).toMatchObject({ reason: 0, src: 0x0a000001 });
    expect(decode(hex(IP6_UDP + UDP), 101)).toMatchObject({ ...V6_KEY, l3Offset: 0 });
    expect(decode(hex(IP6_UDP + UDP), 12)).toMatchObject(V6_KEY);
    expect(decode(hex(IP6_UDP + UDP), 228).reason).toBe(REASON_MALFORMED);
    expect(decode(hex(IP6_UDP + UDP), 229)).toMatchObject({ ...V6_KEY, l3Offset: 0 });
    expect(decode(hex(IP_UDP + UDP), 229).reason).toBe(REASON_MALFORMED);
    expect(decode(new Uint8Array(0), 101).reason).toBe(REASON_TRUNCATED);
  });

  it('BSD loopback: NULL (0) in either host byte order, LOOP (108) in network order; the BSD AF_INET6 values', () => {
    expect(decode(hex('02000000' + IP_UDP + UDP), 0)).toMatchObject({ reason: 0, l3Offset: 4, sport: 40000, dport: 443 });
    expect(decode(hex('00000002' + IP_UDP + UDP), 0)).toMatchObject({ reason: 0, l3Offset: 4 });
    expect(decode(hex('00000002' + IP_UDP + UDP), 108)).toMatchObject({ reason: 0, l3Offset: 4, src: 0x0a000001 });
    expect(decode(hex('02000000' + IP_UDP + UDP), 108).reason).toBe(REASON_NOT_IP);
    for (const af of ['18000000', '1c000000', '1e000000', '0000001e']) expect(decode(hex(af + IP6_UDP + UDP), 0)).toMatchObject({ ...V6_KEY, l3Offset: 4 });
    expect(decode(hex('0000001c' + IP6_UDP + UDP), 108)).toMatchObject(V6_KEY);
    // Linux's AF_INET6 (10) is no BSD's: Wireshark shows such a frame as data
    expect(decode(hex('0a000000' + IP6_UDP + UDP), 0).reason).toBe(REASON_NOT_IP);
    expect(decode(hex('020000'), 0).reason).toBe(REASON_TRUNCATED);
  });

  it('PPP (9) bare and HDLC-framed, compressed protocol field; PPP_HDLC (50)', () => {
    expect(decode(hex('0021' + IP_UDP + UDP), 9)).toMatchObject({ reason: 0, l3Offset: 2, dport: 443 });
    expect(decode(hex('ff030021' + IP_UDP + UDP), 9)).toMatchObject({ reason: 0, l3Offset: 4 });
    expect(decode(hex('21' + IP_UDP + UDP), 9)).toMatchObject({ reason: 0, l3Offset: 1 });
    expect(decode(hex('ff0321' + IP_UDP + UDP), 50)).toMatchObject({ reason: 0, l3Offset: 3 });
    expect(decode(hex('0057' + IP6_UDP + UDP), 9)).toMatchObject({ ...V6_KEY, l3Offset: 2 });
    expect(decode(hex('ff0357' + IP6_UDP + UDP), 50)).toMatchObject({ ...V6_KEY, l3Offset: 3 });
    expect(decode(hex('c021' + '0101'), 9).reason).toBe(REASON_NOT_IP); // LCP
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
    expect(decode(hex(sll + '86dd' + IP6_UDP + UDP), 113)).toMatchObject({ ...V6_KEY, l3Offset: 16 });
    expect(decode(hex(sll + '8100 0064 86dd' + IP6_UDP + UDP), 113)).toMatchObject({ ...V6_KEY, l3Offset: 20 });
    const sll2 = (proto: string): string => proto + '0000 00000002 0001 00 06 020000000001 0000';
    expect(decode(hex(sll2('0800') + IP_UDP + UDP), 276)).toMatchObject({ reason: 0, l3Offset: 20, sport: 40000 });
    expect(decode(hex(sll2('8100') + '0064 0800' + IP_UDP + UDP), 276)).toMatchObject({ reason: 0, l3Offset: 24 });
    expect(decode(hex(sll2('0806') + '00'), 276).reason).toBe(REASON_NOT_IP);
    expect(decode(hex(sll2('86dd') + IP6_UDP + UDP), 276)).toMatchObject({ ...V6_KEY, l3Offset: 20 });
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

  it('a mirror over IPv6: Ethernet over GRE (TEB) and ERSPAN II inside IPv6 are unwrapped to the frame they carry', () => {
    const inner = ETH + '0800' + IP_UDP + UDP;
    const teb = '0000 6558' + inner;
    const t = decode(hex(ETH + '86dd' + `60000000${(hex(teb).length).toString(16).padStart(4, '0')}2f40` + IP6_ADDRS + teb));
    expect(t).toMatchObject({ reason: 0, family: 4, mirror: 1, src: 0x0a000001, dst: 0xc0a8640a, sport: 40000, dport: 443 });
    const erspan = '1000 88be 00000001' + '1000 0007 0000 0000' + inner; // GRE with S, sequence 1; ERSPAN II session 7
    const e = decode(hex(ETH + '86dd' + `60000000${(hex(erspan).length).toString(16).padStart(4, '0')}2f40` + IP6_ADDRS + erspan));
    expect(e).toMatchObject({ reason: 0, family: 4, mirror: 3, mirrorSession: 7, dport: 443 });
    // unwrap = false: the GRE packet over IPv6 is the flow
    decodeFrame(hex(ETH + '86dd' + `60000000${(hex(teb).length).toString(16).padStart(4, '0')}2f40` + IP6_ADDRS + teb), 0, 14 + 40 + hex(teb).length, 1, 4789, key, false);
    expect(key).toMatchObject({ reason: 0, family: 6, proto: 47, mirror: 0 });
  });

  it('VXLAN carrying IPv6 inside, and VXLAN over IPv6', () => {
    const inner = hex(ETH + '86dd' + IP6_UDP + UDP);
    const k = decode(vxlanFrame(inner, 1, 2, 3, 77));
    expect(k).toMatchObject({ reason: 0, family: 4, vxlan: true, vni: 77, innerReason: 0, innerFamily: 6, innerProto: 17, innerSport: 40000, innerDport: 443, innerFlowLabel: 0x12345 });
    expect([...k.innerSrc6, ...k.innerDst6]).toEqual([0xfd000000, 0, 0, 1, 0x20010db8, 0, 0, 0x0a]);
    expect(decode(vxlanFrame(hex(ETH + '86dd' + '6000000000081101'), 1, 2, 3, 77))).toMatchObject({ vxlan: true, innerReason: REASON_TRUNCATED });
    // outer IPv6 UDP to 4789 with a VXLAN header, inner IPv4
    const innerV4 = ETH + '0800' + IP_UDP + UDP;
    const udpLen = 8 + 8 + innerV4.replace(/\s+/g, '').length / 2;
    const outer = ETH + '86dd' + `60000000${udpLen.toString(16).padStart(4, '0')}1140` + IP6_ADDRS + `c351 12b5 ${udpLen.toString(16).padStart(4, '0')} 0000` + '08000000 00004d00' + innerV4;
    const o = decode(hex(outer));
    expect(o).toMatchObject({ reason: 0, family: 6, proto: 17, sport: 50001, dport: 4789, vxlan: true, vni: 77, innerReason: 0, innerFamily: 4, innerSrc: 0x0a000001, innerDport: 443 });
    expect(decode(hex(outer).subarray(0, 14 + 40 + 8 + 4)).reason).toBe(REASON_TRUNCATED);
  });

  it('resets every field between frames (the IPv6 words are meaningful only for family 6, and left as they were)', () => {
    const vx = vxlanFrame(frame(ipv4Packet({ src: 1, dst: 2, proto: 17, sport: 3, dport: 4 })), 5, 6, 7, 8);
    decode(vx);
    expect(key.vxlan).toBe(true);
    const scalars = (k: FrameKey): Record<string, unknown> => Object.fromEntries(Object.entries(k).filter(([, v]) => !(v instanceof Uint32Array)));
    const k = decode(hex(ETH + '0806' + '00'));
    const fresh = new FrameKey();
    fresh.reason = REASON_NOT_IP;
    expect(scalars(k)).toEqual(scalars(fresh));
    decode(vxlanFrame(hex(ETH + '86dd' + IP6_UDP + UDP), 1, 2, 3, 77));
    expect(scalars(decode(hex(ETH + '0806' + '00')))).toEqual(scalars(fresh));
    expect(Object.keys(scalars(fresh)).length).toBe(Object.keys(fresh).length - 4);
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

describe('decodeFrame on mutated IPv6 frames', () => {
  const v6 = (nh: string, len: number, rest: string): string => `60012345${len.toString(16).padStart(4, '0')}${nh}40` + IP6_ADDRS + rest;
  const innerV6 = ETH + '86dd' + IP6_UDP + UDP;
  const udpLen = 8 + 8 + hex(innerV6).length;
  const SEEDS = [
    ETH + '86dd' + IP6_UDP + UDP,
    ETH + '8100 0064 86dd' + v6('00', 16, '1100 0104 00000000' + UDP),
    ETH + '86dd' + v6('3c', 32, '2b00 0104 00000000' + '2c00 0104 00000000' + '1100 0001 0000004d' + UDP),
    ETH + '86dd' + v6('33', 20, '1101 0000 12345678 00000000' + UDP),
    ETH + '86dd' + v6('11', udpLen, `c351 12b5 ${udpLen.toString(16).padStart(4, '0')} 0000` + '08000000 00004d00' + innerV6),
  ].map(hex);

  it('flipped bytes and any truncation never throw, and give a known reason with offsets inside the frame', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: SEEDS.length - 1 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.nat({ max: 255 }) }), { maxLength: 6 }),
        fc.nat(),
        (which, flips, cut) => {
          const b = Uint8Array.from(SEEDS[which]!);
          for (const f of flips) b[f.at % b.length] = f.value;
          const k = decode(b, 1, 4789, 0, cut % (b.length + 1));
          expect(k.reason).toBeLessThan(REASON_NAMES.length);
          expect(k.l3Offset).toBeLessThanOrEqual(b.length);
          if (k.vxlan) expect(k.innerL2Offset + k.innerCapLen).toBeLessThanOrEqual(b.length);
        },
      ),
      { seed: 7, numRuns: 20000 },
    );
  });

  it('a frame cut anywhere past its ports keeps its key; cut before, it is truncated', () => {
    // where each key is whole: past the ports; past the fragment header (ports 0); past AH, which the walk crosses
    const NEED = [14 + 40 + 4, 18 + 40 + 8 + 4, 14 + 40 + 8 + 8 + 8, 14 + 40 + 12];
    for (const [i, seed] of SEEDS.slice(0, 4).entries()) {
      const whole = decode(seed);
      const full = { ...whole, src6: [...whole.src6], dst6: [...whole.dst6] };
      const need = NEED[i]!;
      for (let cut = 0; cut < seed.length; cut++) {
        const k = decode(seed, 1, 4789, 0, cut);
        if (cut >= need) expect({ ...k, src6: [...k.src6], dst6: [...k.dst6] }).toEqual(full);
        else expect([cut, k.reason]).toEqual([cut, REASON_TRUNCATED]);
      }
    }
  });
});
