// Real captures: tcpdump (SLL2 on "any", Ethernet on lo, nanosecond) and tshark/dumpcap (pcapng with two
// interfaces of different link types) capture traffic we send on loopback; our reader and decoder must agree with
// tshark, and the flows we sent must be there.

import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';
import { haveTool, isRoot } from '../helpers.js';
import { expectSameAsTshark, ourRows } from '../wire/tshark.js';

const root = isRoot();
if (!root) {
  if (process.env.CI) throw new Error('live capture tests need root in CI');
  console.warn('skipping live capture tests: not root');
}
const canCapture = root && haveTool('tcpdump', ['--version']) && haveTool('tshark', ['-v']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-live-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Starts a capture tool and resolves once it says it is capturing (its stderr line matching `ready`). */
function startCapture(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not start: ${err}`));
    }, 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (ready.test(err)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function stopCapture(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGINT');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends `count` UDP datagrams from distinct source ports to 127.0.0.1:port, and one TCP connection to tcpPort. */
async function sendTraffic(port: number, count: number, tcpPort: number): Promise<number[]> {
  const sports: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    sports.push(s.address().port);
    await new Promise<void>((r, j) => s.send(Buffer.from(`hello ${i}`), port, '127.0.0.1', (e) => (e ? j(e) : r())));
    s.close();
  }
  const server = net.createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(tcpPort, '127.0.0.1', () => r()));
  await new Promise<void>((r) => {
    const c = net.connect(tcpPort, '127.0.0.1', () => c.end());
    c.on('close', () => r());
  });
  await new Promise<void>((r) => server.close(() => r()));
  return sports;
}

/**
 * Waits (10 s at most) until each file holds a datagram from each of `sports`, a TCP packet and a frame of each
 * of its link types, as the capture tool writes it: a tool may hand packets over a block at a time, on a timeout
 * (TPACKET_V3), and a loaded machine may run it late. Past the deadline the test goes on: a tool may write only at
 * exit, and expectSent judges then.
 */
async function untilCaptured(files: Array<[string, number[]]>, port: number, sports: number[]): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < 10_000; await sleep(100)) {
    let all = true;
    for (const [file, linkTypes] of files) {
      try {
        const rows = await ourRows(file);
        const seen = new Set(rows.filter((r) => r.key.reason === 0 && r.key.proto === 17 && r.key.dport === port).map((r) => r.key.sport));
        all &&= sports.every((p) => seen.has(p)) && rows.some((r) => r.key.proto === 6) && linkTypes.every((t) => rows.some((r) => r.linkType === t));
      } catch {
        all = false; // not even a file header yet
      }
    }
    if (all) return;
  }
}

async function expectSent(file: string, port: number, sports: number[], linkTypes: number[]): Promise<void> {
  const rows = await ourRows(file);
  expect([...new Set(rows.map((r) => r.linkType))].sort()).toEqual(linkTypes);
  const udp = rows.filter((r) => r.key.reason === 0 && r.key.proto === 17 && r.key.dport === port);
  expect(new Set(udp.map((r) => r.key.sport))).toEqual(new Set(sports));
  for (const r of udp) expect([formatIpv4(r.key.src), formatIpv4(r.key.dst)]).toEqual(['127.0.0.1', '127.0.0.1']);
  expect(rows.some((r) => r.key.proto === 6)).toBe(true);
}

describe.skipIf(!canCapture)('live captures on loopback', () => {
  it('tcpdump -i any (Linux cooked v2) and -i lo with nanosecond timestamps', async () => {
    const port = 40000 + (process.pid % 10000);
    const any = path.join(tmp, 'any.pcap');
    const lo = path.join(tmp, 'lo-ns.pcap');
    const filter = `(udp and dst port ${port}) or (tcp and port ${port + 1})`;
    const a = await startCapture('tcpdump', ['-i', 'any', '-n', '-U', '-w', any, filter], /listening on/);
    const b = await startCapture('tcpdump', ['-i', 'lo', '-n', '-U', '--time-stamp-precision=nano', '-w', lo, filter], /listening on/);
    let sports: number[];
    try {
      await sleep(300);
      sports = await sendTraffic(port, 5, port + 1);
      await untilCaptured([[any, [276]], [lo, [1]]], port, sports);
    } finally {
      await stopCapture(a);
      await stopCapture(b);
    }
    expect((await CaptureReader.open(any)).linkType).toBe(276);
    await expectSent(any, port, sports, [276]);
    await expectSameAsTshark(any, 'tcpdump -i any');
    await expectSent(lo, port, sports, [1]);
    await expectSameAsTshark(lo, 'tcpdump -i lo (ns)');
  });

  it('tshark -i lo -i any: pcapng with two interfaces (Ethernet, Linux cooked v1)', async () => {
    const port = 30000 + (process.pid % 10000);
    const f = path.join(tmp, 'two.pcapng');
    const filter = `(udp and dst port ${port}) or (tcp and port ${port + 1})`;
    const t = await startCapture('tshark', ['-i', 'lo', '-i', 'any', '-f', filter, '-w', f], /Capturing on/);
    let sports: number[];
    try {
      await sleep(300);
      sports = await sendTraffic(port, 4, port + 1);
      await untilCaptured([[f, [1, 113]]], port, sports);
    } finally {
      await stopCapture(t);
    }
    expect((await CaptureReader.open(f)).format).toBe('pcapng');
    await expectSent(f, port, sports, [1, 113]); // dumpcap opens "any" as Linux cooked v1
    await expectSameAsTshark(f, 'tshark two interfaces');
  });
});
