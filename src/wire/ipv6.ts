// IPv6 header (RFC 8200): field offsets, reads and writes at an offset, the walk over extension headers to the
// upper layer, and address text (RFC 4291 in, inet_ntop's RFC 5952 form out).

import { UsageError } from '../errors.js';
import { get16, get32, put16, put32 } from './bytes.js';
import { foldChecksum, onesSum } from './checksum.js';
import { IPPROTO_AH, IPPROTO_ESP, IPPROTO_UDP } from './ipv4.js';
import { UDP_HEADER_LEN } from './udp.js';

/** Field offsets from the start of the IPv6 header. */
export const IPV6_VER_TC_FL = 0;
export const IPV6_PAYLOAD_LEN = 4;
export const IPV6_NEXT_HEADER = 6;
export const IPV6_HOP_LIMIT = 7;
export const IPV6_SRC = 8;
export const IPV6_DST = 24;
export const IPV6_HEADER_LEN = 40;

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

export const IPV6_FRAGMENT_HEADER_LEN = 8;
/** Offset field of the fragment header: bits 15..3 of its third and fourth bytes. */
const FRAG_OFFSET_MASK = 0xfff8;

/**
 * At most this many extension headers are walked; a packet with more is malformed. Linux's flow dissector stops
 * after 15 headers in all (MAX_FLOW_DISSECT_HDRS); RFC 8200 allows each header once, Destination Options twice.
 */
export const IPV6_MAX_EXTENSION_HEADERS = 15;

export function ipv6Version(buf: Uint8Array, off: number): number {
  return buf[off + IPV6_VER_TC_FL]! >>> 4;
}

export function ipv6TrafficClass(buf: Uint8Array, off: number): number {
  return (get16(buf, off) >>> 4) & 0xff;
}

/** The 20-bit flow label. */
export function ipv6FlowLabel(buf: Uint8Array, off: number): number {
  return get32(buf, off) & 0xfffff;
}

export function ipv6PayloadLength(buf: Uint8Array, off: number): number {
  return get16(buf, off + IPV6_PAYLOAD_LEN);
}

export function ipv6NextHeader(buf: Uint8Array, off: number): number {
  return buf[off + IPV6_NEXT_HEADER]!;
}

export function ipv6HopLimit(buf: Uint8Array, off: number): number {
  return buf[off + IPV6_HOP_LIMIT]!;
}

/** Word `i` (0 = most significant) of the source address, as u32. */
export function ipv6SrcWord(buf: Uint8Array, off: number, i: number): number {
  return get32(buf, off + IPV6_SRC + 4 * i);
}

/** Word `i` (0 = most significant) of the destination address, as u32. */
export function ipv6DstWord(buf: Uint8Array, off: number, i: number): number {
  return get32(buf, off + IPV6_DST + 4 * i);
}

/**
 * Writes a 40-byte IPv6 header at `off`; addresses are four u32 words each, most significant first. Returns the
 * offset just past the header.
 */
export function writeIpv6Header(
  buf: Uint8Array,
  off: number,
  trafficClass: number,
  flowLabel: number,
  payloadLength: number,
  nextHeader: number,
  hopLimit: number,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
): number {
  put32(buf, off, ((6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff)) >>> 0);
  put16(buf, off + IPV6_PAYLOAD_LEN, payloadLength);
  buf[off + IPV6_NEXT_HEADER] = nextHeader;
  buf[off + IPV6_HOP_LIMIT] = hopLimit;
  for (let i = 0; i < 4; i++) {
    put32(buf, off + IPV6_SRC + 4 * i, src[i]!);
    put32(buf, off + IPV6_DST + 4 * i, dst[i]!);
  }
  return off + IPV6_HEADER_LEN;
}

/** The ones'-complement sum of the IPv6 pseudo-header (RFC 8200 §8.1) for an upper-layer checksum. */
export function pseudoHeaderSum6(src: ArrayLike<number>, dst: ArrayLike<number>, nextHeader: number, upperLength: number): number {
  let sum = nextHeader + (upperLength >>> 16) + (upperLength & 0xffff);
  for (let i = 0; i < 4; i++) sum += (src[i]! >>> 16) + (src[i]! & 0xffff) + (dst[i]! >>> 16) + (dst[i]! & 0xffff);
  return sum;
}

/**
 * Computes and stores the checksum of the UDP datagram at `off` (header and payload written; its length field gives
 * the extent) under IPv6 addresses. IPv6 has no "no checksum" 0 by default (RFC 8200 §8.1): a computed 0 is sent as
 * 0xffff.
 */
export function udp6FillChecksum(buf: Uint8Array, off: number, src: ArrayLike<number>, dst: ArrayLike<number>): void {
  const length = get16(buf, off + 4);
  put16(buf, off + 6, 0);
  const c = foldChecksum(onesSum(buf, off, length, pseudoHeaderSum6(src, dst, IPPROTO_UDP, length)));
  put16(buf, off + 6, c === 0 ? 0xffff : c);
}

