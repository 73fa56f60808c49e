// Kernel-differential test of multipath hash policies 2 (inner L3) and 3 (custom fields) for IPv4 and IPv6.
//
// `ip route get ... iif` (IPv4: the kernel hashes a dummy packet it builds, the forwarding path; IPv6: no packet,
// fl6) over fib_multipath_hash_fields masks and seeds; then real frames through the namespace router: plain,
// IP-in-IP, GRE (with and without a key), Ethernet over GRE and IPv6-in-IPv4 under an IPv4 route, and plain,
// IPv6-in-IPv6 and IPv4-in-IPv6 under an IPv6 route, each seen leaving on one veth. The kernel's choice must be
// policy2Hash / policy3Hash (jhash_2words of the outer and inner hashes) + hash-threshold for every flow.

import { describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';
import {
  linuxKeysHash,
  policy2Hash,
  policy3Hash,
  policy3HashNoPacket,
  type Dissected,
} from '../../src/hash/linux-keys.js';
import { makeLinux6Hasher } from '../../src/hash/linux6.js';
import { HASH_FIELDS, makeHasher, type HashField } from '../../src/hash/index.js';
import { HASH_FIELD_BITS } from '../../src/hash/linux-keys.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';
import { formatIpv6 } from '../../src/wire/ipv6.js';
import { haveTool, prng, u32 } from '../helpers.js';
import { RouterLab, describeWithLab } from './lab.js';
import { dst4, dst6, keys, probes4, probes6, src6, unicast4, type Probe } from './tunnel-probes.js';

const lab = new RouterLab('ecmppol');
const WEIGHTS = [2, 1, 3, 1, 1];
const SEEDS = [1, 0x9e3779b9, 0xfffffffe];

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

const hooks = {
  setup: (): void => {
    lab.route(4, WEIGHTS);
    lab.route(6, WEIGHTS);
  },
};

describeWithLab('policies 2 and 3 against the kernel', lab, hooks, () => {
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
      check(4, probes4(prng(seed), 48, lab.inMac), (d) => policy2Hash(seed, d));
      check(6, probes6(prng(seed + 1), 30, lab.inMac), (d) => policy2Hash(seed, d));
    });

    it.each(SEEDS.flatMap((seed) => [0x0037, 0x0fc3, 0x0fff, 0x0c0, 0x0208, 0x003b].map((mask) => [seed, mask] as const)))(
      'policy 3: outer and inner fields joined by jhash_2words, seed %i, fields %i',
      (seed, mask) => {
        lab.sysctl('net.ipv4.fib_multipath_hash_policy=3', 'net.ipv6.fib_multipath_hash_policy=3', `net.ipv4.fib_multipath_hash_fields=${mask}`,
          `net.ipv6.fib_multipath_hash_fields=${mask}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
        check(4, probes4(prng(seed ^ mask), 36, lab.inMac), (d) => policy3Hash(seed, mask, d));
        check(6, probes6(prng(seed ^ mask ^ 1), 24, lab.inMac), (d) => policy3Hash(seed, mask, d));
      },
    );
  });
});
