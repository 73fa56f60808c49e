// The RSS Toeplitz hash (Microsoft's NDIS definition) and its keys.

/** The published 40-byte RSS key, used for seed 0 (as NDIS, DPDK and most NIC drivers ship it). */
export const RSS_DEFAULT_KEY: Uint8Array = Uint8Array.from(
  '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa'.match(/../g)!,
  (h) => parseInt(h, 16),
);

/**
 * The key for a seed. Seed 0 is the published key. Any other seed XORs the published key with a keystream of
 * ten splitmix32 outputs (state starts at the seed, each word big-endian), so every seed names one fixed key,
 * reproducible anywhere from this rule alone.
 */
export function toeplitzKey(seed: number): Uint8Array {
  const key = RSS_DEFAULT_KEY.slice();
  if (seed === 0) return key;
  let state = seed >>> 0;
  for (let w = 0; w < 10; w++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    key[4 * w] ^= z >>> 24;
    key[4 * w + 1] ^= z >>> 16;
    key[4 * w + 2] ^= z >>> 8;
    key[4 * w + 3] ^= z;
  }
  return key;
}

/**
 * Toeplitz hash of `data` under `key`: for each input bit, most significant first, XOR in the 32-bit window of
 * the key that starts at that bit. The key must hold at least 32 bits more than the input.
 */
export function toeplitz(key: Uint8Array, data: Uint8Array): number {
  if (key.length < data.length + 4) throw new RangeError('Toeplitz key too short for the input');
  let result = 0;
  let window = ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) | 0;
  for (let i = 0; i < data.length; i++) {
    const next = key[i + 4];
    for (let bit = 7; bit >= 0; bit--) {
      if ((data[i] >>> bit) & 1) result ^= window;
      window = (window << 1) | ((next >>> bit) & 1);
    }
  }
  return result >>> 0;
}