/** True when the UDP checksum of the datagram at `off` is right under these IPv6 addresses. */
export function udp6ChecksumValid(buf: Uint8Array, off: number, src: ArrayLike<number>, dst: ArrayLike<number>): boolean {
  const length = get16(buf, off + 4);
  if (length < UDP_HEADER_LEN || get16(buf, off + 6) === 0) return false;
  return foldChecksum(onesSum(buf, off, length, pseudoHeaderSum6(src, dst, IPPROTO_UDP, length))) === 0;
}

// ---- the walk to the upper layer ----

export const WALK_OK = 0;
/** The captured bytes end inside an extension header (or, for a first fragment, before the upper header starts). */
export const WALK_TRUNCATED = 1;
/** More extension headers than IPV6_MAX_EXTENSION_HEADERS, or a fragment header after the first fragment's data. */
export const WALK_MALFORMED = 2;

/** Where the walk ended; one per decoder, overwritten for every packet. */
export class Ipv6Walk {
  reason = WALK_OK;
  /** The upper-layer protocol, past every extension header and AH (59 "no next header" when there is none). */
  upperProto = 0;
  /** Where the upper-layer header starts; meaningful only when `upperPresent`. */
  upperOffset = 0;
  /** The upper-layer header is in this packet: false for a non-first fragment and for ESP and "no next header". */
  upperPresent = false;
  /**
   * The protocol Linux's flow dissector ends at: it walks hop-by-hop, routing and destination options, stops right
   * after a fragment header (the header named there) and at AH or ESP, so a packet under AH hashes as protocol 51
   * without ports.
   */
  dissectorProto = 0;
  /**
   * Where that protocol's header starts (AH's own header; past the fragment header): where the dissector reads
   * ports, at proto_ports_offset (0 for TCP, UDP, SCTP, DCCP, UDP-Lite and ESP's SPI; 4 for AH's SPI).
   */
  dissectorOffset = 0;
  /** Any fragment header was seen (first fragment or not): ports hash as 0, as Linux hashes every fragment. */
  fragment = false;
  /** The fragment header, if any, had offset 0. */
  firstFragment = false;
  /** The number of extension headers walked (AH included). */
  headers = 0;
}

/**
 * Walks the extension headers of the IPv6 packet at `off` (its fixed header already known to be captured:
 * `end` - `off` >= 40) up to the upper layer, reading no byte at or past `end`.
 */
export function walkIpv6(buf: Uint8Array, off: number, end: number, out: Ipv6Walk): void {
  let next = buf[off + IPV6_NEXT_HEADER]!;
  let at = off + IPV6_HEADER_LEN;
  let dissector = -1;
  let dissectorAt = 0;
  out.reason = WALK_OK;
  out.fragment = false;
  out.firstFragment = false;
  out.headers = 0;
  out.upperPresent = false;
  for (;;) {
    if (next === IPPROTO_AH && dissector < 0) {
      dissector = IPPROTO_AH;
      dissectorAt = at;
    }
    if (next === IPPROTO_FRAGMENT) {
      if (at + IPV6_FRAGMENT_HEADER_LEN > end) return endWalk(out, WALK_TRUNCATED, next, at, dissector, dissectorAt);
      const offsetField = get16(buf, at + 2);
      out.fragment = true;
      out.firstFragment = (offsetField & FRAG_OFFSET_MASK) === 0;
      next = buf[at]!;
      at += IPV6_FRAGMENT_HEADER_LEN;
      // The kernel's dissector (flags 0, as the multipath hash calls it) stops after a fragment header, first or not.
      if (dissector < 0) {
        dissector = next;
        dissectorAt = at;
      }
      if (++out.headers > IPV6_MAX_EXTENSION_HEADERS) return endWalk(out, WALK_MALFORMED, next, at, dissector, dissectorAt);
      // A later fragment carries the rest of the data, not the headers after this one.
      if (!out.firstFragment) return endWalk(out, WALK_OK, next, at, dissector, dissectorAt, false);
      continue;
    }
    const length = extensionLength(buf, at, end, next);
    if (length === 0) break; // not an extension header: the upper layer
    if (length < 0) return endWalk(out, WALK_TRUNCATED, next, at, dissector, dissectorAt);
    next = buf[at]!;
    at += length;
    if (++out.headers > IPV6_MAX_EXTENSION_HEADERS) return endWalk(out, WALK_MALFORMED, next, at, dissector, dissectorAt);
  }
  const present = next !== IPPROTO_NONE && next !== IPPROTO_ESP;
  endWalk(out, WALK_OK, next, at, dissector, dissectorAt, present);
}

