// Kernel-differential test: linux-l3/l4 + hash-threshold against the running kernel's own next-hop choice.
//
// A router namespace R holds a weighted multipath route to 198.51.100.0/24 over 2-5 veth next-hops (their
// peers sit in a second namespace S). For each fib_multipath_hash_policy, seed and weight set, hundreds of
// seeded-random flows are asked of the kernel with `ip route get DST from SRC iif in0 ipproto P sport N
// dport N` (input path, the same ip_route_input_slow -> fib_multipath_hash(skb) a forwarded packet takes) and
// compared with makeHasher + NextHopGroup('hash-threshold'). Then the ICMP findings, with real packets.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';
import { HASH_FIELDS, makeHasher, type FlowHasher } from '../../src/hash/index.js';
import { makeLinuxHasherJs } from '../../src/hash/linux.js';
import { wasmLinuxHash } from '../../src/hash/siphash-wasm.js';
import { haveTool, prng, u32 } from '../helpers.js';
import { acquireNetnsLock, netnsUnavailable, removeStaleNamespaces, run } from './netns.js';

const unavailable = netnsUnavailable();
if (unavailable !== undefined && !process.env.CI) {
  console.warn(`kernel-differential hash tests skipped: ${unavailable} (they need root and ip netns)`);
}

const PREFIX = 'ecmphash';
const R = `${PREFIX}-r-${process.pid}`;
const S = `${PREFIX}-s-${process.pid}`;
const MAX_NEXTHOPS = 5;

type Flow = { src: number; dst: number; proto: number; sport: number; dport: number };

const dotted = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** A seeded u32 stream (the shared mulberry32). */
function u32Stream(seed: number): () => number {
  const rand = prng(seed);
  return () => u32(rand);
}

/** A unicast source the router accepts on in0: not 0/8, 10/8 (the lab's own), 127/8 or class D/E. */
function randomSource(rnd: () => number): number {
  for (;;) {
    const a = rnd();
    const top = a >>> 24;
    if (top !== 0 && top !== 10 && top !== 127 && top < 224) return a;
  }
}

/** Random flows over udp, tcp and icmp; some with equal ports or ports that differ only in byte order. */
function randomFlows(seed: number, n: number): Flow[] {
  const rnd = u32Stream(seed);
  const flows: Flow[] = [];
  for (let i = 0; i < n; i++) {
    const proto = [17, 6, 17, 6, 1][rnd() % 5];
    const sport = rnd() & 0xffff;
    const kind = rnd() % 20;
    const dport = kind === 0 ? sport : kind === 1 ? ((sport & 0xff) << 8) | (sport >>> 8) : rnd() & 0xffff;
    flows.push({ src: randomSource(rnd), dst: (0xc6336400 | (rnd() & 0xff)) >>> 0, proto, sport, dport });
  }
  return flows;
}

/** Our next-hop for a flow: the flow key as the engine builds it (ports only for TCP and UDP). */
function ours(hasher: FlowHasher, group: NextHopGroup, f: Flow): number {
  const ports = f.proto === 6 || f.proto === 17;
  return group.select(hasher(f.src, f.dst, f.proto, ports ? f.sport : 0, ports ? f.dport : 0));
}

/** The kernel's next-hop (0-based member index) for each flow, in one `ip -batch` run. */
function kernelChoices(flows: readonly Flow[]): number[] {
  const script = flows
    .map((f) => `route get ${dotted(f.dst)} from ${dotted(f.src)} iif in0 ipproto ${f.proto} sport ${f.sport} dport ${f.dport}\n`)
    .join('');
  const lines = run('ip', ['-n', R, '-o', '-batch', '-'], script).split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(flows.length);
  return lines.map((l) => {
    const m = / dev nh(\d+) /.exec(l);
    if (!m) throw new Error(`unexpected ip route get output: ${l}`);
    return Number(m[1]) - 1;
  });
}

function configure(policy: 0 | 1, seed: number, weights: readonly number[]): void {
  run('ip', ['netns', 'exec', R, 'sysctl', '-qw', `net.ipv4.fib_multipath_hash_policy=${policy}`,
    `net.ipv4.fib_multipath_hash_seed=${seed}`]);
  const got = run('ip', ['netns', 'exec', R, 'sysctl', '-n', 'net.ipv4.fib_multipath_hash_seed']).trim();
  expect(got).toBe(String(seed));
  const nexthops = weights.flatMap((w, i) => ['nexthop', 'via', `10.0.${i + 1}.2`, 'dev', `nh${i + 1}`, 'weight', String(w)]);
  run('ip', ['-n', R, 'route', 'replace', '198.51.100.0/24', ...nexthops]);
}

let release: (() => void) | undefined;
let compared = 0;
let agreed = 0;

