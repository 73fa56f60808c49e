// Benchmark captures: classic pcap files of 76-byte frames, built fast and byte-for-byte repeatable from a seed.
// Self-contained (no dependency on the traffic generator) so the benchmarks and the big-file test stay cheap:
// records are built into one buffer and flushed with plain writes.

import { closeSync, openSync, writeSync } from 'node:fs';

/** Ethernet 14 + IPv4 20 + UDP 8 + 34 bytes of payload, or TCP 20 + 22: the 76-byte frames. */
export const FRAME_LEN = 76;
const REC_HDR = 16;
const FILE_HDR = 24;

/** The built-in topology's addresses the frames use. */
const SERVICE = 0xc0a8640a; // 192.168.100.10: announced by every VM
const BORDER_VTEP = 0x0a0101fe; // 10.1.1.254: the ingress leaf
const LEAF3_VTEP = 0x0a010103; // 10.1.1.3: underlay frames enter there
const VNI = 10100;
const UNKNOWN_VNI = 4242;
const NO_ROUTE_DST = 0x08080808; // 8.8.8.8: no route in TENANT-A

/** IPv6 addresses of DUAL_STACK_YAML the IPv6 frames use, as four words. */
const SERVICE6 = [0x20010db8, 0x01000000, 0, 0x10]; // 2001:db8:100::10: announced by every VM
const NO_ROUTE6 = [0x20010db8, 0xdead0000, 0, 1]; // 2001:db8:dead::1
const CLIENT6 = [0xfd000000, 0, 0]; // fd00::/96, the low word from the flow
const BORDER_VTEP6 = [0xfd00ffff, 0, 0, 0xfe];
const LEAF3_VTEP6 = [0xfd00ffff, 0, 0, 3];

/**
 * The built-in fabric dual-stack, with an IPv6 underlay: every VTEP IPv6, every VM announcing the IPv4 service and
 * 2001:db8:100::10/128 (the IPv6 frames' destination). Replays of `ipv6` captures use it.
 */
export const DUAL_STACK_YAML = `vrfs:
  TENANT-A: { vni: 10100 }
leaves:
  border: { vtep: 'fd00:ffff::fe', asn: 65000 }
  leaf-1: { vtep: 'fd00:ffff::1', asn: 65001 }
  leaf-2: { vtep: 'fd00:ffff::2', asn: 65002 }
  leaf-3: { vtep: 'fd00:ffff::3', asn: 65003 }
vms:
  VM-1: { leaf: leaf-1, vrf: TENANT-A, address: 172.16.1.1/31, asn: 65100, announce: [192.168.100.10/32, '2001:db8:100::10/128'] }
  VM-2: { leaf: leaf-2, vrf: TENANT-A, address: 172.16.2.1/31, asn: 65100, announce: [192.168.100.10/32, '2001:db8:100::10/128'] }
  VM-A: { leaf: leaf-3, vrf: TENANT-A, address: 'fd00:3::1/127', asn: 65100, announce: [192.168.100.10/32, '2001:db8:100::10/128'] }
  VM-B: { leaf: leaf-3, vrf: TENANT-A, address: 'fd00:3::3/127', asn: 65100, announce: [192.168.100.10/32, '2001:db8:100::10/128'] }
  VM-C: { leaf: leaf-3, vrf: TENANT-A, address: 172.16.3.5/31, asn: 65100, announce: [192.168.100.10/32, '2001:db8:100::10/128'] }
ingress: { leaf: border, vrf: TENANT-A }
`;

export interface BenchCaptureOptions {
  /** frames in all */
  packets: number;
  /** distinct flows; packets >= flows picks a random flow per packet, flows >= packets makes every packet a new flow */
  flows: number;
  seed?: number;
  /**
   * Add the other kinds of frame the engine meets, for the equality tests: one in `mixEvery` frames is one of
   * underlay VXLAN to leaf-3 (most), VXLAN with an unknown VNI, ARP (not IPv4), a cut-short frame (truncated),
   * or a client frame with no route. 0 (default): every frame is a plain 76-byte client frame.
   */
  mixEvery?: number;
  /**
   * IPv6 frames, for DUAL_STACK_YAML: 'all' makes every client frame (and every underlay frame, then VXLAN over
   * IPv6) IPv6, 76 bytes too (Ethernet 14 + IPv6 40 + UDP 8 + 14 bytes, or TCP 20 + 2), source fd00::/96 by flow,
   * flow label by flow; 'mixed': flows alternate between IPv4 and IPv6, underlay frames are VXLAN over IPv6.
   * 'none' (default): IPv4 only, as before.
   */
  ipv6?: 'none' | 'all' | 'mixed';
}

