// Linux's flow dissector over a tunnelled packet, as the multipath hash's policies 2 and 3 call it: the outer keys
// as __skb_flow_dissect fills them with FLOW_DISSECTOR_F_STOP_AT_ENCAP, and the inner ones as it fills them with no
// flags, past IP-in-IP (4), IPv6-in-IP (41) and GRE (47). Byte-level, allocation-free: one TunnelDissection per
// caller, overwritten for every packet, every read bounded by the packet's own length and the captured bytes.
//
// What the kernel's dissector does, and so this one (net/core/flow_dissector.c):
// - IPv4: addresses, protocol; a fragment (first or not: the multipath hash never passes PARSE_1ST_FRAG) stops it,
//   ports 0. Past a tunnel the IPv4 header's version nibble is not checked, nor its total length (the outer
//   packet's bounds every read), nor that its options fit; IHL < 5 or fewer than 20 bytes is "bad".
// - IPv6: addresses; the flow label only when it is not 0 (a 6in6 packet whose inner label is 0 keeps the outer's);
//   hop-by-hop, routing and destination options walked, a fragment header or AH stops it (Ipv6Walk.dissectorProto).
// - IP-in-IP and IPv6-in-IP: the inner header follows at once.
// - GRE: routing (R) present, or version > 1: not looked into (no inner). Version 1 (PPTP) is looked into by the
//   kernel; not here (documented: no inner). Version 0: 4 bytes, +4 with C (checksum and reserved1), +4 with K (the
//   key must be there: else "bad"), +4 with S; protocol 0x6558 (TEB) is followed by a 14-byte Ethernet header whose
//   type is the next protocol; up to two VLAN tags are walked; then IPv4 or IPv6.
// - Ports of the innermost header at proto_ports_offset (decode.ts portsOffset), 0 when they lie past the packet.
// - VXLAN is UDP: never looked into.
// - "Bad" past the tunnel (a header too short for its packet, a protocol after GRE the dissector cannot follow,
//   e.g. MPLS or ERSPAN, under --no-unwrap): the kernel stops with FLOW_DIS_ENCAPSULATION already set and the keys
//   of the last header it read, so the inner keys are the enclosing header's (protocol the tunnel's, no ports).
// - Nested tunnels are followed to the innermost, at most MAX_TUNNEL_DEPTH deep (the kernel's bound is its 15
//   headers of any kind, MAX_FLOW_DISSECT_HDRS; deeper nesting than ours stops there as "bad").

import { get16, get32 } from './bytes.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN } from './ethernet.js';
import { IPPROTO_GRE, GRE_FLAG_C, GRE_FLAG_K, GRE_FLAG_R, GRE_FLAG_S, GRE_PROTO_TEB, GRE_VERSION_MASK } from './gre.js';
import { IPV4_DST, IPV4_FLAGS_FRAG, IPV4_FLAG_MF, IPV4_FRAG_OFFSET_MASK, IPV4_PROTO, IPV4_SRC, IPV4_TOTAL_LEN } from './ipv4.js';
import { IPPROTO_HOPOPTS, IPV6_DST, IPV6_HEADER_LEN, IPV6_PAYLOAD_LEN, IPV6_SRC, Ipv6Walk, WALK_OK, walkIpv6 } from './ipv6.js';
import { portsOffset } from './decode.js';
import { ADDR_IPV4, ADDR_IPV6, LinuxFlowKeys, type Dissected } from '../hash/linux-keys.js';

export const IPPROTO_IPIP = 4;
export const IPPROTO_IPV6_IN_IP = 41;
export { IPPROTO_GRE };

/** The protocols a tunnel's dissection starts at. */
export function isTunnelProto(proto: number): boolean {
  return proto === IPPROTO_IPIP || proto === IPPROTO_IPV6_IN_IP || proto === IPPROTO_GRE;
}

export const MAX_TUNNEL_DEPTH = 4;

/** dissectTunnel's answers. */
export const TUNNEL_OK = 0;
/** The captured bytes end where the kernel would still read the packet's: its keys cannot be known. */
export const TUNNEL_TRUNCATED = 1;
/** The outer header itself is not IP that can be (the decoder says malformed first; the byte flipper checks it). */
export const TUNNEL_MALFORMED = 2;

/** A Dissected, preallocated: `inner` is `innerKeys` when the dissector met a tunnel, else null. */
export class TunnelDissection implements Dissected {
  readonly outer = new LinuxFlowKeys();
  readonly innerKeys = new LinuxFlowKeys();
  inner: LinuxFlowKeys | null = null;
  /** IPv6 outer: the fixed header's next header (what policy 0, linux-l3, hashes as the protocol); IPv4: outer.proto */
  outerNextHeader = 0;
}

