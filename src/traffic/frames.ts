// Writes a flow's k-th packet as an Ethernet frame (optionally inside VXLAN) straight into a capture writer's buffer.

import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, writeEthernet } from '../wire/ethernet.js';
import { ICMP_ECHO_REQUEST, ICMP_HEADER_LEN, icmpFillChecksum, writeIcmpEcho } from '../wire/icmp.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPV4_FLAG_DF, IPV4_MIN_HEADER_LEN, writeIpv4Header } from '../wire/ipv4.js';
import { IPPROTO_ICMPV6, IPV6_HEADER_LEN, pseudoHeaderSum6, udp6FillChecksum, writeIpv6Header } from '../wire/ipv6.js';
import { put16 } from '../wire/bytes.js';
import { foldChecksum, onesSum } from '../wire/checksum.js';
import { TCP_ACK_FLAG, TCP_DATA_OFFSET, TCP_MIN_HEADER_LEN, TCP_PSH, TCP_SYN, tcpFillChecksum, writeTcpHeader } from '../wire/tcp.js';
import { UDP_HEADER_LEN, udpFillChecksum, writeUdpHeader } from '../wire/udp.js';
import { VXLAN6_ENCAP_LEN, VXLAN_ENCAP_LEN, vxlan6FillChecksum, writeVxlan6Encap, writeVxlanEncap } from '../wire/vxlan.js';
import type { FlowSet } from './flows.js';
import { mix2 } from './prng.js';

/**
 * What frames are written into: PcapWriter's reserve/commit half. reserve(capLen) returns where the frame goes
 * in `buf` (read `buf` after reserve: the writer may have swapped it), commit writes the record.
 */
export interface FrameSink {
  readonly buf: Uint8Array;
  reserve(capLen: number): number;
  commit(capLen: number, origLen: number, tsSec: number, tsNsec: number): void;
}

/** Bytes of payload after the UDP, TCP (data segments) or ICMP echo header. */
export const PAYLOAD_LEN = 32;
/** Ethernet's minimum frame without FCS: shorter frames are padded with zeros, as a NIC sends them. */
export const MIN_FRAME_LEN = 60;
const IP_TTL = 64;
/**
 * A SYN's options, as Linux sends them minus timestamps: MSS 1460, NOP, window scale 7, NOP, NOP, SACK permitted.
 */
const SYN_OPTIONS = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x01, 0x01, 0x04, 0x02];
const SYN_HEADER_LEN = TCP_MIN_HEADER_LEN + SYN_OPTIONS.length;
const SYN_WINDOW = 64240;
const DATA_WINDOW = 502;

/** Locally administered MACs: 02:00 + a 32-bit value (a leaf's router MAC is 02:00 + its VTEP, as the engine's). */
export const MAC_HI = 0x0200;
/** The client side's router, which hands client frames to the ingress leaf. */
export const CLIENT_ROUTER_MAC_LO = 0x00000001;

/** ICMPv6 echo request (RFC 4443). */
const ICMPV6_ECHO_REQUEST = 128;
const TCP_CHECKSUM_AT = 16;
const ICMP_CHECKSUM_AT = 2;

/** Underlay encapsulation for --vxlan: per flow, the remote VTEP and the outer UDP source port. */
export interface VxlanFlows {
  srcVtep: number;
  /** The ingress VTEP when the underlay is IPv6 (then srcVtep is 0). */
  srcVtep6?: Uint32Array;
  /** An IPv6 underlay's remote VTEPs, 4 words each; then dstVtep[f] is the index of flow f's VTEP among them. */
  vteps6?: Uint32Array;
  vni: number;
  port: number;
  /** Per flow: the destination VTEP address (IPv6 underlay: its index in vteps6). */
  dstVtep: Uint32Array;
  /** Per flow: the outer UDP source port. */
  outerSport: Uint16Array;
}

/** The frame's L2-and-up length (before padding) of flow f's k-th packet. */
function innerLength(proto: number, k: number, v6: boolean): number {
  const l4 =
    proto === IPPROTO_TCP
      ? k === 0
        ? SYN_HEADER_LEN
        : TCP_MIN_HEADER_LEN + PAYLOAD_LEN
      : proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6
        ? ICMP_HEADER_LEN + PAYLOAD_LEN
        : UDP_HEADER_LEN + PAYLOAD_LEN;
  return ETH_HEADER_LEN + (v6 ? IPV6_HEADER_LEN : IPV4_MIN_HEADER_LEN) + l4;
}

