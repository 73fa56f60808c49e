import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, parseTopology, type Topology } from '../../src/fabric/topology.js';
import { topologyToYaml, withHashing } from '../../src/experiments/topology.js';

/** Every field but where it came from and whether the seed was written down (the YAML always writes it). */
const comparable = (t: Topology) => ({ ...t, source: '', leaves: t.leaves.map((l) => ({ ...l, seedExplicit: true })) });

const RICH = `vrfs:
  TENANT-A: { vni: 10100 }
  "blue vrf": { vni: 20 }
defaults:
  hash: { algorithm: crc32, fields: [dst-ip, src-port] }
  selection: modulo
  buckets: 64
  maximum-paths: 8
  weighting: paths
  vxlan: { port: 8472, source-ports: [1000, 2000] }
leaves:
  border: { vtep: 10.1.1.254, asn: 65000, hash: { algorithm: toeplitz, seed: 0 } }
  leaf-1:
    vtep: 10.1.1.1
    selection: resilient
    routes:
      TENANT-A:
        10.20.0.0/16: [ { via: 172.16.1.1, weight: 2 }, { via: 10.1.1.254 }, { via: 192.0.2.7, weight: 5 } ]
      "blue vrf":
        0.0.0.0/0: [ { via: 198.51.100.1 } ]
  leaf-2: { vtep: 10.1.1.2, asn: 65002, hash: { seed: 4294967295 } }
vms:
  VM-1: { leaf: leaf-1, vrf: TENANT-A, address: 172.16.1.1/31, asn: 65100, announce: [192.168.100.10/32, 10.9.0.0/16] }
  VM-2: { leaf: leaf-2, vrf: "blue vrf", address: 172.16.2.10/24, announce: [192.168.100.10/32] }
  "on": { leaf: leaf-2, vrf: TENANT-A, address: 172.16.4.1/31, announce: [192.168.100.10/32] }
  "007": { leaf: leaf-2, vrf: TENANT-A, address: 172.16.4.3/31, announce: [192.168.100.10/32] }
ingress: { leaf: border, vrf: TENANT-A }
`;

describe('topologyToYaml', () => {
  it.each([['built-in', DEFAULT_TOPOLOGY_YAML], ['rich', RICH]])('reads back to the same topology (%s)', (_, yaml) => {
    const t = parseTopology(yaml, 'a.yaml');
    const back = parseTopology(topologyToYaml(t, 'a comment\nover two lines'), 'b.yaml');
    expect(comparable(back)).toEqual(comparable(t));
  });

  it('keeps derived per-leaf seeds and a variant\'s hashing', () => {
    const t = withHashing(parseTopology(DEFAULT_TOPOLOGY_YAML, 'x'), { algorithm: 'xor', selection: 'resilient' });
    const back = parseTopology(topologyToYaml(t), 'renamed.yaml');
    expect(back.leaves.map((l) => [l.hash.algorithm, l.hash.seed, l.selection])).toEqual(t.leaves.map((l) => [l.hash.algorithm, l.hash.seed, l.selection]));
    expect(new Set(back.leaves.map((l) => l.hash.seed)).size).toBe(4);
  });
});

describe('withHashing', () => {
  const t = parseTopology(DEFAULT_TOPOLOGY_YAML, 'x');
  it('sets one algorithm and selection on every leaf, leaving the input alone', () => {
    const v = withHashing(t, { algorithm: 'crc16', selection: 'modulo' });
    expect(v.leaves.every((l) => l.hash.algorithm === 'crc16' && l.selection === 'modulo')).toBe(true);
    expect(t.leaves.every((l) => l.hash.algorithm === 'linux-l4' && l.selection === 'hash-threshold')).toBe(true);
    expect(v.leaves.map((l) => l.hash.seed)).toEqual(t.leaves.map((l) => l.hash.seed));
  });
  it('with shared seeds gives every leaf the ingress leaf\'s seed', () => {
    const v = withHashing(t, { seeds: 'shared' });
    const border = t.leaves.find((l) => l.name === 'border')!.hash.seed;
    expect(v.leaves.map((l) => l.hash.seed)).toEqual([border, border, border, border]);
  });
  it('raises too few resilient buckets to the widest group, so the variant converges', () => {
    const few = parseTopology(DEFAULT_TOPOLOGY_YAML + 'defaults: { buckets: 2 }\n', 'x');
    const v = withHashing(few, { selection: 'resilient' });
    expect(v.leaves.every((l) => l.buckets >= 5)).toBe(true);
    expect(() => converge(v)).not.toThrow();
  });
});
