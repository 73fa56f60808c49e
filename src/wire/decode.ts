// The frame decoder: any supported link type → the SPEC §3 flow key of the outer IP packet (IPv4 or IPv6) and, for
// VXLAN, of the inner one; a mirror (ERSPAN, Ethernet over GRE) is unwrapped to the frame it carries first. One FrameKey per
// decoder, overwritten for every frame; bad frames get a reason code, never an exception.

import { get16, get24, get32 } from './bytes.js';
import { ETH_HEADER_LEN, ETH_TYPE, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN } from './ethernet.js';
import { IPV6_HEADER_LEN, IPV6_HOP_LIMIT, IPV6_PAYLOAD_LEN, IPV6_SRC, IPV6_DST, IPPROTO_HOPOPTS, Ipv6Walk, WALK_OK, WALK_TRUNCATED, walkIpv6 } from './ipv6.js';
import {
  IPPROTO_AH,
  IPPROTO_DCCP,
  IPPROTO_ESP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_UDPLITE,
  IPV4_DST,
  IPV4_FLAGS_FRAG,
  IPV4_FLAG_MF,
  IPV4_FRAG_OFFSET_MASK,
  IPV4_MIN_HEADER_LEN,
  IPV4_PROTO,
  IPV4_SRC,
  IPV4_TOTAL_LEN,
  IPV4_TTL,
} from './ipv4.js';
import {
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  SLL2_HEADER_LEN,
  SLL2_PROTOCOL,
  SLL_HEADER_LEN,
  SLL_PROTOCOL,
} from './sll.js';
import { UDP_HEADER_LEN } from './udp.js';
import {
  ERSPAN2_HEADER_LEN,
  ERSPAN3_FT_ETHERNET,
  ERSPAN3_FT_IP,
  ERSPAN3_HEADER_LEN,
  ERSPAN_VERSION_II,
  ERSPAN_VERSION_III,
  erspan3FrameType,
  erspan3HeaderLength,
  erspanSession,
  erspanVersion,
} from './erspan.js';
import { GRE_BAD_VERSION, GRE_FLAG_S, GRE_MIN_HEADER_LEN, GRE_PROTO_ERSPAN, GRE_PROTO_ERSPAN3, GRE_PROTO_TEB, IPPROTO_GRE, greFlags, greHeaderEnd, greProtocol } from './gre.js';
import {
  AF_INET,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LOOP_HEADER_LEN,
  PPP_PROTO_IPV4,
  PPP_PROTO_IPV6,
  loopFamily,
  pppProtocol,
} from './loop.js';
import { VLAN_MAX_TAGS, VLAN_TAG_LEN } from './vlan.js';
import { VXLAN_FLAG_I, VXLAN_HEADER_LEN, VXLAN_VNI } from './vxlan.js';

export const REASON_OK = 0;
/** The captured bytes end inside the headers the key needs. */
export const REASON_TRUNCATED = 1;
/**
 * Neither IPv4 nor IPv6: ARP, LLC, a third VLAN tag, a loopback family or PPP protocol of neither, ... Its name stays
 * `not-ipv4`, the key SPEC §5's report names (users parse it), although IPv6 frames are decoded now and never count
 * in it.
 */
export const REASON_NOT_IP = 2;
/**
 * IP that cannot be: IPv4 with version ≠ 4, IHL < 5, total length < header length; IPv6 with version ≠ 6, more
 * than 15 extension headers, or extension headers longer than the payload length says.
 */
export const REASON_MALFORMED = 3;
export const REASON_UNSUPPORTED_LINKTYPE = 4;
/** An ERSPAN header that cannot be: a version other than its GRE protocol's, a type III frame type not Ethernet or IP. */
export const REASON_BAD_ERSPAN = 5;
/** GRE carrying ERSPAN or bridged Ethernet whose own header cannot be read this way: a version other than 0. */
export const REASON_BAD_GRE = 6;
export const REASON_NAMES: readonly string[] = Object.freeze([
  'ok',
  'truncated',
  'not-ipv4',
  'malformed',
  'unsupported-linktype',
  'bad-erspan',
  'bad-gre',
]);

