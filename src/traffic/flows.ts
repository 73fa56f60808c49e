// Synthetic flow sets (struct-of-arrays 5-tuples) for the traffic patterns of SPEC §4, every flow distinct.

import { UsageError } from '../errors.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../wire/ipv4.js';
import { IndexPermutation } from './permutation.js';
import { mix2, Rng } from './prng.js';
import { IPPROTO_ICMPV6 } from '../wire/ipv6.js';

export const PATTERNS = ['uniform', 'zipf', 'sequential-ports', 'single-source', 'same-subnet'] as const;
export type Pattern = (typeof PATTERNS)[number];

export const PROTO_CHOICES = ['udp', 'tcp', 'mix'] as const;
export type ProtoChoice = (typeof PROTO_CHOICES)[number];

/** The most flows one set holds (16 Mi: 13 bytes of typed arrays each, about 220 MB). */
export const MAX_FLOWS = 1 << 24;

/** Random source ports come from Linux's default ip_local_port_range, as a Linux client's would. */
export const EPHEMERAL_PORT_LOW = 32768;
export const EPHEMERAL_PORT_HIGH = 60999;
/** sequential-ports counts 1024, 1025, ... 65535, then moves to the next source address and starts again. */
export const SEQUENTIAL_PORT_BASE = 1024;
export const SEQUENTIAL_PORTS_PER_SOURCE = 65536 - SEQUENTIAL_PORT_BASE;

/**
 * Destination ports of the service: echo (7). Wireshark offers a packet to the dissector of its lower port
 * first; echo's takes any payload, so the random source port never gets to pick a dissector (with port 7000,
 * say, a source port such as 37008 made Wireshark read the payload as TZSP and call it malformed).
 */
export const UDP_SERVICE_PORT = 7;
export const TCP_SERVICE_PORT = 7;

/** With --proto mix, this share of flows (in percent) is ICMP echo, the rest UDP and TCP half and half. */
export const MIX_ICMP_PERCENT = 3;

/**
 * Clients live in 10.0.0.0/8, hosts .1 to .254 of each /24 (no network or broadcast-looking addresses):
 * 65536 × 254 sources.
 */
const CLIENT_NET = 0x0a000000;
const HOSTS_PER_24 = 254;
const CLIENT_HOSTS = 65536 * HOSTS_PER_24;

/** Client host index → address. */
function clientHost(h: number): number {
  const subnet = Math.floor(h / HOSTS_PER_24);
  return (CLIENT_NET + subnet * 256 + (h - subnet * HOSTS_PER_24) + 1) >>> 0;
}

/**
 * IPv6 clients mirror the IPv4 ones: 10.A.B.H is 2001:db8:c1:AB::H (A.B the 16-bit subnet index, H the host), so
 * every pattern keeps its shape (same-subnet: one /64; single-source: one address).
 */
export const CLIENT6_WORD0 = 0x20010db8;
export const CLIENT6_WORD1 = 0x00c10000;

/** The IPv6 client of an IPv4 client address, into `out` at word offset `at`. */
export function client6Of(v4: number, out: Uint32Array, at: number): void {
  out[at] = CLIENT6_WORD0;
  out[at + 1] = (CLIENT6_WORD1 | ((v4 >>> 8) & 0xffff)) >>> 0;
  out[at + 2] = 0;
  out[at + 3] = v4 & 0xff;
}

/**
 * A flow set: flow i is (src[i], dst[i], proto[i], sport[i], dport[i]); ports are 0 for ICMP. An IPv6 set (made
 * with `dst6`) also has src6 (4 words per flow, flow i at 4i), dst6 (4 words, every flow's) and a flow label per
 * flow; its src holds the IPv4 client each IPv6 source mirrors, its dst is 0, and its ICMP flows are ICMPv6 (58).
 */
export interface FlowSet {
  count: number;
  src: Uint32Array;
  dst: Uint32Array;
  proto: Uint8Array;
  sport: Uint16Array;
  dport: Uint16Array;
  src6?: Uint32Array;
  dst6?: Uint32Array;
  flowLabel?: Uint32Array;
}

export interface FlowOptions {
  pattern: Pattern;
  flows: number;
  /** u32 */
  seed: number;
  /** u32 destination address (every flow goes to it: the service) */
  dst: number;
  /** An IPv6 destination (4 words): the flows are IPv6, and `dst` is ignored. */
  dst6?: Uint32Array;
  proto: ProtoChoice;
}

