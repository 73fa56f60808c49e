// The flow key of a tunnelled client flow (IP-in-IP, IPv6-in-IP, GRE) when some leaf hashes inner headers (Linux
// policies 2 and 3): everything the kernel's policy 2/3 hash reads of the Dissected, interned into the engine's
// AddressTable so that the flow still takes one 32-byte flow-table slot:
//
//   src   = TUNNEL_FLOW entry (outer source id, inner source id, inner destination id, 0)
//   dst   = the outer destination (a TUNNEL_ADDRESS entry: report lookups read it as the flow's destination)
//   ports = the inner ports (the outer has none: a tunnel's protocol has no ports)
//   meta  = the outer protocol, entry leaf and VRF, META_IPV6 (src and dst are ids)
//
// with the outer source's fifth word its flow label | first next header << 20 (IPv6), the inner source's its flow
// label (as the dissector keeps it; IPv6 only) | inner protocol << 20, and TUNNEL_V4 on IPv4 addresses. Two flows
// that differ in any field policy 2 or 3 reads (or policy 0/1 over the outer header) differ in their key; first
// sight rebuilds the Dissected from the key (tunnelOf), so what is hashed is what is keyed, and the report and the
// merge of workers read it back the same way.

import { ADDR_IPV4, ADDR_IPV6, type LinuxFlowKeys } from '../hash/linux-keys.js';
import { TunnelDissection } from '../wire/tunnel.js';
import { AddressTable, TUNNEL_ADDRESS, TUNNEL_FLOW, TUNNEL_V4 } from './addrs.js';
import { FlowTable, META_IPV6 } from './flowtable.js';

/** An address of a tunnelled flow with its fifth word. */
function internAddress(a: AddressTable, k: LinuxFlowKeys, dst: boolean, extra: number): number {
  const w = dst ? k.dst : k.src;
  if (k.addrType === ADDR_IPV4) return a.intern(w[0]!, 0, 0, 0, TUNNEL_ADDRESS | TUNNEL_V4 | extra);
  return a.intern(w[0]!, w[1]!, w[2]!, w[3]!, TUNNEL_ADDRESS | extra);
}

/** Scratch of internTunnel's results: number fields of an object (no heap numbers per frame, see FrameKey). */
export class TunnelKey {
  src = 0;
  dst = 0;
  ports = 0;
  meta = 0;
}

/** Interns the key of dissection d (d.inner not null) entering at (leaf, vrf) into `out`. Allocation-free. */
export function internTunnel(a: AddressTable, d: TunnelDissection, leaf: number, vrf: number, out: TunnelKey): void {
  const o = d.outer;
  const i = d.inner!;
  const v6o = o.addrType === ADDR_IPV6;
  const outerSrc = internAddress(a, o, false, v6o ? (o.flowLabelWord & 0xfffff) | (d.outerNextHeader << 20) : 0);
  const innerSrc = internAddress(a, i, false, (i.addrType === ADDR_IPV6 ? i.flowLabelWord & 0xfffff : 0) | ((i.proto & 0xff) << 20));
  const innerDst = internAddress(a, i, true, 0);
  out.src = a.intern(outerSrc, innerSrc, innerDst, 0, TUNNEL_FLOW);
  out.dst = internAddress(a, o, true, 0);
  out.ports = (i.sport << 16) | i.dport;
  // int32, not the unsigned meta: a number field above 2^31 would be a heap number passed on per frame
  out.meta = FlowTable.meta(o.proto, leaf, vrf) | META_IPV6;
}

function readAddress(a: AddressTable, id: number, k: LinuxFlowKeys, dst: boolean): number {
  const w = dst ? k.dst : k.src;
  w.fill(0);
  k.addrType = a.isIpv4(id) ? ADDR_IPV4 : ADDR_IPV6;
  for (let j = 0; j < (k.addrType === ADDR_IPV4 ? 1 : 4); j++) w[j] = a.word(id, j);
  return a.word(id, 4) & ~(TUNNEL_ADDRESS | TUNNEL_V4);
}

/** The flow key (src, dst, ports, meta) names a tunnelled flow. */
export function isTunnelKey(a: AddressTable, src: number, meta: number): boolean {
  return FlowTable.isIpv6(meta) && a.isTunnelFlow(src);
}

/** The Dissected a tunnelled flow's key stands for, rebuilt into `out` (first sight, the report). */
export function tunnelOf(a: AddressTable, src: number, dst: number, ports: number, meta: number, out: TunnelDissection): TunnelDissection {
  const o = out.outer.clear();
  const i = out.innerKeys.clear();
  const w = readAddress(a, a.word(src, 0), o, false);
  readAddress(a, dst, o, true);
  o.proto = FlowTable.proto(meta);
  o.flowLabelWord = o.addrType === ADDR_IPV6 ? w & 0xfffff : 0;
  out.outerNextHeader = o.addrType === ADDR_IPV6 ? (w >>> 20) & 0xff : o.proto;
  const wi = readAddress(a, a.word(src, 1), i, false);
  readAddress(a, a.word(src, 2), i, true);
  i.flowLabelWord = wi & 0xfffff;
  i.proto = (wi >>> 20) & 0xff;
  i.sport = FlowTable.sport(ports);
  i.dport = FlowTable.dport(ports);
  out.inner = i;
  return out;
}

/** A tunnelled flow's columns for the flows CSV: `outer>inner` for the source, destination and protocol. */
export function tunnelText(a: AddressTable, src: number, dst: number, meta: number): { src: string; dst: string; proto: string } {
  const inner = a.word(src, 1);
  return {
    src: a.text(src),
    dst: `${a.text(dst)}>${a.text(a.word(src, 2))}`,
    proto: `${FlowTable.proto(meta)}>${(a.word(inner, 4) >>> 20) & 0xff}`,
  };
}
