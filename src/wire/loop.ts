// BSD loopback headers (LINKTYPE_NULL 0: a 4-byte address family in the capturing host's byte order; LINKTYPE_LOOP
// 108: the same in network order, as OpenBSD writes it) and PPP (LINKTYPE_PPP 9, LINKTYPE_PPP_HDLC 50).

import { get16, get32 } from './bytes.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_PPP_HDLC = 50;

export const LOOP_HEADER_LEN = 4;
export const AF_INET = 2;
/** AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30; a capture may come from any. */
export const AF_INET6_VALUES: readonly number[] = [10, 24, 28, 30];

/**
 * The address family of a NULL (host order) or LOOP (network order) header. A NULL header from a host of the
 * other byte order shows its family in the high 16 bits, and is read the other way round (as libpcap does).
 */
export function loopFamily(buf: Uint8Array, off: number, linkType: number): number {
  const be = get32(buf, off);
  if (linkType === LINKTYPE_LOOP) return be;
  const le = ((buf[off + 3]! << 24) | (buf[off + 2]! << 16) | (buf[off + 1]! << 8) | buf[off]!) >>> 0;
  return (le & 0xffff0000) !== 0 ? be : le;
}

/** PPP in HDLC-like framing starts with address 0xff and control 0x03 (RFC 1662); bare PPP does not. */
export const PPP_ADDRESS = 0xff;
export const PPP_CONTROL = 0x03;
export const PPP_PROTO_IPV4 = 0x0021;
export const PPP_PROTO_IPV6 = 0x0057;

/**
 * Where the PPP protocol field starts, and its value: bits 0..15 the protocol, bits 16.. the field's length
 * (1 when compressed: an odd first byte, RFC 1661 §6.5). -1 when the header is not captured.
 */
export function pppProtocol(buf: Uint8Array, off: number, end: number): number {
  let p = off;
  if (end - p >= 2 && buf[p] === PPP_ADDRESS && buf[p + 1] === PPP_CONTROL) p += 2;
  if (end - p < 1) return -1;
  if ((buf[p]! & 1) !== 0) return ((p - off + 1) << 16) | buf[p]!;
  if (end - p < 2) return -1;
  return ((p - off + 2) << 16) | get16(buf, p);
}
