// Differential check of `generate --ipv6` against Wireshark: tshark decodes the IPv6 frames (plain, in VXLAN over an
// IPv4 underlay, in VXLAN over an IPv6 underlay) cleanly, every checksum good, and its fields are what we generated.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../src/fabric/topology.js';
import { TrafficGenerator, type GenerateOptions } from '../../src/traffic/generator.js';
import { CHECK, NOTE_OR_WORSE, captureDir, tsharkRun as run } from './tshark-run.js';
import { defaultDestination6, planUnderlay } from '../../src/traffic/underlay.js';
import { formatIpv6, parseIpv6 } from '../../src/wire/ipv6.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';
import { haveTool } from '../helpers.js';
import { parseGenerateOptions } from '../../src/cli/generate.js';
import { emu } from '../cli/run.js';

const DST6 = parseIpv6('2001:db8:100::10');

/** IPv6 VTEPs everywhere: VXLAN over an IPv6 underlay. */
const V6_UNDERLAY = `vrfs:
  T: { vni: 4242 }
leaves:
  border: { vtep: '2001:db8:ff::fe', asn: 65000 }
  leaf-1: { vtep: '2001:db8:ff::1', asn: 65001 }
  leaf-2: { vtep: '2001:db8:ff::2', asn: 65002 }
vms:
  VM-1: { leaf: leaf-1, vrf: T, address: '2001:db8:1::1/127', asn: 65100, announce: ['2001:db8:100::10/128', 192.168.100.10/32] }
  VM-2: { leaf: leaf-2, vrf: T, address: '2001:db8:2::1/127', asn: 65100, announce: ['2001:db8:100::10/128', 192.168.100.10/32] }
ingress: { leaf: border, vrf: T }
`;
/** IPv4 VTEPs, IPv6 service: IPv6 inside VXLAN over IPv4. */
const V4_UNDERLAY = V6_UNDERLAY.replace("'2001:db8:ff::fe'", '10.1.1.254').replace("'2001:db8:ff::1'", '10.1.1.1').replace("'2001:db8:ff::2'", '10.1.1.2');

const tshark = haveTool('tshark', ['-v']);
const { capture, path: inDir } = captureDir('ecmp-tshark6-');

const flagged = (file: string): string => run(['-r', file, ...CHECK, '-Y', `_ws.malformed || _ws.expert.severity >= ${NOTE_OR_WORSE}`]);

/** What the generator made, flow by flow, as tshark prints the fields: src, dst, next header, flow label, ports. */
function wanted(o: GenerateOptions): Map<string, number> {
  const gen = new TrafficGenerator(o);
  const s = gen.flowSet;
  const want = new Map<string, number>();
  for (let f = 0; f < s.count; f++) {
    if (gen.counts[f] === 0) continue;
    const src = formatIpv6(s.src6!.subarray(4 * f, 4 * f + 4));
    want.set(`${src},${formatIpv6(s.dst6!)},${s.proto[f]},${s.flowLabel![f]!},${s.sport[f]},${s.dport[f]}`, gen.counts[f]!);
  }
  return want;
}

/** The same from tshark's fields, the last IPv6 header of each frame (the inner one under VXLAN). */
function seen(file: string): Map<string, number> {
  const out = run(['-r', file, '-T', 'fields', '-E', 'separator=;', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'ipv6.nxt', '-e', 'ipv6.flow', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'tcp.srcport', '-e', 'tcp.dstport']);
  const got = new Map<string, number>();
  const last = (v: string | undefined): string => (v ?? '').split(',').filter(Boolean).pop() ?? '';
  for (const line of out.trim().split('\n')) {
    const [src, dst, nxt, flow, us, ud, ts, td] = line.split(';');
    // under VXLAN an ICMPv6 flow's only UDP ports are the outer ones: it has none of its own
    const icmp = last(nxt) === '58';
    const key = `${last(src)},${last(dst)},${last(nxt)},${Number(last(flow))},${icmp ? 0 : last(ts) || last(us) || 0},${icmp ? 0 : last(td) || last(ud) || 0}`;
    got.set(key, (got.get(key) ?? 0) + 1);
  }
  return got;
}

