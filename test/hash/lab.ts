// A dual-stack router lab in network namespaces for the kernel-differential tests: R forwards between in0 and
// next-hops nh1..nhN, whose peers (c0, p1..pN) sit in a second namespace S that sends real frames and sees which
// next-hop each one left by.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { acquireNetnsLock, netnsUnavailable, removeStaleNamespaces, run } from './netns.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { writeIpv6Header } from '../../src/wire/ipv6.js';
import { haveTool, u32 } from '../helpers.js';

export const ROUTE4 = '198.51.100.0/24';
export const ROUTE6 = '2001:db8:100::/64';

/** Runs in S: sends each frame on c0 and reports the p<k> it came back on (matched by its last 4 bytes). */
const SENDER = String.raw`
import json, socket, sys, time
frames = [bytes.fromhex(h) for h in json.load(sys.stdin)]
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
rx.settimeout(0.2)
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind(('c0', 0))
out = []
for f in frames:
    tx.send(f)
    seen, deadline = 'lost', time.time() + 10  # a frame comes back in microseconds; 10 s only if this process stalls
    while time.time() < deadline:
        try:
            data, addr = rx.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING and addr[0].startswith('p') and data[-4:] == f[-4:]:
            seen = addr[0]
            break
    out.append(seen)
print(json.dumps(out))
`;

const macOf = (ns: string, dev: string): string =>
  (JSON.parse(run('ip', ['-j', '-n', ns, 'link', 'show', dev])) as { address: string }[])[0]!.address;

export class RouterLab {
  readonly r: string;
  readonly s: string;
  /** R's in0 MAC: the destination of every frame S sends */
  inMac = '';

  constructor(
    private readonly prefix: string,
    private readonly nexthops = 5,
  ) {
    this.r = `${prefix}-r-${process.pid}`;
    this.s = `${prefix}-s-${process.pid}`;
  }

  /** Builds both namespaces: addresses 10.9.0.1/24 and 2001:db8:9::1/64 on in0, 10.0.k.1/24 and 2001:db8:k::1/64 on nh<k>. */
  up(): void {
    removeStaleNamespaces(this.prefix);
    for (const ns of [this.r, this.s]) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0',
        'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_ra=0']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    this.sysctl('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
    const veth = (name: string, peer: string, v4: string, v6: string): void => {
      run('ip', ['-n', this.r, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer, 'netns', this.s]);
      run('ip', ['-n', this.r, 'link', 'set', name, 'up']);
      run('ip', ['-n', this.s, 'link', 'set', peer, 'up']);
      run('ip', ['-n', this.r, 'addr', 'add', v4, 'dev', name]);
      run('ip', ['-n', this.r, '-6', 'addr', 'add', v6, 'dev', name, 'nodad']);
    };
    veth('in0', 'c0', '10.9.0.1/24', '2001:db8:9::1/64');
    this.sysctl('net.ipv4.conf.in0.rp_filter=0');
    for (let k = 1; k <= this.nexthops; k++) {
      veth(`nh${k}`, `p${k}`, `10.0.${k}.1/24`, `2001:db8:${k}::1/64`);
      // permanent neighbours: forwarded frames leave at once, with no ARP or neighbour discovery on the wire
      const mac = macOf(this.s, `p${k}`);
      run('ip', ['-n', this.r, 'neigh', 'replace', `10.0.${k}.2`, 'lladdr', mac, 'dev', `nh${k}`, 'nud', 'permanent']);
      run('ip', ['-n', this.r, '-6', 'neigh', 'replace', `2001:db8:${k}::2`, 'lladdr', mac, 'dev', `nh${k}`, 'nud', 'permanent']);
    }
    this.inMac = macOf(this.r, 'in0');
  }

  down(): void {
    for (const ns of [this.r, this.s]) spawnSync('ip', ['netns', 'del', ns]);
  }

  sysctl(...settings: string[]): void {
    run('ip', ['netns', 'exec', this.r, 'sysctl', '-qw', ...settings]);
  }

  /** ROUTE4 (family 4) or ROUTE6 (6) over next-hops 1..weights.length with these weights. */
  route(family: 4 | 6, weights: readonly number[]): void {
    const via = (k: number): string => (family === 4 ? `10.0.${k}.2` : `2001:db8:${k}::2`);
    const nexthops = weights.flatMap((w, i) => ['nexthop', 'via', via(i + 1), 'dev', `nh${i + 1}`, 'weight', String(w)]);
    run('ip', ['-n', this.r, `-${family}`, 'route', 'replace', family === 4 ? ROUTE4 : ROUTE6, ...nexthops]);
  }

  /** The next-hop (0-based) the kernel picks for each `route get` line, in one `ip -batch` run. */
  routeGet(family: 4 | 6, lines: readonly string[]): number[] {
    const out = run('ip', [`-${family}`, '-n', this.r, '-o', '-batch', '-'], lines.map((l) => `route get ${l}\n`).join(''));
    const rows = out.split('\n').filter((l) => l.trim() !== '');
    expect(rows).toHaveLength(lines.length);
    return rows.map((l) => {
      const m = / dev nh(\d+) /.exec(l);
      if (!m) throw new Error(`unexpected ip route get output: ${l}`);
      return Number(m[1]) - 1;
    });
  }

