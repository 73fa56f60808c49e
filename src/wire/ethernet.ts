// Ethernet II header (IEEE 802.3 with an EtherType): field offsets, reads and writes at an offset.

import { get16, get32, put16, put32 } from './bytes.js';

/** Field offsets from the start of the frame. */
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
export const ETH_HEADER_LEN = 14;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100; // IEEE 802.1Q customer tag
export const ETHERTYPE_QINQ = 0x88a8; // IEEE 802.1ad service tag
export const ETHERTYPE_IPV6 = 0x86dd;

/** Values below this in the type field are IEEE 802.3 lengths, not EtherTypes. */
export const ETHERTYPE_MIN = 0x0600;

/** True when `len` bytes hold a whole Ethernet header (smoltcp's `new_checked`). */
export function ethernetCheckLen(len: number): boolean {
  return len >= ETH_HEADER_LEN;
}

export function ethernetType(buf: Uint8Array, off: number): number {
  return get16(buf, off + ETH_TYPE);
}

/** The high 16 bits of the destination MAC (bytes 0-1). */
export function ethernetDstHi16(buf: Uint8Array, off: number): number {
  return get16(buf, off + ETH_DST);
}

/** The low 32 bits of the destination MAC (bytes 2-5). */
export function ethernetDstLo32(buf: Uint8Array, off: number): number {
  return get32(buf, off + ETH_DST + 2);
}

export function ethernetSrcHi16(buf: Uint8Array, off: number): number {
  return get16(buf, off + ETH_SRC);
}

export function ethernetSrcLo32(buf: Uint8Array, off: number): number {
  return get32(buf, off + ETH_SRC + 2);
}

/**
 * Writes a 14-byte Ethernet header at `off`; a MAC is passed as its high 16 and low 32 bits so that no
 * array is needed per frame. Returns the offset just past the header.
 */
export function writeEthernet(
  buf: Uint8Array,
  off: number,
  dstHi16: number,
  dstLo32: number,
  srcHi16: number,
  srcLo32: number,
  etherType: number,
): number {
  put16(buf, off + ETH_DST, dstHi16);
  put32(buf, off + ETH_DST + 2, dstLo32);
  put16(buf, off + ETH_SRC, srcHi16);
  put32(buf, off + ETH_SRC + 2, srcLo32);
  put16(buf, off + ETH_TYPE, etherType);
  return off + ETH_HEADER_LEN;
}

/** A MAC address split for writeEthernet. Not for the hot path. */
export interface Mac {
  hi16: number;
  lo32: number;
}

/** Parses "02:00:0a:01:01:01" (or with '-'); undefined when it is not a MAC address. */
export function parseMac(text: string): Mac | undefined {
  const m = /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/.exec(
    text,
  );
  if (!m) return undefined;
  const b = m.slice(1).map((h) => parseInt(h, 16));
  return { hi16: (b[0]! << 8) | b[1]!, lo32: ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0 };
}

export function formatMac(hi16: number, lo32: number): string {
  const bytes = [hi16 >>> 8, hi16 & 0xff, lo32 >>> 24, (lo32 >>> 16) & 0xff, (lo32 >>> 8) & 0xff, lo32 & 0xff];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
