import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importConfigs, type ConfigText } from '../../src/config/index.js';
import { converge, type Fabric } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/analysis/report.js';
import { UsageError } from '../../src/errors.js';
import type { Report } from '../../src/stats/types.js';
import { prng, u32 } from '../helpers.js';

const FRR_DIR = new URL('../../examples/configs/frr/', import.meta.url);
const SEED_DIR = new URL('../../examples/configs/seed/', import.meta.url);
const SERVICE = 0xc0a8640a; // 192.168.100.10
const ANNOUNCE = [{ prefix: SERVICE, length: 32 }];

/** The built-in fabric's FRR configs, one per device, as examples/configs/frr holds them. */
function frrConfigs(edit: Record<string, (text: string) => string> = {}): ConfigText[] {
  return readdirSync(FRR_DIR).sort().map((f) => {
    const text = readFileSync(new URL(f, FRR_DIR), 'utf8');
    const name = f.replace(/\.conf$/, '');
    return { file: f, text: edit[name] ? edit[name]!(text) : text };
  });
}

const seed = (f: string): ConfigText => ({ file: f, text: readFileSync(new URL(f, SEED_DIR), 'utf8') });

/** 20k seeded client flows to the service address, two packets each. */
function replay(fabric: Fabric, n = 20_000): Report {
  const engine = new Engine(fabric);
  const rand = prng(7);
  for (let i = 0; i < n; i++) {
    engine.processFlow((0x0a000000 | (u32(rand) & 0xffffff)) >>> 0, SERVICE, rand() < 0.5 ? 6 : 17, 1024 + Math.floor(rand() * 64000), 443, 2, 300);
  }
  return buildReport(engine);
}

/** Each leaf's installed routes as text: prefix, source and next-hop addresses with weights. */
function fib(fabric: Fabric): string[] {
  return fabric.routes.map((r) => `${fabric.leafNames[r.leaf]} ${r.prefix}/${r.length} ${r.source} ${r.nextHops.map((h) => `${h.address}w${h.weight}`).join(',')}`).sort();
}

const kinds = (ws: { kind: string }[]): string[] => ws.map((w) => w.kind).filter((k) => k !== 'no-vm-config');
const flowsOf = (r: Report, vm: string): number => r.vms.find((v) => v.name === vm)!.flows;

