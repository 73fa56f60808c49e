// Traffic shapes fuzz --search explores: which fields vary, over what ranges and strides, how many clients, which protocols.

import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, formatIpv4 } from '../wire/ipv4.js';
import type { FlowSet } from '../traffic/flows.js';
import { IndexPermutation } from '../traffic/permutation.js';
import { Rng } from '../traffic/prng.js';

/** Protocol mixes: one protocol, UDP and TCP, or both with one ICMP echo flow per client. */
export const PROTOCOL_MIXES = ['udp', 'tcp', 'udp+tcp', 'udp+tcp+icmp'] as const;
export type ProtocolMix = (typeof PROTOCOL_MIXES)[number];

/** Ports low, low + stride, ... (count of them). */
export interface PortRange {
  low: number;
  stride: number;
  count: number;
}

/**
 * A traffic shape: clients at clientBase + k·clientStride (k < clients), talking to one service address, with
 * source and destination ports from their ranges, in a protocol mix. Its key space is every combination; a flow
 * set of the shape is `flows` distinct keys of it, taken in order (source port fastest, then destination port,
 * then client, then protocol: what a client opening connection after connection does) or as a seeded random sample.
 */
export interface TrafficShape {
  clients: number;
  clientBase: number;
  clientStride: number;
  protocols: ProtocolMix;
  sport: PortRange;
  dport: PortRange;
  order: 'sequential' | 'random';
  /** the sample's seed (only `random` reads it) */
  seed: number;
}

/** Clients live in 10.0.0.0/8, as makeFlows' do: a shape never leaves it. */
export const CLIENT_NET = 0x0a000000;
const CLIENT_SPAN = 1 << 24;
export const MAX_CLIENTS = 65536;
export const CLIENT_STRIDES = [1, 2, 3, 4, 8, 16, 64, 256, 1024, 4096, 65536] as const;
export const PORT_STRIDES = [1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 1024, 4096] as const;
/** Where port ranges start in real traffic: well-known and registered bases, Linux's and IANA's ephemeral ranges, VXLAN's. */
export const PORT_BASES = [1, 7, 53, 80, 443, 1024, 4789, 5000, 8080, 10000, 16384, 32768, 49152] as const;
/** Service ports a single destination port is set to. */
export const SERVICE_PORTS = [7, 53, 80, 443, 4789, 8080] as const;

const PROTOS_OF: Record<ProtocolMix, number[]> = {
  udp: [IPPROTO_UDP],
  tcp: [IPPROTO_TCP],
  'udp+tcp': [IPPROTO_UDP, IPPROTO_TCP],
  'udp+tcp+icmp': [IPPROTO_UDP, IPPROTO_TCP],
};

/** The typical client traffic the searches start from: random clients and ephemeral ports to one service port. */
export function typicalShape(seed: number): TrafficShape {
  return {
    clients: 4096,
    clientBase: CLIENT_NET + 1,
    clientStride: 1,
    protocols: 'udp+tcp',
    sport: { low: 32768, stride: 1, count: 28232 },
    dport: { low: 443, stride: 1, count: 1 },
    order: 'random',
    seed: seed >>> 0,
  };
}

/** Keys with ports (per port protocol) and in all. */
export function keySpace(s: TrafficShape): { withPorts: number; total: number } {
  const withPorts = s.clients * s.sport.count * s.dport.count;
  return { withPorts, total: withPorts * PROTOS_OF[s.protocols].length + (s.protocols === 'udp+tcp+icmp' ? s.clients : 0) };
}

function clampRange(r: PortRange): PortRange {
  const low = Math.min(65535, Math.max(1, Math.round(r.low)));
  const stride = Math.max(1, Math.round(r.stride));
  const count = Math.max(1, Math.min(Math.round(r.count), Math.floor((65535 - low) / stride) + 1));
  return { low, stride, count };
}

/**
 * The shape made valid: every field in range, clients inside 10.0.0.0/8, and a key space of at least `flows`
 * keys, reached by widening in turn: the source ports, the destination ports, the clients (moving the base down
 * when the range runs out), then unit port strides, which make the widest ranges.
 */
export function repairShape(s: TrafficShape, flows: number): TrafficShape {
  const t: TrafficShape = { ...s, clientStride: Math.max(1, Math.round(s.clientStride)), sport: clampRange(s.sport), dport: clampRange(s.dport), seed: s.seed >>> 0 };
  const fit = (): void => {
    const maxClients = Math.floor((CLIENT_SPAN - 2) / t.clientStride) + 1;
    t.clients = Math.max(1, Math.min(MAX_CLIENTS, maxClients, Math.round(t.clients)));
    const span = (t.clients - 1) * t.clientStride;
    t.clientBase = CLIENT_NET + Math.min(Math.max(1, (t.clientBase - CLIENT_NET) >>> 0), CLIENT_SPAN - 1 - span);
  };
  const short = (): boolean => (fit(), keySpace(t).total < flows);
  const steps: Array<() => void> = [
    () => (t.sport = clampRange({ ...t.sport, count: 65536 })),
    () => (t.dport = clampRange({ ...t.dport, count: 65536 })),
    () => (t.clients = Math.min(MAX_CLIENTS, Math.max(t.clients, Math.ceil(flows / Math.max(1, keySpace({ ...t, clients: 1 }).total))))),
    () => (t.sport = clampRange({ low: Math.min(t.sport.low, 1024), stride: 1, count: 65536 })),
    () => (t.dport = clampRange({ ...t.dport, stride: 1, count: 65536 })),
    () => ((t.clientStride = 1), (t.clients = MAX_CLIENTS)),
  ];
  for (const step of steps) {
    if (!short()) break;
    step();
  }
  fit();
  return t;
}

