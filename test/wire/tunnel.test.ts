// The byte-level tunnel dissector against the hand-built Dissected of every kernel probe (kernel-policies.test.ts
// checks those against the kernel), edge cases of GRE and nesting, and a byte flipper.

import { describe, expect, it } from 'vitest';
import { ADDR_IPV4, type Dissected, type LinuxFlowKeys } from '../../src/hash/linux-keys.js';
import { TUNNEL_OK, TUNNEL_TRUNCATED, TunnelDissection, dissectTunnel } from '../../src/wire/tunnel.js';
import { prng, u32 } from '../helpers.js';
import { frame, ipv4, ipv6, keys, probes4, probes6, udp } from '../hash/tunnel-probes.js';

const plain = (k: LinuxFlowKeys): object => ({
  addrType: k.addrType,
  src: Array.from(k.addrType === ADDR_IPV4 ? k.src.subarray(0, 1) : k.src),
  dst: Array.from(k.addrType === ADDR_IPV4 ? k.dst.subarray(0, 1) : k.dst),
  proto: k.proto,
  sport: k.sport,
  dport: k.dport,
  flowLabelWord: k.flowLabelWord,
});
const view = (d: Dissected): object => ({ outer: plain(d.outer), inner: d.inner === null ? null : plain(d.inner) });

function dissect(f: Uint8Array, out = new TunnelDissection()): { rc: number; d: TunnelDissection } {
  return { rc: dissectTunnel(f, 14, f.length, out), d: out };
}

