// From the engine's per-flow results and the fabric to the SPEC §5 report: spread per VTEP and VM, stage fairness,
// warnings.

import { HOP_OPAQUE, HOP_VM, HOP_VTEP, hopName, opaqueName, routePrefix, tableOf, type Fabric, type FabricRoute } from '../fabric/converge.js';
import { vmAddressText, vtepText } from '../fabric/topology.js';
import { TunnelDissection } from '../wire/tunnel.js';
import { isTunnelKey, tunnelOf } from '../engine/tunnel-key.js';
import { u32Words } from '../engine/path.js';
import { FlowTable, MAX_STAGES } from '../engine/flowtable.js';
import type { PathColumns } from '../engine/paths.js';
import { AddressTable } from '../engine/addrs.js';
import { P_THRESHOLD, polarizationVerdict, sharesUnequal, stageFails, summarizeStage } from '../stats/fairness.js';
import type { OpaqueRow, Report, StageRow, VmRow, VtepRow, Warning } from '../stats/types.js';
import type { Engine } from '../engine/engine.js';
import { DECODED_LINKTYPES, linkTypeDecoded } from '../wire/decode.js';
import { unroutedDestinations } from './unrouted.js';
import { addUnderlayExpectation, isUnderlayRoute, linkRows, linkSlots, spreadOverRoute, underlayStageWarnings } from './links.js';

/** Analytic destination of a flow: probability per VTEP, VM and opaque hop, from the weights alone. */
interface Expectation {
  vtep: Float64Array;
  vm: Float64Array;
  other: Float64Array;
  /** per underlay link (links.ts linkSlots), with spines */
  link: Float64Array;
}

/** Hashes that spread by a linear map over GF(2): another seed cannot decorrelate two stages. */
const LINEAR = new Set(['crc32', 'crc16', 'xor', 'toeplitz']);

export function buildReport(engine: Engine): Report {
  return reportFromFlows(engine.fabric, engine.flows, engine.paths, engine.packets, engine.bytes, engine.skippedByReason(), engine.addrs);
}

/**
 * A destination as the report keys it: an IPv4 address as itself, an IPv6 flow's destination as 2^32 + its address
 * id (the flow table holds ids for IPv6 flows, see engine/addrs.ts).
 */
const V6_KEYS = 4294967296;
function dstKey(meta: number, dst: number): number {
  return FlowTable.isIpv6(meta) ? V6_KEYS + dst : dst;
}

/** The IPv6 words of destination keys, read back for lookups (one array: the report is not the hot path). */
const keyWords = new Uint32Array(4);

/** The route a destination key takes at (leaf, vrf): the IPv4 table, or the IPv6 one for an IPv6 key; -1 none. */
function lookupKey(fabric: Fabric, addrs: AddressTable, leaf: number, vrf: number, key: number): number {
  if (key < V6_KEYS) return tableOf(fabric, leaf, vrf).lookup(key);
  // a tunnelled flow's outer destination may be IPv4 (engine/tunnel-key.ts)
  if (addrs.isIpv4(key - V6_KEYS)) return tableOf(fabric, leaf, vrf).lookup(addrs.word(key - V6_KEYS, 0) >>> 0);
  const w = addrs.wordsOf(key - V6_KEYS, keyWords);
  return fabric.tables6[leaf * fabric.vrfNames.length + vrf]!.lookup(w[0]!, w[1]!, w[2]!, w[3]!);
}

/** What reading a capture adds to its report (CaptureReader has these). */
export interface CaptureFindings {
  /** records not handed out, by reason: not frames, so not in `packets` */
  readonly skipped: Record<string, number>;
  readonly recordsByLinkType: ReadonlyMap<number, number>;
  readonly stopped?: { readonly message: string };
}

/**
 * Adds a capture's findings to its report: the reader's skip reasons next to the engine's, and a warning per link
 * type the decoder does not read (with its number) and for reading that stopped before the end of the file.
 */