/** Where a pattern's flows come from: `hosts` sources (host(i)), each with `ports` source ports from portLow. */
interface KeySpace {
  hosts: number;
  host: (i: number) => number;
  ports: number;
  portLow: number;
  /** Draw keys in random order (a seeded permutation of the space), or in order (sequential-ports). */
  random: boolean;
  /** Sources ICMP echo flows may come from (one flow each, as ICMP has no ports): host(0 .. icmpHosts - 1). */
  icmpHosts: number;
  /** Words for an error message: what limits the space. */
  describe: string;
}

function keySpace(pattern: Pattern, rng: Rng): KeySpace {
  switch (pattern) {
    case 'uniform':
    case 'zipf':
      return {
        hosts: CLIENT_HOSTS,
        host: clientHost,
        ports: EPHEMERAL_PORT_HIGH - EPHEMERAL_PORT_LOW + 1,
        portLow: EPHEMERAL_PORT_LOW,
        random: true,
        icmpHosts: CLIENT_HOSTS,
        describe: `sources in 10.0.0.0/8, ports ${EPHEMERAL_PORT_LOW}-${EPHEMERAL_PORT_HIGH}`,
      };
    case 'same-subnet': {
      const subnet = rng.below(65536);
      return {
        hosts: HOSTS_PER_24,
        host: (i) => clientHost(subnet * HOSTS_PER_24 + i),
        ports: EPHEMERAL_PORT_HIGH - EPHEMERAL_PORT_LOW + 1,
        portLow: EPHEMERAL_PORT_LOW,
        random: true,
        icmpHosts: HOSTS_PER_24,
        describe: `${HOSTS_PER_24} sources of one /24, ports ${EPHEMERAL_PORT_LOW}-${EPHEMERAL_PORT_HIGH}`,
      };
    }
    case 'single-source': {
      const only = clientHost(rng.below(CLIENT_HOSTS));
      return {
        hosts: 1,
        host: () => only,
        ports: EPHEMERAL_PORT_HIGH - EPHEMERAL_PORT_LOW + 1,
        portLow: EPHEMERAL_PORT_LOW,
        random: true,
        icmpHosts: 1,
        describe: `one source, ports ${EPHEMERAL_PORT_LOW}-${EPHEMERAL_PORT_HIGH}`,
      };
    }
    case 'sequential-ports': {
      // The source is drawn from the seed, so trials with different seeds differ; the ports never are.
      const first = rng.below(CLIENT_HOSTS);
      return {
        hosts: CLIENT_HOSTS,
        host: (i) => clientHost((first + i) % CLIENT_HOSTS),
        ports: SEQUENTIAL_PORTS_PER_SOURCE,
        portLow: SEQUENTIAL_PORT_BASE,
        random: false,
        // Its one source has one echo flow; the sources it wraps into are for ports.
        icmpHosts: 1,
        describe: `ports ${SEQUENTIAL_PORT_BASE}-65535 per source`,
      };
    }
  }
}

const P_UDP = 0;
const P_TCP = 1;
const P_ICMP = 2;
const PROTO_NUMBERS = [IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP];
const PROTO_NAMES = ['udp', 'tcp', 'icmp', 'icmpv6'];

function capacities(space: KeySpace, proto: ProtoChoice): number[] {
  const withPorts = space.hosts * space.ports;
  return [proto === 'tcp' ? 0 : withPorts, proto === 'udp' ? 0 : withPorts, proto === 'mix' ? space.icmpHosts : 0];
}

/** How many distinct flows a pattern can make with a protocol choice (before the MAX_FLOWS cap). */
export function flowCapacity(pattern: Pattern, proto: ProtoChoice): number {
  return capacities(keySpace(pattern, new Rng(0)), proto).reduce((a, b) => a + b, 0);
}

export function checkPattern(text: string): Pattern {
  if (!(PATTERNS as readonly string[]).includes(text)) {
    throw new UsageError(`unknown pattern '${text}' (expected one of ${PATTERNS.join(', ')})`, '--pattern');
  }
  return text as Pattern;
}

export function checkProtoChoice(text: string): ProtoChoice {
  if (!(PROTO_CHOICES as readonly string[]).includes(text)) {
    throw new UsageError(`unknown protocol '${text}' (expected udp, tcp or mix)`, '--proto');
  }
  return text as ProtoChoice;
}

