// Kernel-differential test of multipath hash policies 2 (inner L3) and 3 (custom fields) for IPv4 and IPv6.
//
// `ip route get ... iif` (IPv4: the kernel hashes a dummy packet it builds, the forwarding path; IPv6: no packet,
// fl6) over fib_multipath_hash_fields masks and seeds; then real frames through the namespace router: plain,
// IP-in-IP, GRE (with and without a key), Ethernet over GRE and IPv6-in-IPv4 under an IPv4 route, and plain,
// IPv6-in-IPv6 and IPv4-in-IPv6 under an IPv6 route, each seen leaving on one veth. The kernel's choice must be
// policy2Hash / policy3Hash (jhash_2words of the outer and inner hashes) + hash-threshold for every flow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';
import {
  ADDR_IPV4,
  ADDR_IPV6,
  LinuxFlowKeys,
  linuxKeysHash,
  policy2Hash,
  policy3Hash,
  policy3HashNoPacket,
  type Dissected,
} from '../../src/hash/linux-keys.js';
import { makeLinux6Hasher } from '../../src/hash/linux6.js';
import { HASH_FIELDS, makeHasher, type HashField } from '../../src/hash/index.js';
import { HASH_FIELD_BITS } from '../../src/hash/linux-keys.js';
import { formatIpv4, writeIpv4Header } from '../../src/wire/ipv4.js';
import { formatIpv6, writeIpv6Header } from '../../src/wire/ipv6.js';
import { haveTool, prng, u32 } from '../helpers.js';
import { RouterLab } from './lab.js';
import { acquireNetnsLock, netnsUnavailable } from './netns.js';

const unavailable = netnsUnavailable();
if (unavailable !== undefined && !process.env.CI) {
  console.warn(`hash policy 2/3 kernel tests skipped: ${unavailable} (they need root and ip netns)`);
}

const lab = new RouterLab('ecmppol');
const WEIGHTS = [2, 1, 3, 1, 1];
const SEEDS = [1, 0x9e3779b9, 0xfffffffe];

/** A flow's header as a key: IPv4 with word 0 only, IPv6 with four words; ports only where the protocol has them. */
function keys(family: 4 | 6, src: readonly number[], dst: readonly number[], proto: number, sport = 0, dport = 0, label = 0): LinuxFlowKeys {
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

const unicast4 = (rand: () => number): number => {
  const a = u32(rand);
  const top = a >>> 24;
  return top === 0 || top === 10 || top === 127 || top >= 224 ? (0x0b000000 | (a & 0xffffff)) >>> 0 : a;
};
const dst4 = (rand: () => number): number => (0xc6336400 | (u32(rand) & 0xff)) >>> 0;
const src6 = (rand: () => number): number[] => [(0x24000000 | (u32(rand) & 0xffffff)) >>> 0, u32(rand), u32(rand), u32(rand)];
const dst6 = (rand: () => number): number[] => [0x20010db8, 0x01000000, u32(rand), u32(rand)];

describe('flow-keys hash', () => {
  it('linuxKeysHash over an IPv4 5-tuple is linux-l4, over IPv6 it is the IPv6 policy-1 hash', () => {
    const rand = prng(42);
    for (let i = 0; i < 300; i++) {
      const seed = u32(rand);
      const [s, d, sp, dp] = [u32(rand), u32(rand), u32(rand) & 0xffff, u32(rand) & 0xffff];
      expect(linuxKeysHash(seed, keys(4, [s], [d], 17, sp, dp))).toBe(makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS })(s, d, 17, sp, dp));
      const a = src6(rand);
      const b = dst6(rand);
      expect(linuxKeysHash(seed, keys(6, a, b, 6, sp, dp))).toBe(makeLinux6Hasher(1, seed, HASH_FIELDS)(a, b, 6, sp, dp, 0));
    }
  });
});

