// The underlay in the report (SPEC §5, fabric with spines): `links` (flows, packets, bytes, share, expected per
// leaf→spine uplink, then per spine→leaf downlink that carried or was expected to carry flows), and the warnings of
// an underlay stage, in the user's terms: pinned (the leaf's hash does not read the one outer field that varies,
// the VXLAN source port) and polarized (the source port follows the leaf's choice of VTEP, so one VTEP's flows fall
// on few spines). All from the flow table and the interned paths at report time; nothing per packet.

import { routePrefix, tableOf, type Fabric, type FabricNextHop, type FabricRoute } from '../fabric/converge.js';
import { FlowTable, MAX_STAGES } from '../engine/flowtable.js';
import type { PathColumns } from '../engine/paths.js';
import { outerHash, outerSourcePort } from '../engine/underlay.js';
import { P_THRESHOLD, polarizationVerdict, stageFails } from '../stats/fairness.js';
import type { LinkRow, StageRow, Warning } from '../stats/types.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** Slots of a per-link array: uplinks leaf * spines + spine, then downlinks after them, spine * leaves + leaf. */
export function linkSlots(fabric: Fabric): number {
  return 2 * fabric.leafNames.length * fabric.underlay.spineNames.length;
}

function upSlot(fabric: Fabric, leaf: number, spine: number): number {
  return leaf * fabric.underlay.spineNames.length + spine;
}

function downSlot(fabric: Fabric, spine: number, leaf: number): number {
  const nLeaf = fabric.leafNames.length;
  return nLeaf * fabric.underlay.spineNames.length + spine * nLeaf + leaf;
}

/** Whether route `id` is an underlay route (a leaf's route to a remote VTEP over the spines). */
export function isUnderlayRoute(fabric: Fabric, route: FabricRoute): boolean {
  return fabric.underlay.vrf >= 0 && route.vrf === fabric.underlay.vrf;
}

/**
 * The analytic part of `expected` for links: `p` of the flows leaf `from` tunnels to `to`'s VTEP, split over the
 * spines as `from`'s underlay group promises, added to the uplinks and downlinks they cross.
 */
export function addUnderlayExpectation(fabric: Fabric, from: number, to: number, p: number, into: Float64Array): void {
  if (fabric.underlay.vrf < 0) return;
  spreadOver(fabric, from, fabric.underlay.vrf, fabric.topology.leaves[to]!.vtep >>> 0, p, (hop, q) => {
    into[upSlot(fabric, from, hop.target)]! += q;
    into[downSlot(fabric, hop.target, to)]! += q;
  });
}

/**
 * `p` of the flows to `dst` at (leaf, vrf), split over the route's next-hops as its group promises: `visit` gets
 * each next-hop with a non-zero part. Nothing when the leaf has no route. The report's expected shares walk this.
 */
export function spreadOver(fabric: Fabric, leaf: number, vrf: number, dst: number, p: number, visit: (hop: FabricNextHop, q: number) => void): void {
  spreadOverRoute(fabric, tableOf(fabric, leaf, vrf).lookup(dst), p, visit);
}

/** spreadOver for a route already looked up (an IPv6 destination's, say); nothing for -1. */
export function spreadOverRoute(fabric: Fabric, id: number, p: number, visit: (hop: FabricNextHop, q: number) => void): void {
  if (id < 0) return;
  const route = fabric.routes[id]!;
  const shares = route.group.expectedShares();
  route.nextHops.forEach((hop, m) => {
    const q = p * shares[m]!;
    if (q !== 0) visit(hop, q);
  });
}

