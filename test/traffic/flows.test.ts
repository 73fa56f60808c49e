import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  EPHEMERAL_PORT_HIGH,
  EPHEMERAL_PORT_LOW,
  MAX_FLOWS,
  PATTERNS,
  SEQUENTIAL_PORT_BASE,
  TCP_SERVICE_PORT,
  UDP_SERVICE_PORT,
  flowCapacity,
  makeFlows,
  type FlowSet,
  type Pattern,
  type ProtoChoice,
} from '../../src/traffic/flows.js';
import { tryParseIpv4 } from '../../src/wire/ipv4.js';
import { tupleKey } from './helpers.js';

const DST = tryParseIpv4('192.168.100.10');
const flows = (pattern: Pattern, n: number, proto: ProtoChoice = 'udp', seed = 1): FlowSet =>
  makeFlows({ pattern, flows: n, seed, dst: DST, proto });

function keys(s: FlowSet): string[] {
  return Array.from({ length: s.count }, (_, i) => tupleKey(s.src[i]!, s.dst[i]!, s.proto[i]!, s.sport[i]!, s.dport[i]!));
}

describe('makeFlows', () => {
  it('makes exactly the requested number of distinct flows, for every pattern and protocol choice', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATTERNS),
        fc.constantFrom<ProtoChoice>('udp', 'tcp', 'mix'),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (pattern, proto, n, seed) => {
          const s = flows(pattern, n, proto, seed);
          return s.count === n && s.src.length === n && new Set(keys(s)).size === n && s.dst.every((d) => d === DST);
        },
      ),
      { seed: 7, numRuns: 80 },
    );
  });

  it('is deterministic: same options, same set; another seed, another set', () => {
    for (const p of PATTERNS) {
      expect(keys(flows(p, 500, 'mix', 5))).toEqual(keys(flows(p, 500, 'mix', 5)));
      expect(keys(flows(p, 500, 'mix', 5))).not.toEqual(keys(flows(p, 500, 'mix', 6)));
    }
  });

  it('uniform: sources spread over 10.0.0.0/8 (hosts .1-.254), ephemeral source ports, the service port', () => {
    const s = flows('uniform', 20_000);
    const sources = new Set(s.src);
    expect(sources.size).toBeGreaterThan(19_900);
    const firstOctets = new Set(Array.from(s.src, (a) => (a >>> 16) & 0xff));
    expect(firstOctets.size).toBe(256);
    for (let i = 0; i < s.count; i++) {
      expect(s.src[i]! >>> 24).toBe(10);
      expect(s.src[i]! & 0xff).toBeGreaterThanOrEqual(1);
      expect(s.src[i]! & 0xff).toBeLessThanOrEqual(254);
      expect(s.sport[i]).toBeGreaterThanOrEqual(EPHEMERAL_PORT_LOW);
      expect(s.sport[i]).toBeLessThanOrEqual(EPHEMERAL_PORT_HIGH);
      expect(s.dport[i]).toBe(UDP_SERVICE_PORT);
      expect(s.proto[i]).toBe(17);
    }
  });

  it('zipf makes the same flows as uniform (it only skews packets per flow)', () => {
    expect(keys(flows('zipf', 1000, 'mix', 3))).toEqual(keys(flows('uniform', 1000, 'mix', 3)));
  });

  it('sequential-ports: one source, source ports consecutive from 1024', () => {
    const s = flows('sequential-ports', 5000, 'tcp', 11);
    expect(new Set(s.src).size).toBe(1);
    for (let i = 0; i < s.count; i++) {
      expect(s.sport[i]).toBe(SEQUENTIAL_PORT_BASE + i);
      expect(s.dport[i]).toBe(TCP_SERVICE_PORT);
    }
  });

  it('sequential-ports: past port 65535 the count wraps to 1024 on the next source address', () => {
    const s = flows('sequential-ports', 64_512 + 10, 'udp', 2);
    expect(s.sport[64_511]).toBe(65535);
    expect(s.sport[64_512]).toBe(1024);
    expect(s.src[64_512]).not.toBe(s.src[0]);
    expect(new Set(s.src).size).toBe(2);
    expect(new Set(keys(s)).size).toBe(s.count);
  });

  it('sequential-ports with mix: ports count up per protocol', () => {
    const s = flows('sequential-ports', 3000, 'mix', 4);
    for (const proto of [6, 17]) {
      const ports = Array.from(s.sport).filter((_, i) => s.proto[i] === proto);
      expect(ports.length).toBeGreaterThan(1000);
      ports.forEach((p, i) => expect(p).toBe(SEQUENTIAL_PORT_BASE + i));
    }
    // ICMP has no ports: one echo flow per source, and there is one source.
    expect(Array.from(s.proto).filter((p) => p === 1).length).toBe(1);
    expect(new Set(s.src).size).toBe(1);
  });

  it('single-source: one source address, random distinct ports', () => {
    const s = flows('single-source', 20_000, 'udp', 8);
    expect(new Set(s.src).size).toBe(1);
    expect(new Set(s.sport).size).toBe(20_000);
    // Not counting up: random order.
    let ascending = 0;
    for (let i = 1; i < s.count; i++) if (s.sport[i] === s.sport[i - 1]! + 1) ascending++;
    expect(ascending).toBeLessThan(100);
  });

  it('same-subnet: every source in one /24, hosts .1-.254', () => {
    const s = flows('same-subnet', 10_000, 'mix', 9);
    expect(new Set(Array.from(s.src, (a) => a >>> 8)).size).toBe(1);
    expect(new Set(s.src).size).toBe(254);
    for (const a of s.src) expect((a & 0xff) >= 1 && (a & 0xff) <= 254).toBe(true);
  });

  it('mix: UDP and TCP about half each, a few percent ICMP echo with ports 0', () => {
    const s = flows('uniform', 20_000, 'mix', 10);
    const count = (p: number): number => Array.from(s.proto).filter((x) => x === p).length;
    expect(count(1)).toBeGreaterThan(400);
    expect(count(1)).toBeLessThan(800);
    expect(Math.abs(count(6) - count(17))).toBeLessThan(800);
    for (let i = 0; i < s.count; i++) {
      if (s.proto[i] === 1) expect([s.sport[i], s.dport[i]]).toEqual([0, 0]);
      else expect(s.sport[i]).toBeGreaterThan(0);
    }
  });

  it('fills a pattern to its exact capacity, then refuses one more with a UsageError', () => {
    const cap = flowCapacity('single-source', 'udp');
    expect(cap).toBe(EPHEMERAL_PORT_HIGH - EPHEMERAL_PORT_LOW + 1);
    expect(new Set(keys(flows('single-source', cap))).size).toBe(cap);
    expect(() => flows('single-source', cap + 1)).toThrow(UsageError);
    expect(() => flows('single-source', cap + 1)).toThrow(/at most 28232 distinct udp flows/);
    // mix adds TCP and the one ICMP flow a single source can have.
    expect(flowCapacity('single-source', 'mix')).toBe(2 * cap + 1);
    expect(new Set(keys(flows('single-source', 2 * cap + 1, 'mix'))).size).toBe(2 * cap + 1);
    expect(flowCapacity('same-subnet', 'mix')).toBe(2 * 254 * cap + 254);
  });

  it('refuses bad counts, seeds, patterns and protocols with UsageError', () => {
    const bad = [
      { flows: 0 },
      { flows: -3 },
      { flows: 1.5 },
      { flows: MAX_FLOWS + 1 },
      { seed: -1 },
      { seed: 2 ** 32 },
      { pattern: 'zipfian' },
      { proto: 'icmp' },
      { dst: -1 },
    ];
    for (const b of bad) {
      expect(() => makeFlows({ pattern: 'uniform', flows: 10, seed: 1, dst: DST, proto: 'udp', ...b } as never)).toThrow(UsageError);
    }
  });
});
