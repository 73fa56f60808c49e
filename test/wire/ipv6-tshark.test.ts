// Differential against tshark on IPv6: scapy writes captures with every extension header (hop-by-hop, routing,
// destination options, fragments first and later, AH, ESP, "no next header"), ICMPv6, flow labels, VLAN and QinQ,
// VXLAN over IPv6 and IPv6 inside VXLAN, over Ethernet, SLL v1/v2, raw IP (101, 229) and BSD loopback; our reader
// and decoder must give every frame the key tshark's dissection gives it (src, dst, proto, ports, flow label,
// fragment, hop limit, length), also when editcap cuts the frames short.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../helpers.js';
import { expectSameAsTshark, ourKey, ourRows } from './tshark.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const haveTshark = haveTool('tshark', ['-v']);
const haveScapy = haveTool('/usr/bin/python3', ['-c', 'import scapy.all']);
const haveEditcap = haveTshark && haveTool('editcap', ['-h']);
if (!haveTshark || !haveScapy) console.log('ipv6-tshark: skipped, needs tshark and scapy (/usr/bin/python3)');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-v6-tshark-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string): string => path.join(tmp, name);

describe.skipIf(!haveTshark || !haveScapy)('IPv6 decode agrees with tshark', () => {
  beforeAll(() => {
    execFileSync('/usr/bin/python3', [path.join(here, 'ipv6-corpus.py'), tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  }, 60_000);

  for (const [name, frames] of [['v6-ether.pcap', 22], ['v6-raw229.pcap', 15], ['v6-raw101.pcap', 7], ['v6-sll.pcap', 8], ['v6-sll2.pcap', 8], ['v6-null.pcap', 6]] as const) {
    it(name, async () => {
      expect(await expectSameAsTshark(file(name), name)).toBe(frames);
    });
  }

  it('the keys are the ones Linux hashes: every extension header walked, fragments and AH/ESP as the dissector stops', async () => {
    const rows = await ourRows(file('v6-ether.pcap'));
    const keys = rows.map((r) => ({ reason: r.key.reason, ...ourKey(r.key, false) }));
    expect(keys[0]).toEqual({ reason: 0, family: 6, src: 'fd00:1::10', dst: '2001:db8:100::a', proto: 6, sport: 40001, dport: 443, fragment: false, flowLabel: 0x12345 });
    expect(keys[2]).toMatchObject({ proto: 58, sport: 0, dport: 0, flowLabel: 7 });
    expect(keys[6]).toMatchObject({ proto: 6, sport: 40006, dport: 8080 });
    expect(keys[7]).toMatchObject({ proto: 17, sport: 0, dport: 0, fragment: true });
    expect(keys[8]).toMatchObject({ proto: 17, sport: 0, dport: 0, fragment: true });
    expect(keys[9]).toMatchObject({ proto: 6, sport: 0, dport: 0, fragment: true });
    expect(keys[10]).toMatchObject({ proto: 51, sport: 0x1234, dport: 0x5678 });
    expect(keys[11]).toMatchObject({ proto: 51, sport: 0xabcd, dport: 1 });
    expect(keys[12]).toMatchObject({ proto: 50, sport: 0xdead, dport: 0xbeef });
    expect(keys[13]).toMatchObject({ proto: 59, sport: 0, dport: 0 });
    expect(keys[14]).toMatchObject({ src: '::ffff:10.0.0.1', dst: '::1' });
    const vx = rows.slice(17, 21).map((r) => ({ vxlan: r.key.vxlan, vni: r.key.vni, outer: r.key.family, inner: r.key.innerFamily, innerReason: r.key.innerReason }));
    expect(vx).toEqual([
      { vxlan: true, vni: 5001, outer: 6, inner: 4, innerReason: 0 },
      { vxlan: true, vni: 5001, outer: 6, inner: 6, innerReason: 0 },
      { vxlan: true, vni: 5002, outer: 4, inner: 6, innerReason: 0 },
      { vxlan: true, vni: 5003, outer: 6, inner: 6, innerReason: 0 },
    ]);
    expect(ourKey(rows[18]!.key, true)).toMatchObject({ src: 'fd00:1::10', proto: 6, sport: 41001, flowLabel: 0x54321 });
    expect(ourKey(rows[20]!.key, true)).toMatchObject({ proto: 6, sport: 0, fragment: true, flowLabel: 0x22 });
    expect(rows[21]!.key.reason).toBe(2); // ARP: not-ipv4
  });

  it.skipIf(!haveEditcap)('editcap -s: cut inside the IPv6 header, inside extension headers, after the ports', async () => {
    for (const snap of [20, 54, 58, 62, 66, 70, 78, 90, 110]) {
      const f = file(`v6-snap${snap}.pcap`);
      execFileSync('editcap', ['-s', String(snap), file('v6-ether.pcap'), f], { stdio: ['ignore', 'ignore', 'pipe'] });
      expect(await expectSameAsTshark(f, `snap ${snap}`)).toBe(22);
    }
  });
});
