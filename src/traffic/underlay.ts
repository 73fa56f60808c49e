// What the topology tells the generator: the default destination, and for --vxlan where each flow is tunnelled.

import { UsageError } from '../errors.js';
import type { Topology } from '../fabric/topology.js';
import { makeHasher, type FlowHasher } from '../hash/index.js';
import { formatIpv4, prefixMask } from '../wire/ipv4.js';
import { sourcePortHasher, sourcePortOf } from '../fabric/spines.js';
import type { FlowSet } from './flows.js';
import type { VxlanFlows } from './frames.js';

/** The first address a prefix offers a client: the prefix itself for /31 and /32, else its first host. */
function firstAddress(prefix: number, length: number): number {
  return length >= 31 ? prefix >>> 0 : (prefix + 1) >>> 0;
}

/**
 * The service address the topology's VMs announce (SPEC §4 `generate --dst` default): the first /32 a VM of the
 * ingress VRF announces (then of any VRF); failing that, the first host of the first announced prefix.
 */
export function defaultDestination(t: Topology): number {
  const ordered = [...t.vms.filter((v) => v.vrf === t.ingress.vrf), ...t.vms.filter((v) => v.vrf !== t.ingress.vrf)];
  for (const vm of ordered) for (const a of vm.announce) if (a.length === 32) return a.prefix >>> 0;
  for (const vm of ordered) for (const a of vm.announce) return firstAddress(a.prefix, a.length);
  throw new UsageError(`no VM announces a prefix, so there is no service address: give --dst`, t.source);
}

/** The encapsulation a --vxlan capture uses: from the ingress leaf's VTEP to the VTEPs announcing the destination. */
export interface UnderlayPlan {
  srcVtep: number;
  vni: number;
  port: number;
  sourcePortLow: number;
  sourcePortHigh: number;
  /** VTEPs of the leaves whose VMs announce the destination (longest match, ingress VRF), in topology order. */
  vteps: Uint32Array;
  /** The ingress leaf's hash: picks the VTEP (and the outer source port with `source-port: ecmp-hash`), as that leaf would. */
  hasher: FlowHasher;
  /** what the outer source port hashes (fabric/spines.ts sourcePortHasher): null, the ECMP hash */
  sourcePortHasher: FlowHasher | null;
}

export function planUnderlay(t: Topology, dst: number): UnderlayPlan {
  const ingress = t.leaves.find((l) => l.name === t.ingress.leaf)!;
  const vrf = t.vrfs.find((v) => v.name === t.ingress.vrf)!;
  let best = -1;
  const leaves = new Set<string>();
  for (const vm of t.vms) {
    if (vm.vrf !== vrf.name) continue;
    for (const a of vm.announce) {
      if (((dst & prefixMask(a.length)) >>> 0) !== a.prefix >>> 0 || a.length < best) continue;
      if (a.length > best) {
        best = a.length;
        leaves.clear();
      }
      leaves.add(vm.leaf);
    }
  }
  if (best < 0) {
    throw new UsageError(`no VM of VRF ${vrf.name} announces ${formatIpv4(dst)}, so --vxlan has no VTEP to send to`, t.source);
  }
  // The ingress leaf delivers to its own VMs without a tunnel (it prefers its EBGP paths).
  leaves.delete(ingress.name);
  const vteps = t.leaves.filter((l) => leaves.has(l.name)).map((l) => l.vtep);
  if (vteps.length === 0) {
    throw new UsageError(`only the ingress leaf ${ingress.name} announces ${formatIpv4(dst)}: nothing to tunnel`, t.source);
  }
  return {
    srcVtep: ingress.vtep >>> 0,
    vni: vrf.vni,
    port: t.vxlan.port,
    sourcePortLow: t.vxlan.sourcePortLow,
    sourcePortHigh: t.vxlan.sourcePortHigh,
    vteps: new Uint32Array(vteps),
    hasher: makeHasher(ingress.hash),
    sourcePortHasher: sourcePortHasher(ingress),
  };
}

/**
 * Each flow's VTEP and outer source port from the ingress leaf's hash of its 5-tuple: the VTEP by equal-weight
 * hash-threshold (member i takes 31-bit hashes up to round((i + 1) · 2^31 / n) - 1, as Linux cuts them), so a
 * flow always goes to the same VTEP; the source port as SPEC §3 says, from the hash the leaf's `source-port` names.
 */
export function underlayFlows(plan: UnderlayPlan, set: FlowSet): VxlanFlows {
  const n = plan.vteps.length;
  const bound = new Float64Array(n);
  for (let i = 0; i < n; i++) bound[i] = Math.round(((i + 1) * 2147483648) / n) - 1;
  const dstVtep = new Uint32Array(set.count);
  const outerSport = new Uint16Array(set.count);
  const vxlan = { port: plan.port, sourcePortLow: plan.sourcePortLow, sourcePortHigh: plan.sourcePortHigh };
  for (let f = 0; f < set.count; f++) {
    const h = plan.hasher(set.src[f]!, set.dst[f]!, set.proto[f]!, set.sport[f]!, set.dport[f]!);
    const h31 = h >>> 1;
    let m = 0;
    while (m < n - 1 && h31 > bound[m]!) m++;
    dstVtep[f] = plan.vteps[m]!;
    outerSport[f] = sourcePortOf(plan.sourcePortHasher, h, vxlan, set.src[f]!, set.dst[f]!, set.proto[f]!, set.sport[f]!, set.dport[f]!);
  }
  return { srcVtep: plan.srcVtep, vni: plan.vni, port: plan.port, dstVtep, outerSport };
}