/** Per-call state: fields of an object, not module variables (see FrameKey: no heap numbers per packet). */
class Cursor {
  /** where the current header's payload starts, its protocol, and whether it was a fragment */
  at = 0;
  proto = 0;
  fragment = false;
  /** the packet's end by its outermost length field, and the captured end (the lower of it and the capture) */
  limit = 0;
  end = 0;
  /** the last non-zero IPv6 flow label (key_tags.flow_label is only written when the label is not 0) */
  label = 0;
}
const cur = new Cursor();
const walk = new Ipv6Walk();

const HEADER_OK = 0;
const HEADER_BAD = 1;
const HEADER_TRUNCATED = 2;

/** Copies a's fields into b. */
function copyKeys(a: LinuxFlowKeys, b: LinuxFlowKeys): void {
  b.addrType = a.addrType;
  b.src.set(a.src);
  b.dst.set(a.dst);
  b.proto = a.proto;
  b.sport = a.sport;
  b.dport = a.dport;
  b.flowLabelWord = a.flowLabelWord;
}

/** Whether [at, at + n) is inside the packet; HEADER_TRUNCATED when inside it but not captured, HEADER_BAD past it. */
function need(at: number, n: number): number {
  if (at + n > cur.limit) return HEADER_BAD;
  return at + n > cur.end ? HEADER_TRUNCATED : HEADER_OK;
}

