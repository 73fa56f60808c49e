// Linux's IPv6 multipath hash (net.ipv6.fib_multipath_hash_policy 0 and 1, rt6_multipath_hash), bit for bit.
//
// The same SipHash-2-4 over struct flow_keys as IPv4 (linux.ts), keyed with seed << 32 | seed from
// net.ipv4.fib_multipath_hash_seed, which serves IPv6 too, but over 72 bytes from `basic`, with the IPv6 addresses:
// basic {n_proto 0, ip_proto, pad}, tags {flow_label}, vlan, cvlan, keyid, ports {src, dst}, icmp,
// v6addrs {src, dst}, 4 bytes of padding. __flow_hash_consistentify swaps the addresses when memcmp(dst, src) < 0
// (a plain numeric compare of the big-endian bytes) and, independently, the ports when the dst port is smaller as a
// native u16 (the byte-swapped value on x86-64). The low 32 bits are kept, 0 becomes 1; the kernel then selects
// with hash >> 1.
// - policy 0 (ip6_multipath_l3_keys): addresses, the 20-bit flow label as it sits in the header (network order, so
//   byte-swapped on x86-64) and the header's first next-header value, no ports;
// - policy 1: addresses, ports and the upper-layer protocol, no flow label.
// As SipHash little-endian words: m0 = ip_proto << 16 | bswap(label) << 32, m1 = m2 = 0, m3 = (P | Q << 16) << 32,
// m4 = S0 << 32, m5 = S1 | S2 << 32, m6 = S3 | D0 << 32, m7 = D1 | D2 << 32, m8 = D3, then 72 << 56; P, Q, Sx, Dx
// byte-swapped.

import type { HashField } from './fields.js';
import { SIP_STATE_WORDS, sipInit, sipRun } from './siphash.js';

/** Addresses as four words each (most significant first, u32 or int32), ports 0..65535, protocol 0..255. */
export type FlowHasher6 = (src: ArrayLike<number>, dst: ArrayLike<number>, proto: number, sport: number, dport: number, flowLabel: number) => number;

const bswap32 = (x: number): number => ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) | 0;
const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

const LENGTH_BLOCK_HI = 72 << 24;

/** Whether address b is below address a, as memcmp of their network-order bytes says. */
function below(b: ArrayLike<number>, a: ArrayLike<number>): boolean {
  for (let i = 0; i < 4; i++) {
    const x = b[i]! >>> 0;
    const y = a[i]! >>> 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * `policy` 0 (linux-l3) or 1 (linux-l4) over IPv6. Unselected fields are zero in the key, as for IPv4 (see
 * makeLinuxHasher); policy 0 always reads the flow label, policy 1 never does. JS SipHash in 32-bit halves.
 */
export function makeLinux6Hasher(policy: 0 | 1, seed: number, fields: readonly HashField[]): FlowHasher6 {
  const has = (f: HashField): boolean => fields.includes(f);
  const srcMask = has('src-ip') ? -1 : 0;
  const dstMask = has('dst-ip') ? -1 : 0;
  const sportMask = policy === 1 && has('src-port') ? 0xffff : 0;
  const dportMask = policy === 1 && has('dst-port') ? 0xffff : 0;
  const protoMask = has('protocol') ? 0xff : 0;
  const labelMask = policy === 0 ? 0xfffff : 0;
  const k = seed | 0;
  const state = new Int32Array(SIP_STATE_WORDS);
  sipInit(state, 0, k, k, k, k);
  const m = new Int32Array(20);
  m[19] = LENGTH_BLOCK_HI;
  const a = new Int32Array(4);
  const b = new Int32Array(4);
  return (src, dst, proto, sport, dport, flowLabel) => {
    for (let i = 0; i < 4; i++) {
      a[i] = src[i]! & srcMask;
      b[i] = dst[i]! & dstMask;
    }
    const swap = below(b, a);
    const lo = swap ? b : a;
    const hi = swap ? a : b;
    const p = bswap16(sport & sportMask);
    const q = bswap16(dport & dportMask);
    m[0] = (proto & protoMask) << 16;
    m[1] = bswap32(flowLabel & labelMask);
    m[7] = Math.min(p, q) | (Math.max(p, q) << 16);
    m[9] = bswap32(lo[0]!);
    m[10] = bswap32(lo[1]!);
    m[11] = bswap32(lo[2]!);
    m[12] = bswap32(lo[3]!);
    m[13] = bswap32(hi[0]!);
    m[14] = bswap32(hi[1]!);
    m[15] = bswap32(hi[2]!);
    m[16] = bswap32(hi[3]!);
    const h = sipRun(state, 0, m, 10, true) >>> 0;
    return h === 0 ? 1 : h;
  };
}
