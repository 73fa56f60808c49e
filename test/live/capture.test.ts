// End to end, live: two network namespaces joined by a veth pair; UDP flows sent across; `capture` in the receiving
// namespace, through libpcap with a BPF filter, must count every datagram and every flow. Also its one-line errors.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/stats/types.js';
import { CLI, REPO, Netns, ensureBuilt, expectEveryDatagramForwarded, finish, liveSkipReason, netnsLock, sendUdp } from './netns.js';
import { haveTool, waitFor } from '../helpers.js';

const DATAGRAMS = 600;
const FLOWS = 60;
const DPORT = 9999;
const FILTER = `udp and dst port ${DPORT}`;
// Documentation (TEST-NET-2) addresses for the link, the service address on the receiver: all inside our namespaces.
const TX_ADDR = '198.51.100.1';
const RX_ADDR = '198.51.100.2';
const SERVICE = '192.168.100.10';
const RX_MAC = '02:00:00:00:64:02';

const reason = liveSkipReason({ cap: true });
if (reason && !process.env.CI) console.warn(`skipping the live capture tests: ${reason}`);

describe.skipIf(reason !== undefined && !process.env.CI)('capture, live in network namespaces', () => {
  let tx: Netns;
  let rx: Netns;
  let release: (() => void) | undefined;

  beforeAll(async () => {
    // Under CI nothing may be missing: the reason is the failure.
    if (reason) throw new Error(`live capture cannot run: ${reason}`);
    ensureBuilt();
    release = await netnsLock();
    tx = Netns.create('tx');
    rx = Netns.create('rx');
    for (const ns of [tx, rx]) ns.noIpv6();
    tx.ip('link', 'add', 'vtx', 'type', 'veth', 'peer', 'name', 'vrx', 'netns', rx.name);
    rx.ip('link', 'set', 'vrx', 'address', RX_MAC);
    tx.ip('addr', 'add', `${TX_ADDR}/24`, 'dev', 'vtx');
    rx.ip('addr', 'add', `${RX_ADDR}/24`, 'dev', 'vrx');
    rx.ip('addr', 'add', `${SERVICE}/32`, 'dev', 'lo');
    tx.ip('link', 'set', 'vtx', 'up');
    rx.ip('link', 'set', 'vrx', 'up');
    // The service address is reached through the receiver; its MAC is known up front, so no datagram waits on ARP.
    tx.ip('route', 'add', `${SERVICE}/32`, 'via', RX_ADDR);
    tx.ip('neigh', 'replace', RX_ADDR, 'lladdr', RX_MAC, 'dev', 'vtx', 'nud', 'permanent');
  }, 900_000);

  afterAll(() => {
    try {
      tx?.remove();
      rx?.remove();
    } finally {
      release?.();
    }
  });

  it('counts every datagram and every flow sent across the veth', async () => {
    // 64 MiB: about 1000 ring slots of 64 KiB (veth has offloads), so the burst of 600 fits even if node stalls.
    const child = rx.spawn(process.execPath, [CLI, 'capture', '--iface', 'vrx', '--filter', FILTER, '--count', String(DATAGRAMS), '--duration', '30', '--buffer-size', '64', '--json']);
    const result = finish(child, 45_000);
    await waitFor(child, /listening on vrx/);
    sendUdp(tx, SERVICE, DPORT, DATAGRAMS, FLOWS, 20000);
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/listening on vrx, link-type EN10MB \(Ethernet\), snapshot length 65535 bytes, filter 'udp and dst port 9999'/);
    expect(stderr).toMatch(new RegExp(`${DATAGRAMS} frames captured on vrx, ${FLOWS} flows forwarded \\(count reached\\)`));
    // 64-byte payload + UDP 8 + IPv4 20 + Ethernet 14; client traffic from the border: every flow on one VTEP and one VM
    expectEveryDatagramForwarded(stdout, DATAGRAMS, FLOWS, 64 + 8 + 20 + 14);
  }, 90_000);

  it.runIf(haveTool('script', ['--version']))('draws the live view on a terminal, then prints the report as replay does', async () => {
    const cmd = [process.execPath, CLI, 'capture', '--iface', 'vrx', '--filter', `'${FILTER}'`, '--duration', '6'].join(' ');
    // script(1) gives the capture a pseudo-terminal: its standard error is a TTY, as at a shell prompt.
    const child = rx.spawn('script', ['-qec', `stty cols 120 rows 40; ${cmd}`, '/dev/null']);
    const result = finish(child, 30_000);
    // script(1) puts standard error on the terminal, which is its standard output.
    await waitFor(child, /listening on vrx/, 20_000, 'stdout');
    await new Promise((r) => setTimeout(r, 300));
    sendUdp(tx, SERVICE, DPORT, 90, 30, 21000);
    const { code, stdout } = await result;
    expect(code, stdout).toBe(0);
    // The view: redrawn in place (cursor up, clear to the end), with per-VTEP and per-VM rows and bars.
    expect(stdout).toContain('capture vrx (udp and dst port 9999)');
    expect(stdout).toMatch(/\x1b\[\d+F\x1b\[J/);
    expect(stdout).toMatch(/vtep\s+address\s+flows\s+share\s+expected/);
    expect(stdout).toMatch(/VM-A\s+leaf-3\s+\d+\s+\d+\.\d\d%/);
    expect(stdout).toContain('█');
    // Then the final report, as replay prints it.
    expect(stdout).toContain('ecmp-emu report  90 packets');
    expect(stdout).toContain('30 flows forwarded');
  }, 60_000);

  it('reports what it captured when the interface goes down, then fails in one line', async () => {
    // A second veth pair in the receiver, without an address (libpcap's own warning about that is not shown).
    rx.ip('link', 'add', 'vdown0', 'type', 'veth', 'peer', 'name', 'vdown1');
    rx.ip('link', 'set', 'vdown0', 'up');
    rx.ip('link', 'set', 'vdown1', 'up');
    const child = rx.spawn(process.execPath, [CLI, 'capture', '--iface', 'vdown0', '--duration', '30', '--json']);
    const result = finish(child, 45_000);
    await waitFor(child, /listening on vdown0/);
    rx.ip('link', 'set', 'vdown0', 'down');
    const { code, stdout, stderr } = await result;
    expect(code, stderr).toBe(1);
    expect(stderr).not.toMatch(/Warning|Assertion|cb_packets/);
    expect(stderr).toMatch(/frames captured on vdown0, 0 flows forwarded \(the interface went down\)\n/);
    expect(stderr).toMatch(/\necmp-emu: capture on vdown0 ended: the interface went down or was removed \(libpcap: [^\n]+\)\n$/);
    const report = JSON.parse(stdout) as Report;
    expect(report.flows).toBe(0);
  }, 60_000);
});

/** Runs the built CLI; `withoutCaps`: as root still (the files stay readable), but without CAP_NET_RAW/NET_ADMIN. */
const cli = (args: string[], withoutCaps = false) => {
  const r = withoutCaps
    ? spawnSync('setpriv', ['--bounding-set=-net_raw,-net_admin', process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 20_000 })
    : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('capture usage errors: one line each, exit 2 or 1, wherever it runs', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('a bad --count, --duration or --buffer-size is a usage error', () => {
    for (const [opt, bad] of [['--count', '0'], ['--count', 'ten'], ['--count', '-5'], ['--duration', '0'], ['--duration', 'soon'], ['--duration', '1e3'], ['--buffer-size', '0']]) {
      const r = cli(['capture', '--iface', 'lo', opt!, bad!]);
      expect(r.code, `${opt} ${bad}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^ecmp-emu: .*\\(${opt}\\)\\n$`));
    }
  });

  it('without --iface: a usage error', () => {
    const r = cli(['capture', '--count', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ecmp-emu: required option '--iface <name>' not specified\n");
  });

  it('without the cap package: one line saying how to get it, exit 1', () => {
    // The built CLI beside a node_modules that has its dependencies but not cap, as after npm ci without libpcap-dev.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-nocap-'));
    try {
      fs.cpSync(path.join(REPO, 'dist/src'), path.join(dir, 'dist/src'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'nocap', type: 'module' }));
      fs.mkdirSync(path.join(dir, 'node_modules'));
      for (const dep of ['commander', 'yaml']) fs.symlinkSync(path.join(REPO, 'node_modules', dep), path.join(dir, 'node_modules', dep));
      const main = path.join(dir, 'dist/src/cli/main.js');
      const r = spawnSync(process.execPath, [main, 'capture', '--iface', 'lo', '--count', '1'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('ecmp-emu: live capture needs the cap package: install libpcap-dev, then run npm rebuild cap\n');
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      // Every other command still works there.
      const other = spawnSync(process.execPath, [main, 'hash', 'crc32', '--src', '10.0.0.1', '--dst', '10.0.0.2'], { encoding: 'utf8' });
      expect(other.status, other.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(reason !== undefined && !process.env.CI)('capture errors from libpcap: one line each', () => {
  beforeAll(() => {
    if (reason) throw new Error(`live capture cannot run: ${reason}`);
    ensureBuilt();
  }, 300_000);

  it('a missing interface is a usage error naming it', () => {
    const r = cli(['capture', '--iface', 'no-such-if0', '--count', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ecmp-emu: no such interface 'no-such-if0' \(--iface; this host has [^\n]*lo[^\n]*\)\n$/);
    expect(r.stdout).toBe('');
  });

  it('a bad BPF filter is a usage error quoting libpcap', () => {
    const r = cli(['capture', '--iface', 'lo', '--filter', 'udp and', '--count', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ecmp-emu: bad BPF filter 'udp and': can't parse filter expression: syntax error (--filter)\n");
  });

  it('without permission to capture: one line saying so, exit 1', () => {
    if (!haveTool('setpriv', ['--version'])) return;
    const r = cli(['capture', '--iface', 'lo', '--count', '1'], true);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ecmp-emu: no permission to capture on lo: run as root, or give node CAP_NET_RAW and CAP_NET_ADMIN \(libpcap: [^\n]+\)\n$/);
  });
});
