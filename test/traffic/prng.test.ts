import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexPermutation } from '../../src/traffic/permutation.js';
import { Rng, mix32 } from '../../src/traffic/prng.js';

describe('Rng (xoshiro128**)', () => {
  it('is a pure function of (seed, stream)', () => {
    const a = new Rng(42, 7);
    const b = new Rng(42, 7);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)).toBe(true);
  });

  it('differs between seeds and between streams of one seed', () => {
    const first = (seed: number, stream: number): number[] => {
      const r = new Rng(seed, stream);
      return [r.next(), r.next(), r.next()];
    };
    expect(first(1, 0)).not.toEqual(first(2, 0));
    expect(first(1, 0)).not.toEqual(first(1, 1));
    expect(first(0, 0)).not.toEqual([0, 0, 0]);
  });

  it('below(n) stays in [0, n) and hits every value of a small range about equally', () => {
    const r = new Rng(9);
    const hits = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const v = r.below(10);
      expect(v >= 0 && v < 10 && Number.isInteger(v)).toBe(true);
      hits[v]!++;
    }
    for (const h of hits) expect(Math.abs(h - 10_000)).toBeLessThan(500);
  });

  it('mix32 is a bijection on a sample (no collisions among 2^16 consecutive inputs)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 65536; i++) seen.add(mix32(i));
    expect(seen.size).toBe(65536);
  });
});

describe('IndexPermutation', () => {
  it('is a bijection of [0, size) for any size and key (law: permutation)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 0xffffffff }), (size, seed) => {
        const p = new IndexPermutation(size, new Rng(seed));
        const seen = new Uint8Array(size);
        for (let i = 0; i < size; i++) {
          const x = p.map(i);
          if (!(x >= 0 && x < size) || seen[x]) return false;
          seen[x] = 1;
        }
        return true;
      }),
      { seed: 1, numRuns: 60 },
    );
  });

  it('stays inside a huge space and does not collide on a prefix of it', () => {
    const size = 16_646_144 * 28_232; // the uniform pattern's UDP key space
    const p = new IndexPermutation(size, new Rng(3));
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const x = p.map(i);
      expect(x >= 0 && x < size && Number.isSafeInteger(x)).toBe(true);
      seen.add(x);
    }
    expect(seen.size).toBe(20_000);
  });
});
