// Differential: the paths the importer says a leaf installs against real FRR (zebra + bgpd) in network namespaces.
// This kernel has no VRF device type (`ip link add … type vrf`: "Unknown device type"), so the real leaf runs the
// same BGP statements in its default instance; the importer reads them as `router bgp N vrf TENANT-A`.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importConfigs } from '../../src/config/index.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';
import { acquireNetnsLock, netnsUnavailable, removeStaleNamespaces, run } from '../hash/netns.js';

const FRR = '/usr/lib/frr';
const skip = ((): string | undefined => {
  if (!existsSync(`${FRR}/bgpd`) || !existsSync(`${FRR}/zebra`) || spawnSync('vtysh', ['--help']).error !== undefined) return 'FRR (zebra, bgpd, vtysh) is not installed';
  return netnsUnavailable();
})();
if (skip) console.log(`skipping the FRR differential: ${skip}`);

const PID = process.pid;
const DIR = `/tmp/ecmp-emu-frr-${PID}`;
const NODES = ['leaf', 'vma', 'vmb', 'vmc'];
const ns = (n: string): string => `efrr-${n}-${PID}`;
const VMS = [0xac100301, 0xac100303, 0xac100305]; // 172.16.3.1, .3, .5; the leaf side is each one's /31 peer

interface Case {
  name: string;
  leaf: string[]; // extra lines in the leaf's BGP instance
  vmAs: number[];
  /** keep FRR's default `bgp ebgp-requires-policy` on the leaf (no `no bgp ebgp-requires-policy` line) */
  policy?: boolean;
  /** extra top-level lines of the leaf (route-maps) */
  tail?: string[];
  /** the VMs' router-ids (default: each VM's own address) */
  routerIds?: string[];
  /** how many paths FRR installs: pinned too, so the case cannot pass by both sides agreeing on nothing */
  paths: number;
}

function leafConfig(c: Case, vrf: boolean): string {
  return [
    'frr version 8.4.4',
    'frr defaults traditional',
    'hostname leaf-3',
    ...(vrf ? ['vrf TENANT-A', ' vni 10100', 'exit-vrf'] : []),
    `router bgp 65003${vrf ? ' vrf TENANT-A' : ''}`,
    ' bgp router-id 10.1.1.3',
    ...(c.policy ? [] : [' no bgp ebgp-requires-policy']),
    ...c.leaf.filter((l) => !l.startsWith('  ')),
    ...VMS.flatMap((a, i) => [` neighbor ${formatIpv4(a)} remote-as ${c.vmAs[i]}`, ` neighbor ${formatIpv4(a)} timers connect 1`]),
    ' address-family ipv4 unicast',
    ...c.leaf.filter((l) => l.startsWith('  ')),
    ' exit-address-family',
    'exit',
    ...(c.tail ?? []),
    '',
  ].join('\n');
}

function vmConfig(i: number, c: Case): string {
  const me = formatIpv4(VMS[i]!);
  return [
    'frr version 8.4.4', 'frr defaults traditional', `hostname VM-${'ABC'[i]}`,
    `router bgp ${c.vmAs[i]}`, ` bgp router-id ${c.routerIds?.[i] ?? me}`, ' no bgp ebgp-requires-policy', ` neighbor ${formatIpv4(VMS[i]! - 1)} remote-as 65003`, ` neighbor ${formatIpv4(VMS[i]! - 1)} timers connect 1`,
    ' address-family ipv4 unicast', '  network 192.168.100.10/32', ' exit-address-family', 'exit', '',
  ].join('\n');
}

function ip(args: string[]): void {
  run('ip', args);
}

function buildLab(): void {
  removeStaleNamespaces('efrr');
  mkdirSync(DIR, { recursive: true });
  for (const n of NODES) {
    ip(['netns', 'add', ns(n)]);
    ip(['-n', ns(n), 'link', 'set', 'lo', 'up']);
    mkdirSync(`/var/run/frr/${ns(n)}`, { recursive: true });
    run('chown', ['frr:frr', `/var/run/frr/${ns(n)}`, DIR]);
  }
  VMS.forEach((addr, i) => {
    const vm = NODES[i + 1]!;
    const l = `efl${i}-${PID}`;
    const v = `efv${i}-${PID}`;
    ip(['link', 'add', l, 'netns', ns('leaf'), 'type', 'veth', 'peer', 'name', v, 'netns', ns(vm)]);
    ip(['-n', ns('leaf'), 'addr', 'add', `${formatIpv4(addr - 1)}/31`, 'dev', l]);
    ip(['-n', ns('leaf'), 'link', 'set', l, 'up']);
    ip(['-n', ns(vm), 'addr', 'add', `${formatIpv4(addr)}/31`, 'dev', v]);
    ip(['-n', ns(vm), 'link', 'set', v, 'up']);
    ip(['-n', ns(vm), 'addr', 'add', '192.168.100.10/32', 'dev', 'lo']);
  });
  for (const n of NODES) daemon(n, 'zebra', 'hostname x\n');
}

function daemon(n: string, which: 'zebra' | 'bgpd', config: string): void {
  const conf = `${DIR}/${n}-${which}.conf`;
  writeFileSync(conf, config);
  run('chown', ['frr:frr', conf]);
  run('ip', ['netns', 'exec', ns(n), `${FRR}/${which}`, '-N', ns(n), '-d', '-f', conf, '-i', `${DIR}/${n}-${which}.pid`]);
}

