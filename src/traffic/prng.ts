// Seeded 32-bit PRNG (xoshiro128**) and integer mixers: every random choice of the generator comes from here.

/** splitmix32's step: spreads a counter over 32 bits; used to seed and to derive per-flow values. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A u32 hash of two u32 values (order matters): per-flow values such as a TCP ISN without a table. */
export function mix2(a: number, b: number): number {
  return mix32((Math.imul(mix32(a), 0x27d4eb2d) ^ b) >>> 0);
}

/**
 * xoshiro128** (Blackman and Vigna): 128 bits of state, all arithmetic in 32-bit integers, so a seed gives the
 * same stream on every platform. `stream` separates independent uses of one user seed (flows, schedule, ...).
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    let x = mix2(seed >>> 0, stream >>> 0);
    this.s0 = x = mix32(x);
    this.s1 = x = mix32(x);
    this.s2 = x = mix32(x);
    this.s3 = mix32(x);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the one state xoshiro cannot leave
  }

  /** The next u32. */
  next(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** An integer in [0, n) for 1 <= n <= 2^32 (multiply-shift; the bias, below n / 2^32, does not matter here). */
  below(n: number): number {
    return Math.floor((this.next() * n) / 4294967296);
  }

  /** A float in [0, 1) with 32 random bits. */
  float(): number {
    return this.next() / 4294967296;
  }
}
