// The CLI over a fabric with spines: route get's spine hop, the report's links and underlay stages (text, JSON,
// HTML), --write frames as the spine forwards them (tshark decodes them; each one's spine is the border's choice
// for its outer header), failover of a spine, and the one-line topology errors.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, emu } from './run.js';
import { haveTool } from '../helpers.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { outerHash } from '../../src/engine/underlay.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { spineYaml } from '../fabric/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-spn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TRACE = join(ROOT, 'traces/demo.pcap');
const FABRIC = join(dir, 'spines.yaml');
writeFileSync(FABRIC, spineYaml(3));
const PINNED = join(ROOT, 'examples/spines.yaml');

describe('route get over spines', () => {
  it('shows the border, its spine and the egress leaf; hops border > spine-N > leaf-M', () => {
    const r = emu(['route', 'get', '192.168.100.10', 'from', '10.0.0.1', 'ipproto', 'tcp', 'sport', '1234', 'dport', '80', '--topology', FABRIC]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^ {4}border: 192\.168\.100\.10 via (10\.1\.1\.\d) dev vxlan10100 table TENANT-A /);
    expect(lines[2]).toMatch(/^ {8}encap vxlan id 10100 src 10\.1\.1\.254 dst 10\.1\.1\.\d sport \d+ dport 4789$/);
    const vtep = /via (10\.1\.1\.\d)/.exec(lines[1]!)![1]!;
    expect(lines[3]).toMatch(new RegExp(`^ {4}border: ${vtep.replaceAll('.', '\\.')} via 10\\.0\\.0\\.(\\d) dev spine-\\1 table underlay \\(${vtep.replaceAll('.', '\\.')}/32, hash-threshold \\d of 3, hash 0x[0-9a-f]{8}\\)$`));
    expect(lines[4]).toMatch(new RegExp(`^ {4}spine-\\d: ${vtep.replaceAll('.', '\\.')} via ${vtep.replaceAll('.', '\\.')} dev leaf-\\d table underlay`));
    expect(lines[5]).toMatch(/^ {4}leaf-\d: 192\.168\.100\.10 via 172\.16\.\d\.\d dev VM-/);
  });

  it('batch JSON: the spine hop names its leaf and the hash of the outer header that chose it', () => {
    const batch = join(dir, 'b.txt');
    writeFileSync(batch, Array.from({ length: 30 }, (_, i) => `192.168.100.10 from 10.0.0.${i + 1} ipproto udp sport ${1000 + i} dport 53`).join('\n'));
    const r = emu(['route', 'get', '--batch', batch, '--json', '--topology', FABRIC]);
    expect(r.code).toBe(0);
    const fabric = converge(loadTopology(FABRIC));
    const spines = new Set<string>();
    for (const line of r.stdout.trim().split('\n')) {
      const a = JSON.parse(line) as { hops: Array<Record<string, string>> };
      expect(a.hops.map((h) => h.node.replace(/\d+$/, 'N'))).toEqual(['border', 'spine-N', 'leaf-N']);
      const [border, spine] = a.hops as [Record<string, string>, Record<string, string>];
      expect(spine).toMatchObject({ from: 'border', via: border.vtep, vtep: border.vtep, prefix: `${border.vtep}/32` });
      spines.add(spine.node!);
    }
    expect(spines.size).toBeGreaterThan(1);
    // one flow checked end to end against the library: sport from the text, hash and spine from it
    const t = emu(['route', 'get', '192.168.100.10', 'from', '10.0.0.7', 'ipproto', 'udp', 'sport', '1006', 'dport', '53', '--topology', FABRIC]);
    const sport = Number(/ sport (\d+) dport 4789/.exec(t.stdout)![1]);
    const vtep = /dst (10\.1\.1\.\d) sport/.exec(t.stdout)![1]!;
    const remote = fabric.vtepToLeaf.get(parseIpv4(vtep))!;
    const h = outerHash(fabric, 0, remote, sport);
    expect(t.stdout).toContain(`hash 0x${(h >>> 1).toString(16).padStart(8, '0')})`);
  });

  it('without spines prints the two stages as before (no spine hop)', () => {
    const r = emu(['route', 'get', '192.168.100.10', 'from', '10.0.0.1', 'ipproto', 'tcp', 'sport', '1234', 'dport', '80', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { hops: { node: string }[] }).hops.map((h) => h.node)).toEqual(['border', 'leaf-3']);
  });
});

