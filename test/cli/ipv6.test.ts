// IPv6 from the CLI: route get (single, --batch, --json, --flowlabel), show, and the report's topology addresses.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emu } from './run.js';
import { V6_YAML } from '../fabric/fixtures.js';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { PathResult, resolvePath6 } from '../../src/engine/path.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-v6cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const topo = join(dir, 'v6.yaml');
writeFileSync(topo, V6_YAML);
const fabric = converge(parseTopology(V6_YAML, topo));

describe('route get with IPv6', () => {
  it('prints both stages, the IPv6 VTEP encapsulation and RFC 5952 addresses', () => {
    const r = emu(['route', 'get', '2001:0db8:0100:0000::0010', 'from', '2001:db8:5::7', 'ipproto', 'udp', 'sport', '1000', 'dport', '53', '--topology', topo]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('2001:db8:100::10 from 2001:db8:5::7 ipproto udp sport 1000 dport 53');
    expect(r.stdout).toMatch(/^ {4}border: 2001:db8:100::10 via (10\.1\.1\.1|2001:db8:ff::[23]) dev vxlan100 table T \(2001:db8:100::10\/128, hash-threshold \d of 3, hash 0x[0-9a-f]{8}\)$/m);
    expect(r.stdout).toMatch(/encap vxlan id 100 src 2001:db8:ff::1 dst (10\.1\.1\.1|2001:db8:ff::[23]) sport \d+ dport 4789/);
    expect(r.stdout).toMatch(/^ {4}leaf-\d: 2001:db8:100::10 via \S+ dev VM-\w table T/m);
  });

  it('answers as resolvePath6 does, with the flow label from --flowlabel or the line', () => {
    const lines: string[] = [];
    const want: string[] = [];
    const p = new PathResult();
    for (let i = 0; i < 40; i++) {
      const label = (i * 7919) & 0xfffff;
      lines.push(`2001:db8:100::10 from 2001:db8:5::${(i + 1).toString(16)} ipproto tcp sport ${1000 + i} dport 443${i % 2 ? ` flowlabel ${label}` : ''}`);
      resolvePath6(fabric, fabric.ingressLeaf, fabric.ingressVrf, parseIpv6(`2001:db8:5::${(i + 1).toString(16)}`), parseIpv6('2001:db8:100::10'), i % 2 ? label : 0x77, 6, 1000 + i, 443, -1, p);
      want.push(`${fabric.leafNames[p.vtep]}>${fabric.vmNames[p.vm]}`);
    }
    const f = join(dir, 'b6.txt');
    writeFileSync(f, lines.join('\n') + '\n');
    const r = emu(['route', 'get', '--batch', f, '--json', '--flowlabel', '0x77', '--topology', topo]);
    expect(r.code).toBe(0);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { hops: { node: string; vm?: string; vtep?: string }[] });
    expect(got.map((a) => `${a.hops[1]!.node}>${a.hops[1]!.vm}`)).toEqual(want);
    expect(new Set(got.map((a) => a.hops[0]!.vtep))).toEqual(new Set(['10.1.1.1', '2001:db8:ff::2', '2001:db8:ff::3']));
  });

  it('names an opaque IPv6 next hop by its address, and reports no route', () => {
    const r = emu(['route', 'get', '2001:db8:20::9', 'from', '2001:db8:5::7', '--json', '--topology', topo]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ hops: [], error: 'no-route' });
    const f = join(dir, 'o6.txt');
    writeFileSync(f, Array.from({ length: 30 }, (_, i) => `2001:db8:20::9 from 2001:db8:5::${i + 1} ipproto udp sport ${i} dport 9`).join('\n'));
    // the static route is on leaf-3: enter there
    writeFileSync(join(dir, 'l3.yaml'), V6_YAML.replace('ingress: { leaf: border, vrf: T }', 'ingress: { leaf: leaf-3, vrf: T }'));
    const b = emu(['route', 'get', '--batch', f, '--json', '--topology', join(dir, 'l3.yaml')]);
    const vias = new Set(b.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { hops: { via: string }[] }).hops[0]!.via));
    expect(vias).toContain('2001:db8:99::9');
    expect(vias).toContain('2001:db8:3::1');
  });

  it.each([
    ['mixed families', ['2001:db8:100::10', 'from', '10.0.0.1'], /source 10\.0\.0\.1 is IPv4 but the destination 2001:db8:100::10 is IPv6 \(route get: from\)/],
    ['a bad IPv6 address', ['2001:db8:100:::10', 'from', '2001:db8::1'], /bad IPv6 address '2001:db8:100:::10' \(route get: destination\)/],
    ['a flow label out of range', ['2001:db8:100::10', 'from', '2001:db8::1', 'flowlabel', '0x100000'], /'0x100000' is not an integer in 0\.\.1048575 \(route get: flowlabel\)/],
    ['a flow label on an IPv4 flow', ['192.168.100.10', 'from', '10.0.0.1', '--flowlabel', '5'], /flowlabel is an IPv6 field/],
  ])('refuses %s with one line, exit 2', (_what, args, pattern) => {
    const r = emu(['route', 'get', ...args, '--topology', topo]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });
});

