// Longest-prefix match equals a naive reference, in both the linear and the trie form, through inserts and removes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Lpm, MAX_VALUE } from '../../src/fib/lpm.js';
import { u32Stream } from '../../bench/util.js';

const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const maskOf = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** The obvious implementation: every route in a map, the longest that contains the address wins. */
class NaiveLpm {
  readonly routes = new Map<string, { prefix: number; length: number; value: number }>();
  insert(prefix: number, length: number, value: number): void {
    const p = (prefix & maskOf(length)) >>> 0;
    this.routes.set(`${p}/${length}`, { prefix: p, length, value });
  }
  remove(prefix: number, length: number): boolean {
    return this.routes.delete(`${(prefix & maskOf(length)) >>> 0}/${length}`);
  }
  lookup(addr: number): number {
    let best = -1;
    let bestLength = -1;
    for (const r of this.routes.values()) {
      if (((addr & maskOf(r.length)) >>> 0) === r.prefix && r.length > bestLength) {
        best = r.value;
        bestLength = r.length;
      }
    }
    return best;
  }
}

/** Addresses that probe a prefix's edges: its first and last address and their neighbours. */
function edges(prefix: number, length: number): number[] {
  const first = (prefix & maskOf(length)) >>> 0;
  const last = (first | (~maskOf(length) >>> 0)) >>> 0;
  return [first, last, (first - 1) >>> 0, (last + 1) >>> 0, (first + ((last - first) >>> 1)) >>> 0];
}

// Prefixes cluster under a few bases so that they nest and overlap at every level of the trie.
const baseArb = fc.constantFrom(ip('10.0.0.0'), ip('10.1.2.0'), ip('10.1.2.128'), ip('192.168.255.255'), 0, 0xffffffff);
const prefixArb = fc.record({
  prefix: fc.oneof(
    baseArb,
    fc.tuple(baseArb, fc.nat(0xffff)).map(([b, x]) => (b ^ x) >>> 0),
    fc.tuple(baseArb, fc.nat(0xff)).map(([b, x]) => (b ^ (x << 16)) >>> 0),
    fc.nat(0xffffffff),
  ),
  length: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(0, 8, 15, 16, 17, 23, 24, 25, 31, 32)),
  value: fc.nat(1000),
});
const opArb = fc.oneof(
  { weight: 3, arbitrary: prefixArb.map((r) => ({ op: 'insert' as const, ...r })) },
  { weight: 1, arbitrary: prefixArb.map((r) => ({ op: 'remove' as const, ...r })) },
);

function check(lpm: Lpm, naive: NaiveLpm, probes: readonly number[]): void {
  let wrong = 0;
  let firstWrong = '';
  for (const a of probes) {
    const got = lpm.lookup(a);
    const want = naive.lookup(a);
    if (got !== want) {
      if (wrong++ === 0) firstWrong = `lookup(${a >>> 0}) = ${got}, expected ${want}`;
    }
  }
  expect(firstWrong).toBe('');
  expect(lpm.size).toBe(naive.routes.size);
}

