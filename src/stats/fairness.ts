// Fairness statistics of one ECMP choice: how far observed per-next-hop counts stray from what the weights promise.
//
// Every function takes `observed` (flows per next-hop) and `expectedShares` (the share of the stage's flows each
// next-hop's weight promises) in the same order. Shares need not sum to 1: they are normalised over their sum, so
// raw weights work as well. These run once per report, so clarity wins over speed here.

import type { StageNextHop, StageRow } from './types.js';

/** p below this is "not chance" (SPEC §5): the `imbalance` warning and half of the polarization test. */
export const P_THRESHOLD = 1e-6;
/** maxOverMean above this is a spread a person would notice (SPEC §5): the other half of the polarization test. */
export const MOM_THRESHOLD = 1.25;
/** VMs serving one prefix whose expected shares are further apart than this get `unequal-share` (SPEC §5). */
export const UNEQUAL_SHARE_RATIO = 1.5;

function checkLengths(observed: readonly number[], expectedShares: readonly number[]): void {
  if (observed.length !== expectedShares.length) {
    throw new RangeError(`observed has ${observed.length} next-hops but expectedShares has ${expectedShares.length}`);
  }
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/**
 * Normalised expected shares (summing to 1 over the members with a positive share); all zero when no member has a
 * positive share.
 */
export function normaliseShares(expectedShares: readonly number[]): number[] {
  let total = 0;
  for (const s of expectedShares) if (s > 0) total += s;
  return expectedShares.map((s) => (s > 0 && total > 0 ? s / total : 0));
}

/**
 * The largest observed/expected ratio among next-hops, expected = total observed × normalised share. Members whose
 * expected share is 0 are left out (no ratio exists). With no flows at all there is no evidence of imbalance: 1.
 */
export function maxOverMean(observed: readonly number[], expectedShares: readonly number[]): number {
  checkLengths(observed, expectedShares);
  const total = sum(observed);
  const shares = normaliseShares(expectedShares);
  if (total <= 0 || !shares.some((s) => s > 0)) return 1;
  let max = 0;
  for (let i = 0; i < observed.length; i++) {
    if (shares[i]! > 0) max = Math.max(max, observed[i]! / (total * shares[i]!));
  }
  return max;
}

/**
 * Jain's fairness index (Σx)² / (n·Σx²) over x_i = observed_i / expectedShare_i, members with a positive expected
 * share only: 1 when every next-hop carries exactly what its weight promises, 1/n when one carries everything.
 * With no flows (all x zero): 1.
 */
export function jainIndex(observed: readonly number[], expectedShares: readonly number[]): number {
  checkLengths(observed, expectedShares);
  const shares = normaliseShares(expectedShares);
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < observed.length; i++) {
    if (!(shares[i]! > 0)) continue;
    const x = observed[i]! / shares[i]!;
    n++;
    s1 += x;
    s2 += x * x;
  }
  if (n === 0 || s2 === 0) return 1;
  // Clamp: rounding can push a perfect spread a hair above 1.
  return Math.min(1, (s1 * s1) / (n * s2));
}

/** Pearson's X² statistic and its degrees of freedom; `impossible` when a zero-share member carries flows. */
export function chiSquareStatistic(
  observed: readonly number[],
  expectedShares: readonly number[],
): { x2: number; df: number; impossible: boolean } {
  checkLengths(observed, expectedShares);
  const total = sum(observed);
  const shares = normaliseShares(expectedShares);
  let x2 = 0;
  let k = 0;
  let impossible = false;
  for (let i = 0; i < observed.length; i++) {
    if (shares[i]! > 0) {
      k++;
      const e = total * shares[i]!;
      if (e > 0) x2 += ((observed[i]! - e) * (observed[i]! - e)) / e;
    } else if (observed[i]! > 0) {
      impossible = true;
    }
  }
  return { x2, df: Math.max(0, k - 1), impossible };
}

/**
 * Pearson chi-square goodness-of-fit p-value of the observed counts against the expected shares:
 * p = Q(df/2, X²/2), df = (members with expected share > 0) − 1. A member with expected share 0 that carries flows
 * cannot happen under the hypothesis: p = 0. With df 0 (a single possible next-hop) or no flows: p = 1.
 */
export function chiSquareP(observed: readonly number[], expectedShares: readonly number[]): number {
  const { x2, df, impossible } = chiSquareStatistic(observed, expectedShares);
  if (impossible) return 0;
  if (df === 0 || sum(observed) <= 0) return 1;
  return chiSquareSurvival(x2, df);
}

/** The chi-square distribution's survival function: P(X ≥ x) for df degrees of freedom (scipy's chi2.sf). */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

// Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients, as in Wikipedia's "Lanczos approximation"): about
// 15 significant digits for positive arguments, where Numerical Recipes 2nd ed.'s 6-term gammln gives only ~10.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(a) for a > 0. */
export function logGamma(a: number): number {
  if (!(a > 0)) throw new RangeError(`logGamma needs a positive argument, got ${a}`);
  if (a < 0.5) {
    // Reflection keeps the series in its accurate range: Γ(a)Γ(1−a) = π / sin(πa).
    return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  }
  const z = a - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

const GAMMA_EPS = 1e-16;
const GAMMA_TINY = 1e-300;
const GAMMA_MAX_ITER = 100_000;

/** ln of the common factor x^a e^−x / Γ(a) of both the series and the continued fraction. */
function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** P(a, x) by its series, for x < a + 1 (where it converges fast). */
function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let s = del;
  for (let n = 0; n < GAMMA_MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    s += del;
    if (Math.abs(del) < Math.abs(s) * GAMMA_EPS) break;
  }
  return s * Math.exp(logPrefactor(a, x));
}