  /** Sends each frame (Ethernet, to inMac; a unique last 4 bytes) from S through R; the next-hop (0-based) each left by. */
  forward(frames: readonly Uint8Array[]): number[] {
    const hex = frames.map((f) => Buffer.from(f).toString('hex'));
    return (JSON.parse(run('ip', ['netns', 'exec', this.s, 'python3', '-c', SENDER], JSON.stringify(hex))) as string[]).map((dev) => {
      if (!/^p\d+$/.test(dev)) throw new Error(`frame not forwarded: ${dev}`);
      return Number(dev.slice(1)) - 1;
    });
  }
}

/** An IPv6 frame to R: a chain of extension headers, then UDP or TCP, then the probe's id in the last 4 bytes. */
export function probeFrame(rand: () => number, id: number, dstMac: string): Uint8Array {
  const types = [0, 60, 43, 44, 51].filter(() => u32(rand) % 3 === 0);
  const upper = u32(rand) & 1 ? IPPROTO_UDP : IPPROTO_TCP;
  const parts: number[][] = [];
  let laterFragment = false;
  types.forEach((t, i) => {
    const next = i + 1 < types.length ? types[i + 1]! : upper;
    if (t === 44) {
      const offset8 = u32(rand) % 3 === 0 ? 1 + (u32(rand) % 500) : 0;
      laterFragment = offset8 > 0;
      parts.push([next, 0, (offset8 << 3) >>> 8, ((offset8 << 3) & 0xf8) | 1, 0, 0, 0x12, 0x34]);
    } else if (t === 51) {
      const spi = [u32(rand) & 255, u32(rand) & 255, u32(rand) & 255, 1 + (u32(rand) & 254)];
      parts.push([next, 4, 0, 0, ...spi, 0, 0, 0, 1, ...new Array<number>(12).fill(0)]); // 24 bytes
    } else if (t === 43) {
      parts.push([next, 0, 4, 0, 0, 0, 0, 0]); // segment routing header type 4, segments left 0
    } else {
      parts.push([next, 0, 1, 4, 0, 0, 0, 0]); // PadN
    }
    if (laterFragment) types.length = i + 1; // nothing after a later fragment's header but data
  });
  const l4 = upper === IPPROTO_UDP ? [u32(rand) & 255, u32(rand) & 255, u32(rand) & 255, u32(rand) & 255, 0, 12, 0, 0]
    : [u32(rand) & 255, u32(rand) & 255, u32(rand) & 255, u32(rand) & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
  const payload = [...parts.flat(), ...l4, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255];
  const frame = new Uint8Array(14 + 40 + payload.length);
  frame.set(dstMac.split(':').map((h) => parseInt(h, 16)), 0);
  frame.set([0x02, 0, 0, 0, 0, 0x99, 0x86, 0xdd], 6);
  const src = Uint32Array.of((0x24000000 | (u32(rand) & 0xffffff)) >>> 0, u32(rand), u32(rand), u32(rand));
  const dst = Uint32Array.of(0x20010db8, 0x01000000, u32(rand), u32(rand));
  writeIpv6Header(frame, 14, 0, u32(rand) & 0xfffff, payload.length, types[0] ?? upper, 64, src, dst);
  frame.set(payload, 54);
  return frame;
}


/** What keeps the router lab from running here (no root or `ip netns`; with `python`, no python3 to send frames). */
export function labUnavailable(python: boolean): string | undefined {
  return netnsUnavailable() ?? (!python || haveTool('python3', ['-c', '']) ? undefined : 'python3 missing');
}

/**
 * A kernel-differential suite on `lab` (`python`: every test in it sends frames): it takes the namespace lock (one namespace test at a time on the machine),
 * builds the lab, runs `setup`, and at the end `teardown`, takes the lab down and gives the lock back. Where the lab
 * cannot run it is skipped with a printed reason, except under CI, where that is the failure.
 */
export function describeWithLab(
  name: string,
  lab: RouterLab,
  hooks: { setup?: () => void; teardown?: () => void; python?: boolean },
  body: () => void,
): void {
  const unavailable = labUnavailable(hooks.python ?? false);
  if (unavailable !== undefined && !process.env.CI) console.warn(`skipped: ${name}: ${unavailable} (it needs root and ip netns${hooks.python ? ', and python3' : ''})`);
  describe.skipIf(unavailable !== undefined && !process.env.CI)(name, () => {
    let release: (() => void) | undefined;
    beforeAll(async () => {
      if (unavailable !== undefined) throw new Error(`CI is set but the router lab cannot run: ${unavailable}`);
      release = await acquireNetnsLock();
      lab.up();
      hooks.setup?.();
    });
    afterAll(() => {
      try {
        lab.down();
        hooks.teardown?.();
      } finally {
        release?.();
      }
    });
    body();
  });
}
