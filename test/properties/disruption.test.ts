// Law: hash-threshold and modulo move, on a member's failure, the share of flows their closed forms predict.
//
// N equal members, member k (0-based) fails, x = the 31-bit hash value, uniform on [0, 1) after scaling.
// - modulo: before, member x mod N; after, live member number (x mod (N-1)) in order. N and N-1 are coprime, so
//   (x mod N, x mod (N-1)) is uniform over all N(N-1) pairs (CRT). A flow stays iff x mod N = a != k and the
//   a-th member is the (x mod (N-1))-th live one: one pair per a, N-1 pairs in all. P(stay) = 1/N, so
//       moved = 1 - 1/N                                   (independent of k; 2/3 for N = 3).
// - hash-threshold: member m covers [m/N, (m+1)/N) before; after, live member j covers [j/(N-1), (j+1)/(N-1)).
//   For m < k (j = m) the overlap is (N-1-m)/(N(N-1)); for m > k (j = m-1) it is m/(N(N-1)). Summed:
//   P(stay) = [k(N-1-k) + N(N-1)/2] / (N(N-1)), so
//       moved = 1/2 - k(N-1-k) / (N(N-1))                (1/2 when an end member fails; the middle one of three: 1/3,
//                                                          its own flows only).
//   With weights, the same overlap of each member's span before and after gives moved = 1 - sum of overlaps.
// The minimum any method can move is the failed member's own share, 1/N: RFC 2992's analysis in numbers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';
import { prng, u32 as draw } from '../helpers.js';
import { SEED, u32 } from './arbitraries.js';

const SAMPLES = 40_000;

function moduloMoved(n: number): number {
  return 1 - 1 / n;
}

function hashThresholdMoved(n: number, k: number): number {
  return 0.5 - (k * (n - 1 - k)) / (n * (n - 1));
}

/** Weighted hash-threshold: 1 - sum over surviving members of |span before ∩ span after|. */
function weightedHashThresholdMoved(weights: readonly number[], k: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  const rest = total - weights[k]!;
  let before = 0;
  let after = 0;
  let stay = 0;
  weights.forEach((w, m) => {
    const b0 = before / total;
    const b1 = (before + w) / total;
    before += w;
    if (m === k) return;
    const a0 = after / rest;
    const a1 = (after + w) / rest;
    after += w;
    stay += Math.max(0, Math.min(b1, a1) - Math.max(b0, a0));
  });
  return 1 - stay;
}

function measuredMoved(group: NextHopGroup, k: number, seed: number): number {
  const next = group.without(k);
  const rand = prng(seed);
  let moved = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const h = draw(rand);
    if (group.select(h) !== next.select(h)) moved++;
  }
  return moved / SAMPLES;
}

/** Five standard errors of a sampled fraction around p: a fixed-seed bound no honest implementation trips. */
const tolerance = (p: number): number => 5 * Math.sqrt(Math.max(p * (1 - p), 1e-4) / SAMPLES);

describe('disruption closed forms', () => {
  it('the worked example: the first of three members goes', () => {
    expect(hashThresholdMoved(3, 0)).toBeCloseTo(1 / 2, 15); // 1.5x the minimum, 1/3
    expect(moduloMoved(3)).toBeCloseTo(2 / 3, 15); // 2x the minimum
    expect(hashThresholdMoved(3, 1)).toBeCloseTo(1 / 3, 15); // the middle one: only its own flows
    expect(weightedHashThresholdMoved([1, 1, 1], 0)).toBeCloseTo(1 / 2, 15);
  });

  it('modulo over N equal members moves 1 - 1/N of the flows, whichever member fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.nat(), u32, (n, pick, seed) => {
        const k = pick % n;
        const measured = measuredMoved(new NextHopGroup(new Array(n).fill(1), 'modulo'), k, seed);
        expect(Math.abs(measured - moduloMoved(n)), `N=${n} k=${k}`).toBeLessThan(tolerance(moduloMoved(n)));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('hash-threshold over N equal members moves 1/2 - k(N-1-k)/(N(N-1)) of the flows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.nat(), u32, (n, pick, seed) => {
        const k = pick % n;
        const expected = hashThresholdMoved(n, k);
        const measured = measuredMoved(new NextHopGroup(new Array(n).fill(1), 'hash-threshold'), k, seed);
        expect(Math.abs(measured - expected), `N=${n} k=${k}`).toBeLessThan(tolerance(expected));
        expect(expected).toBeGreaterThanOrEqual(1 / n - 1e-12); // never below the minimum
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('weighted hash-threshold moves 1 minus the overlap of each survivor\'s span before and after', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 10 }), fc.nat(), u32, (weights, pick, seed) => {
        const k = pick % weights.length;
        const expected = weightedHashThresholdMoved(weights, k);
        const measured = measuredMoved(new NextHopGroup(weights, 'hash-threshold'), k, seed);
        expect(Math.abs(measured - expected), `weights ${weights} k=${k}`).toBeLessThan(tolerance(expected));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});
