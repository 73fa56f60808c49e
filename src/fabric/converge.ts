// Control-plane convergence: EBGP multipath from VMs, EVPN type-5 between leaves, static routes → per-leaf VRF FIBs.

import { makeHasher, makeHasher6, makeTunnelHasher, readsInnerHeaders, type FlowHasher, type FlowHasher6, type HashField6, type HashSpec, type TunnelHasher } from '../hash/index.js';
import { Lpm } from '../fib/lpm.js';
import { Lpm6 } from '../fib/lpm6.js';
import { NextHopGroup } from '../fib/group.js';
import { UsageError } from '../errors.js';
import { addressText, hashSpec4, prefixText, type LeafSpec, type Topology } from './topology.js';
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
  /** the address the route names: the VTEP, the VM's address, or the opaque next-hop (0 when it is IPv6) */
  address: number;
  /** that address when it is IPv6 */
  address6?: Uint32Array;
  weight: number;
}

export interface FabricRoute {
  id: number;
  leaf: number;
  vrf: number;
  /** 6: the prefix is `prefix6` and the route is in `tables6`; 4: `prefix`, in `tables` */
  family: 4 | 6;
  prefix: number;
  prefix6?: Uint32Array;
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
  /** the prefix when it is IPv6 (a type-5 route carries either family; its gateway/next hop is the VTEP) */
  prefix6?: Uint32Array;
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
  /** per leaf, the hasher of IPv6 flows (makeHasher6 of the leaf's hash spec) */
  hashers6: FlowHasher6[];
  /** true when some leaf's IPv6 hasher reads the flow label, so that flows differing in it only may part */
  readsFlowLabel: boolean;
  /**
   * per leaf: its IPv6 hash takes the fixed header's next header as the protocol (linux-l3, policy 0, as
   * ip6_multipath_l3_keys), where every other reads the upper layer's past extension headers
   */
  hashesNextHeader: boolean[];
  /**
   * true when some leaf hashes inner headers (linux-l3-inner, linux-custom with an inner-* field): only then are
   * tunnelled client frames (IP-in-IP, IPv6-in-IP, GRE) dissected and keyed by their inner flow (tunnel-key.ts)
   */
  readsInner: boolean;
  /** per leaf, the hasher of a tunnelled packet's Dissected (policy 2 or 3), null for other algorithms */
  tunnelHashers: (TunnelHasher | null)[];
  routes: FabricRoute[];
  /** index leaf * vrfCount + vrf → route ids by longest prefix */
  tables: Lpm[];
  /** the same for IPv6 routes */
  tables6: Lpm6[];
  /** the opaque next-hops' addresses (0 for an IPv6 one: see opaque6) */
  opaque: number[];
  /** per opaque next-hop, its IPv6 address, or undefined for an IPv4 one */
  opaque6: (Uint32Array | undefined)[];
  evpn: EvpnRoute[];
  ingressLeaf: number;
  ingressVrf: number;
  /** IPv4 VTEP → leaf index (leaves with an IPv6 VTEP are in vtep6Table instead) */
  vtepToLeaf: Map<number, number>;
  /** IPv6 VTEPs as /128s → leaf index: "is this destination a known IPv6 VTEP" without allocating */
  vtep6Table: Lpm6;
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
  // Addresses of either family as keys: IPv4 as its number, IPv6 as its text (cold path).
  const vmIndexByAddress = new Map<number | string, number>(topology.vms.map((v, i) => [addressKey(v.address, v.address6), i]));
  const vtepToLeaf = new Map<number, number>();
  const vtep6Table = new Lpm6();
  const leafByVtep = new Map<number | string, number>();
  topology.leaves.forEach((l, i) => {
    if (l.vtep6 !== undefined) vtep6Table.insert(l.vtep6, 128, i);
    else vtepToLeaf.set(l.vtep, i);
    leafByVtep.set(addressKey(l.vtep, l.vtep6), i);
  });
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
  const tables6: Lpm6[] = [];
  const opaque: number[] = [];
  const opaque6: (Uint32Array | undefined)[] = [];
  const opaqueKeys: (number | string)[] = [];
  const evpn: EvpnRoute[] = [];

