// A seeded bijection of [0, size): distinct random-looking indices without a set, so N distinct flows cost O(N).

import { mix32, type Rng } from './prng.js';

const ROUNDS = 4;

/**
 * A balanced Feistel network over the smallest even bit width covering `size`, made a permutation of
 * [0, size) by cycle walking (re-apply until the value lands inside; fewer than 4 steps expected).
 * Sizes up to 2^52 keep every intermediate an exact integer.
 */
export class IndexPermutation {
  readonly size: number;
  private readonly halfSpan: number;
  private readonly mask: number;
  private readonly keys = new Uint32Array(ROUNDS);

  constructor(size: number, rng: Rng) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 2 ** 52) throw new RangeError(`permutation size ${size}`);
    this.size = size;
    let half = 1;
    while (2 ** (2 * half) < size) half++;
    this.halfSpan = 2 ** half;
    this.mask = this.halfSpan - 1;
    for (let i = 0; i < ROUNDS; i++) this.keys[i] = rng.next();
  }

  /** The image of i (0 <= i < size). */
  map(i: number): number {
    let x = i;
    do x = this.once(x);
    while (x >= this.size);
    return x;
  }

  private once(x: number): number {
    const span = this.halfSpan;
    let l = Math.floor(x / span);
    let r = x - l * span;
    for (let k = 0; k < ROUNDS; k++) {
      const t = (l ^ (mix32((r ^ this.keys[k]!) >>> 0) & this.mask)) >>> 0;
      l = r;
      r = t;
    }
    return l * span + r;
  }
}