function compare(policy: 0 | 1, seed: number, weights: readonly number[], flows: readonly Flow[]): void {
  configure(policy, seed, weights);
  // the shipped hasher (WebAssembly where there is WebAssembly) and the JS reference, each against the kernel
  const hasher = makeHasher({ algorithm: policy === 0 ? 'linux-l3' : 'linux-l4', seed, fields: HASH_FIELDS });
  const reference = makeLinuxHasherJs(policy, seed, HASH_FIELDS);
  const group = new NextHopGroup(weights, 'hash-threshold');
  const kernel = kernelChoices(flows);
  const mismatches = flows.flatMap((f, i) => {
    const mine = ours(hasher, group, f);
    const js = ours(reference, group, f);
    return mine === kernel[i] && js === kernel[i] ? [] : [{ ...f, src: dotted(f.src), dst: dotted(f.dst), kernel: kernel[i], ours: mine, js }];
  });
  compared += flows.length;
  agreed += flows.length - mismatches.length;
  expect(mismatches.slice(0, 5)).toEqual([]);
}

describe.skipIf(unavailable !== undefined && !process.env.CI)('linux-l3/l4 against the kernel', () => {
  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`CI is set but network namespaces are unavailable: ${unavailable}`);
    release = await acquireNetnsLock();
    removeStaleNamespaces(PREFIX);
    for (const ns of [R, S]) {
      run('ip', ['netns', 'add', ns]);
      // no IPv6: keeps router solicitations and MLD reports off the links the packet test watches
      run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    run('ip', ['-n', R, 'link', 'add', 'in0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', S]);
    run('ip', ['-n', R, 'addr', 'add', '10.9.0.1/24', 'dev', 'in0']);
    run('ip', ['-n', S, 'addr', 'add', '10.9.0.2/24', 'dev', 'c0']);
    run('ip', ['-n', R, 'link', 'set', 'in0', 'up']);
    run('ip', ['-n', S, 'link', 'set', 'c0', 'up']);
    for (let k = 1; k <= MAX_NEXTHOPS; k++) {
      run('ip', ['-n', R, 'link', 'add', `nh${k}`, 'type', 'veth', 'peer', 'name', `p${k}`, 'netns', S]);
      run('ip', ['-n', R, 'addr', 'add', `10.0.${k}.1/24`, 'dev', `nh${k}`]);
      run('ip', ['-n', S, 'addr', 'add', `10.0.${k}.2/24`, 'dev', `p${k}`]);
      run('ip', ['-n', R, 'link', 'set', `nh${k}`, 'up']);
      run('ip', ['-n', S, 'link', 'set', `p${k}`, 'up']);
      // a permanent neighbour: forwarded packets leave at once, with no ARP on the wire
      const mac = (JSON.parse(run('ip', ['-j', '-n', S, 'link', 'show', `p${k}`])) as { address: string }[])[0]!.address;
      run('ip', ['-n', R, 'neigh', 'replace', `10.0.${k}.2`, 'lladdr', mac, 'dev', `nh${k}`, 'nud', 'permanent']);
    }
    run('ip', ['netns', 'exec', R, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.in0.rp_filter=0']);
    run('ip', ['-n', S, 'route', 'add', '198.51.100.0/24', 'via', '10.9.0.1', 'dev', 'c0']);
  });

  afterAll(() => {
    for (const ns of [R, S]) spawnSync('ip', ['netns', 'del', ns]);
    release?.();
    if (compared > 0) {
      const impl = wasmLinuxHash === undefined ? 'JS' : 'WebAssembly and JS';
      console.log(`kernel comparisons: ${agreed} of ${compared} flows took the kernel's next-hop (${impl} SipHash)`);
    }
  });

  const SEEDS = [1, 0x9e3779b9, 0xffffffff];
  const WEIGHTS = [[1, 1], [1, 2, 3], [3, 1, 4, 1, 5], [100, 1], [1, 1, 1, 1]];
  const CONFIGS = ([0, 1] as const).flatMap((policy) =>
    SEEDS.flatMap((seed) => WEIGHTS.map((weights) => ({ policy, seed, weights }))));

  it.each(CONFIGS.map((c, i) => [c.policy, c.seed, c.weights.join(':'), c, i] as const))(
    'policy %i, seed %i, weights %s: 300 flows',
    (_p, _s, _w, { policy, seed, weights }, i) => compare(policy, seed, weights, randomFlows(1000 + i, 300)),
  );

  it('ICMP: ports are not part of the key (the kernel ignores sport/dport), ip_proto 1 is', () => {
    // policy 1 builds its key from the flow dissector, which reads ports only for protocols that carry them
    // (proto_ports_offset); an ICMP echo's key has ports 0 whatever `ip route get` is told.
    const seed = 0x1234567;
    const weights = [1, 1, 1, 1, 1];
    const flows = randomFlows(7, 400).map((f) => ({ ...f, proto: 1 }));
    compare(1, seed, weights, flows);
    // The same comparison would fail with the ports hashed, or with ip_proto left out: the test can tell.
    const h = makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS });
    const g = new NextHopGroup(weights, 'hash-threshold');
    const kernel = kernelChoices(flows);
    const withPorts = flows.filter((f, i) => g.select(h(f.src, f.dst, 1, f.sport, f.dport)) !== kernel[i]).length;
    const withoutProto = flows.filter((f, i) => g.select(h(f.src, f.dst, 0, 0, 0)) !== kernel[i]).length;
    expect(withPorts).toBeGreaterThan(200);
    expect(withoutProto).toBeGreaterThan(200);
  });

  // python3 sends the raw packets; skipped with a reason locally, required in CI (haveTool)
  describe.skipIf(unavailable !== undefined || !haveTool('python3', ['-c', '']))('ICMP with real packets', () => {
    type Probe = { src: number; dst: number; type: number; icmpId?: number; inner?: { src: number; dst: number } };

    /** Sends each probe from S through R and returns the next-hop (0-based) it came back on. */
    function forward(probes: readonly Probe[]): number[] {
      const spec = probes.map((p, i) => ({
        src: dotted(p.src), dst: dotted(p.dst), type: p.type, icmpId: p.icmpId ?? 0, ipId: 1000 + i,
        inner: p.inner ? { src: dotted(p.inner.src), dst: dotted(p.inner.dst) } : null,
      }));
      const out = run('ip', ['netns', 'exec', S, 'python3', '-c', SENDER], JSON.stringify(spec));
      return (JSON.parse(out) as string[]).map((dev) => {
        if (!/^p\d+$/.test(dev)) throw new Error(`probe not forwarded: ${dev}`);
        return Number(dev.slice(1)) - 1;
      });
    }

    it('echo requests with different ICMP ids follow the path of ports 0', () => {
      const seed = 0xabcdef;
      const weights = [1, 2, 3, 4];
      configure(1, seed, weights);
      const h = makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS });
      const g = new NextHopGroup(weights, 'hash-threshold');
      const rnd = u32Stream(11);
      const probes: Probe[] = [];
      for (let pair = 0; pair < 12; pair++) {
        const src = randomSource(rnd);
        const dst = (0xc6336400 | (rnd() & 0xff)) >>> 0;
        for (let k = 0; k < 4; k++) probes.push({ src, dst, type: 8, icmpId: rnd() & 0xffff });
      }
      const got = forward(probes);
      expect(got).toEqual(probes.map((p) => g.select(h(p.src, p.dst, 1, 0, 0))));
    });

    it('ICMP errors: policy 0 hashes the quoted packet\'s addresses, policy 1 the outer ones', () => {
      // ip_multipath_l3_keys() (policy 0) looks inside destination-unreachable, redirect, time-exceeded and
      // parameter-problem messages, so an error follows the flow it is about; policy 1's flow dissector does
      // not, so the error is hashed as an ICMP flow between the outer addresses.
      const seed = 0x5a5a5a5a;
      const weights = [1, 1, 1, 1, 1];
      const g = new NextHopGroup(weights, 'hash-threshold');
      const l3 = makeHasher({ algorithm: 'linux-l3', seed, fields: HASH_FIELDS });
      const l4 = makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS });
      const rnd = u32Stream(12);
      const probes: Probe[] = [];
      while (probes.length < 40) {
        const src = randomSource(rnd);
        const dst = (0xc6336400 | (rnd() & 0xff)) >>> 0;
        const inner = { src: dst, dst: randomSource(rnd) }; // the packet dst sent that src could not deliver
        // keep probes whose two candidate keys pick different next-hops, so each one decides the question
        if (g.select(l3(inner.src, inner.dst, 0, 0, 0)) === g.select(l3(src, dst, 0, 0, 0))) continue;
        probes.push({ src, dst, type: 3, inner });
      }
      configure(0, seed, weights);
      expect(forward(probes)).toEqual(probes.map((p) => g.select(l3(p.inner!.src, p.inner!.dst, 0, 0, 0))));
      configure(1, seed, weights);
      expect(forward(probes)).toEqual(probes.map((p) => g.select(l4(p.src, p.dst, 1, 0, 0))));
    });
  });
});

