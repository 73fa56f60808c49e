import { describe, expect, it } from 'vitest';
import { HOP_OPAQUE, HOP_VM, HOP_VTEP, converge, hopName, opaqueName, routePrefix, tableOf, tableOf6, type Fabric } from '../../src/fabric/converge.js';
import { parseTopology, vmAddressText, vtepText } from '../../src/fabric/topology.js';
import { PathResult, REASON_NO_ROUTE, resolvePath, resolvePath6 } from '../../src/engine/path.js';
import { makeHasher6, type HashField6 } from '../../src/hash/index.js';
import { formatIpv6, parseIpv6 } from '../../src/wire/ipv6.js';
import { Rng } from '../../src/traffic/prng.js';
import { V6_YAML, errorOf as topologyError } from './fixtures.js';

const SERVICE6 = parseIpv6('2001:db8:100::10');

const errorOf = (text: string): string => topologyError(text, 'v6.yaml');

const leafOf = (f: Fabric, name: string): number => f.leafNames.indexOf(name);
const route6At = (f: Fabric, leaf: string, addr: Uint32Array) => {
  const id = tableOf6(f, leafOf(f, leaf), 0).lookup(addr[0]!, addr[1]!, addr[2]!, addr[3]!);
  return id < 0 ? undefined : f.routes[id];
};

