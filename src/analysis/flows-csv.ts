// The per-flow table as CSV (`--flows-csv`): one row per forwarded flow, written in chunks.

import { closeSync, openSync, writeSync } from 'node:fs';
import { formatIpv4 } from '../wire/ipv4.js';
import { opaqueName } from '../fabric/converge.js';
import { FlowTable } from '../engine/flowtable.js';
import { isTunnelKey, tunnelText } from '../engine/tunnel-key.js';
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
      // a tunnelled flow (engine/tunnel-key.ts): `outer>inner` source, destination and protocol, the inner ports
      const t = isTunnelKey(addrs, flows.srcOf(f), meta) ? tunnelText(addrs, flows.srcOf(f), flows.dstOf(f), meta) : undefined;
      chunk += flowsCsvRow(
        t?.src ?? (v6 ? addrs.text(flows.srcOf(f)) : formatIpv4(flows.srcOf(f))),
        t?.dst ?? (v6 ? addrs.text(flows.dstOf(f)) : formatIpv4(flows.dstOf(f))),
        t?.proto ?? FlowTable.proto(meta),
        FlowTable.sport(ports),
        FlowTable.dport(ports),
        flows.packetsOf(f),
        flows.bytesOf(f),
        vtep >= 0 ? fabric.leafNames[vtep]! : '',
        vm >= 0 ? fabric.vmNames[vm]! : other >= 0 ? opaqueName(fabric, other) : '',
        engine.outerSportOf(f, path),
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
