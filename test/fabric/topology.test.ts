import { describe, expect, it } from 'vitest';
import { DEFAULT_TOPOLOGY_YAML, loadTopology, parseTopology, seedFromName } from '../../src/fabric/topology.js';
import { topologyError } from './v6-topology.js';

const errorOf = (text: string): string => topologyError(text, 'fab.yaml');

const withVm = (vm: string): string => DEFAULT_TOPOLOGY_YAML.replace(/  VM-C: .*\n/, `  VM-C: ${vm}\n`);

describe('the built-in topology (SPEC §1)', () => {
  it('is the file the spec prints', () => {
    const t = loadTopology();
    expect(t.source).toBe('built-in');
    expect(t.leaves.map((l) => l.name)).toEqual(['border', 'leaf-1', 'leaf-2', 'leaf-3']);
    expect(t.vms.map((v) => v.name)).toEqual(['VM-1', 'VM-2', 'VM-A', 'VM-B', 'VM-C']);
    expect(t.ingress).toEqual({ leaf: 'border', vrf: 'TENANT-A' });
    expect(t.weighting).toBe('equal');
    expect(t.vxlan).toEqual({ port: 4789, sourcePortLow: 49152, sourcePortHigh: 65535 });
  });

  it('applies the documented defaults and derives a distinct seed per leaf', () => {
    const t = loadTopology();
    for (const leaf of t.leaves) {
      expect(leaf.hash.algorithm).toBe('linux-l4');
      expect(leaf.hash.fields).toEqual(['src-ip', 'dst-ip', 'protocol', 'src-port', 'dst-port']);
      expect(leaf.selection).toBe('hash-threshold');
      expect(leaf.buckets).toBe(128);
      expect(leaf.maximumPaths).toBe(64);
      expect(leaf.seedExplicit).toBe(false);
      expect(leaf.hash.seed).toBe(seedFromName(leaf.name));
    }
    expect(new Set(t.leaves.map((l) => l.hash.seed)).size).toBe(4);
  });

  it("gives each VM the other address of its /31 as the leaf's side", () => {
    const vmA = loadTopology().vms.find((v) => v.name === 'VM-A')!;
    expect(vmA.address).toBe(0xac100301);
    expect(vmA.peer).toBe(0xac100300);
  });
});

describe('overrides', () => {
  it('takes an explicit seed from defaults for every leaf, and a leaf override over it', () => {
    const t = parseTopology(
      DEFAULT_TOPOLOGY_YAML +
        'defaults:\n  hash: { algorithm: crc32, seed: 7 }\n  selection: modulo\n  weighting: paths\n' +
        '  vxlan: { port: 8472, source-ports: [1000, 2000] }\n',
      'x.yaml',
    );
    expect(t.leaves.every((l) => l.hash.algorithm === 'crc32' && l.hash.seed === 7 && l.seedExplicit && l.selection === 'modulo')).toBe(true);
    expect(t.weighting).toBe('paths');
    expect(t.vxlan).toEqual({ port: 8472, sourcePortLow: 1000, sourcePortHigh: 2000 });
    const u = parseTopology(DEFAULT_TOPOLOGY_YAML.replace('leaf-3: { vtep: 10.1.1.3, asn: 65003 }', 'leaf-3: { vtep: 10.1.1.3, asn: 65003, hash: { seed: 12345 }, selection: resilient, buckets: 64 }'), 'y.yaml');
    const leaf3 = u.leaves.find((l) => l.name === 'leaf-3')!;
    expect(leaf3.hash).toMatchObject({ algorithm: 'linux-l4', seed: 12345 });
    expect(leaf3.selection).toBe('resilient');
    expect(leaf3.buckets).toBe(64);
  });

  it('reads static routes with weights defaulting to 1', () => {
    const t = parseTopology(
      DEFAULT_TOPOLOGY_YAML.replace(
        'leaf-3: { vtep: 10.1.1.3, asn: 65003 }',
        'leaf-3:\n    vtep: 10.1.1.3\n    routes:\n      TENANT-A:\n        10.20.0.0/16: [ { via: 172.16.3.1, weight: 2 }, { via: 10.1.1.1 } ]',
      ),
      's.yaml',
    );
    expect(t.leaves.find((l) => l.name === 'leaf-3')!.routes).toEqual([
      { vrf: 'TENANT-A', prefix: 0x0a140000, length: 16, nextHops: [{ via: 0xac100301, weight: 2 }, { via: 0x0a010101, weight: 1 }] },
    ]);
  });
});

