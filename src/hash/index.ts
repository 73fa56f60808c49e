// Flow hashing: each algorithm a pure function of the flow key and a seed, over a selection of fields.

import { UsageError } from '../errors.js';
import { affine6Hasher, compileAffine6, type HashField6 } from './affine6.js';
import { checkHashFields, LINUX_CUSTOM_FIELDS, type HashField } from './fields.js';
import { affineHasher, compileAffine, referenceHash } from './linear.js';
import { ADDR_IPV6, HASH_FIELD_BITS, jhash2words, LinuxFlowKeys, policy2Hash, policy3Hash, type Dissected } from './linux-keys.js';
import { makeLinuxHasher } from './linux.js';
import { makeLinux6Hasher, type FlowHasher6 } from './linux6.js';
import { ALL_HASH_ALGORITHMS, isLinuxAlgorithm, type FlowHasher, type HashAlgorithm, type HashSpec } from './types.js';

export { ALL_HASH_FIELDS, HASH_FIELDS, LINUX_CUSTOM_FIELDS, parseHashFields, type HashField } from './fields.js';
export { ALL_HASH_ALGORITHMS, HASH_ALGORITHMS, isLinuxAlgorithm, type FlowHasher, type HashAlgorithm, type HashSpec } from './types.js';
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
  if (!ALL_HASH_ALGORITHMS.includes(algorithm)) {
    throw new UsageError(`unknown hash algorithm '${String(algorithm)}' (known: ${ALL_HASH_ALGORITHMS.join(', ')})`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`hash seed ${String(seed)} is not an integer in 0..4294967295`);
  }
  checkHashFields(fields);
  const custom = fields.find((f) => LINUX_CUSTOM_FIELDS.includes(f));
  if (custom !== undefined && algorithm !== 'linux-custom') {
    throw new UsageError(`hash field '${custom}' is read by linux-custom only (Linux's policy 3), not by ${algorithm}`);
  }
  switch (algorithm) {
    case 'linux-l3':
      return makeLinuxHasher(0, seed, fields);
    case 'linux-l4':
      return makeLinuxHasher(1, seed, fields);
    case 'linux-l3-inner':
      // Policy 2 hashes the innermost addresses; the emulator's flows are the packets the leaves route (client
      // traffic, or the inner packet once a VTEP has decapsulated it), so innermost is the packet's own: policy 0.
      return makeLinuxHasher(0, seed, fields);
    case 'linux-custom':
      return makeCustomHasher(seed, fields);
    default:
      return affineHasher(compileAffine(referenceHash(algorithm, seed), fields));
  }
}

/**
 * Linux's policy 3 over the emulator's flows (fib_multipath_custom_hash_skb): the selected outer fields hashed, as
 * linux-l4 hashes with unselected fields zero, and joined with the inner hash by jhash_2words(outer, inner, 0). A
 * routed flow here is an untunnelled packet, so the inner hash is 0, as the kernel's is when its dissector meets no
 * tunnel (and it never looks inside VXLAN); the outer flow label is IPv6's, so no IPv4 key has one.
 */
function makeCustomHasher(seed: number, fields: readonly HashField[]): FlowHasher {
  const outerMask = fields.reduce((m, f) => m | HASH_FIELD_BITS[f], 0) & 0x3f;
  if (outerMask === 0) {
    const h = jhash2words(0, 0, 0);
    return () => h;
  }
  const outer = makeLinuxHasher(1, seed, fields);
  return (src, dst, proto, sport, dport) => jhash2words(outer(src, dst, proto, sport, dport), 0, 0);
}

/**
 * The IPv6 hasher for the spec: linux-l3/l4 as rt6_multipath_hash's policies 0 and 1 (policy 0 reads the flow
 * label whatever `fields` says, as the kernel does), the others over the selected fields in affine6.ts's order
 * (src, dst, ports, protocol, flow label). Checks as makeHasher does; 'flowlabel' is a field here.
 */
