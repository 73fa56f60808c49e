import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chiSquareP,
  chiSquareStatistic,
  chiSquareSurvival,
  imbalance,
  jainIndex,
  logGamma,
  maxOverMean,
  normaliseShares,
  polarizationVerdict,
  regularizedGammaP,
  regularizedGammaQ,
  sharesUnequal,
  stageFails,
  summarizeStage,
} from '../../src/stats/fairness.js';

/** |a − b| ≤ rel·|b|, so tiny p-values are checked to relative, not absolute, accuracy. */
function expectRel(actual: number, expected: number, rel: number): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  expect(err, `${actual} vs ${expected} (relative error ${err})`).toBeLessThanOrEqual(rel);
}

describe('chi-square survival function', () => {
  // Reference values from SciPy 1.17.1, `scipy.stats.chi2.sf(x, k)` (printed with repr, full double precision).
  const SCIPY_CHI2_SF: [x: number, k: number, sf: number][] = [
    [0.5, 1, 0.47950012218695337],
    [3.84, 1, 0.05004352124870519],
    [1, 2, 0.6065306597126334],
    [10, 2, 0.006737946999085468],
    [5, 3, 0.1717971442967335],
    [20, 3, 0.00016974243555282632],
    [30, 4, 4.894437128029217e-6],
    [20, 1, 7.744216431044088e-6],
    [50, 1, 1.537459794428033e-12],
    [62, 2, 3.442477108469973e-14],
    [100, 100, 0.48119168452795674],
    [150, 100, 0.0009039320423540184],
    [70, 100, 0.9901544975235914],
    [250, 100, 7.76693640353949e-15],
    [0.001, 5, 0.9999999983185123],
    [2.5, 9, 0.9808834914028134],
    [400, 30, 2.7954938576565057e-66],
    [1200, 999, 1.112935044825893e-5],
    [1000, 3, 1.7994208765314067e-216],
  ];

  for (const [x, k, sf] of SCIPY_CHI2_SF) {
    it(`chi2.sf(${x}, ${k}) = ${sf}`, () => {
      expectRel(chiSquareSurvival(x, k), sf, 1e-11);
    });
  }

  it('matches the closed forms for 2 degrees of freedom (e^(−x/2)) and Q(1/2, x) = erfc(√x)', () => {
    for (const x of [0.01, 0.3, 1, 2.9, 3.1, 7, 40, 300, 1400]) {
      expectRel(chiSquareSurvival(x, 2), Math.exp(-x / 2), 1e-13);
    }
    // SciPy 1.17.1, scipy.special.gammaincc(0.5, 0.1) and gammaincc(7.5, 3.0)
    expectRel(regularizedGammaQ(0.5, 0.1), 0.6547208460185768, 1e-13);
    expectRel(regularizedGammaQ(7.5, 3.0), 0.9797477467178134, 1e-13);
  });

  it('has P + Q = 1 on both sides of the series/continued-fraction switch', () => {
    for (const a of [0.5, 1, 4.5, 50]) {
      for (const x of [a * 0.5, a + 0.999, a + 1, a + 1.001, a * 2 + 3]) {
        expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 14);
      }
    }
  });

  it('handles the edges: x = 0 gives 1, x = ∞ gives 0, bad arguments throw', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(regularizedGammaQ(2, 0)).toBe(1);
    expect(regularizedGammaQ(2, Infinity)).toBe(0);
    expect(() => regularizedGammaQ(0, 1)).toThrow(RangeError);
    expect(() => regularizedGammaQ(1, -1)).toThrow(RangeError);
    expect(() => chiSquareSurvival(1, 0)).toThrow(RangeError);
  });

  it('logGamma agrees with factorials and Γ(1/2) = √π', () => {
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15);
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-15);
    let f = 1;
    for (let n = 2; n <= 30; n++) {
      expectRel(logGamma(n + 1), Math.log((f *= n)), 1e-14);
    }
    expectRel(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
    expectRel(Math.exp(logGamma(0.1)), 9.513507698668732, 1e-13); // Γ(0.1), scipy.special.gamma(0.1)
  });
});

