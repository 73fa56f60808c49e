// The per-flow table as CSV (`--flows-csv`): one row per forwarded flow, written in chunks.

import { closeSync, openSync, writeSync } from 'node:fs';
import { formatIpv4 } from '../wire/ipv4.js';
import { opaqueName } from '../fabric/converge.js';
import { FlowTable } from '../engine/flowtable.js';
import { isTunnelKey, tunnelText } from '../engine/tunnel-key.js';
import { flowsCsvHeader, flowsCsvRow } from '../report/index.js';
import type { Engine } from '../engine/engine.js';

/** Bytes of CSV gathered before a write. */
const CHUNK_BYTES = 1 << 20;

/**
 * Writes one row per forwarded flow, in first-seen order. Each row is encoded into a reused buffer as soon as it is
 * built, so that rows die young: a string of a megabyte of rows concatenated kept every row's pieces alive until
 * it was written, and the collector took 35% of a 1M-flow replay with --flows-csv copying them.
 */
export function writeFlowsCsv(engine: Engine, path: string): void {
  const { flows, paths, fabric, addrs } = engine;
  const fd = openSync(path, 'w');
  const out = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  const put = (text: string): void => {
    // a UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair 4 for 2)
    if (CHUNK_BYTES - used < 3 * text.length) {
      writeSync(fd, out, 0, used);
      used = 0;
      if (3 * text.length > CHUNK_BYTES) {
        writeSync(fd, text);
        return;
      }
    }
    used += out.write(text, used);
  };
  try {
    put(flowsCsvHeader());
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
      put(flowsCsvRow(
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
      ));
    }
    writeSync(fd, out, 0, used);
  } finally {
    closeSync(fd);
  }
}
