// flowColumns walks the table in slot order and writes each flow's row at its index: every column must still be
// the flow's own value, in first-seen order, through rebalances and counters past 32 bits.

import { describe, expect, it } from 'vitest';
import { FLOW_COLUMNS, flowColumns, type FlowColumnName } from '../../src/engine/columns.js';
import { FlowTable, NEW_FLOW } from '../../src/engine/flowtable.js';
import { PathTable } from '../../src/engine/paths.js';
import { PathResult } from '../../src/engine/path.js';

/** The value each column must hold for flow f, read through the table's per-flow accessors (the reference). */
const EXPECTED: Record<FlowColumnName, (t: FlowTable, paths: PathTable, f: number) => number> = {
  src: (t, _p, f) => t.srcOf(f),
  dst: (t, _p, f) => t.dstOf(f),
  ports: (t, _p, f) => t.portsOf(f),
  meta: (t, _p, f) => t.metaOf(f),
  packets: (t, _p, f) => t.packetsOf(f),
  bytes: (t, _p, f) => t.bytesOf(f),
  path: (t, _p, f) => t.pathOf(f),
  reason: (t, p, f) => p.reason[t.pathOf(f)]!,
  outerSport: (t, _p, f) => t.outerSportOf(f),
};

describe('flowColumns', () => {
  it('holds every flow of a rebalanced table in first-seen order, each column its accessor value', () => {
    const table = new FlowTable();
    const paths = new PathTable();
    const p = new PathResult();
    const n = 60_000; // past several rebalances: slot order is nothing like first-seen order
    let x = 0x2545f491;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) | 0) >>> 0;
    for (let i = 0; i < n; i++) {
      const src = next();
      const meta = FlowTable.meta(i % 3 === 0 ? 17 : 6, i % 4, i % 2);
      // the first 50 flows weigh more than 32 bits of bytes (an sFlow sample's weight): the carry map
      const bytes = i < 50 ? 5e9 + i : 64 + (i % 1400);
      if (table.findOrAdd(src, next(), next(), meta, 1 + (i % 7), bytes) !== NEW_FLOW) continue;
      p.reason = i % 11 === 0 ? 3 : 0;
      p.vtep = i % 5;
      p.vm = i % 9;
      p.stages = 1;
      p.stageRoute[0] = i % 2;
      p.stageMember[0] = i % 4;
      table.setPath(paths.intern(p), i % 13 === 0 ? 0 : 49152 + (i % 16384));
    }
    expect(table.size).toBe(n);
    expect(table.rebalanceCount).toBeGreaterThan(3);
    const cols = flowColumns(table, paths);
    expect(cols.size).toBe(n);
    for (const name of Object.keys(FLOW_COLUMNS) as FlowColumnName[]) {
      const read = EXPECTED[name];
      expect(read, `a reference for column ${name}`).toBeDefined();
      const col = cols[name];
      expect(col.length, name).toBe(n);
      let wrong = -1;
      for (let f = 0; f < n && wrong < 0; f++) if (col[f] !== read(table, paths, f)) wrong = f;
      expect(wrong, `column ${name}: first flow that differs`).toBe(-1);
    }
    expect(cols.bytes[0]).toBe(5e9);
  });
});