/**
 * Builds frames of a flow set. Per-flow values (IP ident base, TCP sequence numbers, ICMP identifier) are hashes
 * of the flow index and the seed, so no per-flow tables are needed and a packet depends on nothing but (f, k).
 */
export class FrameWriter {
  private outerIdent = 0;
  /** Scratch words: an IPv6 flow's source, and an IPv6 underlay frame's destination VTEP (no per-frame allocation). */
  private readonly src6 = new Uint32Array(4);
  private readonly vtep6 = new Uint32Array(4);

  constructor(
    private readonly flows: FlowSet,
    private readonly seed: number,
    /** The MAC frames are sent to: the ingress leaf's router MAC (low 32 bits, after 02:00). */
    private readonly routerMacLo: number,
    private readonly vxlan?: VxlanFlows,
  ) {}

  /** Writes flow f's k-th packet (k from 0) with the given timestamp; returns the frame's length. */
  write(sink: FrameSink, f: number, k: number, tsSec: number, tsNsec: number): number {
    const fl = this.flows;
    const proto = fl.proto[f]!;
    const v6 = fl.src6 !== undefined;
    const ethertype = v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
    const len = innerLength(proto, k, v6);
    const vx = this.vxlan;
    if (vx === undefined) {
      const frameLen = len < MIN_FRAME_LEN ? MIN_FRAME_LEN : len;
      const at = sink.reserve(frameLen);
      const buf = sink.buf;
      writeEthernet(buf, at, MAC_HI, this.routerMacLo, MAC_HI, CLIENT_ROUTER_MAC_LO, ethertype);
      this.writePacket(buf, at + ETH_HEADER_LEN, f, k, proto, len - ETH_HEADER_LEN);
      for (let i = at + len; i < at + frameLen; i++) buf[i] = 0;
      sink.commit(frameLen, frameLen, tsSec, tsNsec);
      return frameLen;
    }
    // Inside VXLAN the inner frame is not padded: the outer frame is long enough.
    const vteps6 = vx.vteps6;
    const frameLen = (vteps6 === undefined ? VXLAN_ENCAP_LEN : VXLAN6_ENCAP_LEN) + len;
    const at = sink.reserve(frameLen);
    const buf = sink.buf;
    let p: number;
    let dstMacLo: number;
    let srcMacLo: number;
    if (vteps6 === undefined) {
      dstMacLo = vx.dstVtep[f]!;
      srcMacLo = vx.srcVtep;
      this.outerIdent = (this.outerIdent + 1) & 0xffff;
      p = writeVxlanEncap(buf, at, MAC_HI, dstMacLo, MAC_HI, srcMacLo, vx.srcVtep, dstMacLo, this.outerIdent, vx.outerSport[f]!, vx.port, vx.vni, len);
    } else {
      const d = this.vtep6;
      const m = 4 * vx.dstVtep[f]!;
      for (let i = 0; i < 4; i++) d[i] = vteps6[m + i]!;
      // A leaf's router MAC is 02:00 + the last 32 bits of an IPv6 VTEP.
      dstMacLo = d[3]!;
      srcMacLo = vx.srcVtep6![3]!;
      p = writeVxlan6Encap(buf, at, MAC_HI, dstMacLo, MAC_HI, srcMacLo, vx.srcVtep6!, d, vx.outerSport[f]!, vx.port, vx.vni, len);
    }
    // The inner Ethernet header carries router MACs, as EVPN type-5 (symmetric IRB) rewrites them.
    writeEthernet(buf, p, MAC_HI, dstMacLo, MAC_HI, srcMacLo, ethertype);
    this.writePacket(buf, p + ETH_HEADER_LEN, f, k, proto, len - ETH_HEADER_LEN);
    // Over IPv6 the outer UDP checksum covers the whole inner frame, as Linux sends it (no udp6zerocsumtx).
    if (vteps6 !== undefined) vxlan6FillChecksum(buf, at, vx.srcVtep6!, this.vtep6);
    sink.commit(frameLen, frameLen, tsSec, tsNsec);
    return frameLen;
  }

