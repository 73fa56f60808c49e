// Byte-literal tests per header, smoltcp style: deconstruct, construct, and round trip.

import { describe, expect, it } from 'vitest';
import { internetChecksum, l4Checksum } from '../../src/wire/checksum.js';
import * as eth from '../../src/wire/ethernet.js';
import * as icmp from '../../src/wire/icmp.js';
import * as ip from '../../src/wire/ipv4.js';
import * as sll from '../../src/wire/sll.js';
import * as tcp from '../../src/wire/tcp.js';
import * as udp from '../../src/wire/udp.js';
import * as vlan from '../../src/wire/vlan.js';
import * as vx from '../../src/wire/vxlan.js';
import { EmuError } from '../../src/errors.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ethernet', () => {
  const bytes = hex('020000000002 020000000001 0800');
  it('deconstructs', () => {
    expect(eth.ethernetCheckLen(bytes.length)).toBe(true);
    expect(eth.ethernetCheckLen(13)).toBe(false);
    expect(eth.ethernetDstHi16(bytes, 0)).toBe(0x0200);
    expect(eth.ethernetDstLo32(bytes, 0)).toBe(0x00000002);
    expect(eth.ethernetSrcLo32(bytes, 0)).toBe(0x00000001);
    expect(eth.ethernetType(bytes, 0)).toBe(eth.ETHERTYPE_IPV4);
  });
  it('constructs at an offset', () => {
    const b = new Uint8Array(20);
    expect(eth.writeEthernet(b, 3, 0x0200, 2, 0x0200, 1, 0x0800)).toBe(17);
    expect(toHex(b.subarray(3, 17))).toBe(toHex(bytes));
  });
  it('parses and formats MACs', () => {
    const m = eth.parseMac('02:00:0a:ff:01:fe')!;
    expect(m).toEqual({ hi16: 0x0200, lo32: 0x0aff01fe });
    expect(eth.formatMac(m.hi16, m.lo32)).toBe('02:00:0a:ff:01:fe');
    expect(eth.parseMac('02:00:0a:ff:01')).toBeUndefined();
  });
});

describe('vlan', () => {
  // PCP 5, DEI 1, VID 100, then IPv4
  const tag = hex('b064 0800');
  it('deconstructs', () => {
    expect(vlan.vlanPcp(tag, 0)).toBe(5);
    expect(vlan.vlanDei(tag, 0)).toBe(true);
    expect(vlan.vlanId(tag, 0)).toBe(100);
    expect(vlan.vlanInnerType(tag, 0)).toBe(0x0800);
    expect(vlan.isVlanEtherType(0x8100) && vlan.isVlanEtherType(0x88a8)).toBe(true);
    expect(vlan.isVlanEtherType(0x9100)).toBe(false);
  });
  it('constructs and round-trips', () => {
    const b = new Uint8Array(4);
    expect(vlan.writeVlanTag(b, 0, 5, true, 100, 0x0800)).toBe(4);
    expect(toHex(b)).toBe(toHex(tag));
  });
});

