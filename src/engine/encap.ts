// VXLAN encapsulation at the ingress leaf, written straight into the capture writer's buffer (`replay --write`).

import type { PcapWriter } from '../capture/writer.js';
import type { Fabric } from '../fabric/converge.js';
import { FlowTable } from './flowtable.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, writeEthernet } from '../wire/ethernet.js';
import { IPV4_TOTAL_LEN } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN, IPV6_PAYLOAD_LEN } from '../wire/ipv6.js';
import type { PathColumns } from './paths.js';
import { SpineHop } from './spine-hop.js';
import { get16 } from '../wire/bytes.js';
import { VXLAN6_ENCAP_LEN, VXLAN_ENCAP_LEN, vxlan6FillChecksum, writeVxlan6Encap, writeVxlanEncap } from '../wire/vxlan.js';

const LINKTYPE_ETHERNET = 1;

/** A byte copy without the view object `subarray` would make per packet. */
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  for (let i = 0; i < len; i++) dst[to + i] = src[from + i]!;
}

/** The EtherType of the IP packet at `l3` by its version nibble (the decoder has checked it is 4 or 6). */
function ipEtherType(buf: Uint8Array, l3: number): number {
  return buf[l3]! >>> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

/**
 * Writes each forwarded frame as it leaves the first leaf it meets: a client frame (IPv4 or IPv6) the ingress leaf
 * sends to a remote VTEP becomes outer Ethernet/IP/UDP/VXLAN around a fresh inner Ethernet header (router MACs, as
 * EVPN type-5 symmetric IRB rewrites them) and the IP packet as captured; the outer IP header is IPv6 (with the UDP
 * checksum Linux computes over IPv6) when the remote VTEP is IPv6, else IPv4. Any other frame (an underlay frame,
 * or one delivered without leaving the leaf) is written as read. The writer's link type must be Ethernet. With
 * spines (IPv4 underlay only), the tunnelled frame is written as the chosen spine forwards it to the egress leaf
 * (spine-hop.ts).
 */
export class VxlanEncapsulator {
  private readonly macHi: Uint16Array;
  private readonly macLo: Uint32Array;
  private readonly vtep: Uint32Array;
  /** per leaf: its IPv6 VTEP's words, or undefined for an IPv4 VTEP */
  private readonly vtep6: (Uint32Array | undefined)[];
  private readonly noVtep6 = new Uint32Array(4);
  private readonly vni: Uint32Array;
  private ident = 0;
  private readonly spine: SpineHop;

  constructor(
    private readonly fabric: Fabric,
    private readonly writer: PcapWriter,
    private readonly paths: PathColumns,
  ) {
    this.spine = new SpineHop(fabric);
    const leaves = fabric.topology.leaves;
    this.macHi = new Uint16Array(leaves.map(() => 0x0200));
    // A router MAC from the VTEP's low 32 bits (of either family).
    this.macLo = new Uint32Array(leaves.map((l) => (l.vtep6 !== undefined ? l.vtep6[3]! : l.vtep)));
    this.vtep = new Uint32Array(leaves.map((l) => l.vtep));
    this.vtep6 = leaves.map((l) => l.vtep6);
    this.vni = new Uint32Array(fabric.topology.vrfs.map((v) => v.vni));
  }

  /** Writes one frame of a forwarded flow: its meta (FlowTable.meta), path (the engine's PathTable) and VXLAN source port. */
  write(meta: number, path: number, outerSport: number, buf: Uint8Array, offset: number, capLen: number, origLen: number, linkType: number, l3Offset: number, tsSec: number, tsNsec: number): void {
    const w = this.writer;
    const vtep = this.paths.vtep[path]!;
    const entry = (meta >>> 8) & 0xfff;
    // Only client traffic the ingress leaf tunnels is rewritten; underlay frames arrived already encapsulated.
    if (vtep < 0 || entry !== this.fabric.ingressLeaf || outerSport === 0) {
      if (linkType === LINKTYPE_ETHERNET) w.write(buf, offset, capLen, origLen, tsSec, tsNsec);
      else this.writeAsEthernet(buf, offset, capLen, origLen, l3Offset, tsSec, tsNsec);
      return;
    }
    const l3 = l3Offset - offset;
    // The IP packet as the leaf routes it: trailing Ethernet padding dropped, snap-length cut kept.
    const type = ipEtherType(buf, l3Offset);
    const ipTotal = type === ETHERTYPE_IPV6 ? IPV6_HEADER_LEN + get16(buf, l3Offset + IPV6_PAYLOAD_LEN) : get16(buf, l3Offset + IPV4_TOTAL_LEN);
    const ipCap = Math.min(capLen - l3, ipTotal);
    const ipOrig = Math.min(origLen - l3, ipTotal);
    const inner = ETH_HEADER_LEN + ipCap;
    const ingress = this.fabric.ingressLeaf;
    const remote6 = this.vtep6[vtep];
    const encapLen = remote6 !== undefined ? VXLAN6_ENCAP_LEN : VXLAN_ENCAP_LEN;
    const at = w.reserve(encapLen + inner);
    const out = w.buf;
    const vrf = FlowTable.entryVrf(meta);
    const port = this.fabric.topology.vxlan.port;
    let p: number;
    if (remote6 !== undefined) {
      p = writeVxlan6Encap(out, at, this.macHi[vtep]!, this.macLo[vtep]!, this.macHi[ingress]!, this.macLo[ingress]!, this.vtep6[ingress] ?? this.noVtep6, remote6, outerSport, port, this.vni[vrf]!, ETH_HEADER_LEN + ipOrig);
    } else {
      this.ident = (this.ident + 1) & 0xffff;
      p = writeVxlanEncap(out, at, this.macHi[vtep]!, this.macLo[vtep]!, this.macHi[ingress]!, this.macLo[ingress]!, this.vtep[ingress]!, this.vtep[vtep]!, this.ident, outerSport, port, this.vni[vrf]!, ETH_HEADER_LEN + ipOrig);
      this.spine.rewrite(out, at, this.paths, path);
    }
    const q = writeEthernet(out, p, this.macHi[vtep]!, this.macLo[vtep]!, this.macHi[ingress]!, this.macLo[ingress]!, type);
    copyBytes(buf, l3Offset, out, q, ipCap);
    // The IPv6 UDP checksum covers the inner frame: only when all of it is written (a snapped frame keeps 0).
    if (remote6 !== undefined && ipCap === ipOrig) vxlan6FillChecksum(out, at, this.vtep6[ingress] ?? this.noVtep6, remote6);
    w.commit(encapLen + inner, encapLen + ETH_HEADER_LEN + ipOrig, tsSec, tsNsec);
  }

  /** A raw-IP or cooked frame, given an Ethernet header so the output stays one link type. */
  private writeAsEthernet(buf: Uint8Array, offset: number, capLen: number, origLen: number, l3Offset: number, tsSec: number, tsNsec: number): void {
    const w = this.writer;
    const l3 = l3Offset - offset;
    const ipCap = capLen - l3;
    const at = w.reserve(ETH_HEADER_LEN + ipCap);
    const ingress = this.fabric.ingressLeaf;
    const q = writeEthernet(w.buf, at, this.macHi[ingress]!, this.macLo[ingress]!, 0x0200, 0, ipEtherType(buf, l3Offset));
    copyBytes(buf, l3Offset, w.buf, q, ipCap);
    w.commit(ETH_HEADER_LEN + ipCap, ETH_HEADER_LEN + origLen - l3, tsSec, tsNsec);
  }
}
