// Control-plane convergence: EBGP multipath from VMs, EVPN type-5 between leaves, static routes → per-leaf VRF FIBs.

import { makeHasher, type FlowHasher } from '../hash/index.js';
import { Lpm } from '../fib/lpm.js';
import { NextHopGroup } from '../fib/group.js';
import { UsageError } from '../errors.js';
import { formatIpv4, formatPrefix } from '../wire/ipv4.js';
import type { LeafSpec, Topology, VmSpec } from './topology.js';
import { buildUnderlay, failTargets, failUnderlay, HOP_SPINE, noUnderlayFailures, underlayRoutes, underlayVrfIndex, UNDERLAY_VRF, type UnderlayFabric } from './spines.js';

/** Next-hop kinds as small integers, so the engine branches on numbers, not strings. */
export const HOP_VTEP = 0;
export const HOP_VM = 1;
export const HOP_OPAQUE = 2;
export type HopKind = typeof HOP_VTEP | typeof HOP_VM | typeof HOP_OPAQUE | typeof HOP_SPINE;

export type RouteSource = 'static' | 'ebgp' | 'evpn' | 'underlay';

export interface FabricNextHop {
  kind: HopKind;
  /** leaf index (VTEP), VM index, or opaque index, by kind */
  target: number;
  /** the address the route names: the VTEP, the VM's address, or the opaque next-hop */
  address: number;
  weight: number;
}

export interface FabricRoute {
  id: number;
  leaf: number;
  vrf: number;
  prefix: number;
  length: number;
  source: RouteSource;
  nextHops: FabricNextHop[];
  group: NextHopGroup;
}

/** A type-5 route as one leaf originates it into EVPN. */
export interface EvpnRoute {
  leaf: number;
  vrf: number;
  prefix: number;
  length: number;
  /** EBGP paths behind it on the originating leaf (the UCMP weight with `weighting: paths`) */
  paths: number;
}

export interface Fabric {
  topology: Topology;
  leafNames: string[];
  vmNames: string[];
  vrfNames: string[];
  hashers: FlowHasher[];
  routes: FabricRoute[];
  /** index leaf * vrfCount + vrf → route ids by longest prefix */
  tables: Lpm[];
  opaque: number[];
  evpn: EvpnRoute[];
  ingressLeaf: number;
  ingressVrf: number;
  vtepToLeaf: Map<number, number>;
  vniToVrf: Map<number, number>;
  /** VMs that are down (failover): they announce nothing */
  failedVms: ReadonlySet<number>;
  failedLeaves: ReadonlySet<number>;
  /** spines, VXLAN source-port hashers, underlay failures (fabric/spines.ts) */
  underlay: UnderlayFabric;
}

export interface ConvergeOptions {
  /** names of VMs or leaves that have failed: their routes are withdrawn */
  failed?: readonly string[];
  /**
   * The fabric before the failure: a route whose surviving next-hops are the old ones (same weights) keeps its
   * group with the lost members marked dead, as the kernel updates a multipath route in place and a resilient
   * table moves only the dead member's buckets. Without it every group is built afresh.
   */
  previous?: Fabric;
}

