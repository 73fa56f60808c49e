// Helpers of the end-to-end tests: network namespaces made and removed by this process, the built CLI, UDP senders.
// Every packet these tests send stays inside namespaces they create; nothing leaves the machine.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Report } from '../../src/stats/types.js';
import { haveTool, isRoot } from '../helpers.js';
import { acquireNetnsLock, removeStaleNamespaces } from '../hash/netns.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/src/cli/main.js');

/** Runs a command, returning its standard output; throws with its standard error. */
export function run(cmd: string, args: string[], timeout = 20_000): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr || err.message).trim()}`);
  }
}

const created = new Set<string>();

function removeAll(): void {
  for (const name of created) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already gone
    }
  }
  created.clear();
}

// The trap: whatever way this process ends, the namespaces (and the veth and vxlan devices in them) go with it.
process.once('exit', removeAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    removeAll();
    process.kill(process.pid, sig);
  });
}

const PREFIX = 'ecmp-live';

/**
 * Takes the lock that serialises the kernel/netns tests of every vitest worker (test/hash/netns.ts), so captures
 * do not share the two cores with another namespace test, and removes namespaces that killed runs left behind.
 */
export async function netnsLock(): Promise<() => void> {
  const release = await acquireNetnsLock();
  removeStaleNamespaces(PREFIX);
  return release;
}

/** A network namespace of this process: `ecmp-live-<role>-<pid>`. */
export class Netns {
  private constructor(readonly name: string) {}

  /** `role`: lower-case letters only (what removeStaleNamespaces recognises). */
  static create(role: string): Netns {
    const name = `${PREFIX}-${role}-${process.pid}`;
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // none left over: the usual case
    }
    run('ip', ['netns', 'add', name]);
    created.add(name);
    const ns = new Netns(name);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** `ip -n NS ...` */
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** A command inside the namespace. */
  exec(cmd: string, args: string[], timeout = 20_000): string {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], timeout);
  }

  /** No IPv6: its router solicitations, DAD and MLD reports would be extra frames on the wire. */
  noIpv6(): void {
    try {
      this.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    } catch {
      // a kernel without IPv6 sends none either
    }
  }

  spawn(cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  remove(): void {
    if (!created.has(this.name)) return;
    created.delete(this.name);
    run('ip', ['netns', 'del', this.name]);
  }
}

/**
 * Why an end-to-end test cannot run here, or undefined when it can. Under CI (where .ci/run installs everything
 * and runs as root) every such reason is a failure, which `describeLive` turns it into.
 */
export function liveSkipReason(needs: { cap?: boolean; tools?: [string, string[]][]; vxlan?: boolean } = {}): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (!isRoot()) return 'not root (network namespaces and packet capture need it)';
  for (const [tool, args] of [['ip', ['-V']] as [string, string[]], ...(needs.tools ?? [])]) {
    if (!haveTool(tool, args)) return `${tool} is not available`;
  }
  if (needs.cap) {
    try {
      createRequire(path.join(REPO, 'package.json'))('cap');
    } catch {
      return 'the cap package is not built (install libpcap-dev, then npm rebuild cap)';
    }
  }
  const probe = `${PREFIX}-probe-${process.pid}`;
  try {
    run('ip', ['netns', 'add', probe]);
  } catch (e) {
    return `cannot create network namespaces: ${(e as Error).message}`;
  }
  try {
    run('ip', ['-n', probe, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb']);
    if (needs.vxlan) run('ip', ['-n', probe, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '10100', 'dstport', '4789', 'local', '10.1.1.254']);
  } catch (e) {
    return `cannot create veth${needs.vxlan ? ' and vxlan' : ''} devices: ${(e as Error).message}`;
  } finally {
    try {
      run('ip', ['netns', 'del', probe]);
    } catch {
      // nothing to remove
    }
  }
  return undefined;
}

/** Builds the CLI when it has not been built (npm test builds it first: pretest). */
export function ensureBuilt(): void {
  if (existsSync(CLI) && existsSync(path.join(REPO, 'dist/src/cli/capture.js'))) return;
  run('npm', ['run', 'build'], 300_000);
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output and waits for its end; after `timeout` ms it is sent SIGINT (as Ctrl-C), then SIGKILL. */
export function finish(child: ChildProcess, timeout = 30_000): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const soft = setTimeout(() => child.kill('SIGINT'), timeout);
    const hard = setTimeout(() => child.kill('SIGKILL'), timeout + 10_000);
    child.on('close', (code) => {
      clearTimeout(soft);
      clearTimeout(hard);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * What a `capture --json` that took every datagram sendUdp sent must report: `datagrams` frames of `frameBytes`
 * each over `flows` flows, none skipped, every flow on one VTEP and one VM, every frame delivered to a VM.
 */
export function expectEveryDatagramForwarded(stdout: string, datagrams: number, flows: number, frameBytes: number): Report {
  const report = JSON.parse(stdout) as Report;
  expect(report.packets).toBe(datagrams);
  expect(report.flows).toBe(flows);
  expect(report.skipped).toEqual({});
  expect(report.bytes).toBe(datagrams * frameBytes);
  expect(report.vteps.reduce((a, v) => a + v.flows, 0)).toBe(flows);
  expect(report.vms.reduce((a, v) => a + v.flows, 0)).toBe(flows);
  expect(report.vms.reduce((a, v) => a + v.packets, 0)).toBe(datagrams);
  return report;
}

/**
 * A node script for the sending namespace: `count` UDP datagrams to dst:dport, round-robin over `flows` sockets
 * bound to source ports basePort, basePort + 1, ...; each send waits for the previous one, so none is dropped
 * on a full socket buffer.
 */
export const SENDER = `
const dgram = require('node:dgram');
const [dst, dport, count, flows, basePort] = process.argv.slice(1).map((a, i) => (i === 0 ? a : Number(a)));
(async () => {
  const socks = [];
  for (let i = 0; i < flows; i++) {
    const s = dgram.createSocket(dst.includes(':') ? 'udp6' : 'udp4');
    await new Promise((res, rej) => { s.once('error', rej); s.bind(basePort + i, () => res()); });
    socks.push(s);
  }
  const payload = Buffer.alloc(64, 0x5a);
  for (let k = 0; k < count; k++) {
    await new Promise((res, rej) => socks[k % flows].send(payload, dport, dst, (e) => (e ? rej(e) : res())));
  }
  for (const s of socks) s.close();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/** Sends the datagrams from inside `ns` (see SENDER): UDP over IPv6 when `dst` is an IPv6 address. */
export function sendUdp(ns: Netns, dst: string, dport: number, count: number, flows: number, basePort: number): void {
  ns.exec(process.execPath, ['-e', SENDER, dst, String(dport), String(count), String(flows), String(basePort)], 60_000);
}
