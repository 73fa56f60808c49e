// Frames for the policy 2/3 tests, plain and tunnelled, each with the Dissected the kernel's flow dissector makes of
// it (hand-built: kernel-policies.test.ts checks them against the kernel, tunnel.test.ts the byte-level dissector).

import { ADDR_IPV4, ADDR_IPV6, LinuxFlowKeys, type Dissected } from '../../src/hash/linux-keys.js';
import { writeIpv4Header } from '../../src/wire/ipv4.js';
import { writeIpv6Header } from '../../src/wire/ipv6.js';
import { u32 } from '../helpers.js';

/** the destination MAC of the frames being built (the router's in0) */
let mac = '02:00:00:00:00:01';

/** A flow's header as a key: IPv4 with word 0 only, IPv6 with four words; ports only where the protocol has them. */
export function keys(family: 4 | 6, src: readonly number[], dst: readonly number[], proto: number, sport = 0, dport = 0, label = 0): LinuxFlowKeys {
  const k = new LinuxFlowKeys();
  k.addrType = family === 4 ? ADDR_IPV4 : ADDR_IPV6;
  k.src.set(src.map((w) => w | 0));
  k.dst.set(dst.map((w) => w | 0));
  k.proto = proto;
  k.sport = sport;
  k.dport = dport;
  k.flowLabelWord = label;
  return k;
}

export const unicast4 = (rand: () => number): number => {
  const a = u32(rand);
  const top = a >>> 24;
  return top === 0 || top === 10 || top === 127 || top >= 224 ? (0x0b000000 | (a & 0xffffff)) >>> 0 : a;
};
export const dst4 = (rand: () => number): number => (0xc6336400 | (u32(rand) & 0xff)) >>> 0;
export const src6 = (rand: () => number): number[] => [(0x24000000 | (u32(rand) & 0xffffff)) >>> 0, u32(rand), u32(rand), u32(rand)];
export const dst6 = (rand: () => number): number[] => [0x20010db8, 0x01000000, u32(rand), u32(rand)];

/** A frame to R: Ethernet, then `packet`, then the probe id as the last 4 bytes. */
export function frame(type: number, packet: readonly number[], id: number): Uint8Array {
  const f = new Uint8Array(14 + packet.length + 4);
  f.set(mac.split(':').map((h) => parseInt(h, 16)), 0);
  f.set([0x02, 0, 0, 0, 0, 0x77, type >>> 8, type & 255], 6);
  f.set(packet, 14);
  f.set([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255], 14 + packet.length);
  return f;
}

export const udp = (sport: number, dport: number): number[] => [sport >>> 8, sport & 255, dport >>> 8, dport & 255, 0, 12, 0, 0];
/** An IPv4 header (checksum right) around `payload`, which is followed by the 4-byte probe id. */
export function ipv4(src: number, dst: number, proto: number, payload: readonly number[]): number[] {
  const h = new Uint8Array(20);
  writeIpv4Header(h, 0, 0, 20 + payload.length + 4, 1, 0, 64, proto, src, dst);
  return [...h, ...payload];
}
export function ipv6(src: readonly number[], dst: readonly number[], next: number, label: number, payload: readonly number[], trailer = 4): number[] {
  const h = new Uint8Array(40);
  writeIpv6Header(h, 0, 0, label, payload.length + trailer, next, 64, src, dst);
  return [...h, ...payload];
}

export type Probe = { frame: Uint8Array; dissected: Dissected; what: string };

