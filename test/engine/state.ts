// An engine's per-flow results as plain arrays, from the one column list (engine/columns.ts), each flow's decision
// resolved through its path: what two engines that saw the same frames must agree on, column by column.

import { expect } from 'vitest';
import { FLOW_COLUMNS, PATH_COLUMNS, flowColumns, type FlowColumnName, type PathColumnName } from '../../src/engine/columns.js';
import type { Engine } from '../../src/engine/engine.js';
import { FlowTable } from '../../src/engine/flowtable.js';

export interface EngineState {
  packets: number;
  bytes: number;
  skipped: number[];
  size: number;
  columns: Record<string, number[]>;
  /** per flow: an IPv6 flow's source (flow label) and destination as text, '' for IPv4 (its ids are in columns) */
  addresses: string[];
}

export function engineState(e: Engine): EngineState {
  const flows = flowColumns(e.flows, e.paths);
  const columns: Record<string, number[]> = {};
  for (const name of Object.keys(FLOW_COLUMNS) as FlowColumnName[]) if (name !== 'path') columns[name] = Array.from(flows[name]);
  // the VXLAN source port as the engine answers it (computed when first asked for: Engine.outerSportOf)
  columns.outerSport = Array.from(flows.path, (path, f) => e.outerSportOf(f, path));
  for (const name of Object.keys(PATH_COLUMNS) as PathColumnName[]) {
    const width = PATH_COLUMNS[name][1];
    const col: number[] = [];
    for (let f = 0; f < flows.size; f++) for (let w = 0; w < width; w++) col.push(e.paths[name][flows.path[f]! * width + w]!);
    columns[name] = col;
  }
  const addresses = Array.from(flows.meta, (meta, f) =>
    FlowTable.isIpv6(meta) ? `${e.addrs.text(flows.src[f]!)} (${e.addrs.labelOf(flows.src[f]!)}) > ${e.addrs.text(flows.dst[f]!)}` : '',
  );
  return { packets: e.packets, bytes: e.bytes, skipped: [...e.skipped], size: e.flows.size, columns, addresses };
}

/** Every total and every per-flow column equal (a column named in the failure). */
export function expectSameEngine(a: Engine, b: Engine): void {
  const sa = engineState(a);
  const sb = engineState(b);
  expect({ ...sa, columns: undefined, addresses: undefined }).toEqual({ ...sb, columns: undefined, addresses: undefined });
  expect(sa.addresses, 'IPv6 addresses').toEqual(sb.addresses);
  for (const name of Object.keys(sa.columns)) expect(sa.columns[name], name).toEqual(sb.columns[name]);
}