export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW: raw IPv4 or IPv6, told apart by the version nibble. */
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
/** DLT_RAW's value on most BSDs (12) and on OpenBSD (14), found in some old files; Wireshark reads both as raw IP. */
export const LINKTYPE_RAW_BSD = 12;
export const LINKTYPE_RAW_OPENBSD = 14;
export { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_PPP, LINKTYPE_PPP_HDLC };

/** The link types decodeFrame reads; a frame of any other is skipped as unsupported-linktype. */
export const DECODED_LINKTYPES: readonly number[] = Object.freeze([0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276]);

export function linkTypeDecoded(linkType: number): boolean {
  return DECODED_LINKTYPES.includes(linkType);
}

/** Mirrors unwrapped inside one another at most this deep (a mirror of mirrored traffic), so a crafted frame cannot loop. */
export const MAX_MIRROR_DEPTH = 3;
/** FrameKey.mirror: what carried the frame that was decoded. */
export const MIRROR_NONE = 0;
export const MIRROR_TEB = 1;
export const MIRROR_ERSPAN_I = 2;
export const MIRROR_ERSPAN_II = 3;
export const MIRROR_ERSPAN_III = 4;

/**
 * The decoder's output, reused for every frame. Offsets are absolute indices into the buffer passed in. Every field
 * has an initializer, not a declaration assigned in a constructor: ES2022 class fields would first be defined as
 * undefined, V8 would then keep them as tagged values, and storing an address of 2^31 or above (not a small
 * integer) would allocate a heap number on every frame (measured: 16 bytes per frame before).
 */
export class FrameKey {
  reason = 0;
  /** Where the outer IP header starts (valid when reason is ok, malformed, or truncated past L2). */
  l3Offset = 0;
  /** 4 or 6: the outer packet's family. IPv4 addresses are in src/dst, IPv6 ones in src6/dst6 (src/dst are 0). */
  family = 4;
  src = 0;
  dst = 0;
  /**
   * IPv6 addresses as four host-order words, word 0 the most significant (wire/ipv6.ts); allocated once, meaningful
   * only when family is 6 (an IPv4 frame leaves the last IPv6 frame's words in place).
   */
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  /** The IPv6 flow label (20 bits); 0 for IPv4. */
  flowLabel = 0;
  /**
   * The protocol Linux's flow dissector ends at: for IPv6 past hop-by-hop, routing and destination options, the one
   * a fragment header names, 51 at AH, 50 at ESP, 59 for "no next header" (Ipv6Walk.dissectorProto).
   */
  proto = 0;
  /**
   * IPv6: the fixed header's next header, what Linux's policy 0 (`linux-l3`) hashes as the protocol of a forwarded
   * packet (ip6_multipath_l3_keys); it differs from `proto` when extension headers follow. IPv4: `proto`.
   */
  nextHeader = 0;
  /** 0 for fragments (first or not) and protocols without ports, as Linux's flow dissector does. */
  sport = 0;
  dport = 0;
  fragment = false;
  /** TTL, or the IPv6 hop limit. */
  ttl = 0;
  /** IPv4 total length; IPv6 40 + payload length. */
  ipTotalLength = 0;
  /** The outer packet is UDP to the VXLAN port, not a fragment, with a whole VXLAN header whose I flag is set. */
  vxlan = false;
  vni = 0;
  /** The inner Ethernet frame (when vxlan): buf[innerL2Offset .. innerL2Offset + innerCapLen). */
  innerL2Offset = 0;
  innerCapLen = 0;
  /** The inner frame's decode (Ethernet, up to two VLAN tags); meaningful when vxlan is true. */
  innerReason = 0;
  innerL3Offset = 0;
  innerFamily = 4;
  innerSrc = 0;
  innerDst = 0;
  readonly innerSrc6 = new Uint32Array(4);
  readonly innerDst6 = new Uint32Array(4);
  innerFlowLabel = 0;
  innerProto = 0;
  innerNextHeader = 0;
  innerSport = 0;
  innerDport = 0;
  innerFragment = false;
  /** The outermost mirror the frame was unwrapped from (MIRROR_*), and its ERSPAN session id (0 for TEB). */
  mirror = 0;
  mirrorSession = 0;
}