/** Q(a, x) by its continued fraction (modified Lentz), for x ≥ a + 1: accurate even when Q is 1e-300. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / GAMMA_TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < GAMMA_MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < GAMMA_TINY) d = GAMMA_TINY;
    c = b + an / c;
    if (Math.abs(c) < GAMMA_TINY) c = GAMMA_TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < GAMMA_EPS) break;
  }
  return Math.exp(logPrefactor(a, x)) * h;
}

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0 (Numerical Recipes'
 * gammq): the series below a + 1, where Q is not small and 1 − P loses nothing that matters; the continued
 * fraction above, where Q itself is computed, so tiny p-values keep their relative accuracy.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaQ needs a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`regularizedGammaQ needs x >= 0, got ${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return Math.min(1, Math.max(0, 1 - gammaPSeries(a, x)));
  return Math.min(1, Math.max(0, gammaQContinuedFraction(a, x)));
}

/** The regularized lower incomplete gamma function P(a, x) = 1 − Q(a, x). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaP needs a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`regularizedGammaP needs x >= 0, got ${x}`);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x < a + 1) return Math.min(1, Math.max(0, gammaPSeries(a, x)));
  return Math.min(1, Math.max(0, 1 - gammaQContinuedFraction(a, x)));
}

/** A spread is significantly bad (SPEC §5): not chance (p < 1e-6) and large enough to matter (max/mean > 1.25). */
export function stageFails(p: number, mom: number): boolean {
  return p < P_THRESHOLD && mom > MOM_THRESHOLD;
}

/** The `imbalance` warning's test (SPEC §5): the stage's counts are not what its weights promise, p < 1e-6. */
export function imbalance(p: number): boolean {
  return p < P_THRESHOLD;
}

export interface SpreadStats {
  flows: number;
  maxOverMean: number;
  jain: number;
  chiSquareP: number;
  fails: boolean;
}

/** All three statistics of one set of counts, and whether they fail the SPEC §5 test. */
export function spreadStats(observed: readonly number[], expectedShares: readonly number[]): SpreadStats {
  const mom = maxOverMean(observed, expectedShares);
  const p = chiSquareP(observed, expectedShares);
  return {
    flows: sum(observed),
    maxOverMean: mom,
    jain: jainIndex(observed, expectedShares),
    chiSquareP: p,
    fails: stageFails(p, mom),
  };
}

export interface PolarizationVerdict {
  polarized: boolean;
  /** the spread over the flows that actually reached the stage */
  stage: SpreadStats;
  /** the spread over every flow of the same traffic, each hashed at this leaf as if it had reached it */
  baseline: SpreadStats;
}

/**
 * SPEC §5's polarization test for one stage.
 *
 * Decision: a stage is polarized when its spread over the flows that reach it FAILS `stageFails` while the
 * baseline — every flow of the same traffic hashed at this leaf as if it had reached it — does NOT fail it.
 * Comparing with the baseline separates two different faults that look the same in the stage's own counts:
 *  - a hash that is simply poor for this traffic (xor over sequential ports, say) spreads all flows badly, so
 *    the baseline fails too: that is `imbalance`, not polarization, and blaming the upstream leaf would mislead;
 *  - an upstream leaf that hashes alike (same algorithm and fields, a CRC with another seed) hands this leaf only
 *    flows from one slice of the hash space, so the same hash that spreads all traffic evenly spreads the subset
 *    badly: the baseline passes and the stage fails. That correlation between stages is polarization.
 * Both are judged by the same test (p < 1e-6 and max/mean > 1.25), so a mere statistically significant wobble of
 * a large sample, too small to matter, is neither.
 */
export function polarizationVerdict(
  stageObserved: readonly number[],
  baselineObserved: readonly number[],
  expectedShares: readonly number[],
): PolarizationVerdict {
  const stage = spreadStats(stageObserved, expectedShares);
  const baseline = spreadStats(baselineObserved, expectedShares);
  return { polarized: stage.fails && !baseline.fails, stage, baseline };
}

/** One next-hop of a stage as counted: its name, the flows it got, and its weight (or promised share). */
export interface NextHopCount {
  name: string;
  flows: number;
  /** the weight or share the stage's group gives it; normalised over the stage */
  weight: number;
}

/** A report row for one ECMP choice, built from its per-next-hop counts. */
export function summarizeStage(node: string, vrf: string, prefix: string, nextHops: readonly NextHopCount[]): StageRow {
  const observed = nextHops.map((h) => h.flows);
  const weights = nextHops.map((h) => h.weight);
  const shares = normaliseShares(weights);
  const s = spreadStats(observed, weights);
  const hops: StageNextHop[] = nextHops.map((h, i) => ({ name: h.name, flows: h.flows, expected: shares[i]! }));
  return {
    node,
    vrf,
    prefix,
    flows: s.flows,
    maxOverMean: s.maxOverMean,
    jain: s.jain,
    chiSquareP: s.chiSquareP,
    nextHops: hops,
  };
}

/**
 * SPEC §5's `unequal-share` test: the VMs serving one prefix expect shares more than 1.5× apart (the default
 * topology's 1/3 against 1/9 under `weighting: equal`). Shares of 0 (VMs no flow can reach) are ignored.
 */
export function sharesUnequal(expected: readonly number[], ratio = UNEQUAL_SHARE_RATIO): boolean {
  const positive = expected.filter((e) => e > 0);
  if (positive.length < 2) return false;
  const hi = Math.max(...positive);
  const lo = Math.min(...positive);
  // A relative tolerance: 1/3 against 2/9 computed through two stages must not trip on rounding.
  return hi > lo * ratio * (1 + 1e-12);
}
