// SipHash-2-4 in 32-bit halves, without BigInt: the JS reference of the Linux multipath hash (linux.ts), the
// oracle the WebAssembly form is tested against and the fallback where there is no WebAssembly.
//
// A SipHash state is eight int32s in an Int32Array: v0 lo, v0 hi, v1 lo, v1 hi, v2 lo, v2 hi, v3 lo, v3 hi;
// a message is 64-bit little-endian words as lo, hi int32 pairs. sipRun is the one implementation of the
// rounds: it absorbs words (c = 2 rounds each) and optionally finalises (d = 4), with the state in locals for
// the whole run. Callers keep a state that depends only on the key and a constant message prefix, and finish
// each hash from a copy of it: sipRun reads the state and, when finishing, leaves it untouched.

/** Words per SipHash state (four 64-bit values as lo/hi int32 pairs). */
export const SIP_STATE_WORDS = 8;

/** Key the state at `s[o..)` with k0 = k0h:k0l, k1 = k1h:k1l (the two little-endian 64-bit key words). */
export function sipInit(s: Int32Array, o: number, k0l: number, k0h: number, k1l: number, k1h: number): void {
  s[o] = 0x70736575 ^ k0l; s[o + 1] = 0x736f6d65 ^ k0h; // "somepseu"
  s[o + 2] = 0x6e646f6d ^ k1l; s[o + 3] = 0x646f7261 ^ k1h; // "dorandom"
  s[o + 4] = 0x6e657261 ^ k0l; s[o + 5] = 0x6c796765 ^ k0h; // "lygenera"
  s[o + 6] = 0x79746573 ^ k1l; s[o + 7] = 0x74656462 ^ k1h; // "tedbytes"
}

let resultHigh = 0;

/** The high 32 bits (unsigned) of the last finished sipRun. */
export function sipResultHigh(): number {
  return resultHigh >>> 0;
}

/**
 * Absorbs `n` message words `m[0..2n)` into the state at `s[o..o+8)`. Without `finish`, stores the state back
 * and returns 0. With `finish`, the last word must be SipHash's length block; finalises, leaves `s` as it was
 * and returns the low 32 bits of the 64-bit result as an int32 (the high half: sipResultHigh()). Signed on
 * purpose: this function is too big to inline, and an unsigned result above 2^31 would be boxed as a heap
 * number on every call; callers apply >>> 0 where they are inlined.
 */
export function sipRun(s: Int32Array, o: number, m: Int32Array, n: number, finish: boolean): number {
  let v0l = s[o], v0h = s[o + 1], v1l = s[o + 2], v1h = s[o + 3];
  let v2l = s[o + 4], v2h = s[o + 5], v3l = s[o + 6], v3h = s[o + 7];
  // 64-bit add in halves: the low word's carry-out is the top bit of (a & b) | ((a | b) & ~sum), which stays
  // in int32 arithmetic (an unsigned compare would push V8 into float64 and cost 2.5x).
  let l = 0, t = 0, ml = 0, mh = 0;
  const steps = finish ? n + 1 : n;
  for (let step = 0; step < steps; step++) {
    const absorbing = step < n;
    if (absorbing) {
      ml = m[2 * step];
      mh = m[2 * step + 1];
      v3l ^= ml;
      v3h ^= mh;
    } else {
      v2l ^= 0xff;
    }
    for (let r = absorbing ? 2 : 4; r > 0; r--) {
      // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
      l = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~l)) >>> 31)) | 0;
      v0l = l;
      t = v1h;
      v1h = (v1h << 13) | (v1l >>> 19);
      v1l = (v1l << 13) | (t >>> 19);
      v1l ^= v0l;
      v1h ^= v0h;
      t = v0l; v0l = v0h; v0h = t;
      // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
      l = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~l)) >>> 31)) | 0;
      v2l = l;
      t = v3h;
      v3h = (v3h << 16) | (v3l >>> 16);
      v3l = (v3l << 16) | (t >>> 16);
      v3l ^= v2l;
      v3h ^= v2h;
      // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
      l = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~l)) >>> 31)) | 0;
      v0l = l;
      t = v3h;
      v3h = (v3h << 21) | (v3l >>> 11);
      v3l = (v3l << 21) | (t >>> 11);
      v3l ^= v0l;
      v3h ^= v0h;
      // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
      l = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~l)) >>> 31)) | 0;
      v2l = l;
      t = v1h;
      v1h = (v1h << 17) | (v1l >>> 15);
      v1l = (v1l << 17) | (t >>> 15);
      v1l ^= v2l;
      v1h ^= v2h;
      t = v2l; v2l = v2h; v2h = t;
    }
    if (absorbing) {
      v0l ^= ml;
      v0h ^= mh;
    }
  }
  if (finish) {
    resultHigh = v0h ^ v1h ^ v2h ^ v3h;
    return v0l ^ v1l ^ v2l ^ v3l;
  }
  s[o] = v0l; s[o + 1] = v0h; s[o + 2] = v1l; s[o + 3] = v1h;
  s[o + 4] = v2l; s[o + 5] = v2h; s[o + 6] = v3l; s[o + 7] = v3h;
  return 0;
}

/**
 * SipHash-2-4 of a whole message with a 16-byte key (the reference definition, for tests and cold paths).
 * Returns the 64-bit result as [lo, hi], each an unsigned 32-bit number.
 */
export function siphash24(key: Uint8Array, msg: Uint8Array): [number, number] {
  if (key.length !== 16) throw new RangeError('SipHash key must be 16 bytes');
  const le32 = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
  const state = new Int32Array(SIP_STATE_WORDS);
  sipInit(state, 0, le32(key, 0), le32(key, 4), le32(key, 8), le32(key, 12));
  // Whole words, then the remaining bytes with the length's low byte on top: the length block.
  const n = Math.floor(msg.length / 8) + 1;
  const padded = new Uint8Array(8 * n);
  padded.set(msg);
  padded[8 * n - 1] = msg.length & 0xff;
  const words = new Int32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) words[i] = le32(padded, 4 * i);
  const lo = sipRun(state, 0, words, n, true) >>> 0;
  return [lo, sipResultHigh()];
}
