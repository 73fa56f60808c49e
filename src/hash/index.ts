// Flow hashing: each algorithm a pure function of the flow key and a seed, over a selection of fields.

import { UsageError } from '../errors.js';
import { affine6Hasher, compileAffine6, type HashField6 } from './affine6.js';
import { checkHashFields } from './fields.js';
import { affineHasher, compileAffine, referenceHash } from './linear.js';
import { makeLinuxHasher } from './linux.js';
import { makeLinux6Hasher, type FlowHasher6 } from './linux6.js';
import { HASH_ALGORITHMS, type FlowHasher, type HashAlgorithm, type HashSpec } from './types.js';

export { HASH_FIELDS, parseHashFields, type HashField } from './fields.js';
export { HASH_ALGORITHMS, type FlowHasher, type HashAlgorithm, type HashSpec } from './types.js';
export type { FlowHasher6 } from './linux6.js';
export type { HashField6 } from './affine6.js';

/** Every field an IPv6 hash can read: IPv4's and the flow label. */
export const HASH_FIELDS6: readonly HashField6[] = ['src-ip', 'dst-ip', 'protocol', 'src-port', 'dst-port', 'flowlabel'];

/**
 * A hasher for the spec. Throws UsageError for an unknown algorithm or field, or a seed that is not an unsigned
 * 32-bit integer. An empty field list is allowed and hashes every flow alike.
 */
export function makeHasher(spec: HashSpec): FlowHasher {
  const { algorithm, seed, fields } = spec;
  if (!HASH_ALGORITHMS.includes(algorithm)) {
    throw new UsageError(`unknown hash algorithm '${String(algorithm)}' (known: ${HASH_ALGORITHMS.join(', ')})`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`hash seed ${String(seed)} is not an integer in 0..4294967295`);
  }
  checkHashFields(fields);
  switch (algorithm) {
    case 'linux-l3':
      return makeLinuxHasher(0, seed, fields);
    case 'linux-l4':
      return makeLinuxHasher(1, seed, fields);
    default:
      return affineHasher(compileAffine(referenceHash(algorithm, seed), fields));
  }
}

/**
 * The IPv6 hasher for the spec: linux-l3/l4 as rt6_multipath_hash's policies 0 and 1 (policy 0 reads the flow
 * label whatever `fields` says, as the kernel does), the others over the selected fields in affine6.ts's order
 * (src, dst, ports, protocol, flow label). Checks as makeHasher does; 'flowlabel' is a field here.
 */
export function makeHasher6(spec: { algorithm: HashAlgorithm; seed: number; fields: readonly HashField6[] }): FlowHasher6 {
  const { algorithm, seed, fields } = spec;
  const v4Fields = fields.filter((f) => f !== 'flowlabel');
  makeHasher({ algorithm, seed, fields: v4Fields }); // the same checks, one place
  switch (algorithm) {
    case 'linux-l3':
      return makeLinux6Hasher(0, seed, v4Fields);
    case 'linux-l4':
      return makeLinux6Hasher(1, seed, v4Fields);
    default:
      return affine6Hasher(compileAffine6(algorithm, seed, fields));
  }
}

/**
 * The value users see (`hash` command): for linux-l3/l4 h >>> 1, the 31-bit value the kernel compares with
 * next-hop upper bounds; for the others h itself (crc16 and xor: the 16-bit hash replicated in both halves).
 */
export function displayHash(algorithm: HashAlgorithm, h: number): number {
  return algorithm === 'linux-l3' || algorithm === 'linux-l4' ? h >>> 1 : h >>> 0;
}

