// End to end, live, IPv6: two network namespaces joined by a veth pair; UDP flows over IPv6 sent across to an IPv6
// service address; `capture` in the receiving namespace, under a dual-stack topology (IPv6 VTEPs and /127 VMs), must
// count every datagram and every flow and forward them all, as replay of the same frames would.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V6_YAML } from '../fabric/fixtures.js';
import { CLI, Netns, ensureBuilt, expectEveryDatagramForwarded, finish, liveSkipReason, netnsLock, sendUdp } from './netns.js';
import { waitFor } from '../helpers.js';

const DATAGRAMS = 300;
const FLOWS = 30;
const DPORT = 9999;
const FILTER = `ip6 and udp and dst port ${DPORT}`;
// Documentation addresses (2001:db8::/32) for the link; the service address V6_YAML's VMs announce.
const TX_ADDR = '2001:db8:64::1';
const RX_ADDR = '2001:db8:64::2';
const SERVICE = '2001:db8:100::10';
const RX_MAC = '02:00:00:00:66:02';

const reason = liveSkipReason({ cap: true });
if (reason && !process.env.CI) console.warn(`skipping the live IPv6 capture test: ${reason}`);

describe.skipIf(reason !== undefined && !process.env.CI)('capture of IPv6 traffic, live in network namespaces', () => {
  let tx: Netns;
  let rx: Netns;
  let release: (() => void) | undefined;
  let dir: string;

  beforeAll(async () => {
    if (reason) throw new Error(`live capture cannot run: ${reason}`);
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-cap6-'));
    release = await netnsLock();
    tx = Netns.create('tx6');
    rx = Netns.create('rx6');
    tx.ip('link', 'add', 'vtx6', 'type', 'veth', 'peer', 'name', 'vrx6', 'netns', rx.name);
    rx.ip('link', 'set', 'vrx6', 'address', RX_MAC);
    // nodad: the addresses are usable at once (no duplicate-address detection wait).
    tx.ip('-6', 'addr', 'add', `${TX_ADDR}/64`, 'dev', 'vtx6', 'nodad');
    rx.ip('-6', 'addr', 'add', `${RX_ADDR}/64`, 'dev', 'vrx6', 'nodad');
    rx.ip('-6', 'addr', 'add', `${SERVICE}/128`, 'dev', 'lo', 'nodad');
    tx.ip('link', 'set', 'vtx6', 'up');
    rx.ip('link', 'set', 'vrx6', 'up');
    // The service is reached through the receiver, whose MAC is known up front: no datagram waits on neighbour discovery.
    tx.ip('-6', 'route', 'add', `${SERVICE}/128`, 'via', RX_ADDR, 'dev', 'vtx6');
    tx.ip('-6', 'neigh', 'replace', RX_ADDR, 'lladdr', RX_MAC, 'dev', 'vtx6', 'nud', 'permanent');
  }, 900_000);

  afterAll(() => {
    try {
      tx?.remove();
      rx?.remove();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      release?.();
    }
  });

  it('counts every IPv6 datagram and flow and forwards them over the IPv6 fabric', async () => {
    const topo = path.join(dir, 'v6.yaml');
    fs.writeFileSync(topo, V6_YAML);
    const child = rx.spawn(process.execPath, [CLI, 'capture', '--iface', 'vrx6', '--topology', topo, '--filter', FILTER, '--count', String(DATAGRAMS), '--duration', '30', '--buffer-size', '64', '--json']);
    const result = finish(child, 45_000);
    await waitFor(child, /listening on vrx6/);
    sendUdp(tx, SERVICE, DPORT, DATAGRAMS, FLOWS, 22000);
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(new RegExp(`${DATAGRAMS} frames captured on vrx6, ${FLOWS} flows forwarded \\(count reached\\)`));
    // 64-byte payload + UDP 8 + IPv6 40 + Ethernet 14; every flow on one of the IPv6 service's VTEPs and one VM
    const report = expectEveryDatagramForwarded(stdout, DATAGRAMS, FLOWS, 64 + 8 + 40 + 14);
    // the VTEPs print as RFC 5952 text
    expect(report.vteps.map((v) => v.address).filter((a) => a.includes(':')).length).toBeGreaterThan(0);
  }, 90_000);
});
