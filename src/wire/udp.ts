// UDP header (RFC 768): field offsets, reads and writes at an offset.

import { get16, put16 } from './bytes.js';
import { l4Checksum } from './checksum.js';
import { IPPROTO_UDP } from './ipv4.js';

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LEN = 8;

export function udpCheckLen(len: number): boolean {
  return len >= UDP_HEADER_LEN;
}

export function udpSrcPort(buf: Uint8Array, off: number): number {
  return get16(buf, off + UDP_SRC_PORT);
}

export function udpDstPort(buf: Uint8Array, off: number): number {
  return get16(buf, off + UDP_DST_PORT);
}

/** Header plus payload, in bytes. */
export function udpLength(buf: Uint8Array, off: number): number {
  return get16(buf, off + UDP_LENGTH);
}

export function udpChecksumField(buf: Uint8Array, off: number): number {
  return get16(buf, off + UDP_CHECKSUM);
}

/** Writes the 8-byte header; checksum 0 means "none" (as VXLAN sends it). Returns the offset past the header. */
export function writeUdpHeader(
  buf: Uint8Array,
  off: number,
  srcPort: number,
  dstPort: number,
  length: number,
  checksum: number,
): number {
  put16(buf, off + UDP_SRC_PORT, srcPort);
  put16(buf, off + UDP_DST_PORT, dstPort);
  put16(buf, off + UDP_LENGTH, length);
  put16(buf, off + UDP_CHECKSUM, checksum);
  return off + UDP_HEADER_LEN;
}

/**
 * Computes and stores the checksum of the datagram at `off` whose header and payload are already written
 * (its length field gives the extent), with the IPv4 pseudo-header of `src` and `dst`.
 */
export function udpFillChecksum(buf: Uint8Array, off: number, src: number, dst: number): void {
  const length = udpLength(buf, off);
  put16(buf, off + UDP_CHECKSUM, 0);
  put16(buf, off + UDP_CHECKSUM, l4Checksum(buf, off, length, src, dst, IPPROTO_UDP, true));
}

/** True when the checksum is absent (0) or right. */
export function udpChecksumValid(buf: Uint8Array, off: number, src: number, dst: number): boolean {
  const stored = udpChecksumField(buf, off);
  if (stored === 0) return true;
  const length = udpLength(buf, off);
  // Summing the stored field with the rest gives 0 (after inversion) when right; 0xffff stands for 0.
  return l4Checksum(buf, off, length, src, dst, IPPROTO_UDP, false) === 0;
}