export function makeHasher6(spec: { algorithm: HashAlgorithm; seed: number; fields: readonly HashField6[] }): FlowHasher6 {
  const { algorithm, seed, fields } = spec;
  const v4Fields = fields.filter((f) => f !== 'flowlabel');
  makeHasher({ algorithm, seed, fields: algorithm === 'linux-custom' ? fields : v4Fields }); // the same checks, one place
  switch (algorithm) {
    case 'linux-l3':
      return makeLinux6Hasher(0, seed, v4Fields);
    case 'linux-l4':
      return makeLinux6Hasher(1, seed, v4Fields);
    case 'linux-l3-inner':
    case 'linux-custom':
      return policyHasher6(algorithm, seed, fields);
    default:
      return affine6Hasher(compileAffine6(algorithm, seed, fields));
  }
}

/**
 * Policies 2 and 3 over an untunnelled IPv6 packet, as rt6_multipath_hash computes them with a packet: policy 2 its
 * addresses, flow label (in host order, as the dissector stores it) and protocol; policy 3 the chosen fields,
 * jhash_2words with an inner hash of 0. Cold path (the `hash` command): the key is filled per call.
 */
function policyHasher6(algorithm: 'linux-l3-inner' | 'linux-custom', seed: number, fields: readonly HashField6[]): FlowHasher6 {
  const bits = fields.reduce((m, f) => m | HASH_FIELD_BITS[f], 0);
  const k = new LinuxFlowKeys();
  return (src, dst, proto, sport, dport, flowLabel) => {
    k.clear();
    k.addrType = ADDR_IPV6;
    for (let i = 0; i < 4; i++) {
      k.src[i] = src[i]!;
      k.dst[i] = dst[i]!;
    }
    k.proto = proto;
    k.sport = sport;
    k.dport = dport;
    k.flowLabelWord = flowLabel & 0xfffff;
    return algorithm === 'linux-l3-inner' ? policy2Hash(seed, { outer: k, inner: null }) : policy3Hash(seed, bits, { outer: k, inner: null });
  };
}

/** A hasher of a whole dissected packet, outer and inner headers (Linux's policies 2 and 3 over a tunnelled packet). */
export type TunnelHasher = (d: Dissected) => number;

/** The spec hashes inner headers of a tunnelled packet: linux-l3-inner (policy 2), linux-custom with an inner-* field. */
export function readsInnerHeaders(spec: { algorithm: HashAlgorithm; fields: readonly string[] }): boolean {
  return spec.algorithm === 'linux-l3-inner' || (spec.algorithm === 'linux-custom' && spec.fields.some((f) => f.startsWith('inner-')));
}

/**
 * The hasher of a tunnelled packet for a policy 2/3 leaf (policy2Hash; policy3Hash with the fields' bits, the
 * outer flow label of IPv6 included), null for every other algorithm: those hash the outer header as any packet.
 */
export function makeTunnelHasher(spec: { algorithm: HashAlgorithm; seed: number; fields: readonly string[] }): TunnelHasher | null {
  const seed = spec.seed;
  if (spec.algorithm === 'linux-l3-inner') return (d) => policy2Hash(seed, d);
  if (spec.algorithm !== 'linux-custom') return null;
  const bits = spec.fields.reduce((m, f) => m | (HASH_FIELD_BITS[f as keyof typeof HASH_FIELD_BITS] ?? 0), 0);
  return (d) => policy3Hash(seed, bits, d);
}

/**
 * The value users see (`hash` command): for the linux-* algorithms h >>> 1, the 31-bit value the kernel compares with
 * next-hop upper bounds; for the others h itself (crc16 and xor: the 16-bit hash replicated in both halves).
 */
export function displayHash(algorithm: HashAlgorithm, h: number): number {
  return isLinuxAlgorithm(algorithm) ? h >>> 1 : h >>> 0;
}

