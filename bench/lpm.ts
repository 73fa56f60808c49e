// Benchmark: build an IPv4 LPM table of 1M random prefixes (realistic length mix) and time lookups on one core.
import { pathToFileURL } from 'node:url';
import { Lpm } from '../src/fib/lpm.js';
import { u32Stream } from './util.js';

export interface LpmBenchResult {
  prefixes: number;
  buildMs: number;
  tableBytes: number;
  heapDeltaBytes: number;
  chunks: { l2: number; l3: number };
  /** best and median of `rounds` timed rounds, for lookup() one address at a time and lookupBatch() of 256 */
  lookups: Array<{
    addresses: string;
    api: 'lookup' | 'lookupBatch';
    lookupsPerSecond: number;
    nsPerLookup: number;
    medianNsPerLookup: number;
    hitRate: number;
  }>;
}

// Share of prefixes per length, roughly a full BGP table's shape: mostly /16-/24, some /8-/15 and /25-/32.
const LENGTH_MIX: ReadonlyArray<readonly [number, number]> = [
  [8, 0.002], [10, 0.002], [12, 0.003], [14, 0.003], [15, 0.002],
  [16, 0.04], [17, 0.02], [18, 0.03], [19, 0.04], [20, 0.05], [21, 0.05], [22, 0.11], [23, 0.1],
  [24, 0.5],
  [25, 0.01], [26, 0.01], [27, 0.008], [28, 0.006], [29, 0.005], [30, 0.004], [31, 0.002], [32, 0.003],
];

function pickLength(r: number): number {
  let x = (r / 2 ** 32) * LENGTH_MIX.reduce((a, [, p]) => a + p, 0);
  for (const [length, p] of LENGTH_MIX) {
    if (x < p) return length;
    x -= p;
  }
  return 24;
}

/** One pass of lookup() over every address; returns ns per lookup and the hit count. */
function timeSingle(lpm: Lpm, addrs: Uint32Array): { ns: number; hits: number } {
  let hits = 0;
  const n = addrs.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) hits += (lpm.lookup(addrs[i]) >>> 31) ^ 1;
  return { ns: Number(process.hrtime.bigint() - start) / n, hits };
}

/** One pass of lookupBatch() in batches of 256, as the engine's pipeline calls it. */
function timeBatch(lpm: Lpm, addrs: Uint32Array, out: Int32Array): { ns: number; hits: number } {
  const n = addrs.length;
  const batch = out.length;
  let hits = 0;
  const start = process.hrtime.bigint();
  for (let at = 0; at < n; at += batch) {
    lpm.lookupBatch(addrs.subarray(at, at + batch), out, batch);
    hits += (out[0] >>> 31) ^ 1;
  }
  // `hits` samples one result per batch only to keep the work observable; the hit rate comes from lookup().
  return { ns: Number(process.hrtime.bigint() - start) / n, hits };
}

export function runLpmBench(prefixCount = 1_000_000, rounds = 7): LpmBenchResult {
  const next = u32Stream(0x1e3);
  const prefixes = new Uint32Array(prefixCount);
  const lengths = new Uint8Array(prefixCount);
  for (let i = 0; i < prefixCount; i++) {
    prefixes[i] = next();
    lengths[i] = pickLength(next());
  }
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const lpm = new Lpm();
  for (let i = 0; i < prefixCount; i++) lpm.insert(prefixes[i], lengths[i], i);
  const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
  (globalThis as { gc?: () => void }).gc?.();
  const heapAfter = process.memoryUsage();
  const heapDeltaBytes =
    heapAfter.heapUsed + heapAfter.arrayBuffers - (heapBefore.heapUsed + heapBefore.arrayBuffers);

  // Address sets: uniformly random, and random addresses inside random stored prefixes (every one a hit).
  const size = 1 << 22;
  const uniform = new Uint32Array(size);
  for (let i = 0; i < size; i++) uniform[i] = next();
  const inside = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    const k = next() % prefixCount;
    const hostBits = 32 - lengths[k];
    const host = hostBits === 32 ? next() : hostBits === 0 ? 0 : next() & ((1 << hostBits) - 1);
    inside[i] = ((prefixes[k] & ~((2 ** hostBits - 1) >>> 0)) | host) >>> 0;
  }

  const lookups: LpmBenchResult['lookups'] = [];
  const out = new Int32Array(256);
  for (const [name, addrs] of [
    ['uniform random', uniform],
    ['inside stored prefixes', inside],
  ] as const) {
    for (const api of ['lookup', 'lookupBatch'] as const) {
      const times: number[] = [];
      let hits = 0;
      timeSingle(lpm, addrs); // warm up the JIT and the caches
      timeBatch(lpm, addrs, out);
      for (let r = 0; r < rounds; r++) {
        const t = api === 'lookup' ? timeSingle(lpm, addrs) : timeBatch(lpm, addrs, out);
        times.push(t.ns);
        hits = t.hits;
      }
      times.sort((a, b) => a - b);
      lookups.push({
        addresses: name,
        api,
        lookupsPerSecond: 1e9 / times[0],
        nsPerLookup: times[0],
        medianNsPerLookup: times[times.length >> 1],
        hitRate: api === 'lookup' ? hits / addrs.length : Number.NaN,
      });
    }
  }
  return { prefixes: lpm.size, buildMs, tableBytes: lpm.memoryBytes(), heapDeltaBytes, chunks: lpm.chunkCounts(), lookups };
}

function main(): void {
  const count = Number(process.argv[2] ?? 1_000_000);
  const r = runLpmBench(count);
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(`lpm: ${r.prefixes} distinct prefixes (${count} inserted), build ${r.buildMs.toFixed(0)} ms`);
  console.log(`lpm: memory ${mb(r.tableBytes)} in typed arrays (heap+buffers delta ${mb(r.heapDeltaBytes)}), chunks l2 ${r.chunks.l2} l3 ${r.chunks.l3}`);
  for (const l of r.lookups) {
    const hit = Number.isNaN(l.hitRate) ? '' : `, hit rate ${(100 * l.hitRate).toFixed(1)}%`;
    console.log(
      `lpm: ${l.addresses.padEnd(22)} ${l.api.padEnd(11)} ${(l.lookupsPerSecond / 1e6).toFixed(1)} M lookups/s, ` +
        `${l.nsPerLookup.toFixed(1)} ns/lookup (median ${l.medianNsPerLookup.toFixed(1)})${hit}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
