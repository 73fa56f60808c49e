// The GF(2)-affine hashes (crc32, crc16, xor, toeplitz) over IPv6 flow keys, compiled into per-byte tables.
//
// The message is the selected fields in this order, each in network byte order: source address (16 bytes),
// destination address (16), source port (2), destination port (2), protocol (1), flow label (3 bytes, the 20-bit
// label right-aligned). With src-ip, dst-ip, src-port and dst-port it is exactly RSS's IPv6 input (Microsoft's
// verification table's IPv6 rows); IPv4 keeps its own order (linear.ts). That input is 36 bytes, all a 40-byte RSS
// key covers; when protocol or flow label make the message longer, Toeplitz's key is the seed's 40-byte key
// repeated as far as needed. As for IPv4, each selected byte gets a 256-entry table of its contribution, so a
// flow costs one lookup per key byte.

import { referenceHash } from './linear.js';
import { toeplitz, toeplitzKey } from './toeplitz.js';
import type { FlowHasher6 } from './linux6.js';

/** The fields an IPv6 hash can read: the 5-tuple and the flow label. */
export type HashField6 = 'src-ip' | 'dst-ip' | 'protocol' | 'src-port' | 'dst-port' | 'flowlabel';

/** Key bytes, in message order: src 0-15, dst 16-31, sport 32-33, dport 34-35, protocol 36, flow label 37-39. */
const SLOTS6 = 40;
const FIELD_SLOTS6: Record<HashField6, readonly [number, number]> = {
  'src-ip': [0, 16],
  'dst-ip': [16, 32],
  'src-port': [32, 34],
  'dst-port': [34, 36],
  protocol: [36, 37],
  flowlabel: [37, 40],
};

/** Per-slot tables (40 × 256) and then h(0), for `algorithm` under `seed` over the selected fields. */
export function compileAffine6(algorithm: 'crc32' | 'crc16' | 'xor' | 'toeplitz', seed: number, fields: readonly HashField6[]): Uint32Array {
  const offset = new Int8Array(SLOTS6).fill(-1);
  let length = 0;
  for (const f of ['src-ip', 'dst-ip', 'src-port', 'dst-port', 'protocol', 'flowlabel'] as const) {
    if (!fields.includes(f)) continue;
    const [from, to] = FIELD_SLOTS6[f];
    for (let s = from; s < to; s++) offset[s] = length++;
  }
  const reference = algorithm === 'toeplitz' && length > 36 ? longToeplitz(seed, length) : referenceHash(algorithm, seed);
  const table = new Uint32Array(SLOTS6 * 256 + 1);
  const msg = new Uint8Array(length);
  const h0 = reference(msg);
  for (let slot = 0; slot < SLOTS6; slot++) {
    const at = offset[slot]!;
    if (at < 0) continue;
    for (let b = 1; b < 256; b++) {
      msg[at] = b;
      table[slot * 256 + b] = (reference(msg) ^ h0) >>> 0;
    }
    msg[at] = 0;
  }
  table[SLOTS6 * 256] = h0;
  return table;
}

/** Toeplitz for a message longer than the RSS key covers: the seed's key repeated to length + 4 bytes. */
function longToeplitz(seed: number, length: number): (msg: Uint8Array) => number {
  const base = toeplitzKey(seed);
  const key = Uint8Array.from({ length: length + 4 }, (_, i) => base[i % base.length]!);
  return (msg) => toeplitz(key, msg);
}

/** The hasher over compiled tables: 40 lookups, no allocation. */
export function affine6Hasher(t: Uint32Array): FlowHasher6 {
  const h0 = t[SLOTS6 * 256]!;
  const word = (w: number, slot: number): number =>
    t[slot * 256 + (w >>> 24)]! ^ t[(slot + 1) * 256 + ((w >>> 16) & 0xff)]! ^ t[(slot + 2) * 256 + ((w >>> 8) & 0xff)]! ^ t[(slot + 3) * 256 + (w & 0xff)]!;
  return (src, dst, proto, sport, dport, flowLabel) => {
    let h = h0;
    for (let i = 0; i < 4; i++) h ^= word(src[i]!, 4 * i) ^ word(dst[i]!, 16 + 4 * i);
    h ^= t[32 * 256 + ((sport >>> 8) & 0xff)]! ^ t[33 * 256 + (sport & 0xff)]!;
    h ^= t[34 * 256 + ((dport >>> 8) & 0xff)]! ^ t[35 * 256 + (dport & 0xff)]!;
    h ^= t[36 * 256 + (proto & 0xff)]!;
    h ^= t[37 * 256 + ((flowLabel >>> 16) & 0x0f)]! ^ t[38 * 256 + ((flowLabel >>> 8) & 0xff)]! ^ t[39 * 256 + (flowLabel & 0xff)]!;
    return h >>> 0;
  };
}
