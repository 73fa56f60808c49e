import { describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';

/** Member of every bucket, found by selecting a hash that lands on it (bucket b ← 31-bit value b). */
const owners = (g: NextHopGroup): number[] => Array.from({ length: g.buckets }, (_, b) => g.select((b << 1) >>> 0));

describe('NextHopGroup.reweighted', () => {
  it('resilient: moves only the buckets of members now over their share (1:1:3 → 1:1:2)', () => {
    const before = new NextHopGroup([1, 1, 3], 'resilient', 128);
    const after = before.reweighted([1, 1, 2]);
    const a = owners(before);
    const b = owners(after);
    const count = (o: number[], m: number): number => o.filter((x) => x === m).length;
    expect([0, 1, 2].map((m) => count(b, m))).toEqual([32, 32, 64]);
    const moved = a.filter((m, i) => m !== b[i]!);
    // exactly the excess of member 2 (77 → 64) moves, and only from member 2
    expect(moved).toHaveLength(count(a, 2) - 64);
    expect(new Set(moved)).toEqual(new Set([2]));
  });

  it('hash-threshold: recomputes the bounds as a group built with the new weights', () => {
    const g = new NextHopGroup([1, 1, 3], 'hash-threshold').reweighted([1, 1, 2]);
    const fresh = new NextHopGroup([1, 1, 2], 'hash-threshold');
    for (let h = 0; h < 2 ** 32; h += 7919 * 4099) expect(g.select(h >>> 0)).toBe(fresh.select(h >>> 0));
  });

  it('keeps dead members dead', () => {
    const g = new NextHopGroup([1, 1, 3], 'resilient', 64).without(0).reweighted([1, 1, 2]);
    expect(g.isLive(0)).toBe(false);
    expect(owners(g).includes(0)).toBe(false);
  });
});
