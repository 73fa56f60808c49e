// VXLAN over an IPv6 underlay: the 70-byte encapsulation as a byte literal, its UDP checksum, and tshark's
// dissection of written frames (checksum verified, VNI, the inner IPv4 flow); and the outer source port's formula.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/writer.js';
import { parseIpv6, udp6ChecksumValid } from '../../src/wire/ipv6.js';
import { VXLAN6_ENCAP_LEN, vxlan6FillChecksum, vxlanSourcePort, writeVxlan6Encap } from '../../src/wire/vxlan.js';
import { haveTool } from '../helpers.js';
import { frame, ipv4Packet } from './frames.js';

const SRC = parseIpv6('2001:db8:1::1');
const DST = parseIpv6('2001:db8:3::1');

/** An inner Ethernet/IPv4/UDP frame wrapped for VTEP 2001:db8:3::1. */
function wrapped(sport: number, vni: number, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(VXLAN6_ENCAP_LEN + inner.length);
  const at = writeVxlan6Encap(out, 0, 0x0200, 0x0a010103, 0x0200, 0x0a010101, SRC, DST, sport, 4789, vni, inner.length);
  out.set(inner, at);
  vxlan6FillChecksum(out, 0, SRC, DST);
  return out;
}

const inner = frame(ipv4Packet({ src: 0x0a000001, dst: 0xc0a8640a, proto: 17, sport: 1234, dport: 53 }, { payload: 4 }));

describe('VXLAN over IPv6', () => {
  it('lays out Ethernet (0x86dd), IPv6 (hop limit 64, label 0), UDP and VXLAN in 70 bytes', () => {
    const f = wrapped(50000, 10100, inner);
    const hex = Buffer.from(f.subarray(0, VXLAN6_ENCAP_LEN)).toString('hex');
    const udpLength = (8 + 8 + inner.length).toString(16).padStart(4, '0');
    expect(hex.slice(0, 28)).toBe('02000a01010302000a01010186dd');
    expect(hex.slice(28, 108)).toBe(`60000000${udpLength}1140` + '20010db8000100000000000000000001' + '20010db8000300000000000000000001');
    expect(hex.slice(108, 124)).toMatch(new RegExp(`^c35012b5${udpLength}[0-9a-f]{4}$`));
    expect(hex.slice(124)).toBe('0800000000277400');
    expect(f.subarray(VXLAN6_ENCAP_LEN)).toEqual(inner);
  });

  it('the UDP checksum covers the inner frame: right as written, wrong after any byte of it changes', () => {
    const f = wrapped(49152, 77, inner);
    expect(udp6ChecksumValid(f, 54, SRC, DST)).toBe(true);
    for (let i = 54; i < f.length; i += 7) {
      const g = f.slice();
      g[i] ^= 0x10;
      if (i === 60 || i === 61) continue; // the checksum itself
      expect(udp6ChecksumValid(g, 54, SRC, DST), `byte ${i}`).toBe(false);
    }
  });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-vxlan6-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!haveTool('tshark', ['-v']))('tshark decodes the frames: checksum good, VNI, inner flow', () => {
    const w = PcapWriter.toBuffer();
    const sports = [49152, 50000, 65534];
    sports.forEach((s, i) => {
      const f = wrapped(s, 10100 + i, inner);
      w.write(f, 0, f.length, f.length, 1_700_000_000 + i, 0);
    });
    const file = path.join(tmp, 'vxlan6.pcap');
    fs.writeFileSync(file, w.bytes());
    const fields = ['ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'udp.srcport', 'udp.dstport', 'udp.checksum.status', 'vxlan.vni', 'ip.src', 'ip.dst', 'udp.port'];
    const out = execFileSync('tshark', ['-n', '-r', file, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rows = out.trim().split('\n').map((l) => l.split('|'));
    expect(rows).toHaveLength(3);
    rows.forEach((r, i) => {
      // udp.srcport/dstport/checksum.status list the outer then the inner datagram
      expect(r.slice(0, 3)).toEqual(['2001:db8:1::1', '2001:db8:3::1', '64']);
      expect(r[3]!.split(',')).toEqual([String(sports[i]), '1234']);
      expect(r[4]!.split(',')).toEqual(['4789', '53']);
      expect(r[5]!.split(',')[0], 'outer UDP checksum').toBe('1');
      expect([r[6], r[7], r[8]]).toEqual([String(10100 + i), '10.0.0.1', '192.168.100.10']);
    });
  });
});

describe('the VXLAN source port (udp_flow_src_port)', () => {
  /** include/net/udp.h in BigInt: hash ^= hash << 16 (as u32), then ((u64)hash * (max - min)) >> 32, + min. */
  const kernel = (hash: number, min: number, max: number): number => {
    const h = (BigInt(hash >>> 0) ^ (BigInt(hash >>> 0) << 16n)) & 0xffffffffn;
    return Number((h * BigInt(max - min)) >> 32n) + min;
  };

  it('folds the hash\'s low half into its high half before scaling, as the kernel does', () => {
    // a hash whose top half is 0 still spreads over the range: its low half moves up
    expect(vxlanSourcePort(0x0000ffff, 49152, 65535)).toBe(kernel(0x0000ffff, 49152, 65535));
    expect(vxlanSourcePort(0x0000ffff, 49152, 65535)).toBeGreaterThan(65000);
    expect(vxlanSourcePort(0, 49152, 65535)).toBe(49152);
    expect(vxlanSourcePort(123, 4000, 4000)).toBe(4000);
  });

  it('law: equals the kernel\'s formula for every hash and range, and stays in [low, high)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 65534 }), fc.integer({ min: 1, max: 65535 }), (hash, a, span) => {
        const low = Math.min(a, 65535 - 1);
        const high = Math.min(65535, low + span);
        const port = vxlanSourcePort(hash, low, high);
        expect(port).toBe(kernel(hash, low, high));
        expect(port >= low && port < high).toBe(true);
      }),
      { seed: 0x5ca1e, numRuns: 2000 },
    );
  });
});
