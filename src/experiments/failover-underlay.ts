// `failover --fail SPINE` and `--fail LEAF:SPINE` (an uplink): no VM changes when a spine goes, so what moves is the
// flows' spine. Each flow's underlay crossing (the first underlay stage of its path: from leaf, spine, to leaf) before
// and after; `minimum`: the flows that crossed what failed.

import { type Fabric } from '../fabric/converge.js';
import { PathResult, resolvePath } from '../engine/path.js';
import type { FlowSet } from '../traffic/flows.js';

/** Per flow: spine + spines * (from leaf + leaves * to leaf) of its first underlay stage, -1 when it crossed none. */
export function underlayCrossings(fabric: Fabric, set: FlowSet): Int32Array {
  const out = new Int32Array(set.count).fill(-1);
  const u = fabric.underlay;
  const nSpine = u.spineNames.length;
  const nLeaf = fabric.leafNames.length;
  const p = new PathResult();
  for (let f = 0; f < set.count; f++) {
    resolvePath(fabric, fabric.ingressLeaf, fabric.ingressVrf, set.src[f]!, set.dst[f]!, set.proto[f]!, set.sport[f]!, set.dport[f]!, -1, p);
    if (p.reason !== 0) continue;
    for (let s = 0; s < p.stages; s++) {
      const route = fabric.routes[p.stageRoute[s]!]!;
      if (route.vrf !== u.vrf) continue;
      const spine = route.nextHops[p.stageMember[s]!]!.target;
      out[f] = spine + nSpine * (route.leaf + nLeaf * fabric.vtepToLeaf.get(route.prefix)!);
      break;
    }
  }
  return out;
}

/** Whether a crossing (underlayCrossings' code) went over a spine or uplink that has failed in `after`. */
export function crossedFailure(after: Fabric, code: number): boolean {
  if (code < 0) return false;
  const nSpine = after.underlay.spineNames.length;
  const nLeaf = after.leafNames.length;
  const spine = code % nSpine;
  const from = Math.floor(code / nSpine) % nLeaf;
  const to = Math.floor(code / nSpine / nLeaf);
  const failed = after.underlay.failed;
  return failed.spines.has(spine) || failed.links.has(from * nSpine + spine) || failed.links.has(to * nSpine + spine);
}
