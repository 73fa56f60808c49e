// Test frame builder over the wire writers: a 5-tuple in, a frame of any supported link type out.

import { writeEthernet } from '../../src/wire/ethernet.js';
import { ipv4FillChecksum, IPV4_FLAG_MF, writeIpv4Header } from '../../src/wire/ipv4.js';
import { writeSll, writeSll2 } from '../../src/wire/sll.js';
import { writeTcpHeader } from '../../src/wire/tcp.js';
import { writeUdpHeader } from '../../src/wire/udp.js';
import { writeVlanTag } from '../../src/wire/vlan.js';
import { writeVxlanEncap } from '../../src/wire/vxlan.js';

export interface Tuple {
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
}

export interface FrameOpts {
  linkType?: number; // 1, 101, 228, 113, 276
  vlans?: number; // 0..2 tags (Ethernet and SLL)
  ipOptionsWords?: number; // 0..10
  fragment?: 'none' | 'first' | 'later';
  payload?: number;
}

/** An IPv4 packet (header, options, L4 header, payload) for the tuple. */
export function ipv4Packet(t: Tuple, o: FrameOpts = {}): Uint8Array {
  const optWords = o.ipOptionsWords ?? 0;
  const ihl = 20 + optWords * 4;
  const frag = o.fragment ?? 'none';
  const l4 = frag === 'later' ? 0 : t.proto === 6 ? 20 : t.proto === 17 ? 8 : 8;
  const total = ihl + l4 + (o.payload ?? 0);
  const b = new Uint8Array(total);
  const flags = frag === 'first' ? IPV4_FLAG_MF : frag === 'later' ? 100 : 0;
  writeIpv4Header(b, 0, 0, total, 0x1234, flags, 64, t.proto, t.src, t.dst);
  if (optWords > 0) {
    b[0] = 0x40 | (ihl >>> 2);
    b.fill(1, 20, ihl); // NOPs
    ipv4FillChecksum(b, 0, ihl);
  }
  if (frag !== 'later') {
    if (t.proto === 6) writeTcpHeader(b, ihl, t.sport, t.dport, 1, 0, 2, 1024);
    else if (t.proto === 17) writeUdpHeader(b, ihl, t.sport, t.dport, total - ihl, 0);
    else {
      // any other protocol: put "ports" there anyway, which must be ignored (unless it is a ported protocol)
      b[ihl] = t.sport >>> 8;
      b[ihl + 1] = t.sport;
      b[ihl + 2] = t.dport >>> 8;
      b[ihl + 3] = t.dport;
    }
  }
  return b;
}

/** Wraps an IPv4 packet in the link layer of `linkType`. */
export function frame(pkt: Uint8Array, o: FrameOpts = {}): Uint8Array {
  const lt = o.linkType ?? 1;
  const tags = o.vlans ?? 0;
  if (lt === 101 || lt === 228) return pkt.slice();
  const l2 = lt === 1 ? 14 : lt === 113 ? 16 : 20;
  const b = new Uint8Array(l2 + tags * 4 + pkt.length);
  const firstType = tags === 2 ? 0x88a8 : tags === 1 ? 0x8100 : 0x0800;
  if (lt === 1) writeEthernet(b, 0, 0x0200, 2, 0x0200, 1, firstType);
  else if (lt === 113) writeSll(b, 0, 0, 1, 0x0200, 1, firstType);
  else writeSll2(b, 0, firstType, 1, 1, 0, 0x0200, 1);
  let p = l2;
  for (let i = 0; i < tags; i++) {
    writeVlanTag(b, p, 0, false, 100 + i, i === tags - 1 ? 0x0800 : 0x8100);
    p += 4;
  }
  b.set(pkt, p);
  return b;
}

/** An Ethernet frame carrying `inner` (an Ethernet frame) in VXLAN from `outerSrc` to `outerDst`. */
export function vxlanFrame(inner: Uint8Array, outerSrc: number, outerDst: number, sport: number, vni: number, port = 4789): Uint8Array {
  const b = new Uint8Array(50 + inner.length);
  writeVxlanEncap(b, 0, 0x0200, 2, 0x0200, 1, outerSrc, outerDst, 7, sport, port, vni, inner.length);
  b.set(inner, 50);
  return b;
}
