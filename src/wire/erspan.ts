// ERSPAN headers (draft-foschiano-erspan): type II (8 bytes, version 1) and type III (12 bytes, version 2, and an
// 8-byte platform-specific subheader when its O flag is set), as a switch's monitor session sends them over GRE.

import { get16, get32, put16, put32 } from './bytes.js';

export const ERSPAN2_HEADER_LEN = 8;
export const ERSPAN3_HEADER_LEN = 12;
export const ERSPAN3_PLATFORM_LEN = 8;

export const ERSPAN_VERSION_II = 1;
export const ERSPAN_VERSION_III = 2;

// Both types: Ver(4) VLAN(12) | COS(3) En/BSO(2) T(1) Session ID(10)
export const ERSPAN_VER_VLAN = 0;
export const ERSPAN_SESSION = 2;
// Type II: Reserved(12) Index(20)
export const ERSPAN2_INDEX = 4;
// Type III: Timestamp(32) | SGT(16) P(1) FT(5) HW ID(6) D(1) Gra(2) O(1)
export const ERSPAN3_TIMESTAMP = 4;
export const ERSPAN3_SGT = 8;
export const ERSPAN3_FLAGS = 10;
export const ERSPAN3_FLAG_O = 0x0001;
/** Type III frame types: what follows the header. */
export const ERSPAN3_FT_ETHERNET = 0;
export const ERSPAN3_FT_IP = 2;

export function erspanVersion(buf: Uint8Array, off: number): number {
  return buf[off + ERSPAN_VER_VLAN]! >>> 4;
}

export function erspanVlan(buf: Uint8Array, off: number): number {
  return get16(buf, off + ERSPAN_VER_VLAN) & 0x0fff;
}

export function erspanSession(buf: Uint8Array, off: number): number {
  return get16(buf, off + ERSPAN_SESSION) & 0x03ff;
}

export function erspan2Index(buf: Uint8Array, off: number): number {
  return get32(buf, off + ERSPAN2_INDEX) & 0x000fffff;
}

export function erspan3FrameType(buf: Uint8Array, off: number): number {
  return (get16(buf, off + ERSPAN3_FLAGS) >>> 10) & 0x1f;
}

/** The type III header's length: 12, or 20 with the platform-specific subheader. */
export function erspan3HeaderLength(buf: Uint8Array, off: number): number {
  return (get16(buf, off + ERSPAN3_FLAGS) & ERSPAN3_FLAG_O) !== 0 ? ERSPAN3_HEADER_LEN + ERSPAN3_PLATFORM_LEN : ERSPAN3_HEADER_LEN;
}

export interface ErspanRepr {
  version: 1 | 2;
  session: number;
  vlan?: number;
  cos?: number;
  /** type II */
  index?: number;
  /** type III */
  timestamp?: number;
  sgt?: number;
  frameType?: number;
  hwId?: number;
  /** type III: add the 8-byte platform-specific subheader (its contents zero) */
  platform?: boolean;
}

/** Writes an ERSPAN type II or III header at `off`; returns its length. */
export function writeErspanHeader(buf: Uint8Array, off: number, e: ErspanRepr): number {
  put16(buf, off, (e.version << 12) | ((e.vlan ?? 0) & 0x0fff));
  put16(buf, off + 2, (((e.cos ?? 0) & 7) << 13) | (e.session & 0x03ff));
  if (e.version === ERSPAN_VERSION_II) {
    put32(buf, off + 4, (e.index ?? 0) & 0x000fffff);
    return ERSPAN2_HEADER_LEN;
  }
  put32(buf, off + 4, e.timestamp ?? 0);
  put16(buf, off + 8, e.sgt ?? 0);
  put16(buf, off + 10, (((e.frameType ?? 0) & 0x1f) << 10) | (((e.hwId ?? 0) & 0x3f) << 4) | (e.platform ? ERSPAN3_FLAG_O : 0));
  if (!e.platform) return ERSPAN3_HEADER_LEN;
  buf.fill(0, off + ERSPAN3_HEADER_LEN, off + ERSPAN3_HEADER_LEN + ERSPAN3_PLATFORM_LEN);
  return ERSPAN3_HEADER_LEN + ERSPAN3_PLATFORM_LEN;
}