/** Frames under the IPv4 route: plain UDP, IP-in-IP, GRE, GRE with a key, Ethernet over GRE, IPv6-in-IPv4. */
export function probes4(rand: () => number, n: number, dstMac: string): Probe[] {
  mac = dstMac;
  return Array.from({ length: n }, (_, i) => {
    const os = unicast4(rand);
    const od = dst4(rand);
    const [is, id, sp, dp] = [unicast4(rand), unicast4(rand), u32(rand) & 0xffff, u32(rand) & 0xffff];
    const innerUdp4 = ipv4(is, id, 17, udp(sp, dp));
    const inner4 = keys(4, [is], [id], 17, sp, dp);
    const id6 = 0x50000000 + i;
    switch (i % 6) {
      case 0:
        return { frame: frame(0x0800, ipv4(os, od, 17, udp(sp, dp)), id6), dissected: { outer: keys(4, [os], [od], 17, sp, dp), inner: null }, what: 'udp' };
      case 1:
        return { frame: frame(0x0800, ipv4(os, od, 4, innerUdp4), id6), dissected: { outer: keys(4, [os], [od], 4), inner: inner4 }, what: 'ipip' };
      case 2:
        return { frame: frame(0x0800, ipv4(os, od, 47, [0, 0, 0x08, 0x00, ...innerUdp4]), id6), dissected: { outer: keys(4, [os], [od], 47), inner: inner4 }, what: 'gre' };
      case 3: {
        const key = [u32(rand) & 255, 1, 2, 3];
        return { frame: frame(0x0800, ipv4(os, od, 47, [0x20, 0, 0x08, 0x00, ...key, ...innerUdp4]), id6), dissected: { outer: keys(4, [os], [od], 47), inner: inner4 }, what: 'gre+key' };
      }
      case 4: {
        const eth = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        return { frame: frame(0x0800, ipv4(os, od, 47, [0, 0, 0x65, 0x58, ...eth, ...innerUdp4]), id6), dissected: { outer: keys(4, [os], [od], 47), inner: inner4 }, what: 'teb' };
      }
      default: {
        const a = src6(rand);
        const b = dst6(rand);
        const label = u32(rand) & 0xfffff;
        const inner = ipv6(a, b, 17, label, udp(sp, dp), 4);
        return { frame: frame(0x0800, ipv4(os, od, 41, inner), id6), dissected: { outer: keys(4, [os], [od], 41), inner: keys(6, a, b, 17, sp, dp, label) }, what: '6in4' };
      }
    }
  });
}

/** Frames under the IPv6 route: plain UDP with a flow label, IPv6-in-IPv6, IPv4-in-IPv6. */
export function probes6(rand: () => number, n: number, dstMac: string): Probe[] {
  mac = dstMac;
  return Array.from({ length: n }, (_, i) => {
    const os = src6(rand);
    const od = dst6(rand);
    const label = u32(rand) & 0xfffff;
    const [sp, dp] = [u32(rand) & 0xffff, u32(rand) & 0xffff];
    const id = 0x60000000 + i;
    if (i % 3 === 0) {
      return { frame: frame(0x86dd, ipv6(os, od, 17, label, udp(sp, dp)), id), dissected: { outer: keys(6, os, od, 17, sp, dp, label), inner: null }, what: 'udp6' };
    }
    if (i % 3 === 1) {
      const a = src6(rand);
      const b = dst6(rand);
      const innerLabel = u32(rand) & 0xfffff;
      const inner = ipv6(a, b, 6, innerLabel, [sp >>> 8, sp & 255, dp >>> 8, dp & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 255, 255, 0, 0, 0, 0]);
      return { frame: frame(0x86dd, ipv6(os, od, 41, label, inner), id), dissected: { outer: keys(6, os, od, 41, 0, 0, label), inner: keys(6, a, b, 6, sp, dp, innerLabel) }, what: '6in6' };
    }
    const [is, idd] = [unicast4(rand), unicast4(rand)];
    const inner = [...new Uint8Array(0)];
    const h = new Uint8Array(20);
    writeIpv4Header(h, 0, 0, 20 + 8 + 4, 1, 0, 64, 17, is, idd);
    inner.push(...h, ...udp(sp, dp));
    return { frame: frame(0x86dd, ipv6(os, od, 4, label, inner), id), dissected: { outer: keys(6, os, od, 4, 0, 0, label), inner: keys(4, [is], [idd], 17, sp, dp) }, what: '4in6' };
  });
}

