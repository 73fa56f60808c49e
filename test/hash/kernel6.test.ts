// Kernel-differential test: linux-l3/l4 over IPv6 + hash-threshold against the running kernel's own choice.
//
// A router namespace holds a weighted IPv6 multipath route to 2001:db8:100::/64 over 2-5 veth next-hops with
// permanent neighbours. For net.ipv6.fib_multipath_hash_policy 0 and 1, several net.ipv4.fib_multipath_hash_seed
// values (the seed serves IPv6 too) and weight sets, seeded-random flows are asked of the kernel with `ip -6 route
// get DST from SRC iif in0 ipproto P sport N dport N` and compared with makeLinux6Hasher + NextHopGroup. That path
// hashes the flow as rt6_multipath_hash does with no packet (fl6): for policy 0 the flow label is 0 there (this
// iproute2 cannot pass one), and the protocol is the one asked for. So real packets follow: frames with flow
// labels and extension-header chains (hop-by-hop, routing, destination options, fragments, AH) sent from a second
// namespace through the router, each seen leaving on one veth, against our walk + hash of the same bytes.

import { describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';
import { HASH_FIELDS } from '../../src/hash/index.js';
import { makeLinux6Hasher } from '../../src/hash/linux6.js';
import { IPPROTO_AH, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { Ipv6Walk, formatIpv6, ipv6FlowLabel, ipv6NextHeader, walkIpv6 } from '../../src/wire/ipv6.js';
import { haveTool, prng, u32 } from '../helpers.js';
import { RouterLab, probeFrame, describeWithLab } from './lab.js';

const lab = new RouterLab('ecmph6');

type Flow6 = { src: Uint32Array; dst: Uint32Array; proto: number; sport: number; dport: number };

/** Sources in 2400::/8 (outside the lab's own 2001:db8::/32), destinations inside 2001:db8:100::/64. */
function flows6(seed: number, n: number): Flow6[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => {
    const src = Uint32Array.of((0x24000000 | (u32(rand) & 0xffffff)) >>> 0, u32(rand), u32(rand), u32(rand));
    const dst = Uint32Array.of(0x20010db8, 0x01000000, u32(rand), u32(rand));
    const proto = [17, 6, 17, 6, 58][u32(rand) % 5]!;
    const sport = u32(rand) & 0xffff;
    // some flows with equal ports, so the port swap is exercised both ways
    const dport = u32(rand) % 10 === 0 ? sport : u32(rand) & 0xffff;
    return { src, dst, proto, sport, dport };
  });
}

function kernelChoices(list: readonly Flow6[]): number[] {
  return lab.routeGet(6, list.map((f) => {
    const ports = f.proto === 58 ? '' : ` sport ${f.sport} dport ${f.dport}`;
    return `${formatIpv6(f.dst)} from ${formatIpv6(f.src)} iif in0 ipproto ${f.proto}${ports}`;
  }));
}

let compared = 0;

/** Our choice for a frame: the key the kernel builds from it (policy 0: first next header and flow label). */
function ourChoice(frame: Uint8Array, policy: 0 | 1, hasher: ReturnType<typeof makeLinux6Hasher>, group: NextHopGroup): number {
  const w = new Ipv6Walk();
  walkIpv6(frame, 14, frame.length, w);
  const word = (at: number): number => ((frame[at]! << 24) | (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!) >>> 0;
  const src = [0, 1, 2, 3].map((i) => word(22 + 4 * i));
  const dst = [0, 1, 2, 3].map((i) => word(38 + 4 * i));
  if (policy === 0) return group.select(hasher(src, dst, ipv6NextHeader(frame, 14), 0, 0, ipv6FlowLabel(frame, 14)));
  // proto_ports_offset: the ports of TCP and UDP, AH's SPI at 4; none for a fragment
  const p = w.dissectorProto;
  const at = p === IPPROTO_AH ? w.dissectorOffset + 4 : w.dissectorOffset;
  const ported = !w.fragment && (p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_AH);
  const sport = ported ? (frame[at]! << 8) | frame[at + 1]! : 0;
  const dport = ported ? (frame[at + 2]! << 8) | frame[at + 3]! : 0;
  return group.select(hasher(src, dst, p, sport, dport, 0));
}

const hooks = {
  teardown: (): void => {
    if (compared > 0) console.log(`IPv6 kernel comparisons: ${compared} flows took the kernel's next-hop`);
  },
};

describeWithLab('linux-l3/l4 over IPv6 against the kernel', lab, hooks, () => {
  const SEEDS = [1, 0x9e3779b9, 0xffffffff];
  const WEIGHTS = [[1, 1], [1, 2, 3], [3, 1, 4, 1, 5], [100, 1]];
  const CONFIGS = ([0, 1] as const).flatMap((policy) => SEEDS.flatMap((seed) => WEIGHTS.map((weights) => ({ policy, seed, weights }))));

  it.each(CONFIGS.map((c, i) => [c.policy, c.seed, c.weights.join(':'), c, i] as const))(
    'policy %i, seed %i, weights %s: 300 flows',
    (_p, _s, _w, { policy, seed, weights }, i) => {
      lab.sysctl(`net.ipv6.fib_multipath_hash_policy=${policy}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
      lab.route(6, weights);
      const hasher = makeLinux6Hasher(policy, seed, HASH_FIELDS);
      const group = new NextHopGroup(weights, 'hash-threshold');
      const list = flows6(6000 + i, 300);
      const ours = list.map((f) => {
        const ports = f.proto === 6 || f.proto === 17;
        return group.select(hasher(f.src, f.dst, f.proto, ports ? f.sport : 0, ports ? f.dport : 0, 0));
      });
      const kernel = kernelChoices(list);
      const mismatches = list.flatMap((f, n) => (ours[n] === kernel[n] ? [] : [{ src: formatIpv6(f.src), dst: formatIpv6(f.dst), proto: f.proto, sport: f.sport, dport: f.dport, kernel: kernel[n], ours: ours[n] }]));
      expect(mismatches.slice(0, 5)).toEqual([]);
      compared += list.length;
    },
  );

  describe.skipIf(!haveTool('python3', ['-c', '']))('IPv6 with real packets: flow labels and extension headers', () => {
    it.each([[0, 0x5eed], [1, 0x5eed], [0, 0xdeadbeef], [1, 7]] as const)('policy %i, seed %i: 60 frames leave by our next-hop', (policy, seed) => {
      const weights = [1, 2, 1, 3, 1];
      lab.sysctl(`net.ipv6.fib_multipath_hash_policy=${policy}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
      lab.route(6, weights);
      const rand = prng(seed ^ (policy << 20));
      const frames = Array.from({ length: 60 }, (_, i) => probeFrame(rand, 0x70000000 + i, lab.inMac));
      const seen = lab.forward(frames);
      const hasher = makeLinux6Hasher(policy, seed, HASH_FIELDS);
      const group = new NextHopGroup(weights, 'hash-threshold');
      expect(seen).toEqual(frames.map((f) => ourChoice(f, policy, hasher, group)));
    });
  });
});
