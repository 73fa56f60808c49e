// TCP header (RFC 9293): field offsets, reads and writes at an offset.

import { get16, get32, put16, put32 } from './bytes.js';
import { l4Checksum } from './checksum.js';
import { IPPROTO_TCP } from './ipv4.js';

export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
export const TCP_DATA_OFFSET = 12; // high nibble: header length in 32-bit words
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
export const TCP_URGENT = 18;
export const TCP_MIN_HEADER_LEN = 20;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK_FLAG = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export function tcpCheckLen(len: number): boolean {
  return len >= TCP_MIN_HEADER_LEN;
}

export function tcpSrcPort(buf: Uint8Array, off: number): number {
  return get16(buf, off + TCP_SRC_PORT);
}

export function tcpDstPort(buf: Uint8Array, off: number): number {
  return get16(buf, off + TCP_DST_PORT);
}

export function tcpSeq(buf: Uint8Array, off: number): number {
  return get32(buf, off + TCP_SEQ);
}

export function tcpAck(buf: Uint8Array, off: number): number {
  return get32(buf, off + TCP_ACK);
}

/** Header length in bytes (data offset × 4). */
export function tcpHeaderLen(buf: Uint8Array, off: number): number {
  return (buf[off + TCP_DATA_OFFSET]! >>> 4) << 2;
}

export function tcpFlags(buf: Uint8Array, off: number): number {
  return buf[off + TCP_FLAGS]!;
}

export function tcpWindow(buf: Uint8Array, off: number): number {
  return get16(buf, off + TCP_WINDOW);
}

export function tcpChecksumField(buf: Uint8Array, off: number): number {
  return get16(buf, off + TCP_CHECKSUM);
}

export function tcpUrgent(buf: Uint8Array, off: number): number {
  return get16(buf, off + TCP_URGENT);
}

/**
 * Writes a 20-byte header without options (data offset 5, checksum and urgent pointer 0; see tcpFillChecksum).
 * Returns the offset past the header.
 */
export function writeTcpHeader(
  buf: Uint8Array,
  off: number,
  srcPort: number,
  dstPort: number,
  seq: number,
  ack: number,
  flags: number,
  window: number,
): number {
  put16(buf, off + TCP_SRC_PORT, srcPort);
  put16(buf, off + TCP_DST_PORT, dstPort);
  put32(buf, off + TCP_SEQ, seq);
  put32(buf, off + TCP_ACK, ack);
  buf[off + TCP_DATA_OFFSET] = 5 << 4;
  buf[off + TCP_FLAGS] = flags;
  put16(buf, off + TCP_WINDOW, window);
  put16(buf, off + TCP_CHECKSUM, 0);
  put16(buf, off + TCP_URGENT, 0);
  return off + TCP_MIN_HEADER_LEN;
}

/** Computes and stores the checksum of the `segmentLength`-byte segment at `off` (header + payload). */
export function tcpFillChecksum(buf: Uint8Array, off: number, segmentLength: number, src: number, dst: number): void {
  put16(buf, off + TCP_CHECKSUM, 0);
  put16(buf, off + TCP_CHECKSUM, l4Checksum(buf, off, segmentLength, src, dst, IPPROTO_TCP, false));
}

export function tcpChecksumValid(buf: Uint8Array, off: number, segmentLength: number, src: number, dst: number): boolean {
  return l4Checksum(buf, off, segmentLength, src, dst, IPPROTO_TCP, false) === 0;
}
