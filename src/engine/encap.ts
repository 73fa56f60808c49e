// VXLAN encapsulation at the ingress leaf, written straight into the capture writer's buffer (`replay --write`).

import type { PcapWriter } from '../capture/writer.js';
import type { Fabric } from '../fabric/converge.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, writeEthernet } from '../wire/ethernet.js';
import { IPV4_TOTAL_LEN } from '../wire/ipv4.js';
import type { PathColumns } from './paths.js';
import { SpineHop } from './spine-hop.js';
import { get16 } from '../wire/bytes.js';
import { VXLAN_ENCAP_LEN, writeVxlanEncap } from '../wire/vxlan.js';

const LINKTYPE_ETHERNET = 1;

/** A byte copy without the view object `subarray` would make per packet. */
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  for (let i = 0; i < len; i++) dst[to + i] = src[from + i]!;
}

/**
 * Writes each forwarded frame as it leaves the first leaf it meets: a client frame the ingress leaf sends to a
 * remote VTEP becomes outer Ethernet/IPv4/UDP/VXLAN around a fresh inner Ethernet header (router MACs, as EVPN
 * type-5 symmetric IRB rewrites them) and the IP packet as captured; any other frame (an underlay frame, or one
 * delivered without leaving the leaf) is written as read. The writer's link type must be Ethernet. With spines, the
 * tunnelled frame is written as the chosen spine forwards it to the egress leaf (spine-hop.ts).
 */
export class VxlanEncapsulator {
  private readonly macHi: Uint16Array;
  private readonly macLo: Uint32Array;
  private readonly vtep: Uint32Array;
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
    this.macLo = new Uint32Array(leaves.map((l) => l.vtep));
    this.vtep = new Uint32Array(leaves.map((l) => l.vtep));
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
    const ipTotal = get16(buf, l3Offset + IPV4_TOTAL_LEN);
    const ipCap = Math.min(capLen - l3, ipTotal);
    const ipOrig = Math.min(origLen - l3, ipTotal);
    const inner = ETH_HEADER_LEN + ipCap;
    const at = w.reserve(VXLAN_ENCAP_LEN + inner);
    const out = w.buf;
    const ingress = this.fabric.ingressLeaf;
    const vrf = meta >>> 20;
    this.ident = (this.ident + 1) & 0xffff;
    const p = writeVxlanEncap(out, at, this.macHi[vtep]!, this.macLo[vtep]!, this.macHi[ingress]!, this.macLo[ingress]!, this.vtep[ingress]!, this.vtep[vtep]!, this.ident, outerSport, this.fabric.topology.vxlan.port, this.vni[vrf]!, ETH_HEADER_LEN + ipOrig);
    this.spine.rewrite(out, at, this.paths, path);
    const q = writeEthernet(out, p, this.macHi[vtep]!, this.macLo[vtep]!, this.macHi[ingress]!, this.macLo[ingress]!, ETHERTYPE_IPV4);
    copyBytes(buf, l3Offset, out, q, ipCap);
    w.commit(VXLAN_ENCAP_LEN + inner, VXLAN_ENCAP_LEN + ETH_HEADER_LEN + ipOrig, tsSec, tsNsec);
  }

  /** A raw-IP or cooked frame, given an Ethernet header so the output stays one link type. */
  private writeAsEthernet(buf: Uint8Array, offset: number, capLen: number, origLen: number, l3Offset: number, tsSec: number, tsNsec: number): void {
    const w = this.writer;
    const l3 = l3Offset - offset;
    const ipCap = capLen - l3;
    const at = w.reserve(ETH_HEADER_LEN + ipCap);
    const ingress = this.fabric.ingressLeaf;
    const q = writeEthernet(w.buf, at, this.macHi[ingress]!, this.macLo[ingress]!, 0x0200, 0, ETHERTYPE_IPV4);
    copyBytes(buf, l3Offset, w.buf, q, ipCap);
    w.commit(ETH_HEADER_LEN + ipCap, ETH_HEADER_LEN + origLen - l3, tsSec, tsNsec);
  }
}