describe('maxOverMean', () => {
  it('is observed/expected of the most loaded next-hop (hand-computed)', () => {
    // 90 flows, 1/3 each → 30 expected; the busiest has 45: 1.5
    expect(maxOverMean([45, 30, 15], [1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(1.5, 12);
    // weighted 1:2 over 30 flows → 10 and 20 expected; 15/10 = 1.5 beats 15/20
    expect(maxOverMean([15, 15], [1, 2])).toBeCloseTo(1.5, 12);
    expect(maxOverMean([10, 20], [1, 2])).toBeCloseTo(1, 12);
  });

  it('leaves out next-hops with expected share 0 and reports 1 with no flows', () => {
    expect(maxOverMean([10, 10, 5], [0.5, 0.5, 0])).toBeCloseTo(10 / 12.5, 12);
    expect(maxOverMean([0, 0, 0], [1, 1, 1])).toBe(1);
    expect(() => maxOverMean([1, 2], [1])).toThrow(RangeError);
  });

  it('law: ≥ 1 whenever every flow goes to a next-hop the weights allow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(10_000), fc.integer({ min: 1, max: 100 })), { minLength: 1, maxLength: 64 }),
        (hops) => {
          const observed = hops.map((h) => h[0]);
          fc.pre(observed.some((o) => o > 0));
          return maxOverMean(observed, hops.map((h) => h[1])) >= 1 - 1e-12;
        },
      ),
      { seed: 1 },
    );
  });
});

describe('jainIndex', () => {
  it('is 1 for a spread exactly as weighted and 1/n when one next-hop takes everything', () => {
    expect(jainIndex([100, 100, 100], [1, 1, 1])).toBe(1);
    expect(jainIndex([100, 200, 300], [1, 2, 3])).toBe(1);
    expect(jainIndex([90, 0, 0], [1, 1, 1])).toBeCloseTo(1 / 3, 12);
  });

  it('matches a hand computation: x = (4, 2), (6)²/(2·20) = 0.9', () => {
    expect(jainIndex([4, 2], [1, 1])).toBeCloseTo(0.9, 12);
    // weights rescale x but not the index: x = 4/0.5, 2/0.5
    expect(jainIndex([4, 2], [0.5, 0.5])).toBeCloseTo(0.9, 12);
  });

  it('law: lies in [1/n, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1_000_000), fc.double({ min: 0.001, max: 1000, noNaN: true })), {
          minLength: 1,
          maxLength: 64,
        }),
        (hops) => {
          const j = jainIndex(
            hops.map((h) => h[0]),
            hops.map((h) => h[1]),
          );
          return j >= 1 / hops.length - 1e-12 && j <= 1;
        },
      ),
      { seed: 1 },
    );
  });
});

describe('chiSquareP', () => {
  it('computes Pearson X² against normalised shares (hand-computed)', () => {
    // 90 flows, expected 30 each: (45−30)²/30 + 0 + (15−30)²/30 = 15, df 2 → e^(−7.5)
    const s = chiSquareStatistic([45, 30, 15], [1, 1, 1]);
    expect(s.x2).toBeCloseTo(15, 12);
    expect(s.df).toBe(2);
    expectRel(chiSquareP([45, 30, 15], [1, 1, 1]), Math.exp(-7.5), 1e-13);
  });

  it('is 0 when a next-hop with expected share 0 carries flows, 1 with df 0 or no flows', () => {
    expect(chiSquareP([10, 10, 1], [1, 1, 0])).toBe(0);
    expect(chiSquareP([10, 10, 0], [1, 1, 0])).toBe(1);
    expect(chiSquareP([42], [1])).toBe(1);
    expect(chiSquareP([0, 0], [1, 1])).toBe(1);
  });

  it('law: p lies in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(100_000), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 64 }),
        (hops) => {
          const p = chiSquareP(
            hops.map((h) => h[0]),
            hops.map((h) => h[1]),
          );
          return p >= 0 && p <= 1;
        },
      ),
      { seed: 1 },
    );
  });

  it('law: counts exactly as expected give p ≈ 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 64 }),
        fc.integer({ min: 1, max: 1000 }),
        (weights, scale) => {
          const observed = weights.map((w) => w * scale);
          return chiSquareP(observed, weights) > 1 - 1e-9;
        },
      ),
      { seed: 1 },
    );
  });
});