export function addCaptureFindings(report: Report, capture: CaptureFindings): Report {
  for (const [reason, n] of Object.entries(capture.skipped)) report.skipped[reason] = (report.skipped[reason] ?? 0) + n;
  for (const [linkType, n] of [...capture.recordsByLinkType].sort((a, b) => a[0] - b[0])) {
    if (n === 0 || linkTypeDecoded(linkType)) continue;
    report.warnings.push({
      kind: 'unsupported-linktype',
      node: 'capture',
      message: `${n} frame${n === 1 ? '' : 's'} of link type ${linkType} skipped (unsupported-linktype): ecmp-emu decodes link types ${DECODED_LINKTYPES.join(', ')}`,
    });
  }
  if (capture.stopped) {
    report.warnings.push({
      kind: 'capture-stopped',
      node: 'capture',
      message: `${capture.stopped.message}: reading stopped there, where libpcap stops too; the report covers the ${report.packets} frames before it`,
    });
  }
  return report;
}

/** What an sFlow input adds (capture/sflow.ts's SflowFeeder has these). */
export interface SampledFindings {
  skipped(): Record<string, number>;
  estimateNote(): string;
}

/** Adds an sFlow input's unusable datagrams and samples (by reason) and the warning that the figures are estimates. */
export function addSampledFindings(report: Report, sampled: SampledFindings): Report {
  for (const [reason, n] of Object.entries(sampled.skipped())) report.skipped[reason] = (report.skipped[reason] ?? 0) + n;
  report.warnings.unshift({ kind: 'estimated', node: 'sflow', message: sampled.estimateNote() });
  return report;
}

/** What the report needs of the flows, summed per path (flows share paths), and the flows per expectation context. */
interface Tally {
  forwarded: number;
  /** per path id: forwarded flows, their packets and bytes */
  flows: Float64Array;
  packets: Float64Array;
  bytes: Float64Array;
  /** forwarded flows by destination, then by context: entry (leaf, VRF) and the VTEP it arrived at */
  contexts: Map<number, Map<number, number>>;
}

/** Where a flow on `path` arrived as VXLAN (its VTEP is its first stage's leaf), else -1. */
function arrivedOf(fabric: Fabric, paths: PathColumns, path: number): number {
  const vt = paths.vtep[path]!;
  return vt >= 0 && paths.stageCount[path]! > 0 && fabric.routes[paths.stageRoute[path * MAX_STAGES]!]!.leaf === vt ? vt : -1;
}

/** One walk of the flow table in its own order: every sum here is of integers, so the order does not matter. */
function tally(fabric: Fabric, flows: FlowTable, paths: PathColumns): Tally {
  const n = paths.reason.length;
  const t: Tally = { forwarded: 0, flows: new Float64Array(n), packets: new Float64Array(n), bytes: new Float64Array(n), contexts: new Map() };
  const arrived = Int32Array.from({ length: n }, (_, path) => arrivedOf(fabric, paths, path));
  // Runs of flows with one (destination, context) are counted here and added to the maps when the run ends: most
  // traffic goes to few services from one entry, and two map updates per flow were most of this walk's time.
  let runKey = -1;
  let runContext = -1;
  let run = 0;
  const flush = (): void => {
    if (run === 0) return;
    let byContext = t.contexts.get(runKey);
    if (byContext === undefined) t.contexts.set(runKey, (byContext = new Map()));
    byContext.set(runContext, (byContext.get(runContext) ?? 0) + run);
    run = 0;
  };
  flows.scan((_f, _src, dst, _ports, meta, path, packets, bytes) => {
    if (paths.reason[path] !== 0) return;
    t.forwarded++;
    t.flows[path]!++;
    t.packets[path]! += packets;
    t.bytes[path]! += bytes;
    // entry leaf and VRF (meta's upper 24 bits), then the VTEP it arrived at + 1: exact in a double
    const context = (meta >>> 8) * 8192 + arrived[path]! + 1;
    const key = dstKey(meta, dst);
    if (key !== runKey || context !== runContext) {
      flush();
      runKey = key;
      runContext = context;
    }
    run++;
  });
  flush();
  return t;
}