describe('ipv4', () => {
  // The classic example header: 192.168.0.1 → 192.168.0.199, UDP, DF, TTL 64, checksum 0xb861.
  const header = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
  it('deconstructs', () => {
    expect(ip.ipv4Version(header, 0)).toBe(4);
    expect(ip.ipv4HeaderLen(header, 0)).toBe(20);
    expect(ip.ipv4TotalLength(header, 0)).toBe(0x73);
    expect(ip.ipv4DontFragment(header, 0)).toBe(true);
    expect(ip.ipv4MoreFragments(header, 0)).toBe(false);
    expect(ip.ipv4IsFragment(header, 0)).toBe(false);
    expect(ip.ipv4Ttl(header, 0)).toBe(64);
    expect(ip.ipv4Protocol(header, 0)).toBe(17);
    expect(ip.ipv4ChecksumField(header, 0)).toBe(0xb861);
    expect(ip.ipv4Src(header, 0)).toBe(0xc0a80001);
    expect(ip.ipv4Dst(header, 0)).toBe(0xc0a800c7);
    expect(ip.ipv4ChecksumValid(header, 0, 20)).toBe(true);
    expect(ip.ipv4Checksum(header, 0, 20)).toBe(0xb861);
  });
  it('constructs the same bytes', () => {
    const b = new Uint8Array(24);
    const end = ip.writeIpv4Header(b, 4, 0, 0x73, 0, ip.IPV4_FLAG_DF, 64, 17, 0xc0a80001, 0xc0a800c7);
    expect(end).toBe(24);
    expect(toHex(b.subarray(4))).toBe(toHex(header));
  });
  it('detects a wrong checksum and fills it', () => {
    const b = header.slice();
    b[8] = 63; // TTL changed, checksum stale
    expect(ip.ipv4ChecksumValid(b, 0, 20)).toBe(false);
    ip.ipv4FillChecksum(b, 0, 20);
    expect(ip.ipv4ChecksumValid(b, 0, 20)).toBe(true);
  });
  it('reads fragment fields and options length', () => {
    // IHL 6 (one 4-byte option), MF set, offset 185 units = 1480 bytes
    const f = hex('4600 0020 1234 20b9 4001 0000 0a000001 0a000002 01010100');
    expect(ip.ipv4HeaderLen(f, 0)).toBe(24);
    expect(ip.ipv4MoreFragments(f, 0)).toBe(true);
    expect(ip.ipv4FragmentOffset(f, 0)).toBe(1480);
    expect(ip.ipv4IsFragment(f, 0)).toBe(true);
    expect(ip.ipv4Ident(f, 0)).toBe(0x1234);
    ip.ipv4FillChecksum(f, 0, 24);
    expect(ip.ipv4ChecksumValid(f, 0, 24)).toBe(true);
    expect(internetChecksum(f, 0, 24)).toBe(0);
  });
  it('parses and formats addresses and prefixes', () => {
    expect(ip.parseIpv4('1.2.3.4')).toBe(0x01020304);
    expect(ip.parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(ip.formatIpv4(0xc0a86401)).toBe('192.168.100.1');
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '']) {
      expect(ip.tryParseIpv4(bad)).toBe(-1);
      expect(() => ip.parseIpv4(bad)).toThrow(EmuError);
    }
    expect(ip.parsePrefix('10.0.0.0/8')).toEqual({ address: 0x0a000000, network: 0x0a000000, length: 8, mask: 0xff000000 });
    expect(ip.parsePrefix('172.16.1.1/31')).toEqual({
      address: 0xac100101,
      network: 0xac100100,
      length: 31,
      mask: 0xfffffffe,
    });
    expect(ip.parsePrefix('0.0.0.0/0').mask).toBe(0);
    expect(ip.parsePrefix('1.2.3.4/32').mask).toBe(0xffffffff);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/08', '10.0.0/8', '10.0.0.0/']) {
      expect(ip.tryParsePrefix(bad)).toBeUndefined();
      expect(() => ip.parsePrefix(bad)).toThrow(/bad IPv4 prefix/);
    }
    expect(ip.formatPrefix(0x0a000000, 8)).toBe('10.0.0.0/8');
  });
});

describe('udp', () => {
  // 10.0.0.1:40000 → 10.0.0.2:53, 4 bytes of payload "abcd", checksum verified with the pseudo-header
  const src = 0x0a000001;
  const dst = 0x0a000002;
  const dgram = hex('9c40 0035 000c 0000 61626364');
  it('deconstructs', () => {
    expect(udp.udpSrcPort(dgram, 0)).toBe(40000);
    expect(udp.udpDstPort(dgram, 0)).toBe(53);
    expect(udp.udpLength(dgram, 0)).toBe(12);
    expect(udp.udpChecksumValid(dgram, 0, src, dst)).toBe(true); // 0 = no checksum
  });
  it('constructs, fills the checksum, verifies it', () => {
    const b = dgram.slice();
    b.fill(0, 0, 8);
    expect(udp.writeUdpHeader(b, 0, 40000, 53, 12, 0)).toBe(8);
    expect(toHex(b)).toBe(toHex(dgram));
    udp.udpFillChecksum(b, 0, src, dst);
    // by hand: pseudo 0a00+0001+0a00+0002+0011+000c, udp 9c40+0035+000c, data 6162+6364
    const sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x11 + 0x0c + 0x9c40 + 0x0035 + 0x000c + 0x6162 + 0x6364;
    const folded = (sum & 0xffff) + (sum >>> 16);
    expect(udp.udpChecksumField(b, 0)).toBe(~folded & 0xffff);
    expect(udp.udpChecksumValid(b, 0, src, dst)).toBe(true);
    b[11] ^= 1;
    expect(udp.udpChecksumValid(b, 0, src, dst)).toBe(false);
  });
  it('sends a computed zero as 0xffff', () => {
    // Choose data so that the sum is 0xffff before inversion.
    const b = new Uint8Array(10);
    udp.writeUdpHeader(b, 0, 0, 0, 10, 0);
    const partial = l4Checksum(b, 0, 10, 0, 0, 17, false); // with zero data
    // make the data word equal to the checksum, so the total becomes 0xffff
    b[8] = partial >>> 8;
    b[9] = partial & 0xff;
    expect(l4Checksum(b, 0, 10, 0, 0, 17, true)).toBe(0xffff);
  });
});

