// Differential against tshark: our reader and decoder report what tshark reports, for scapy's traces and for what
// editcap, mergecap and tcpdump make of them (pcapng, nanoseconds, several interfaces, snapshot lengths).

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { haveTool } from '../helpers.js';
import { expectSameAsTshark } from './tshark.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const trace = (name: string): string => path.join(root, 'traces', name);
const TRACES = ['scapy-ether.pcap', 'scapy-ether-be-ns.pcap', 'scapy-sll.pcap', 'scapy-sll2.pcap', 'scapy-raw.pcap', 'scapy-ipv4.pcap'];

const haveTshark = haveTool('tshark', ['-v']);
const haveEditcap = haveTshark && haveTool('editcap', ['-h']);
const haveTcpdump = haveTool('tcpdump', ['--version']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-tshark-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = (cmd: string, args: string[]): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

describe.skipIf(!haveTshark)('decode agrees with tshark on the scapy traces', () => {
  for (const name of TRACES) {
    it(name, async () => {
      expect(await expectSameAsTshark(trace(name), name)).toBeGreaterThan(5);
    });
  }
});

describe.skipIf(!haveEditcap)('decode agrees with tshark on what editcap and mergecap make', () => {
  it('editcap -F pcapng (microsecond interfaces)', async () => {
    const f = path.join(tmp, 'ether.pcapng');
    run('editcap', ['-F', 'pcapng', trace('scapy-ether.pcap'), f]);
    expect((await CaptureReader.open(f)).format).toBe('pcapng');
    await expectSameAsTshark(f, 'editcap pcapng');
  });

  it('editcap -F nsecpcap, and then pcapng with nanosecond if_tsresol', async () => {
    const ns = path.join(tmp, 'ether-ns.pcap');
    run('editcap', ['-F', 'nsecpcap', '-t', '0.000000007', trace('scapy-ether.pcap'), ns]);
    await expectSameAsTshark(ns, 'editcap nsecpcap');
    const ng = path.join(tmp, 'ether-ns.pcapng');
    run('editcap', ['-F', 'pcapng', ns, ng]);
    await expectSameAsTshark(ng, 'editcap nsecpcap → pcapng');
  });

  it('mergecap -F pcapng: one interface per input, five link types interleaved', async () => {
    const f = path.join(tmp, 'merged.pcapng');
    run('mergecap', ['-F', 'pcapng', '-w', f, ...['scapy-ether.pcap', 'scapy-sll.pcap', 'scapy-sll2.pcap', 'scapy-raw.pcap', 'scapy-ipv4.pcap'].map(trace)]);
    expect(await expectSameAsTshark(f, 'mergecap')).toBe(17 + 9 + 10 + 10 + 9);
  });

  for (const snap of [14, 30, 37, 38, 46, 60, 70]) {
    it(`editcap -s ${snap}: truncated inside the headers vs cut after the ports`, async () => {
      const f = path.join(tmp, `snap${snap}.pcap`);
      run('editcap', ['-s', String(snap), trace('scapy-ether.pcap'), f]);
      await expectSameAsTshark(f, `snaplen ${snap}`);
      const g = path.join(tmp, `snap${snap}-sll2.pcap`);
      run('editcap', ['-s', String(snap), trace('scapy-sll2.pcap'), g]);
      await expectSameAsTshark(g, `sll2 snaplen ${snap}`);
    });
  }
});

describe.skipIf(!haveTshark || !haveTcpdump)('decode agrees with tshark on what tcpdump writes', () => {
  it('tcpdump -r trace -w out (libpcap writer), and with a BPF filter', async () => {
    const f = path.join(tmp, 'tcpdump.pcap');
    run('tcpdump', ['-n', '-r', trace('scapy-ether.pcap'), '-w', f]);
    expect(await expectSameAsTshark(f, 'tcpdump -w')).toBe(17);
    const g = path.join(tmp, 'tcpdump-udp.pcap');
    run('tcpdump', ['-n', '-r', trace('scapy-ether.pcap'), '-w', g, 'udp']);
    expect(await expectSameAsTshark(g, 'tcpdump -w udp')).toBeGreaterThan(3);
  });
});