describe('show with IPv6', () => {
  it('prints show ipv6 route with IPv6 next hops of every kind', () => {
    const r = emu(['show', 'route', '--node', 'leaf-3', '--topology', topo]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('leaf-3# show ipv6 route vrf T\nS>* 2001:db8:20::/48 [1/0] via 2001:db8:3::1 (VM-A), weight 2\n');
    expect(r.stdout).toMatch(/^ {2}\* +via 10\.1\.1\.1 \(vxlan\), weight 1$/m);
    expect(r.stdout).toMatch(/^ {2}\* +via 2001:db8:99::9, weight 1$/m);
    expect(r.stdout).toContain('B>* 2001:db8:100::10/128 [20/0] via 172.16.3.5 (VM-C), weight 1');
    const b = emu(['show', 'route', '--node', 'border', '--topology', topo]).stdout;
    expect(b).toContain('border# show ip route vrf T\nB>* 192.168.100.10/32 [200/0] via 10.1.1.1 (vxlan), weight 1\n');
    expect(b).toMatch(/B>\* 2001:db8:100::10\/128 \[200\/0\] via 10\.1\.1\.1 \(vxlan\), weight 1\n +\* +via 2001:db8:ff::2 \(vxlan\), weight 1\n +\* +via 2001:db8:ff::3 \(vxlan\)/);
  });

  it('prints IPv6 type-5 routes and IPv6 neighbours', () => {
    const e = emu(['show', 'evpn', '--node', 'border', '--topology', topo]).stdout;
    expect(e).toContain('*>  [5]:[0]:[128]:[2001:db8:100::10]\n                    2001:db8:ff::3 ');
    expect(e).toContain('Route Distinguisher: 65003:2');
    expect(e).toContain('Rmac:02:00:00:00:00:03');
    const g = emu(['show', 'bgp', '--node', 'leaf-3', '--topology', topo]).stdout;
    expect(g).toMatch(/^2001:db8:3::1 +4 +65100 +1 VM-A$/m);
    expect(g).toContain('2001:db8:100::10/128: 3 EBGP paths installed (multipath)');
  });

  it('prints an IPv4-only fabric as before: no ipv6 section', () => {
    expect(emu(['show', 'route']).stdout).not.toContain('ipv6');
  });
});

describe('the report prints IPv6 topology addresses', () => {
  it('names IPv6 VTEPs and VM addresses in text, JSON and HTML', () => {
    const pcap = join(dir, 'g.pcap');
    expect(emu(['generate', '--out', pcap, '--flows', '500', '--packets', '500', '--seed', '4']).code).toBe(0);
    const html = join(dir, 'r.html');
    // VM-A (behind leaf-3's IPv6 VTEP) announces the IPv4 service too
    const dual = join(dir, 'dual.yaml');
    writeFileSync(dual, V6_YAML.replace("'2001:db8:3::1/127', asn: 65100, announce: ['2001:db8:100::10/128']", "'2001:db8:3::1/127', asn: 65100, announce: ['2001:db8:100::10/128', 192.168.100.10/32]"));
    const j = emu(['replay', pcap, '--topology', dual, '--json', '--html', html]);
    expect(j.code).toBe(0);
    const rep = JSON.parse(j.stdout) as { vteps: { name: string; address: string }[]; vms: { name: string; address: string }[] };
    expect(rep.vteps.map((v) => [v.name, v.address])).toEqual([['leaf-1', '10.1.1.1'], ['leaf-3', '2001:db8:ff::3']]);
    expect(rep.vms.find((v) => v.name === 'VM-1')!.address).toBe('2001:db8:1::1');
    expect(rep.vms.find((v) => v.name === 'VM-C')!.address).toBe('172.16.3.5');
    expect(readFileSync(html, 'utf8')).toContain('VTEP 2001:db8:ff::3');
    const t = emu(['replay', pcap, '--topology', dual]);
    expect(t.stdout).toContain('2001:db8:ff::3');
    expect(t.stdout).toContain('2001:db8:3::1');
  });
});
