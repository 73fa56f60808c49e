// An engine's per-flow results as plain arrays, from the one column list (engine/columns.ts), each flow's decision
// resolved through its path: what two engines that saw the same frames must agree on, column by column.

import { expect } from 'vitest';
import { FLOW_COLUMNS, PATH_COLUMNS, flowColumns, type FlowColumnName, type PathColumnName } from '../../src/engine/columns.js';
import type { Engine } from '../../src/engine/engine.js';

export interface EngineState {
  packets: number;
  bytes: number;
  skipped: number[];
  size: number;
  columns: Record<string, number[]>;
}

export function engineState(e: Engine): EngineState {
  const flows = flowColumns(e.flows, e.paths);
  const columns: Record<string, number[]> = {};
  for (const name of Object.keys(FLOW_COLUMNS) as FlowColumnName[]) if (name !== 'path') columns[name] = Array.from(flows[name]);
  for (const name of Object.keys(PATH_COLUMNS) as PathColumnName[]) {
    const width = PATH_COLUMNS[name][1];
    const col: number[] = [];
    for (let f = 0; f < flows.size; f++) for (let w = 0; w < width; w++) col.push(e.paths[name][flows.path[f]! * width + w]!);
    columns[name] = col;
  }
  return { packets: e.packets, bytes: e.bytes, skipped: [...e.skipped], size: e.flows.size, columns };
}

/** Every total and every per-flow column equal (a column named in the failure). */
export function expectSameEngine(a: Engine, b: Engine): void {
  const sa = engineState(a);
  const sb = engineState(b);
  expect({ ...sa, columns: undefined }).toEqual({ ...sb, columns: undefined });
  for (const name of Object.keys(sa.columns)) expect(sa.columns[name], name).toEqual(sb.columns[name]);
}
