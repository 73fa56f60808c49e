// The whole path against the kernel, replay-level: real IPv6 frames (flow labels, chains of extension headers,
// fragments first and later, AH) go through a Linux router namespace with a weighted IPv6 multipath route, and
// each is seen leaving by one veth. The same frames, written to a capture and replayed under an equivalent
// topology (the ingress leaf's static route over the same next hops and weights, linux-l3 or linux-l4 with the
// kernel's seed, hash-threshold), must each take that next hop: decoder, flow key, engine and hash together.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { replayCapture } from '../../src/engine/replay.js';
import { writeFlowsCsv } from '../../src/analysis/flows-csv.js';
import { FrameKey, REASON_OK, decodeFrame } from '../../src/wire/decode.js';
import { formatIpv6 } from '../../src/wire/ipv6.js';
import { readFileSync } from 'node:fs';
import { prng } from '../helpers.js';
import { pcapFile } from '../capture/build.js';
import { RouterLab, probeFrame, describeWithLab } from '../hash/lab.js';

const lab = new RouterLab('v6engine');
const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-kreplay6-'));

function topology(algorithm: string, seed: number, weights: readonly number[]): string {
  const hops = weights.map((w, i) => `{ via: '2001:db8:${i + 1}::2', weight: ${w} }`).join(', ');
  return `vrfs:
  T: { vni: 100 }
leaves:
  border:
    vtep: 10.1.1.254
    hash: { algorithm: ${algorithm}, seed: ${seed} }
    selection: hash-threshold
    routes:
      T:
        '2001:db8:100::/64': [${hops}]
  leaf-1: { vtep: 10.1.1.1 }
vms:
  VM-1: { leaf: leaf-1, vrf: T, address: 172.16.1.1/31, announce: [192.168.100.10/32] }
ingress: { leaf: border, vrf: T }
`;
}

const hooks = {
  python: true,
  teardown: (): void => {
    rmSync(dir, { recursive: true, force: true });
  },
};

describeWithLab('replayed IPv6 frames leave by the kernel\'s next hop', lab, hooks, () => {
  it.each([[0, 'linux-l3', 0x5eed], [1, 'linux-l4', 0x5eed], [0, 'linux-l3', 0xdeadbeef], [1, 'linux-l4', 7]] as const)(
    'policy %i (%s), seed %i: 80 frames',
    async (policy, algorithm, seed) => {
      const weights = [1, 2, 1, 3, 1];
      lab.sysctl(`net.ipv6.fib_multipath_hash_policy=${policy}`, `net.ipv4.fib_multipath_hash_seed=${seed}`);
      lab.route(6, weights);
      const rand = prng(seed ^ (policy << 20) ^ 0x1234);
      const frames = Array.from({ length: 80 }, (_, i) => probeFrame(rand, 0x71000000 + i, lab.inMac));
      const kernel = lab.forward(frames);

      const capture = join(dir, `p${policy}-${seed}.pcap`);
      writeFileSync(capture, pcapFile(frames.map((data, i) => ({ data, sec: 1700000000, frac: i }))));
      const fabric = converge(parseTopology(topology(algorithm, seed, weights), 'kernel-replay6.yaml'));
      const { engine, report } = await replayCapture(capture, fabric);
      expect(report.packets).toBe(frames.length);
      expect(report.skipped).toEqual({});
      const csv = join(dir, `p${policy}-${seed}.csv`);
      writeFlowsCsv(engine, csv);
      // per flow (src dst proto sport dport): the next hop it left by, from the opaque hop's address
      const hopOf = new Map<string, number>();
      for (const line of readFileSync(csv, 'utf8').trim().split('\n').slice(1)) {
        const c = line.split(',');
        const m = /^2001:db8:(\d+)::2$/.exec(c[8]!);
        expect(m, line).not.toBeNull();
        hopOf.set(c.slice(0, 5).join(' '), Number(m![1]) - 1);
      }
      const key = new FrameKey();
      const ours = frames.map((f) => {
        decodeFrame(f, 0, f.length, 1, 4789, key);
        expect(key.reason).toBe(REASON_OK);
        return hopOf.get(`${formatIpv6(key.src6)} ${formatIpv6(key.dst6)} ${key.proto} ${key.sport} ${key.dport}`);
      });
      expect(ours).toEqual(kernel);
      expect(new Set(kernel).size).toBeGreaterThan(2);
    },
    60_000,
  );
});