  /**
   * The IP header (IPv4, or IPv6 with the flow's label) and L4 at `off`, checksums filled in: TCP (SYN with
   * options, then data segments), ICMP or ICMPv6 echo, UDP. One body for both families; only the IP header, the
   * ICMP type and the checksums' pseudo-header differ.
   */
  private writePacket(buf: Uint8Array, off: number, f: number, k: number, proto: number, ipLen: number): void {
    const fl = this.flows;
    const v6 = fl.src6 !== undefined;
    const src = fl.src[f]!;
    const dst = fl.dst[f]!;
    const perFlow = mix2(f, this.seed);
    let l4: number;
    let l4Len: number;
    if (v6) {
      for (let i = 0; i < 4; i++) this.src6[i] = fl.src6![4 * f + i]!;
      l4Len = ipLen - IPV6_HEADER_LEN;
      l4 = writeIpv6Header(buf, off, 0, fl.flowLabel![f]!, l4Len, proto, IP_TTL, this.src6, fl.dst6!);
    } else {
      const ident = ((perFlow >>> 16) + k) & 0xffff;
      l4 = writeIpv4Header(buf, off, 0, ipLen, ident, IPV4_FLAG_DF, IP_TTL, proto, src, dst);
      l4Len = ipLen - IPV4_MIN_HEADER_LEN;
    }
    if (proto === IPPROTO_TCP) {
      const isn = perFlow;
      if (k === 0) {
        writeTcpHeader(buf, l4, fl.sport[f]!, fl.dport[f]!, isn, 0, TCP_SYN, SYN_WINDOW);
        buf[l4 + TCP_DATA_OFFSET] = (SYN_HEADER_LEN >>> 2) << 4;
        for (let i = 0; i < SYN_OPTIONS.length; i++) buf[l4 + TCP_MIN_HEADER_LEN + i] = SYN_OPTIONS[i]!;
      } else {
        const seq = (isn + 1 + (k - 1) * PAYLOAD_LEN) >>> 0;
        const ack = (mix2(perFlow, 0x61636b) + 1) >>> 0; // the server's ISN + 1
        const p = writeTcpHeader(buf, l4, fl.sport[f]!, fl.dport[f]!, seq, ack, TCP_PSH | TCP_ACK_FLAG, DATA_WINDOW);
        this.payload(buf, p, f, k);
      }
      if (v6) this.checksum6(buf, l4, l4Len, IPPROTO_TCP, TCP_CHECKSUM_AT);
      else tcpFillChecksum(buf, l4, l4Len, src, dst);
    } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
      const p = writeIcmpEcho(buf, l4, v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST, perFlow & 0xffff, (k + 1) & 0xffff);
      this.payload(buf, p, f, k);
      if (v6) this.checksum6(buf, l4, l4Len, IPPROTO_ICMPV6, ICMP_CHECKSUM_AT);
      else icmpFillChecksum(buf, l4, l4Len);
    } else {
      const p = writeUdpHeader(buf, l4, fl.sport[f]!, fl.dport[f]!, l4Len, 0);
      this.payload(buf, p, f, k);
      if (v6) udp6FillChecksum(buf, l4, this.src6, fl.dst6!);
      else udpFillChecksum(buf, l4, src, dst);
    }
  }

  /** A TCP or ICMPv6 checksum under the IPv6 pseudo-header (RFC 8200 §8.1; ICMPv6 has one, unlike ICMP). */
  private checksum6(buf: Uint8Array, l4: number, l4Len: number, proto: number, at: number): void {
    put16(buf, l4 + at, 0);
    put16(buf, l4 + at, foldChecksum(onesSum(buf, l4, l4Len, pseudoHeaderSum6(this.src6, this.flows.dst6!, proto, l4Len))));
  }

  /**
   * ping's filler (0x10, 0x11, ...), then the flow index and packet number in the last 8 bytes: every packet says
   * where it came from. Small integers up front would make Wireshark's heuristic dissectors (SMPP) claim the
   * segment and call it malformed.
   */
  private payload(buf: Uint8Array, off: number, f: number, k: number): void {
    const tail = off + PAYLOAD_LEN - 8;
    for (let i = off; i < tail; i++) buf[i] = 0x10 + i - off;
    buf[tail] = f >>> 24;
    buf[tail + 1] = f >>> 16;
    buf[tail + 2] = f >>> 8;
    buf[tail + 3] = f;
    buf[tail + 4] = k >>> 24;
    buf[tail + 5] = k >>> 16;
    buf[tail + 6] = k >>> 8;
    buf[tail + 7] = k;
  }
}