/** Observed traffic per link, summed per interned path (flows, packets and bytes per path as report.ts tallies them). */
export function linkRows(fabric: Fabric, paths: PathColumns, flows: Float64Array, packets: Float64Array, bytes: Float64Array, expected: Float64Array, forwarded: number): LinkRow[] | undefined {
  const u = fabric.underlay;
  if (u.vrf < 0) return undefined;
  const n = linkSlots(fabric);
  const f = new Float64Array(n), pk = new Float64Array(n), by = new Float64Array(n);
  for (let path = 0; path < paths.count; path++) {
    if (flows[path]! === 0) continue;
    for (let s = 0; s < paths.stageCount[path]!; s++) {
      const route = fabric.routes[paths.stageRoute[path * MAX_STAGES + s]!]!;
      if (route.vrf !== u.vrf) continue;
      const spine = route.nextHops[paths.stageMember[path * MAX_STAGES + s]!]!.target;
      const to = fabric.vtepToLeaf.get(route.prefix)!;
      for (const slot of [upSlot(fabric, route.leaf, spine), downSlot(fabric, spine, to)]) {
        f[slot]! += flows[path]!;
        pk[slot]! += packets[path]!;
        by[slot]! += bytes[path]!;
      }
    }
  }
  const share = (x: number): number => (forwarded > 0 ? x / forwarded : 0);
  const row = (from: string, to: string, slot: number): LinkRow => ({ from, to, flows: f[slot]!, packets: pk[slot]!, bytes: by[slot]!, share: share(f[slot]!), expected: share(expected[slot]!) });
  const rows: LinkRow[] = [];
  fabric.leafNames.forEach((leaf, l) => {
    if (fabric.failedLeaves.has(l)) return;
    u.spineNames.forEach((spine, s) => {
      if (!u.failed.spines.has(s) && !u.failed.links.has(upSlot(fabric, l, s))) rows.push(row(leaf, spine, upSlot(fabric, l, s)));
    });
  });
  u.spineNames.forEach((spine, s) => {
    fabric.leafNames.forEach((leaf, l) => {
      const slot = downSlot(fabric, s, l);
      if (f[slot]! > 0 || expected[slot]! > 0) rows.push(row(spine, leaf, slot));
    });
  });
  return rows;
}

/** Why a leaf's hash cannot tell the flows of one VTEP pair apart, or null when it reads the source port. */
function pinnedBecause(fabric: Fabric, leaf: number): string | null {
  const h = fabric.topology.leaves[leaf]!.hash;
  const v = fabric.topology.vxlan;
  if (h.algorithm === 'linux-l3' || h.algorithm === 'linux-l3-inner') return `hashes outer addresses only (${h.algorithm})`;
  if (!h.fields.includes('src-port')) return `hashes ${h.fields.join(',')} of the outer header, not the VXLAN source port (${h.algorithm})`;
  if (v.sourcePortHigh - v.sourcePortLow <= 1) return `gives every flow VXLAN source port ${v.sourcePortLow} (source-ports [${v.sourcePortLow}, ${v.sourcePortHigh}])`;
  return null;
}

/**
 * When every flow crossing `route` has one VXLAN source port: the words for it (crc16 and xor repeat their 16-bit
 * value in both halves, and the kernel's `hash ^= hash << 16` then leaves nothing in the top half the scaling reads).
 */
function onePort(fabric: Fabric, flows: FlowTable, paths: PathColumns, route: FabricRoute): string | null {
  const crosses = new Uint8Array(paths.count);
  for (let path = 0; path < paths.count; path++) {
    for (let s = 0; s < paths.stageCount[path]!; s++) if (paths.stageRoute[path * MAX_STAGES + s] === route.id) crosses[path] = 1;
  }
  let port = -1;
  let one = true;
  flows.scan((f, _src, _dst, _ports, _meta, path) => {
    if (!one || paths.reason[path] !== 0 || crosses[path] === 0) return;
    const p = flows.outerSportOf(f);
    if (port < 0) port = p;
    else if (p !== port) one = false;
  });
  if (!one || port < 0) return null;
  const leaf = fabric.topology.leaves[route.leaf]!;
  const from = leaf.sourcePort === 'ecmp-hash'
    ? ` (source-port: ecmp-hash, and ${leaf.hash.algorithm} scaled as Linux scales a source port leaves it one value)`
    : '';
  return `gives every flow the same VXLAN source port ${port}${from}`;
}

/**
 * The warnings of underlay stage `route` (its row already built): `imbalance` in the user's terms when every flow to
 * the VTEP takes one spine because the leaf's hash cannot see the source port, and `polarization` when the stage's
 * spread is far worse than the same traffic would give had every flow the leaf tunnels gone to this VTEP (its source
 * ports follow its choice of VTEP). `generic` is the plain imbalance message, used when neither explains it.
 */
