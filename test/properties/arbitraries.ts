// Shared fast-check arbitraries for the property suite: flows, hash specs, groups, small random fabrics.

import fc from 'fast-check';
import { HASH_FIELDS, type HashAlgorithm } from '../../src/hash/index.js';
import { SELECTIONS, type Selection } from '../../src/fib/group.js';
import { HASH_ALGORITHMS } from '../../src/hash/index.js';

/** Every property of the suite runs from this seed: a failure is the same failure on every machine. */
export const SEED = 4242;

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const port = fc.integer({ min: 0, max: 65535 });
export const algorithm = fc.constantFrom<HashAlgorithm>(...HASH_ALGORITHMS);
export const selection = fc.constantFrom<Selection>(...SELECTIONS);

export interface Flow {
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
}

/** A client flow to the service address of the built-in topology (ICMP and GRE have no ports). */
export const serviceFlow: fc.Arbitrary<Flow> = fc.record({
  src: u32,
  dst: fc.constant(0xc0a8640a),
  proto: fc.constantFrom(6, 17, 1, 47),
  sport: port,
  dport: port,
});

export const hashSpec = fc.record({ algorithm, seed: u32, fields: fc.constant(HASH_FIELDS) });

/**
 * A topology like the built-in one but of random shape: a border (the ingress) and 2..4 leaves with 0..4 VMs each
 * (at least one VM somewhere), all announcing the service address; one algorithm, selection, weighting.
 */
export const fabricYaml = fc
  .record({
    vmsPerLeaf: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 4 }).filter((a) => a.some((n) => n > 0)),
    algorithm,
    selection,
    weighting: fc.constantFrom('equal', 'paths'),
    sharedSeed: fc.option(u32, { nil: undefined }),
  })
  .map((o) => {
    const lines = ['vrfs:', '  TENANT-A: { vni: 10100 }', 'defaults:'];
    lines.push(`  hash: { algorithm: ${o.algorithm}${o.sharedSeed === undefined ? '' : `, seed: ${o.sharedSeed}`} }`);
    lines.push(`  selection: ${o.selection}`, `  weighting: ${o.weighting}`, 'leaves:', '  border: { vtep: 10.1.1.254 }');
    o.vmsPerLeaf.forEach((_, i) => lines.push(`  leaf-${i + 1}: { vtep: 10.1.1.${i + 1} }`));
    lines.push('vms:');
    o.vmsPerLeaf.forEach((n, i) => {
      for (let v = 0; v < n; v++) {
        lines.push(`  VM-${i + 1}-${v}: { leaf: leaf-${i + 1}, vrf: TENANT-A, address: 172.16.${i + 1}.${2 * v + 1}/31, announce: [192.168.100.10/32] }`);
      }
    });
    lines.push('ingress: { leaf: border, vrf: TENANT-A }');
    return { yaml: lines.join('\n') + '\n', vmsPerLeaf: o.vmsPerLeaf, weighting: o.weighting };
  });
