// Laws of next-hop selection: Linux's hash-threshold bounds to the bit, flow stickiness, spread, and disruption.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_BUCKETS, NextHopGroup, SELECTIONS, linuxUpperBounds, type Selection } from '../../src/fib/group.js';

const TWO_31 = 2 ** 31;

/** fib_rebalance's bound, straight from the kernel's formula, in BigInt. */
function kernelBound(cumulative: number, total: number): number {
  const x = BigInt(cumulative) << 31n;
  const d = BigInt(total);
  return Number((x + d / 2n) / d) - 1;
}

/** fib_select_multipath with saddr 0: the first live next-hop whose bound >= hash, else the first live one. */
function kernelSelect(bounds: readonly number[], hash31: number): number {
  let first = -1;
  for (let i = 0; i < bounds.length; i++) {
    if (bounds[i] === -1) continue;
    if (first === -1) first = i;
    if (hash31 <= bounds[i]) return i;
  }
  return first;
}

/** The 32-bit hash whose selection value (hash32 >>> 1) is `h31`. */
const hashFor = (h31: number): number => (h31 * 2) >>> 0;

/** Deterministic uniform 32-bit hashes (xorshift32), so statistical checks never flake. */
function hashStream(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function liveMask(g: NextHopGroup): boolean[] {
  return Array.from({ length: g.size }, (_, i) => g.isLive(i));
}

/** Pearson's chi-square statistic of observed counts against expected shares. */
function chiSquare(counts: readonly number[], shares: readonly number[], n: number): { stat: number; df: number } {
  let stat = 0;
  let df = -1;
  for (let i = 0; i < counts.length; i++) {
    if (shares[i] === 0) {
      expect(counts[i]).toBe(0);
      continue;
    }
    const e = shares[i] * n;
    stat += ((counts[i] - e) * (counts[i] - e)) / e;
    df++;
  }
  return { stat, df };
}

/** Chi-square quantile for upper tail p = 1e-6 (Wilson-Hilferty; z = 4.753). */
function chiSquareCritical(df: number): number {
  const z = 4.753;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

const weightsArb = fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 12 });
const selectionArb = fc.constantFrom<Selection>(...SELECTIONS);

describe('hash-threshold bounds are Linux fib_rebalance to the bit', () => {
  it('known cases', () => {
    expect(linuxUpperBounds([1, 1, 1])).toEqual([715827882, 1431655764, 2147483647]);
    expect(linuxUpperBounds([1, 1])).toEqual([1073741823, 2147483647]);
    expect(linuxUpperBounds([1])).toEqual([2147483647]);
    expect(linuxUpperBounds([1, 2, 3])).toEqual([kernelBound(1, 6), kernelBound(3, 6), kernelBound(6, 6)]);
    expect(linuxUpperBounds([1, 2, 3])).toEqual([357913940, 1073741823, 2147483647]);
    // Weighted as with `weighting: paths` in the default topology: 1 + 1 + 3.
    expect(linuxUpperBounds([1, 1, 3])).toEqual([429496729, 858993458, 2147483647]);
    // Dead members get -1; the rest are rebalanced over the live total.
    expect(linuxUpperBounds([1, 1, 1], [true, false, true])).toEqual([1073741823, -1, 2147483647]);
    // Linux's largest weight (rtnh_hops 255 + 1) with large cumulative sums: exact beyond 2^53.
    const big = [256, 1, 256, 255, 7];
    let cumulative = 0;
    const total = big.reduce((a, b) => a + b, 0);
    expect(linuxUpperBounds(big)).toEqual(big.map((w) => kernelBound((cumulative += w), total)));
  });

  it('law: every bound equals DIV_ROUND_CLOSEST_ULL(w << 31, total) - 1, even where w * 2^31 > 2^53', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 2 ** 26 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        (weights, liveBits) => {
          const live = weights.map((_, i) => liveBits[i] || i === 0);
          let total = 0;
          weights.forEach((w, i) => live[i] && (total += w));
          let cumulative = 0;
          const expected = weights.map((w, i) => (live[i] ? kernelBound((cumulative += w), total) : -1));
          expect(linuxUpperBounds(weights, live)).toEqual(expected);
        },
      ),
      { seed: 0x5eed01, numRuns: 300 },
    );
  });

  it('law: select equals fib_select_multipath over those bounds, at and around every bound', () => {
    fc.assert(
      fc.property(weightsArb, fc.array(fc.nat(11), { maxLength: 6 }), fc.array(fc.nat(TWO_31 - 1), { maxLength: 50 }), (weights, fails, extra) => {
        let g = new NextHopGroup(weights, 'hash-threshold');
        for (const f of fails) if (f < g.size && liveMask(g).filter(Boolean).length > 1) g = g.without(f);
        const bounds = linuxUpperBounds(weights, liveMask(g));
        const probes = [0, 1, TWO_31 - 2, TWO_31 - 1, ...extra];
        for (const b of bounds) if (b >= 0) probes.push(b - 1, b, b + 1);
        for (const h of probes) {
          if (h < 0 || h >= TWO_31) continue;
          expect(g.select(hashFor(h))).toBe(kernelSelect(bounds, h));
          // The low bit of the 32-bit hash is not part of the selection value.
          expect(g.select(hashFor(h) | 1)).toBe(kernelSelect(bounds, h));
        }
      }),
      { seed: 0x5eed02, numRuns: 300 },
    );
  });

  it('law: select equals fib_select_multipath for large groups with skewed weights (index + scan path)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1 << 20 })), { minLength: 100, maxLength: 1500 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        (weights, seed) => {
          const g = new NextHopGroup(weights, 'hash-threshold');
          const bounds = linuxUpperBounds(weights);
          const next = hashStream(seed);
          let wrong = 0;
          for (const b of bounds) for (const h of [b, b + 1]) if (h < TWO_31 && g.select(hashFor(h)) !== kernelSelect(bounds, h)) wrong++;
          for (let i = 0; i < 5000; i++) {
            const x = next();
            if (g.select(x) !== kernelSelect(bounds, x >>> 1)) wrong++;
          }
          expect(wrong).toBe(0);
        },
      ),
      { seed: 0x5eed0a, numRuns: 40 },
    );
  });
});

