// `replay --write` with IPv6: IPv6 client flows are written inside VXLAN, and VXLAN goes over IPv6 when the VTEPs
// are IPv6 (the outer UDP checksum computed, as Linux does over IPv6). tshark must decode every frame cleanly, and
// every client frame the border forwards must come out once, encapsulated to its flow's VTEP with its source port.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DUAL_STACK_YAML, benchCaptureBuffer } from '../../bench/captures.js';
import { emu } from '../cli/run.js';
import { haveTool } from '../helpers.js';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { FrameKey, REASON_OK, decodeFrame } from '../../src/wire/decode.js';
import { formatIpv6 } from '../../src/wire/ipv6.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-write6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const haveTshark = haveTool('tshark', ['-v']);
if (!haveTshark) console.log('write6: tshark checks skipped, tshark missing');

/** The same fabric with IPv4 VTEPs (an IPv4 underlay carrying IPv6 tenants). */
const V4_UNDERLAY = DUAL_STACK_YAML.replace("'fd00:ffff::fe'", '10.1.1.254').replace("'fd00:ffff::1'", '10.1.1.1').replace("'fd00:ffff::2'", '10.1.1.2').replace("'fd00:ffff::3'", '10.1.1.3');

interface Written {
  outer: 4 | 6;
  outerSrc: string;
  outerDst: string;
  outerSport: number;
  vni: number;
  inner: string;
}

/** Our decoder over the written file: the VXLAN frames, as (outer, inner flow) rows. */
function vxlanFrames(file: string): Written[] {
  const r = CaptureReader.fromBuffer(readFileSync(file));
  const b = new RecordBatch(256);
  const k = new FrameKey();
  const out: Written[] = [];
  while (r.readSync(b) > 0) {
    for (let i = 0; i < b.count; i++) {
      decodeFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.linkType[i]!, 4789, k);
      expect(k.reason).toBe(REASON_OK);
      if (!k.vxlan) continue;
      const a = (fam: number, v4: number, v6: Uint32Array): string => (fam === 6 ? formatIpv6(v6) : formatIpv4(v4));
      out.push({
        outer: k.family as 4 | 6,
        outerSrc: a(k.family, k.src, k.src6),
        outerDst: a(k.family, k.dst, k.dst6),
        outerSport: k.sport,
        vni: k.vni,
        inner: `${a(k.innerFamily, k.innerSrc, k.innerSrc6)} ${a(k.innerFamily, k.innerDst, k.innerDst6)} ${k.innerProto} ${k.innerSport} ${k.innerDport}`,
      });
    }
  }
  return out;
}

describe('replay --write with IPv6', () => {
  for (const [name, yaml, outer, border] of [['IPv6 underlay', DUAL_STACK_YAML, 6, 'fd00:ffff::fe'], ['IPv4 underlay', V4_UNDERLAY, 4, '10.1.1.254']] as const) {
    it(`${name}: IPv6 and IPv4 client flows encapsulated once per forwarded frame, to their VTEP, with their source port; tshark decodes it cleanly`, () => {
      const topo = join(dir, `${outer}.yaml`);
      writeFileSync(topo, yaml);
      const input = join(dir, `in-${outer}.pcap`);
      // No mix: every frame a client frame (mixed shapes are written as read, which the IPv4 tests cover).
      writeFileSync(input, benchCaptureBuffer({ packets: 3000, flows: 300, seed: 5, ipv6: 'mixed' }));
      const out = join(dir, `out-${outer}.pcap`);
      const csv = join(dir, `flows-${outer}.csv`);
      const r = emu(['replay', input, '--json', '--topology', topo, '--write', out, '--flows-csv', csv]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.packets).toBe(3000);
      // per flow (src dst proto sport dport): its VTEP and VXLAN source port, from the flows CSV
      const vtepAddress = new Map<string, string>(report.vteps.map((v: { name: string; address: string }) => [v.name, v.address]));
      const flows = new Map<string, { vtep: string; sport: number; packets: number }>();
      for (const line of readFileSync(csv, 'utf8').trim().split('\n').slice(1)) {
        const [src, dst, proto, sport, dport, packets, , vtep, , outerSport] = line.split(',');
        flows.set(`${src} ${dst} ${proto} ${sport} ${dport}`, { vtep: vtepAddress.get(vtep!)!, sport: Number(outerSport), packets: Number(packets) });
      }
      const written = vxlanFrames(out);
      expect(written.length).toBe(3000); // every frame forwarded to a remote VTEP
      const seen = new Map<string, number>();
      for (const w of written) {
        const flow = flows.get(w.inner);
        expect(flow, w.inner).toBeDefined();
        expect([w.outer, w.outerSrc, w.outerDst, w.outerSport, w.vni]).toEqual([outer, border, flow!.vtep, flow!.sport, 10100]);
        seen.set(w.inner, (seen.get(w.inner) ?? 0) + 1);
      }
      for (const [k, f] of flows) expect(seen.get(k), k).toBe(f.packets);
      expect(written.filter((w) => w.inner.includes(':')).length).toBeGreaterThan(1000);

      if (!haveTshark) return;
      const ipf = outer === 6 ? 'ipv6' : 'ip';
      const fields = execFileSync('tshark', ['-n', '-r', out, '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'vxlan.vni', '-e', `${ipf}.src`, '-e', 'udp.checksum.status', '-e', outer === 6 ? 'ipv6.hlim' : 'ip.ttl', '-e', 'frame.protocols'], { encoding: 'utf8' });
      const lines = fields.trim().split('\n').map((l) => l.split('\t'));
      expect(lines.length).toBe(3000);
      for (const [vni, src, status, ttl, protocols] of lines) {
        expect(vni).toBe('10100');
        expect(src!.split(',')[0]).toBe(border);
        // the outer UDP checksum: verified good (1) over IPv6; 0 over IPv4 (3: not present)
        expect(status!.split(',')[0]).toBe(outer === 6 ? '1' : '3');
        expect(ttl!.split(',')[0]).toBe('64');
        expect(protocols).toMatch(new RegExp(`^eth:ethertype:${ipf}:udp:vxlan:eth:ethertype:(ip|ipv6):(udp|tcp)`));
      }
      const warn = execFileSync('tshark', ['-n', '-r', out, '-q', '-z', 'expert,error'], { encoding: 'utf8' });
      expect(warn).not.toMatch(/Malformed|Bad checksum/i);
    });
  }
});
