// Benchmark: build an IPv6 LPM table of 100k prefixes (a data-centre/Internet length mix) and time lookups on one core.
import { pathToFileURL } from 'node:url';
import { Lpm6 } from '../src/fib/lpm6.js';
import { u32Stream } from './util.js';

export interface Lpm6BenchResult {
  prefixes: number;
  ranges: number;
  buildMs: number;
  tableBytes: number;
  /** best and median of `rounds` timed rounds of lookup() over 1M addresses */
  lookups: Array<{ addresses: string; lookupsPerSecond: number; nsPerLookup: number; medianNsPerLookup: number; hitRate: number }>;
}

// Share of prefixes per length: mostly /48 and /64 (sites and subnets), some shorter aggregates, /127 links, /128 hosts.
const LENGTH_MIX: ReadonlyArray<readonly [number, number]> = [
  [29, 0.01], [32, 0.04], [36, 0.02], [40, 0.03], [44, 0.05], [48, 0.4], [52, 0.02], [56, 0.08], [60, 0.02], [64, 0.23], [127, 0.02], [128, 0.08],
];

function pickLength(r: number): number {
  let x = r / 2 ** 32;
  for (const [length, p] of LENGTH_MIX) {
    if (x < p) return length;
    x -= p;
  }
  return 48;
}

/** Keeps the top `length` bits of 4 words (in place). */
function maskTo(w: Uint32Array, at: number, length: number): void {
  for (let i = 0; i < 4; i++) {
    const bits = Math.min(32, Math.max(0, length - 32 * i));
    w[at + i] = bits === 0 ? 0 : (w[at + i]! & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
  }
}

function time(lpm: Lpm6, addrs: Uint32Array): { ns: number; hits: number } {
  const n = addrs.length >>> 2;
  let hits = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) hits += (lpm.lookup(addrs[4 * i]!, addrs[4 * i + 1]!, addrs[4 * i + 2]!, addrs[4 * i + 3]!) >>> 31) ^ 1;
  return { ns: Number(process.hrtime.bigint() - start) / n, hits };
}

export function runLpm6Bench(prefixCount = 100_000, rounds = 5, addressCount = 1 << 20): Lpm6BenchResult {
  const next = u32Stream(0x6e3);
  const prefixes = new Uint32Array(4 * prefixCount);
  const lengths = new Uint8Array(prefixCount);
  for (let i = 0; i < prefixCount; i++) {
    // global unicast, 2000::/3, clustered under 64 /16s as allocations are
    prefixes[4 * i] = ((0x2000 | (next() & 0x3f)) << 16 | (next() & 0xffff)) >>> 0;
    for (let k = 1; k < 4; k++) prefixes[4 * i + k] = next();
    lengths[i] = pickLength(next());
    maskTo(prefixes, 4 * i, lengths[i]!);
  }
  const t0 = process.hrtime.bigint();
  const lpm = new Lpm6();
  for (let i = 0; i < prefixCount; i++) lpm.insert(prefixes.subarray(4 * i, 4 * i + 4), lengths[i]!, i);
  lpm.lookup(0, 0, 0, 0); // builds the ranges
  const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const inside = new Uint32Array(4 * addressCount);
  const uniform = new Uint32Array(4 * addressCount);
  for (let i = 0; i < addressCount; i++) {
    const k = next() % prefixCount;
    for (let w = 0; w < 4; w++) {
      const bits = Math.min(32, Math.max(0, lengths[k]! - 32 * w));
      const keep = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      inside[4 * i + w] = ((prefixes[4 * k + w]! & keep) | (next() & ~keep)) >>> 0;
      uniform[4 * i + w] = next();
    }
    uniform[4 * i] = ((0x2000 | (next() & 0x3f)) << 16 | (next() & 0xffff)) >>> 0;
  }
  const lookups: Lpm6BenchResult['lookups'] = [];
  for (const [name, addrs] of [['inside stored prefixes', inside], ['random in the same /10s', uniform]] as const) {
    time(lpm, addrs);
    const times: number[] = [];
    let hits = 0;
    for (let r = 0; r < rounds; r++) {
      const t = time(lpm, addrs);
      times.push(t.ns);
      hits = t.hits;
    }
    times.sort((a, b) => a - b);
    lookups.push({ addresses: name, lookupsPerSecond: 1e9 / times[0]!, nsPerLookup: times[0]!, medianNsPerLookup: times[times.length >> 1]!, hitRate: hits / addressCount });
  }
  return { prefixes: lpm.size, ranges: lpm.rangeCount(), buildMs, tableBytes: lpm.memoryBytes(), lookups };
}

function main(): void {
  const r = runLpm6Bench(Number(process.argv[2] ?? 100_000));
  console.log(`lpm6: ${r.prefixes} prefixes, ${r.ranges} ranges, build ${r.buildMs.toFixed(0)} ms, ${(r.tableBytes / 2 ** 20).toFixed(1)} MiB`);
  for (const l of r.lookups) {
    console.log(`lpm6: ${l.addresses.padEnd(24)} ${(l.lookupsPerSecond / 1e6).toFixed(1)} M lookups/s, ${l.nsPerLookup.toFixed(1)} ns (median ${l.medianNsPerLookup.toFixed(1)}), hit rate ${(100 * l.hitRate).toFixed(1)}%`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
