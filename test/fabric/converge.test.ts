import { describe, expect, it } from 'vitest';
import { HOP_OPAQUE, HOP_VM, HOP_VTEP, converge, tableOf, type Fabric } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { showRoute } from '../../src/fabric/show.js';

const SERVICE = 0xc0a8640a;
const routeAt = (f: Fabric, leaf: string, addr: number) => {
  const id = tableOf(f, f.leafNames.indexOf(leaf), 0).lookup(addr);
  return id < 0 ? undefined : f.routes[id];
};

describe('convergence of the built-in fabric', () => {
  const f = converge(loadTopology());

  it('installs the service prefix at the border via the three VTEPs, weight 1 each', () => {
    const r = routeAt(f, 'border', SERVICE)!;
    expect(r.source).toBe('evpn');
    expect(r.nextHops.map((h) => [h.kind, f.leafNames[h.target], h.weight])).toEqual([
      [HOP_VTEP, 'leaf-1', 1],
      [HOP_VTEP, 'leaf-2', 1],
      [HOP_VTEP, 'leaf-3', 1],
    ]);
    expect(showRoute(f, 'border', 'TENANT-A')).toMatch(/B>\* 192\.168\.100\.10\/32 \[200\/0\] via 10\.1\.1\.1 \(vxlan\), weight 1\n.*via 10\.1\.1\.2 \(vxlan\), weight 1\n.*via 10\.1\.1\.3 \(vxlan\), weight 1/);
  });

  it('prefers its own EBGP paths to EVPN routes for the same prefix', () => {
    const r = routeAt(f, 'leaf-3', SERVICE)!;
    expect(r.source).toBe('ebgp');
    expect(r.nextHops.map((h) => [h.kind, f.vmNames[h.target]])).toEqual([
      [HOP_VM, 'VM-A'],
      [HOP_VM, 'VM-B'],
      [HOP_VM, 'VM-C'],
    ]);
    expect(routeAt(f, 'leaf-1', SERVICE)!.nextHops.map((h) => f.vmNames[h.target])).toEqual(['VM-1']);
  });

  it('weights VTEPs by the paths behind them with weighting: paths', () => {
    const g = converge(parseTopology(DEFAULT_TOPOLOGY_YAML + 'defaults: { weighting: paths }\n', 'p.yaml'));
    expect(routeAt(g, 'border', SERVICE)!.nextHops.map((h) => h.weight)).toEqual([1, 1, 3]);
    expect(routeAt(g, 'border', SERVICE)!.group.expectedShares()).toEqual([0.2, 0.2, 0.6]);
  });

  it('caps EBGP multipath at maximum-paths, lowest neighbour first, and advertises what it installed', () => {
    const g = converge(parseTopology(DEFAULT_TOPOLOGY_YAML.replace('leaf-3: { vtep: 10.1.1.3, asn: 65003 }', 'leaf-3: { vtep: 10.1.1.3, asn: 65003, maximum-paths: 2 }') + 'defaults: { weighting: paths }\n', 'm.yaml'));
    expect(routeAt(g, 'leaf-3', SERVICE)!.nextHops.map((h) => g.vmNames[h.target])).toEqual(['VM-A', 'VM-B']);
    expect(routeAt(g, 'border', SERVICE)!.nextHops.map((h) => h.weight)).toEqual([1, 1, 2]);
  });

  it('resolves static next-hops to a VTEP, a local VM or an opaque address, and prefers them', () => {
    const g = converge(parseTopology(DEFAULT_TOPOLOGY_YAML.replace('leaf-3: { vtep: 10.1.1.3, asn: 65003 }',
      'leaf-3:\n    vtep: 10.1.1.3\n    routes:\n      TENANT-A:\n        10.20.0.0/16: [ { via: 172.16.3.1, weight: 2 }, { via: 10.1.1.1 }, { via: 192.0.2.9 } ]\n        192.168.100.10/32: [ { via: 172.16.3.5 } ]'), 's.yaml'));
    const r = routeAt(g, 'leaf-3', 0x0a140505)!;
    expect(r.source).toBe('static');
    expect(r.nextHops.map((h) => [h.kind, h.weight])).toEqual([[HOP_VM, 2], [HOP_VTEP, 1], [HOP_OPAQUE, 1]]);
    expect(routeAt(g, 'leaf-3', SERVICE)!.nextHops.map((h) => g.vmNames[h.target])).toEqual(['VM-C']);
    expect(routeAt(g, 'border', 0x0a140505)).toBeUndefined();
  });
});

describe('failures', () => {
  const before = converge(loadTopology());

  it('withdraws a failed VM and keeps the surviving members in place', () => {
    const after = converge(before.topology, { failed: ['VM-A'], previous: before });
    const r = routeAt(after, 'leaf-3', SERVICE)!;
    expect(r.nextHops.map((h) => after.vmNames[h.target])).toEqual(['VM-A', 'VM-B', 'VM-C']);
    expect([0, 1, 2].map((m) => r.group.isLive(m))).toEqual([false, true, true]);
    expect(routeAt(after, 'border', SERVICE)!.group).toBe(routeAt(before, 'border', SERVICE)!.group);
  });

  it('withdraws every route of a failed leaf', () => {
    const after = converge(before.topology, { failed: ['leaf-1'], previous: before });
    const r = routeAt(after, 'border', SERVICE)!;
    expect([0, 1, 2].map((m) => r.group.isLive(m))).toEqual([false, true, true]);
  });

  it('refuses an unknown name and the ingress leaf', () => {
    expect(() => converge(before.topology, { failed: ['VM-Z'] })).toThrow(/no VM or leaf named 'VM-Z'/);
    expect(() => converge(before.topology, { failed: ['border'] })).toThrow(/ingress/);
  });
});
