// IEEE 802.1Q / 802.1ad VLAN tag: the 4 bytes after a 0x8100 or 0x88a8 type field (TCI, then the next EtherType).

import { get16, put16 } from './bytes.js';
import { ETHERTYPE_QINQ, ETHERTYPE_VLAN } from './ethernet.js';

/** Field offsets from the start of the tag, i.e. just after the type field that announced it. */
export const VLAN_TCI = 0;
export const VLAN_TYPE = 2;
export const VLAN_TAG_LEN = 4;

/** The frames we decode carry at most this many tags (QinQ: an 802.1ad tag, then an 802.1Q tag). */
export const VLAN_MAX_TAGS = 2;

export function isVlanEtherType(etherType: number): boolean {
  return etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ;
}

export function vlanCheckLen(len: number): boolean {
  return len >= VLAN_TAG_LEN;
}

export function vlanTci(buf: Uint8Array, off: number): number {
  return get16(buf, off + VLAN_TCI);
}

/** Priority code point, 3 bits. */
export function vlanPcp(buf: Uint8Array, off: number): number {
  return buf[off + VLAN_TCI]! >>> 5;
}

/** Drop eligible indicator (formerly CFI). */
export function vlanDei(buf: Uint8Array, off: number): boolean {
  return (buf[off + VLAN_TCI]! & 0x10) !== 0;
}

/** VLAN identifier, 12 bits. */
export function vlanId(buf: Uint8Array, off: number): number {
  return get16(buf, off + VLAN_TCI) & 0x0fff;
}

/** The EtherType of what follows the tag. */
export function vlanInnerType(buf: Uint8Array, off: number): number {
  return get16(buf, off + VLAN_TYPE);
}

/**
 * Writes a tag's 4 bytes at `off` (the caller has written the 0x8100/0x88a8 type field before it).
 * Returns the offset just past the tag.
 */
export function writeVlanTag(
  buf: Uint8Array,
  off: number,
  pcp: number,
  dei: boolean,
  vid: number,
  innerType: number,
): number {
  put16(buf, off + VLAN_TCI, ((pcp & 7) << 13) | (dei ? 0x1000 : 0) | (vid & 0x0fff));
  put16(buf, off + VLAN_TYPE, innerType);
  return off + VLAN_TAG_LEN;
}