describe('modulo is hash mod total weight over the weight-expanded list', () => {
  it('law: select equals the expanded-list definition, small totals (table) and large (search)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(TWO_31 - 1), { minLength: 1, maxLength: 100 }),
        fc.nat(7),
        (weights, hashes, fail) => {
          let g = new NextHopGroup(weights, 'modulo');
          if (fail < g.size && g.size > 1) g = g.without(fail);
          const members = weights.map((_, i) => i).filter((i) => g.isLive(i));
          const total = members.reduce((a, i) => a + weights[i], 0);
          for (const h of [...hashes, 0, TWO_31 - 1, total - 1, total]) {
            if (h >= TWO_31) continue;
            let r = h % total;
            let expected = -1;
            for (const i of members) {
              if (r < weights[i]) {
                expected = i;
                break;
              }
              r -= weights[i];
            }
            expect(g.select(hashFor(h))).toBe(expected);
          }
        },
      ),
      { seed: 0x5eed03, numRuns: 300 },
    );
  });

  it('known case: weights [2, 1] expand to [0, 0, 1]', () => {
    const g = new NextHopGroup([2, 1], 'modulo');
    expect([0, 1, 2, 3, 4, 5].map((h) => g.select(hashFor(h)))).toEqual([0, 0, 1, 0, 0, 1]);
  });
});

