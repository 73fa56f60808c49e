// End to end with the Linux kernel's own VXLAN as the peer: a vxlan device (VNI 10100, from the border's VTEP
// 10.1.1.254 to leaf-3's 10.1.1.3) encapsulates UDP flows; tcpdump captures them off the veth underneath; `replay`
// must read them as underlay traffic arriving at leaf-3 and spread them over leaf-3's VMs only, counting every flow.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/stats/types.js';
import { CLI, Netns, ensureBuilt, finish, liveSkipReason, netnsLock, sendUdp } from './netns.js';
import { waitFor } from '../helpers.js';

const DATAGRAMS = 450;
const FLOWS = 90;
const DPORT = 9999;
// VTEPs of the built-in topology (SPEC §1): the border's and leaf-3's.
const BORDER_VTEP = '10.1.1.254';
const LEAF3_VTEP = '10.1.1.3';
const VNI = '10100';
const SERVICE = '192.168.100.10';
// The overlay: the border's vxlan device has a client address; the service is routed to a gateway with a static MAC.
const CLIENT = '10.99.0.1';
const GATEWAY = '10.99.0.2';
const GATEWAY_MAC = '02:00:00:00:99:02';
const UNDERLAY_A_MAC = '02:00:00:00:0a:01';
const UNDERLAY_B_MAC = '02:00:00:00:0b:01';

const reason = liveSkipReason({ tools: [['tcpdump', ['--version']]], vxlan: true });
if (reason && !process.env.CI) console.warn(`skipping the kernel VXLAN test: ${reason}`);

describe.skipIf(reason !== undefined && !process.env.CI)('replay of the kernel\'s own VXLAN, captured by tcpdump', () => {
  let border: Netns;
  let leaf3: Netns;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-kvx-'));
  const pcap = path.join(tmp, 'vxlan.pcap');
  let release: (() => void) | undefined;

  beforeAll(async () => {
    if (reason) throw new Error(`the kernel VXLAN test cannot run: ${reason}`);
    ensureBuilt();
    release = await netnsLock();
    border = Netns.create('border');
    leaf3 = Netns.create('leafthree');
    for (const ns of [border, leaf3]) ns.noIpv6();
    // Underlay: vethA (border) -- vethB (leaf-3), VTEP addresses on them, the remote VTEP's MAC known up front.
    border.ip('link', 'add', 'vethA', 'address', UNDERLAY_A_MAC, 'type', 'veth', 'peer', 'name', 'vethB', 'address', UNDERLAY_B_MAC, 'netns', leaf3.name);
    border.ip('addr', 'add', `${BORDER_VTEP}/24`, 'dev', 'vethA');
    leaf3.ip('addr', 'add', `${LEAF3_VTEP}/24`, 'dev', 'vethB');
    border.ip('link', 'set', 'vethA', 'up');
    leaf3.ip('link', 'set', 'vethB', 'up');
    border.ip('neigh', 'replace', LEAF3_VTEP, 'lladdr', UNDERLAY_B_MAC, 'dev', 'vethA', 'nud', 'permanent');
    // Overlay: the kernel's vxlan device sends every inner frame to leaf-3's VTEP in VNI 10100.
    border.ip('link', 'add', 'vx0', 'type', 'vxlan', 'id', VNI, 'local', BORDER_VTEP, 'remote', LEAF3_VTEP, 'dstport', '4789', 'dev', 'vethA');
    border.ip('addr', 'add', `${CLIENT}/24`, 'dev', 'vx0');
    border.ip('link', 'set', 'vx0', 'up');
    border.ip('neigh', 'replace', GATEWAY, 'lladdr', GATEWAY_MAC, 'dev', 'vx0', 'nud', 'permanent');
    border.ip('route', 'add', `${SERVICE}/32`, 'via', GATEWAY, 'dev', 'vx0');
  }, 900_000);

  afterAll(() => {
    try {
      border?.remove();
      leaf3?.remove();
      fs.rmSync(tmp, { recursive: true, force: true });
    } finally {
      release?.();
    }
  });

  it('replays every inner flow at leaf-3, over VM-A, VM-B and VM-C only', async () => {
    const tcpdump = border.spawn('tcpdump', ['-i', 'vethA', '-n', '-U', '-c', String(DATAGRAMS), '-w', pcap, 'udp port 4789']);
    const done = finish(tcpdump, 30_000);
    await waitFor(tcpdump, /listening on vethA/);
    sendUdp(border, SERVICE, DPORT, DATAGRAMS, FLOWS, 30000);
    const captured = await done;
    expect(captured.code, captured.stderr).toBe(0);
    expect(captured.stderr).toContain(`${DATAGRAMS} packets captured`);

    const r = spawnSync(process.execPath, [CLI, 'replay', pcap, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.packets).toBe(DATAGRAMS);
    expect(report.flows).toBe(FLOWS);
    expect(report.skipped).toEqual({});
    // Underlay traffic enters at leaf-3: the VTEP observed is leaf-3's, and only leaf-3 chose (among its VMs).
    expect(report.vteps.filter((v) => v.flows > 0).map((v) => [v.name, v.address, v.flows, v.packets])).toEqual([['leaf-3', LEAF3_VTEP, FLOWS, DATAGRAMS]]);
    const vms = Object.fromEntries(report.vms.map((v) => [v.name, v]));
    expect(vms['VM-1']?.flows ?? 0).toBe(0);
    expect(vms['VM-2']?.flows ?? 0).toBe(0);
    const local = ['VM-A', 'VM-B', 'VM-C'].map((n) => vms[n]!);
    expect(local.reduce((a, v) => a + v.flows, 0)).toBe(FLOWS);
    expect(local.reduce((a, v) => a + v.packets, 0)).toBe(DATAGRAMS);
    for (const v of local) expect(v.flows, v.name).toBeGreaterThan(0);
    expect(report.stages.map((s) => s.node)).toEqual(['leaf-3']);
  }, 90_000);
});