describe('the report over spines', () => {
  it('JSON: underlay stages, every uplink, and the pinning warning of a linux-l3 border', () => {
    const r = emu(['replay', TRACE, '--topology', PINNED, '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(Object.keys(rep)).toEqual(['packets', 'bytes', 'flows', 'skipped', 'vteps', 'vms', 'others', 'stages', 'links', 'unrouted', 'warnings']);
    expect(rep.stages.filter((s: { vrf: string }) => s.vrf === 'underlay').map((s: { prefix: string }) => s.prefix)).toEqual(['10.1.1.1/32', '10.1.1.2/32', '10.1.1.3/32']);
    expect(rep.links.filter((l: { from: string }) => l.from === 'border').map((l: { to: string }) => l.to)).toEqual(['spine-1', 'spine-2']);
    expect(Object.keys(rep.links[0])).toEqual(['from', 'to', 'flows', 'packets', 'bytes', 'share', 'expected']);
    const pins = rep.warnings.filter((w: { message: string }) => /hashes outer addresses only \(linux-l3\)/.test(w.message));
    expect(pins).toHaveLength(3);
    expect(pins[2].message).toMatch(/^border hashes outer addresses only \(linux-l3\): all [\d,]+ flows to 10\.1\.1\.3 take spine-\d\./);
  });

  it('text and HTML show the links', () => {
    const r = emu(['replay', TRACE, '--topology', FABRIC, '--html', join(dir, 'r.html')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Links {2}leaf→spine uplinks/m);
    expect(r.stdout).toMatch(/^ {2}border +spine-1 +[\d,]+/m);
    expect(r.stdout).toMatch(/^ {2}border +underlay +10\.1\.1\.3\/32 /m);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('<h2>Underlay links</h2>');
  });

  it('--workers 2 gives the same report, links and underlay stages included', () => {
    const one = emu(['replay', TRACE, '--topology', FABRIC, '--json', '--workers', '1']);
    const two = emu(['replay', TRACE, '--topology', FABRIC, '--json', '--workers', '2']);
    expect(one.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(JSON.parse(one.stdout).links.length).toBeGreaterThan(0);
  });

  it('show route --vrf underlay: each remote VTEP via every spine', () => {
    const r = emu(['show', 'route', '--node', 'border', '--vrf', 'underlay', '--topology', FABRIC]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('border# show ip route vrf underlay');
    expect(r.stdout).toMatch(/^B>\* 10\.1\.1\.3\/32 \[20\/0\] via 10\.0\.0\.1 \(spine-1\), weight 1$/m);
    expect(r.stdout).toMatch(/^ {2}\* +via 10\.0\.0\.3 \(spine-3\), weight 1$/m);
  });

  it('without spines the JSON report has no links key', () => {
    const rep = JSON.parse(emu(['replay', TRACE, '--json']).stdout);
    expect(rep.links).toBeUndefined();
  });
});

describe('--write over spines', () => {
  it('writes each tunnelled frame as its spine forwards it: spine MAC, TTL 63, good checksum; the spine is the border\'s choice', () => {
    if (!haveTool('tshark', ['-v'])) return;
    const out = join(dir, 'spines.pcap');
    const input = join(dir, 'g.pcap');
    expect(emu(['generate', '--out', input, '--flows', '2000', '--packets', '4000', '--seed', '7']).code).toBe(0);
    expect(emu(['replay', input, '--topology', FABRIC, '--write', out, '--json']).code).toBe(0);
    const fields = execFileSync('tshark', ['-r', out, '-o', 'ip.check_checksum:TRUE', '-Y', 'vxlan && ip.src == 10.1.1.254', '-T', 'fields', '-e', 'eth.src', '-e', 'eth.dst', '-e', 'ip.dst', '-e', 'ip.ttl', '-e', 'ip.checksum.status', '-e', 'udp.srcport', '-e', 'vxlan.vni'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const rows = fields.trim().split('\n').map((l) => l.split('\t').map((c) => c.split(',')[0]!));
    expect(rows.length).toBeGreaterThan(100);
    const fabric = converge(loadTopology(FABRIC));
    const route = (dst: number) => fabric.routes.find((r) => r.source === 'underlay' && r.leaf === 0 && r.prefix === dst)!;
    const seen = new Set<string>();
    for (const [src, dstMac, dst, ttl, status, sport, vni] of rows) {
      const d = parseIpv4(dst!);
      const remote = fabric.vtepToLeaf.get(d)!;
      const spine = route(d).nextHops[route(d).group.select(outerHash(fabric, 0, remote, Number(sport)))]!.target;
      expect(src).toBe(`02:00:0a:00:00:0${spine + 1}`);
      expect(dstMac).toBe(`02:00:${dst!.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join(':')}`);
      expect(ttl).toBe('63');
      expect(status).toBe('1');
      expect(vni).toBe('10100');
      seen.add(src!);
    }
    expect(seen.size).toBe(3);
    expect(execFileSync('tshark', ['-r', out, '-q', '-z', 'expert,error'], { encoding: 'utf8', maxBuffer: 1 << 28 })).not.toMatch(/Malformed/);
  });
});

describe('failover and errors', () => {
  it('failover --fail spine-2: the flows that change spine; resilient moves only spine-2\'s', () => {
    const r = emu(['failover', '--fail', 'spine-2', '--topology', FABRIC, '--flows', '6000', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(Object.keys(res)).toEqual(['removed', 'flows', 'methods']);
    const resilient = res.methods.find((m: { selection: string }) => m.selection === 'resilient');
    expect(resilient.minimum).toBeGreaterThan(0.25);
    expect(resilient.moved).toBe(resilient.minimum);
    const text = emu(['failover', '--fail', 'spine-2', '--topology', FABRIC, '--flows', '6000']);
    expect(text.stdout).toMatch(/^failover: spine-2 removed, 6,000 flows; flows that change spine/);
  });

  it('a bad spine or failure name is one line, exit 2', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, spineYaml(2).replace('address: 10.0.0.2', 'address: 10.1.1.2'));
    const r = emu(['replay', TRACE, '--topology', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ecmp-emu: spine address is leaf-2's VTEP \(.*bad\.yaml: spines\.spine-2\.address, line \d+\)\n$/);
    const f = emu(['failover', '--fail', 'spine-9', '--topology', FABRIC]);
    expect(f.code).toBe(2);
    expect(f.stderr).toBe("ecmp-emu: no VM, leaf, spine or uplink (LEAF:SPINE) named 'spine-9' (--fail)\n");
  });
});