/**
 * Scratch results of the IP stage, shared by the outer and inner decode: one object for the module, not one per
 * frame. Fields of an object, not module-level variables: storing an address of 2^31 or above (not a small integer)
 * into a module variable allocates a 16-byte heap number every time (measured), while an object's number field
 * (with an initializer, see FrameKey) is updated in place.
 */
class IpScratch {
  /** The link layer said IPv6 (EtherType 0x86DD, link type 229, a raw packet of version 6, AF_INET6, PPP 0x57). */
  v6 = false;
  src = 0;
  dst = 0;
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  flowLabel = 0;
  proto = 0;
  nextHeader = 0;
  sport = 0;
  dport = 0;
  fragment = false;
  ttl = 0;
  totalLength = 0;
  /**
   * Where the L4 header starts (for IPv6 the dissector's stop, Ipv6Walk.dissectorOffset), where the packet ends by
   * its own length field (`limit`) and where its captured bytes end (`end`: the lower of capture and `limit`).
   */
  l4Offset = 0;
  limit = 0;
  end = 0;
}
const ip = new IpScratch();
const walk = new Ipv6Walk();

/**
 * Walks the Ethernet header and up to two VLAN tags from `off`. Returns the IP header's offset (its family in
 * ip.v6), or -reason.
 */
function ethernetToIp(buf: Uint8Array, off: number, end: number): number {
  if (end - off < ETH_HEADER_LEN) return -REASON_TRUNCATED;
  return typeToIp(buf, get16(buf, off + ETH_TYPE), off + ETH_HEADER_LEN, end);
}

/**
 * From an EtherType (Ethernet's, or an SLL protocol field) and the offset of what follows it: past up to two
 * VLAN tags (TCI, next type) to IPv4 or IPv6. Returns the IP header's offset (its family in ip.v6), or -reason.
 */
function typeToIp(buf: Uint8Array, type: number, p: number, end: number): number {
  for (let tags = 0; tags < VLAN_MAX_TAGS && (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ); tags++) {
    if (end - p < VLAN_TAG_LEN) return -REASON_TRUNCATED;
    type = get16(buf, p + 2);
    p += VLAN_TAG_LEN;
  }
  ip.v6 = type === ETHERTYPE_IPV6;
  return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? p : -REASON_NOT_IP;
}

/** A packet whose version nibble alone says its family (raw IP, ERSPAN III's IP frames): its offset, or -reason. */
function versionToIp(buf: Uint8Array, off: number, end: number): number {
  if (end - off < 1) return -REASON_TRUNCATED;
  // 6 is IPv6; anything else is left to decodeIpv4 (malformed unless 4).
  ip.v6 = buf[off]! >>> 4 === 6;
  return off;
}

/**
 * The BSDs' AF_INET6 values (NetBSD/OpenBSD 24, FreeBSD 28, macOS 30), as libpcap and Wireshark read a NULL or LOOP
 * header. Linux's 10 is not among them (Wireshark shows such a frame as data: no BSD wrote it), so it is `not-ipv4`.
 */
function isInet6(family: number): boolean {
  return family === 24 || family === 28 || family === 30;
}

