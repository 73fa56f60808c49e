// The per-flow table as CSV (`--flows-csv`): one row per forwarded flow, written in chunks.

import { closeSync, openSync, writeSync } from 'node:fs';
import { formatIpv4 } from '../wire/ipv4.js';
import { FlowTable } from '../stats/flowtable.js';
import { flowsCsvHeader, flowsCsvRow } from '../report/index.js';
import type { Engine } from './engine.js';

export function writeFlowsCsv(engine: Engine, path: string): void {
  const { flows, fabric } = engine;
  const fd = openSync(path, 'w');
  try {
    let chunk = flowsCsvHeader();
    for (let f = 0; f < flows.size; f++) {
      if (flows.reason[f] !== 0) continue;
      const ports = flows.ports[f]!;
      const vtep = flows.vtep[f]!;
      const vm = flows.vm[f]!;
      const other = flows.other[f]!;
      chunk += flowsCsvRow(
        formatIpv4(flows.src[f]!),
        formatIpv4(flows.dst[f]!),
        FlowTable.proto(flows.meta[f]!),
        FlowTable.sport(ports),
        FlowTable.dport(ports),
        flows.packets[f]!,
        flows.bytes[f]!,
        vtep >= 0 ? fabric.leafNames[vtep]! : '',
        vm >= 0 ? fabric.vmNames[vm]! : other >= 0 ? formatIpv4(fabric.opaque[other]!) : '',
        flows.outerSport[f]!,
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
