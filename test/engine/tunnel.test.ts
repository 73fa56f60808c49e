// Tunnelled client frames (IP-in-IP, IPv6-in-IP, GRE) under leaves that hash inner headers (policies 2 and 3): each
// flow's next hop is the policy's hash of the frame's Dissected (the hand-built one kernel-policies.test.ts checks
// against the kernel), flows part on every field the hash reads, and nothing changes for fabrics that read none.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { NextHopGroup } from '../../src/fib/group.js';
import { policy2Hash, policy3Hash, type Dissected } from '../../src/hash/linux-keys.js';
import { writeFlowsCsv } from '../../src/analysis/flows-csv.js';
import { replayCapture } from '../../src/engine/replay.js';
import { replayParallel } from '../../src/engine/workers.js';
import { renderJson } from '../../src/report/index.js';
import { pcapFile } from '../capture/build.js';
import { vxlanFrame } from '../wire/frames.js';
import { prng } from '../helpers.js';
import { frame, ipv4, keys, probes4, probes6, udp, type Probe } from '../hash/tunnel-probes.js';
import { WEIGHTS, fieldsOf, hopOf, tunnelTopology } from './tunnel-topology.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-tunnel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAC = '02:00:00:00:00:01';
const group = new NextHopGroup(WEIGHTS, 'hash-threshold');

function run(yaml: string, frames: readonly Uint8Array[], unwrap = false): { engine: Engine; flows: number[] } {
  const engine = new Engine(converge(parseTopology(yaml, 'tunnel.yaml')), { unwrap });
  const flows = frames.map((f) => {
    engine.processFrame(f, 0, f.length, f.length, 1, 0, 0);
    return engine.flows.last;
  });
  return { engine, flows };
}