/** Where a protocol's ports (or what Linux hashes in their place, e.g. the ESP/AH SPI) sit in its header; -1: none. */
export function portsOffset(proto: number): number {
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_DCCP:
    case IPPROTO_ESP:
    case IPPROTO_SCTP:
    case IPPROTO_UDPLITE:
      return 0;
    case IPPROTO_AH:
      return 4;
    default:
      return -1;
  }
}

/** Decodes the IP header at `l3` of the family the link layer named (ip.v6) into the scratch. Returns a reason. */
function decodeIp(buf: Uint8Array, l3: number, end: number): number {
  return ip.v6 ? decodeIpv6(buf, l3, end) : decodeIpv4(buf, l3, end);
}

/**
 * The ports at `po` bytes into the L4 header (portsOffset), unless a fragment or a protocol without them. The
 * packet itself (by its length field: `ip.limit`) too short for them hashes with ports 0, as Linux does; its
 * captured bytes too short is truncated.
 */
function readPorts(buf: Uint8Array): number {
  ip.sport = 0;
  ip.dport = 0;
  if (ip.fragment) return REASON_OK;
  const po = portsOffset(ip.proto);
  if (po < 0) return REASON_OK;
  const at = ip.l4Offset + po;
  if (ip.limit < at + 4) return REASON_OK;
  if (ip.end < at + 4) return REASON_TRUNCATED;
  ip.sport = get16(buf, at);
  ip.dport = get16(buf, at + 2);
  return REASON_OK;
}

/**
 * Decodes the IPv6 header at `l3` and walks its extension headers (walkIpv6) to where Linux's flow dissector stops:
 * its protocol and ports are the key's, every fragment hashes with ports 0. The walk reads nothing past the
 * payload length (a jumbogram's 0 with hop-by-hop options first: the captured bytes). Returns a reason.
 */
function decodeIpv6(buf: Uint8Array, l3: number, end: number): number {
  const avail = end - l3;
  if (avail < 1) return REASON_TRUNCATED;
  if (buf[l3]! >>> 4 !== 6) return REASON_MALFORMED;
  if (avail < IPV6_HEADER_LEN) return REASON_TRUNCATED;
  const payload = get16(buf, l3 + IPV6_PAYLOAD_LEN);
  const limit = payload === 0 && buf[l3 + 6] === IPPROTO_HOPOPTS ? end : l3 + IPV6_HEADER_LEN + payload;
  const pktEnd = limit < end ? limit : end;
  ip.totalLength = IPV6_HEADER_LEN + payload;
  ip.src = 0;
  ip.dst = 0;
  const src6 = ip.src6;
  const dst6 = ip.dst6;
  for (let i = 0; i < 4; i++) {
    src6[i] = get32(buf, l3 + IPV6_SRC + 4 * i);
    dst6[i] = get32(buf, l3 + IPV6_DST + 4 * i);
  }
  ip.flowLabel = get32(buf, l3) & 0xfffff;
  ip.ttl = buf[l3 + IPV6_HOP_LIMIT]!;
  ip.limit = limit;
  ip.end = pktEnd;
  walkIpv6(buf, l3, pktEnd, walk);
  if (walk.reason !== WALK_OK) {
    // Headers cut by the capture are truncated; cut by the packet's own payload length, they cannot be.
    return walk.reason === WALK_TRUNCATED && limit > end ? REASON_TRUNCATED : REASON_MALFORMED;
  }
  ip.proto = walk.dissectorProto;
  ip.nextHeader = buf[l3 + 6]!;
  ip.fragment = walk.fragment;
  ip.l4Offset = walk.dissectorOffset;
  return readPorts(buf);
}