/** A frame to R: Ethernet, then `packet`, then the probe id as the last 4 bytes. */
function frame(type: number, packet: readonly number[], id: number): Uint8Array {
  const f = new Uint8Array(14 + packet.length + 4);
  f.set(lab.inMac.split(':').map((h) => parseInt(h, 16)), 0);
  f.set([0x02, 0, 0, 0, 0, 0x77, type >>> 8, type & 255], 6);
  f.set(packet, 14);
  f.set([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255], 14 + packet.length);
  return f;
}

const udp = (sport: number, dport: number): number[] => [sport >>> 8, sport & 255, dport >>> 8, dport & 255, 0, 12, 0, 0];
/** An IPv4 header (checksum right) around `payload`, which is followed by the 4-byte probe id. */
function ipv4(src: number, dst: number, proto: number, payload: readonly number[]): number[] {
  const h = new Uint8Array(20);
  writeIpv4Header(h, 0, 0, 20 + payload.length + 4, 1, 0, 64, proto, src, dst);
  return [...h, ...payload];
}
function ipv6(src: readonly number[], dst: readonly number[], next: number, label: number, payload: readonly number[], trailer = 4): number[] {
  const h = new Uint8Array(40);
  writeIpv6Header(h, 0, 0, label, payload.length + trailer, next, 64, src, dst);
  return [...h, ...payload];
}

type Probe = { frame: Uint8Array; dissected: Dissected; what: string };

