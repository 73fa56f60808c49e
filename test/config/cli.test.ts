import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pickServices } from '../../src/config/init.js';
import { emu } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), `ecmp-emu-config-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const json = (s: string): any => JSON.parse(s);

describe('ecmp-emu import', () => {
  it('writes the topology, prints each finding as `warning [kind] node: message`, and the YAML loads', () => {
    const out = join(dir, 'seed.yaml');
    const r = emu(['import', 'examples/configs/seed/leaf-3.conf', 'examples/configs/seed/vm-a.conf', '--vm-announce', '192.168.100.10/32', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^warning \[too-few-paths\] leaf-3: no max-paths: OcNOS installs 1 of 3 EBGP paths for 192\.168\.100\.10\/32; leaf-3-172\.16\.3\.3 and leaf-3-172\.16\.3\.5 get no traffic; add `max-paths ebgp 3`/m);
    const show = emu(['show', 'route', '--topology', out]);
    expect(show.stdout).toContain('B>* 192.168.100.10/32 [20/0] via 172.16.3.1 (vm-a), weight 1');
    expect(show.stdout.match(/ via /g)).toHaveLength(1);
    const bgp = emu(['show', 'bgp', '--topology', out]).stdout;
    expect(bgp).toContain('Multipath: EBGP maximum-paths 1, same neighbour AS only (no as-path multipath-relax)');
    expect(bgp).toContain('192.168.100.10/32: 1 EBGP path installed (multipath)');
    expect(emu(['show', 'evpn', '--topology', out]).stdout).toContain('RT:65003:10100 ET:8');
  });

  it('--json holds the topology text and the warnings', () => {
    const r = emu(['import', ...['border', 'leaf-1', 'leaf-2', 'leaf-3', 'VM-1', 'VM-2', 'VM-A', 'VM-B', 'VM-C'].map((n) => `examples/configs/frr/${n}.conf`), '--json']);
    expect(r.code).toBe(0);
    const j = json(r.stdout);
    expect(Object.keys(j)).toEqual(['topology', 'warnings']);
    expect(j.warnings).toEqual([]);
    expect(j.topology).toContain('VM-C: { leaf: leaf-3, vrf: TENANT-A, address: 172.16.3.5/31');
  });

  it('a file that is no router config: exit 2 naming it, and --out is not written', () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'just some notes\n');
    const out = join(dir, 'never.yaml');
    const r = emu(['import', 'examples/configs/seed/leaf-3.conf', bad, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ecmp-emu: not a router config (no router bgp or vrf statement) (${bad})\n`);
    expect(existsSync(out)).toBe(false);
    expect(emu(['import', join(dir, 'missing.conf')]).stderr).toContain('no such config file');
    expect(emu(['import', 'examples/configs/seed/leaf-3.conf', '--dialect', 'junos']).code).toBe(2);
  });
});

describe('ecmp-emu demo', () => {
  it("its lesson names the seed's missing max-paths, in this trace's numbers", () => {
    const r = emu(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("The seed's own Leaf-3 config has no `max-paths ebgp` line");
    expect(r.stdout).toMatch(/this trace gives leaf-3's VMs 172\.16\.3\.1 3\d\.\d%, 172\.16\.3\.3 0\.0%, 172\.16\.3\.5 0\.0%\./);
  });

  it('its lesson gains the underlay: linux-l3 at the border pins every VTEP pair onto one spine, linux-l4 evens the uplinks', () => {
    const r = emu(['demo']);
    expect(r.code).toBe(0);
    // Three VTEP pairs on two spines: pinned, the uplinks carry thirds (one spine two of them); spread, halves.
    expect(r.stdout).toMatch(/addresses only\) 3 of its 3 VTEP pairs are pinned onto one spine, and its uplinks carry spine-1 (33|66)\.\d%, spine-2 (66|33)\.\d%/);
    expect(r.stdout).toMatch(/On linux-l4 \(policy 1, which reads the source port\) they carry spine-1 (49|50)\.\d%, spine-2 (49|50)\.\d%/);
  });
});

describe('ecmp-emu init', () => {
  it('with no capture prints the built-in fabric, commented', () => {
    const r = emu(['init']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# defaults:');
    expect(r.stdout).toContain('vm-3c: { leaf: leaf-3, vrf: TENANT-A, address: 172.16.3.5/31');
  });

  it('fitted to a capture of client traffic to another service, replaying it forwards every flow', () => {
    const pcap = join(dir, 'c.pcap');
    const topo = join(dir, 'c.yaml');
    expect(emu(['generate', '--out', pcap, '--flows', '2000', '--dst', '203.0.113.50', '--seed', '3']).code).toBe(0);
    const before = json(emu(['replay', pcap, '--json']).stdout);
    expect(before.flows).toBe(0);
    expect(before.unrouted).toEqual([{ address: '203.0.113.50', flows: 2000, packets: 2000 }]);
    const r = emu(['init', '--from-capture', pcap, '--vms', '1,2', '--out', topo]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('a destination is a service when it carries at least 1% of the distinct flows');
    const after = json(emu(['replay', pcap, '--topology', topo, '--json']).stdout);
    expect(after.flows).toBe(2000);
    expect(after.unrouted).toEqual([]);
    expect(after.vms.map((v: { name: string }) => v.name)).toEqual(['vm-1', 'vm-2a', 'vm-2b']);
  });

  it('fitted to a VXLAN capture: the VTEPs and VNI its frames name, and every flow forwarded', () => {
    const pcap = join(dir, 'v.pcap');
    const topo = join(dir, 'v.yaml');
    expect(emu(['generate', '--out', pcap, '--flows', '1500', '--vxlan', '--seed', '4']).code).toBe(0);
    expect(emu(['init', '--from-capture', pcap, '--out', topo]).code).toBe(0);
    const text = readFileSync(topo, 'utf8');
    expect(text).toContain('VNI-10100: { vni: 10100 }');
    for (const v of ['10.1.1.1', '10.1.1.2', '10.1.1.3']) expect(text).toContain(`vtep: ${v},`);
    const rep = json(emu(['replay', pcap, '--topology', topo, '--json']).stdout);
    expect(rep.flows).toBe(1500);
    expect(rep.skipped).toEqual({});
    expect(emu(['init', '--from-capture', pcap, '--vms', '1,1']).stderr).toContain('give 3 VM counts');
  });

  it('says its rule: the destinations carrying at least 1% of the flows, busiest first, eight at most', () => {
    const destinations = [{ address: 1, flows: 500 }, { address: 2, flows: 300 }, { address: 3, flows: 10 }, { address: 4, flows: 9 }];
    expect(pickServices({ source: 'x', flows: 1000, destinations, vteps: [], ingressVteps: [] }).map((d) => d.address)).toEqual([1, 2, 3]);
    const many = Array.from({ length: 20 }, (_, i) => ({ address: i, flows: 50 }));
    expect(pickServices({ source: 'x', flows: 1000, destinations: many, vteps: [], ingressVteps: [] })).toHaveLength(8);
  });
});