/** Decodes the IPv4 header at `l3` (captured bytes end at `end`) into the scratch variables. Returns a reason. */
function decodeIpv4(buf: Uint8Array, l3: number, end: number): number {
  const avail = end - l3;
  if (avail < 1) return REASON_TRUNCATED;
  const verIhl = buf[l3]!;
  if (verIhl >>> 4 !== 4) return REASON_MALFORMED;
  const ihl = (verIhl & 0x0f) << 2;
  if (ihl < IPV4_MIN_HEADER_LEN) return REASON_MALFORMED;
  if (avail < ihl) return REASON_TRUNCATED;
  const totalLength = get16(buf, l3 + IPV4_TOTAL_LEN);
  if (totalLength < ihl) return REASON_MALFORMED;
  ip.totalLength = totalLength;
  ip.src = get32(buf, l3 + IPV4_SRC);
  ip.dst = get32(buf, l3 + IPV4_DST);
  ip.proto = buf[l3 + IPV4_PROTO]!;
  ip.nextHeader = ip.proto;
  ip.ttl = buf[l3 + IPV4_TTL]!;
  ip.fragment = (get16(buf, l3 + IPV4_FLAGS_FRAG) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0;
  ip.flowLabel = 0;
  // Bytes past the total length (Ethernet padding) are not the packet's.
  const limit = l3 + totalLength;
  ip.l4Offset = l3 + ihl;
  ip.limit = limit;
  ip.end = limit < end ? limit : end;
  return readPorts(buf);
}

function clearInner(out: FrameKey): void {
  out.vxlan = false;
  out.vni = 0;
  out.innerL2Offset = 0;
  out.innerCapLen = 0;
  out.innerReason = REASON_OK;
  out.innerL3Offset = 0;
  out.innerFamily = 4;
  out.innerSrc = 0;
  out.innerDst = 0;
  out.innerFlowLabel = 0;
  out.innerProto = 0;
  out.innerNextHeader = 0;
  out.innerSport = 0;
  out.innerDport = 0;
  out.innerFragment = false;
}

function clearOuter(out: FrameKey): void {
  out.l3Offset = 0;
  out.family = 4;
  out.src = 0;
  out.dst = 0;
  out.flowLabel = 0;
  out.proto = 0;
  out.nextHeader = 0;
  out.sport = 0;
  out.dport = 0;
  out.fragment = false;
  out.ttl = 0;
  out.ipTotalLength = 0;
}

/** From the start of a frame of `linkType` to its IP header: the offset (its family in ip.v6), or -reason. */
function linkToIp(buf: Uint8Array, off: number, capLen: number, linkType: number, end: number): number {
  ip.v6 = false;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernetToIp(buf, off, end);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD:
    case LINKTYPE_RAW_OPENBSD:
      // Raw IP: the version nibble says which.
      return versionToIp(buf, off, end);
    case LINKTYPE_IPV4:
      return off;
    case LINKTYPE_IPV6:
      ip.v6 = true;
      return off;
    case LINKTYPE_LINUX_SLL:
      // libpcap re-inserts a VLAN tag at the protocol field, so tags follow as they do in Ethernet.
      return capLen < SLL_HEADER_LEN ? -REASON_TRUNCATED : typeToIp(buf, get16(buf, off + SLL_PROTOCOL), off + SLL_HEADER_LEN, end);
    case LINKTYPE_LINUX_SLL2:
      return capLen < SLL2_HEADER_LEN ? -REASON_TRUNCATED : typeToIp(buf, get16(buf, off + SLL2_PROTOCOL), off + SLL2_HEADER_LEN, end);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (capLen < LOOP_HEADER_LEN) return -REASON_TRUNCATED;
      const family = loopFamily(buf, off, linkType);
      ip.v6 = isInet6(family);
      return family === AF_INET || ip.v6 ? off + LOOP_HEADER_LEN : -REASON_NOT_IP;
    }
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: {
      const pp = pppProtocol(buf, off, end);
      if (pp < 0) return -REASON_TRUNCATED;
      ip.v6 = (pp & 0xffff) === PPP_PROTO_IPV6;
      return (pp & 0xffff) === PPP_PROTO_IPV4 || ip.v6 ? off + (pp >>> 16) : -REASON_NOT_IP;
    }
    default:
      return -REASON_UNSUPPORTED_LINKTYPE;
  }
}