/** xorshift32: cheap, deterministic, good enough to spread flows. */
class Xorshift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (this.s = s >>> 0);
  }
}

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v;
}
function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}
function put32le(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

function ipChecksum(b: Uint8Array, p: number): number {
  let s = 0;
  for (let i = 0; i < 20; i += 2) if (i !== 10) s += (b[p + i]! << 8) | b[p + i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** The classic pcap file header: little-endian, microseconds, Ethernet. */
export function pcapFileHeader(): Uint8Array {
  const h = new Uint8Array(FILE_HDR);
  put32le(h, 0, 0xa1b2c3d4);
  h[4] = 2;
  h[6] = 4;
  put32le(h, 16, 262144);
  put32le(h, 20, 1);
  return h;
}

/** Zeroes `len` bytes at p and writes an Ethernet header: router MACs 02:00 + `dstLo` / `srcLo`, EtherType `type`. */
function writeEthernetHeader(b: Uint8Array, p: number, len: number, dstLo: number, srcLo: number, type: number): void {
  b.fill(0, p, p + len);
  put16(b, p, 0x0200);
  put32(b, p + 2, dstLo);
  put16(b, p + 6, 0x0200);
  put32(b, p + 8, srcLo);
  put16(b, p + 12, type);
}

/** The UDP (`length` bytes) or TCP header at l4 (checksums 0); returns FRAME_LEN. */
function writeL4(b: Uint8Array, l4: number, proto: number, sport: number, dport: number, length: number): number {
  put16(b, l4, sport);
  put16(b, l4 + 2, dport);
  if (proto === 17) put16(b, l4 + 4, length);
  else {
    b[l4 + 12] = 0x50;
    b[l4 + 13] = 0x18; // PSH, ACK
    put16(b, l4 + 14, 502);
  }
  return FRAME_LEN;
}

/** Writes a 76-byte Ethernet/IPv4/UDP-or-TCP frame at p; returns its length. */
function writeClientFrame(b: Uint8Array, p: number, src: number, dst: number, proto: number, sport: number, dport: number): number {
  // Ethernet: to the border leaf's router MAC, from a client router.
  writeEthernetHeader(b, p, FRAME_LEN, BORDER_VTEP, 1, 0x0800);
  const ip = p + 14;
  b[ip] = 0x45;
  put16(b, ip + 2, FRAME_LEN - 14);
  put16(b, ip + 6, 0x4000);
  b[ip + 8] = 64;
  b[ip + 9] = proto;
  put32(b, ip + 12, src);
  put32(b, ip + 16, dst);
  put16(b, ip + 10, ipChecksum(b, ip));
  return writeL4(b, ip + 20, proto, sport, dport, FRAME_LEN - 34);
}

/** An underlay frame: outer Ethernet/IPv4/UDP 4789/VXLAN from the border's VTEP to `vtep`, around a client frame. */
function writeVxlanFrame(b: Uint8Array, p: number, vtep: number, vni: number, outerSport: number, src: number, dst: number, proto: number, sport: number, dport: number): number {
  const outer = 14 + 20 + 8 + 8;
  const total = outer + FRAME_LEN;
  writeClientFrame(b, p + outer, src, dst, proto, sport, dport);
  writeEthernetHeader(b, p, outer, vtep, BORDER_VTEP, 0x0800);
  const ip = p + 14;
  b[ip] = 0x45;
  put16(b, ip + 2, total - 14);
  put16(b, ip + 6, 0x4000);
  b[ip + 8] = 64;
  b[ip + 9] = 17;
  put32(b, ip + 12, BORDER_VTEP);
  put32(b, ip + 16, vtep);
  put16(b, ip + 10, ipChecksum(b, ip));
  const udp = ip + 20;
  put16(b, udp, outerSport);
  put16(b, udp + 2, 4789);
  put16(b, udp + 4, total - 34);
  const vx = udp + 8;
  b[vx] = 0x08;
  b[vx + 4] = vni >>> 16;
  b[vx + 5] = vni >>> 8;
  b[vx + 6] = vni;
  return total;
}

/** Writes a 76-byte Ethernet/IPv6/UDP-or-TCP frame at p (no extension header); returns its length. */
function writeClientFrame6(b: Uint8Array, p: number, srcLow: number, dst: readonly number[], proto: number, sport: number, dport: number, label: number): number {
  writeEthernetHeader(b, p, FRAME_LEN, BORDER_VTEP, 1, 0x86dd);
  const ip = p + 14;
  put32(b, ip, ((6 << 28) | (label & 0xfffff)) >>> 0);
  put16(b, ip + 4, FRAME_LEN - 54);
  b[ip + 6] = proto;
  b[ip + 7] = 64;
  for (let i = 0; i < 3; i++) put32(b, ip + 8 + 4 * i, CLIENT6[i]!);
  put32(b, ip + 20, srcLow);
  for (let i = 0; i < 4; i++) put32(b, ip + 24 + 4 * i, dst[i]!);
  return writeL4(b, ip + 40, proto, sport, dport, FRAME_LEN - 54);
}

/** An underlay frame over IPv6: outer Ethernet/IPv6/UDP 4789/VXLAN from the border's VTEP to `vtep`, around `inner` bytes already at p + 70. */
function writeVxlan6Outer(b: Uint8Array, p: number, vtep: readonly number[], vni: number, outerSport: number, inner: number): number {
  const outer = 14 + 40 + 8 + 8;
  writeEthernetHeader(b, p, outer, vtep[3]!, BORDER_VTEP6[3]!, 0x86dd);
  const ip = p + 14;
  put32(b, ip, 6 << 28);
  put16(b, ip + 4, 16 + inner);
  b[ip + 6] = 17;
  b[ip + 7] = 64;
  for (let i = 0; i < 4; i++) {
    put32(b, ip + 8 + 4 * i, BORDER_VTEP6[i]!);
    put32(b, ip + 24 + 4 * i, vtep[i]!);
  }
  const udp = ip + 40;
  put16(b, udp, outerSport);
  put16(b, udp + 2, 4789);
  put16(b, udp + 4, 16 + inner);
  const vx = udp + 8;
  b[vx] = 0x08;
  b[vx + 4] = vni >>> 16;
  b[vx + 5] = vni >>> 8;
  b[vx + 6] = vni;
  return outer + inner;
}

function writeArp(b: Uint8Array, p: number): number {
  b.fill(0, p, p + 60);
  b.fill(0xff, p, p + 6);
  put16(b, p + 6, 0x0200);
  put32(b, p + 8, 7);
  put16(b, p + 12, 0x0806);
  return 60;
}

/**
 * Makes frames one at a time into a caller's buffer. Flow f's 5-tuple is a fixed function of f (source
 * 10.x.y.z by a bijective scramble of f's low 24 bits, ephemeral source port, TCP 443 or UDP 53), so captures
 * of the same options are identical and all-new-flows captures really have one flow per packet.
 */
export class BenchFrames {
  readonly packets: number;
  readonly flows: number;
  readonly mixEvery: number;
  readonly ipv6: 'none' | 'all' | 'mixed';
  private readonly rng: Xorshift;
  private i = 0;
  /** bytes of the frames' original lengths so far */
  bytes = 0;

  constructor(o: BenchCaptureOptions) {
    if (!Number.isSafeInteger(o.packets) || o.packets < 0) throw new RangeError(`packets ${o.packets}`);
    if (!Number.isSafeInteger(o.flows) || o.flows < 1) throw new RangeError(`flows ${o.flows}`);
    this.packets = o.packets;
    this.flows = o.flows;
    this.mixEvery = o.mixEvery ?? 0;
    this.ipv6 = o.ipv6 ?? 'none';
    this.rng = new Xorshift(o.seed ?? 1);
  }

  get done(): boolean {
    return this.i >= this.packets;
  }

  /** Writes the next record (header and frame) at b[p..]; returns its length. b must have 16 + 126 bytes free. */
  writeRecord(b: Uint8Array, p: number): number {
    const i = this.i++;
    const f = this.flows >= this.packets ? i : this.rng.next() % this.flows;
    const scrambled = Math.imul(f, 0x9e3779b1) & 0xffffff; // odd multiplier: a bijection of the low 24 bits
    const src = (0x0a000000 | scrambled) >>> 0;
    const tcp = (f >>> 24) & 1 ? false : (Math.imul(f, 0x85ebca6b) >>> 29) < 6;
    const sport = 1024 + ((Math.imul(f ^ 0x5bd1e995, 0xc2b2ae35) >>> 16) % 64000) + ((f >>> 25) & 0x1f);
    const proto = tcp ? 6 : 17;
    const dport = tcp ? 443 : 53;
    const q = p + REC_HDR;
    let len: number;
    let orig: number;
    const kind = this.mixEvery > 0 && i % this.mixEvery === this.mixEvery - 1 ? Math.floor(i / this.mixEvery) % 8 : -1;
    if (this.ipv6 !== 'none') {
      const v6 = this.ipv6 === 'all' || (f & 1) === 1;
      const client = (at: number, dst: readonly number[] | number): number =>
        v6 ? writeClientFrame6(b, at, src, typeof dst === 'number' ? SERVICE6 : dst, proto, sport, dport, f & 0xfffff) : writeClientFrame(b, at, src, typeof dst === 'number' ? dst : NO_ROUTE_DST, proto, sport, dport);
      switch (kind) {
        case -1:
          len = orig = client(q, SERVICE);
          break;
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
          len = orig = writeVxlan6Outer(b, q, LEAF3_VTEP6, kind === 4 ? UNKNOWN_VNI : VNI, 49152 + (f & 0x3fff), client(q + 70, SERVICE));
          break;
        case 5:
          len = orig = writeArp(b, q);
          break;
        case 6:
          orig = client(q, SERVICE);
          len = v6 ? 14 + 40 + 2 : 14 + 20 + 2;
          break;
        default:
          len = orig = client(q, NO_ROUTE6);
      }
      return this.finish(b, p, i, len, orig);
    }
    switch (kind) {
      case -1:
        len = orig = writeClientFrame(b, q, src, SERVICE, proto, sport, dport);
        break;
      case 0:
      case 1:
      case 2:
      case 3:
        len = orig = writeVxlanFrame(b, q, LEAF3_VTEP, VNI, 49152 + (f & 0x3fff), src, SERVICE, proto, sport, dport);
        break;
      case 4:
        len = orig = writeVxlanFrame(b, q, LEAF3_VTEP, UNKNOWN_VNI, 49152, src, SERVICE, proto, sport, dport);
        break;
      case 5:
        len = orig = writeArp(b, q);
        break;
      case 6:
        // Captured with a snapshot length that cuts the ports off: truncated.
        orig = writeClientFrame(b, q, src, SERVICE, proto, sport, dport);
        len = 14 + 20 + 2;
        break;
      default:
        len = orig = writeClientFrame(b, q, src, NO_ROUTE_DST, proto, sport, dport);
    }
    return this.finish(b, p, i, len, orig);
  }

  /** The record header of frame i, captured `len` of `orig` bytes; returns the record's length. */
  private finish(b: Uint8Array, p: number, i: number, len: number, orig: number): number {
    const sec = 1704067200 + Math.floor(i / 1e6);
    put32le(b, p, sec);
    put32le(b, p + 4, i % 1e6);
    put32le(b, p + 8, len);
    put32le(b, p + 12, orig);
    this.bytes += orig;
    return REC_HDR + len;
  }
}

/** The whole capture in memory (benchmarks of frames in memory; tests). */
export function benchCaptureBuffer(o: BenchCaptureOptions): Uint8Array {
  const g = new BenchFrames(o);
  let buf = new Uint8Array(FILE_HDR + Math.max(1024, o.packets * (REC_HDR + FRAME_LEN + 8)));
  buf.set(pcapFileHeader(), 0);
  let p = FILE_HDR;
  while (!g.done) {
    if (buf.length - p < 256) {
      const grown = new Uint8Array(buf.length * 2);
      grown.set(buf);
      buf = grown;
    }
    p += g.writeRecord(buf, p);
  }
  return buf.subarray(0, p);
}

/** Writes the capture to a file, 1 MiB at a time. Returns frames and original bytes written. */
export function writeBenchCapture(path: string, o: BenchCaptureOptions): { packets: number; bytes: number; fileBytes: number } {
  const g = new BenchFrames(o);
  const chunk = new Uint8Array(1 << 20);
  const fd = openSync(path, 'w');
  let fileBytes = 0;
  try {
    writeSync(fd, pcapFileHeader());
    fileBytes += FILE_HDR;
    while (!g.done) {
      let p = 0;
      while (!g.done && chunk.length - p >= 256) p += g.writeRecord(chunk, p);
      writeSync(fd, chunk, 0, p);
      fileBytes += p;
    }
  } finally {
    closeSync(fd);
  }
  return { packets: g.packets, bytes: g.bytes, fileBytes };
}
