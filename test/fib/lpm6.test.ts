// Laws of the IPv6 longest-prefix match: it answers as the definition does (the longest route holding the
// address), for nested, shared and random prefixes, through inserts, replacements and removals.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lpm6 } from '../../src/fib/lpm6.js';
import { tryParseIpv6 } from '../../src/wire/ipv6.js';
import { prng, u32 } from '../helpers.js';

type Route = { words: number[]; length: number; value: number };

const big = (w: ArrayLike<number>): bigint =>
  (BigInt(w[0]! >>> 0) << 96n) | (BigInt(w[1]! >>> 0) << 64n) | (BigInt(w[2]! >>> 0) << 32n) | BigInt(w[3]! >>> 0);

/** The definition: the value of the longest route whose first `length` bits equal the address's. */
function reference(routes: readonly Route[], addr: readonly number[]): number {
  let best = -1;
  let bestLength = -1;
  const a = big(addr);
  for (const r of routes) {
    const shift = BigInt(128 - r.length);
    if (r.length > bestLength && a >> shift === big(r.words) >> shift) {
      best = r.value;
      bestLength = r.length;
    }
  }
  return best;
}

const lookup = (t: Lpm6, a: readonly number[]): number => t.lookup(a[0]!, a[1]!, a[2]!, a[3]!);

// Addresses and prefixes drawn near each other (shared top words, runs of zeros and ones), so routes nest and touch.
const word = fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.constant(0x20010db8), fc.constant(0x80000000), fc.integer({ min: 0, max: 0xffffffff }));
const words = fc.array(word, { minLength: 4, maxLength: 4 });
const route = fc.record({ words, length: fc.oneof(fc.integer({ min: 0, max: 128 }), fc.constantFrom(32, 48, 64, 127, 128)), value: fc.nat(1000) });

/** An address inside, or just outside, a route: its first address, last address, and their neighbours. */
function probes(routes: readonly Route[]): number[][] {
  const out: number[][] = [];
  const all = (1n << 128n) - 1n;
  for (const r of routes) {
    const host = all >> BigInt(r.length);
    const start = big(r.words) & ~host & all;
    for (const x of [start, start | host, start - 1n, (start | host) + 1n]) {
      if (x < 0n || x > all) continue;
      out.push([0, 1, 2, 3].map((i) => Number((x >> BigInt(96 - 32 * i)) & 0xffffffffn)));
    }
  }
  return out;
}

describe('Lpm6', () => {
  it('known cases: nested prefixes, a default route, host routes, an empty table', () => {
    const t = new Lpm6();
    const a = (s: string): Uint32Array => tryParseIpv6(s)!;
    const at = (s: string): number => lookup(t, Array.from(a(s)));
    expect(at('2001:db8::1')).toBe(-1);
    t.insert(a('2001:db8::'), 32, 1);
    t.insert(a('2001:db8:1::'), 48, 2);
    t.insert(a('2001:db8:1::10'), 128, 3);
    t.insert(a('2001:db8:1::2'), 127, 4); // 2001:db8:1::2 and ::3
    expect([at('2001:db8::1'), at('2001:db8:1::1'), at('2001:db8:1::10'), at('2001:db8:1::11')]).toEqual([1, 2, 3, 2]);
    expect([at('2001:db8:1::2'), at('2001:db8:1::3'), at('2001:db8:1::4'), at('2001:db9::')]).toEqual([4, 4, 2, -1]);
    t.insert(a('::'), 0, 9);
    expect([at('2001:db9::'), at('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), at('::')]).toEqual([9, 9, 9]);
    expect(t.remove(a('2001:db8:1::'), 48)).toBe(true);
    expect(t.remove(a('2001:db8:1::'), 48)).toBe(false);
    expect([at('2001:db8:1::1'), at('2001:db8:1::10')]).toEqual([1, 3]);
    t.insert(a('2001:db8:1::10'), 128, 7); // replaces
    expect([at('2001:db8:1::10'), t.size]).toEqual([7, 4]);
    expect(() => t.insert(a('::'), 129, 1)).toThrow(RangeError);
    expect(() => t.insert(a('::'), 64, -1)).toThrow(RangeError);
  });

  it('law: every lookup equals the definition, at and around every route\'s edges, after inserts and removals', () => {
    fc.assert(
      fc.property(fc.array(route, { maxLength: 60 }), fc.array(words, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 }), (routes, extra, removals) => {
        const t = new Lpm6();
        const held = new Map<string, Route>();
        const keyOf = (r: Route): string => `${big(r.words) >> BigInt(128 - r.length)}/${r.length}`;
        for (const r of routes) {
          t.insert(r.words, r.length, r.value);
          held.set(keyOf(r), r);
        }
        for (const k of removals) {
          const list = [...held.values()];
          if (list.length === 0) break;
          const gone = list[k % list.length]!;
          expect(t.remove(gone.words, gone.length)).toBe(true);
          held.delete(keyOf(gone));
        }
        const live = [...held.values()];
        expect(t.size).toBe(live.length);
        expect(t.rangeCount()).toBeLessThanOrEqual(2 * live.length + 1);
        for (const a of [...probes(routes), ...extra]) expect(lookup(t, a), a.map((w) => w.toString(16)).join(':')).toBe(reference(live, a));
      }),
      { seed: 0x1b66, numRuns: 400 },
    );
  });

  it('law: the same through index nodes: thousands of clustered routes, a wide root and children under it', () => {
    // 6000 /40s to /128s inside one /32 crowd a few slices of the space: the index nodes below the root take over there
    for (const seed of [1, 2, 3]) {
      const rand = prng(seed);
      const routes: Route[] = Array.from({ length: 6000 }, (_, i) => ({
        words: [0x20010db8, u32(rand) & 0x00ff0fff, u32(rand), u32(rand)],
        length: [40, 44, 48, 56, 64, 128][u32(rand) % 6]!,
        value: i,
      }));
      const t = new Lpm6();
      for (const r of routes) t.insert(r.words, r.length, r.value);
      expect(t.rangeCount()).toBeGreaterThan(4096); // the 16-bit root
      // many draws name the same prefix: the last insert holds it, as in the table
      const live = [...new Map(routes.map((r) => [`${big(r.words) >> BigInt(128 - r.length)}/${r.length}`, r])).values()];
      const randomAddrs = Array.from({ length: 300 }, () => [0x20010db8, u32(rand) & 0x00ff0fff, u32(rand), u32(rand)]);
      for (const a of [...probes(live).filter((_, i) => i % 20 === 0), ...randomAddrs]) expect(lookup(t, a)).toBe(reference(live, a));
    }
  });

  it('law: the answer is the same for words passed as u32 or as int32', () => {
    const t = new Lpm6();
    t.insert([0xfe800000, 0, 0, 0], 10, 5);
    t.insert([0xffffffff, 0xffffffff, 0, 0], 64, 6);
    expect(t.lookup(0xfe800001, 0, 0, 0)).toBe(t.lookup(0xfe800001 | 0, 0, 0, 0));
    expect(t.lookup(0xffffffff | 0, -1, 7, 7)).toBe(6);
    expect(t.lookup(0x7fffffff, 0, 0, 0)).toBe(-1);
  });
});
