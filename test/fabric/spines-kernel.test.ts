// Kernel-differential test of the underlay choice (SPEC §2 `spines:`): a leaf namespace routes the remote VTEP's /32
// over four spine next-hops (veths), as a multipath route and as a resilient nexthop group; real VXLAN/UDP frames,
// built with the emulator's own encapsulation and the outer source port it computes for each inner flow, are sent
// through it (raw sockets) and seen leaving on one veth. The kernel's spine must be the emulator's for every flow,
// policy 1 and several seeds; for the resilient group also after `ip nexthop del` of one spine (failover).

import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { converge, type Fabric } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { PathResult, resolvePath } from '../../src/engine/path.js';
import { writeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { IPV4_FLAG_DF, writeIpv4Header } from '../../src/wire/ipv4.js';
import { writeUdpHeader } from '../../src/wire/udp.js';
import { VXLAN_ENCAP_LEN, writeVxlanEncap } from '../../src/wire/vxlan.js';
import { prng, u32 } from '../helpers.js';
import { RouterLab, describeWithLab } from '../hash/lab.js';
import { run } from '../hash/netns.js';

const SPINES = 4;
const lab = new RouterLab('spn', SPINES);
const BORDER_VTEP = 0x0a0101fe; // 10.1.1.254
const SEEDS = [1, 0x9e3779b9, 0xfffffffe];
const GROUP = 100;

/** The built-in fabric with four spines at the lab's next-hop addresses 10.0.k.2, in that order. */
function fabricFor(seed: number, selection: string, failed: string[] = [], previous?: Fabric): Fabric {
  const spines = Array.from({ length: SPINES }, (_, i) => `  spine-${i + 1}: { address: 10.0.${i + 1}.2 }`).join('\n');
  const yaml = DEFAULT_TOPOLOGY_YAML.replace('leaves:\n', `spines:\n${spines}\nleaves:\n`) + `defaults: { hash: { algorithm: linux-l4, seed: ${seed} }, selection: ${selection}, buckets: 64 }\n`;
  return converge(parseTopology(yaml, 'spines.yaml'), { failed, previous });
}

interface Probe {
  frame: Uint8Array;
  /** the spine (0-based) the emulator's border picks for the flow */
  spine: number;
  vtep: number;
}

/**
 * Random inner flows the border tunnels; each becomes the VXLAN frame the border sends (outer source port as the
 * emulator computes it), to the lab's in0 MAC, the probe id in its last 4 bytes.
 */
function probes(fabric: Fabric, seed: number, n: number): Probe[] {
  const rand = prng(seed);
  const p = new PathResult();
  const mac = lab.inMac.split(':').map((h) => parseInt(h, 16));
  const out: Probe[] = [];
  for (let id = 0; out.length < n; id++) {
    const src = (0x0b000000 | (u32(rand) & 0xffffff)) >>> 0;
    const sport = 1024 + (u32(rand) % 60000);
    resolvePath(fabric, fabric.ingressLeaf, 0, src, 0xc0a8640a, 17, sport, 53, -1, p);
    expect(p.reason).toBe(0);
    const under = fabric.routes[p.stageRoute[1]!]!;
    expect(under.source).toBe('underlay');
    if (under.prefix !== 0x0a010103) continue; // the lab routes leaf-3's VTEP
    const innerLen = 14 + 20 + 8 + 4;
    const f = new Uint8Array(VXLAN_ENCAP_LEN + innerLen);
    let q = writeVxlanEncap(f, 0, (mac[0]! << 8) | mac[1]!, ((mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!) >>> 0, 0x0200, BORDER_VTEP, BORDER_VTEP, under.prefix, id & 0xffff, p.outerSport, 4789, 10100, innerLen);
    q = writeEthernet(f, q, 0x0200, 0x0a010103, 0x0200, BORDER_VTEP, ETHERTYPE_IPV4);
    q = writeIpv4Header(f, q, 0, 20 + 8 + 4, 1, IPV4_FLAG_DF, 64, 17, src, 0xc0a8640a);
    q = writeUdpHeader(f, q, sport, 53, 8 + 4, 0);
    f.set([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255], q);
    out.push({ frame: f, spine: under.nextHops[p.stageMember[1]!]!.target, vtep: under.prefix });
  }
  return out;
}

const hooks = {
  python: true,
};

describeWithLab('the leaf\'s choice of spine against the kernel', lab, hooks, () => {
  const spinesSeen = (seen: number[]): number => new Set(seen).size;

  it.each(SEEDS)('multipath route over four spines, policy 1, seed %i: every VXLAN frame leaves by the emulator\'s spine', (seed) => {
    const hops = Array.from({ length: SPINES }, (_, k) => ['nexthop', 'via', `10.0.${k + 1}.2`, 'dev', `nh${k + 1}`, 'weight', '1']).flat();
    run('ip', ['-n', lab.r, 'route', 'replace', '10.1.1.3/32', ...hops]);
    lab.sysctl('net.ipv4.fib_multipath_hash_policy=1', `net.ipv4.fib_multipath_hash_seed=${seed}`);
    const ps = probes(fabricFor(seed, 'hash-threshold'), seed, 80);
    const seen = lab.forward(ps.map((p) => p.frame));
    expect(seen).toEqual(ps.map((p) => p.spine));
    expect(spinesSeen(seen)).toBe(SPINES);
  });

  it.each(SEEDS)('resilient nexthop group of the four spines (64 buckets), seed %i; and after ip nexthop del of spine-2', (seed) => {
    spawnSync('ip', ['-n', lab.r, 'route', 'del', '10.1.1.3/32']); // the multipath route, if the test before left it
    spawnSync('ip', ['-n', lab.r, 'nexthop', 'flush']);
    for (let k = 1; k <= SPINES; k++) run('ip', ['-n', lab.r, 'nexthop', 'add', 'id', String(k), 'via', `10.0.${k}.2`, 'dev', `nh${k}`]);
    run('ip', ['-n', lab.r, 'nexthop', 'add', 'id', String(GROUP), 'group', '1/2/3/4', 'type', 'resilient', 'buckets', '64', 'idle_timer', '0']);
    run('ip', ['-n', lab.r, 'route', 'replace', '10.1.1.3/32', 'nhid', String(GROUP)]);
    lab.sysctl('net.ipv4.fib_multipath_hash_policy=1', `net.ipv4.fib_multipath_hash_seed=${seed}`);
    const before = fabricFor(seed, 'resilient');
    const ps = probes(before, seed ^ 5, 80);
    const seen = lab.forward(ps.map((p) => p.frame));
    expect(seen).toEqual(ps.map((p) => p.spine));
    expect(spinesSeen(seen)).toBe(SPINES);

    // spine-2 goes: the kernel moves its buckets only; failover's converge (previous: before) must agree
    run('ip', ['-n', lab.r, 'nexthop', 'del', 'id', '2']);
    const after = fabricFor(seed, 'resilient', ['spine-2'], before);
    const ps2 = probes(after, seed ^ 5, 80);
    const seen2 = lab.forward(ps2.map((p) => p.frame));
    expect(seen2).toEqual(ps2.map((p) => p.spine));
    expect(seen2).not.toContain(1);
    // the same flows: every flow not on spine-2 before keeps its spine
    ps.forEach((p, i) => {
      if (p.spine !== 1) expect(ps2[i]!.spine).toBe(p.spine);
    });
    run('ip', ['-n', lab.r, 'route', 'del', '10.1.1.3/32']);
    run('ip', ['-n', lab.r, 'nexthop', 'flush']);
  });
});