/**
 * Runs in S: sends each probe (IPv4 + ICMP, source forged, IP id set) through a raw socket toward R and
 * watches every interface with a packet socket for the same IP id coming back on a p<k> veth.
 */
const SENDER = String.raw`
import json, socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def ipv4(src, dst, proto, ident, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
def icmp(kind, rest, body):
    m = struct.pack('!BBH', kind, 1 if kind == 3 else 0, 0) + rest + body
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]
probes = json.load(sys.stdin)
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
rx.settimeout(0.2)
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
out = []
for p in probes:
    if p['type'] == 8:
        msg = icmp(8, struct.pack('!HH', p['icmpId'], 1), b'ecmp-emu')
    else:
        quoted = ipv4(p['inner']['src'], p['inner']['dst'], 17, 7, struct.pack('!HHHH', 40000, 53, 8, 0))
        msg = icmp(3, b'\0\0\0\0', quoted)
    tx.sendto(ipv4(p['src'], p['dst'], 1, p['ipId'], msg), (p['dst'], 0))
    seen, deadline = 'lost', time.time() + 2
    while time.time() < deadline:
        try:
            data, addr = rx.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 34: continue
        if struct.unpack('!H', data[18:20])[0] == p['ipId'] and addr[0].startswith('p'):
            seen = addr[0]
            break
    out.append(seen)
print(json.dumps(out))
`;
