// VXLAN header (RFC 7348): flags (I = 0x08) and a 24-bit VNI; plus the whole outer encapsulation written in one go.

import { get24, put24, put32 } from './bytes.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, writeEthernet } from './ethernet.js';
import { IPPROTO_UDP, IPV4_FLAG_DF, IPV4_MIN_HEADER_LEN, writeIpv4Header } from './ipv4.js';
import { IPV6_HEADER_LEN, udp6FillChecksum, writeIpv6Header } from './ipv6.js';
import { UDP_HEADER_LEN, writeUdpHeader } from './udp.js';

export const VXLAN_FLAGS = 0;
export const VXLAN_VNI = 4; // 3 bytes; byte 7 is reserved
export const VXLAN_HEADER_LEN = 8;

/** The I flag: the VNI is valid. The other flag bits are reserved: sent as 0, ignored on receipt. */
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_PORT = 4789;
export const VXLAN_VNI_MAX = 0xffffff;

/** Outer Ethernet + IPv4 + UDP + VXLAN: what encapsulation adds in front of the inner frame. */
export const VXLAN_ENCAP_LEN = ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN;

/** Outer Ethernet + IPv6 + UDP + VXLAN: the encapsulation over an IPv6 underlay. */
export const VXLAN6_ENCAP_LEN = ETH_HEADER_LEN + IPV6_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN;

export const VXLAN_OUTER_TTL = 64;

/**
 * Linux's udp_flow_src_port (include/net/udp.h): the flow hash with its low half XORed by its high half shifted in
 * (`hash ^= hash << 16`, so that the port does not give away the hash's top bits), scaled into [low, high); the
 * kernel's range excludes `high` itself, and so does this.
 */
export function vxlanSourcePort(hash: number, low: number, high: number): number {
  if (high <= low) return low;
  const h = (hash ^ (hash << 16)) >>> 0;
  return Math.floor((h * (high - low)) / 4294967296) + low;
}

export function vxlanCheckLen(len: number): boolean {
  return len >= VXLAN_HEADER_LEN;
}

export function vxlanFlags(buf: Uint8Array, off: number): number {
  return buf[off + VXLAN_FLAGS]!;
}

/** A header whose I flag is set carries a VNI; RFC 7348 says to ignore the reserved bits. */
export function vxlanValid(buf: Uint8Array, off: number): boolean {
  return (buf[off + VXLAN_FLAGS]! & VXLAN_FLAG_I) !== 0;
}

export function vxlanVni(buf: Uint8Array, off: number): number {
  return get24(buf, off + VXLAN_VNI);
}

/** Writes the 8-byte header (flags 0x08, reserved bytes zero). Returns the offset past it. */
export function writeVxlanHeader(buf: Uint8Array, off: number, vni: number): number {
  put32(buf, off, VXLAN_FLAG_I << 24);
  put24(buf, off + VXLAN_VNI, vni);
  buf[off + VXLAN_VNI + 3] = 0;
  return off + VXLAN_HEADER_LEN;
}

/**
 * Writes the 50 bytes in front of an `innerLength`-byte inner Ethernet frame, as SPEC §3 says a leaf does:
 * outer Ethernet, IPv4 (TTL 64, DF, checksum), UDP (checksum 0), VXLAN (flags 0x08, `vni`).
 * Returns the offset where the inner frame goes (`off` + VXLAN_ENCAP_LEN).
 */
export function writeVxlanEncap(
  buf: Uint8Array,
  off: number,
  dstMacHi16: number,
  dstMacLo32: number,
  srcMacHi16: number,
  srcMacLo32: number,
  srcVtep: number,
  dstVtep: number,
  ipIdent: number,
  udpSrcPort: number,
  udpDstPort: number,
  vni: number,
  innerLength: number,
): number {
  const udpLength = UDP_HEADER_LEN + VXLAN_HEADER_LEN + innerLength;
  let p = writeEthernet(buf, off, dstMacHi16, dstMacLo32, srcMacHi16, srcMacLo32, ETHERTYPE_IPV4);
  p = writeIpv4Header(
    buf,
    p,
    0,
    IPV4_MIN_HEADER_LEN + udpLength,
    ipIdent,
    IPV4_FLAG_DF,
    VXLAN_OUTER_TTL,
    IPPROTO_UDP,
    srcVtep,
    dstVtep,
  );
  p = writeUdpHeader(buf, p, udpSrcPort, udpDstPort, udpLength, 0);
  return writeVxlanHeader(buf, p, vni);
}

/**
 * Writes the 70 bytes in front of an `innerLength`-byte inner Ethernet frame over an IPv6 underlay, as a Linux VTEP
 * does by default: outer Ethernet, IPv6 (hop limit 64, flow label 0 as without `flowlabel inherit`), UDP, VXLAN.
 * Linux computes the outer UDP checksum over IPv6 unless `udp6zerocsumtx` is set (RFC 6935 allows leaving it 0 for
 * tunnels; this writer does not): call vxlan6FillChecksum once the inner frame is in place. Returns the offset
 * where the inner frame goes (`off` + VXLAN6_ENCAP_LEN).
 */
export function writeVxlan6Encap(
  buf: Uint8Array,
  off: number,
  dstMacHi16: number,
  dstMacLo32: number,
  srcMacHi16: number,
  srcMacLo32: number,
  srcVtep: ArrayLike<number>,
  dstVtep: ArrayLike<number>,
  udpSrcPort: number,
  udpDstPort: number,
  vni: number,
  innerLength: number,
): number {
  const udpLength = UDP_HEADER_LEN + VXLAN_HEADER_LEN + innerLength;
  let p = writeEthernet(buf, off, dstMacHi16, dstMacLo32, srcMacHi16, srcMacLo32, ETHERTYPE_IPV6);
  p = writeIpv6Header(buf, p, 0, 0, udpLength, IPPROTO_UDP, VXLAN_OUTER_TTL, srcVtep, dstVtep);
  p = writeUdpHeader(buf, p, udpSrcPort, udpDstPort, udpLength, 0);
  return writeVxlanHeader(buf, p, vni);
}

/** Fills the outer UDP checksum of the IPv6 VXLAN frame at `off` (writeVxlan6Encap's), inner frame included. */
export function vxlan6FillChecksum(buf: Uint8Array, off: number, srcVtep: ArrayLike<number>, dstVtep: ArrayLike<number>): void {
  udp6FillChecksum(buf, off + ETH_HEADER_LEN + IPV6_HEADER_LEN, srcVtep, dstVtep);
}
