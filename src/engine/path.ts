// One flow's way through the fabric: lookup, hash and select at each leaf until a VM, an opaque hop, or a drop.

import { HOP_OPAQUE, HOP_VM, HOP_VTEP, type Fabric } from '../fabric/converge.js';
import { MAX_STAGES } from './flowtable.js';
import { REASON_NAMES } from '../wire/decode.js';
import { vxlanSourcePort } from '../wire/vxlan.js';
import { crossSpines, outerSourcePort } from './underlay.js';
import { foldIpv6 } from '../fabric/spines.js';
import { ADDR_IPV4, type Dissected } from '../hash/linux-keys.js';
import type { TunnelDissection } from '../wire/tunnel.js';

export { vxlanSourcePort };

/** Skip reasons the engine adds after the decoder's own. */
export const REASON_NO_ROUTE = REASON_NAMES.length;
export const REASON_UNKNOWN_VNI = REASON_NAMES.length + 1;
export const REASON_LOOP = REASON_NAMES.length + 2;
export const SKIP_NAMES: readonly string[] = [...REASON_NAMES, 'no-route', 'unknown-vni', 'loop'];

/** Where a flow went; one instance is reused for every flow. */
export class PathResult {
  reason = 0;
  vtep = -1;
  vm = -1;
  other = -1;
  outerSport = 0;
  /**
   * Leave a leaf's `independent` VXLAN source port out (outerSport 0) where it is not part of the path (no spines,
   * not a tunnel): the engine computes it when first asked for (Engine.outerSportOf). Set by the engine only.
   */
  deferSport = false;
  stages = 0;
  readonly stageLeaf = new Int32Array(MAX_STAGES);
  readonly stageRoute = new Int32Array(MAX_STAGES);
  readonly stageMember = new Int32Array(MAX_STAGES);
  readonly stageHash = new Uint32Array(MAX_STAGES);
}

/** The IPv6 words an IPv4 flow passes to the shared loop (never read). */
const NO_WORDS = new Uint32Array(4);

/**
 * Forwards one flow entering at (leaf, vrf). Every leaf on the way looks the destination up in the VRF, hashes
 * the 5-tuple with its own hasher and picks a member; a VTEP member carries the flow to that leaf (same VRF, by
 * its L3 VNI), a VM member delivers it, an opaque member hands it out of the fabric.
 * `arrivedVtep` >= 0 when the flow came in as VXLAN to that leaf: it is counted as the flow's VTEP.
 */
export function resolvePath(
  fabric: Fabric,
  entryLeaf: number,
  vrf: number,
  src: number,
  dst: number,
  proto: number,
  sport: number,
  dport: number,
  arrivedVtep: number,
  out: PathResult,
): void {
  forward(fabric, entryLeaf, vrf, 4, src, dst, NO_WORDS, NO_WORDS, 0, proto, sport, dport, arrivedVtep, out);
}

/**
 * resolvePath for an IPv6 flow: addresses as 4 host-order words (word 0 the most significant), looked up in the
 * leaves' IPv6 tables and hashed with their IPv6 hashers, which read the flow label where the algorithm does.
 * `nextHeader`: the fixed header's next header, which a `linux-l3` leaf hashes as the protocol (policy 0,
 * ip6_multipath_l3_keys), where every other reads `proto` (the upper layer, past extension headers).
 */
export function resolvePath6(
  fabric: Fabric,
  entryLeaf: number,
  vrf: number,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  flowLabel: number,
  proto: number,
  sport: number,
  dport: number,
  arrivedVtep: number,
  out: PathResult,
  nextHeader = proto,
): void {
  forward(fabric, entryLeaf, vrf, 6, 0, 0, src, dst, flowLabel, proto, sport, dport, arrivedVtep, out, nextHeader);
}

/**
 * resolvePath for a tunnelled client flow (d.inner not null; engine/tunnel-key.ts): looked up by its outer
 * destination; a policy 2/3 leaf (fabric.tunnelHashers) hashes the whole Dissected, every other leaf the outer
 * header as any packet (a tunnel's protocol, no ports; IPv6: its flow label, and the first next header for
 * linux-l3).
 */