describe('dissectTunnel', () => {
  it('equals the hand-built Dissected of every kernel probe (IPv4 and IPv6 routes, plain and tunnelled)', () => {
    const out = new TunnelDissection();
    let n = 0;
    for (const seed of [1, 0x9e3779b9, 0xfffffffe, 7]) {
      for (const p of [...probes4(prng(seed), 60, '02:00:00:00:00:01'), ...probes6(prng(seed + 1), 30, '02:00:00:00:00:01')]) {
        const { rc, d } = dissect(p.frame, out);
        expect(rc, p.what).toBe(TUNNEL_OK);
        expect(view(d), p.what).toEqual(view(p.dissected));
        n++;
      }
    }
    expect(n).toBe(360);
  });

  const os = 0xc0000201;
  const od = 0xc6336401;
  const is = 0x0a000001;
  const id = 0x0a000002;
  const inner = ipv4(is, id, 6, [0x12, 0x34, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0, 0, 0, 0, 0, 0, 0]);
  const innerKeys = keys(4, [is], [id], 6, 0x1234, 0x50);
  const gre = (flags: number, proto: number, extra: number[], payload: number[]): Uint8Array =>
    frame(0x0800, ipv4(os, od, 47, [flags >>> 8, flags & 255, proto >>> 8, proto & 255, ...extra, ...payload]), 1);

  it('GRE: checksum, key and sequence skipped; routing, version 1 and 2 not looked into; TEB with a VLAN tag', () => {
    const outer = keys(4, [os], [od], 47);
    expect(view(dissect(gre(0xb000, 0x0800, [0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 9], inner)).d)).toEqual(view({ outer, inner: innerKeys }));
    expect(view(dissect(gre(0x1000, 0x0800, [0, 0, 0, 9], inner)).d)).toEqual(view({ outer, inner: innerKeys }));
    for (const flags of [0x4000, 0x0001, 0x0002]) expect(dissect(gre(flags, 0x0800, [0, 0, 0, 0], inner)).d.inner, `flags ${flags}`).toBeNull();
    const eth = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 5, 0x08, 0x00];
    expect(view(dissect(gre(0, 0x6558, [], [...eth, ...inner])).d)).toEqual(view({ outer, inner: innerKeys }));
  });

  it('past the GRE header, what the dissector cannot follow leaves the outer keys as the inner ones (FLOW_DIS_ENCAPSULATION set)', () => {
    const outer = keys(4, [os], [od], 47);
    for (const proto of [0x8847, 0x88be]) expect(view(dissect(gre(0, proto, [], inner)).d)).toEqual(view({ outer, inner: outer }));
    // an inner IPv4 header with IHL 4: bad
    const bad = [...inner];
    bad[0] = 0x44;
    expect(view(dissect(gre(0, 0x0800, [], bad)).d)).toEqual(view({ outer, inner: outer }));
    // the GRE key past the packet: no encapsulation at all
    expect(dissect(frame(0x0800, ipv4(os, od, 47, [0x20, 0, 0x08, 0]), 1).subarray(0, 14 + 24)).d.inner).toBeNull();
  });

  it('nested tunnels: the innermost header; a 6in6 inner label of 0 keeps the outer label; fragments stop', () => {
    const nested = frame(0x0800, ipv4(os, od, 4, ipv4(0x0b000001, 0x0b000002, 47, [0, 0, 0x08, 0x00, ...inner])), 1);
    expect(view(dissect(nested).d)).toEqual(view({ outer: keys(4, [os], [od], 4), inner: innerKeys }));
    const a = [0x24000000, 0, 0, 1];
    const b = [0x20010db8, 0x01000000, 0, 2];
    const c = [0x24000000, 0, 0, 3];
    const e = [0x20010db8, 0x01000000, 0, 4];
    const in6 = ipv6(c, e, 17, 0, udp(5, 6));
    const f6 = frame(0x86dd, ipv6(a, b, 41, 0x12345, in6), 1);
    expect(view(dissect(f6).d)).toEqual(view({ outer: keys(6, a, b, 41, 0, 0, 0x12345), inner: keys(6, c, e, 17, 5, 6, 0x12345) }));
    // an inner IPv4 fragment: its addresses and protocol, no ports
    const frag = ipv4(is, id, 17, udp(7, 8));
    frag[6] = 0x20;
    expect(view(dissect(frame(0x0800, ipv4(os, od, 4, frag), 1)).d)).toEqual(view({ outer: keys(4, [os], [od], 4), inner: keys(4, [is], [id], 17) }));
    // an outer fragment: no tunnel
    const outerFrag = frame(0x0800, ipv4(os, od, 4, inner), 1);
    outerFrag[14 + 6] = 0x20;
    expect(dissect(outerFrag).d.inner).toBeNull();
  });

  it('captured bytes cut inside what the kernel reads: truncated; the packet itself too short: ports 0', () => {
    const f = frame(0x0800, ipv4(os, od, 4, inner), 1);
    expect(dissect(f.subarray(0, 14 + 20 + 22)).rc).toBe(TUNNEL_TRUNCATED);
    const short = frame(0x0800, ipv4(os, od, 4, inner.slice(0, 22)), 1);
    short[14 + 3] = 20 + 22; // total length: the inner ports lie past the packet
    expect(plain(dissect(short).d.inner!)).toEqual(plain(keys(4, [is], [id], 6)));
  });

  it('byte flipper: never throws, never reads past the end it is given (poisoned bytes beyond change nothing)', () => {
    const rand = prng(99);
    const base = [...probes4(prng(5), 30, '02:00:00:00:00:01'), ...probes6(prng(6), 15, '02:00:00:00:00:01')];
    const a = new TunnelDissection();
    const b = new TunnelDissection();
    let tunnelled = 0;
    for (let i = 0; i < 20000; i++) {
      const src = base[i % base.length]!.frame;
      const f = Uint8Array.from(src);
      for (let k = 1 + (u32(rand) % 4); k > 0; k--) f[14 + (u32(rand) % (f.length - 14))] = u32(rand) & 255;
      const end = 14 + (u32(rand) % (f.length - 13));
      const x = new Uint8Array(end + 64).fill(0x00);
      const y = new Uint8Array(end + 64).fill(0xff);
      x.set(f.subarray(0, end));
      y.set(f.subarray(0, end));
      const rx = dissectTunnel(x, 14, end, a);
      const ry = dissectTunnel(y, 14, end, b);
      expect(ry).toBe(rx);
      expect(view(b)).toEqual(view(a));
      if (rx === TUNNEL_OK && a.inner !== null) tunnelled++;
    }
    expect(tunnelled).toBeGreaterThan(2000);
  });
});
