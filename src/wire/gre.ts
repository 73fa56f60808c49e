// GRE (RFC 2784, with RFC 2890's key and sequence number): field offsets, flag bits, the protocols that carry
// mirrored traffic, and where the payload starts.

import { get16, put16, put32 } from './bytes.js';

export const IPPROTO_GRE = 47;

export const GRE_FLAGS_VERSION = 0; // 2 bytes: C R K S s Recur(3) Flags(5) Ver(3)
export const GRE_PROTOCOL = 2; // 2 bytes: an EtherType
export const GRE_MIN_HEADER_LEN = 4;

export const GRE_FLAG_C = 0x8000; // checksum (and reserved1) present
export const GRE_FLAG_R = 0x4000; // routing present (RFC 1701 only; RFC 2784 makes it reserved)
export const GRE_FLAG_K = 0x2000; // key present
export const GRE_FLAG_S = 0x1000; // sequence number present
export const GRE_VERSION_MASK = 0x0007;

/** Transparent Ethernet bridging: an Ethernet frame follows the GRE header. */
export const GRE_PROTO_TEB = 0x6558;
/** ERSPAN type I (no sequence number, no ERSPAN header) and type II (sequence number, 8-byte header). */
export const GRE_PROTO_ERSPAN = 0x88be;
/** ERSPAN type III (12-byte header, optional 8-byte platform-specific subheader). */
export const GRE_PROTO_ERSPAN3 = 0x22eb;

export function greFlags(buf: Uint8Array, off: number): number {
  return get16(buf, off + GRE_FLAGS_VERSION);
}

export function greProtocol(buf: Uint8Array, off: number): number {
  return get16(buf, off + GRE_PROTOCOL);
}

/** greHeaderEnd's answers when there is no payload offset. */
export const GRE_TRUNCATED = -1;
/** A version other than 0 (PPTP's enhanced GRE is 1): another header layout. */
export const GRE_BAD_VERSION = -2;

/**
 * Where the payload of the GRE header at `off` starts (the packet's bytes end at `end`): past the checksum and
 * offset (present with C or R), key, sequence number and, with R (RFC 1701), the source route entries up to the
 * one of length 0. Every step is bounded by `end`, so a crafted route cannot run on.
 */
export function greHeaderEnd(buf: Uint8Array, off: number, end: number): number {
  if (end - off < GRE_MIN_HEADER_LEN) return GRE_TRUNCATED;
  const flags = get16(buf, off + GRE_FLAGS_VERSION);
  if ((flags & GRE_VERSION_MASK) !== 0) return GRE_BAD_VERSION;
  const routing = (flags & GRE_FLAG_R) !== 0;
  let p = off + GRE_MIN_HEADER_LEN + ((flags & (GRE_FLAG_C | GRE_FLAG_R)) !== 0 ? 4 : 0) + ((flags & GRE_FLAG_K) !== 0 ? 4 : 0) + ((flags & GRE_FLAG_S) !== 0 ? 4 : 0);
  if (p > end) return GRE_TRUNCATED;
  // Source route entries: address family (2), offset (1), length (1), then length bytes; length 0 ends the list.
  while (routing) {
    if (end - p < 4) return GRE_TRUNCATED;
    const len = buf[p + 3]!;
    p += 4 + len;
    if (p > end) return GRE_TRUNCATED;
    if (len === 0) break;
  }
  return p;
}

export interface GreRepr {
  protocol: number;
  key?: number;
  sequence?: number;
}

/** Writes a version-0 GRE header (no checksum) at `off`; returns its length. */
export function writeGreHeader(buf: Uint8Array, off: number, g: GreRepr): number {
  let flags = 0;
  if (g.key !== undefined) flags |= GRE_FLAG_K;
  if (g.sequence !== undefined) flags |= GRE_FLAG_S;
  put16(buf, off + GRE_FLAGS_VERSION, flags);
  put16(buf, off + GRE_PROTOCOL, g.protocol);
  let p = off + GRE_MIN_HEADER_LEN;
  if (g.key !== undefined) (put32(buf, p, g.key), (p += 4));
  if (g.sequence !== undefined) (put32(buf, p, g.sequence), (p += 4));
  return p - off;
}