describe('every method', () => {
  it('law: a flow never splits (select is a function of the hash alone) and picks a live member', () => {
    fc.assert(
      fc.property(weightsArb, selectionArb, fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 64 }), fc.nat(11), (weights, selection, hashes, fail) => {
        const buckets = Math.max(DEFAULT_BUCKETS, weights.length);
        let a = new NextHopGroup(weights, selection, buckets);
        let b = new NextHopGroup(weights, selection, buckets);
        if (fail < weights.length && weights.length > 1) {
          a = a.without(fail);
          b = b.without(fail);
        }
        for (const h of hashes) {
          const m = a.select(h);
          expect(a.select(h)).toBe(m);
          expect(b.select(h)).toBe(m);
          expect(Number.isInteger(m) && m >= 0 && m < weights.length).toBe(true);
          expect(a.isLive(m)).toBe(true);
        }
      }),
      { seed: 0x5eed04, numRuns: 300 },
    );
  });

  it('law: for uniform hashes the spread matches expectedShares (chi-square, p > 1e-6) and shares sum to 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 8 }),
        selectionArb,
        fc.integer({ min: 1, max: 0xffffffff }),
        (weights, selection, seed) => {
          const g = new NextHopGroup(weights, selection);
          const shares = g.expectedShares();
          expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          if (selection !== 'resilient') {
            const total = weights.reduce((a, b) => a + b, 0);
            shares.forEach((s, i) => expect(s).toBe(weights[i] / total));
          }
          const n = 60_000;
          const next = hashStream(seed);
          const counts = new Array<number>(g.size).fill(0);
          for (let i = 0; i < n; i++) counts[g.select(next())]++;
          const { stat, df } = chiSquare(counts, shares, n);
          expect(stat).toBeLessThan(chiSquareCritical(df));
        },
      ),
      { seed: 0x5eed05, numRuns: 60 },
    );
  });

  it('hash-threshold spans differ from weight/total by at most 2^-31 (the rounding of one bound)', () => {
    fc.assert(
      fc.property(weightsArb, (weights) => {
        const g = new NextHopGroup(weights, 'hash-threshold');
        const bounds = linuxUpperBounds(weights);
        const shares = g.expectedShares();
        let previous = -1;
        bounds.forEach((b, i) => {
          expect(Math.abs((b - previous) / TWO_31 - shares[i])).toBeLessThanOrEqual(1 / TWO_31);
          previous = b;
        });
      }),
      { seed: 0x5eed06, numRuns: 200 },
    );
  });

  it('rejects weights that are not positive integers, and an empty group', () => {
    for (const selection of SELECTIONS) {
      expect(() => new NextHopGroup([], selection)).toThrow(RangeError);
      expect(() => new NextHopGroup([1, 0], selection)).toThrow(RangeError);
      expect(() => new NextHopGroup([1, -2], selection)).toThrow(RangeError);
      expect(() => new NextHopGroup([1.5], selection)).toThrow(RangeError);
      expect(() => new NextHopGroup([Number.NaN], selection)).toThrow(RangeError);
      expect(() => new NextHopGroup([2 ** 31, 1], selection)).toThrow(/int/);
    }
    expect(() => new NextHopGroup([1], 'round-robin' as Selection)).toThrow(RangeError);
  });

  it('without: the last live member cannot fail; a failed member fails once; indices stay', () => {
    for (const selection of SELECTIONS) {
      const g = new NextHopGroup([1, 2, 3], selection, 16);
      const g1 = g.without(1);
      expect(g1.size).toBe(3);
      expect(g1.weights).toEqual([1, 2, 3]);
      expect(g1.selection).toBe(selection);
      expect([g1.isLive(0), g1.isLive(1), g1.isLive(2)]).toEqual([true, false, true]);
      expect(g1.expectedShares()[1]).toBe(0);
      expect(g1.without(1)).toBe(g1);
      const last = g1.without(0);
      expect(() => last.without(2)).toThrow(/last live/);
      for (let h = 0; h < 1000; h++) expect(last.select(h * 0x01000193)).toBe(2);
      expect(() => g.without(3)).toThrow(RangeError);
      expect(g.isLive(0)).toBe(true); // the original is untouched
    }
  });
});