  // EBGP: each leaf's multipath set per (vrf, prefix), best (lowest) neighbour address first, up to maximum-paths.
  interface Announced {
    leaf: number;
    vrf: number;
    prefix: number;
    prefix6?: Uint32Array;
    length: number;
    vms: number[];
  }
  const ebgp = new Map<string, Announced>(); // key leaf|vrf|prefix text → the VMs announcing it
  topology.vms.forEach((vm, i) => {
    if (failedVms.has(i)) return;
    const leaf = leafIndex.get(vm.leaf)!;
    const vrf = vrfIndex.get(vm.vrf)!;
    for (const a of vm.announce) {
      const key = `${leaf}|${vrf}|${prefixText(a.prefix, a.prefix6, a.length)}`;
      let entry = ebgp.get(key);
      if (entry === undefined) {
        entry = { leaf, vrf, prefix: a.prefix, length: a.length, vms: [] };
        if (a.prefix6 !== undefined) entry.prefix6 = a.prefix6;
        ebgp.set(key, entry);
      }
      entry.vms.push(i);
    }
  });
  for (const entry of ebgp.values()) {
    const leaf = topology.leaves[entry.leaf]!;
    const vms = topology.vms;
    entry.vms = multipathSet(entry.vms, leaf, (i) => vms[i]!.asn, (i) => vms[i]!.routerId, (i) => addressOrder(vms[i]!.address, vms[i]!.address6));
  }
  for (const e of ebgp.values()) {
    const route: EvpnRoute = { leaf: e.leaf, vrf: e.vrf, prefix: e.prefix, length: e.length, paths: e.vms.length };
    if (e.prefix6 !== undefined) route.prefix6 = e.prefix6;
    evpn.push(route);
  }
  const vtepOrder = (leaf: number): number | bigint => addressOrder(topology.leaves[leaf]!.vtep, topology.leaves[leaf]!.vtep6);
  evpn.sort((a, b) => a.vrf - b.vrf || compareOrder(addressOrder(a.prefix, a.prefix6), addressOrder(b.prefix, b.prefix6)) || a.length - b.length || compareOrder(vtepOrder(a.leaf), vtepOrder(b.leaf)));

  const opaqueIndex = (address: number, address6: Uint32Array | undefined): number => {
    const key = addressKey(address, address6);
    let i = opaqueKeys.indexOf(key);
    if (i < 0) {
      i = opaqueKeys.push(key) - 1;
      opaque.push(address6 === undefined ? address : 0);
      opaque6.push(address6);
    }
    return i;
  };
  const hopTo = (kind: HopKind, target: number, address: number, address6: Uint32Array | undefined, weight: number): FabricNextHop => {
    const hop: FabricNextHop = { kind, target, address, weight };
    if (address6 !== undefined) hop.address6 = address6;
    return hop;
  };
  const staticHop = (leaf: LeafSpec, via: number, via6: Uint32Array | undefined, weight: number): FabricNextHop => {
    const key = addressKey(via, via6);
    const remote = leafByVtep.get(key);
    if (remote !== undefined) return hopTo(HOP_VTEP, remote, via, via6, weight);
    const vm = vmIndexByAddress.get(key);
    // A VM is directly reachable only from its own leaf; elsewhere its address is just another next-hop.
    if (vm !== undefined && topology.vms[vm]!.leaf === leaf.name) return hopTo(HOP_VM, vm, via, via6, weight);
    return hopTo(HOP_OPAQUE, opaqueIndex(via, via6), via, via6, weight);
  };

