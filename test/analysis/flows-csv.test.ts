// --flows-csv at many flows: rows are encoded into a reused 1 MiB buffer as they are built. Every row must come out
// whole and in first-seen order across the buffer's boundaries, multi-byte names included.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCaptureBuffer } from '../../bench/captures.js';
import { writeFlowsCsv } from '../../src/analysis/flows-csv.js';
import { CaptureReader, PcapRun } from '../../src/capture/reader.js';
import { Engine } from '../../src/engine/engine.js';
import { FlowTable } from '../../src/engine/flowtable.js';
import { converge } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';

describe('writeFlowsCsv', () => {
  it('writes every forwarded flow as one whole row, in first-seen order, past several buffers', () => {
    // a VM name of two-byte UTF-8 and a comma: quoted, and much longer in bytes than in characters (a buffer that
    // counted characters would cut its rows where they cross its end)
    const vmName = `VM-${'é'.repeat(60)},1`;
    const fabric = converge(parseTopology(DEFAULT_TOPOLOGY_YAML.replaceAll('VM-1', `"${vmName}"`), 'csv.yaml'));
    const engine = new Engine(fabric);
    const reader = CaptureReader.fromBuffer(benchCaptureBuffer({ packets: 160_000, flows: 80_000, mixEvery: 9, seed: 5 }));
    const run = new PcapRun();
    while (reader.readRunSync(run) > 0) engine.processPcapRun(run);
    const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-csv-'));
    try {
      const path = join(dir, 'flows.csv');
      writeFlowsCsv(engine, path);
      const bytes = readFileSync(path);
      expect(bytes.length).toBeGreaterThan(3 << 20);
      const lines = bytes.toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines[0]).toBe('src,dst,proto,sport,dport,packets,bytes,vtep,vm,outer_sport');
      const expected: string[] = [];
      const { flows, paths } = engine;
      for (let f = 0; f < flows.size; f++) {
        const path = flows.pathOf(f);
        if (paths.reason[path] !== 0) continue;
        const vm = paths.vm[path]!;
        const vtep = paths.vtep[path]!;
        const name = vm >= 0 ? fabric.vmNames[vm]! : '';
        const port = engine.outerSportOf(f, path);
        expected.push(
          [formatIpv4(flows.srcOf(f)), formatIpv4(flows.dstOf(f)), FlowTable.proto(flows.metaOf(f)), FlowTable.sport(flows.portsOf(f)),
            FlowTable.dport(flows.portsOf(f)), flows.packetsOf(f), flows.bytesOf(f), vtep >= 0 ? fabric.leafNames[vtep] : '',
            name.includes(',') ? `"${name}"` : name, port > 0 ? port : ''].join(','),
        );
      }
      expect(expected.length).toBeGreaterThan(40_000);
      expect(expected.filter((row) => row.includes(`"${vmName}"`)).length).toBeGreaterThan(10_000);
      const rows = lines.slice(1);
      expect(rows.length).toBe(expected.length);
      let wrong = -1;
      for (let i = 0; i < rows.length && wrong < 0; i++) if (rows[i] !== expected[i]) wrong = i;
      expect(wrong, wrong >= 0 ? `row ${wrong}: ${rows[wrong]} against ${expected[wrong]}` : '').toBe(-1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
