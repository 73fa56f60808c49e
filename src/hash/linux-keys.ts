// Linux's multipath hash over a whole struct flow_keys, for policies 2 and 3 (and the cold paths of 0 and 1):
// the key as the kernel fills it, flow_hash_from_keys_seed over it, and policy 3's jhash_2words of two hashes.
//
// flow_hash_from_keys_seed: __flow_hash_consistentify (IPv4: swap the addresses when the dst is below the src as
// native u32s, the byte-swapped values on x86-64; IPv6: when memcmp(dst, src) < 0; either way, independently, the
// ports when the dst is below the src as native u16), then SipHash-2-4 keyed seed << 32 | seed over the struct from
// `basic` on, 48 bytes with IPv4 addresses and 72 with IPv6 ones (flow_keys_hash_length), low 32 bits, 0 becomes 1.
// The per-policy choice of fields is the caller's (policies.ts); these are the shared mechanics.

import { SIP_STATE_WORDS, sipInit, sipRun } from './siphash.js';

export const ADDR_IPV4 = 4;
export const ADDR_IPV6 = 6;

/** The fields of struct flow_keys a multipath hash reads, as the kernel stores them. */
export class LinuxFlowKeys {
  /** FLOW_DISSECTOR_KEY_IPV4_ADDRS or _IPV6_ADDRS: which address layout, and so which hash length */
  addrType = ADDR_IPV4;
  /** addresses in host order (0x0a000001 = 10.0.0.1), four words for IPv6 (word 0 only for IPv4) */
  readonly src = new Int32Array(4);
  readonly dst = new Int32Array(4);
  proto = 0;
  sport = 0;
  dport = 0;
  /**
   * tags.flow_label as the kernel stores the u32: the flow dissector stores the label in host order (the value
   * itself); ip6_multipath_l3_keys (IPv6 policy 0) stores the header's big-endian word, so the byte-swapped label.
   */
  flowLabelWord = 0;

  clear(): this {
    this.addrType = ADDR_IPV4;
    this.src.fill(0);
    this.dst.fill(0);
    this.proto = this.sport = this.dport = this.flowLabelWord = 0;
    return this;
  }
}

const bswap32 = (x: number): number => ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) | 0;
const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

const state = new Int32Array(SIP_STATE_WORDS);
const message = new Int32Array(20);

/** Whether IPv6 address b is below a in memcmp order (big-endian bytes: the words compared unsigned). */
function belowV6(b: Int32Array, a: Int32Array): boolean {
  for (let i = 0; i < 4; i++) if (b[i] !== a[i]) return b[i]! >>> 0 < a[i]! >>> 0;
  return false;
}

/** flow_hash_from_keys_seed with fib_multipath_hash_construct_key(seed): the kernel's u32, never 0. */
export function linuxKeysHash(seed: number, k: LinuxFlowKeys): number {
  const s = seed | 0;
  sipInit(state, 0, s, s, s, s);
  const m = message;
  m.fill(0);
  m[0] = (k.proto & 0xff) << 16; // basic: n_proto 0, ip_proto, padding
  m[1] = k.flowLabelWord;
  const p = bswap16(k.sport & 0xffff);
  const q = bswap16(k.dport & 0xffff);
  m[7] = Math.min(p, q) | (Math.max(p, q) << 16); // ports, after keyid
  let words: number;
  if (k.addrType === ADDR_IPV6) {
    const swap = belowV6(k.dst, k.src);
    const lo = swap ? k.dst : k.src;
    const hi = swap ? k.src : k.dst;
    for (let i = 0; i < 4; i++) {
      m[9 + i] = bswap32(lo[i]!);
      m[13 + i] = bswap32(hi[i]!);
    }
    words = 9;
  } else {
    const a = bswap32(k.src[0]!) >>> 0;
    const b = bswap32(k.dst[0]!) >>> 0;
    m[9] = Math.min(a, b);
    m[10] = Math.max(a, b);
    words = 6;
  }
  m[2 * words + 1] = (8 * words) << 24; // the length block
  const h = sipRun(state, 0, m, words + 1, true) >>> 0;
  return h === 0 ? 1 : h;
}

const rol32 = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** jhash_2words(a, b, initval) from include/linux/jhash.h: how policy 3 joins its outer and inner hashes. */
export function jhash2words(a: number, b: number, initval: number): number {
  const init = (initval + 0xdeadbeef + (2 << 2)) | 0;
  a = (a + init) | 0;
  b = (b + init) | 0;
  let c = init;
  // __jhash_final
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c >>> 0;
}