describe('tunnelled client frames under policies 2 and 3', () => {
  const probes = (seed: number): Probe[] => [...probes4(prng(seed), 60, MAC), ...probes6(prng(seed + 1), 30, MAC)];

  it.each([1, 0x9e3779b9, 0xfffffffe])('linux-l3-inner (policy 2), seed %i: every flow takes policy2Hash of its Dissected', (seed) => {
    const ps = probes(seed);
    const { engine, flows } = run(tunnelTopology(`{ algorithm: linux-l3-inner, seed: ${seed} }`), ps.map((p) => p.frame));
    expect(flows.every((f) => f >= 0)).toBe(true);
    expect(new Set(flows).size).toBe(ps.length);
    expect(flows.map((f) => hopOf(engine, f))).toEqual(ps.map((p) => group.select(policy2Hash(seed, p.dissected))));
    expect(engine.paths.stageCount[engine.flows.pathOf(flows[1]!)]).toBe(1);
  });

  it.each([0x0037, 0x0fc3, 0x0fff, 0x00c0, 0x0208, 0x003b, 0x0c00].flatMap((mask) => [[7, mask], [0xfffffffe, mask]] as const))(
    'linux-custom (policy 3), seed %i, fields %i: every flow takes policy3Hash of its Dissected',
    (seed, mask) => {
      const ps = probes(seed ^ mask);
      const { engine, flows } = run(tunnelTopology(`{ algorithm: linux-custom, seed: ${seed}, fields: [${fieldsOf(mask).join(', ')}] }`), ps.map((p) => p.frame));
      expect(flows.map((f) => hopOf(engine, f))).toEqual(ps.map((p) => group.select(policy3Hash(seed, mask, p.dissected))));
    },
  );

  it('a tunnelled packet inside VXLAN to a VTEP is dissected once the VTEP has taken the VXLAN header off', () => {
    const seed = 0x77;
    const ps = probes(seed).filter((p) => p.what !== 'teb');
    // VXLAN to border's VTEP (10.1.1.254), VNI 100: VRF T at border, as a client frame there would be
    const wrapped = ps.map((p) => vxlanFrame(p.frame, 0x0a010101, 0x0a0101fe, 50000, 100));
    const { engine, flows } = run(tunnelTopology(`{ algorithm: linux-custom, seed: ${seed}, fields: [src-ip, inner-src-ip, inner-dst-port, inner-flowlabel] }`), wrapped, true);
    expect(flows.every((f) => f >= 0)).toBe(true);
    expect(new Set(flows).size).toBe(ps.length);
    expect(flows.map((f) => hopOf(engine, f))).toEqual(ps.map((p) => group.select(policy3Hash(seed, 0xa41, p.dissected))));
  });

  it('flows part on every field the inner hash reads, and frames of one flow are one flow', () => {
    const yaml = tunnelTopology('{ algorithm: linux-custom, seed: 3, fields: [src-ip, dst-ip, protocol, inner-src-ip, inner-dst-ip, inner-protocol, inner-src-port, inner-dst-port] }');
    const base = (o: number, i: number, proto: number, sp: number, dp: number, tunnel = 4): Uint8Array =>
      frame(0x0800, ipv4(0x0b000001 + o, 0xc6336401, tunnel, ipv4(0x0a000001 + i, 0x0a000002, proto, udp(sp, dp))), 1);
    const frames = [base(0, 0, 17, 1, 2), base(0, 0, 17, 1, 2), base(1, 0, 17, 1, 2), base(0, 1, 17, 1, 2), base(0, 0, 6, 1, 2), base(0, 0, 17, 3, 2), base(0, 0, 17, 1, 3)];
    const { engine, flows } = run(yaml, frames);
    expect(flows[1]).toBe(flows[0]);
    expect(new Set(flows).size).toBe(frames.length - 1);
    expect(engine.flows.packetsOf(flows[0]!)).toBe(2);
    // a fabric whose leaves read no inner header keys them by the outer header, as before: one flow
    const outerOnly = run(tunnelTopology('{ algorithm: linux-l4, seed: 3 }'), frames.filter((_, i) => i !== 2));
    expect(new Set(outerOnly.flows).size).toBe(1);
    expect(outerOnly.engine.addrs.count).toBe(0);
  });

  it('by default Ethernet over GRE is a mirror: the carried frame is the flow (unwrapped before any dissection)', () => {
    const eth = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    const teb = frame(0x0800, ipv4(0x0b000001, 0xc6336401, 47, [0, 0, 0x65, 0x58, ...eth, ...ipv4(0x0a000001, 0xc6336407, 17, udp(9, 10))]), 1);
    const seed = 11;
    const { engine, flows } = run(tunnelTopology(`{ algorithm: linux-custom, seed: ${seed}, fields: [src-ip, inner-src-ip] }`), [teb], true);
    // the mirrored packet is untunnelled: outer = its own header, no inner
    const d: Dissected = { outer: keys(4, [0x0a000001], [0xc6336407], 17, 9, 10), inner: null };
    expect(hopOf(engine, flows[0]!)).toBe(group.select(policy3Hash(seed, 0x41, d)));
  });

  it('the flows CSV prints a tunnelled flow as outer>inner; replay reports; workers 2 and 3 give one engine exactly', async () => {
    const seed = 0x5eed;
    const ps = probes(9).filter((p) => p.what !== 'teb');
    // each probe 30 times, interleaved: flows met by several engines
    const frames = Array.from({ length: 30 }, () => ps.map((p) => p.frame)).flat();
    const file = join(dir, 'tunnels.pcap');
    writeFileSync(file, pcapFile(frames.map((data, i) => ({ data, sec: 1700000000, frac: i }))));
    const fabric = converge(parseTopology(tunnelTopology(`{ algorithm: linux-custom, seed: ${seed}, fields: [src-ip, dst-ip, flowlabel, inner-src-ip, inner-dst-ip, inner-src-port, inner-flowlabel] }`), 't.yaml'));
    const single = await replayCapture(file, fabric);
    expect(single.report.packets).toBe(frames.length);
    expect(single.engine.flows.size).toBe(ps.length);
    const csvOf = (e: Engine): string => {
      const f = join(dir, `f-${Math.random().toString(36).slice(2)}.csv`);
      writeFlowsCsv(e, f);
      return readFileSync(f, 'utf8');
    };
    const csv = csvOf(single.engine);
    const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','));
    const ipip = rows[ps.findIndex((p) => p.what === 'ipip')]!;
    expect(ipip[0]).toMatch(/^\d+\.\d+\.\d+\.\d+>\d+\.\d+\.\d+\.\d+$/);
    expect(ipip[2]).toBe('4>17');
    const in6 = rows[ps.findIndex((p) => p.what === '4in6')]!;
    expect(in6[0]).toMatch(/^24[0-9a-f]{2}:.*>\d+\.\d+\.\d+\.\d+$/);
    expect(in6[2]).toBe('4>17');
    expect(rows[0]![2]).toBe('17');
    for (const workers of [2, 3]) {
      const r = await replayParallel(file, fabric, { workers, runs: true, readBufferBytes: 16 << 10, chunkRecords: 200, chunkDataBytes: 16 << 10, awaitWorkers: true });
      for (let w = 1; w < workers; w++) expect(r.unitsByEngine[w], `worker ${w - 1} took chunks`).toBeGreaterThan(0);
      expect(renderJson(r.report)).toBe(renderJson(single.report));
      expect(csvOf(r.engine)).toBe(csv);
    }
  });
});

