// Kernel-differential test of the fabric path over IPv6: a topology whose leaf has a weighted static IPv6 route
// (next hops by `via` address) against the same route in a Linux router namespace, `ip -6 route add ... nexthop via
// A weight N ...`. For net.ipv6.fib_multipath_hash_policy 0 and 1 and several net.ipv4.fib_multipath_hash_seed
// values, `ip -6 route get DST from SRC iif in0 ipproto P sport N dport N` must name the via that `ecmp-emu route get
// --batch` names, for every flow. Policy 0 also reads the flow label, which this iproute2 cannot pass to route get:
// so `generate --ipv6` frames (a flow label each) are sent through the router, and the veth each leaves by must be
// the via `ecmp-emu route get ... flowlabel N` names.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emu } from '../cli/run.js';
import { haveTool, prng, u32 } from '../helpers.js';
import { ROUTE6, RouterLab, describeWithLab } from '../hash/lab.js';
import { TrafficGenerator } from '../../src/traffic/generator.js';
import type { FrameSink } from '../../src/traffic/frames.js';
import { formatIpv6, parseIpv6, udp6FillChecksum } from '../../src/wire/ipv6.js';

const lab = new RouterLab('v6-fabric');
const dir = mkdtempSync(join(tmpdir(), 'v6-fabric-kernel-'));
let compared = 0;

/** The lab's route as a topology: leaf r1, a static route to ROUTE6 via 2001:db8:k::2 with these weights. */
function topology(algorithm: 'linux-l3' | 'linux-l4', seed: number, weights: readonly number[]): string {
  const hops = weights.map((w, i) => `{ via: '2001:db8:${i + 1}::2', weight: ${w} }`).join(', ');
  const path = join(dir, `t-${algorithm}-${seed}-${weights.join('-')}.yaml`);
  writeFileSync(path, `vrfs:\n  T: { vni: 100 }\nleaves:\n  r1:\n    vtep: 10.255.0.1\n    hash: { algorithm: ${algorithm}, seed: ${seed} }\n    routes:\n      T:\n        '${ROUTE6}': [ ${hops} ]\ningress: { leaf: r1, vrf: T }\n`);
  return path;
}

/** ecmp-emu's via (as the kernel's 0-based next-hop index) for each `route get` line. */
function emuChoices(topo: string, lines: readonly string[]): number[] {
  const batch = join(dir, 'batch.txt');
  writeFileSync(batch, lines.join('\n') + '\n');
  const r = emu(['route', 'get', '--batch', batch, '--json', '--topology', topo]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').map((l) => {
    const via = (JSON.parse(l) as { hops: { via: string }[] }).hops[0]!.via;
    const m = /^2001:db8:(\d+)::2$/.exec(via);
    if (!m) throw new Error(`unexpected via ${via}`);
    return Number(m[1]) - 1;
  });
}

/** Sources in 2400::/8 (outside the lab's 2001:db8::/32), destinations in ROUTE6; UDP, TCP and ICMPv6. */
function flowLines(seed: number, n: number): string[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => {
    const src = Uint32Array.of((0x24000000 | (u32(rand) & 0xffffff)) >>> 0, u32(rand), u32(rand), u32(rand));
    const dst = Uint32Array.of(0x20010db8, 0x01000000, u32(rand), u32(rand));
    const proto = [17, 6, 17, 6, 58][u32(rand) % 5]!;
    const ports = proto === 58 ? '' : ` sport ${u32(rand) & 0xffff} dport ${u32(rand) & 0xffff}`;
    return `${formatIpv6(dst)} from ${formatIpv6(src)} ipproto ${proto === 58 ? 'ipv6-icmp' : proto}${ports}`;
  });
}

const hooks = {
  teardown: (): void => {
    rmSync(dir, { recursive: true, force: true });
    if (compared > 0) console.log(`IPv6 fabric kernel comparisons: ${compared} flows took the kernel's via`);
  },
};