  topology.leaves.forEach((leaf, li) => {
    for (let vi = 0; vi < vrfCount; vi++) {
      const lpm = new Lpm();
      const lpm6 = new Lpm6();
      tables[li * vrfCount + vi] = lpm;
      tables6[li * vrfCount + vi] = lpm6;
      if (failedLeaves.has(li)) continue;
      const installed = new Set<string>();
      const install = (prefix: number, prefix6: Uint32Array | undefined, length: number, source: RouteSource, nextHops: FabricNextHop[]): void => {
        const k = prefixText(prefix, prefix6, length);
        if (installed.has(k) || nextHops.length === 0) return; // an earlier (preferred) source already has it
        installed.add(k);
        const id = routes.length;
        let group: NextHopGroup | undefined;
        const prev = options.previous?.routes.find((r) => r.leaf === li && r.vrf === vi && r.prefix === prefix && r.length === length && r.source === source && sameWords(r.prefix6, prefix6));
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
        const route: FabricRoute = { id, leaf: li, vrf: vi, family: prefix6 === undefined ? 4 : 6, prefix, length, source, nextHops, group };
        if (prefix6 !== undefined) {
          route.prefix6 = prefix6;
          lpm6.insert(prefix6, length, id);
        } else lpm.insert(prefix, length, id);
        routes.push(route);
      };

      if (vi === underlayVrf) {
        for (const r of underlayRoutes(topology, li, failedLeaves, failedUnderlay)) {
          install(r.prefix, undefined, r.length, 'underlay', r.spines.map((s) => ({ kind: HOP_SPINE, target: s, address: topology.spines![s]!.address, weight: 1 })));
        }
        continue;
      }
      // Preference: static (distance 1) over EBGP (20) over EVPN-learned (iBGP-like, 200).
      for (const r of leaf.routes) {
        if (vrfIndex.get(r.vrf) !== vi) continue;
        install(r.prefix, r.prefix6, r.length, 'static', r.nextHops.map((h) => staticHop(leaf, h.via, h.via6, h.weight)));
      }
      for (const e of ebgp.values()) {
        if (e.leaf !== li || e.vrf !== vi) continue;
        install(e.prefix, e.prefix6, e.length, 'ebgp', e.vms.map((vm) => hopTo(HOP_VM, vm, topology.vms[vm]!.address, topology.vms[vm]!.address6, 1)));
      }
      // EVPN: one next-hop per remote VTEP originating the prefix, best (lowest) VTEP first, up to maximum-paths.
      const byPrefix = new Map<string, { route: EvpnRoute; hops: FabricNextHop[] }>();
      const vrfName = topology.vrfs[vi]!.name;
      for (const e of evpn) {
        if (e.vrf !== vi || e.leaf === li) continue;
        if (!importsFrom(leaf, topology.leaves[e.leaf]!, vrfName)) continue;
        const k = prefixText(e.prefix, e.prefix6, e.length);
        const entry = byPrefix.get(k) ?? { route: e, hops: [] };
        const weight = topology.weighting === 'paths' ? e.paths : 1;
        const origin = topology.leaves[e.leaf]!;
        entry.hops.push(hopTo(HOP_VTEP, e.leaf, origin.vtep, origin.vtep6, weight));
        byPrefix.set(k, entry);
      }
      for (const { route, hops } of byPrefix.values()) {
        // A type-5 path's neighbour AS is its originating leaf's (leaves peer directly); its router-id the VTEP
        // (an IPv6 VTEP's leaf has no 32-bit id in the file: the neighbour address alone decides, as for VMs).
        const origin = (h: FabricNextHop): LeafSpec => topology.leaves[h.target]!;
        const order = (h: FabricNextHop): number | bigint => addressOrder(h.address, h.address6);
        const kept = multipathSet(hops, leaf, (h) => origin(h).asn, (h) => (h.address6 === undefined ? h.address : undefined), order);
        install(route.prefix, route.prefix6, route.length, 'evpn', kept);
      }
    }
  });

