// The affine hashes over IPv6 keys: Microsoft's RSS verification table (its IPv6 rows) for Toeplitz, and the
// compiled tables against the byte-wise definition for every algorithm, seed and field selection.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affine6Hasher, compileAffine6, type HashField6 } from '../../src/hash/affine6.js';
import { referenceHash } from '../../src/hash/linear.js';
import { toeplitz, toeplitzKey } from '../../src/hash/toeplitz.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';

const ALL: HashField6[] = ['src-ip', 'dst-ip', 'protocol', 'src-port', 'dst-port', 'flowlabel'];

describe('Toeplitz over IPv6: the RSS verification table', () => {
  // destination (port), source (port), IPv6 only, IPv6 with TCP
  const ROWS: [string, number, string, number, number, number][] = [
    ['3ffe:2501:200:3::1', 1766, '3ffe:2501:200:1fff::7', 2794, 0x2cc18cd5, 0x40207d3d],
    ['ff02::1', 4739, '3ffe:501:8::260:97ff:fe40:efab', 14230, 0x0f0c461c, 0xdde51bbf],
    ['fe80::200:f8ff:fe21:67cf', 38024, '3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 0x4b61e985, 0x02d1feef],
  ];
  const l3 = affine6Hasher(compileAffine6('toeplitz', 0, ['src-ip', 'dst-ip']));
  const l4 = affine6Hasher(compileAffine6('toeplitz', 0, ['src-ip', 'dst-ip', 'src-port', 'dst-port']));
  it.each(ROWS)('%s (%i) from %s (%i)', (dst, dport, src, sport, only, withTcp) => {
    const s = parseIpv6(src);
    const d = parseIpv6(dst);
    expect(l3(s, d, 6, sport, dport, 0x12345)).toBe(only);
    expect(l4(s, d, 6, sport, dport, 0x12345)).toBe(withTcp);
  });
});

describe('compiled IPv6 tables', () => {
  it('law: equal the byte-wise definition over the message in its documented order', () => {
    const algorithms = fc.constantFrom('crc32' as const, 'crc16' as const, 'xor' as const, 'toeplitz' as const);
    const words = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(algorithms, fc.nat(), fc.subarray(ALL), words, words, fc.nat(255), fc.nat(0xffff), fc.nat(0xffff), fc.nat(0xfffff),
        (algorithm, seed, fields, src, dst, proto, sport, dport, label) => {
          const msg: number[] = [];
          const be = (x: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => (x >>> (8 * (bytes - 1 - i))) & 0xff);
          if (fields.includes('src-ip')) for (const w of src) msg.push(...be(w, 4));
          if (fields.includes('dst-ip')) for (const w of dst) msg.push(...be(w, 4));
          if (fields.includes('src-port')) msg.push(...be(sport, 2));
          if (fields.includes('dst-port')) msg.push(...be(dport, 2));
          if (fields.includes('protocol')) msg.push(proto);
          if (fields.includes('flowlabel')) msg.push(...be(label, 3));
          const hasher = affine6Hasher(compileAffine6(algorithm, seed, fields));
          // Toeplitz past the RSS input's 36 bytes: the key repeats (its first bytes again after the 40th)
          const reference = algorithm === 'toeplitz' && msg.length > 36
            ? (m: Uint8Array): number => toeplitz(Uint8Array.from({ length: m.length + 4 }, (_, i) => toeplitzKey(seed)[i % 40]!), m)
            : referenceHash(algorithm, seed);
          expect(hasher(src, dst, proto, sport, dport, label)).toBe(reference(Uint8Array.from(msg)));
        }),
      { seed: 0x6aff, numRuns: 200 },
    );
  });
});