describeWithLab('the IPv6 fabric path against the kernel', lab, hooks, () => {
  const SEEDS = [7, 0x5bd1e995, 0xfffffffe];
  const WEIGHTS = [[1, 1, 1], [2, 5, 1, 3], [1, 9], [4, 1, 1, 1, 2]];
  const CONFIGS = ([0, 1] as const).flatMap((policy) => SEEDS.map((seed, i) => ({ policy, seed, weights: WEIGHTS[(i + policy) % WEIGHTS.length]! })));

  it.each(CONFIGS.map((c, i) => [c.policy, c.seed, c.weights.join(':'), c, i] as const))(
    'policy %i, seed %i, weights %s: 300 flows name the same via',
    (_p, _s, _w, c, i) => {
      lab.sysctl(`net.ipv6.fib_multipath_hash_policy=${c.policy}`, `net.ipv4.fib_multipath_hash_seed=${c.seed}`);
      lab.route(6, c.weights);
      const lines = flowLines(1000 + i, 300);
      const kernel = lab.routeGet(6, lines.map((l) => l.replace(' ipproto ', ' iif in0 ipproto ')));
      const ours = emuChoices(topology(c.policy === 0 ? 'linux-l3' : 'linux-l4', c.seed, c.weights), lines);
      expect(ours).toEqual(kernel);
      // every next hop is used, so the comparison covers each span of the weights
      expect(new Set(kernel).size).toBe(c.weights.length);
      compared += lines.length;
    },
  );

  describe.skipIf(!haveTool('python3', ['-c', '']))('policy 0 with real packets: generate --ipv6 flow labels', () => {
    it.each([[3, [1, 1, 1]], [0x12345678, [3, 1, 2]]] as const)('seed %i, weights %s: every frame leaves by the via route get names', (seed, weights) => {
      lab.sysctl('net.ipv6.fib_multipath_hash_policy=0', `net.ipv4.fib_multipath_hash_seed=${seed}`);
      lab.route(6, weights);
      const gen = new TrafficGenerator({ pattern: 'uniform', proto: 'udp', flows: 150, packets: 150, seed, dst: 0, dst6: parseIpv6('2001:db8:100::10') });
      const frames: Uint8Array[] = [];
      const sink: FrameSink & { buf: Uint8Array } = {
        buf: new Uint8Array(2048),
        reserve: () => 0,
        commit: (len) => {
          frames.push(sink.buf.slice(0, len));
        },
      };
      while (!gen.done) gen.writeBatch(sink);
      const mac = lab.inMac.split(':').map((h) => parseInt(h, 16));
      const s = gen.flowSet;
      // frame i is flow order[i]'s only packet: read the flow back from the payload's tail (flow index, packet 0)
      const flowOf = frames.map((f) => ((f[f.length - 8]! << 24) | (f[f.length - 7]! << 16) | (f[f.length - 6]! << 8) | f[f.length - 5]!) >>> 0);
      frames.forEach((f, i) => {
        f.set(mac, 0);
        // a unique tail for the sender to match (the last 4 bytes), the UDP checksum redone
        f[f.length - 4] = 0x76;
        f[f.length - 3] = 0x36;
        f[f.length - 2] = i >>> 8;
        f[f.length - 1] = i & 255;
        const fl = flowOf[i]!;
        udp6FillChecksum(f, 14 + 40, s.src6!.subarray(4 * fl, 4 * fl + 4), s.dst6!);
      });
      const seen = lab.forward(frames);
      const lines = flowOf.map((fl) => `${formatIpv6(s.dst6!)} from ${formatIpv6(s.src6!.subarray(4 * fl, 4 * fl + 4))} ipproto udp sport ${s.sport[fl]} dport ${s.dport[fl]} flowlabel ${s.flowLabel![fl]}`);
      const ours = emuChoices(topology('linux-l3', seed, weights), lines);
      expect(ours).toEqual(seen);
      expect(new Set(seen).size).toBe(weights.length);
      // the flow label matters: without it the answers differ for some flows
      const unlabelled = emuChoices(topology('linux-l3', seed, weights), lines.map((l) => l.replace(/ flowlabel \d+$/, '')));
      expect(unlabelled).not.toEqual(seen);
      compared += frames.length;
    });
  });
});
