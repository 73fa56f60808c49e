import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { siphash24 } from '../../src/hash/siphash.js';
import { siphashBig } from './oracle.js';
import { VECTORS, VECTOR_KEY as key, toHex } from './vectors.js';

describe('SipHash-2-4 in 32-bit halves', () => {
  it('has all 64 reference vectors', () => expect(VECTORS).toHaveLength(64));
  it.each(VECTORS.map((v, n) => [n, v] as const))('vector %i', (n, expected) => {
    expect(toHex(siphash24(key, Uint8Array.from({ length: n }, (_, i) => i)))).toBe(expected);
  });
  it('agrees with a BigInt implementation on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 80 }), (k, m) => {
        const dv = new DataView(k.buffer, k.byteOffset);
        const big = siphashBig(dv.getBigUint64(0, true), dv.getBigUint64(8, true), m);
        const [lo, hi] = siphash24(k, m);
        return big === (BigInt(hi) << 32n) + BigInt(lo);
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });
});
