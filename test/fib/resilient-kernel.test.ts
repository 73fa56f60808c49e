// Kernel-differential test: resilient next-hop groups against `ip nexthop ... type resilient` in a namespace.
//
// For each case a group is built with `ip nexthop add id G group 1,w/2,w/... type resilient buckets N idle_timer
// 0`, then changed step by step (`ip nexthop del` of a member, `ip nexthop replace` with new weights). After every
// step the kernel's table (`ip -j nexthop bucket show id G`) must equal NextHopGroup's bucket for bucket, and the
// kernel's choice for seeded-random flows (`ip route get ... iif in0`, policy 1, a set seed, through a route to the
// group) must equal linux-l4 + NextHopGroup.select. idle_timer 0 makes the kernel move an overweight member's
// buckets at the first upkeep, the state src/fib/resilient.ts models.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NextHopGroup } from '../../src/fib/group.js';
import { HASH_FIELDS, makeHasher } from '../../src/hash/index.js';
import { prng, u32 } from '../helpers.js';
import { acquireNetnsLock, netnsUnavailable, removeStaleNamespaces, run } from '../hash/netns.js';

const unavailable = netnsUnavailable();
if (unavailable !== undefined && !process.env.CI) {
  console.warn(`resilient-group kernel tests skipped: ${unavailable} (they need root and ip netns)`);
}

const PREFIX = 'ecmpres';
const R = `${PREFIX}-r-${process.pid}`;
const MEMBERS = 6;
const GROUP = 100;

type Step = { del: number } | { weights: number[] };
type Case = { weights: number[]; buckets: number; steps: Step[] };

const CASES: Case[] = [
  { weights: [1, 1, 1], buckets: 16, steps: [{ del: 1 }, { weights: [1, 1, 3] }] },
  { weights: [1, 2, 3], buckets: 128, steps: [{ del: 0 }, { weights: [1, 7, 2] }, { del: 2 }] },
  { weights: [3, 1, 4, 1, 5, 9], buckets: 100, steps: [{ del: 5 }, { del: 1 }, { weights: [1, 1, 1, 1, 1, 1] }, { del: 3 }] },
  // removing the last member leaves member 3 over its rounded share: the kernel moves one of its buckets too
  { weights: [1, 1, 5, 15, 1], buckets: 16, steps: [{ del: 4 }, { del: 0 }] },
  { weights: [255, 1], buckets: 16, steps: [{ weights: [1, 255] }] }, // a member with no bucket at first
  { weights: [1, 1, 1], buckets: 2, steps: [{ del: 2 }] }, // fewer buckets than members
  { weights: [2, 3, 5, 7, 11, 13], buckets: 1000, steps: [{ del: 2 }, { weights: [13, 11, 5, 7, 3, 2] }, { del: 0 }, { del: 4 }] },
];

const dotted = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');

/** The kernel's table: member index (0-based) per bucket. */
function kernelTable(): number[] {
  const rows = JSON.parse(run('ip', ['-n', R, '-j', 'nexthop', 'bucket', 'show', 'id', String(GROUP)])) as {
    bucket: { index: number; nhid: number };
  }[];
  const table: number[] = [];
  for (const { bucket } of rows) table[bucket.index] = bucket.nhid - 1;
  return table;
}

/** Our table, read through select: 31-bit value b lands in bucket b. */
const ourTable = (g: NextHopGroup): number[] => Array.from({ length: g.buckets }, (_, b) => g.select((b << 1) >>> 0));

type Flow = { src: number; dst: number; proto: number; sport: number; dport: number };

function flows(seed: number, n: number): Flow[] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => {
    // sources outside 0/8, 10/8, 127/8 and 224/3, so the router accepts them on in0
    const top = (u32(rand) % 0xd0) + 11;
    const src = (((top === 127 ? 128 : top) << 24) | (u32(rand) & 0xffffff)) >>> 0;
    return { src, dst: (0xc6336400 | (u32(rand) & 0xff)) >>> 0, proto: u32(rand) & 1 ? 6 : 17, sport: u32(rand) & 0xffff, dport: u32(rand) & 0xffff };
  });
}