/** Every (destination, context) with its flow count, destinations and contexts ascending: a fixed order to sum in. */
function contextsInOrder(t: Tally): Array<{ dst: number; leaf: number; vrf: number; arrived: number; count: number }> {
  const out: Array<{ dst: number; leaf: number; vrf: number; arrived: number; count: number }> = [];
  for (const dst of [...t.contexts.keys()].sort((a, b) => a - b)) {
    const byContext = t.contexts.get(dst)!;
    for (const context of [...byContext.keys()].sort((a, b) => a - b)) {
      const meta = Math.floor(context / 8192) * 256;
      out.push({ dst, leaf: FlowTable.entryLeaf(meta), vrf: FlowTable.entryVrf(meta), arrived: (context % 8192) - 1, count: byContext.get(context)! });
    }
  }
  return out;
}

/** `addrs`: the engine's IPv6 addresses (Engine.addrs), which IPv6 flows' src and dst ids name. */
export function reportFromFlows(fabric: Fabric, flows: FlowTable, paths: PathColumns, packets: number, bytes: number, skipped: Record<string, number>, addrs = new AddressTable()): Report {
  const leaves = fabric.topology.leaves;
  const vms = fabric.topology.vms;
  const nLeaf = leaves.length;
  const nVm = vms.length;
  const nOther = fabric.opaque.length;
  const vtepFlows = new Float64Array(nLeaf), vtepPackets = new Float64Array(nLeaf), vtepBytes = new Float64Array(nLeaf);
  const vmFlows = new Float64Array(nVm), vmPackets = new Float64Array(nVm), vmBytes = new Float64Array(nVm);
  const otherFlows = new Float64Array(nOther), otherPackets = new Float64Array(nOther), otherBytes = new Float64Array(nOther);
  const otherNode = new Int32Array(nOther).fill(-1);
  const expected: Expectation = { vtep: new Float64Array(nLeaf), vm: new Float64Array(nVm), other: new Float64Array(nOther), link: new Float64Array(linkSlots(fabric)) };
  const memo = new Map<string, Expectation>();
  // Per route: flows observed per member, and the leaf that most often handed flows to it.
  const observed = new Map<number, Float64Array>();
  const upstream = new Map<number, Map<number, number>>();
  const t = tally(fabric, flows, paths);
  const forwarded = t.forwarded;

  for (let path = 0; path < paths.count; path++) {
    const n = t.flows[path]!;
    if (n === 0) continue;
    const p = t.packets[path]!;
    const b = t.bytes[path]!;
    const vt = paths.vtep[path]!;
    const vm = paths.vm[path]!;
    const ot = paths.other[path]!;
    if (vt >= 0) ((vtepFlows[vt]! += n), (vtepPackets[vt]! += p), (vtepBytes[vt]! += b));
    if (vm >= 0) ((vmFlows[vm]! += n), (vmPackets[vm]! += p), (vmBytes[vm]! += b));
    if (ot >= 0) ((otherFlows[ot]! += n), (otherPackets[ot]! += p), (otherBytes[ot]! += b));
    const stages = paths.stageCount[path]!;
    const base = path * MAX_STAGES;
    for (let s = 0; s < stages; s++) {
      const route = paths.stageRoute[base + s]!;
      const member = paths.stageMember[base + s]!;
      let counts = observed.get(route);
      if (!counts) observed.set(route, (counts = new Float64Array(fabric.routes[route]!.nextHops.length)));
      counts[member]! += n;
      if (s > 0) {
        const up = fabric.routes[paths.stageRoute[base + s - 1]!]!.leaf;
        const m = upstream.get(route) ?? new Map<number, number>();
        m.set(up, (m.get(up) ?? 0) + n);
        upstream.set(route, m);
      }
      if (ot >= 0 && s === stages - 1) otherNode[ot] = fabric.routes[route]!.leaf;
    }
  }
  for (const c of contextsInOrder(t)) {
    const e = expectationOf(fabric, addrs, c.leaf, c.vrf, c.dst, c.arrived, memo);
    addInto(expected.vtep, e.vtep, c.count);
    addInto(expected.vm, e.vm, c.count);
    addInto(expected.other, e.other, c.count);
    addInto(expected.link, e.link, c.count);
  }
  const share = (n: number): number => (forwarded > 0 ? n / forwarded : 0);
  const exp = (n: number): number => (forwarded > 0 ? n / forwarded : 0);

  const vteps: VtepRow[] = [];
  leaves.forEach((leaf, i) => {
    if (vtepFlows[i]! === 0 && expected.vtep[i]! === 0) return;
    vteps.push({ name: leaf.name, address: vtepText(leaf), flows: vtepFlows[i]!, packets: vtepPackets[i]!, bytes: vtepBytes[i]!, share: share(vtepFlows[i]!), expected: exp(expected.vtep[i]!) });
  });
  const vmRows: VmRow[] = vms.map((vm, i) => ({
    name: vm.name, leaf: vm.leaf, address: vmAddressText(vm), flows: vmFlows[i]!, packets: vmPackets[i]!, bytes: vmBytes[i]!, share: share(vmFlows[i]!), expected: exp(expected.vm[i]!),
  }));
  const others: OpaqueRow[] = [];
  fabric.opaque.forEach((_address, i) => {
    if (otherFlows[i]! === 0) return;
    others.push({ node: otherNode[i]! >= 0 ? fabric.leafNames[otherNode[i]!]! : '', address: opaqueName(fabric, i), flows: otherFlows[i]!, packets: otherPackets[i]!, bytes: otherBytes[i]!, share: share(otherFlows[i]!) });
  });

  const { stages, warnings } = stageRows(fabric, addrs, flows, paths, observed, upstream);
  warnings.push(...unequalShareWarnings(fabric, addrs, contextsInOrder(t), memo));
  const links = linkRows(fabric, paths, t.flows, t.packets, t.bytes, expected.link, forwarded);

  return {
    packets,
    bytes,
    flows: forwarded,
    skipped,
    vteps,
    vms: vmRows,
    others,
    stages,
    unrouted: unroutedDestinations(flows, paths, undefined, addrs),
    warnings,
    ...(links ? { links } : {}),
  };
}

