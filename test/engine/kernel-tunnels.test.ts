// Tunnelled frames against the kernel, replay-level: IP-in-IP, GRE (key, checksum, sequence), Ethernet over GRE,
// 6in4, 6in6 and 4in6, and the edge cases the dissector documents (a 6in6 inner label of 0, IP-in-IP inside GRE,
// MPLS over GRE, GRE version 1, an inner fragment), go through a namespace router under policy 2 and policy 3
// with inner fields; the same frames, written to a capture and replayed (--no-unwrap, so that Ethernet over GRE is
// a tunnel as the kernel sees it) under an equivalent topology (the border's static route over the router's next
// hops, linux-l3-inner or linux-custom with the sysctl's fields and seed, hash-threshold), must each take the
// kernel's next hop: dissector, tunnel flow key, engine and hash together.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { replayCapture } from '../../src/engine/replay.js';
import { prng } from '../helpers.js';
import { pcapFile } from '../capture/build.js';
import { RouterLab, describeWithLab } from '../hash/lab.js';
import { frame, ipv4, ipv6, probes4, probes6, udp } from '../hash/tunnel-probes.js';
import { WEIGHTS, fieldsOf, hopOf, tunnelTopology } from './tunnel-topology.js';

const lab = new RouterLab('tunkr');
const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-ktun-'));

/** The cases the dissector's comments describe, beyond the kernel-policies probes (distinct ids from 0x7a000000). */
function edgeCases(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const os = 0x0b000100 + i;
    const od = 0xc6336400 + (i & 0xff);
    const is = 0x0c000000 + i * 7;
    const inner = ipv4(is, 0x0d000001 + i, 17, udp(1000 + i, 2000 + 3 * i));
    const id = 0x7a000000 + i;
    const a = [0x24000000 + i, 0, 0, 1];
    const b = [0x20010db8, 0x01000000, 0, 2 + i];
    switch (i % 6) {
      case 0: // 6in6 whose inner label is 0: the outer label is kept
        out.push(frame(0x86dd, ipv6(a, b, 41, 0x1000 + i, ipv6([0x24010000, 0, 0, i], [0x24020000, 0, 0, 1], 17, 0, udp(3000 + i, 53))), id));
        break;
      case 1: // GRE with checksum, key and sequence
        out.push(frame(0x0800, ipv4(os, od, 47, [0xb0, 0, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, i, 0, 0, 0, 1, ...inner]), id));
        break;
      case 2: // IP-in-IP inside GRE: the innermost header
        out.push(frame(0x0800, ipv4(os, od, 47, [0, 0, 0x08, 0x00, ...ipv4(0x0e000001 + i, 0x0e000002, 4, inner)]), id));
        break;
      case 3: // MPLS over GRE: the dissector stops "bad" with the outer keys as the inner ones
        out.push(frame(0x0800, ipv4(os, od, 47, [0, 0, 0x88, 0x47, 0, 0x01, (i & 0xf) << 4 | 1, 64, ...inner]), id));
        break;
      case 4: { // an inner fragment: its addresses and protocol, no ports
        const frag = ipv4(is, 0x0d000001 + i, 17, udp(1000 + i, 2000));
        frag[6] = 0x20;
        out.push(frame(0x0800, ipv4(os, od, 4, frag), id));
        break;
      }
      default: // GRE version 1 without a key: not looked into by either
        out.push(frame(0x0800, ipv4(os, od, 47, [0, 1, 0x08, 0x00, ...inner]), id));
    }
  }
  return out;
}

const hooks = {
  python: true,
  setup: (): void => {
    lab.route(4, WEIGHTS);
    lab.route(6, WEIGHTS);
  },
  teardown: (): void => {
    rmSync(dir, { recursive: true, force: true });
  },
};

describeWithLab('replayed tunnelled frames leave by the kernel\'s next hop', lab, hooks, () => {
  const cases: [number, number, number][] = [
    [2, 0, 1], [2, 0, 0x9e3779b9], [2, 0, 0xfffffffe],
    [3, 0x0fc3, 7], [3, 0x0fff, 0x5eed], [3, 0x00c0, 0xfffffffe], [3, 0x0208, 1], [3, 0x0c3b, 0x9e3779b9],
  ];
  it.each(cases)('policy %i, fields %i, seed %i', async (policy, mask, seed) => {
    const fam = ['ipv4', 'ipv6'];
    lab.sysctl(...fam.map((f) => `net.${f}.fib_multipath_hash_policy=${policy}`), ...(policy === 3 ? fam.map((f) => `net.${f}.fib_multipath_hash_fields=${mask}`) : []),
      `net.ipv4.fib_multipath_hash_seed=${seed}`);
    const rand = prng(seed ^ mask ^ policy);
    const frames = [...probes4(rand, 48, lab.inMac).map((p) => p.frame), ...probes6(rand, 24, lab.inMac).map((p) => p.frame), ...edgeCases(24)];
    for (const f of frames.slice(-24)) f.set(lab.inMac.split(':').map((h) => parseInt(h, 16)), 0);
    const kernel = lab.forward(frames);

    const capture = join(dir, `p${policy}-${mask}-${seed}.pcap`);
    writeFileSync(capture, pcapFile(frames.map((data, i) => ({ data, sec: 1700000000, frac: i }))));
    const hash = policy === 2 ? `{ algorithm: linux-l3-inner, seed: ${seed} }` : `{ algorithm: linux-custom, seed: ${seed}, fields: [${fieldsOf(mask).join(', ')}] }`;
    const fabric = converge(parseTopology(tunnelTopology(hash), 'kernel-tunnels.yaml'));
    const { engine, report } = await replayCapture(capture, fabric, { unwrap: false });
    expect(report.packets).toBe(frames.length);
    expect(report.skipped).toEqual({});
    expect(engine.flows.size).toBe(frames.length);
    const ours = frames.map((_, i) => hopOf(engine, i));
    const mismatches = ours.flatMap((h, i) => (h === kernel[i] ? [] : [`#${i}: ours ${h}, kernel ${kernel[i]}`]));
    expect(mismatches).toEqual([]);
    expect(new Set(kernel).size).toBeGreaterThan(2);
  }, 120_000);
});