describe('Lpm', () => {
  it('law: lookup equals the naive longest match after any sequence of inserts and removes', () => {
    for (const linearMax of [0, 4, 16]) {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.array(fc.nat(0xffffffff), { maxLength: 30 }), (ops, randomProbes) => {
          const lpm = new Lpm({ linearMax });
          const naive = new NaiveLpm();
          const probes = [...randomProbes];
          for (const o of ops) {
            if (o.op === 'insert') {
              lpm.insert(o.prefix, o.length, o.value);
              naive.insert(o.prefix, o.length, o.value);
            } else {
              expect(lpm.remove(o.prefix, o.length)).toBe(naive.remove(o.prefix, o.length));
            }
            probes.push(...edges(o.prefix, o.length));
          }
          check(lpm, naive, probes);
          const out = new Int32Array(probes.length);
          lpm.lookupBatch(Uint32Array.from(probes), out);
          expect(Array.from(out)).toEqual(probes.map((a) => lpm.lookup(a)));
        }),
        { seed: 0x1b3 + linearMax, numRuns: 400 },
      );
    }
  });

  it('law: removing every route frees every chunk and leaves no match', () => {
    fc.assert(
      fc.property(fc.array(prefixArb, { minLength: 1, maxLength: 80 }), fc.nat(0xffffffff), (routes, probe) => {
        const lpm = new Lpm({ linearMax: 0 });
        for (const r of routes) lpm.insert(r.prefix, r.length, r.value);
        for (const r of [...routes].reverse()) lpm.remove(r.prefix, r.length);
        expect(lpm.size).toBe(0);
        expect(lpm.chunkCounts()).toEqual({ l2: 0, l3: 0 });
        for (const r of routes) for (const a of edges(r.prefix, r.length)) expect(lpm.lookup(a)).toBe(-1);
        expect(lpm.lookup(probe)).toBe(-1);
      }),
      { seed: 0x1b4, numRuns: 300 },
    );
  });

  it('equals the reference on 20k random prefixes (realistic length mix), and after removing half', () => {
    const next = u32Stream(0xfeed);
    const lengths = [8, 12, 16, 16, 18, 20, 21, 22, 22, 23, 23, 24, 24, 24, 24, 24, 25, 28, 30, 32];
    const lpm = new Lpm();
    // Reference: one map per length, longest first; fast enough for 100k probes.
    const byLength = Array.from({ length: 33 }, () => new Map<number, number>());
    const ref = (a: number): number => {
      for (let l = 32; l >= 0; l--) {
        const v = byLength[l].get((a & maskOf(l)) >>> 0);
        if (v !== undefined) return v;
      }
      return -1;
    };
    const routes: Array<[number, number]> = [];
    for (let i = 0; i < 20_000; i++) {
      const length = lengths[next() % lengths.length];
      // Concentrate in 10.0.0.0/9 and 0.0.0.0/0 alike, so nesting is common.
      const prefix = ((i & 1 ? next() & 0x007fffff : next()) | (i & 1 ? 0x0a000000 : 0)) >>> 0;
      const p = (prefix & maskOf(length)) >>> 0;
      lpm.insert(prefix, length, i);
      byLength[length].set(p, i);
      routes.push([p, length]);
    }
    lpm.insert(0, 0, 999_999);
    byLength[0].set(0, 999_999);
    const probe = (): void => {
      let wrong = 0;
      for (let i = 0; i < 50_000; i++) {
        const a = i & 1 ? next() : ((next() & 0x007fffff) | 0x0a000000) >>> 0;
        if (lpm.lookup(a) !== ref(a)) wrong++;
      }
      for (const [p, l] of routes) for (const a of edges(p, l)) if (lpm.lookup(a) !== ref(a)) wrong++;
      expect(wrong).toBe(0);
      expect(lpm.size).toBe(byLength.reduce((n, m) => n + m.size, 0));
    };
    probe();
    for (let i = 0; i < routes.length; i += 2) {
      const [p, l] = routes[i];
      if (byLength[l].delete(p)) expect(lpm.remove(p, l)).toBe(true);
    }
    probe();
  });

  it('edge cases: default route, host routes, masking, replacement, the ends of the address space', () => {
    for (const linearMax of [0, 16]) {
      const lpm = new Lpm({ linearMax });
      expect(lpm.lookup(0)).toBe(-1);
      expect(lpm.size).toBe(0);
      lpm.insert(0, 0, 7);
      expect(lpm.lookup(0)).toBe(7);
      expect(lpm.lookup(0xffffffff)).toBe(7);
      expect(lpm.lookup(-1)).toBe(7); // a signed view of 255.255.255.255
      lpm.insert(ip('10.1.2.3'), 8, 1); // host bits below /8 are ignored
      expect(lpm.lookup(ip('10.200.0.1'))).toBe(1);
      lpm.insert(ip('10.0.0.0'), 8, 2); // same prefix: replaces
      expect(lpm.size).toBe(2);
      expect(lpm.lookup(ip('10.200.0.1'))).toBe(2);
      lpm.insert(ip('255.255.255.255'), 32, 3);
      lpm.insert(ip('0.0.0.0'), 32, 4);
      expect(lpm.lookup(0xffffffff)).toBe(3);
      expect(lpm.lookup(0xfffffffe)).toBe(7);
      expect(lpm.lookup(0)).toBe(4);
      expect(lpm.lookup(1)).toBe(7);
      lpm.insert(ip('192.168.100.10'), 32, MAX_VALUE);
      expect(lpm.lookup(ip('192.168.100.10'))).toBe(MAX_VALUE);
      expect(lpm.remove(ip('192.168.100.10'), 31)).toBe(false);
      expect(lpm.remove(ip('192.168.100.10'), 32)).toBe(true);
      expect(lpm.remove(ip('192.168.100.10'), 32)).toBe(false);
      expect(lpm.lookup(ip('192.168.100.10'))).toBe(7);
      expect(lpm.remove(0, 0)).toBe(true);
      expect(lpm.lookup(ip('192.168.100.10'))).toBe(-1);
      expect(lpm.lookup(ip('10.0.0.0'))).toBe(2);
      expect(lpm.size).toBe(3);
    }
  });

  it('256 equal /24s fold into one entry and still come apart route by route', () => {
    const lpm = new Lpm({ linearMax: 0 });
    lpm.insert(ip('10.1.0.0'), 16, 1);
    for (let i = 0; i < 256; i++) lpm.insert(ip(`10.2.${i}.0`), 24, 5);
    lpm.insert(ip('10.2.0.0'), 16, 6); // a shorter prefix under the /24s never shows
    expect(lpm.lookup(ip('10.2.77.1'))).toBe(5);
    for (let i = 0; i < 256; i += 2) lpm.remove(ip(`10.2.${i}.0`), 24);
    expect(lpm.lookup(ip('10.2.76.1'))).toBe(6);
    expect(lpm.lookup(ip('10.2.77.1'))).toBe(5);
    for (let i = 1; i < 256; i += 2) lpm.remove(ip(`10.2.${i}.0`), 24);
    expect(lpm.lookup(ip('10.2.77.1'))).toBe(6);
    expect(lpm.chunkCounts()).toEqual({ l2: 0, l3: 0 });
  });

  it('rejects bad lengths and values', () => {
    const lpm = new Lpm();
    expect(() => lpm.insert(0, 33, 1)).toThrow(RangeError);
    expect(() => lpm.insert(0, -1, 1)).toThrow(RangeError);
    expect(() => lpm.insert(0, 8.5, 1)).toThrow(RangeError);
    expect(() => lpm.insert(0, 8, -1)).toThrow(RangeError);
    expect(() => lpm.insert(0, 8, MAX_VALUE + 1)).toThrow(RangeError);
    expect(() => lpm.insert(2 ** 32, 8, 1)).toThrow(RangeError);
    expect(() => new Lpm({ linearMax: -1 })).toThrow(RangeError);
    expect(lpm.remove(0, 40)).toBe(false);
  });

  it('a small table is small: three routes take well under 64 KB, a trie with three under 1 MB', () => {
    const vrf = new Lpm();
    vrf.insert(ip('192.168.100.10'), 32, 0);
    vrf.insert(ip('172.16.3.0'), 31, 1);
    vrf.insert(ip('10.20.0.0'), 16, 2);
    expect(vrf.memoryBytes()).toBeLessThan(64 * 1024);
    const trie = new Lpm({ linearMax: 0 });
    trie.insert(ip('192.168.100.10'), 32, 0);
    trie.insert(ip('172.16.3.0'), 31, 1);
    trie.insert(ip('10.20.0.0'), 16, 2);
    expect(trie.memoryBytes()).toBeLessThan(1024 * 1024);
    expect(trie.chunkCounts()).toEqual({ l2: 2, l3: 2 });
  });

  it('grows from the linear form into the trie without losing a route', () => {
    const lpm = new Lpm({ linearMax: 3 });
    const naive = new NaiveLpm();
    const next = u32Stream(99);
    for (let i = 0; i < 40; i++) {
      const p = next();
      const l = next() % 33;
      lpm.insert(p, l, i);
      naive.insert(p, l, i);
      check(lpm, naive, [p, ...Array.from({ length: 20 }, next)]);
    }
  });
});
