// The GF(2)-affine hashes (crc32, crc16, xor, toeplitz) compiled into per-key-byte lookup tables.
//
// Each of these hashes, over a message of fixed length, is affine over GF(2): h(m) = h(0) ^ XOR_i L_i(m_i),
// where L_i is linear in byte i. A field selection fixes the message length, so makeHasher builds, once,
// one 256-entry table per key byte (13 of them: address, address, port, port, protocol) from the byte-wise
// reference definition; a flow then costs 13 lookups and XORs. Unselected fields get all-zero tables, which
// keeps the hot function the same (monomorphic) for every selection.

import { crc16, crc32 } from './crc.js';
import { KEY_SLOTS, messageLayout, type HashField } from './fields.js';
import { toeplitz, toeplitzKey } from './toeplitz.js';
import type { FlowHasher } from './types.js';

/**
 * 16-bit XOR fold: the message as big-endian 16-bit words (an odd last byte is the high byte of a final word)
 * XORed together. With every field selected: (src>>>16) ^ (src&0xffff) ^ (dst>>>16) ^ (dst&0xffff) ^ sport ^
 * dport ^ (proto<<8).
 */
export function xorFold16(data: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < data.length; i++) h ^= i & 1 ? data[i] : data[i] << 8;
  return h;
}

/**
 * How a 16-bit hash feeds selection: it is replicated into both halves, h32 = h16 * 0x10001. The 16-bit value
 * stays readable in the low half, and the 31-bit selection value (h32 >>> 1) carries h16 in its top 16 bits,
 * so hash-threshold's spans over [0, 2^31) cut the 16-bit range in the same proportions, as a 16-bit switch
 * would; modulo and resilient reduce a value that is still a function of h16 alone. Replication is linear, so
 * the tables can hold replicated values directly.
 */
export function widen16(h16: number): number {
  return (h16 * 0x10001) >>> 0;
}

/** The byte-wise reference definition of each affine algorithm under a seed, for a whole message. */
export function referenceHash(
  algorithm: 'crc32' | 'crc16' | 'xor' | 'toeplitz',
  seed: number,
): (msg: Uint8Array) => number {
  switch (algorithm) {
    case 'crc32': {
      // A non-zero seed is the initial register value (SPEC §3); 0 keeps the standard 0xFFFFFFFF.
      const init = seed === 0 ? 0xffffffff : seed >>> 0;
      return (msg) => crc32(msg, init);
    }
    case 'crc16': {
      // Only the register's 16 bits exist: a non-zero seed loads its low 16 bits.
      const init = seed === 0 ? 0xffff : seed & 0xffff;
      return (msg) => widen16(crc16(msg, init));
    }
    case 'xor': {
      // A fold has no register: a seed XORs its own 16-bit fold into the result.
      const s = (seed ^ (seed >>> 16)) & 0xffff;
      return (msg) => widen16(xorFold16(msg) ^ s);
    }
    case 'toeplitz': {
      const key = toeplitzKey(seed);
      return (msg) => toeplitz(key, msg);
    }
  }
}

/** Per-slot tables (KEY_SLOTS × 256) followed by the constant h(0): the compiled form of an affine hash. */
export function compileAffine(reference: (msg: Uint8Array) => number, fields: readonly HashField[]): Uint32Array {
  const { length, offset } = messageLayout(fields);
  const table = new Uint32Array(KEY_SLOTS * 256 + 1);
  const msg = new Uint8Array(length);
  const h0 = reference(msg);
  for (let slot = 0; slot < KEY_SLOTS; slot++) {
    const at = offset[slot];
    if (at < 0) continue;
    for (let b = 1; b < 256; b++) {
      msg[at] = b;
      table[slot * 256 + b] = (reference(msg) ^ h0) >>> 0;
    }
    msg[at] = 0;
  }
  table[KEY_SLOTS * 256] = h0;
  return table;
}

/** The hot-path hasher over compiled tables. */
export function affineHasher(t: Uint32Array): FlowHasher {
  const h0 = t[KEY_SLOTS * 256];
  return (src, dst, proto, sport, dport) =>
    (h0 ^
      t[src >>> 24] ^
      t[256 + ((src >>> 16) & 0xff)] ^
      t[512 + ((src >>> 8) & 0xff)] ^
      t[768 + (src & 0xff)] ^
      t[1024 + (dst >>> 24)] ^
      t[1280 + ((dst >>> 16) & 0xff)] ^
      t[1536 + ((dst >>> 8) & 0xff)] ^
      t[1792 + (dst & 0xff)] ^
      t[2048 + ((sport >>> 8) & 0xff)] ^
      t[2304 + (sport & 0xff)] ^
      t[2560 + ((dport >>> 8) & 0xff)] ^
      t[2816 + (dport & 0xff)] ^
      t[3072 + (proto & 0xff)]) >>>
    0;
}