/** A row per route with two or more live next-hops that flows crossed, with its polarization and imbalance warnings. */
function stageRows(fabric: Fabric, addrs: AddressTable, flows: FlowTable, paths: PathColumns, observed: Map<number, Float64Array>, upstream: Map<number, Map<number, number>>): { stages: StageRow[]; warnings: Warning[] } {
  const stages: StageRow[] = [];
  const warnings: Warning[] = [];
  const routeIds = [...observed.keys()].sort((a, b) => a - b);
  for (const id of routeIds) {
    const route = fabric.routes[id]!;
    const live = route.nextHops.filter((_, m) => route.group.isLive(m)).length;
    if (live < 2) continue;
    const counts = [...observed.get(id)!];
    const shares = route.group.expectedShares();
    const row: StageRow = summarizeStage(
      fabric.leafNames[route.leaf]!,
      fabric.vrfNames[route.vrf]!,
      routePrefix(route),
      route.nextHops.map((hop, m) => ({ name: hopName(fabric, hop), flows: counts[m]!, weight: shares[m]! })),
    );
    stages.push(row);
    if (isUnderlayRoute(fabric, route)) {
      warnings.push(...underlayStageWarnings(fabric, flows, paths, route, row, counts, imbalanceMessage(row)));
      continue;
    }
    const ups = upstream.get(id);
    // Polarized means this stage fails while the baseline (every flow rehashed here: a walk of the whole table, a
    // hash and a lookup per flow, ~1/8 of a 2M-new-flow replay) does not: a stage that does not fail needs none.
    if (ups && ups.size > 0 && stageFails(row.chiSquareP, row.maxOverMean)) {
      const baseline = baselineCounts(fabric, addrs, flows, paths, route);
      if (polarizationVerdict(counts, baseline, shares).polarized) {
        const up = [...ups.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
        warnings.push({ kind: 'polarization', node: row.node, message: polarizationMessage(fabric, route, up, row) });
      }
    }
    if (row.chiSquareP < P_THRESHOLD) warnings.push({ kind: 'imbalance', node: row.node, message: imbalanceMessage(row) });
  }
  return { stages, warnings };
}

function imbalanceMessage(row: StageRow): string {
  return `${row.node} spreads ${row.prefix} (vrf ${row.vrf}) unlike its weights: chi-square p ${row.chiSquareP === 0 ? '< 1e-300' : `= ${row.chiSquareP.toExponential(1)}`}, max/mean ${row.maxOverMean.toFixed(2)} over ${row.flows} flows`;
}

function addInto(into: Float64Array, from: Float64Array, times: number): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]! * times;
}