/** Builds every leaf's VRF FIBs from the topology, as the control plane would converge. */
export function converge(topology: Topology, options: ConvergeOptions = {}): Fabric {
  const leafIndex = new Map(topology.leaves.map((l, i) => [l.name, i]));
  const vrfIndex = new Map(topology.vrfs.map((v, i) => [v.name, i]));
  const vmIndexByAddress = new Map(topology.vms.map((v, i) => [v.address, i]));
  const vtepToLeaf = new Map(topology.leaves.map((l, i) => [l.vtep, i]));
  const vniToVrf = new Map(topology.vrfs.map((v, i) => [v.vni, i]));
  const failedVms = new Set<number>();
  const failedLeaves = new Set<number>();
  const failedUnderlay = noUnderlayFailures();
  for (const name of options.failed ?? []) {
    if (failUnderlay(topology, name, failedUnderlay)) continue;
    const vm = topology.vms.findIndex((v) => v.name === name);
    const leaf = leafIndex.get(name);
    if (vm >= 0) failedVms.add(vm);
    else if (leaf !== undefined) {
      if (name === topology.ingress.leaf) throw new UsageError(`cannot fail the ingress leaf '${name}'`, '--fail');
      failedLeaves.add(leaf);
      topology.vms.forEach((v, i) => v.leaf === name && failedVms.add(i));
    } else throw new UsageError(`no ${failTargets(topology)} named '${name}'`, '--fail');
  }

  const underlayVrf = underlayVrfIndex(topology);
  const vrfCount = topology.vrfs.length + (underlayVrf >= 0 ? 1 : 0);
  const routes: FabricRoute[] = [];
  const tables: Lpm[] = [];
  const opaque: number[] = [];
  const evpn: EvpnRoute[] = [];

  // EBGP: each leaf's multipath set per (vrf, prefix), best (lowest) neighbour address first, up to maximum-paths.
  const ebgp = new Map<string, number[]>(); // key leaf|vrf|prefix|len → VM indices
  topology.vms.forEach((vm, i) => {
    if (failedVms.has(i)) return;
    const leaf = leafIndex.get(vm.leaf)!;
    const vrf = vrfIndex.get(vm.vrf)!;
    for (const a of vm.announce) {
      const key = `${leaf}|${vrf}|${a.prefix}|${a.length}`;
      const list = ebgp.get(key) ?? [];
      list.push(i);
      ebgp.set(key, list);
    }
  });
  for (const [key, list] of ebgp) {
    const leaf = topology.leaves[Number(key.split('|')[0])]!;
    const vms = topology.vms;
    const kept = multipathSet(list, leaf, (i) => vms[i]!.asn, (i) => vms[i]!.routerId, (i) => vms[i]!.address);
    list.length = 0;
    list.push(...kept);
  }
  for (const [key, list] of ebgp) {
    const [leaf, vrf, prefix, length] = key.split('|').map(Number) as [number, number, number, number];
    evpn.push({ leaf, vrf, prefix, length, paths: list.length });
  }
  evpn.sort((a, b) => a.vrf - b.vrf || a.prefix - b.prefix || a.length - b.length || topology.leaves[a.leaf]!.vtep - topology.leaves[b.leaf]!.vtep);

  const opaqueIndex = (address: number): number => {
    let i = opaque.indexOf(address);
    if (i < 0) i = opaque.push(address) - 1;
    return i;
  };

  topology.leaves.forEach((leaf, li) => {
    for (let vi = 0; vi < vrfCount; vi++) {
      const lpm = new Lpm();
      tables[li * vrfCount + vi] = lpm;
      if (failedLeaves.has(li)) continue;
      const installed = new Set<string>();
      const install = (prefix: number, length: number, source: RouteSource, nextHops: FabricNextHop[]): void => {
        const k = `${prefix}/${length}`;
        if (installed.has(k) || nextHops.length === 0) return; // an earlier (preferred) source already has it
        installed.add(k);
        const id = routes.length;
        let group: NextHopGroup | undefined;
        const prev = options.previous?.routes.find((r) => r.leaf === li && r.vrf === vi && r.prefix === prefix && r.length === length && r.source === source);
        if (prev) {
          const kept = nextHops.map((h) => prev.nextHops.findIndex((p) => p.kind === h.kind && p.target === h.target));
          if (kept.every((m) => m >= 0 && prev.group.isLive(m))) {
            let g = prev.group;
            for (let m = 0; m < prev.nextHops.length; m++) if (!kept.includes(m) && g.isLive(m)) g = g.without(m);
            // A survivor whose weight changed (UCMP: a VTEP lost one of its VMs) is reweighted in place.
            const weights = prev.nextHops.map((p, m) => nextHops[kept.indexOf(m)]?.weight ?? p.weight);
            if (weights.some((w, m) => w !== prev.nextHops[m]!.weight)) g = g.reweighted(weights);
            group = g;
            nextHops = prev.nextHops.map((p, m) => ({ ...p, weight: weights[m]! }));
          }
        }
        group ??= new NextHopGroup(nextHops.map((h) => h.weight), leaf.selection, leaf.buckets);
        routes.push({ id, leaf: li, vrf: vi, prefix, length, source, nextHops, group });
        lpm.insert(prefix, length, id);
      };

      if (vi === underlayVrf) {
        for (const r of underlayRoutes(topology, li, failedLeaves, failedUnderlay)) {
          install(r.prefix, r.length, 'underlay', r.spines.map((s) => ({ kind: HOP_SPINE, target: s, address: topology.spines![s]!.address, weight: 1 })));
        }
        continue;
      }
      // Preference: static (distance 1) over EBGP (20) over EVPN-learned (iBGP-like, 200).
      for (const r of leaf.routes) {
        if (vrfIndex.get(r.vrf) !== vi) continue;
        install(r.prefix, r.length, 'static', r.nextHops.map((h) => staticHop(topology, leaf, h.via, h.weight, vtepToLeaf, vmIndexByAddress, opaqueIndex)));
      }
      for (const [key, list] of ebgp) {
        const [l, v, prefix, length] = key.split('|').map(Number) as [number, number, number, number];
        if (l !== li || v !== vi) continue;
        install(prefix, length, 'ebgp', list.map((vm) => ({ kind: HOP_VM, target: vm, address: topology.vms[vm]!.address, weight: 1 })));
      }
      // EVPN: one next-hop per remote VTEP originating the prefix, best (lowest) VTEP first, up to maximum-paths.
      const byPrefix = new Map<string, FabricNextHop[]>();
      const vrfName = topology.vrfs[vi]!.name;
      for (const e of evpn) {
        if (e.vrf !== vi || e.leaf === li) continue;
        if (!importsFrom(leaf, topology.leaves[e.leaf]!, vrfName)) continue;
        const k = `${e.prefix}|${e.length}`;
        const hops = byPrefix.get(k) ?? [];
        const weight = topology.weighting === 'paths' ? e.paths : 1;
        hops.push({ kind: HOP_VTEP, target: e.leaf, address: topology.leaves[e.leaf]!.vtep, weight });
        byPrefix.set(k, hops);
      }
      for (const [k, hops] of byPrefix) {
        const [prefix, length] = k.split('|').map(Number) as [number, number];
        // A type-5 path's neighbour AS is its originating leaf's (leaves peer directly); its router-id the VTEP.
        const origin = (h: FabricNextHop): LeafSpec => topology.leaves[h.target]!;
        const kept = multipathSet(hops, leaf, (h) => origin(h).asn, (h) => h.address, (h) => h.address);
        install(prefix, length, 'evpn', kept);
      }
    }
  });

  return {
    topology,
    leafNames: topology.leaves.map((l) => l.name),
    vmNames: topology.vms.map((v) => v.name),
    vrfNames: [...topology.vrfs.map((v) => v.name), ...(underlayVrf >= 0 ? [UNDERLAY_VRF] : [])],
    hashers: topology.leaves.map((l) => makeHasher(l.hash)),
    routes,
    tables,
    opaque,
    evpn,
    ingressLeaf: leafIndex.get(topology.ingress.leaf)!,
    ingressVrf: vrfIndex.get(topology.ingress.vrf)!,
    vtepToLeaf,
    vniToVrf,
    failedVms,
    failedLeaves,
    underlay: buildUnderlay(topology, failedUnderlay),
  };
}