describe('errors name the file, the key path, the bad value and the line (SPEC §2)', () => {
  it.each([
    ['an unknown top-level key', DEFAULT_TOPOLOGY_YAML + 'colour: blue\n', /unknown key 'colour'.*\(fab\.yaml: colour, line 15\)/],
    ['a VM on an unknown leaf', withVm('{ leaf: leaf-9, vrf: TENANT-A, address: 172.16.3.5/31 }'), /unknown leaf 'leaf-9' \(fab\.yaml: vms\.VM-C\.leaf, line 13\)/],
    ['an unknown VRF', withVm('{ leaf: leaf-3, vrf: TENANT-B, address: 172.16.3.5/31 }'), /unknown VRF 'TENANT-B' \(fab\.yaml: vms\.VM-C\.vrf, line 13\)/],
    ['a bad address', withVm('{ leaf: leaf-3, vrf: TENANT-A, address: 172.16.300.5/31 }'), /bad IPv4 prefix '172\.16\.300\.5\/31' \(fab\.yaml: vms\.VM-C\.address, line 13\)/],
    ['a VNI out of range', DEFAULT_TOPOLOGY_YAML.replace('vni: 10100', 'vni: 16777216'), /VNI 16777216 is not an integer in 1\.\.16777215 \(fab\.yaml: vrfs\.TENANT-A\.vni, line 2\)/],
    ['VNI 0', DEFAULT_TOPOLOGY_YAML.replace('vni: 10100', 'vni: 0'), /VNI 0 .*vrfs\.TENANT-A\.vni, line 2/],
    ['a duplicate VTEP', DEFAULT_TOPOLOGY_YAML.replace('vtep: 10.1.1.2,', 'vtep: 10.1.1.1,'), /duplicate VTEP 10\.1\.1\.1 .*leaves\.leaf-2\.vtep, line 6/],
    ['an unknown key in a leaf', DEFAULT_TOPOLOGY_YAML.replace('asn: 65002', 'asn: 65002, colour: red'), /unknown key 'colour'.*leaves\.leaf-2\.colour, line 6/],
    ['an unknown algorithm', DEFAULT_TOPOLOGY_YAML + 'defaults: { hash: { algorithm: md5 } }\n', /unknown hash algorithm 'md5'.*defaults\.hash\.algorithm, line 15/],
    ['an unknown selection', DEFAULT_TOPOLOGY_YAML + 'defaults: { selection: random }\n', /unknown selection 'random'.*defaults\.selection, line 15/],
    ['YAML syntax', 'vrfs: [1,\n', /YAML syntax: .*\(fab\.yaml: line \d\)/],
    ['a missing ingress', DEFAULT_TOPOLOGY_YAML.replace(/ingress: .*\n/, ''), /missing required key 'ingress'/],
  ])('%s', (_, text, want) => {
    expect(errorOf(text)).toMatch(want);
  });

  it('refuses a non-positive static weight', () => {
    const text = DEFAULT_TOPOLOGY_YAML.replace('leaf-3: { vtep: 10.1.1.3, asn: 65003 }', 'leaf-3:\n    vtep: 10.1.1.3\n    routes:\n      TENANT-A:\n        10.20.0.0/16: [ { via: 172.16.3.1, weight: 0 } ]');
    expect(errorOf(text)).toMatch(/weight 0 must be a positive integer \(fab\.yaml: leaves\.leaf-3\.routes\.TENANT-A\.10\.20\.0\.0\/16\[0\]\.weight, line 11\)/);
  });

  it('names a missing file', () => {
    expect(() => loadTopology('/nonexistent/fab.yaml')).toThrow(/no such topology file \(\/nonexistent\/fab\.yaml\)/);
  });
});

