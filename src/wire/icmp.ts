// ICMP for IPv4 (RFC 792): type, code, checksum, and the echo identifier and sequence.

import { get16, put16 } from './bytes.js';
import { internetChecksum, internetChecksumValid } from './checksum.js';

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = 2;
export const ICMP_ECHO_IDENT = 4;
export const ICMP_ECHO_SEQ = 6;
export const ICMP_HEADER_LEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

export function icmpCheckLen(len: number): boolean {
  return len >= ICMP_HEADER_LEN;
}

export function icmpType(buf: Uint8Array, off: number): number {
  return buf[off + ICMP_TYPE]!;
}

export function icmpCode(buf: Uint8Array, off: number): number {
  return buf[off + ICMP_CODE]!;
}

export function icmpChecksumField(buf: Uint8Array, off: number): number {
  return get16(buf, off + ICMP_CHECKSUM);
}

export function icmpEchoIdent(buf: Uint8Array, off: number): number {
  return get16(buf, off + ICMP_ECHO_IDENT);
}

export function icmpEchoSeq(buf: Uint8Array, off: number): number {
  return get16(buf, off + ICMP_ECHO_SEQ);
}

/** Writes an 8-byte echo request/reply header with a zero checksum; see icmpFillChecksum. Returns the offset past it. */
export function writeIcmpEcho(buf: Uint8Array, off: number, type: number, ident: number, seq: number): number {
  buf[off + ICMP_TYPE] = type;
  buf[off + ICMP_CODE] = 0;
  put16(buf, off + ICMP_CHECKSUM, 0);
  put16(buf, off + ICMP_ECHO_IDENT, ident);
  put16(buf, off + ICMP_ECHO_SEQ, seq);
  return off + ICMP_HEADER_LEN;
}

/** Computes and stores the checksum over the `length`-byte message (header + data) at `off`. */
export function icmpFillChecksum(buf: Uint8Array, off: number, length: number): void {
  put16(buf, off + ICMP_CHECKSUM, 0);
  put16(buf, off + ICMP_CHECKSUM, internetChecksum(buf, off, length));
}

export function icmpChecksumValid(buf: Uint8Array, off: number, length: number): boolean {
  return internetChecksumValid(buf, off, length);
}
