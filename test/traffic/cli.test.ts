// `generate` end to end: the built CLI writes what the library makes, to a file or a pipe, and refuses bad options.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../src/traffic/generator.js';
import { tryParseIpv4 } from '../../src/wire/ipv4.js';
import { forEachFrame, readPcap } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');
let dir: string;

beforeAll(() => {
  // npm test builds dist/ first (pretest); rebuilding here would race the other test files using it.
  expect(existsSync(MAIN), 'run npm run build first').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'ecmp-gen-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'generate', ...args], { cwd: ROOT, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('ecmp-emu generate', () => {
  it('writes the capture the library makes and says so in one line', () => {
    const out = join(dir, 'g.pcap');
    const r = run(['--out', out, '--flows', '3000', '--packets', '6000', '--seed', '3', '--pattern', 'zipf', '--proto', 'mix']);
    expect(r.stderr).toBe(`wrote 6000 frames (3000 flows) to ${out}\n`);
    expect(r.status).toBe(0);
    const want = generateCapture({ flows: 3000, packets: 6000, seed: 3, pattern: 'zipf', proto: 'mix', dst: tryParseIpv4('192.168.100.10'), ingressVtep: tryParseIpv4('10.1.1.254') });
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(want))).toBe(true);
  });

  it('has the documented defaults: 1000 flows, one packet each, seed 1, uniform UDP to the service address', () => {
    const out = join(dir, 'd.pcap');
    expect(run(['--out', out]).status).toBe(0);
    const want = generateCapture({ flows: 1000, packets: 1000, seed: 1, pattern: 'uniform', proto: 'udp', dst: tryParseIpv4('192.168.100.10'), ingressVtep: tryParseIpv4('10.1.1.254') });
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(want))).toBe(true);
  });

  it('--out - writes the same bytes to standard output and nothing to standard error', () => {
    const file = join(dir, 's.pcap');
    run(['--out', file, '--flows', '500', '--packets', '2000', '--proto', 'tcp', '--seed', '9']);
    const r = run(['--out', '-', '--flows', '500', '--packets', '2000', '--proto', 'tcp', '--seed', '9']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.equals(readFileSync(file))).toBe(true);
  });

  it('streams through a pipe with backpressure: generate --out - | replay - sees every frame', () => {
    const cmd = `${[process.execPath, MAIN].map((a) => JSON.stringify(a)).join(' ')} generate --out - --flows 20000 --packets 300000 --proto mix | ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} replay - --json`;
    const json = execFileSync('sh', ['-c', cmd], { cwd: ROOT, maxBuffer: 1 << 26 }).toString();
    const report = JSON.parse(json) as { packets: number; flows: number };
    expect(report.packets).toBe(300000);
    expect(report.flows).toBe(20000);
  });

  it('--vxlan writes what the ingress leaf sends: same VTEP, source port, VNI and inner packet as replay --write', () => {
    const plain = join(dir, 'p.pcap');
    const under = join(dir, 'v.pcap');
    const written = join(dir, 'w.pcap');
    expect(run(['--out', plain, '--flows', '900', '--packets', '1500', '--proto', 'mix']).status).toBe(0);
    expect(run(['--out', under, '--flows', '900', '--packets', '1500', '--proto', 'mix', '--vxlan']).status).toBe(0);
    execFileSync(process.execPath, [MAIN, 'replay', plain, '--write', written], { cwd: ROOT, stdio: 'ignore' });
    const fields = (file: string): string[] => {
      const bytes = readFileSync(file);
      const out: string[] = [];
      forEachFrame(bytes, 4789, (k) => {
        const ip = k.innerL3Offset;
        const inner = Buffer.from(bytes.subarray(ip, ip + bytes.readUInt16BE(ip + 2))).toString('hex');
        out.push(`${k.src} ${k.dst} ${k.sport} ${k.dport} ${k.vni} ${inner}`);
      });
      return out;
    };
    const mine = fields(under);
    expect(mine.length).toBe(1500);
    expect(mine).toEqual(fields(written));
  });

  const bad: [string[], RegExp][] = [
    [['--flows', '-5'], /--flows/],
    [['--flows', '0'], /--flows/],
    [['--flows', 'many'], /--flows/],
    [['--flows', '99999999'], /--flows/],
    [['--packets', '0'], /--packets/],
    [['--packets', '-1'], /--packets/],
    [['--seed', '-1'], /--seed/],
    [['--seed', '4294967296'], /--seed/],
    [['--pattern', 'zipfian'], /unknown pattern 'zipfian'/],
    [['--proto', 'sctp'], /unknown protocol 'sctp'/],
    [['--dst', '192.168.100'], /bad IPv4 address '192\.168\.100'/],
    [['--pattern', 'single-source', '--flows', '30000'], /single-source makes at most 28232 distinct udp flows/],
    [['--pattern', 'same-subnet', '--flows', '7200000'], /same-subnet makes at most/],
    [['--vxlan', '--dst', '8.8.8.8'], /no VM of VRF TENANT-A announces 8\.8\.8\.8/],
    [['--topology', '/nonexistent/topo.yaml'], /no such topology file/],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${args.join(' ')} with one line and exit 2, writing nothing`, () => {
      const out = join(dir, `bad-${args.join('_').replace(/[^\w.-]/g, '')}.pcap`);
      const r = run(['--out', out, ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^ecmp-emu: [^\n]+\n$/);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('refuses a missing --out', () => {
    const r = run(['--flows', '10']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ecmp-emu: .*--out/);
  });
});