export function resolveTunnel(fabric: Fabric, entryLeaf: number, vrf: number, d: TunnelDissection, arrivedVtep: number, out: PathResult): void {
  const o = d.outer;
  if (o.addrType === ADDR_IPV4) forward(fabric, entryLeaf, vrf, 4, o.src[0]! >>> 0, o.dst[0]! >>> 0, NO_WORDS, NO_WORDS, 0, o.proto, 0, 0, arrivedVtep, out, o.proto, d);
  else forward(fabric, entryLeaf, vrf, 6, 0, 0, u32Words(o.src, tunnelSrc6), u32Words(o.dst, tunnelDst6), o.flowLabelWord, o.proto, 0, 0, arrivedVtep, out, d.outerNextHeader, d);
}

const tunnelSrc6 = new Uint32Array(4);
const tunnelDst6 = new Uint32Array(4);
/** A dissection's int32 address words as the u32 words the IPv6 hashers take, into `into` (no allocation). */
export function u32Words(from: Int32Array, into: Uint32Array): Uint32Array {
  for (let i = 0; i < 4; i++) into[i] = from[i]!;
  return into;
}

/**
 * The one forwarding loop of both families: only the lookup and the hash differ, by `family`; a tunnelled flow's
 * `dissected` is what a policy 2/3 leaf hashes instead of the 5-tuple.
 */
function forward(
  fabric: Fabric,
  entryLeaf: number,
  vrf: number,
  family: 4 | 6,
  src: number,
  dst: number,
  src6: ArrayLike<number>,
  dst6: ArrayLike<number>,
  flowLabel: number,
  proto: number,
  sport: number,
  dport: number,
  arrivedVtep: number,
  out: PathResult,
  nextHeader = proto,
  dissected: Dissected | null = null,
): void {
  out.reason = 0;
  out.vtep = arrivedVtep;
  out.vm = -1;
  out.other = -1;
  out.outerSport = 0;
  out.stages = 0;
  const vrfCount = fabric.vrfNames.length;
  let leaf = entryLeaf;
  for (;;) {
    if (out.stages === MAX_STAGES) {
      out.reason = REASON_LOOP;
      return;
    }
    const table = leaf * vrfCount + vrf;
    const routeId = family === 4 ? fabric.tables[table]!.lookup(dst) : fabric.tables6[table]!.lookup(dst6[0]!, dst6[1]!, dst6[2]!, dst6[3]!);
    if (routeId < 0) {
      out.reason = REASON_NO_ROUTE;
      return;
    }
    const route = fabric.routes[routeId]!;
    const p6 = fabric.hashesNextHeader[leaf]! ? nextHeader : proto;
    const tunnelHash = dissected === null ? null : fabric.tunnelHashers[leaf]!;
    const hash = tunnelHash !== null ? tunnelHash(dissected!)
      : family === 4 ? fabric.hashers[leaf]!(src, dst, proto, sport, dport) : fabric.hashers6[leaf]!(src6, dst6, p6, sport, dport, flowLabel);
    const member = route.group.select(hash);
    const s = out.stages++;
    out.stageLeaf[s] = leaf;
    out.stageRoute[s] = routeId;
    out.stageMember[s] = member;
    out.stageHash[s] = hash;
    const hop = route.nextHops[member]!;
    if (hop.kind === HOP_VTEP) {
      // Linux's own hash of the flow (the `independent` port) is a third SipHash on a new flow: deferred where no
      // spine hashes it (Engine.outerSportOf); an `ecmp-hash` port costs nothing and is kept.
      const defer = out.deferSport && dissected === null && fabric.underlay.vrf < 0 && fabric.underlay.sourcePort[leaf] !== null;
      const outerSport = defer ? 0 : family === 4
        ? outerSourcePort(fabric, leaf, hash, src, dst, proto, sport, dport)
        : outerSourcePort(fabric, leaf, hash, foldIpv6(src6), foldIpv6(dst6), proto, sport, dport);
      if (out.vtep < 0) {
        out.vtep = hop.target;
        out.outerSport = outerSport;
      }
      out.reason = crossSpines(fabric, leaf, hop.target, outerSport, out, REASON_NO_ROUTE, REASON_LOOP);
      if (out.reason !== 0) return;
      leaf = hop.target;
      continue;
    }
    if (hop.kind === HOP_VM) out.vm = hop.target;
    else if (hop.kind === HOP_OPAQUE) out.other = hop.target;
    return;
  }
}