/**
 * The paths a leaf installs out of equal candidates, as bgpd picks them: the best path first (lowest router-id,
 * then lowest neighbour address: BGP's last two tie-breaks; FRR would first keep the oldest EBGP path unless
 * `bgp bestpath compare-routerid`, and arrival order is not in any file), then the multipath set: without
 * multipath-relax only paths from the best path's neighbour AS (FRR's EBGP rule), others by lowest neighbour
 * address, up to maximum-paths. Returned in neighbour-address order, the order next-hops are installed in.
 */
export function multipathSet<T>(paths: readonly T[], leaf: LeafSpec, asOf: (p: T) => number, routerIdOf: (p: T) => number | undefined, addressOf: (p: T) => number): T[] {
  if (paths.length === 0) return [];
  // Router-ids are compared only when every path's is known; otherwise the neighbour address alone decides.
  const byId = paths.every((p) => routerIdOf(p) !== undefined);
  const best = paths.reduce((a, b) => {
    const d = (byId ? routerIdOf(b)! - routerIdOf(a)! : 0) || addressOf(b) - addressOf(a);
    return d < 0 ? b : a;
  });
  const rest = paths
    .filter((p) => p !== best && (leaf.multipathRelax !== false || asOf(p) === asOf(best)))
    .sort((a, b) => addressOf(a) - addressOf(b));
  return [best, ...rest.slice(0, Math.max(0, leaf.maximumPaths - 1))].sort((a, b) => addressOf(a) - addressOf(b));
}

/** EVPN import: a leaf installs another's type-5 routes of a VRF when one of its import RTs matches an export RT. */
export function importsFrom(receiver: LeafSpec, origin: LeafSpec, vrf: string): boolean {
  const imp = receiver.routeTargets?.[vrf];
  const exp = origin.routeTargets?.[vrf];
  if (exp !== undefined && exp.export.length === 0) return false; // the origin advertises nothing into EVPN
  if (imp === undefined || exp === undefined) return true;
  return imp.import.some((i) => exp.export.some((e) => rtMatches(i, e)));
}

function rtMatches(imported: string, exported: string): boolean {
  if (imported === exported) return true;
  return imported.startsWith('*:') && exported.slice(exported.lastIndexOf(':')) === imported.slice(1);
}

function staticHop(
  topology: Topology,
  leaf: LeafSpec,
  via: number,
  weight: number,
  vtepToLeaf: Map<number, number>,
  vmIndexByAddress: Map<number, number>,
  opaqueIndex: (a: number) => number,
): FabricNextHop {
  const remote = vtepToLeaf.get(via);
  if (remote !== undefined) return { kind: HOP_VTEP, target: remote, address: via, weight };
  const vm = vmIndexByAddress.get(via);
  if (vm !== undefined) {
    const spec: VmSpec = topology.vms[vm]!;
    // A VM is directly reachable only from its own leaf; elsewhere its address is just another next-hop.
    if (spec.leaf === leaf.name) return { kind: HOP_VM, target: vm, address: via, weight };
  }
  return { kind: HOP_OPAQUE, target: opaqueIndex(via), address: via, weight };
}

/** The table for a leaf's VRF. */
export function tableOf(fabric: Fabric, leaf: number, vrf: number): Lpm {
  return fabric.tables[leaf * fabric.vrfNames.length + vrf]!;
}

/** A next-hop's display name: the VTEP's leaf, the VM, or the address. */
export function hopName(fabric: Fabric, hop: FabricNextHop): string {
  if (hop.kind === HOP_VTEP) return fabric.leafNames[hop.target]!;
  if (hop.kind === HOP_VM) return fabric.vmNames[hop.target]!;
  if (hop.kind === HOP_SPINE) return fabric.underlay.spineNames[hop.target]!;
  return formatIpv4(hop.address);
}

export function routePrefix(route: FabricRoute): string {
  return formatPrefix(route.prefix, route.length);
}
