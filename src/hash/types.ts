// The shapes every hash shares: algorithm names, the hasher signature, a hash's full specification.

import type { HashField } from './fields.js';

export type HashAlgorithm = 'crc32' | 'crc16' | 'xor' | 'toeplitz' | 'linux-l3' | 'linux-l4';

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['crc32', 'crc16', 'xor', 'toeplitz', 'linux-l3', 'linux-l4'];

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
