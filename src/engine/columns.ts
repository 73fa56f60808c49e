// The engine's per-flow results as columns, listed once: what a worker hands back, what the merge reads, what the
// tests compare.

import { FlowTable, MAX_STAGES, META_IPV6, NEW_FLOW } from './flowtable.js';
import type { PathColumns, PathTable } from './paths.js';
import type { AddressColumns, AddressTable } from './addrs.js';

/**
 * Every per-flow column, in first-seen order. A flow's decision is its path (PATH_COLUMNS); `reason` is its path's,
 * here too because what a report asks of every flow (forwarded or not, to where, how much) is then one row. An
 * IPv6 flow (META_IPV6 in its meta) has address ids of its engine's AddressTable in src and dst.
 */
export const FLOW_COLUMNS = {
  src: Uint32Array,
  dst: Uint32Array,
  ports: Uint32Array,
  meta: Uint32Array,
  packets: Float64Array,
  bytes: Float64Array,
  path: Int32Array,
  reason: Uint8Array,
  outerSport: Uint16Array,
} as const;
/** Every per-path column and its width (values per path). */
export const PATH_COLUMNS = {
  reason: [Uint8Array, 1],
  vtep: [Int32Array, 1],
  vm: [Int32Array, 1],
  other: [Int32Array, 1],
  stageCount: [Uint8Array, 1],
  stageRoute: [Int32Array, MAX_STAGES],
  stageMember: [Int32Array, MAX_STAGES],
} as const;

export type FlowColumnName = keyof typeof FLOW_COLUMNS;
export type PathColumnName = keyof typeof PATH_COLUMNS;
export type FlowColumns = { size: number } & { [K in FlowColumnName]: InstanceType<(typeof FLOW_COLUMNS)[K]> };

/**
 * The table's flows as dense columns (a worker's result, the merge's input; tests), their decisions in `paths`. One
 * walk of the table in slot order, each flow's row written at its index: reading the columns flow by flow in
 * first-seen order cost a random access per flow and column (1M flows: 0.97-2.4 s, against 0.17-0.25 s for the
 * walk).
 */
export function flowColumns(t: FlowTable, paths: PathColumns): FlowColumns {
  const n = t.size;
  const out = { size: n } as FlowColumns;
  for (const name of Object.keys(FLOW_COLUMNS) as FlowColumnName[]) (out as unknown as Record<string, unknown>)[name] = new FLOW_COLUMNS[name](n);
  const { src: srcs, dst: dsts, ports: portss, meta: metas, packets: packetss, bytes: bytess, path: pathss, reason: reasons, outerSport: outerSports } = out;
  const reasonOf = paths.reason;
  t.scan((f, src, dst, ports, meta, path, packets, bytes) => {
    srcs[f] = src;
    dsts[f] = dst;
    portss[f] = ports;
    metas[f] = meta;
    packetss[f] = packets;
    bytess[f] = bytes;
    pathss[f] = path;
    reasons[f] = reasonOf[path]!;
    outerSports[f] = t.outerSportOf(f);
  });
  return out;
}

/** The path table's used part as its own columns (copied: safe to transfer). */
export function pathColumns(p: PathTable): PathColumns {
  const out = { count: p.count } as PathColumns;
  for (const name of Object.keys(PATH_COLUMNS) as PathColumnName[]) {
    (out as unknown as Record<string, unknown>)[name] = p[name].slice(0, p.count * PATH_COLUMNS[name][1]);
  }
  return out;
}

/** The buffers behind a result's columns, to transfer rather than copy. */
export function columnBuffers(flows: FlowColumns, paths: PathColumns, addrs?: AddressColumns): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const name of Object.keys(FLOW_COLUMNS) as FlowColumnName[]) out.add(flows[name].buffer as ArrayBuffer);
  for (const name of Object.keys(PATH_COLUMNS) as PathColumnName[]) out.add(paths[name].buffer as ArrayBuffer);
  if (addrs) out.add(addrs.words.buffer as ArrayBuffer);
  return [...out];
}

/** One engine's flows, the paths they point at and the IPv6 addresses their ids name: what a merge reads. */
export interface EngineTables {
  flows: FlowTable;
  paths: PathTable;
  addrs: AddressTable;
}

/**
 * Adds flows lo .. hi - 1 of another engine's result into an engine's tables: a flow new to it takes its decision
 * along (its path interned anew), a known one adds its counters; an IPv6 flow's address ids are mapped into the
 * target's address table first. Inserted in the given order, they keep first-seen order (and so do the addresses).
 * `pathIds` (one per source result, kept across calls: pathIdMap) remembers each source path's id in the target,
 * so that a path shared by many flows is interned once: 12M frames over 1M flows, two engines, from the end of the
 * read to the report 0.88-1.12 s against 1.11-1.36 s (2 rounds each, interleaved).
 */
export function addFlows(into: EngineTables, from: FlowColumns, fromPaths: PathColumns, fromAddrs: AddressColumns, lo: number, hi: number, pathIds: Int32Array = pathIdMap(fromPaths)): void {
  for (let f = lo; f < hi; f++) {
    const meta = from.meta[f]!;
    let src = from.src[f]!;
    let dst = from.dst[f]!;
    if ((meta & META_IPV6) !== 0) {
      src = into.addrs.internFrom(fromAddrs, src);
      dst = into.addrs.internFrom(fromAddrs, dst);
    }
    const path = into.flows.findOrAdd(src, dst, from.ports[f]!, meta, from.packets[f]!, from.bytes[f]!);
    if (path === NEW_FLOW) {
      const p = from.path[f]!;
      let id = pathIds[p]!;
      if (id < 0) id = pathIds[p] = into.paths.internFrom(fromPaths, p);
      into.flows.setPath(id, from.outerSport[f]!);
    }
  }
}

/** A source result's path ids in the merge target, none known yet (addFlows). */
export function pathIdMap(paths: PathColumns): Int32Array {
  return new Int32Array(paths.count).fill(-1);
}
