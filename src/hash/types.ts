// The shapes every hash shares: algorithm names, the hasher signature, a hash's full specification.

import type { HashField } from './fields.js';

export type HashAlgorithm = 'crc32' | 'crc16' | 'xor' | 'toeplitz' | 'linux-l3' | 'linux-l4' | 'linux-l3-inner' | 'linux-custom';

/** The algorithms `fuzz` compares by default. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['crc32', 'crc16', 'xor', 'toeplitz', 'linux-l3', 'linux-l4'];

/**
 * Every algorithm a topology and `hash` take: also Linux's fib_multipath_hash_policy 2 (linux-l3-inner) and 3
 * (linux-custom, over `fields` as fib_multipath_hash_fields names them).
 */
export const ALL_HASH_ALGORITHMS: readonly HashAlgorithm[] = [...HASH_ALGORITHMS, 'linux-l3-inner', 'linux-custom'];

/** The algorithms whose hash is the kernel's: selection compares h >>> 1 with next-hop bounds, as Linux does. */
export function isLinuxAlgorithm(algorithm: HashAlgorithm): boolean {
  return algorithm.startsWith('linux-');
}

export interface HashSpec {
  algorithm: HashAlgorithm;
  /** Unsigned 32-bit. */
  seed: number;
  fields: readonly HashField[];
}

/**
 * Addresses are u32 host order (1.2.3.4 = 0x01020304), ports 0..65535, protocol 0..255; returns an unsigned
 * 32-bit hash. Selection reads `h >>> 1` as its 31-bit value.
 */
export type FlowHasher = (src: number, dst: number, proto: number, sport: number, dport: number) => number;
