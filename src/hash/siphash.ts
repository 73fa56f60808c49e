// SipHash-2-4 in 32-bit halves: the 64-bit arithmetic the Linux multipath hash needs, without BigInt.
//
// A SipHash state is eight int32s in an Int32Array: v0 lo, v0 hi, v1 lo, v1 hi, v2 lo, v2 hi, v3 lo, v3 hi.
// Callers keep one preallocated state (or a table of them) and drive it block by block, so that work that
// depends only on the key and a constant message prefix can be done once and copied per hash.

/** Words per SipHash state (four 64-bit values as lo/hi int32 pairs). */
export const SIP_STATE_WORDS = 8;

/** `n` SipRounds over the state at `s[o..o+8)`. */
export function sipRounds(s: Int32Array, o: number, n: number): void {
  let v0l = s[o], v0h = s[o + 1], v1l = s[o + 2], v1h = s[o + 3];
  let v2l = s[o + 4], v2h = s[o + 5], v3l = s[o + 6], v3h = s[o + 7];
  let l = 0, t = 0;
  for (let r = 0; r < n; r++) {
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    l = (v0l + v1l) | 0;
    v0h = (v0h + v1h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0;
    v0l = l;
    t = v1h;
    v1h = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (t >>> 19);
    v1l ^= v0l;
    v1h ^= v0h;
    t = v0l; v0l = v0h; v0h = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    l = (v2l + v3l) | 0;
    v2h = (v2h + v3h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0;
    v2l = l;
    t = v3h;
    v3h = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (t >>> 16);
    v3l ^= v2l;
    v3h ^= v2h;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    l = (v0l + v3l) | 0;
    v0h = (v0h + v3h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0;
    v0l = l;
    t = v3h;
    v3h = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (t >>> 11);
    v3l ^= v0l;
    v3h ^= v0h;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    l = (v2l + v1l) | 0;
    v2h = (v2h + v1h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0;
    v2l = l;
    t = v1h;
    v1h = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (t >>> 15);
    v1l ^= v2l;
    v1h ^= v2h;
    t = v2l; v2l = v2h; v2h = t;
  }
  s[o] = v0l; s[o + 1] = v0h; s[o + 2] = v1l; s[o + 3] = v1h;
  s[o + 4] = v2l; s[o + 5] = v2h; s[o + 6] = v3l; s[o + 7] = v3h;
}

/** Key the state at `s[o..)` with k0 = k0h:k0l, k1 = k1h:k1l (the two little-endian 64-bit key words). */
export function sipInit(s: Int32Array, o: number, k0l: number, k0h: number, k1l: number, k1h: number): void {
  s[o] = 0x70736575 ^ k0l; s[o + 1] = 0x736f6d65 ^ k0h; // "somepseu"
  s[o + 2] = 0x6e646f6d ^ k1l; s[o + 3] = 0x646f7261 ^ k1h; // "dorandom"
  s[o + 4] = 0x6e657261 ^ k0l; s[o + 5] = 0x6c796765 ^ k0h; // "lygenera"
  s[o + 6] = 0x79746573 ^ k1l; s[o + 7] = 0x74656462 ^ k1h; // "tedbytes"
}

/** Absorb one 64-bit message word (mh:ml, read little-endian from the message) with c = 2 rounds. */
export function sipBlock(s: Int32Array, o: number, ml: number, mh: number): void {
  s[o + 6] ^= ml;
  s[o + 7] ^= mh;
  sipRounds(s, o, 2);
  s[o] ^= ml;
  s[o + 1] ^= mh;
}

/**
 * Finalise with d = 4 rounds. Returns the low 32 bits of the 64-bit result, unsigned; the result's low and
 * high halves are also left in s[o] and s[o+1] (the state is spent).
 */
export function sipFinish(s: Int32Array, o: number): number {
  s[o + 4] ^= 0xff;
  sipRounds(s, o, 4);
  const lo = s[o] ^ s[o + 2] ^ s[o + 4] ^ s[o + 6];
  const hi = s[o + 1] ^ s[o + 3] ^ s[o + 5] ^ s[o + 7];
  s[o] = lo;
  s[o + 1] = hi;
  return lo >>> 0;
}

const scratch = new Int32Array(SIP_STATE_WORDS);

/**
 * SipHash-2-4 of a whole message with a 16-byte key (the reference definition, for tests and cold paths).
 * Returns the 64-bit result as [lo, hi], each an unsigned 32-bit number.
 */
export function siphash24(key: Uint8Array, msg: Uint8Array): [number, number] {
  if (key.length !== 16) throw new RangeError('SipHash key must be 16 bytes');
  const le32 = (b: Uint8Array, i: number): number =>
    (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) | 0;
  sipInit(scratch, 0, le32(key, 0), le32(key, 4), le32(key, 8), le32(key, 12));
  const len = msg.length;
  const full = len - (len % 8);
  for (let i = 0; i < full; i += 8) sipBlock(scratch, 0, le32(msg, i), le32(msg, i + 4));
  // Last block: the remaining bytes, little-endian, with the length's low byte in the top byte.
  const tail = new Uint8Array(8);
  tail.set(msg.subarray(full));
  tail[7] = len & 0xff;
  sipBlock(scratch, 0, le32(tail, 0), le32(tail, 4));
  const lo = sipFinish(scratch, 0);
  return [lo, scratch[1] >>> 0];
}
