// Differential check against Wireshark: tshark reads generated captures without malformed packets, bad checksums
// or expert warnings, and sees the 5-tuples and VNIs we wrote.

import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/fabric/topology.js';
import { TrafficGenerator, type GenerateOptions } from '../../src/traffic/generator.js';
import { CHECK, NOTE_OR_WORSE, captureDir, tsharkRun as run } from './tshark-run.js';
import { planUnderlay } from '../../src/traffic/underlay.js';
import { formatIpv4, tryParseIpv4 } from '../../src/wire/ipv4.js';
import { haveTool } from '../helpers.js';

const DST = tryParseIpv4('192.168.100.10');

const tshark = haveTool('tshark', ['-v']);
const { capture } = captureDir('ecmp-tshark-');

describe.skipIf(!tshark)('tshark reads generated captures', () => {
  for (const pattern of ['zipf', 'sequential-ports', 'same-subnet'] as const) {
    it(`${pattern}, udp/tcp/icmp mix: no malformed packets, no bad checksums, no expert note or worse`, () => {
      const file = capture(`${pattern}.pcap`, { pattern, proto: 'mix', flows: 4000, packets: 12000, seed: 5, dst: DST });
      const flagged = run(['-r', file, ...CHECK, '-Y', `_ws.malformed || _ws.expert.severity >= ${NOTE_OR_WORSE}`]);
      expect(flagged).toBe('');
      const lines = run(['-r', file, ...CHECK, '-T', 'fields', '-E', 'separator=,', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status', '-e', 'icmp.checksum.status'])
        .trim()
        .split('\n');
      expect(lines.length).toBe(12000);
      // Every present checksum verified good (1); none bad (0) or unverified (2).
      for (const line of lines) expect(line.split(',').filter((s) => s !== '')).toEqual(['1', '1']);
    });
  }

  it('sees exactly the 5-tuples the generator made', () => {
    const o: GenerateOptions = { pattern: 'uniform', proto: 'mix', flows: 2000, packets: 5000, seed: 12, dst: DST };
    const gen = new TrafficGenerator(o);
    const want = new Map<string, number>();
    const s = gen.flowSet;
    for (let f = 0; f < s.count; f++) {
      want.set(`${formatIpv4(s.src[f]!)},${formatIpv4(s.dst[f]!)},${s.proto[f]},${s.sport[f]},${s.dport[f]}`, gen.counts[f]!);
    }
    const got = new Map<string, number>();
    const out = run(['-r', capture('tuples.pcap', o), '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.proto', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'tcp.srcport', '-e', 'tcp.dstport']);
    for (const line of out.trim().split('\n')) {
      const [src, dst, proto, us, ud, ts, td] = line.split(',');
      const key = `${src},${dst},${proto},${us || ts || 0},${ud || td || 0}`;
      got.set(key, (got.get(key) ?? 0) + 1);
    }
    expect(got).toEqual(want);
  });

  it('a --vxlan capture shows VXLAN with the VNI, outer ingress VTEP to announcing VTEPs, inner checksums good', () => {
    const o: GenerateOptions = { pattern: 'zipf', proto: 'mix', flows: 1500, packets: 4000, seed: 2, dst: DST, vxlan: planUnderlay(loadTopology(), DST) };
    const file = capture('vxlan.pcap', o);
    expect(run(['-r', file, ...CHECK, '-Y', `_ws.malformed || _ws.expert.severity >= ${NOTE_OR_WORSE}`])).toBe('');
    const out = run(['-r', file, ...CHECK, '-T', 'fields', '-E', 'separator=;', '-e', 'vxlan.vni', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'frame.protocols']);
    const lines = out.trim().split('\n');
    expect(lines.length).toBe(4000);
    const vteps = new Set<string>();
    for (const line of lines) {
      const [vni, src, dst, dport, protocols] = line.split(';');
      expect(vni).toBe('10100');
      expect(src!.split(',')[0]).toBe('10.1.1.254');
      vteps.add(dst!.split(',')[0]!);
      expect(dst!.split(',')[1]).toBe('192.168.100.10');
      expect(dport!.split(',')[0]).toBe('4789');
      expect(protocols).toMatch(/^eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:(udp|tcp|icmp)/);
    }
    expect([...vteps].sort()).toEqual(['10.1.1.1', '10.1.1.2', '10.1.1.3']);
  });
});