describe('import of the built-in fabric written as FRR configs', () => {
  const result = importConfigs(frrConfigs());

  it('reads every file as FRR and finds nothing wrong', () => {
    expect(result.devices.map((d) => d.dialect)).toEqual(Array(9).fill('frr'));
    expect(result.warnings).toEqual([]);
    expect(result.topology.ingress).toEqual({ leaf: 'border', vrf: 'TENANT-A' });
  });

  it('installs the same FIB as the built-in topology and replays to the same spread', () => {
    const builtin = converge(loadTopology());
    expect(fib(result.fabric)).toEqual(fib(builtin));
    const a = replay(result.fabric);
    const b = replay(builtin);
    expect(a.vms.map((v) => [v.name, v.flows])).toEqual(b.vms.map((v) => [v.name, v.flows]));
    expect(a.flows).toBe(20_000);
  });

  it('with `maximum-paths 1` on leaf-3 one VM takes all of leaf-3\'s flows, and the lint says so with the line', () => {
    const r = importConfigs(frrConfigs({ 'leaf-3': (t) => t.replace(' address-family l2vpn evpn\n  advertise ipv4 unicast', ' address-family ipv4 unicast\n  maximum-paths 1\n exit-address-family\n !\n address-family l2vpn evpn\n  advertise ipv4 unicast') }));
    const leaf3 = r.fabric.routes.find((x) => r.fabric.leafNames[x.leaf] === 'leaf-3' && x.source === 'ebgp')!;
    expect(leaf3.nextHops.map((h) => r.fabric.vmNames[h.target])).toEqual(['VM-A']);
    const rep = replay(r.fabric);
    const leaf3Flows = rep.vteps.find((v) => v.name === 'leaf-3')!.flows;
    expect(leaf3Flows).toBeGreaterThan(6000);
    expect(flowsOf(rep, 'VM-A')).toBe(leaf3Flows);
    expect(flowsOf(rep, 'VM-B') + flowsOf(rep, 'VM-C')).toBe(0);
    const w = r.warnings.find((x) => x.kind === 'too-few-paths')!;
    expect(w.node).toBe('leaf-3');
    expect(w.message).toMatch(/^leaf-3\.conf line 5\d `maximum-paths 1`: FRR installs 1 of 3 EBGP paths for 192\.168\.100\.10\/32; VM-B and VM-C get no traffic; set `maximum-paths 3`/);
    expect(w.message).toContain('Best path VM-A: the lowest router-id (172.16.3.1)');
  });

  it('without multipath-relax on the border, type-5 paths from three leaf ASes give one VTEP all the flows', () => {
    const r = importConfigs(frrConfigs({ border: (t) => t.replace(' bgp bestpath as-path multipath-relax\n', '') }));
    const border = r.fabric.routes.find((x) => r.fabric.leafNames[x.leaf] === 'border')!;
    expect(border.nextHops.map((h) => r.fabric.leafNames[h.target])).toEqual(['leaf-1']);
    const w = r.warnings.find((x) => x.kind === 'multipath-relax')!;
    expect(w.node).toBe('border');
    expect(w.message).toContain('installs 1 of 3 VTEPs; leaf-2 and leaf-3 get no traffic');
    expect(replay(r.fabric).vteps.map((v) => [v.name, v.share])).toEqual([['leaf-1', 1]]);
  });

  it('VMs of different ASes need multipath-relax on their leaf (same neighbour AS is enough without it)', () => {
    const asOf = (n: number) => (t: string): string => t.replace('router bgp 65100', `router bgp ${n}`);
    const vmAs = { 'VM-B': asOf(65101), 'VM-C': asOf(65102) };
    const leafAs = (t: string): string => t.replace('172.16.3.3 remote-as 65100', '172.16.3.3 remote-as 65101').replace('172.16.3.5 remote-as 65100', '172.16.3.5 remote-as 65102');
    const noRelax = importConfigs(frrConfigs({ ...vmAs, 'leaf-3': (t) => leafAs(t).replace(' bgp bestpath as-path multipath-relax\n', '') }));
    const route = (r: typeof noRelax) => r.fabric.routes.find((x) => r.fabric.leafNames[x.leaf] === 'leaf-3' && x.source === 'ebgp')!;
    expect(route(noRelax).nextHops.map((h) => noRelax.fabric.vmNames[h.target])).toEqual(['VM-A']);
    expect(noRelax.warnings.find((w) => w.kind === 'multipath-relax')!.message).toMatch(/^VM-B \(AS 65101\) and VM-C \(AS 65102\) are not multipath with VM-A \(AS 65100\)/);
    const relaxed = importConfigs(frrConfigs({ ...vmAs, 'leaf-3': leafAs }));
    expect(route(relaxed).nextHops).toHaveLength(3);
    expect(relaxed.warnings).toEqual([]);
  });

  it('a border that imports another route-target installs nothing, and says which leaf exports what', () => {
    const r = importConfigs(frrConfigs({ border: (t) => t.replace('  advertise ipv4 unicast\n', '  advertise ipv4 unicast\n  route-target import 65000:999\n') }));
    expect(r.fabric.routes.filter((x) => r.fabric.leafNames[x.leaf] === 'border')).toEqual([]);
    const w = r.warnings.find((x) => x.kind === 'route-target')!;
    expect(w.message).toMatch(/^border imports nothing into vrf TENANT-A: its import route-targets 65000:999 match none of theirs \(leaf-1 exports 65001:10100; /);
    expect(replay(r.fabric).skipped['no-route']).toBe(40_000);
  });

  it('a leaf with another L3 VNI is a VNI mismatch, and its auto-derived route-target is then not imported', () => {
    const r = importConfigs(frrConfigs({ 'leaf-2': (t) => t.replace(' vni 10100', ' vni 10200') }));
    expect(r.warnings.find((w) => w.kind === 'vni-mismatch')!.message).toContain('leaf-2: 10200');
    const border = r.fabric.routes.find((x) => r.fabric.leafNames[x.leaf] === 'border')!;
    expect(border.nextHops.map((h) => r.fabric.leafNames[h.target])).toEqual(['leaf-1', 'leaf-3']);
    expect(kinds(r.warnings)).toContain('route-target');
  });

  it('a leaf without `advertise ipv4 unicast` in its VRF instance exports nothing: the border never learns its VMs', () => {
    const r = importConfigs(frrConfigs({ 'leaf-2': (t) => t.replace(/(router bgp 65002 vrf TENANT-A[\s\S]*?)  advertise ipv4 unicast\n/, '$1') }));
    expect(r.warnings.map((w) => w.kind)).toEqual(['no-advertise']);
    expect(r.warnings[0]!.message).toBe('router bgp 65002 vrf TENANT-A has no `advertise ipv4 unicast` under address-family l2vpn evpn: no other leaf learns its VMs\' routes');
    const border = r.fabric.routes.find((x) => r.fabric.leafNames[x.leaf] === 'border')!;
    expect(border.nextHops.map((h) => r.fabric.leafNames[h.target])).toEqual(['leaf-1', 'leaf-3']);
  });

  it('FRR\'s default ebgp-requires-policy: a VM with no policy sends nothing', () => {
    const r = importConfigs(frrConfigs({ 'VM-B': (t) => t.replace(' no bgp ebgp-requires-policy\n', '') }));
    expect(r.topology.vms.find((v) => v.name === 'VM-B')!.announce).toEqual([]);
    const w = r.warnings.find((x) => x.kind === 'ebgp-requires-policy')!;
    expect(w.node).toBe('VM-B');
    expect(w.message).toMatch(/^VM-B\.conf line 1\d: neighbour 172\.16\.3\.2 has no route-map out/);
    // the leaf side too: no `no bgp ebgp-requires-policy` in leaf-3's VRF instance drops all three VMs
    const leaf = importConfigs(frrConfigs({ 'leaf-3': (t) => t.replace(/(router bgp 65003 vrf TENANT-A\n bgp router-id 10.1.1.3\n) no bgp ebgp-requires-policy\n/, '$1') }));
    expect(leaf.warnings.filter((x) => x.kind === 'ebgp-requires-policy').map((x) => x.node)).toEqual(['leaf-3', 'leaf-3', 'leaf-3']);
    expect(leaf.fabric.routes.some((x) => x.source === 'ebgp' && leaf.fabric.leafNames[x.leaf] === 'leaf-3')).toBe(false);
  });

  it('multipath-relax only in the default instance does not reach FRR\'s VRF instance, and says so', () => {
    const r = importConfigs(frrConfigs({ border: (t) => t.replace(' bgp bestpath as-path multipath-relax\n', '').replace(' no bgp ebgp-requires-policy\n neighbor 10.1.1.1', ' no bgp ebgp-requires-policy\n bgp bestpath as-path multipath-relax\n neighbor 10.1.1.1') }));
    const msgs = r.warnings.filter((w) => w.kind === 'multipath-relax').map((w) => w.message);
    expect(msgs[0]).toMatch(/^border\.conf line \d+: multipath-relax is set in router bgp 65000 only; FRR's VRF instance router bgp 65000 vrf TENANT-A does not inherit it/);
    expect(msgs[1]).toContain('installs 1 of 3 VTEPs');
  });

  it('a remote-as that does not match the other side brings no session up', () => {
    const r = importConfigs(frrConfigs({ 'VM-B': (t) => t.replace('remote-as 65003', 'remote-as 65033') }));
    const w = r.warnings.find((x) => x.kind === 'session')!;
    expect([w.node, w.message]).toEqual(['VM-B', 'VM-B.conf line 18: neighbour 172.16.3.2 remote-as 65033, but leaf-3 is AS 65003: the session does not come up']);
    expect(r.topology.vms.find((v) => v.name === 'VM-B')!.announce).toEqual([]);
  });

  it('a VM announcing nothing, and VMs sharing a router-id, are findings', () => {
    const r = importConfigs(frrConfigs({
      'VM-C': (t) => t.replace('  network 192.168.100.10/32\n', ''),
      'VM-A': (t) => t.replace('bgp router-id 172.16.3.1', 'bgp router-id 192.168.100.10'),
      'VM-B': (t) => t.replace('bgp router-id 172.16.3.3', 'bgp router-id 192.168.100.10'),
    }));
    expect(r.warnings.find((w) => w.kind === 'vm-announces-nothing')!.node).toBe('VM-C');
    expect(r.warnings.find((w) => w.kind === 'duplicate-router-id')!.message).toMatch(/^VM-A and VM-B share router-id 192\.168\.100\.10/);
  });

  it('link-bandwidth num-multipaths on every leaf\'s export is weighting: paths', () => {
    const rm = 'route-map LB permit 10\n set extcommunity bandwidth num-multipaths\nexit\n!\n';
    const lb = (t: string): string => t.replace('  advertise ipv4 unicast', '  advertise ipv4 unicast route-map LB') + rm;
    const r = importConfigs(frrConfigs({ 'leaf-1': lb, 'leaf-2': lb, 'leaf-3': lb }));
    expect(r.topology.weighting).toBe('paths');
    const partial = importConfigs(frrConfigs({ 'leaf-3': lb }));
    expect(partial.topology.weighting).toBe('equal');
    expect(partial.warnings.find((w) => w.kind === 'link-bandwidth')!.message).toContain('FRR weights only when every multipath carries it');
  });

  it('IPv6 and unnumbered neighbours are skipped with a warning, not read as peer-groups', () => {
    const r = importConfigs(frrConfigs({ 'leaf-1': (t) => t.replace(' neighbor 172.16.1.1 remote-as 65100\n', ' neighbor 172.16.1.1 remote-as 65100\n neighbor 2001:db8::2 remote-as 65100\n neighbor swp7 interface remote-as external\n') }));
    expect(r.warnings.map((w) => w.message.replace(/ line \d+/, ''))).toEqual([
      'leaf-1.conf: skipped `neighbor 2001:db8::2 remote-as 65100` (IPv6 neighbours are not imported (IPv4 only))',
      'leaf-1.conf: skipped `neighbor swp7 interface remote-as external` (unnumbered (interface) sessions are not imported: a VM needs an address)',
    ]);
    expect(r.topology.vms).toHaveLength(5);
  });

  it('a line it does not understand is skipped with a warning naming file and line', () => {
    const r = importConfigs(frrConfigs({ 'leaf-1': (t) => t.replace('!\ninterface lo', '!\nfrobnicate the widget\n!\ninterface lo') }));
    expect(r.warnings).toEqual([{ kind: 'skipped-line', node: 'leaf-1', message: 'leaf-1.conf line 12: skipped `frobnicate the widget` (not understood)' }]);
  });
});

describe('import: two tenants and peer-groups, as FRR writes them', () => {
  const leaf = [
    'frr version 8.4.4', 'frr defaults datacenter', 'hostname leaf-9', '!',
    'vrf RED', ' vni 20100', 'exit-vrf', '!', 'vrf BLUE', ' vni 20200', 'exit-vrf', '!',
    'interface lo', ' ip address 10.9.9.9/32', 'exit', '!',
    'router bgp 65009 vrf RED',
    ' neighbor VMS peer-group', ' neighbor VMS remote-as external', ' neighbor 172.20.0.1 peer-group VMS', ' neighbor 172.20.0.3 peer-group VMS',
    ' !', ' address-family ipv4 unicast', '  neighbor VMS activate', '  maximum-paths 2', ' exit-address-family',
    ' !', ' address-family l2vpn evpn', '  advertise ipv4 unicast', ' exit-address-family', 'exit', '!',
    'router bgp 65009 vrf BLUE',
    ' neighbor 172.21.0.1 remote-as 65200',
    ' !', ' address-family ipv4 unicast', '  maximum-paths 4', ' exit-address-family',
    ' !', ' address-family l2vpn evpn', '  advertise ipv4 unicast', ' exit-address-family', 'exit', '!', '',
  ].join('\n');
  const vm = (name: string, me: string, peer: string, asn: number, net: string): ConfigText => ({
    file: `${name}.conf`,
    text: ['frr version 8.4.4', 'frr defaults datacenter', `hostname ${name}`, `router bgp ${asn}`, ` neighbor ${peer} remote-as 65009`, ' address-family ipv4 unicast', `  network ${net}`, ' exit-address-family', 'exit', ''].join('\n'),
  });
  const r = importConfigs([{ file: 'leaf-9.conf', text: leaf }, vm('red-1', '172.20.0.1', '172.20.0.0', 65101, '10.50.0.0/24'), vm('red-2', '172.20.0.3', '172.20.0.2', 65101, '10.50.0.0/24'), vm('blue-1', '172.21.0.1', '172.21.0.0', 65200, '10.60.0.0/24')], { ingress: 'leaf-9' });

  it('reads both VRFs with their VNIs and route-targets, and VMs through a peer-group with remote-as external', () => {
    expect(r.topology.vrfs).toEqual([{ name: 'RED', vni: 20100 }, { name: 'BLUE', vni: 20200 }]);
    expect(r.topology.vms.map((v) => [v.name, v.vrf, v.asn])).toEqual([['red-1', 'RED', 65101], ['red-2', 'RED', 65101], ['blue-1', 'BLUE', 65200]]);
    expect(r.topology.leaves[0]!.routeTargets).toEqual({ RED: { import: ['*:20100'], export: ['65009:20100'] }, BLUE: { import: ['*:20200'], export: ['65009:20200'] } });
    const red = r.fabric.routes.find((x) => r.fabric.vrfNames[x.vrf] === 'RED')!;
    expect(red.nextHops.map((h) => r.fabric.vmNames[h.target])).toEqual(['red-1', 'red-2']);
  });

  it('says the per-VRF maximum-paths the topology cannot hold; datacenter defaults need no policy', () => {
    expect(r.warnings.map((w) => w.kind)).toEqual(['per-vrf']);
    expect(r.warnings[0]!.message).toBe("vrf BLUE has maximum-paths 4 but vrf RED has 2: the topology holds one per leaf and uses vrf RED's");
  });
});

describe('import of the seed, exactly as printed', () => {
  it('reads Leaf-3 as OcNOS: VTEP from its router-id, a single best path, and the lint names the missing max-paths', () => {
    const r = importConfigs([seed('leaf-3.conf')], { vmAnnounce: ANNOUNCE, ingress: 'leaf-3' });
    expect(r.devices[0]!.dialect).toBe('ocnos');
    const leaf = r.topology.leaves[0]!;
    expect([leaf.name, leaf.vtep, leaf.asn, leaf.maximumPaths]).toEqual(['leaf-3', 0x0a010103, 65003, 1]);
    expect(r.topology.vms.map((v) => [v.name, v.address, v.asn])).toEqual([
      ['leaf-3-172.16.3.1', 0xac100301, 65100], ['leaf-3-172.16.3.3', 0xac100303, 65100], ['leaf-3-172.16.3.5', 0xac100305, 65100],
    ]);
    expect(r.topology.vrfs).toEqual([{ name: 'TENANT-A', vni: 10100 }]);
    expect(r.warnings.find((w) => w.kind === 'vtep')!.message).toContain('bgp router-id of router bgp 65003 vrf TENANT-A (leaf-3.conf line 11)');
    expect(r.warnings.filter((w) => w.kind === 'no-vm-config')).toHaveLength(3);
    const w = r.warnings.find((x) => x.kind === 'too-few-paths')!;
    expect(w.message).toMatch(/^no max-paths: OcNOS installs 1 of 3 EBGP paths for 192\.168\.100\.10\/32; leaf-3-172\.16\.3\.3 and leaf-3-172\.16\.3\.5 get no traffic; add `max-paths ebgp 3`/);
    expect(kinds(r.warnings).filter((k) => k === 'skipped-line')).toEqual([]);
  });

  it('with its VM config, that VM is VM-A and takes every flow; the other two get none', () => {
    const r = importConfigs([seed('leaf-3.conf'), seed('vm-a.conf')], { vmAnnounce: ANNOUNCE, ingress: 'leaf-3' });
    expect(r.devices.map((d) => d.dialect)).toEqual(['ocnos', 'ocnos']);
    const vmA = r.topology.vms.find((v) => v.name === 'vm-a')!;
    expect([vmA.address, vmA.routerId, vmA.announce]).toEqual([0xac100301, SERVICE, ANNOUNCE]);
    const rep = replay(r.fabric);
    expect(flowsOf(rep, 'vm-a')).toBe(20_000);
    expect(flowsOf(rep, 'leaf-3-172.16.3.3') + flowsOf(rep, 'leaf-3-172.16.3.5')).toBe(0);
  });

  it('with `max-paths ebgp 3` added, all three VMs share the flows', () => {
    const leaf3 = seed('leaf-3.conf');
    leaf3.text = leaf3.text.replace('redistribute connected\n', 'redistribute connected\nmax-paths ebgp 3\n');
    const r = importConfigs([leaf3, seed('vm-a.conf')], { vmAnnounce: ANNOUNCE, ingress: 'leaf-3' });
    expect(r.topology.leaves[0]!.maximumPaths).toBe(3);
    expect(kinds(r.warnings)).not.toContain('too-few-paths');
    const rep = replay(r.fabric);
    for (const v of rep.vms) expect(Math.abs(v.share - 1 / 3)).toBeLessThan(0.02);
  });

  it('OcNOS max-paths at router bgp level counts for the VRF too', () => {
    const leaf3 = seed('leaf-3.conf');
    leaf3.text = leaf3.text.replace('address-family l2vpn evpn\n', 'max-paths ebgp 3\naddress-family l2vpn evpn\n');
    const r = importConfigs([leaf3], { vmAnnounce: ANNOUNCE, ingress: 'leaf-3' });
    expect(r.topology.leaves[0]!.maximumPaths).toBe(3);
  });

  it('reads the OcNOS 6.6 lab syntax: ip vrf, l3vni, route-target both, nvo vxlan vtep-ip-global, address-family ipv4 vrf', () => {
    const text = [
      'hostname leaf-7', '!', 'ip vrf T', ' rd 10.7.7.7:1', ' route-target both 65000:100', ' l3vni 100', '!',
      'mac vrf M', ' rd 10.7.7.7:2', ' route-target both 65000:200', '!', 'nvo vxlan enable', 'nvo vxlan irb', 'nvo vxlan vtep-ip-global 10.7.7.7', '!',
      'nvo vxlan id 200 ingress-replication inner-vid-disabled', ' vxlan host-reachability-protocol evpn-bgp M', ' evpn irb1', '!',
      'router bgp 65007', ' bgp router-id 1.1.1.7', ' neighbor 10.0.0.1 remote-as 65000', ' !',
      ' address-family ipv4 vrf T', ' max-paths ebgp 64', ' redistribute connected', ' neighbor 172.30.0.1 remote-as 65100', ' neighbor 172.30.0.1 activate',
      ' neighbor 172.30.0.3 remote-as 65100', ' neighbor 172.30.0.3 activate', ' exit-address-family', '!',
      ' address-family l2vpn evpn', ' neighbor 10.0.0.1 activate', ' exit-address-family', '!', '',
    ].join('\n');
    const r = importConfigs([{ file: 'leaf-7.cfg', text }], { vmAnnounce: ANNOUNCE, ingress: 'leaf-7' });
    const leaf = r.topology.leaves[0]!;
    expect([r.devices[0]!.dialect, leaf.vtep, leaf.maximumPaths, leaf.routeTargets]).toEqual(['ocnos', 0x0a070707, 64, { T: { import: ['65000:100'], export: ['65000:100'] } }]);
    expect(r.topology.vrfs).toEqual([{ name: 'T', vni: 100 }]);
    expect(r.topology.vms.map((v) => [v.address, v.asn, v.vrf])).toEqual([[0xac1e0001, 65100, 'T'], [0xac1e0003, 65100, 'T']]);
    expect(r.warnings.filter((w) => w.kind !== 'no-vm-config')).toEqual([]);
  });

  it('a VM neighbour with no config and no --vm-announce announces nothing, and the ingress must then be said', () => {
    const r = importConfigs([seed('leaf-3.conf')]);
    expect(r.topology.vms.every((v) => v.announce.length === 0)).toBe(true);
    expect(r.warnings.find((w) => w.kind === 'ingress')!.node).toBe('leaf-3');
  });
});

describe('import: bad input', () => {
  it('a file that is no router config is an error naming it (exit 2)', () => {
    const run = (): unknown => importConfigs([{ file: 'notes.txt', text: 'hello\nworld\n' }]);
    expect(run).toThrow(UsageError);
    expect(run).toThrow('not a router config (no router bgp or vrf statement) (notes.txt)');
  });

  it('two leaves with VMs and no VM-less leaf need --ingress', () => {
    const two = frrConfigs().filter((c) => c.file !== 'border.conf');
    expect(() => importConfigs(two)).toThrow(/cannot tell the ingress leaf: every leaf has VMs; name it with --ingress LEAF/);
    expect(importConfigs(two, { ingress: 'leaf-1' }).topology.ingress.leaf).toBe('leaf-1');
  });

  it('--dialect forces the reading: the seed as FRR needs policies it does not have', () => {
    const r = importConfigs([seed('leaf-3.conf'), seed('vm-a.conf')], { dialect: 'frr', ingress: 'leaf-3' });
    expect(r.topology.leaves[0]!.maximumPaths).toBe(64);
    expect(r.warnings.filter((w) => w.kind === 'ebgp-requires-policy').map((w) => w.node)).toEqual(['vm-a']);
  });
});