describe('resilient', () => {
  /** member of each bucket, read through select: hash32 = 2b gives selection value b, bucket b. */
  const tableOf = (g: NextHopGroup): number[] => Array.from({ length: g.buckets }, (_, b) => g.select(hashFor(b)));
  const countsOf = (g: NextHopGroup): number[] => {
    const c = new Array<number>(g.size).fill(0);
    for (const m of tableOf(g)) c[m]++;
    return c;
  };

  /** nh_res_group_rebalance's wants, from the kernel's formula in BigInt: DIV_ROUND_CLOSEST over cumulative weights. */
  const kernelWants = (weights: readonly number[], live: readonly boolean[], buckets: number): number[] => {
    const total = BigInt(weights.reduce((t, w, i) => t + (live[i] ? w : 0), 0));
    let cumulative = 0n;
    let previous = 0n;
    return weights.map((w, i) => {
      if (!live[i]) return 0;
      cumulative += BigInt(w);
      const upper = (BigInt(buckets) * cumulative + total / 2n) / total;
      const wants = Number(upper - previous);
      previous = upper;
      return wants;
    });
  };

  it('rejects a table size outside 1..MAX_BUCKETS; fewer buckets than members is allowed, as in the kernel', () => {
    expect(() => new NextHopGroup([1], 'resilient', 0)).toThrow(RangeError);
    expect(() => new NextHopGroup([1], 'resilient', 1.5)).toThrow(RangeError);
    // `ip nexthop add id 10 group 1/2/3 type resilient buckets 2` gives buckets [3, 1]: member 2 gets none.
    expect(tableOf(new NextHopGroup([1, 1, 1], 'resilient', 2))).toEqual([2, 0]);
    // a member whose rounded share is 0 buckets gets none (group 1,100/3 buckets 16: all 16 to the first)
    expect(countsOf(new NextHopGroup([100, 1], 'resilient', 16))).toEqual([16, 0]);
  });

  it('known cases, as `ip nexthop bucket show` prints them: blocks in reverse member order, bucket = (hash >>> 1) % buckets', () => {
    // group 1/2/3 type resilient buckets 16: wants 5/6/5, buckets 0-4 -> 3, 5-10 -> 2, 11-15 -> 1
    const g = new NextHopGroup([1, 1, 1], 'resilient', 16);
    expect(tableOf(g)).toEqual([2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(g.select(hashFor(16 + 6))).toBe(1);
    // ip nexthop del id 2: its buckets 5-10 refill in index order, to 3 until it has 8, then to 1
    expect(tableOf(g.without(1))).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    // ip nexthop replace id 10 group 1,1/3,3: member 1 is 4 over, its first 4 buckets (8-11) go to 3
    expect(tableOf(g.without(1).reweighted([1, 1, 3]))).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0]);
    // the notes' case: group 1/2/3 buckets 128 gives 0-42 -> 3, 43-84 -> 2, 85-127 -> 1
    const t = tableOf(new NextHopGroup([1, 1, 1], 'resilient', 128));
    expect([t.indexOf(2), t.lastIndexOf(2), t.indexOf(1), t.lastIndexOf(1), t.indexOf(0)]).toEqual([0, 42, 43, 84, 85]);
    expect(new NextHopGroup([1, 1], 'resilient').expectedShares()).toEqual([0.5, 0.5]);
  });

  it('law: a new table gives each member the buckets the kernel wants, in one block each, last member first', () => {
    fc.assert(
      fc.property(weightsArb, fc.integer({ min: 1, max: 1024 }), (weights, buckets) => {
        const g = new NextHopGroup(weights, 'resilient', buckets);
        const wants = kernelWants(weights, weights.map(() => true), buckets);
        expect(countsOf(g)).toEqual(wants);
        g.expectedShares().forEach((s, i) => expect(s).toBe(wants[i] / buckets));
        const blocks = weights.flatMap((_, i) => new Array<number>(wants[weights.length - 1 - i]).fill(weights.length - 1 - i));
        expect(tableOf(g)).toEqual(blocks);
      }),
      { seed: 0x5eed07, numRuns: 300 },
    );
  });

  it('law: a change moves the removed member\'s buckets and a survivor\'s only while it holds more than it now wants', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 2, maxLength: 12 }),
        fc.integer({ min: 1, max: 512 }),
        fc.array(fc.tuple(fc.nat(11), fc.boolean(), fc.integer({ min: 1, max: 16 })), { minLength: 1, maxLength: 6 }),
        (initial, buckets, changes) => {
          let g = new NextHopGroup(initial, 'resilient', buckets);
          for (const [pick, remove, weight] of changes) {
            const k = pick % g.size;
            const live = liveMask(g);
            let h: NextHopGroup;
            if (remove) {
              if (!live[k] || live.filter(Boolean).length === 1) continue;
              h = g.without(k);
            } else {
              h = g.reweighted(g.weights.map((w, i) => (i === k ? weight : w)));
            }
            const wants = kernelWants(h.weights, liveMask(h), buckets);
            const before = tableOf(g);
            const after = tableOf(h);
            const counts = countsOf(g);
            const lost = new Array<number>(g.size).fill(0);
            for (let b = 0; b < buckets; b++) if (after[b] !== before[b]) lost[before[b]]++;
            lost.forEach((n, m) => expect(n, `member ${m}`).toBe(h.isLive(m) ? Math.max(0, counts[m] - wants[m]) : counts[m]));
            expect(countsOf(h)).toEqual(wants);
            g = h;
          }
        },
      ),
      { seed: 0x5eed08, numRuns: 300 },
    );
  });
});

