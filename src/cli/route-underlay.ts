// `route get` over a fabric with spines: the underlay stage as a hop of its own (hops: border > spine-N > leaf-M),
// and its lines: the leaf's underlay lookup of the remote VTEP (the spine its hash of the outer header picks) and
// the spine's forwarding to the VTEP's leaf (one link per leaf: no choice there).

import { routePrefix, type Fabric } from '../fabric/converge.js';
import type { PathResult } from '../engine/path.js';
import { displayHash } from '../hash/index.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** True when stage `s` of the path is a leaf's choice of spine. */
export function isUnderlayStage(fabric: Fabric, path: PathResult, s: number): boolean {
  return fabric.underlay.vrf >= 0 && fabric.routes[path.stageRoute[s]!]!.vrf === fabric.underlay.vrf;
}

export interface SpineHop {
  node: string;
  via: string;
  vtep: string;
  prefix: string;
  hash: string;
  /** the leaf that chose this spine; `hash` is that leaf's hash of the outer header */
  from: string;
}

/** The hop of an underlay stage: named by the spine, via the remote VTEP, with the hash that chose the spine. */
export function spineHop(fabric: Fabric, path: PathResult, s: number): SpineHop {
  const route = fabric.routes[path.stageRoute[s]!]!;
  const hop = route.nextHops[path.stageMember[s]!]!;
  const leaf = path.stageLeaf[s]!;
  return {
    node: fabric.underlay.spineNames[hop.target]!,
    via: formatIpv4(route.prefix),
    vtep: formatIpv4(route.prefix),
    prefix: routePrefix(route),
    hash: `0x${displayHash(fabric.topology.leaves[leaf]!.hash.algorithm, path.stageHash[s]!).toString(16).padStart(8, '0')}`,
    from: fabric.leafNames[leaf]!,
  };
}

/** Stage `s`'s two lines: the leaf's lookup of the VTEP in its underlay FIB, and the spine forwarding to its leaf. */
export function spineLines(fabric: Fabric, path: PathResult, s: number): string {
  const route = fabric.routes[path.stageRoute[s]!]!;
  const member = path.stageMember[s]!;
  const hop = route.nextHops[member]!;
  const live = route.nextHops.filter((_, m) => route.group.isLive(m)).length;
  const h = spineHop(fabric, path, s);
  const vtepLeaf = fabric.vtepToLeaf.get(route.prefix);
  return [
    `    ${h.from}: ${h.vtep} via ${formatIpv4(hop.address)} dev ${h.node} table underlay (${h.prefix}, ${route.group.selection} ${member + 1} of ${live}, hash ${h.hash})`,
    `    ${h.node}: ${h.vtep} via ${h.vtep} dev ${vtepLeaf === undefined ? 'out' : fabric.leafNames[vtepLeaf]} table underlay (one link to each leaf)`,
  ].join('\n');
}
