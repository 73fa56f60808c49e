// What the topology tells the generator: the default destination, and for --vxlan where each flow is tunnelled.

import { UsageError } from '../errors.js';
import { hashSpec4, type Announcement, type Topology } from '../fabric/topology.js';
import { makeHasher, makeHasher6, type FlowHasher, type FlowHasher6, type HashField6 } from '../hash/index.js';
import { formatIpv4, prefixMask } from '../wire/ipv4.js';
import { formatIpv6, prefixMask6 } from '../wire/ipv6.js';
import { foldIpv6, sourcePortHasher, sourcePortOf } from '../fabric/spines.js';
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
  for (const vm of ordered) for (const a of vm.announce) if (a.prefix6 === undefined && a.length === 32) return a.prefix >>> 0;
  for (const vm of ordered) for (const a of vm.announce) if (a.prefix6 === undefined) return firstAddress(a.prefix, a.length);
  const v6 = t.vms.some((v) => v.announce.some((a) => a.prefix6 !== undefined));
  throw new UsageError(`no VM announces an IPv4 prefix, so there is no service address: give --dst${v6 ? ' (or --ipv6)' : ''}`, t.source);
}

/**
 * The IPv6 service address (`generate --ipv6` without --dst): the first /128 a VM of the ingress VRF announces (then
 * of any VRF); failing that, the first address of the first IPv6 prefix announced (its first host below /127).
 */
export function defaultDestination6(t: Topology): Uint32Array {
  const ordered = [...t.vms.filter((v) => v.vrf === t.ingress.vrf), ...t.vms.filter((v) => v.vrf !== t.ingress.vrf)];
  for (const vm of ordered) for (const a of vm.announce) if (a.prefix6 !== undefined && a.length === 128) return Uint32Array.from(a.prefix6);
  for (const vm of ordered) {
    for (const a of vm.announce) {
      if (a.prefix6 === undefined) continue;
      const first = Uint32Array.from(a.prefix6);
      if (a.length < 127) first[3] = (first[3]! + 1) >>> 0; // host bits are 0, so this never carries
      return first;
    }
  }
  throw new UsageError(`no VM announces an IPv6 prefix, so there is no IPv6 service address: give --dst`, t.source);
}

/** Whether an announcement covers the destination (an IPv4 number, or IPv6 words), of its own family only. */
function covers(a: Announcement, dst: number | Uint32Array): boolean {
  if (typeof dst === 'number') return a.prefix6 === undefined && ((dst & prefixMask(a.length)) >>> 0) === a.prefix >>> 0;
  if (a.prefix6 === undefined) return false;
  const mask = prefixMask6(a.length);
  for (let i = 0; i < 4; i++) if (((dst[i]! & mask[i]!) >>> 0) !== a.prefix6[i]) return false;
  return true;
}

/** The encapsulation a --vxlan capture uses: from the ingress leaf's VTEP to the VTEPs announcing the destination. */
export interface UnderlayPlan {
  /** the ingress VTEP (0 when the underlay is IPv6: see srcVtep6) */
  srcVtep: number;
  /** the ingress VTEP of an IPv6 underlay; then every VTEP of `vteps6` is IPv6 too */
  srcVtep6?: Uint32Array;
  vni: number;
  port: number;
  sourcePortLow: number;
  sourcePortHigh: number;
  /** VTEPs of the leaves whose VMs announce the destination (longest match, ingress VRF), in topology order. */
  vteps: Uint32Array;
  /** The same VTEPs of an IPv6 underlay, 4 words each (then `vteps` holds their indices 0..n-1). */
  vteps6?: Uint32Array;
  /** The ingress leaf's hash: picks the VTEP (and the outer source port with `source-port: ecmp-hash`), as that leaf would. */
  hasher: FlowHasher;
  /** The same leaf's hash of IPv6 flows. */
  hasher6: FlowHasher6;
  /** what the outer source port hashes (fabric/spines.ts sourcePortHasher): null, the ECMP hash */
  sourcePortHasher: FlowHasher | null;
}

/**
 * Where --vxlan tunnels flows to `dst` (IPv4, or IPv6 words): from the ingress leaf's VTEP to the VTEPs of the leaves
 * announcing it. The underlay is IPv6 when the ingress VTEP is; the remote VTEPs must then be IPv6 too (and IPv4
 * with an IPv4 ingress VTEP): one outer header family per capture. The inner flows may be of either family.
 */