describe('tcp', () => {
  // A SYN: 10.0.0.1:51515 → 10.0.0.2:443, seq 1000, window 8192, data offset 5
  const seg = hex('c93b 01bb 000003e8 00000000 5002 2000 0000 0000');
  it('deconstructs', () => {
    expect(tcp.tcpSrcPort(seg, 0)).toBe(51515);
    expect(tcp.tcpDstPort(seg, 0)).toBe(443);
    expect(tcp.tcpSeq(seg, 0)).toBe(1000);
    expect(tcp.tcpAck(seg, 0)).toBe(0);
    expect(tcp.tcpHeaderLen(seg, 0)).toBe(20);
    expect(tcp.tcpFlags(seg, 0)).toBe(tcp.TCP_SYN);
    expect(tcp.tcpWindow(seg, 0)).toBe(8192);
  });
  it('constructs and checksums', () => {
    const b = new Uint8Array(20);
    expect(tcp.writeTcpHeader(b, 0, 51515, 443, 1000, 0, tcp.TCP_SYN, 8192)).toBe(20);
    expect(toHex(b)).toBe(toHex(seg));
    tcp.tcpFillChecksum(b, 0, 20, 0x0a000001, 0x0a000002);
    expect(tcp.tcpChecksumValid(b, 0, 20, 0x0a000001, 0x0a000002)).toBe(true);
    expect(tcp.tcpChecksumValid(b, 0, 20, 0x0a000001, 0x0a000003)).toBe(false);
  });
});

describe('icmp', () => {
  // Echo request id 7 seq 1, no data: checksum = ~(0x0800 + 0x0007 + 0x0001) = 0xf7f7
  const msg = hex('0800 f7f7 0007 0001');
  it('deconstructs', () => {
    expect(icmp.icmpType(msg, 0)).toBe(icmp.ICMP_ECHO_REQUEST);
    expect(icmp.icmpCode(msg, 0)).toBe(0);
    expect(icmp.icmpEchoIdent(msg, 0)).toBe(7);
    expect(icmp.icmpEchoSeq(msg, 0)).toBe(1);
    expect(icmp.icmpChecksumValid(msg, 0, 8)).toBe(true);
  });
  it('constructs', () => {
    const b = new Uint8Array(8);
    expect(icmp.writeIcmpEcho(b, 0, icmp.ICMP_ECHO_REQUEST, 7, 1)).toBe(8);
    icmp.icmpFillChecksum(b, 0, 8);
    expect(toHex(b)).toBe(toHex(msg));
  });
});

describe('vxlan', () => {
  const header = hex('08000000 002774 00'); // VNI 10100
  it('deconstructs', () => {
    expect(vx.vxlanValid(header, 0)).toBe(true);
    expect(vx.vxlanVni(header, 0)).toBe(10100);
    expect(vx.vxlanValid(hex('00000000 00277400'), 0)).toBe(false);
    // reserved bits are ignored on receipt
    expect(vx.vxlanValid(hex('ff000000 00277400'), 0)).toBe(true);
  });
  it('constructs', () => {
    const b = new Uint8Array(8).fill(0xee);
    expect(vx.writeVxlanHeader(b, 0, 10100)).toBe(8);
    expect(toHex(b)).toBe(toHex(header));
  });
  it('writes the whole 50-byte encapsulation', () => {
    const b = new Uint8Array(50 + 60);
    const inner = vx.writeVxlanEncap(b, 0, 0x0200, 0x0a010103, 0x0200, 0x0a0101fe, 0x0a0101fe, 0x0a010103, 1, 50000, 4789, 10100, 60);
    expect(inner).toBe(vx.VXLAN_ENCAP_LEN);
    expect(toHex(b.subarray(0, 50))).toBe(
      '02000a010103' + '02000a0101fe' + '0800' +
        '4500' + '0060' + '0001' + '4000' + '4011' + toHex(b.subarray(24, 26)) + '0a0101fe' + '0a010103' +
        'c350' + '12b5' + '004c' + '0000' +
        '08000000' + '00277400',
    );
    expect(ip.ipv4ChecksumValid(b, 14, 20)).toBe(true);
  });
});

describe('sll', () => {
  // SLL v1: outgoing (4), ARPHRD_ETHER (1), 6-byte address, IPv4
  const v1 = hex('0004 0001 0006 020000000001 0000 0800');
  // SLL2: IPv4, reserved, ifindex 3, ARPHRD_ETHER, host (0), 6-byte address
  const v2 = hex('0800 0000 00000003 0001 00 06 020000000001 0000');
  it('deconstructs v1 and v2', () => {
    expect(sll.sllPacketType(v1, 0)).toBe(sll.SLL_OUTGOING);
    expect(sll.sllHatype(v1, 0)).toBe(1);
    expect(sll.sllAddrLen(v1, 0)).toBe(6);
    expect(sll.sllProtocol(v1, 0)).toBe(0x0800);
    expect(sll.sll2Protocol(v2, 0)).toBe(0x0800);
    expect(sll.sll2IfIndex(v2, 0)).toBe(3);
    expect(sll.sll2Hatype(v2, 0)).toBe(1);
    expect(sll.sll2PacketType(v2, 0)).toBe(sll.SLL_HOST);
    expect(sll.sll2AddrLen(v2, 0)).toBe(6);
  });
  it('constructs v1 and v2', () => {
    const a = new Uint8Array(16);
    expect(sll.writeSll(a, 0, 4, 1, 0x0200, 1, 0x0800)).toBe(16);
    expect(toHex(a)).toBe(toHex(v1));
    const b = new Uint8Array(20);
    expect(sll.writeSll2(b, 0, 0x0800, 3, 1, 0, 0x0200, 1)).toBe(20);
    expect(toHex(b)).toBe(toHex(v2));
  });
});
