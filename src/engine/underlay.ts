// A flow's underlay stage (SPEC §2 `spines:`): the VXLAN source port its leaf puts on the tunnel, and the leaf's ECMP
// choice of spine on the outer header (source = own VTEP, destination = remote VTEP, UDP, the source port, the
// VXLAN port), looked up in the leaf's `underlay` FIB. First sight of a flow only: allocates nothing.

import { tableOf, type Fabric } from '../fabric/converge.js';
import { sourcePortOf } from '../fabric/spines.js';
import { MAX_STAGES } from './flowtable.js';
import type { PathResult } from './path.js';

export const IPPROTO_UDP = 17;

/** The VXLAN source port `leaf` gives a flow it tunnels; `ecmpHash` is its ECMP hash of the (inner) flow. */
export function outerSourcePort(fabric: Fabric, leaf: number, ecmpHash: number, src: number, dst: number, proto: number, sport: number, dport: number): number {
  return sourcePortOf(fabric.underlay.sourcePort[leaf]!, ecmpHash, fabric.topology.vxlan, src, dst, proto, sport, dport);
}

/** The leaf's hash of the outer header of the VXLAN frame it sends from its VTEP to `remote`'s. */
export function outerHash(fabric: Fabric, leaf: number, remote: number, outerSport: number): number {
  const leaves = fabric.topology.leaves;
  return fabric.hashers[leaf]!(leaves[leaf]!.vtep >>> 0, leaves[remote]!.vtep >>> 0, IPPROTO_UDP, outerSport, fabric.topology.vxlan.port);
}

/**
 * With spines, adds `leaf`'s underlay stage toward `remote`'s VTEP to `out`: its underlay route, the spine its group
 * picks for the outer header, that hash. Returns 0, or the skip reason that stops the flow (`noRoute` when no spine
 * reaches the VTEP, `loop` when the path has no stage left). Without spines it adds nothing and returns 0.
 */
export function crossSpines(fabric: Fabric, leaf: number, remote: number, outerSport: number, out: PathResult, noRoute: number, loop: number): number {
  const vrf = fabric.underlay.vrf;
  if (vrf < 0) return 0;
  if (out.stages === MAX_STAGES) return loop;
  const routeId = tableOf(fabric, leaf, vrf).lookup(fabric.topology.leaves[remote]!.vtep >>> 0);
  if (routeId < 0) return noRoute;
  const hash = outerHash(fabric, leaf, remote, outerSport);
  const s = out.stages++;
  out.stageLeaf[s] = leaf;
  out.stageRoute[s] = routeId;
  out.stageMember[s] = fabric.routes[routeId]!.group.select(hash);
  out.stageHash[s] = hash;
  return 0;
}