/**
 * Where a flow to `dst` entering at (leaf, vrf) goes if every stage spreads exactly as its weights say.
 * `arrived` >= 0: the flow came in as VXLAN to that leaf, which is then its VTEP.
 */
function expectationOf(fabric: Fabric, addrs: AddressTable, leaf: number, vrf: number, dst: number, arrived: number, memo: Map<string, Expectation>): Expectation {
  const key = `${leaf}|${vrf}|${dst}|${arrived}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const e: Expectation = {
    vtep: new Float64Array(fabric.leafNames.length),
    vm: new Float64Array(fabric.vmNames.length),
    other: new Float64Array(fabric.opaque.length),
    link: new Float64Array(linkSlots(fabric)),
  };
  const walk = (at: number, p: number, depth: number, vtepChosen: boolean): void => {
    if (depth >= MAX_STAGES) return;
    spreadOverRoute(fabric, lookupKey(fabric, addrs, at, vrf, dst), p, (hop, q) => {
      if (hop.kind === HOP_VTEP) {
        if (!vtepChosen) e.vtep[hop.target]! += q;
        addUnderlayExpectation(fabric, at, hop.target, q, e.link);
        walk(hop.target, q, depth + 1, true);
      } else if (hop.kind === HOP_VM) e.vm[hop.target]! += q;
      else if (hop.kind === HOP_OPAQUE) e.other[hop.target]! += q;
    });
  };
  if (arrived >= 0) e.vtep[arrived] = 1;
  walk(leaf, 1, 0, arrived >= 0);
  memo.set(key, e);
  return e;
}

/** The stage's spread had every forwarded flow to its prefix reached it: the counterfactual polarization compares against. */
function baselineCounts(fabric: Fabric, addrs: AddressTable, flows: FlowTable, paths: PathColumns, route: FabricRoute): number[] {
  const counts = new Array<number>(route.nextHops.length).fill(0);
  const hasher = fabric.hashers[route.leaf]!;
  const hasher6 = fabric.hashers6[route.leaf]!;
  const v6 = route.family === 6;
  const l3 = fabric.hashesNextHeader[route.leaf]!;
  const src6 = new Uint32Array(4);
  const dst6 = new Uint32Array(4);
  const tunnelHasher = fabric.tunnelHashers[route.leaf]!;
  const tunnel = new TunnelDissection();
  flows.scan((_f, src, dst, ports, meta, path) => {
    if (paths.reason[path] !== 0 || FlowTable.entryVrf(meta) !== route.vrf) return;
    if (isTunnelKey(addrs, src, meta)) {
      // a tunnelled flow: by its outer family; the leaf's policy 2/3 hasher over its Dissected, else its outer header
      const d = tunnelOf(addrs, src, dst, ports, meta, tunnel);
      if ((d.outer.addrType === 6) !== v6 || lookupKey(fabric, addrs, route.leaf, route.vrf, dstKey(meta, dst)) !== route.id) return;
      const o = d.outer;
      const hash = tunnelHasher !== null ? tunnelHasher(d)
        : v6 ? hasher6(u32Words(o.src, src6), u32Words(o.dst, dst6), l3 ? d.outerNextHeader : o.proto, 0, 0, o.flowLabelWord)
        : hasher(o.src[0]! >>> 0, o.dst[0]! >>> 0, o.proto, 0, 0);
      counts[route.group.select(hash)]!++;
      return;
    }
    if (FlowTable.isIpv6(meta) !== v6) return;
    if (lookupKey(fabric, addrs, route.leaf, route.vrf, dstKey(meta, dst)) !== route.id) return;
    const proto = FlowTable.proto(meta);
    // An IPv6 source's fifth word: its flow label | first next header << 20 (when a hasher reads them; engine.ts).
    const w = v6 ? addrs.labelOf(src) : 0;
    const p6 = l3 && fabric.readsFlowLabel ? w >>> 20 : proto;
    const hash = v6
      ? hasher6(addrs.wordsOf(src, src6), addrs.wordsOf(dst, dst6), p6, FlowTable.sport(ports), FlowTable.dport(ports), w & 0xfffff)
      : hasher(src, dst, proto, FlowTable.sport(ports), FlowTable.dport(ports));
    counts[route.group.select(hash)]!++;
  });
  return counts;
}

function polarizationMessage(fabric: Fabric, route: FabricRoute, upstream: number, row: StageRow): string {
  const a = fabric.topology.leaves[route.leaf]!.hash;
  const b = fabric.topology.leaves[upstream]!.hash;
  const me = fabric.leafNames[route.leaf]!;
  const up = fabric.leafNames[upstream]!;
  const sameFields = a.fields.join(',') === b.fields.join(',');
  const starved = row.nextHops.filter((h) => h.expected > 0 && h.flows === 0).map((h) => h.name);
  const base = `${me} is polarized by ${up}: the flows ${up} sends it spread over ${row.prefix} with max/mean ${row.maxOverMean.toFixed(2)}, far worse than the same traffic would spread over all flows`;
  const starve = starved.length ? `; ${starved.join(', ')} get${starved.length === 1 ? 's' : ''} no flow at all` : '';
  let why: string;
  if (a.algorithm === b.algorithm && a.seed === b.seed && sameFields) {
    why = `; both hash alike (${a.algorithm}, seed ${a.seed}, fields ${a.fields.join(',')}), so ${me} re-splits a slice ${up} already cut by the same hash. Give the leaves distinct seeds or algorithms`;
  } else if (a.algorithm === b.algorithm && sameFields && LINEAR.has(a.algorithm)) {
    why = `; both use ${a.algorithm}, which is linear over GF(2): a different seed only XORs every hash with one constant, so it does not decorrelate the two stages. Use linux-l4 (SipHash) with distinct seeds, or another algorithm at one stage`;
  } else {
    why = `; the two stages' hashes (${up}: ${b.algorithm}, ${me}: ${a.algorithm}) are correlated on this traffic`;
  }
  return base + starve + why;
}

