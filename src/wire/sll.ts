// Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL 113, 16 bytes) and SLL2 (LINKTYPE_LINUX_SLL2 276, 20 bytes).
// What `tcpdump -i any` writes: no Ethernet header, but a protocol field that is an EtherType.

import { get16, get32, put16, put32 } from './bytes.js';

export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Packet types (both versions), as in <linux/if_packet.h>. */
export const SLL_HOST = 0;
export const SLL_BROADCAST = 1;
export const SLL_MULTICAST = 2;
export const SLL_OTHERHOST = 3;
export const SLL_OUTGOING = 4;

// ---- SLL (v1) ----
export const SLL_PKTTYPE = 0; // 2 bytes
export const SLL_HATYPE = 2; // ARPHRD_ type, 2 bytes
export const SLL_HALEN = 4; // link-layer address length, 2 bytes
export const SLL_ADDR = 6; // 8 bytes, first HALEN used
export const SLL_PROTOCOL = 14; // EtherType, 2 bytes
export const SLL_HEADER_LEN = 16;

export function sllCheckLen(len: number): boolean {
  return len >= SLL_HEADER_LEN;
}

export function sllPacketType(buf: Uint8Array, off: number): number {
  return get16(buf, off + SLL_PKTTYPE);
}

export function sllHatype(buf: Uint8Array, off: number): number {
  return get16(buf, off + SLL_HATYPE);
}

export function sllAddrLen(buf: Uint8Array, off: number): number {
  return get16(buf, off + SLL_HALEN);
}

export function sllProtocol(buf: Uint8Array, off: number): number {
  return get16(buf, off + SLL_PROTOCOL);
}

/** Writes a 16-byte SLL header with a 6-byte address given as high 16 / low 32 bits. Returns the offset past it. */
export function writeSll(
  buf: Uint8Array,
  off: number,
  packetType: number,
  hatype: number,
  addrHi16: number,
  addrLo32: number,
  protocol: number,
): number {
  put16(buf, off + SLL_PKTTYPE, packetType);
  put16(buf, off + SLL_HATYPE, hatype);
  put16(buf, off + SLL_HALEN, 6);
  put16(buf, off + SLL_ADDR, addrHi16);
  put32(buf, off + SLL_ADDR + 2, addrLo32);
  put16(buf, off + SLL_ADDR + 6, 0);
  put16(buf, off + SLL_PROTOCOL, protocol);
  return off + SLL_HEADER_LEN;
}

// ---- SLL2 ----
export const SLL2_PROTOCOL = 0; // EtherType, 2 bytes
export const SLL2_RESERVED = 2; // 2 bytes, zero
export const SLL2_IFINDEX = 4; // 4 bytes
export const SLL2_HATYPE = 8; // 2 bytes
export const SLL2_PKTTYPE = 10; // 1 byte
export const SLL2_HALEN = 11; // 1 byte
export const SLL2_ADDR = 12; // 8 bytes
export const SLL2_HEADER_LEN = 20;

export function sll2CheckLen(len: number): boolean {
  return len >= SLL2_HEADER_LEN;
}

export function sll2Protocol(buf: Uint8Array, off: number): number {
  return get16(buf, off + SLL2_PROTOCOL);
}

export function sll2IfIndex(buf: Uint8Array, off: number): number {
  return get32(buf, off + SLL2_IFINDEX);
}

export function sll2Hatype(buf: Uint8Array, off: number): number {
  return get16(buf, off + SLL2_HATYPE);
}

export function sll2PacketType(buf: Uint8Array, off: number): number {
  return buf[off + SLL2_PKTTYPE]!;
}

export function sll2AddrLen(buf: Uint8Array, off: number): number {
  return buf[off + SLL2_HALEN]!;
}

/** Writes a 20-byte SLL2 header with a 6-byte address given as high 16 / low 32 bits. Returns the offset past it. */
export function writeSll2(
  buf: Uint8Array,
  off: number,
  protocol: number,
  ifIndex: number,
  hatype: number,
  packetType: number,
  addrHi16: number,
  addrLo32: number,
): number {
  put16(buf, off + SLL2_PROTOCOL, protocol);
  put16(buf, off + SLL2_RESERVED, 0);
  put32(buf, off + SLL2_IFINDEX, ifIndex);
  put16(buf, off + SLL2_HATYPE, hatype);
  buf[off + SLL2_PKTTYPE] = packetType;
  buf[off + SLL2_HALEN] = 6;
  put16(buf, off + SLL2_ADDR, addrHi16);
  put32(buf, off + SLL2_ADDR + 2, addrLo32);
  put16(buf, off + SLL2_ADDR + 6, 0);
  return off + SLL2_HEADER_LEN;
}