/**
 * Makes `flows` distinct flows of a pattern toward `dst`. Same options, same set, on every machine.
 *
 * - uniform, zipf: sources anywhere in 10.0.0.0/8, random ephemeral source ports (zipf differs only in
 *   packets per flow, see packetCounts).
 * - sequential-ports: one source, source ports 1024, 1025, ... (per protocol); past 65535 the count wraps
 *   to 1024 on the next source address, so any number of flows stays distinct.
 * - single-source: one source, random ephemeral ports: at most 28232 flows per protocol.
 * - same-subnet: sources in one /24 (.1 to .254), random ephemeral ports.
 *
 * With proto mix, about MIX_ICMP_PERCENT % of flows are ICMP echo, the rest UDP or TCP at random. ICMP has ports 0,
 * so there is one echo flow per source at most (and one in all for single-source and sequential-ports); once those
 * are used up, a flow drawn as ICMP becomes UDP or TCP instead.
 * Throws UsageError for a count outside 1..MAX_FLOWS or beyond what the pattern can make distinct.
 */
export function makeFlows(o: FlowOptions): FlowSet {
  const pattern = checkPattern(o.pattern);
  const proto = checkProtoChoice(o.proto);
  const n = o.flows;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_FLOWS) {
    throw new UsageError(`${String(n)} flows: expected an integer in 1..${MAX_FLOWS}`, '--flows');
  }
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
    throw new UsageError(`seed ${String(o.seed)} is not an integer in 0..4294967295`, '--seed');
  }
  if (o.dst6 === undefined && (!Number.isInteger(o.dst) || o.dst < 0 || o.dst > 0xffffffff)) {
    throw new UsageError(`destination ${String(o.dst)} is not an IPv4 address`, '--dst');
  }
  const rng = new Rng(o.seed, 0x666c6f77); // "flow"
  const space = keySpace(pattern, rng);
  const cap = capacities(space, proto);
  const total = cap[0]! + cap[1]! + cap[2]!;
  if (n > total) {
    const protos = proto === 'mix' ? 'udp, tcp and icmp' : proto;
    throw new UsageError(
      `pattern ${pattern} makes at most ${total} distinct ${protos} flows (${space.describe}, one destination)`,
      '--flows',
    );
  }
  const perm: (IndexPermutation | undefined)[] = cap.map((c) =>
    space.random && c > 0 ? new IndexPermutation(c, rng) : undefined,
  );
  const used = [0, 0, 0];
  const set: FlowSet = {
    count: n,
    src: new Uint32Array(n),
    dst: new Uint32Array(n).fill(o.dst >>> 0),
    proto: new Uint8Array(n),
    sport: new Uint16Array(n),
    dport: new Uint16Array(n),
  };
  const fixed = proto === 'udp' ? P_UDP : proto === 'tcp' ? P_TCP : -1;
  for (let i = 0; i < n; i++) {
    let p = fixed;
    if (p < 0) {
      const a = rng.next();
      p = Math.floor((a >>> 8) * 100 / 16777216) < MIX_ICMP_PERCENT ? P_ICMP : a & 1 ? P_TCP : P_UDP;
      // A protocol whose keys are used up (ICMP: one per source) hands the flow to the next.
      while (used[p]! >= cap[p]!) p = (p + 1) % 3;
    }
    const k = used[p]!++;
    const idx = perm[p] ? perm[p]!.map(k) : k;
    set.proto[i] = PROTO_NUMBERS[p]!;
    if (p === P_ICMP) {
      set.src[i] = space.host(idx);
    } else {
      const h = Math.floor(idx / space.ports);
      set.src[i] = space.host(h);
      set.sport[i] = space.portLow + (idx - h * space.ports);
      set.dport[i] = p === P_UDP ? UDP_SERVICE_PORT : TCP_SERVICE_PORT;
    }
  }
  if (o.dst6 !== undefined) toIpv6(set, o.dst6, o.seed);
  return set;
}

/**
 * Makes a flow set IPv6: sources mirrored (client6Of), ICMP as ICMPv6, and a flow label per flow as a Linux host
 * sets one (auto_flowlabels: a 20-bit hash of the flow, never 0), from the flow index and the seed.
 */
function toIpv6(set: FlowSet, dst6: Uint32Array, seed: number): void {
  const n = set.count;
  set.src6 = new Uint32Array(4 * n);
  set.dst6 = Uint32Array.from(dst6);
  set.flowLabel = new Uint32Array(n);
  set.dst.fill(0);
  for (let i = 0; i < n; i++) {
    client6Of(set.src[i]!, set.src6, 4 * i);
    if (set.proto[i] === IPPROTO_ICMP) set.proto[i] = IPPROTO_ICMPV6;
    set.flowLabel[i] = (mix2(i, seed ^ 0x464c424c) & 0xfffff) || 1; // "FLBL"
  }
}

export function protoChoiceName(p: number): string {
  return PROTO_NAMES[p === IPPROTO_ICMPV6 ? 3 : PROTO_NUMBERS.indexOf(p)] ?? String(p);
}
