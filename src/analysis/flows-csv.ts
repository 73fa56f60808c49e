// The per-flow table as CSV (`--flows-csv`): one row per forwarded flow, written in chunks.

import { closeSync, openSync, writeSync } from 'node:fs';
import { formatIpv4 } from '../wire/ipv4.js';
import { opaqueName } from '../fabric/converge.js';
import { FlowTable } from '../engine/flowtable.js';
import { flowsCsvHeader, flowsCsvRow } from '../report/index.js';
import type { Engine } from '../engine/engine.js';

export function writeFlowsCsv(engine: Engine, path: string): void {
  const { flows, paths, fabric, addrs } = engine;
  const fd = openSync(path, 'w');
  try {
    let chunk = flowsCsvHeader();
    for (let f = 0; f < flows.size; f++) {
      const path = flows.pathOf(f);
      if (paths.reason[path] !== 0) continue;
      const ports = flows.portsOf(f);
      const vtep = paths.vtep[path]!;
      const vm = paths.vm[path]!;
      const other = paths.other[path]!;
      const meta = flows.metaOf(f);
      const v6 = FlowTable.isIpv6(meta);
      chunk += flowsCsvRow(
        v6 ? addrs.text(flows.srcOf(f)) : formatIpv4(flows.srcOf(f)),
        v6 ? addrs.text(flows.dstOf(f)) : formatIpv4(flows.dstOf(f)),
        FlowTable.proto(meta),
        FlowTable.sport(ports),
        FlowTable.dport(ports),
        flows.packetsOf(f),
        flows.bytesOf(f),
        vtep >= 0 ? fabric.leafNames[vtep]! : '',
        vm >= 0 ? fabric.vmNames[vm]! : other >= 0 ? opaqueName(fabric, other) : '',
        flows.outerSportOf(f),
      );
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}
