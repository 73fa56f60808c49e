// Independent reference implementations for the hash tests: BigInt SipHash and the kernel's flow_keys bytes.
// Deliberately written from the definitions (struct layout, byte reads), not from src/hash's word arithmetic.

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

/** SipHash-2-4 with 64-bit BigInt words, as in the paper. */
export function siphashBig(k0: bigint, k1: bigint, msg: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const word = (bytes: Uint8Array, at: number): bigint => {
    let m = 0n;
    for (let i = 7; i >= 0; i--) m = (m << 8n) | BigInt(bytes[at + i] ?? 0);
    return m;
  };
  const full = msg.length - (msg.length % 8);
  for (let i = 0; i < full; i += 8) {
    const m = word(msg, i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  const last = new Uint8Array(8);
  last.set(msg.subarray(full));
  last[7] = msg.length & 0xff;
  const b = word(last, 0);
  v3 ^= b; round(); round(); v0 ^= b;
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * What fib_multipath_hash (policy 0 or 1) returns before its final >> 1, on a little-endian kernel: builds the
 * 48 hashed bytes of struct flow_keys (from `basic`), applies __flow_hash_consistentify by reading the stored
 * big-endian fields as little-endian integers, siphashes with k0 = k1 = seed << 32 | seed.
 */
export function linuxFlowHashBig(
  policy: 0 | 1,
  seed: number,
  src: number,
  dst: number,
  proto: number,
  sport: number,
  dport: number,
): number {
  const b = new Uint8Array(48);
  const dv = new DataView(b.buffer);
  // offsets relative to `basic`: basic 0 (n_proto 0..1, ip_proto 2), tags 4, vlan 8, cvlan 16, keyid 24,
  // ports 28 (src) / 30 (dst), icmp 32, v4addrs 36 (src) / 40 (dst), rest of the addrs union 44..47
  if (policy === 1) {
    b[2] = proto;
    dv.setUint16(28, sport, false);
    dv.setUint16(30, dport, false);
  }
  dv.setUint32(36, src, false);
  dv.setUint32(40, dst, false);
  // consistentify: (__force u32)dst < (__force u32)src, then (__force u16) ports, each swapped independently
  if (dv.getUint32(40, true) < dv.getUint32(36, true)) {
    const s = dv.getUint32(36, true);
    dv.setUint32(36, dv.getUint32(40, true), true);
    dv.setUint32(40, s, true);
  }
  if (dv.getUint16(30, true) < dv.getUint16(28, true)) {
    const s = dv.getUint16(28, true);
    dv.setUint16(28, dv.getUint16(30, true), true);
    dv.setUint16(30, s, true);
  }
  const s64 = BigInt(seed >>> 0);
  const key = (s64 << 32n) | s64;
  const h = Number(siphashBig(key, key, b) & 0xffffffffn);
  return h === 0 ? 1 : h;
}

/** Dotted quad → u32. */
export function ip(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}