/** Frames under the IPv4 route: plain UDP, IP-in-IP, GRE, GRE with a key, Ethernet over GRE, IPv6-in-IPv4. */
function probes4(rand: () => number, n: number): Probe[] {
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
function probes6(rand: () => number, n: number): Probe[] {
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

let release: (() => void) | undefined;

describe.skipIf(unavailable !== undefined && !process.env.CI)('policies 2 and 3 against the kernel', () => {
  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`CI is set but network namespaces are unavailable: ${unavailable}`);
    release = await acquireNetnsLock();
    lab.up();
    lab.route(4, WEIGHTS);
    lab.route(6, WEIGHTS);
  });

  afterAll(() => {
    lab.down();
    release?.();
  });

  const group = new NextHopGroup(WEIGHTS, 'hash-threshold');
  const MASKS = [0x0007, 0x0037, 0x0013, 0x0030, 0x0001, 0x0fff, 0x0fc0, 0x0038];

  it.each(SEEDS.flatMap((seed) => MASKS.map((mask) => [seed, mask] as const)))('IPv4 route get, policy 3, seed %i, fields %i', (seed, mask) => {
    lab.sysctl('net.ipv4.fib_multipath_hash_policy=3', `net.ipv4.fib_multipath_hash_fields=${mask}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
    const rand = prng(seed ^ mask);
    const flows = Array.from({ length: 120 }, (_, i) => ({ s: unicast4(rand), d: dst4(rand), proto: [17, 6, 1][i % 3]!, sp: u32(rand) & 0xffff, dp: u32(rand) & 0xffff }));
    const kernel = lab.routeGet(4, flows.map((f) => `${formatIpv4(f.d)} from ${formatIpv4(f.s)} iif in0 ipproto ${f.proto} sport ${f.sp} dport ${f.dp}`));
    // the dummy packet has no tunnel: inner hash 0, still joined by jhash_2words
    const ours = flows.map((f) => {
      const ported = f.proto !== 1;
      const outer = keys(4, [f.s], [f.d], f.proto, ported ? f.sp : 0, ported ? f.dp : 0);
      return group.select(policy3Hash(seed, mask, { outer, inner: null }));
    });
    expect(ours).toEqual(kernel);
    // and the topology's linux-custom with those fields, as the engine hashes a flow
    const fields = (Object.keys(HASH_FIELD_BITS) as HashField[]).filter((f) => (mask & HASH_FIELD_BITS[f]) !== 0);
    const custom = makeHasher({ algorithm: 'linux-custom', seed, fields });
    const engine = flows.map((f) => (f.proto === 1 ? group.select(custom(f.s, f.d, 1, 0, 0)) : group.select(custom(f.s, f.d, f.proto, f.sp, f.dp))));
    expect(engine).toEqual(kernel);
  });

  it.each(SEEDS)('IPv4 route get, policy 2: the topology\'s linux-l3-inner hashes an untunnelled flow as the kernel does, seed %i', (seed) => {
    lab.sysctl('net.ipv4.fib_multipath_hash_policy=2', `net.ipv4.fib_multipath_hash_seed=${seed}`);
    const rand = prng(seed ^ 2);
    const flows = Array.from({ length: 150 }, () => ({ s: unicast4(rand), d: dst4(rand), sp: u32(rand) & 0xffff, dp: u32(rand) & 0xffff }));
    const kernel = lab.routeGet(4, flows.map((f) => `${formatIpv4(f.d)} from ${formatIpv4(f.s)} iif in0 ipproto udp sport ${f.sp} dport ${f.dp}`));
    const inner = makeHasher({ algorithm: 'linux-l3-inner', seed, fields: HASH_FIELDS });
    expect(flows.map((f) => group.select(inner(f.s, f.d, 17, f.sp, f.dp)))).toEqual(kernel);
  });

  it.each(SEEDS.flatMap((seed) => [0x0007, 0x0037, 0x003f, 0x0fc0].map((mask) => [seed, mask] as const)))('IPv6 route get, policy 3 (no packet: no jhash), seed %i, fields %i', (seed, mask) => {
    lab.sysctl('net.ipv6.fib_multipath_hash_policy=3', `net.ipv6.fib_multipath_hash_fields=${mask}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
    const rand = prng(seed ^ mask ^ 6);
    const flows = Array.from({ length: 120 }, (_, i) => ({ s: src6(rand), d: dst6(rand), proto: [17, 6][i % 2]!, sp: u32(rand) & 0xffff, dp: u32(rand) & 0xffff }));
    const kernel = lab.routeGet(6, flows.map((f) => `${formatIpv6(f.d)} from ${formatIpv6(f.s)} iif in0 ipproto ${f.proto} sport ${f.sp} dport ${f.dp}`));
    expect(flows.map((f) => group.select(policy3HashNoPacket(seed, mask, keys(6, f.s, f.d, f.proto, f.sp, f.dp))))).toEqual(kernel);
  });

  describe.skipIf(!haveTool('python3', ['-c', '']))('real frames, tunnelled and not', () => {
    const check = (family: 4 | 6, probes: readonly Probe[], hash: (d: Dissected) => number): void => {
      const seen = lab.forward(probes.map((p) => p.frame));
      const mismatches = probes.flatMap((p, i) => (group.select(hash(p.dissected)) === seen[i] ? [] : [`${p.what} #${i}`]));
      expect(mismatches, `IPv${family}`).toEqual([]);
      // every kind of frame was there, and they did not all leave by one next-hop
      expect(new Set(seen).size).toBeGreaterThan(2);
    };

    it.each(SEEDS)('policy 2: the innermost addresses (IPv6: and flow label and protocol), seed %i', (seed) => {
      lab.sysctl('net.ipv4.fib_multipath_hash_policy=2', 'net.ipv6.fib_multipath_hash_policy=2', `net.ipv4.fib_multipath_hash_seed=${seed}`);
      check(4, probes4(prng(seed), 48), (d) => policy2Hash(seed, d));
      check(6, probes6(prng(seed + 1), 30), (d) => policy2Hash(seed, d));
    });

    it.each(SEEDS.flatMap((seed) => [0x0037, 0x0fc3, 0x0fff, 0x0c0, 0x0208, 0x003b].map((mask) => [seed, mask] as const)))(
      'policy 3: outer and inner fields joined by jhash_2words, seed %i, fields %i',
      (seed, mask) => {
        lab.sysctl('net.ipv4.fib_multipath_hash_policy=3', 'net.ipv6.fib_multipath_hash_policy=3', `net.ipv4.fib_multipath_hash_fields=${mask}`,
          `net.ipv6.fib_multipath_hash_fields=${mask}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
        check(4, probes4(prng(seed ^ mask), 36), (d) => policy3Hash(seed, mask, d));
        check(6, probes6(prng(seed ^ mask ^ 1), 24), (d) => policy3Hash(seed, mask, d));
      },
    );
  });
});