describe('the SPEC §5 tests', () => {
  it('stageFails needs both p < 1e-6 and maxOverMean > 1.25; imbalance only the p-value', () => {
    expect(stageFails(1e-7, 1.3)).toBe(true);
    expect(stageFails(1e-7, 1.25)).toBe(false);
    expect(stageFails(1e-6, 2)).toBe(false);
    expect(imbalance(9.9e-7)).toBe(true);
    expect(imbalance(1e-6)).toBe(false);
  });

  it('polarization: the subset fails while all traffic would not', () => {
    // leaf-3 under a CRC polarized by border's CRC: one VM never gets a flow of the subset that reaches leaf-3,
    // though leaf-3's hash over all traffic spreads evenly.
    const v = polarizationVerdict([1671, 1661, 0], [3341, 3327, 3332], [1, 1, 1]);
    expect(v.polarized).toBe(true);
    expect(v.stage.fails).toBe(true);
    expect(v.baseline.fails).toBe(false);
    expect(v.stage.maxOverMean).toBeCloseTo(1671 / (3332 / 3), 10);
  });

  it('not polarization: a poor hash spreads all traffic badly too (that is imbalance)', () => {
    const v = polarizationVerdict([2000, 1000, 332], [6000, 3000, 1000], [1, 1, 1]);
    expect(v.stage.fails).toBe(true);
    expect(v.baseline.fails).toBe(true);
    expect(v.polarized).toBe(false);
  });

  it('not polarization: a significant but small wobble of a huge sample', () => {
    // p is tiny (X² ≈ 1200) but the busiest next-hop only 1.04× its share
    const v = polarizationVerdict([1_040_000, 980_000, 980_000], [1e6, 1e6, 1e6], [1, 1, 1]);
    expect(v.stage.chiSquareP).toBeLessThan(1e-6);
    expect(v.polarized).toBe(false);
  });
});

describe('summarizeStage and helpers', () => {
  it('builds a StageRow with normalised expected shares per next-hop', () => {
    const row = summarizeStage('border', 'TENANT-A', '192.168.100.10/32', [
      { name: 'leaf-1', flows: 30, weight: 1 },
      { name: 'leaf-2', flows: 30, weight: 1 },
      { name: 'leaf-3', flows: 60, weight: 2 },
    ]);
    expect(row).toEqual({
      node: 'border',
      vrf: 'TENANT-A',
      prefix: '192.168.100.10/32',
      flows: 120,
      maxOverMean: 1,
      jain: 1,
      chiSquareP: 1,
      nextHops: [
        { name: 'leaf-1', flows: 30, expected: 0.25 },
        { name: 'leaf-2', flows: 30, expected: 0.25 },
        { name: 'leaf-3', flows: 60, expected: 0.5 },
      ],
    });
  });

  it('normaliseShares ignores non-positive shares', () => {
    expect(normaliseShares([2, 0, 2])).toEqual([0.5, 0, 0.5]);
    expect(normaliseShares([0, 0])).toEqual([0, 0]);
  });

  it('sharesUnequal flags the default topology (1/3 vs 1/9) but not weighting: paths (1/5 each)', () => {
    expect(sharesUnequal([1 / 3, 1 / 3, 1 / 9, 1 / 9, 1 / 9])).toBe(true);
    expect(sharesUnequal([0.2, 0.2, 0.2, 0.2, 0.2])).toBe(false);
    expect(sharesUnequal([0.3, 0.2])).toBe(false); // exactly 1.5× apart is not "more than"
    expect(sharesUnequal([0.5, 0])).toBe(false);
  });
});