  return {
    topology,
    leafNames: topology.leaves.map((l) => l.name),
    vmNames: topology.vms.map((v) => v.name),
    vrfNames: [...topology.vrfs.map((v) => v.name), ...(underlayVrf >= 0 ? [UNDERLAY_VRF] : [])],
    hashers: topology.leaves.map((l) => makeHasher(hashSpec4(l.hash))),
    hashers6: topology.leaves.map((l) => makeHasher6({ algorithm: l.hash.algorithm, seed: l.hash.seed, fields: l.hash.fields as readonly HashField6[] })),
    readsFlowLabel: topology.leaves.some((l) => hashReadsFlowLabel(l.hash)),
    hashesNextHeader: topology.leaves.map((l) => l.hash.algorithm === 'linux-l3'),
    readsInner: topology.leaves.some((l) => readsInnerHeaders(l.hash)),
    tunnelHashers: topology.leaves.map((l) => makeTunnelHasher(l.hash)),
    routes,
    tables,
    tables6,
    opaque,
    opaque6,
    evpn,
    ingressLeaf: leafIndex.get(topology.ingress.leaf)!,
    ingressVrf: vrfIndex.get(topology.ingress.vrf)!,
    vtepToLeaf,
    vtep6Table,
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
export function multipathSet<T>(paths: readonly T[], leaf: LeafSpec, asOf: (p: T) => number, routerIdOf: (p: T) => number | undefined, addressOf: (p: T) => number | bigint): T[] {
  if (paths.length === 0) return [];
  // Router-ids are compared only when every path's is known; otherwise the neighbour address alone decides.
  const byId = paths.every((p) => routerIdOf(p) !== undefined);
  const best = paths.reduce((a, b) => {
    const d = (byId ? routerIdOf(b)! - routerIdOf(a)! : 0) || compareOrder(addressOf(b), addressOf(a));
    return d < 0 ? b : a;
  });
  const rest = paths
    .filter((p) => p !== best && (leaf.multipathRelax !== false || asOf(p) === asOf(best)))
    .sort((a, b) => compareOrder(addressOf(a), addressOf(b)));
  return [best, ...rest.slice(0, Math.max(0, leaf.maximumPaths - 1))].sort((a, b) => compareOrder(addressOf(a), addressOf(b)));
}

/**
 * An address's place in BGP's "lowest neighbour address" order: IPv4 as its number, IPv6 after every IPv4 address,
 * as a bigint (2^32 + the 128-bit value), so both families sort in one list.
 */
export function addressOrder(v4: number, v6?: ArrayLike<number>): number | bigint {
  if (v6 === undefined) return v4;
  let n = 0n;
  for (let i = 0; i < 4; i++) n = (n << 32n) | BigInt(v6[i]! >>> 0);
  return (1n << 32n) + n;
}

function compareOrder(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameWords(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A key for maps over addresses of either family. */
function addressKey(v4: number, v6: ArrayLike<number> | undefined): number | string {
  return v6 === undefined ? v4 : addressText(0, v6);
}

/**
 * Whether a leaf's IPv6 hasher reads the flow label: policy 0 (linux-l3) and policy 2 (linux-l3-inner, which hashes
 * an untunnelled packet's addresses, flow label and protocol) always do; linux-custom and the non-Linux algorithms
 * when `flowlabel` is among the fields; policy 1 (linux-l4) never.
 */
export function hashReadsFlowLabel(spec: HashSpec): boolean {
  if (spec.algorithm === 'linux-l3' || spec.algorithm === 'linux-l3-inner') return true;
  if (spec.algorithm === 'linux-l4') return false;
  return spec.fields.includes('flowlabel');
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

/** The table for a leaf's VRF. */
export function tableOf(fabric: Fabric, leaf: number, vrf: number): Lpm {
  return fabric.tables[leaf * fabric.vrfNames.length + vrf]!;
}

/** The IPv6 table for a leaf's VRF. */
export function tableOf6(fabric: Fabric, leaf: number, vrf: number): Lpm6 {
  return fabric.tables6[leaf * fabric.vrfNames.length + vrf]!;
}

/** A next-hop's display name: the VTEP's leaf, the VM, or the address (IPv6 in RFC 5952 form). */
export function hopName(fabric: Fabric, hop: FabricNextHop): string {
  if (hop.kind === HOP_VTEP) return fabric.leafNames[hop.target]!;
  if (hop.kind === HOP_VM) return fabric.vmNames[hop.target]!;
  if (hop.kind === HOP_SPINE) return fabric.underlay.spineNames[hop.target]!;
  return hopAddress(hop);
}

/** The address a next-hop names, as `ip route` prints it. */
export function hopAddress(hop: FabricNextHop): string {
  return addressText(hop.address, hop.address6);
}

/** An opaque next-hop's address as text. */
export function opaqueName(fabric: Fabric, index: number): string {
  return addressText(fabric.opaque[index]!, fabric.opaque6[index]);
}

export function routePrefix(route: FabricRoute): string {
  return prefixText(route.prefix, route.prefix6, route.length);
}
