import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, emu } from './run.js';
import { haveTool, waitFor } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TRACE = join(ROOT, 'traces/scapy-ether.pcap');

describe('route get and show (issue 3, done-when)', () => {
  it('prints both stages of a flow on the built-in fabric', () => {
    const r = emu(['route', 'get', '192.168.100.10', 'from', '10.0.0.1', 'ipproto', 'tcp', 'sport', '1234', 'dport', '80']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {4}border: 192\.168\.100\.10 via 10\.1\.1\.\d dev vxlan10100 table TENANT-A/m);
    expect(r.stdout).toMatch(/^ {4}leaf-\d: 192\.168\.100\.10 via 172\.16\.\d\.\d dev VM-/m);
    expect(r.stdout).toMatch(/encap vxlan id 10100 src 10\.1\.1\.254 dst 10\.1\.1\.\d sport \d+ dport 4789/);
  });

  it('answers a batch as JSON Lines in input order', () => {
    const f = join(dir, 'batch.txt');
    writeFileSync(f, '192.168.100.10 from 10.0.0.1 ipproto tcp sport 1234 dport 80\n# a comment\n\n8.8.8.8 from 10.0.0.2 ipproto udp sport 1 dport 2\n');
    const r = emu(['route', 'get', '--batch', f, '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0].hops.map((h: { node: string }) => h.node)[0]).toBe('border');
    expect(lines[0].hops[0]).toMatchObject({ vni: 10100 });
    expect(lines[0].hops[1].vm).toMatch(/^VM-/);
    expect(lines[1]).toMatchObject({ hops: [], error: 'no-route' });
  });

  it('shows the border\'s route via the three VTEPs', () => {
    const r = emu(['show', 'route', '--node', 'border', '--vrf', 'TENANT-A']);
    expect(r.code).toBe(0);
    for (const v of ['10.1.1.1', '10.1.1.2', '10.1.1.3']) expect(r.stdout).toContain(`via ${v} (vxlan), weight 1`);
    expect(r.stdout).toContain('B>* 192.168.100.10/32');
    expect(emu(['show', 'evpn', '--node', 'leaf-3']).stdout).toContain('[5]:[0]:[32]:[192.168.100.10]');
    expect(emu(['show', 'bgp', '--node', 'leaf-3']).stdout).toMatch(/172\.16\.3\.5 +4 +65100 +1 VM-C/);
  });
});

describe('replay outputs', () => {
  it('gives the same report twice, byte for byte', () => {
    const a = emu(['replay', TRACE, '--json']);
    const b = emu(['replay', TRACE, '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const r = JSON.parse(a.stdout);
    expect(Object.keys(r).slice(0, 8)).toEqual(['packets', 'bytes', 'flows', 'skipped', 'vteps', 'vms', 'others', 'stages'].slice(0, 8));
    expect(r.packets).toBeGreaterThan(0);
  });

  it('reads standard input', () => {
    const a = emu(['replay', TRACE, '--json']);
    const b = emu(['replay', '-', '--json'], readFileSync(TRACE));
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('writes CSV, HTML and per-flow CSV', () => {
    const html = join(dir, 'r.html');
    const flows = join(dir, 'flows.csv');
    const r = emu(['replay', TRACE, '--csv', '--html', html, '--flows-csv', flows]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('kind,name,leaf,address,flows,packets,bytes,share,expected');
    expect(r.stdout).toMatch(/^vm,VM-A,leaf-3,172\.16\.3\.1,/m);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg/);
    const rows = readFileSync(flows, 'utf8').trim().split('\n');
    const report = JSON.parse(emu(['replay', TRACE, '--json']).stdout);
    expect(rows[0]).toBe('src,dst,proto,sport,dport,packets,bytes,vtep,vm,outer_sport');
    expect(rows.length - 1).toBe(report.flows);
  });

  it('--write gives VXLAN frames that tshark decodes with the VNI and good outer checksums', () => {
    if (!haveTool('tshark', ['-v'])) return;
    const out = join(dir, 'fabric.pcap');
    const r = emu(['replay', TRACE, '--json', '--write', out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const fields = execFileSync('tshark', ['-r', out, '-o', 'ip.check_checksum:TRUE', '-Y', 'vxlan && ip.src == 10.1.1.254', '-T', 'fields', '-e', 'vxlan.vni', '-e', 'ip.dst', '-e', 'ip.checksum.status', '-e', 'udp.dstport', '-e', 'ip.ttl', '-e', 'ip.flags.df'], { encoding: 'utf8' });
    const lines = fields.trim().split('\n').map((l) => l.split('\t'));
    // every client frame the border forwards goes out as VXLAN
    const client = report.vteps.reduce((a: number, v: { packets: number }) => a + v.packets, 0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(client);
    for (const [vni, dst, status, dport, ttl, df] of lines) {
      expect(vni).toBe('10100');
      expect(['10.1.1.1', '10.1.1.2', '10.1.1.3']).toContain(dst!.split(',')[0]);
      expect(status!.split(',')[0]).toBe('1'); // tshark: 0 bad, 1 good, 2 unverified
      expect(dport!.split(',')[0]).toBe('4789');
      expect(ttl!.split(',')[0]).toBe('64');
      expect(df!.split(',')[0]).toMatch(/^(1|True)$/);
    }
    const warn = execFileSync('tshark', ['-r', out, '-q', '-z', 'expert,error'], { encoding: 'utf8' });
    expect(warn).not.toMatch(/Malformed/);
  });

  it('stops cleanly on Ctrl-C: the report of what was read, and a valid --write pcap', async () => {
    const out = join(dir, 'int.pcap');
    const child = spawn(process.execPath, [BIN, 'replay', '-', '--json', '--write', out], { cwd: ROOT, env: { ...process.env, ECMP_EMU_DEBUG_READS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.write(readFileSync(TRACE)); // the capture, and then the pipe stays open: a live feed
    await waitFor(child, /read \d+ records/); // some frames are in, and Ctrl-C is handled
    child.kill('SIGINT');
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    expect(code).toBe(0);
    expect(stderr).toMatch(/interrupted/);
    const report = JSON.parse(stdout);
    expect(report.packets).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(true);
    const back = JSON.parse(emu(['replay', out, '--json']).stdout);
    expect(back.packets).toBeGreaterThan(0);
    child.stdin.destroy();
  });
});

describe('every option a user can type gives a result or one line and exit 2', () => {
  const bad: [string, string[]][] = [
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['replay', TRACE, '--colour']],
    ['a bad topology', ['replay', TRACE, '--topology', '/nonexistent.yaml']],
    ['--json with --csv', ['replay', TRACE, '--json', '--csv']],
    ['bad workers', ['replay', TRACE, '--workers', 'zero']],
    ['route get without from', ['route', 'get', '192.168.100.10']],
    ['route get with a bad address', ['route', 'get', '192.168.1000.10', 'from', '10.0.0.1']],
    ['route get with a bad port', ['route', 'get', '192.168.100.10', 'from', '10.0.0.1', 'ipproto', 'tcp', 'sport', '70000']],
    ['route get with a bad protocol', ['route', 'get', '192.168.100.10', 'from', '10.0.0.1', 'ipproto', 'gre2']],
    ['show of an unknown view', ['show', 'routes']],
    ['show of an unknown leaf', ['show', 'route', '--node', 'leaf-9']],
    ['show of an unknown VRF', ['show', 'route', '--vrf', 'TENANT-Z']],
    ['hash with an unknown algorithm', ['hash', 'md5', '--src', '1.1.1.1', '--dst', '2.2.2.2']],
    ['hash without --src', ['hash', 'crc32', '--dst', '2.2.2.2']],
    ['replay without a file', ['replay']],
  ];
  it.each(bad)('%s', (_, args) => {
    const r = emu(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ecmp-emu: /);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a missing capture is a failed job: exit 1, one line naming it', () => {
    const r = emu(['replay', '/nonexistent/x.pcap']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/nonexistent/x.pcap');
  });

  it('a topology error names file, key path, value and line', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'vrfs: { TENANT-A: { vni: 10100 } }\nleaves: { l1: { vtep: 10.0.0.1 } }\nvms: { VM-C: { leaf: leaf-9, vrf: TENANT-A, address: 10.9.9.1/31 } }\ningress: { leaf: l1, vrf: TENANT-A }\n');
    const r = emu(['replay', TRACE, '--topology', f]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`ecmp-emu: unknown leaf 'leaf-9' (${f}: vms.VM-C.leaf, line 3)`);
  });
});
