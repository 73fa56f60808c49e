import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketSchedule, packetCounts } from '../../src/traffic/schedule.js';

const sum = (a: Uint32Array): number => a.reduce((s, x) => s + x, 0);

describe('packetCounts', () => {
  it('sums to the packets asked for, every flow at least one when packets >= flows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 20_000 }), fc.boolean(), (flows, more, zipf) => {
        const c = packetCounts(flows, flows + more, zipf);
        return sum(c) === flows + more && c.every((x) => x >= 1);
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it('spreads evenly without zipf (counts differ by at most one)', () => {
    const c = packetCounts(1000, 3500, false);
    expect(Math.max(...c) - Math.min(...c)).toBe(1);
  });

  it('zipf: decreasing sizes, a few elephants carry much of the traffic, most flows are one-packet mice', () => {
    const c = packetCounts(32_768, 49_152, true);
    for (let i = 1; i < c.length; i++) expect(c[i]!).toBeLessThanOrEqual(c[i - 1]!);
    const top10 = Array.from(c.slice(0, 10)).reduce((a, b) => a + b, 0);
    expect(top10 / 49_152).toBeGreaterThan(0.08);
    expect(c[0]! / c[1]!).toBeCloseTo(2, 0); // s = 1: the largest is twice the second
    expect(Array.from(c).filter((x) => x === 1).length / c.length).toBeGreaterThan(0.8);
  });

  it('with fewer packets than flows, the first `packets` flows send one each', () => {
    const c = packetCounts(10, 4, true);
    expect(Array.from(c)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('PacketSchedule', () => {
  it('hands out each flow exactly its count, then -1', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 300 }), fc.nat(), (xs, seed) => {
        const counts = Uint32Array.from(xs);
        const s = new PacketSchedule(counts, seed);
        const seen = new Uint32Array(counts.length);
        for (let i = 0; i < s.total; i++) {
          const f = s.next();
          if (f < 0) return false;
          seen[f]!++;
          if (s.sent[f] !== seen[f]) return false;
        }
        return s.next() === -1 && seen.every((x, i) => x === counts[i]);
      }),
      { seed: 5, numRuns: 150 },
    );
  });

  it('interleaves flows (not flow by flow) and spreads an elephant over the whole capture', () => {
    const counts = packetCounts(1000, 5000, true);
    const s = new PacketSchedule(counts, 1);
    const order: number[] = [];
    for (let f = s.next(); f >= 0; f = s.next()) order.push(f);
    let sameAsPrevious = 0;
    for (let i = 1; i < order.length; i++) if (order[i] === order[i - 1]) sameAsPrevious++;
    expect(sameAsPrevious / order.length).toBeLessThan(0.1);
    const elephant = order.flatMap((f, i) => (f === 0 ? [i] : []));
    expect(elephant.length).toBe(counts[0]);
    expect(elephant[0]!).toBeLessThan(order.length / 10);
    expect(elephant[elephant.length - 1]!).toBeGreaterThan((order.length * 9) / 10);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const run = (seed: number): number[] => {
      const s = new PacketSchedule(packetCounts(300, 900, false), seed);
      const out: number[] = [];
      for (let f = s.next(); f >= 0; f = s.next()) out.push(f);
      return out;
    };
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });
});
