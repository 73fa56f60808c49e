// IPv4 header (RFC 791): field offsets, reads and writes at an offset, header checksum, address text helpers.

import { UsageError } from '../errors.js';
import { get16, get32, put16, put32 } from './bytes.js';
import { foldChecksum, onesSum } from './checksum.js';

/** Field offsets from the start of the IPv4 header. */
export const IPV4_VER_IHL = 0;
export const IPV4_DSCP_ECN = 1;
export const IPV4_TOTAL_LEN = 2;
export const IPV4_IDENT = 4;
export const IPV4_FLAGS_FRAG = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTO = 9;
export const IPV4_CHECKSUM = 10;
export const IPV4_SRC = 12;
export const IPV4_DST = 16;
export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;

/** Bits of the 16-bit flags/fragment-offset field. */
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_DCCP = 33;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;

export function ipv4CheckLen(len: number): boolean {
  return len >= IPV4_MIN_HEADER_LEN;
}

export function ipv4Version(buf: Uint8Array, off: number): number {
  return buf[off + IPV4_VER_IHL]! >>> 4;
}

/** Header length in bytes (IHL × 4), 0..60; below 20 is malformed. */
export function ipv4HeaderLen(buf: Uint8Array, off: number): number {
  return (buf[off + IPV4_VER_IHL]! & 0x0f) << 2;
}

export function ipv4Dscp(buf: Uint8Array, off: number): number {
  return buf[off + IPV4_DSCP_ECN]! >>> 2;
}

export function ipv4Ecn(buf: Uint8Array, off: number): number {
  return buf[off + IPV4_DSCP_ECN]! & 3;
}

export function ipv4TotalLength(buf: Uint8Array, off: number): number {
  return get16(buf, off + IPV4_TOTAL_LEN);
}

export function ipv4Ident(buf: Uint8Array, off: number): number {
  return get16(buf, off + IPV4_IDENT);
}

/** The raw 16-bit flags and fragment offset field. */
export function ipv4FlagsFrag(buf: Uint8Array, off: number): number {
  return get16(buf, off + IPV4_FLAGS_FRAG);
}

export function ipv4DontFragment(buf: Uint8Array, off: number): boolean {
  return (buf[off + IPV4_FLAGS_FRAG]! & 0x40) !== 0;
}

export function ipv4MoreFragments(buf: Uint8Array, off: number): boolean {
  return (buf[off + IPV4_FLAGS_FRAG]! & 0x20) !== 0;
}

/** Fragment offset in bytes (the field counts 8-byte units). */
export function ipv4FragmentOffset(buf: Uint8Array, off: number): number {
  return (get16(buf, off + IPV4_FLAGS_FRAG) & IPV4_FRAG_OFFSET_MASK) << 3;
}