/** SPEC §5 `unequal-share`: VMs serving one prefix expect shares more than 1.5x apart. */
/** `contexts`: the forwarded flows' destinations and where they entered (contextsInOrder). Warnings by route id. */
function unequalShareWarnings(fabric: Fabric, addrs: AddressTable, contexts: ReturnType<typeof contextsInOrder>, memo: Map<string, Expectation>): Warning[] {
  const out: Warning[] = [];
  const routes = new Map<number, number>();
  for (const c of contexts) {
    if (c.leaf !== fabric.ingressLeaf || c.vrf !== fabric.ingressVrf) continue;
    const id = lookupKey(fabric, addrs, fabric.ingressLeaf, fabric.ingressVrf, c.dst);
    if (id >= 0 && !routes.has(id)) routes.set(id, c.dst);
  }
  for (const [id, dst] of [...routes].sort((a, b) => a[0] - b[0])) {
    const e = expectationOf(fabric, addrs, fabric.ingressLeaf, fabric.ingressVrf, dst, -1, memo);
    const serving = [...e.vm].map((p, i) => ({ p, name: fabric.vmNames[i]! })).filter((x) => x.p > 0);
    if (!sharesUnequal(serving.map((x) => x.p))) continue;
    const hi = serving.reduce((a, b) => (b.p > a.p ? b : a));
    const lo = serving.reduce((a, b) => (b.p < a.p ? b : a));
    const route = fabric.routes[id]!;
    const fix = fabric.topology.weighting === 'equal'
      ? ' Set `defaults: { weighting: paths }` so each VTEP is weighted by the VMs behind it (UCMP, as the BGP link-bandwidth community does) and every VM gets an equal share.'
      : '';
    out.push({
      kind: 'unequal-share',
      node: fabric.leafNames[fabric.ingressLeaf]!,
      message: `VMs serving ${routePrefix(route)} expect unequal shares: ${hi.name} ${(hi.p * 100).toFixed(1)}% but ${lo.name} ${(lo.p * 100).toFixed(1)}% (${(hi.p / lo.p).toFixed(1)}x), because ${fabric.leafNames[fabric.ingressLeaf]} weights VTEPs, not VMs.${fix}`,
    });
  }
  return out;
}