export function underlayStageWarnings(fabric: Fabric, flows: FlowTable, paths: PathColumns, route: FabricRoute, row: StageRow, counts: readonly number[], generic: string): Warning[] {
  const out: Warning[] = [];
  if (row.chiSquareP >= P_THRESHOLD) return out;
  const node = row.node;
  const vtep = formatIpv4(route.prefix);
  const busy = row.nextHops.filter((h) => h.flows > 0);
  const pinned = busy.length === 1 ? (pinnedBecause(fabric, route.leaf) ?? onePort(fabric, flows, paths, route)) : null;
  if (pinned !== null) {
    out.push({
      kind: 'imbalance',
      node,
      message: `${node} ${pinned}: all ${row.flows.toLocaleString('en-US')} flows to ${vtep} take ${busy[0]!.name}. Between two VTEPs only the VXLAN source port varies; hash it (linux-l4, Linux's fib_multipath_hash_policy=1, or a field list with src-port)`,
    });
    return out;
  }
  // The baseline is a walk of the whole table: only a stage that fails can be polarized.
  if (stageFails(row.chiSquareP, row.maxOverMean) && polarizationVerdict(counts, underlayBaseline(fabric, flows, paths, route), route.group.expectedShares()).polarized) {
    const leaf = fabric.topology.leaves[route.leaf]!;
    const spread = `the ${row.flows.toLocaleString('en-US')} flows ${node} tunnels to ${vtep} spread over the spines with max/mean ${row.maxOverMean.toFixed(2)}, far worse than the same traffic would spread over them`;
    const why = leaf.sourcePort === 'ecmp-hash'
      ? `its VXLAN source port is its ECMP hash of the flow (source-port: ecmp-hash), so the flows of one VTEP share a slice of that hash, and ${leaf.hash.algorithm} over the outer header maps that slice onto few spines. Use source-port: independent (Linux's skb hash), or a hash that does not correlate (linux-l4)`
      : `its VXLAN source port correlates with its choice of VTEP on this traffic`;
    out.push({ kind: 'polarization', node, message: `${node}'s choice of spine is polarized by its choice of VTEP (${routePrefix(route)}, vrf underlay): ${spread}; ${why}` });
    return out;
  }
  out.push({ kind: 'imbalance', node, message: generic });
  return out;
}

/**
 * The spread over the spines had every flow the leaf tunnels (to any VTEP) gone to this route's VTEP: each flow's
 * source port and outer hash as the leaf would give them. The counterfactual the polarization test compares with.
 * A flow's source port does not depend on the VTEP it goes to, so where this leaf is the first to tunnel the flow
 * the port the flow table holds is the one (any family, tunnelled or not; with spines no port is deferred, see
 * PathResult.deferSport); a flow the leaf tunnels further on (a
 * static detour) has its port recomputed from its key, which only an IPv4 key allows (an IPv6 or tunnelled
 * flow's key holds address ids): such flows are left out.
 */
function underlayBaseline(fabric: Fabric, flows: FlowTable, paths: PathColumns, route: FabricRoute): number[] {
  const counts = new Array<number>(route.nextHops.length).fill(0);
  const leaf = route.leaf;
  const remote = fabric.vtepToLeaf.get(route.prefix)!;
  // per path: 0 the leaf does not tunnel it, 1 the leaf is its first tunnel (the stored port is the leaf's), 2 later
  const tunnels = new Uint8Array(paths.count);
  for (let path = 0; path < paths.count; path++) {
    let first = true;
    for (let s = 0; s < paths.stageCount[path]!; s++) {
      const r = fabric.routes[paths.stageRoute[path * MAX_STAGES + s]!]!;
      if (!isUnderlayRoute(fabric, r)) continue;
      if (r.leaf === leaf) {
        tunnels[path] = first ? 1 : 2;
        break;
      }
      first = false;
    }
  }
  const hasher = fabric.hashers[leaf]!;
  flows.scan((f, src, dst, ports, meta, path) => {
    if (paths.reason[path] !== 0 || tunnels[path] === 0) return;
    let outerSport: number;
    if (tunnels[path] === 1) outerSport = flows.outerSportOf(f);
    else if (FlowTable.isIpv6(meta)) return;
    else {
      const proto = FlowTable.proto(meta), sport = FlowTable.sport(ports), dport = FlowTable.dport(ports);
      const s = src >>> 0, d = dst >>> 0;
      const ecmp = fabric.underlay.sourcePort[leaf] === null ? hasher(s, d, proto, sport, dport) : 0;
      outerSport = outerSourcePort(fabric, leaf, ecmp, s, d, proto, sport, dport);
    }
    counts[route.group.select(outerHash(fabric, leaf, remote, outerSport))]!++;
  });
  return counts;
}