function stop(n: string, which: string): void {
  const pidFile = `${DIR}/${n}-${which}.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  for (let i = 0; i < 50 && alive(pid); i++) spawnSync('sleep', ['0.1']);
  rmSync(pidFile, { force: true });
}

/** A daemon that has exited may stay a zombie here (PID 1 need not reap): only a running process counts. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function vtysh(n: string, cmd: string): string {
  return spawnSync('vtysh', ['-N', ns(n), '-c', cmd], { encoding: 'utf8' }).stdout;
}

/** Restarts every bgpd with the case's configs and waits until the leaf's three sessions are up and have sent their route. */
async function converged(c: Case): Promise<string[]> {
  for (const n of NODES) stop(n, 'bgpd');
  daemon('leaf', 'bgpd', leafConfig(c, false));
  VMS.forEach((_, i) => daemon(NODES[i + 1]!, 'bgpd', vmConfig(i, c)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sum = vtysh('leaf', 'show bgp ipv4 unicast summary json');
    const peers = Object.values((JSON.parse(sum || '{}') as { peers?: Record<string, { state: string; pfxRcd?: number }> }).peers ?? {});
    // With the policy rule on and no route-map in, FRR receives nothing: an established session is then all there is.
    if (peers.length === 3 && peers.every((p) => p.state === 'Established' && (c.paths === 0 || p.pfxRcd === 1))) break;
    if (Date.now() > deadline) throw new Error(`FRR did not converge: ${sum}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // Bestpath and zebra's install run after the last update, and may add next-hops one at a time: wait until the
  // FIB holds the expected count (30 s at most), then a second more, in which a further path would still show.
  // With nothing to install there is nothing to wait for: 4 s, in which a wrongly installed route would show.
  if (c.paths === 0) await new Promise((r) => setTimeout(r, 4000));
  else {
    for (const t0 = Date.now(); installed().length !== c.paths && Date.now() - t0 < 30_000; ) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 1000));
  }
  return installed();
}

/** The next-hops the leaf's FIB holds for the service address, sorted. */
function installed(): string[] {
  const routes = JSON.parse(vtysh('leaf', 'show ip route 192.168.100.10/32 json') || '{}') as Record<string, { protocol: string; nexthops: { ip: string; fib?: boolean }[] }[]>;
  const bgp = routes['192.168.100.10/32']?.find((r) => r.protocol === 'bgp');
  return (bgp?.nexthops ?? []).filter((h) => h.fib).map((h) => h.ip).sort();
}

/** What the importer says leaf-3 installs from the same statements, as a VRF instance. */
function imported(c: Case): string[] {
  const configs = [{ file: 'leaf-3.conf', text: leafConfig(c, true) }, ...VMS.map((_, i) => ({ file: `vm-${i}.conf`, text: vmConfig(i, c) }))];
  const r = importConfigs(configs, { ingress: 'leaf-3' });
  const route = r.fabric.routes.find((x) => x.source === 'ebgp');
  return (route?.nextHops ?? []).map((h) => formatIpv4(h.address)).sort();
}

const CASES: Case[] = [
  { name: 'no maximum-paths (FRR default)', leaf: [], vmAs: [65100, 65100, 65100], paths: 3 },
  { name: 'maximum-paths 1, compare-routerid', leaf: [' bgp bestpath compare-routerid', '  maximum-paths 1'], vmAs: [65100, 65100, 65100], paths: 1 },
  { name: 'maximum-paths 2, compare-routerid', leaf: [' bgp bestpath compare-routerid', '  maximum-paths 2'], vmAs: [65100, 65100, 65100], paths: 2 },
  // The best path is VM-C (lowest router-id): kept first, then the lowest neighbour address, not simply the two lowest.
  { name: 'maximum-paths 2, router-ids reversed', leaf: [' bgp bestpath compare-routerid', '  maximum-paths 2'], vmAs: [65100, 65100, 65100], routerIds: ['10.0.0.3', '10.0.0.2', '10.0.0.1'], paths: 2 },
  { name: 'maximum-paths 1, router-ids reversed', leaf: [' bgp bestpath compare-routerid', '  maximum-paths 1'], vmAs: [65100, 65100, 65100], routerIds: ['10.0.0.3', '10.0.0.2', '10.0.0.1'], paths: 1 },
  { name: 'maximum-paths 3', leaf: ['  maximum-paths 3'], vmAs: [65100, 65100, 65100], paths: 3 },
  { name: 'three VM ASes, no multipath-relax', leaf: [' bgp bestpath compare-routerid'], vmAs: [65100, 65101, 65102], paths: 1 },
  { name: "FRR's default ebgp-requires-policy and no route-map in: nothing installed", leaf: [], vmAs: [65100, 65100, 65100], policy: true, paths: 0 },
  {
    name: 'ebgp-requires-policy with a route-map in on each neighbour',
    leaf: VMS.map((a) => `  neighbor ${formatIpv4(a)} route-map ALLOW in`),
    tail: ['route-map ALLOW permit 10', 'exit'],
    vmAs: [65100, 65100, 65100], policy: true, paths: 3,
  },
  { name: 'three VM ASes, multipath-relax', leaf: [' bgp bestpath as-path multipath-relax'], vmAs: [65100, 65101, 65102], paths: 3 },
];

describe.skipIf(skip !== undefined)('the importer against real FRR: the paths a leaf installs', () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await acquireNetnsLock();
    buildLab();
  }, 900_000);
  afterAll(() => {
    for (const n of NODES) for (const d of ['bgpd', 'zebra']) stop(n, d);
    for (const n of NODES) spawnSync('ip', ['netns', 'del', ns(n)]);
    for (const n of NODES) rmSync(`/var/run/frr/${ns(n)}`, { recursive: true, force: true });
    rmSync(DIR, { recursive: true, force: true });
    release?.();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const real = await converged(c);
      expect(real).toHaveLength(c.paths);
      expect(imported(c)).toEqual(real);
    }, 90_000);
  }
});