/** Bits of net.ipv4/ipv6.fib_multipath_hash_fields (policy 3), as include/net/ip_fib.h names them. */
export const HASH_FIELD_BITS = {
  'src-ip': 1 << 0,
  'dst-ip': 1 << 1,
  protocol: 1 << 2,
  flowlabel: 1 << 3,
  'src-port': 1 << 4,
  'dst-port': 1 << 5,
  'inner-src-ip': 1 << 6,
  'inner-dst-ip': 1 << 7,
  'inner-protocol': 1 << 8,
  'inner-flowlabel': 1 << 9,
  'inner-src-port': 1 << 10,
  'inner-dst-port': 1 << 11,
} as const;
export type LinuxHashField = keyof typeof HASH_FIELD_BITS;
const OUTER_MASK = 0x3f;
const INNER_MASK = 0xfc0;

/**
 * What the flow dissector finds in a packet: `outer`, dissected with FLOW_DISSECTOR_F_STOP_AT_ENCAP (a tunnel's
 * protocol, 4, 41 or 47, and no ports), and `inner`, the innermost header past IP-in-IP, IPv6-in-IP and GRE (v0
 * without routing, TEB included), or null when there is no such tunnel. VXLAN is UDP to the dissector: no inner.
 * Flow labels as the dissector stores them, in host order.
 */
export interface Dissected {
  outer: LinuxFlowKeys;
  inner: LinuxFlowKeys | null;
}

const picked = new LinuxFlowKeys();

/** `from` with only the chosen fields kept (addresses of its family, protocol, ports, flow label for IPv6). */
function pick(from: LinuxFlowKeys, fields: number, shift: number): LinuxFlowKeys {
  const k = picked.clear();
  k.addrType = from.addrType;
  const has = (bit: number): boolean => (fields & (bit << shift)) !== 0;
  if (has(HASH_FIELD_BITS['src-ip'])) k.src.set(from.src);
  if (has(HASH_FIELD_BITS['dst-ip'])) k.dst.set(from.dst);
  if (has(HASH_FIELD_BITS.protocol)) k.proto = from.proto;
  if (has(HASH_FIELD_BITS.flowlabel) && from.addrType === ADDR_IPV6) k.flowLabelWord = from.flowLabelWord;
  if (has(HASH_FIELD_BITS['src-port'])) k.sport = from.sport;
  if (has(HASH_FIELD_BITS['dst-port'])) k.dport = from.dport;
  return k;
}

/**
 * Policy 2 on the forwarding path (fib_multipath_hash / rt6_multipath_hash with an skb): the innermost header the
 * dissector reaches, the packet's own when there is no tunnel; IPv4 gives its addresses, IPv6 its addresses, flow
 * label and protocol.
 */
export function policy2Hash(seed: number, d: Dissected): number {
  const innermost = d.inner ?? d.outer;
  const k = picked.clear();
  k.addrType = innermost.addrType;
  k.src.set(innermost.src);
  k.dst.set(innermost.dst);
  if (innermost.addrType === ADDR_IPV6) {
    k.flowLabelWord = innermost.flowLabelWord;
    k.proto = innermost.proto;
  }
  return linuxKeysHash(seed, k);
}

/**
 * Policy 3 on the forwarding path (fib_multipath_custom_hash_skb, rt6_multipath_custom_hash_skb): the outer fields
 * chosen by `fields` hashed, the inner ones hashed when the packet is tunnelled, each 0 when it has nothing to
 * hash, and the two joined by jhash_2words(outer, inner, 0). The outer flow-label bit applies to IPv6 only.
 */
export function policy3Hash(seed: number, fields: number, d: Dissected): number {
  const outer = fields & OUTER_MASK ? linuxKeysHash(seed, pick(d.outer, fields, 0)) : 0;
  const inner = d.inner !== null && fields & INNER_MASK ? linuxKeysHash(seed, pick(d.inner, fields, 6)) : 0;
  return jhash2words(outer, inner, 0);
}

/**
 * Policy 3 with no packet (fib_multipath_custom_hash_fl4 / _fl6: `ip -6 route get`, locally generated traffic):
 * the outer fields only, and no jhash_2words step.
 */
export function policy3HashNoPacket(seed: number, fields: number, outer: LinuxFlowKeys): number {
  return fields & OUTER_MASK ? linuxKeysHash(seed, pick(outer, fields, 0)) : 0;
}