/** The IPv4 header at `at` into k (addresses, protocol); cur moves past it. */
function ipv4Header(buf: Uint8Array, at: number, k: LinuxFlowKeys): number {
  const n = need(at, 20);
  if (n !== HEADER_OK) return n;
  // IHL >= 5 is all the kernel checks: options need not fit (the ports past them then read as 0)
  const ihl = (buf[at]! & 0x0f) << 2;
  if (ihl < 20) return HEADER_BAD;
  k.addrType = ADDR_IPV4;
  k.flowLabelWord = 0; // key_tags keeps an outer IPv6 label, but no policy hashes it with IPv4 addresses
  k.src.fill(0);
  k.dst.fill(0);
  k.src[0] = get32(buf, at + IPV4_SRC);
  k.dst[0] = get32(buf, at + IPV4_DST);
  k.proto = buf[at + IPV4_PROTO]!;
  cur.proto = k.proto;
  cur.fragment = (get16(buf, at + IPV4_FLAGS_FRAG) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0;
  cur.at = at + ihl;
  return HEADER_OK;
}

/** The IPv6 header at `at` and its extension headers into k; cur moves to where the dissector stops. */
function ipv6Header(buf: Uint8Array, at: number, k: LinuxFlowKeys): number {
  const n = need(at, IPV6_HEADER_LEN);
  if (n !== HEADER_OK) return n;
  k.addrType = ADDR_IPV6;
  for (let i = 0; i < 4; i++) {
    k.src[i] = get32(buf, at + IPV6_SRC + 4 * i);
    k.dst[i] = get32(buf, at + IPV6_DST + 4 * i);
  }
  const label = get32(buf, at) & 0xfffff;
  if (label !== 0) cur.label = label;
  k.flowLabelWord = cur.label;
  walkIpv6(buf, at, cur.end, walk);
  if (walk.reason !== WALK_OK) return cur.end < cur.limit ? HEADER_TRUNCATED : HEADER_BAD;
  k.proto = walk.dissectorProto;
  cur.proto = k.proto;
  cur.fragment = walk.fragment;
  cur.at = walk.dissectorOffset;
  return HEADER_OK;
}

/** The ports of k's protocol at cur.at (0 for a fragment, a protocol without them, or ports past the packet). */
function ports(buf: Uint8Array, k: LinuxFlowKeys): number {
  k.sport = 0;
  k.dport = 0;
  if (cur.fragment) return HEADER_OK;
  const po = portsOffset(k.proto);
  if (po < 0) return HEADER_OK;
  const n = need(cur.at + po, 4);
  if (n === HEADER_TRUNCATED) return n;
  if (n === HEADER_OK) {
    k.sport = get16(buf, cur.at + po);
    k.dport = get16(buf, cur.at + po + 2);
  }
  return HEADER_OK;
}

/**
 * Past the GRE header at cur.at (and TEB's Ethernet, VLAN tags): the EtherType of what follows (cur.at moved
 * there), -1 when the dissector does not look inside, -2 when it stops "bad" after the header, -3 truncated.
 */
function greHeader(buf: Uint8Array): number {
  let at = cur.at;
  const n = need(at, 4);
  if (n !== HEADER_OK) return n === HEADER_BAD ? -1 : -3; // no header: FLOW_DISSECT_RET_OUT_BAD, before ENCAPSULATION
  const flags = get16(buf, at);
  if ((flags & GRE_FLAG_R) !== 0 || (flags & GRE_VERSION_MASK) !== 0) return -1;
  let type = get16(buf, at + 2);
  at += 4 + ((flags & GRE_FLAG_C) !== 0 ? 4 : 0);
  if ((flags & GRE_FLAG_K) !== 0) {
    const k = need(at, 4);
    if (k !== HEADER_OK) return k === HEADER_BAD ? -1 : -3; // the key is read: OUT_BAD, before ENCAPSULATION
    at += 4;
  }
  if ((flags & GRE_FLAG_S) !== 0) at += 4;
  if (type === GRE_PROTO_TEB) {
    const e = need(at, 14);
    if (e !== HEADER_OK) return e === HEADER_BAD ? -1 : -3;
    type = get16(buf, at + 12);
    at += 14;
  }
  // From here on FLOW_DIS_ENCAPSULATION is set: a failure is "bad" with the outer keys.
  for (let tags = 0; tags < 2 && (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ); tags++) {
    const v = need(at, 4);
    if (v !== HEADER_OK) return v === HEADER_BAD ? -2 : -3;
    type = get16(buf, at + 2);
    at += 4;
  }
  cur.at = at;
  return type;
}

/**
 * Dissects the IP packet at buf[l3 ..) (captured bytes end at `end`) into `out`. Returns TUNNEL_OK,
 * TUNNEL_TRUNCATED or TUNNEL_MALFORMED; never reads at or past `end`, never throws.
 */
export function dissectTunnel(buf: Uint8Array, l3: number, end: number, out: TunnelDissection): number {
  const o = out.outer;
  out.inner = null;
  o.clear();
  cur.label = 0;
  if (end > buf.length) end = buf.length;
  if (l3 >= end || l3 < 0) return TUNNEL_MALFORMED;
  const version = buf[l3]! >>> 4;
  // The outer packet's extent by its own length field
  if (version === 4) {
    if (end - l3 < 20) return TUNNEL_TRUNCATED;
    const total = get16(buf, l3 + IPV4_TOTAL_LEN);
    if (total < 20) return TUNNEL_MALFORMED;
    cur.limit = l3 + total;
  } else if (version === 6) {
    if (end - l3 < IPV6_HEADER_LEN) return TUNNEL_TRUNCATED;
    const payload = get16(buf, l3 + IPV6_PAYLOAD_LEN);
    cur.limit = payload === 0 && buf[l3 + 6] === IPPROTO_HOPOPTS ? end : l3 + IPV6_HEADER_LEN + payload;
  } else return TUNNEL_MALFORMED;
  cur.end = cur.limit < end ? cur.limit : end;
  const h = version === 4 ? ipv4Header(buf, l3, o) : ipv6Header(buf, l3, o);
  if (h !== HEADER_OK) return h === HEADER_TRUNCATED ? TUNNEL_TRUNCATED : TUNNEL_MALFORMED;
  out.outerNextHeader = version === 4 ? o.proto : buf[l3 + 6]!;
  if (!isTunnelProto(o.proto) || cur.fragment) return ports(buf, o) === HEADER_OK ? TUNNEL_OK : TUNNEL_TRUNCATED;
  // A tunnel: the outer keys stop here (STOP_AT_ENCAP: no ports); the inner ones go on from the outer's.
  const k = out.innerKeys;
  copyKeys(o, k);
  for (let depth = 0; depth < MAX_TUNNEL_DEPTH && isTunnelProto(k.proto) && !cur.fragment; depth++) {
    let family = k.proto === IPPROTO_IPIP ? 4 : 6;
    if (k.proto === IPPROTO_GRE) {
      const type = greHeader(buf);
      if (type === -3) return TUNNEL_TRUNCATED;
      if (type === -1) break; // not looked into: the inner keys end at the previous header
      out.inner = k;
      if (type === -2 || (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6)) return TUNNEL_OK;
      family = type === ETHERTYPE_IPV4 ? 4 : 6;
    }
    out.inner = k;
    // the header before stays in k when this one is bad: copy-free, the header functions write k only when whole
    const r = family === 4 ? ipv4Header(buf, cur.at, k) : ipv6Header(buf, cur.at, k);
    if (r === HEADER_TRUNCATED) return TUNNEL_TRUNCATED;
    if (r === HEADER_BAD) return TUNNEL_OK;
  }
  if (out.inner === null) return TUNNEL_OK;
  return ports(buf, k) === HEADER_OK ? TUNNEL_OK : TUNNEL_TRUNCATED;
}