/** mirroredIp's answer for GRE that carries no mirror (a GRE tunnel's own traffic): the GRE packet is the flow. */
const NOT_A_MIRROR = -0x10000;

/**
 * The GRE packet at `gre` (its IP packet's bytes end at `end`) as a mirror: TEB's Ethernet frame, ERSPAN type I
 * (no header, no sequence number), II (8-byte header) or III (12 or 20 bytes, then Ethernet or IP). Returns the
 * carried frame's IP offset (its family in ip.v6), -reason, or NOT_A_MIRROR for any other GRE protocol. The
 * outermost mirror is recorded.
 */
function mirroredIp(buf: Uint8Array, gre: number, end: number, out: FrameKey, outermost: boolean): number {
  if (end - gre < GRE_MIN_HEADER_LEN) return -REASON_TRUNCATED;
  const protocol = greProtocol(buf, gre);
  if (protocol !== GRE_PROTO_TEB && protocol !== GRE_PROTO_ERSPAN && protocol !== GRE_PROTO_ERSPAN3) return NOT_A_MIRROR;
  const flags = greFlags(buf, gre);
  const p = greHeaderEnd(buf, gre, end);
  if (p < 0) return p === GRE_BAD_VERSION ? -REASON_BAD_GRE : -REASON_TRUNCATED;
  let kind = MIRROR_TEB;
  let session = 0;
  let frame = p;
  let ipDirect = false;
  if (protocol === GRE_PROTO_ERSPAN && (flags & GRE_FLAG_S) === 0) {
    kind = MIRROR_ERSPAN_I;
  } else if (protocol === GRE_PROTO_ERSPAN) {
    if (end - p < ERSPAN2_HEADER_LEN) return -REASON_TRUNCATED;
    if (erspanVersion(buf, p) !== ERSPAN_VERSION_II) return -REASON_BAD_ERSPAN;
    kind = MIRROR_ERSPAN_II;
    session = erspanSession(buf, p);
    frame = p + ERSPAN2_HEADER_LEN;
  } else if (protocol === GRE_PROTO_ERSPAN3) {
    if (end - p < ERSPAN3_HEADER_LEN) return -REASON_TRUNCATED;
    if (erspanVersion(buf, p) !== ERSPAN_VERSION_III) return -REASON_BAD_ERSPAN;
    const ft = erspan3FrameType(buf, p);
    if (ft !== ERSPAN3_FT_ETHERNET && ft !== ERSPAN3_FT_IP) return -REASON_BAD_ERSPAN;
    kind = MIRROR_ERSPAN_III;
    session = erspanSession(buf, p);
    frame = p + erspan3HeaderLength(buf, p);
    ipDirect = ft === ERSPAN3_FT_IP;
  }
  if (outermost) {
    out.mirror = kind;
    out.mirrorSession = session;
  }
  if (!ipDirect) return ethernetToIp(buf, frame, end);
  if (end - frame < 1) return -REASON_TRUNCATED;
  const version = buf[frame]! >>> 4;
  ip.v6 = version === 6;
  return version === 4 || version === 6 ? frame : -REASON_NOT_IP;
}

/** Copies the scratch's IPv6 addresses into a key's outer (inner = false) or inner words; IPv4 leaves them be. */
function storeAddresses(out: FrameKey, inner: boolean): void {
  if (!ip.v6) return;
  const s6 = inner ? out.innerSrc6 : out.src6;
  const d6 = inner ? out.innerDst6 : out.dst6;
  for (let i = 0; i < 4; i++) {
    s6[i] = ip.src6[i]!;
    d6[i] = ip.dst6[i]!;
  }
}