/**
 * Length in bytes of the extension header `type` at `at`: hop-by-hop, routing and destination options count
 * 8-byte units after the first 8; AH counts 4-byte units after the first 8 (RFC 4302). 0 when `type` is not one
 * of these; -1 when its length bytes are not captured.
 */
function extensionLength(buf: Uint8Array, at: number, end: number, type: number): number {
  const options = type === IPPROTO_HOPOPTS || type === IPPROTO_ROUTING || type === IPPROTO_DSTOPTS;
  if (!options && type !== IPPROTO_AH) return 0;
  if (at + 2 > end) return -1;
  const length = options ? (buf[at + 1]! + 1) << 3 : (buf[at + 1]! + 2) << 2;
  return at + length > end ? -1 : length;
}

function endWalk(out: Ipv6Walk, reason: number, proto: number, at: number, dissector: number, dissectorAt: number, present = false): void {
  out.reason = reason;
  out.upperProto = proto;
  out.upperOffset = at;
  out.upperPresent = present && reason === WALK_OK;
  out.dissectorProto = dissector >= 0 ? dissector : proto;
  out.dissectorOffset = dissector >= 0 ? dissectorAt : at;
}

// ---- address text, not for the hot path ----

/** An IPv6 address as four u32 words, most significant first. */
export type Ipv6Address = Uint32Array;

const GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOTTED_TAIL = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** The 16-bit groups of one side of "::" (or of a whole address), the last possibly a dotted quad; undefined if bad. */
function groupsOf(text: string, allowDotted: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (allowDotted && i === parts.length - 1 && p.includes('.')) {
      const m = DOTTED_TAIL.exec(p);
      if (!m) return undefined;
      const o = m.slice(1, 5).map(Number);
      if (o.some((x) => x > 255)) return undefined;
      groups.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    } else if (GROUP.test(p)) {
      groups.push(parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** "2001:db8::1" → its four words, or undefined when the text is not an IPv6 address (RFC 4291 §2.2 forms). */
export function tryParseIpv6(text: string): Ipv6Address | undefined {
  const gap = text.indexOf('::');
  if (gap !== text.lastIndexOf('::')) return undefined;
  let groups: number[] | undefined;
  if (gap < 0) {
    groups = groupsOf(text, true);
    if (groups === undefined || groups.length !== 8) return undefined;
  } else {
    const head = groupsOf(text.slice(0, gap), false);
    const tail = groupsOf(text.slice(gap + 2), true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return words;
}

/** "2001:db8::1" → its four words; a UsageError (exit 2) for anything else. */
export function parseIpv6(text: string): Ipv6Address {
  const a = tryParseIpv6(text);
  if (!a) throw new UsageError(`bad IPv6 address '${text}'`);
  return a;
}

/**
 * The address as inet_ntop (and so iproute2) prints it, RFC 5952's form: lowercase hex without leading zeros, the
 * longest run of two or more zero groups (the first of equal runs) as "::", and the last 32 bits as a dotted quad
 * for IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, but not :: or ::1) addresses.
 */
export function formatIpv6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(words[i]! >>> 16, words[i]! & 0xffff);
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) bestAt = -1;
  const dotted = bestAt === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff));
  const last = dotted ? 6 : 8;
  let out = '';
  for (let i = 0; i < last; i++) {
    if (i === bestAt) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += g[i]!.toString(16);
  }
  if (dotted) out += `${out.endsWith(':') ? '' : ':'}${g[6]! >>> 8}.${g[6]! & 0xff}.${g[7]! >>> 8}.${g[7]! & 0xff}`;
  return out;
}

/** The words of a prefix length's netmask: 64 → ffff:ffff:ffff:ffff::. */
export function prefixMask6(length: number): Ipv6Address {
  const mask = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.min(32, Math.max(0, length - 32 * i));
    mask[i] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return mask;
}

export interface Ipv6Prefix {
  /** The address as written, host bits included: an interface address. */
  address: Ipv6Address;
  /** The address with host bits cleared: the route. */
  network: Ipv6Address;
  length: number;
}

/** "2001:db8::/32" → its parts, or undefined when the text is not ADDRESS/LENGTH with LENGTH 0..128. */
export function tryParsePrefix6(text: string): Ipv6Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = tryParseIpv6(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > 128) return undefined;
  const mask = prefixMask6(length);
  const network = address.map((w, i) => (w & mask[i]!) >>> 0);
  return { address, network, length };
}

/** "2001:db8::/32" → its parts; a UsageError (exit 2) for anything else. */
export function parsePrefix6(text: string): Ipv6Prefix {
  const p = tryParsePrefix6(text);
  if (!p) throw new UsageError(`bad IPv6 prefix '${text}'`);
  return p;
}

export function formatPrefix6(network: ArrayLike<number>, length: number): string {
  return `${formatIpv6(network)}/${length}`;
}