describe.skipIf(!tshark)('tshark reads generate --ipv6 captures', () => {
  for (const pattern of ['zipf', 'sequential-ports', 'same-subnet', 'single-source'] as const) {
    it(`${pattern}, udp/tcp/icmpv6 mix: no malformed packets, no expert note or worse, every checksum good`, () => {
      const file = capture(`${pattern}.pcap`, { pattern, proto: 'mix', flows: 3000, packets: 9000, seed: 5, dst: 0, dst6: DST6 });
      expect(flagged(file)).toBe('');
      const lines = run(['-r', file, ...CHECK, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.protocols', '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status', '-e', 'icmpv6.checksum.status'])
        .trim()
        .split('\n');
      expect(lines.length).toBe(9000);
      let icmp = 0;
      for (const line of lines) {
        const [protocols, ...status] = line.split(',');
        expect(protocols).toMatch(/^eth:ethertype:ipv6:(udp|tcp|icmpv6)/);
        if (protocols!.includes('icmpv6')) icmp++;
        expect(status.filter((x) => x !== '')).toEqual(['1']);
      }
      expect(icmp).toBeGreaterThan(0);
    });
  }

  it('sees exactly the addresses, next headers, flow labels and ports the generator made', () => {
    const o: GenerateOptions = { pattern: 'uniform', proto: 'mix', flows: 2000, packets: 5000, seed: 12, dst: 0, dst6: DST6 };
    const file = capture('tuples6.pcap', o);
    const want = wanted(o);
    expect(seen(file)).toEqual(want);
    // one flow label per flow, and they differ between flows
    const labels = new Set([...want.keys()].map((k) => k.split(',')[3]));
    expect(labels.size).toBeGreaterThan(1990);
  });

  it('--vxlan over an IPv6 underlay: outer IPv6 VTEP to VTEP, outer UDP checksum good, the VNI, the inner flows as made', () => {
    const t = parseTopology(V6_UNDERLAY, 'u6.yaml');
    const o: GenerateOptions = { pattern: 'zipf', proto: 'mix', flows: 1500, packets: 4000, seed: 2, dst: 0, dst6: defaultDestination6(t), vxlan: planUnderlay(t, DST6) };
    const file = capture('vxlan6.pcap', o);
    expect(flagged(file)).toBe('');
    const out = run(['-r', file, ...CHECK, '-T', 'fields', '-E', 'separator=;', '-e', 'vxlan.vni', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'udp.dstport', '-e', 'udp.checksum.status', '-e', 'frame.protocols', '-e', 'eth.type']);
    const lines = out.trim().split('\n');
    expect(lines.length).toBe(4000);
    const vteps = new Set<string>();
    for (const line of lines) {
      const [vni, src, dst, dport, csum, protocols] = line.split(';');
      expect(vni).toBe('4242');
      expect(src!.split(',')[0]).toBe('2001:db8:ff::fe');
      vteps.add(dst!.split(',')[0]!);
      expect(dst!.split(',')[1]).toBe('2001:db8:100::10');
      expect(dport!.split(',')[0]).toBe('4789');
      expect(csum!.split(',')[0]).toBe('1');
      expect(protocols).toMatch(/^eth:ethertype:ipv6:udp:vxlan:eth:ethertype:ipv6:(udp|tcp|icmpv6)/);
    }
    expect([...vteps].sort()).toEqual(['2001:db8:ff::1', '2001:db8:ff::2']);
    expect(seen(file)).toEqual(wanted(o));
  });

  it('--vxlan over an IPv4 underlay carries IPv6 inside; IPv4 flows go over an IPv6 underlay', () => {
    const t4 = parseTopology(V4_UNDERLAY, 'u4.yaml');
    const o: GenerateOptions = { pattern: 'uniform', proto: 'mix', flows: 800, packets: 1600, seed: 9, dst: 0, dst6: DST6, vxlan: planUnderlay(t4, DST6) };
    const file = capture('v6in4.pcap', o);
    expect(flagged(file)).toBe('');
    const rows = run(['-r', file, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=;', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.checksum.status', '-e', 'frame.protocols']).trim().split('\n');
    for (const r of rows) {
      const [src, dst, status, protocols] = r.split(';');
      expect(src).toBe('10.1.1.254');
      expect(['10.1.1.1', '10.1.1.2']).toContain(dst);
      expect(status).toBe('1');
      expect(protocols).toMatch(/^eth:ethertype:ip:udp:vxlan:eth:ethertype:ipv6:/);
    }
    expect(seen(file)).toEqual(wanted(o));

    const t6 = parseTopology(V6_UNDERLAY, 'u6.yaml');
    const v4dst = 0xc0a8640a;
    const f4 = capture('v4in6.pcap', { pattern: 'uniform', proto: 'mix', flows: 800, packets: 1600, seed: 9, dst: v4dst, vxlan: planUnderlay(t6, v4dst) });
    expect(flagged(f4)).toBe('');
    const inner = run(['-r', f4, '-T', 'fields', '-E', 'separator=;', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'frame.protocols']).trim().split('\n');
    for (const r of inner) {
      const [src, dst, protocols] = r.split(';');
      expect(src).toBe('2001:db8:ff::fe');
      expect(dst).toBe(formatIpv4(v4dst));
      expect(protocols).toMatch(/^eth:ethertype:ipv6:udp:vxlan:eth:ethertype:ip:/);
    }
  });
});

describe('generate --ipv6 options', () => {
  it('the CLI options: --ipv6 defaults to the IPv6 service, an IPv6 --dst implies it, mixed underlays are refused', () => {
    const top = inDir('u6.yaml');
    writeFileSync(top, V6_UNDERLAY);
    expect(formatIpv6(parseGenerateOptions({ ipv6: true, topology: top }).dst6!)).toBe('2001:db8:100::10');
    expect(formatIpv6(parseGenerateOptions({ dst: '2001:db8:100::99', topology: top }).dst6!)).toBe('2001:db8:100::99');
    expect(parseGenerateOptions({ topology: top }).dst6).toBeUndefined();
    expect(() => parseGenerateOptions({ ipv6: true, dst: '10.0.0.1', topology: top })).toThrow(/bad IPv6 address '10\.0\.0\.1' \(--ipv6 sends IPv6 flows\)/);
    expect(() => parseGenerateOptions({ ipv6: true })).toThrow(/no VM announces an IPv6 prefix/);
    const mixed = inDir('mixed.yaml');
    writeFileSync(mixed, V6_UNDERLAY.replace("'2001:db8:ff::2'", '10.1.1.2'));
    expect(() => parseGenerateOptions({ ipv6: true, vxlan: true, topology: mixed })).toThrow(/--vxlan needs one underlay family: the ingress border's VTEP is IPv6, leaf-2's is IPv4/);
  });

  it('the built CLI writes IPv6 frames, and VXLAN over IPv6 with --vxlan', () => {
    const top = inDir('u6.yaml');
    writeFileSync(top, V6_UNDERLAY);
    for (const [args, ethertype, len] of [[[], 0x86dd, 14 + 40 + 8 + 32], [['--vxlan'], 0x86dd, 14 + 40 + 8 + 8 + 14 + 40 + 8 + 32]] as const) {
      const out = inDir('cli6.pcap');
      const r = emu(['generate', '--ipv6', ...args, '--proto', 'udp', '--flows', '5', '--topology', top, '--out', out]);
      expect(r.code).toBe(0);
      const pcap = readFileSync(out);
      expect(pcap.readUInt32LE(24 + 8)).toBe(len);
      expect(pcap.readUInt16BE(24 + 16 + 12)).toBe(ethertype);
    }
  });
});