/**
 * Decodes the frame buf[off .. off + capLen) of `linkType` into `out`. A frame whose captured bytes end inside a
 * header the key needs is truncated; one cut after its L4 ports still yields its key. A UDP packet to `vxlanPort`
 * whose VXLAN header is cut off is truncated too: it is underlay traffic whose VNI cannot be read.
 * Pass vxlanPort = -1 to never look for VXLAN; unwrap = false to take a mirror's (ERSPAN's, GRE's) own headers as
 * the packet.
 */
export function decodeFrame(
  buf: Uint8Array,
  off: number,
  capLen: number,
  linkType: number,
  vxlanPort: number,
  out: FrameKey,
  unwrap = true,
): void {
  clearOuter(out);
  clearInner(out);
  out.mirror = MIRROR_NONE;
  out.mirrorSession = 0;
  const end = off + capLen;
  let l3 = linkToIp(buf, off, capLen, linkType, end);
  if (l3 < 0) {
    out.reason = -l3;
    return;
  }
  let reason = decodeIp(buf, l3, end);
  // A mirror's own headers are not traffic: decode the frame it carries instead (ip.end bounds the carried frame).
  for (let depth = 0; unwrap && reason === REASON_OK && ip.proto === IPPROTO_GRE && !ip.fragment && depth < MAX_MIRROR_DEPTH; depth++) {
    const v6 = ip.v6;
    const inner = mirroredIp(buf, ip.l4Offset, ip.end, out, depth === 0);
    if (inner === NOT_A_MIRROR) {
      ip.v6 = v6;
      break;
    }
    if (inner < 0) {
      out.reason = -inner;
      return;
    }
    l3 = inner;
    reason = decodeIp(buf, l3, ip.end);
  }
  out.l3Offset = l3;
  out.reason = reason;
  if (reason !== REASON_OK) return;
  out.family = ip.v6 ? 6 : 4;
  out.src = ip.src;
  out.dst = ip.dst;
  out.flowLabel = ip.flowLabel;
  storeAddresses(out, false);
  out.proto = ip.proto;
  out.nextHeader = ip.nextHeader;
  out.sport = ip.sport;
  out.dport = ip.dport;
  out.fragment = ip.fragment;
  out.ttl = ip.ttl;
  out.ipTotalLength = ip.totalLength;
  if (ip.proto !== IPPROTO_UDP || ip.fragment || ip.dport !== vxlanPort) return;

  // UDP to the VXLAN port: the VXLAN header must lie inside the packet (by its length field) to count.
  const l4 = ip.l4Offset;
  const vx = l4 + UDP_HEADER_LEN;
  if (ip.limit < vx + VXLAN_HEADER_LEN) return; // too short to be VXLAN: plain UDP
  if (ip.end < vx + VXLAN_HEADER_LEN) {
    out.reason = REASON_TRUNCATED;
    return;
  }
  if ((buf[vx]! & VXLAN_FLAG_I) === 0) return; // not a valid VXLAN header: plain UDP
  out.vxlan = true;
  out.vni = get24(buf, vx + VXLAN_VNI);
  const inner = vx + VXLAN_HEADER_LEN;
  out.innerL2Offset = inner;
  out.innerCapLen = ip.end - inner;

  const innerL3 = ethernetToIp(buf, inner, ip.end);
  if (innerL3 < 0) {
    out.innerReason = -innerL3;
    return;
  }
  out.innerL3Offset = innerL3;
  const innerReason = decodeIp(buf, innerL3, ip.end);
  out.innerReason = innerReason;
  if (innerReason !== REASON_OK) return;
  out.innerFamily = ip.v6 ? 6 : 4;
  out.innerSrc = ip.src;
  out.innerDst = ip.dst;
  out.innerFlowLabel = ip.flowLabel;
  storeAddresses(out, true);
  out.innerProto = ip.proto;
  out.innerNextHeader = ip.nextHeader;
  out.innerSport = ip.sport;
  out.innerDport = ip.dport;
  out.innerFragment = ip.fragment;
}
