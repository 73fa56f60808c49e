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

const FLOW_READERS: { [K in FlowColumnName]: (t: FlowTable, f: number, paths: PathColumns) => number } = {
  src: (t, f) => t.srcOf(f),
  dst: (t, f) => t.dstOf(f),
  ports: (t, f) => t.portsOf(f),
  meta: (t, f) => t.metaOf(f),
  packets: (t, f) => t.packetsOf(f),
  bytes: (t, f) => t.bytesOf(f),
  path: (t, f) => t.pathOf(f),
  reason: (t, f, paths) => paths.reason[t.pathOf(f)]!,
  outerSport: (t, f) => t.outerSportOf(f),
};

/** The table's flows as dense columns (a worker's result; tests), their decisions in `paths`. */
export function flowColumns(t: FlowTable, paths: PathColumns): FlowColumns {
  const out = { size: t.size } as FlowColumns;
  for (const name of Object.keys(FLOW_COLUMNS) as FlowColumnName[]) {
    const col = new FLOW_COLUMNS[name](t.size);
    const read = FLOW_READERS[name];
    for (let f = 0; f < t.size; f++) col[f] = read(t, f, paths);
    (out as unknown as Record<string, unknown>)[name] = col;
  }
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
 */
export function addFlows(into: EngineTables, from: FlowColumns, fromPaths: PathColumns, fromAddrs: AddressColumns, lo: number, hi: number): void {
  for (let f = lo; f < hi; f++) {
    const meta = from.meta[f]!;
    let src = from.src[f]!;
    let dst = from.dst[f]!;
    if ((meta & META_IPV6) !== 0) {
      src = into.addrs.internFrom(fromAddrs, src);
      dst = into.addrs.internFrom(fromAddrs, dst);
    }
    const path = into.flows.findOrAdd(src, dst, from.ports[f]!, meta, from.packets[f]!, from.bytes[f]!);
    if (path === NEW_FLOW) into.flows.setPath(into.paths.internFrom(fromPaths, from.path[f]!), from.outerSport[f]!);
  }
}