/** True for every fragment, first or not: MF set or a non-zero offset (Linux's ip_is_fragment). */
export function ipv4IsFragment(buf: Uint8Array, off: number): boolean {
  return (get16(buf, off + IPV4_FLAGS_FRAG) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0;
}

export function ipv4Ttl(buf: Uint8Array, off: number): number {
  return buf[off + IPV4_TTL]!;
}

export function ipv4Protocol(buf: Uint8Array, off: number): number {
  return buf[off + IPV4_PROTO]!;
}

/** The checksum field as stored. */
export function ipv4ChecksumField(buf: Uint8Array, off: number): number {
  return get16(buf, off + IPV4_CHECKSUM);
}

export function ipv4Src(buf: Uint8Array, off: number): number {
  return get32(buf, off + IPV4_SRC);
}

export function ipv4Dst(buf: Uint8Array, off: number): number {
  return get32(buf, off + IPV4_DST);
}

/**
 * The header checksum of the `ihlBytes`-long header at `off`, computed as if its checksum field were zero
 * (whatever it holds): the value to store in that field.
 */
export function ipv4Checksum(buf: Uint8Array, off: number, ihlBytes: number): number {
  let sum = onesSum(buf, off, IPV4_CHECKSUM, 0);
  sum = onesSum(buf, off + IPV4_CHECKSUM + 2, ihlBytes - IPV4_CHECKSUM - 2, sum);
  return foldChecksum(sum);
}

/** True when the stored header checksum is right. */
export function ipv4ChecksumValid(buf: Uint8Array, off: number, ihlBytes: number): boolean {
  return foldChecksum(onesSum(buf, off, ihlBytes, 0)) === 0;
}

/** Computes and stores the header checksum. */
export function ipv4FillChecksum(buf: Uint8Array, off: number, ihlBytes: number): void {
  put16(buf, off + IPV4_CHECKSUM, ipv4Checksum(buf, off, ihlBytes));
}

/**
 * Writes a 20-byte IPv4 header without options at `off`, checksum included. `flagsFrag` is the raw field
 * (e.g. IPV4_FLAG_DF). Returns the offset just past the header.
 */
export function writeIpv4Header(
  buf: Uint8Array,
  off: number,
  tos: number,
  totalLength: number,
  ident: number,
  flagsFrag: number,
  ttl: number,
  proto: number,
  src: number,
  dst: number,
): number {
  buf[off + IPV4_VER_IHL] = 0x45;
  buf[off + IPV4_DSCP_ECN] = tos;
  put16(buf, off + IPV4_TOTAL_LEN, totalLength);
  put16(buf, off + IPV4_IDENT, ident);
  put16(buf, off + IPV4_FLAGS_FRAG, flagsFrag);
  buf[off + IPV4_TTL] = ttl;
  buf[off + IPV4_PROTO] = proto;
  put32(buf, off + IPV4_SRC, src);
  put32(buf, off + IPV4_DST, dst);
  put16(buf, off + IPV4_CHECKSUM, ipv4Checksum(buf, off, IPV4_MIN_HEADER_LEN));
  return off + IPV4_MIN_HEADER_LEN;
}

// ---- address text, not for the hot path ----

const OCTET = '(0|[1-9][0-9]{0,2})';
const DOTTED = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/**
 * "1.2.3.4" → 0x01020304, or -1 when the text is not a dotted quad. Leading zeros are refused ("010.0.0.1"
 * is octal to inet_aton and decimal to others: ambiguous).
 */
export function tryParseIpv4(text: string): number {
  const m = DOTTED.exec(text);
  if (!m) return -1;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return -1;
    v = v * 256 + o;
  }
  return v;
}

/** "1.2.3.4" → 0x01020304; a UsageError (exit 2) for anything else. */
export function parseIpv4(text: string): number {
  const v = tryParseIpv4(text);
  if (v < 0) throw new UsageError(`bad IPv4 address '${text}'`);
  return v;
}

/** 0x01020304 → "1.2.3.4". */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** The netmask of a prefix length as u32: 24 → 0xffffff00, 0 → 0. */
export function prefixMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

export interface Ipv4Prefix {
  /** The address as written, host bits included ("172.16.1.1/31" → 172.16.1.1): an interface address. */
  address: number;
  /** The address with host bits cleared ("172.16.1.1/31" → 172.16.1.0): the route. */
  network: number;
  length: number;
  mask: number;
}

/** "10.0.0.0/8" → its parts, or undefined when the text is not ADDRESS/LENGTH with LENGTH 0..32. */
export function tryParsePrefix(text: string): Ipv4Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = tryParseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (address < 0 || !/^(0|[1-9][0-9]?)$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > 32) return undefined;
  const mask = prefixMask(length);
  return { address, network: (address & mask) >>> 0, length, mask };
}

/** "10.0.0.0/8" → its parts; a UsageError (exit 2) for anything else. */
export function parsePrefix(text: string): Ipv4Prefix {
  const p = tryParsePrefix(text);
  if (!p) throw new UsageError(`bad IPv4 prefix '${text}'`);
  return p;
}

export function formatPrefix(network: number, length: number): string {
  return `${formatIpv4(network)}/${length}`;
}