describe('what real boxes install: multipath-relax, route-targets, router-id', () => {
  const base = DEFAULT_TOPOLOGY_YAML;
  it('reads them, with relax on and no route-targets by default', () => {
    const t = parseTopology(base, 'fab.yaml');
    expect(t.leaves.every((l) => l.multipathRelax && Object.keys(l.routeTargets).length === 0)).toBe(true);
    const u = parseTopology(base.replace('leaf-3: { vtep: 10.1.1.3, asn: 65003 }', "leaf-3: { vtep: 10.1.1.3, asn: 65003, multipath-relax: false, route-targets: { TENANT-A: { import: ['*:10100'], export: ['65003:10100'] } } }").replace('VM-C: { leaf: leaf-3,', 'VM-C: { router-id: 10.0.0.1, leaf: leaf-3,'), 'fab.yaml');
    const leaf3 = u.leaves.find((l) => l.name === 'leaf-3')!;
    expect([leaf3.multipathRelax, leaf3.routeTargets]).toEqual([false, { 'TENANT-A': { import: ['*:10100'], export: ['65003:10100'] } }]);
    expect(u.vms.find((v) => v.name === 'VM-C')!.routerId).toBe(0x0a000001);
  });

  it('refuses a bad route-target, a wildcard export, a non-boolean relax and an unknown VRF', () => {
    const leaf3 = (extra: string): string => base.replace('leaf-3: { vtep: 10.1.1.3, asn: 65003 }', `leaf-3: { vtep: 10.1.1.3, asn: 65003, ${extra} }`);
    expect(errorOf(leaf3("route-targets: { TENANT-A: { import: ['65003'] } }"))).toMatch(/^bad route-target '65003' \(fab\.yaml: leaves\.leaf-3\.route-targets\.TENANT-A\.import\[0\], line \d+\)$/);
    expect(errorOf(leaf3("route-targets: { TENANT-A: { export: ['*:10100'] } }"))).toMatch(/^bad route-target '\*:10100'/);
    expect(errorOf(leaf3('multipath-relax: yes please'))).toMatch(/^expected true or false/);
    expect(errorOf(leaf3('route-targets: { BLUE: { import: [] } }'))).toMatch(/^unknown VRF 'BLUE'/);
  });
});


describe("Linux's policies 2 and 3 as hash algorithms (SPEC §2)", () => {
  const withHash = (hash: string): string => DEFAULT_TOPOLOGY_YAML.replace('leaves:\n', `defaults:\n  hash: ${hash}\nleaves:\n`);

  it('takes linux-l3-inner, and linux-custom with fib_multipath_hash_fields names, inner ones included', () => {
    const t = parseTopology(withHash('{ algorithm: linux-custom, fields: [src-ip, dst-ip, inner-src-port, flowlabel] }'), 'fab.yaml');
    expect(t.leaves[0]!.hash).toMatchObject({ algorithm: 'linux-custom', fields: ['src-ip', 'dst-ip', 'inner-src-port', 'flowlabel'] });
    expect(parseTopology(withHash('{ algorithm: linux-l3-inner }'), 'fab.yaml').leaves[3]!.hash.algorithm).toBe('linux-l3-inner');
  });

  it('refuses an inner field or the flow label for any other algorithm, naming the leaf', () => {
    expect(errorOf(withHash('{ algorithm: crc32, fields: [src-ip, inner-dst-ip] }'))).toMatch(
      /hash field 'inner-dst-ip' is read by linux-custom only \(Linux's policy 3\), not by crc32 \(fab\.yaml: leaves\.border\.hash\.fields/,
    );
    expect(errorOf(withHash('{ fields: [flowlabel] }'))).toMatch(/'flowlabel' is read by linux-custom only/);
  });
});