describe('disruption when one of N equal members fails', () => {
  /** Exact number of 31-bit hashes whose owner changes, from the two groups' bounds. */
  function movedFromBounds(before: number[], after: number[], stride = 1, offset = 0): number {
    // Count sample points h = j * stride + offset in [lo, hi].
    const points = (lo: number, hi: number): number => {
      if (hi < lo) return 0;
      const first = Math.ceil((lo - offset) / stride);
      const last = Math.floor((hi - offset) / stride);
      return Math.max(0, last - Math.max(first, 0) + 1);
    };
    const span = (bounds: number[], i: number): [number, number] => {
      if (bounds[i] === -1) return [1, 0];
      let lo = 0;
      for (let j = i - 1; j >= 0; j--) {
        if (bounds[j] !== -1) {
          lo = bounds[j] + 1;
          break;
        }
      }
      return [lo, bounds[i]];
    };
    let stay = 0;
    for (let i = 0; i < before.length; i++) {
      const [a0, a1] = span(before, i);
      const [b0, b1] = span(after, i);
      stay += points(Math.max(a0, b0), Math.min(a1, b1));
    }
    return points(0, TWO_31 - 1) - stay;
  }

  /** Continuous closed form for hash-threshold, in units of 1/(N(N-1)): old span i*(N-1).., new span j*N.. */
  function thresholdClosedForm(n: number, k: number): number {
    let stay = 0;
    for (let i = 0, j = 0; i < n; i++) {
      if (i === k) continue;
      const lo = Math.max(i * (n - 1), j * n);
      const hi = Math.min((i + 1) * (n - 1), (j + 1) * n);
      stay += Math.max(0, hi - lo);
      j++;
    }
    return 1 - stay / (n * (n - 1));
  }

  it('law: hash-threshold moves exactly the flows whose span changes owner (closed form, exact on a strided scan)', () => {
    const stride = 8191; // odd, so samples fall everywhere relative to the bounds
    for (let n = 2; n <= 8; n++) {
      for (let k = 0; k < n; k++) {
        const g = new NextHopGroup(new Array<number>(n).fill(1), 'hash-threshold');
        const h = g.without(k);
        const before = linuxUpperBounds(g.weights, liveMask(g));
        const after = linuxUpperBounds(h.weights, liveMask(h));
        const exact = movedFromBounds(before, after) / TWO_31;
        // The integer bounds round the continuous spans by at most one hash value each.
        expect(Math.abs(exact - thresholdClosedForm(n, k))).toBeLessThanOrEqual((2 * n) / TWO_31);
        // At least the failed member's flows move, and never more than all of them.
        expect(exact).toBeGreaterThanOrEqual(1 / n - n / TWO_31);
        const offset = (n * 131 + k * 17) % stride;
        let moved = 0;
        let samples = 0;
        for (let x = offset; x < TWO_31; x += stride, samples++) {
          if (g.select(hashFor(x)) !== h.select(hashFor(x))) moved++;
        }
        expect(moved).toBe(movedFromBounds(before, after, stride, offset));
        expect(Math.abs(moved / samples - exact)).toBeLessThan(2 * n * (stride / TWO_31) + 1e-9);
      }
    }
  });

  it('known values: failing the middle of 3 moves only its 1/3; failing an end shifts a boundary too: 1/2', () => {
    expect(thresholdClosedForm(3, 1)).toBeCloseTo(1 / 3, 12);
    expect(thresholdClosedForm(3, 2)).toBeCloseTo(1 / 2, 12);
    expect(thresholdClosedForm(3, 0)).toBeCloseTo(1 / 2, 12);
    expect(thresholdClosedForm(2, 0)).toBeCloseTo(1 / 2, 12);
  });

  it('law: modulo moves (N-1)/N of the flows, exactly over every whole period N(N-1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.nat(8), fc.nat(TWO_31 - 1), (n, kRaw, baseRaw) => {
        const k = kRaw % n;
        const g = new NextHopGroup(new Array<number>(n).fill(1), 'modulo');
        const h = g.without(k);
        const period = n * (n - 1);
        const periods = 37;
        const base = Math.min(baseRaw, TWO_31 - period * periods);
        let moved = 0;
        for (let x = base; x < base + period * periods; x++) if (g.select(hashFor(x)) !== h.select(hashFor(x))) moved++;
        expect(moved * n).toBe((n - 1) * period * periods);
      }),
      { seed: 0x5eed09, numRuns: 200 },
    );
  });

  it('resilient moves exactly the failed member\'s share, the minimum possible', () => {
    for (let n = 2; n <= 8; n++) {
      for (let k = 0; k < n; k++) {
        const g = new NextHopGroup(new Array<number>(n).fill(1), 'resilient', 128);
        const h = g.without(k);
        let moved = 0;
        for (let b = 0; b < 128; b++) if (g.select(hashFor(b)) !== h.select(hashFor(b))) moved++;
        expect(moved / 128).toBe(g.expectedShares()[k]);
      }
    }
  });
});