export function planUnderlay(t: Topology, dst: number | Uint32Array): UnderlayPlan {
  const dstText = typeof dst === 'number' ? formatIpv4(dst) : formatIpv6(dst);
  const ingress = t.leaves.find((l) => l.name === t.ingress.leaf)!;
  const vrf = t.vrfs.find((v) => v.name === t.ingress.vrf)!;
  let best = -1;
  const leaves = new Set<string>();
  for (const vm of t.vms) {
    if (vm.vrf !== vrf.name) continue;
    for (const a of vm.announce) {
      if (!covers(a, dst) || a.length < best) continue;
      if (a.length > best) {
        best = a.length;
        leaves.clear();
      }
      leaves.add(vm.leaf);
    }
  }
  if (best < 0) {
    throw new UsageError(`no VM of VRF ${vrf.name} announces ${dstText}, so --vxlan has no VTEP to send to`, t.source);
  }
  // The ingress leaf delivers to its own VMs without a tunnel (it prefers its EBGP paths).
  leaves.delete(ingress.name);
  const remote = t.leaves.filter((l) => leaves.has(l.name));
  if (remote.length === 0) {
    throw new UsageError(`only the ingress leaf ${ingress.name} announces ${dstText}: nothing to tunnel`, t.source);
  }
  const v6 = ingress.vtep6 !== undefined;
  const other = remote.find((l) => (l.vtep6 !== undefined) !== v6);
  if (other !== undefined) {
    throw new UsageError(`--vxlan needs one underlay family: the ingress ${ingress.name}'s VTEP is IPv${v6 ? 6 : 4}, ${other.name}'s is IPv${v6 ? 4 : 6}`, t.source);
  }
  const plan: UnderlayPlan = {
    srcVtep: ingress.vtep >>> 0,
    vni: vrf.vni,
    port: t.vxlan.port,
    sourcePortLow: t.vxlan.sourcePortLow,
    sourcePortHigh: t.vxlan.sourcePortHigh,
    vteps: v6 ? Uint32Array.from(remote, (_, i) => i) : new Uint32Array(remote.map((l) => l.vtep)),
    hasher: makeHasher(hashSpec4(ingress.hash)),
    hasher6: makeHasher6({ algorithm: ingress.hash.algorithm, seed: ingress.hash.seed, fields: ingress.hash.fields as readonly HashField6[] }),
    sourcePortHasher: sourcePortHasher(ingress),
  };
  if (v6) {
    plan.srcVtep6 = Uint32Array.from(ingress.vtep6!);
    plan.vteps6 = new Uint32Array(4 * remote.length);
    remote.forEach((l, i) => plan.vteps6!.set(l.vtep6!, 4 * i));
  }
  return plan;
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
  const src6 = new Uint32Array(4);
  for (let f = 0; f < set.count; f++) {
    let h: number;
    if (set.src6 !== undefined) {
      for (let i = 0; i < 4; i++) src6[i] = set.src6[4 * f + i]!;
      h = plan.hasher6(src6, set.dst6!, set.proto[f]!, set.sport[f]!, set.dport[f]!, set.flowLabel![f]!);
    } else h = plan.hasher(set.src[f]!, set.dst[f]!, set.proto[f]!, set.sport[f]!, set.dport[f]!);
    const h31 = h >>> 1;
    let m = 0;
    while (m < n - 1 && h31 > bound[m]!) m++;
    dstVtep[f] = plan.vteps[m]!;
    // IPv6 flows: the addresses folded to 32 bits, as the engine's source-port hash takes them (engine/path.ts).
    const src = set.src6 !== undefined ? foldIpv6(src6) : set.src[f]!;
    const dst = set.src6 !== undefined ? foldIpv6(set.dst6!) : set.dst[f]!;
    outerSport[f] = sourcePortOf(plan.sourcePortHasher, h, vxlan, src, dst, set.proto[f]!, set.sport[f]!, set.dport[f]!);
  }
  const out: VxlanFlows = { srcVtep: plan.srcVtep, vni: plan.vni, port: plan.port, dstVtep, outerSport };
  if (plan.vteps6 !== undefined) {
    out.srcVtep6 = plan.srcVtep6!;
    out.vteps6 = plan.vteps6;
  }
  return out;
}
