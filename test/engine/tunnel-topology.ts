// The topology and read-back helpers of the tunnel tests (tunnel.test.ts, kernel-tunnels.test.ts): a border leaf
// whose static routes go over the RouterLab's next hops, so that the engine and the namespace router can agree.

import type { Engine } from '../../src/engine/engine.js';
import { opaqueName } from '../../src/fabric/converge.js';
import { HASH_FIELD_BITS } from '../../src/hash/linux-keys.js';

export const WEIGHTS = [2, 1, 3, 1, 1];

/** Fields of linux-custom from a fib_multipath_hash_fields mask. */
export function fieldsOf(mask: number): string[] {
  return Object.keys(HASH_FIELD_BITS).filter((f) => (mask & HASH_FIELD_BITS[f as keyof typeof HASH_FIELD_BITS]) !== 0);
}

/** The border leaf's static routes over the RouterLab's next hops (10.0.k.2, 2001:db8:k::2), hash as given. */
export function tunnelTopology(hash: string, weights: readonly number[] = WEIGHTS, extra = ''): string {
  const v4 = weights.map((w, i) => `{ via: 10.0.${i + 1}.2, weight: ${w} }`).join(', ');
  const v6 = weights.map((w, i) => `{ via: '2001:db8:${i + 1}::2', weight: ${w} }`).join(', ');
  return `vrfs:
  T: { vni: 100 }
leaves:
  border:
    vtep: 10.1.1.254
    hash: ${hash}
    selection: hash-threshold
    routes:
      T:
        198.51.100.0/24: [${v4}]
        '2001:db8:100::/64': [${v6}]
  leaf-1: { vtep: 10.1.1.1${extra} }
vms:
  VM-1: { leaf: leaf-1, vrf: T, address: 172.16.1.1/31, announce: [192.168.100.10/32] }
ingress: { leaf: border, vrf: T }
`;
}

/** The next hop (0-based, by the via address) flow f left by. */
export function hopOf(engine: Engine, f: number): number {
  const other = engine.paths.other[engine.flows.pathOf(f)]!;
  const m = /^(?:10\.0\.(\d+)\.2|2001:db8:(\d+)::2)$/.exec(opaqueName(engine.fabric, other));
  if (!m) throw new Error(`flow ${f} left by ${opaqueName(engine.fabric, other)}`);
  return Number(m[1] ?? m[2]) - 1;
}