describe('IPv6 in the topology file (SPEC §2)', () => {
  const t = parseTopology(V6_YAML, 'v6.yaml');

  it('reads IPv6 VTEPs, quoted or not, as words with the IPv4 field 0', () => {
    const border = t.leaves.find((l) => l.name === 'border')!;
    expect(border.vtep).toBe(0);
    expect([...border.vtep6!]).toEqual([0x20010db8, 0x00ff0000, 0, 1]);
    expect(vtepText(t.leaves.find((l) => l.name === 'leaf-2')!)).toBe('2001:db8:ff::2');
    expect(vtepText(t.leaves.find((l) => l.name === 'leaf-1')!)).toBe('10.1.1.1');
    expect(t.leaves.find((l) => l.name === 'leaf-1')!.vtep6).toBeUndefined();
  });

  it('derives a VM\'s peer: the other address of a /127, the first free host of a wider subnet', () => {
    const vm = (n: string) => t.vms.find((v) => v.name === n)!;
    expect(vmAddressText(vm('VM-1'))).toBe('2001:db8:1::1');
    expect(formatIpv6(vm('VM-1').peer6!)).toBe('2001:db8:1::');
    expect(vm('VM-1').length).toBe(127);
    expect(formatIpv6(vm('VM-B').peer6!)).toBe('2001:db8:3::1');
    const first = parseTopology(V6_YAML.replace("'2001:db8:3::2/64'", "'2001:db8:3::1/64'").replace("'2001:db8:3::1/127'", "'2001:db8:4::1/127'"), 'x.yaml');
    expect(formatIpv6(first.vms.find((v) => v.name === 'VM-B')!.peer6!)).toBe('2001:db8:3::2');
    expect(vm('VM-C').address6).toBeUndefined();
  });

  it('reads IPv6 announcements and static routes with either family of via', () => {
    expect(t.vms[0]!.announce.map((a) => [a.prefix6 ? formatIpv6(a.prefix6) : a.prefix, a.length])).toEqual([['2001:db8:100::10', 128], [0xc0a8640a, 32]]);
    const r = t.leaves.find((l) => l.name === 'leaf-3')!.routes[0]!;
    expect([formatIpv6(r.prefix6!), r.length]).toEqual(['2001:db8:20::', 48]);
    expect(r.nextHops.map((h) => (h.via6 ? formatIpv6(h.via6) : h.via))).toEqual(['2001:db8:3::1', 0x0a010101, '2001:db8:ff::2', '2001:db8:99::9']);
    expect(r.nextHops.map((h) => h.weight)).toEqual([2, 1, 1, 1]);
  });

  it.each([
    ['a bad IPv6 VTEP', V6_YAML.replace("'2001:db8:ff::1'", "'2001:db8:ff:::1'"), /bad IPv6 address '2001:db8:ff:::1' \(v6\.yaml: leaves\.border\.vtep, line 4\)/],
    ['a duplicate IPv6 VTEP written differently', V6_YAML.replace('2001:db8:ff::2', '2001:0db8:00ff:0::1'), /duplicate VTEP 2001:0db8:00ff:0::1 \(also border's\) \(v6\.yaml: leaves\.leaf-2\.vtep, line 7\)/],
    ['a bad IPv6 prefix', V6_YAML.replace("'2001:db8:20::/48'", "'2001:db8:20::/129'"), /bad IPv6 prefix '2001:db8:20::\/129' \(v6\.yaml: leaves\.leaf-3\.routes\.T\.2001:db8:20::\/129, line 14\)/],
    ['host bits in an IPv6 route', V6_YAML.replace("'2001:db8:20::/48'", "'2001:db8:20::1/48'"), /prefix '2001:db8:20::1\/48' has host bits set .*line 14/],
    ['a bad IPv6 via', V6_YAML.replace("'2001:db8:99::9'", "'2001:db8:99::g'"), /bad IPv6 address '2001:db8:99::g' \(v6\.yaml: leaves\.leaf-3\.routes\.T\.2001:db8:20::\/48\[3\]\.via, line 14\)/],
    ['a /128 VM', V6_YAML.replace("'2001:db8:2::1/127'", "'2001:db8:2::1/128'"), /VM address '2001:db8:2::1\/128' needs a point-to-point prefix \(\/127 or shorter\) \(v6\.yaml: vms\.VM-2\.address, line 17\)/],
    ['a VM on the Subnet-Router anycast address', V6_YAML.replace("'2001:db8:3::2/64'", "'2001:db8:3::/64'"), /Subnet-Router anycast .*vms\.VM-B\.address, line 19/],
    ['two VMs on one IPv6 address', V6_YAML.replace("'2001:db8:2::1/127'", "'2001:db8:1:0::1/127'"), /address already used by VM-1 .*vms\.VM-2\.address, line 17/],
    ['a bad IPv6 announcement', V6_YAML.replace("announce: ['2001:db8:100::10/128'] }\n  VM-A", "announce: ['2001:db8:100::10'] }\n  VM-A"), /bad IPv6 prefix '2001:db8:100::10' \(v6\.yaml: vms\.VM-2\.announce\[0\], line 17\)/],
    ['a static route to its own IPv6 VTEP', V6_YAML.replace("via: '2001:db8:99::9'", "via: '2001:db8:ff::3'"), /cannot point at the leaf's own VTEP .*\[3\]\.via, line 14/],
  ])('refuses %s with file, key path, value and line', (_what, text, pattern) => {
    expect(errorOf(text)).toMatch(pattern);
  });

  it('takes flowlabel as a field of the non-Linux algorithms, not of linux-l4', () => {
    const crc = parseTopology(V6_YAML.replace("border: { vtep: '2001:db8:ff::1', asn: 65000 }", "border: { vtep: '2001:db8:ff::1', asn: 65000, hash: { algorithm: crc32, fields: [src-ip, dst-ip, flowlabel] } }"), 'c.yaml');
    expect(crc.leaves[0]!.hash.fields).toEqual(['src-ip', 'dst-ip', 'flowlabel']);
    expect(errorOf(V6_YAML.replace("border: { vtep: '2001:db8:ff::1', asn: 65000 }", "border: { vtep: '2001:db8:ff::1', asn: 65000, hash: { algorithm: linux-l4, fields: [src-ip, flowlabel] } }"))).toMatch(/'flowlabel' is read by linux-custom only .*leaves\.border\.hash\.fields/);
  });
});

describe('IPv6 convergence', () => {
  const f = converge(parseTopology(V6_YAML, 'v6.yaml'));

  it('puts IPv6 routes in tables6 and IPv4 ones in tables, ids into one routes list', () => {
    const r = route6At(f, 'border', SERVICE6)!;
    expect(r.family).toBe(6);
    expect(routePrefix(r)).toBe('2001:db8:100::10/128');
    expect(f.routes[r.id]).toBe(r);
    const v4 = f.routes[tableOf(f, leafOf(f, 'border'), 0).lookup(0xc0a8640a)]!;
    expect([v4.family, routePrefix(v4), v4.nextHops.map((h) => hopName(f, h))]).toEqual([4, '192.168.100.10/32', ['leaf-1']]);
    expect(tableOf(f, leafOf(f, 'border'), 0).lookup(0x20010db8)).toBe(-1);
  });

  it('carries IPv6 prefixes in EVPN type-5 with the VTEP, IPv4 or IPv6, as next hop', () => {
    const r = route6At(f, 'border', SERVICE6)!;
    expect(r.source).toBe('evpn');
    // lowest neighbour address first: IPv4 before IPv6
    expect(r.nextHops.map((h) => [h.kind, hopName(f, h), h.address6 ? formatIpv6(h.address6) : h.address, h.weight])).toEqual([
      [HOP_VTEP, 'leaf-1', 0x0a010101, 1],
      [HOP_VTEP, 'leaf-2', '2001:db8:ff::2', 1],
      [HOP_VTEP, 'leaf-3', '2001:db8:ff::3', 1],
    ]);
    const e = f.evpn.filter((x) => x.prefix6 !== undefined);
    expect(e.map((x) => [f.leafNames[x.leaf], x.paths])).toEqual([['leaf-1', 1], ['leaf-2', 1], ['leaf-3', 3]]);
  });

  it('weights the type-5 next hops by the paths behind them with weighting: paths', () => {
    const g = converge(parseTopology(V6_YAML + 'defaults: { weighting: paths }\n', 'p.yaml'));
    expect(route6At(g, 'border', SERVICE6)!.nextHops.map((h) => h.weight)).toEqual([1, 1, 3]);
    expect(route6At(g, 'border', SERVICE6)!.group.expectedShares()).toEqual([0.2, 0.2, 0.6]);
  });

  it('installs EBGP multipath from the VMs of either address family, and prefers static routes', () => {
    const r = route6At(f, 'leaf-3', SERVICE6)!;
    expect(r.source).toBe('ebgp');
    expect(r.nextHops.map((h) => [h.kind, hopName(f, h)])).toEqual([[HOP_VM, 'VM-C'], [HOP_VM, 'VM-A'], [HOP_VM, 'VM-B']]);
    const s = route6At(f, 'leaf-3', parseIpv6('2001:db8:20:1::5'))!;
    expect(s.source).toBe('static');
    expect(s.nextHops.map((h) => [h.kind, hopName(f, h), h.weight])).toEqual([
      [HOP_VM, 'VM-A', 2],
      [HOP_VTEP, 'leaf-1', 1],
      [HOP_VTEP, 'leaf-2', 1],
      [HOP_OPAQUE, '2001:db8:99::9', 1],
    ]);
    expect(opaqueName(f, s.nextHops[3]!.target)).toBe('2001:db8:99::9');
    expect(f.opaque[s.nextHops[3]!.target]).toBe(0);
    expect(route6At(f, 'border', parseIpv6('2001:db8:20:1::5'))).toBeUndefined();
  });

  it('indexes IPv6 VTEPs in vtep6Table and IPv4 ones in vtepToLeaf', () => {
    const at = (text: string): number => {
      const a = parseIpv6(text);
      return f.vtep6Table.lookup(a[0]!, a[1]!, a[2]!, a[3]!);
    };
    expect([at('2001:db8:ff::1'), at('2001:db8:ff::2'), at('2001:db8:ff::3'), at('2001:db8:ff::4')]).toEqual([0, 2, 3, -1]);
    expect([...f.vtepToLeaf]).toEqual([[0x0a010101, 1]]);
  });

  it('builds each leaf\'s IPv6 hasher from its hash spec and says whether one reads the flow label', () => {
    for (const [i, l] of f.topology.leaves.entries()) {
      const want = makeHasher6({ algorithm: l.hash.algorithm, seed: l.hash.seed, fields: l.hash.fields as HashField6[] });
      expect(f.hashers6[i]!(SERVICE6, parseIpv6('2001:db8:5::7'), 17, 1000, 53, 0x12345)).toBe(want(SERVICE6, parseIpv6('2001:db8:5::7'), 17, 1000, 53, 0x12345));
    }
    expect(f.readsFlowLabel).toBe(false);
    const withHash = (hash: string) => converge(parseTopology(V6_YAML.replace("leaf-1: { vtep: 10.1.1.1, asn: 65001 }", `leaf-1: { vtep: 10.1.1.1, asn: 65001, hash: ${hash} }`), 'h.yaml')).readsFlowLabel;
    expect(withHash('{ algorithm: linux-l3 }')).toBe(true);
    expect(withHash('{ algorithm: linux-l3-inner }')).toBe(true);
    expect(withHash('{ algorithm: crc32 }')).toBe(false);
    expect(withHash('{ algorithm: crc32, fields: [src-ip, dst-ip, flowlabel] }')).toBe(true);
    expect(withHash('{ algorithm: linux-custom, fields: [src-ip, flowlabel] }')).toBe(true);
    expect(withHash('{ algorithm: linux-custom, fields: [src-ip, dst-ip] }')).toBe(false);
  });

  it('keeps a surviving IPv6 group in place when a VM fails', () => {
    const g = converge(f.topology, { failed: ['VM-A'], previous: f });
    const before = route6At(f, 'leaf-3', SERVICE6)!;
    const after = route6At(g, 'leaf-3', SERVICE6)!;
    expect(after.nextHops.length).toBe(3);
    expect([0, 1, 2].map((m) => after.group.isLive(m))).toEqual([true, false, true]);
    expect(after.group).not.toBe(before.group);
  });
});

describe('resolvePath6', () => {
  const f = converge(parseTopology(V6_YAML, 'v6.yaml'));
  const border = leafOf(f, 'border');

  it('walks the same stages as resolvePath: lookup, the leaf\'s IPv6 hash, member, VTEP, then the VM', () => {
    const p = new PathResult();
    const rng = new Rng(7);
    const vms = new Set<string>();
    const vteps = new Set<string>();
    const src = new Uint32Array([0x20010db8, 5, 0, 0]);
    for (let i = 0; i < 500; i++) {
      src[3] = rng.next();
      const sport = 1024 + (rng.next() % 60000);
      resolvePath6(f, border, 0, src, SERVICE6, 0, 17, sport, 53, -1, p);
      expect(p.reason).toBe(0);
      expect(p.stages).toBe(2);
      // stage by stage as the tables and hashers say
      let leaf = border;
      for (let s = 0; s < p.stages; s++) {
        const r = route6At(f, f.leafNames[leaf]!, SERVICE6)!;
        const h = f.hashers6[leaf]!(src, SERVICE6, 17, sport, 53, 0);
        expect([p.stageLeaf[s], p.stageRoute[s], p.stageHash[s], p.stageMember[s]]).toEqual([leaf, r.id, h, r.group.select(h)]);
        leaf = r.nextHops[p.stageMember[s]!]!.target;
      }
      expect(p.vtep).toBe(p.stageLeaf[1]);
      expect(p.outerSport).toBeGreaterThanOrEqual(49152);
      vteps.add(f.leafNames[p.vtep]!);
      vms.add(f.vmNames[p.vm]!);
    }
    expect([...vteps].sort()).toEqual(['leaf-1', 'leaf-2', 'leaf-3']);
    expect([...vms].sort()).toEqual(['VM-1', 'VM-2', 'VM-A', 'VM-B', 'VM-C']);
  });

  it('reads the flow label only where the leaf\'s hash does', () => {
    const moved = (yaml: string): number => {
      const g = converge(parseTopology(yaml, 'l.yaml'));
      const p = new PathResult();
      const src = new Uint32Array([0x20010db8, 5, 0, 9]);
      let n = 0;
      for (let label = 0; label < 200; label++) {
        resolvePath6(g, 0, 0, src, SERVICE6, label, 6, 40000, 443, -1, p);
        if (p.vtep !== p.stageLeaf[1] || label === 0) continue;
        n += p.stageMember[0] !== firstMember(g, src) ? 1 : 0;
      }
      return n;
    };
    const firstMember = (g: Fabric, src: Uint32Array): number => {
      const p = new PathResult();
      resolvePath6(g, 0, 0, src, SERVICE6, 0, 6, 40000, 443, -1, p);
      return p.stageMember[0]!;
    };
    expect(moved(V6_YAML)).toBe(0);
    expect(moved(V6_YAML.replace("border: { vtep: '2001:db8:ff::1', asn: 65000 }", "border: { vtep: '2001:db8:ff::1', asn: 65000, hash: { algorithm: linux-l3 } }"))).toBeGreaterThan(50);
  });

  it('counts no-route, and an arrived VTEP, as resolvePath does; IPv4 flows are unchanged', () => {
    const p = new PathResult();
    resolvePath6(f, border, 0, SERVICE6, parseIpv6('2001:db8:dead::1'), 0, 17, 1, 2, -1, p);
    expect([p.reason, p.stages]).toEqual([REASON_NO_ROUTE, 0]);
    resolvePath6(f, leafOf(f, 'leaf-3'), 0, parseIpv6('2001:db8:5::7'), SERVICE6, 0, 17, 1, 2, leafOf(f, 'leaf-3'), p);
    expect([p.reason, p.stages, p.vtep, f.vmNames[p.vm]!.startsWith('VM-')]).toEqual([0, 1, leafOf(f, 'leaf-3'), true]);
    resolvePath(f, border, 0, 0x0a000001, 0xc0a8640a, 6, 1234, 80, -1, p);
    expect([p.reason, p.stages, f.leafNames[p.vtep], f.vmNames[p.vm]]).toEqual([0, 2, 'leaf-1', 'VM-1']);
  });
});