/**
 * The shape's flow set toward `dst`: `flows` distinct keys. Throws RangeError when the key space is smaller
 * (repairShape first).
 */
export function shapeFlows(s: TrafficShape, flows: number, dst: number, into?: FlowSet): FlowSet {
  const { withPorts, total } = keySpace(s);
  if (total < flows) throw new RangeError(`shape has ${total} keys, fewer than ${flows} flows`);
  const set: FlowSet = into && into.src.length >= flows ? { ...into, count: flows } : {
    count: flows,
    src: new Uint32Array(flows),
    dst: new Uint32Array(flows),
    proto: new Uint8Array(flows),
    sport: new Uint16Array(flows),
    dport: new Uint16Array(flows),
  };
  const perm = s.order === 'random' ? new IndexPermutation(total, new Rng(s.seed, 0x73686170)) : undefined; // "shap"
  const protos = PROTOS_OF[s.protocols];
  const sc = s.sport.count;
  const dc = s.dport.count;
  for (let i = 0; i < flows; i++) {
    let k = perm ? perm.map(i) : i;
    set.dst[i] = dst;
    if (k >= withPorts * protos.length) {
      set.src[i] = (s.clientBase + (k - withPorts * protos.length) * s.clientStride) >>> 0;
      set.proto[i] = IPPROTO_ICMP;
      set.sport[i] = 0;
      set.dport[i] = 0;
      continue;
    }
    const p = Math.floor(k / withPorts);
    k -= p * withPorts;
    const sp = k % sc;
    k = (k - sp) / sc;
    const dp = k % dc;
    const c = (k - dp) / dc;
    set.src[i] = (s.clientBase + c * s.clientStride) >>> 0;
    set.proto[i] = protos[p]!;
    set.sport[i] = s.sport.low + sp * s.sport.stride;
    set.dport[i] = s.dport.low + dp * s.dport.stride;
  }
  return set;
}

/** How complex a shape is: what shrinking lowers. Each varying field, non-unit stride, protocol and random draw adds. */
export function complexity(s: TrafficShape): number {
  const bits = (n: number): number => Math.log2(Math.max(1, n));
  return (
    bits(s.clients) +
    (s.clientStride > 1 ? 1 : 0) +
    PROTOS_OF[s.protocols].length - 1 + (s.protocols === 'udp+tcp+icmp' ? 1 : 0) +
    (s.dport.count > 1 ? 2 + bits(s.dport.count) / 4 : 0) +
    (s.dport.stride > 1 ? 1 : 0) +
    bits(s.sport.count) / 4 +
    (s.sport.stride > 1 ? 1 : 0) +
    (s.order === 'random' ? 2 : 0)
  );
}

function portWords(r: PortRange, what: string, used: number): string {
  if (used === 1) return `${what} port ${r.low}`;
  return r.stride === 1 ? `${what} ports ${r.low}-${r.low + used - 1}` : `${what} ports ${r.low}+${r.stride}k`;
}

/**
 * What a flow set of the shape really holds: taken in order, the first keys only (source port fastest), so fewer
 * clients, ports or protocols than the shape allows may appear; drawn at random, all of them.
 */
export function usedSpace(s: TrafficShape, flows: number): { clients: number; sports: number; dports: number; protocols: ProtocolMix } {
  if (s.order === 'random') return { clients: s.clients, sports: s.sport.count, dports: s.dport.count, protocols: s.protocols };
  const { withPorts } = keySpace(s);
  const n = Math.min(flows, withPorts);
  const sports = Math.min(s.sport.count, n);
  const dports = Math.min(s.dport.count, Math.ceil(n / s.sport.count));
  const clients = Math.min(s.clients, Math.ceil(n / (s.sport.count * s.dport.count)));
  const both = PROTOS_OF[s.protocols].length > 1 && flows > withPorts;
  const protocols: ProtocolMix = !both ? (s.protocols === 'tcp' ? 'tcp' : 'udp') : s.protocols === 'udp+tcp+icmp' && flows > 2 * withPorts ? 'udp+tcp+icmp' : 'udp+tcp';
  return { clients, sports, dports, protocols };
}

/** The shape in words, for `finding`: "one client 10.0.0.1, UDP to port 7, source ports 1024+4k, in order". */
export function describeShape(s: TrafficShape, flows: number): string {
  const used = usedSpace(s, flows);
  const clients =
    used.clients === 1
      ? `one client (${formatIpv4(s.clientBase)})`
      : `${used.clients} clients from ${formatIpv4(s.clientBase)}${s.clientStride > 1 ? ` every ${s.clientStride} addresses` : ''}`;
  const proto = { udp: 'UDP', tcp: 'TCP', 'udp+tcp': 'UDP and TCP', 'udp+tcp+icmp': 'UDP, TCP and ICMP echo' }[used.protocols];
  const dport = used.dports === 1 ? `to port ${s.dport.low}${s.dport.low === 4789 ? ' (VXLAN)' : ''}` : portWords(s.dport, 'to destination', used.dports);
  const sport = portWords(s.sport, 'source', used.sports);
  return `${clients}, ${proto} ${dport}, ${sport}${s.order === 'random' ? ', drawn at random' : ', in order'}`;
}

/** The shape as a compact JSON-able object, for reports and tests. */
export function shapeKey(s: TrafficShape): string {
  return JSON.stringify([s.clients, s.clientBase, s.clientStride, s.protocols, s.sport, s.dport, s.order, s.order === 'random' ? s.seed : 0]);
}
