// Law: Linux's multipath hash is symmetric: swapping source and destination, or the ports, changes nothing
// (__flow_hash_consistentify orders the addresses and, independently, the ports before hashing).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HASH_FIELDS, makeHasher } from '../../src/hash/index.js';
import { NextHopGroup } from '../../src/fib/group.js';
import { SEED, port, selection, u32 } from './arbitraries.js';

const proto = fc.constantFrom(6, 17, 1, 47, 132);

describe('linux hash symmetry', () => {
  it('linux-l4 is symmetric in (src, dst) and in (sport, dport)', () => {
    fc.assert(
      fc.property(u32, u32, u32, proto, port, port, (seed, src, dst, p, sport, dport) => {
        const h = makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS });
        const x = h(src, dst, p, sport, dport);
        expect(h(dst, src, p, sport, dport)).toBe(x);
        expect(h(src, dst, p, dport, sport)).toBe(x);
        expect(h(dst, src, p, dport, sport)).toBe(x);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('linux-l3 is symmetric in (src, dst) and reads no ports', () => {
    fc.assert(
      fc.property(u32, u32, u32, proto, port, port, (seed, src, dst, p, sport, dport) => {
        const h = makeHasher({ algorithm: 'linux-l3', seed, fields: HASH_FIELDS });
        const x = h(src, dst, p, sport, dport);
        expect(h(dst, src, p, sport, dport)).toBe(x);
        expect(h(src, dst, 6, 0, 0)).toBe(x);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('so both directions of a connection pick the same member of a group', () => {
    fc.assert(
      fc.property(u32, u32, u32, port, port, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 8 }), selection, (seed, a, b, pa, pb, weights, sel) => {
        const h = makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS });
        const g = new NextHopGroup(weights, sel);
        expect(g.select(h(b, a, 6, pb, pa))).toBe(g.select(h(a, b, 6, pa, pb)));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