/** The kernel's member (0-based) for each flow, in one `ip -batch` run. */
function kernelChoices(list: readonly Flow[]): number[] {
  const script = list.map((f) => `route get ${dotted(f.dst)} from ${dotted(f.src)} iif in0 ipproto ${f.proto} sport ${f.sport} dport ${f.dport}\n`);
  return run('ip', ['-n', R, '-o', '-batch', '-'], script.join(''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = / dev nh(\d+) /.exec(l);
      if (!m) throw new Error(`unexpected ip route get output: ${l}`);
      return Number(m[1]) - 1;
    });
}

const groupSpec = (weights: readonly number[], live: readonly boolean[]): string =>
  weights.flatMap((w, i) => (live[i] ? [`${i + 1},${w}`] : [])).join('/');

let release: (() => void) | undefined;

describe.skipIf(unavailable !== undefined && !process.env.CI)('resilient groups against the kernel', () => {
  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`CI is set but network namespaces are unavailable: ${unavailable}`);
    release = await acquireNetnsLock();
    removeStaleNamespaces(PREFIX);
    run('ip', ['netns', 'add', R]);
    run('ip', ['netns', 'exec', R, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.fib_multipath_hash_policy=1']);
    run('ip', ['-n', R, 'link', 'set', 'lo', 'up']);
    // in0 and each nh<k> are veth ends whose peers stay in R, down: only the routing decision is asked for
    run('ip', ['-n', R, 'link', 'add', 'in0', 'type', 'veth', 'peer', 'name', 'in0p']);
    run('ip', ['-n', R, 'addr', 'add', '10.9.0.1/24', 'dev', 'in0']);
    for (const dev of ['in0', 'in0p']) run('ip', ['-n', R, 'link', 'set', dev, 'up']);
    for (let k = 1; k <= MEMBERS; k++) {
      run('ip', ['-n', R, 'link', 'add', `nh${k}`, 'type', 'veth', 'peer', 'name', `nh${k}p`]);
      run('ip', ['-n', R, 'addr', 'add', `10.0.${k}.1/24`, 'dev', `nh${k}`]);
      for (const dev of [`nh${k}`, `nh${k}p`]) run('ip', ['-n', R, 'link', 'set', dev, 'up']);
    }
  });

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', R]);
    release?.();
  });

  it.each(CASES.map((c, i) => [c.weights.join(':'), c.buckets, c, i] as const))(
    'weights %s, %i buckets: every bucket and flow after every step',
    (_w, _b, { weights, buckets, steps }, i) => {
      const seed = 0x2545f491 + i;
      run('ip', ['netns', 'exec', R, 'sysctl', '-qw', `net.ipv4.fib_multipath_hash_seed=${seed}`]);
      spawnSync('ip', ['-n', R, 'route', 'del', '198.51.100.0/24']);
      run('ip', ['-n', R, 'nexthop', 'flush']);
      for (let k = 1; k <= weights.length; k++) run('ip', ['-n', R, 'nexthop', 'add', 'id', String(k), 'via', `10.0.${k}.2`, 'dev', `nh${k}`]);
      const live = weights.map(() => true);
      run('ip', ['-n', R, 'nexthop', 'add', 'id', String(GROUP), 'group', groupSpec(weights, live), 'type', 'resilient',
        'buckets', String(buckets), 'idle_timer', '0']);
      run('ip', ['-n', R, 'route', 'add', '198.51.100.0/24', 'nhid', String(GROUP)]);
      const hasher = makeHasher({ algorithm: 'linux-l4', seed, fields: HASH_FIELDS });
      const sample = flows(seed, 200);
      let group = new NextHopGroup(weights, 'resilient', buckets);
      const check = (what: string): void => {
        expect(ourTable(group), `${what}: buckets`).toEqual(kernelTable());
        const mine = sample.map((f) => group.select(hasher(f.src, f.dst, f.proto, f.sport, f.dport)));
        expect(mine, `${what}: flows`).toEqual(kernelChoices(sample));
      };
      check('ip nexthop add');
      for (const step of steps) {
        if ('del' in step) {
          run('ip', ['-n', R, 'nexthop', 'del', 'id', String(step.del + 1)]);
          live[step.del] = false;
          group = group.without(step.del);
          check(`ip nexthop del id ${step.del + 1}`);
        } else {
          run('ip', ['-n', R, 'nexthop', 'replace', 'id', String(GROUP), 'group', groupSpec(step.weights, live), 'type',
            'resilient', 'idle_timer', '0']);
          group = group.reweighted(step.weights);
          check(`ip nexthop replace ... group ${groupSpec(step.weights, live)}`);
        }
      }
    },
  );
});
