// Benchmark: nanoseconds per flow hash for each algorithm, over pre-generated random 5-tuples (tinybench).
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { HASH_ALGORITHMS, HASH_FIELDS, makeHasher, type FlowHasher, type HashAlgorithm } from '../src/hash/index.js';
import { u32Stream } from './util.js';

export interface HashBenchResult {
  flows: number;
  results: Array<{ algorithm: HashAlgorithm | 'baseline'; nsPerHash: number; rmePercent: number; hashesPerSecond: number }>;
}

/**
 * One task call hashes the whole batch (as the engine hashes a batch in one loop), so the per-call timer
 * overhead is spread over `flows` hashes; the baseline runs the same loop with a trivial function.
 */
export async function runHashBench(flows = 4096, timeMs = 1000): Promise<HashBenchResult> {
  const next = u32Stream(0x4a5b);
  const src = new Uint32Array(flows), dst = new Uint32Array(flows);
  const proto = new Uint8Array(flows), sport = new Uint16Array(flows), dport = new Uint16Array(flows);
  for (let i = 0; i < flows; i++) {
    src[i] = next();
    dst[i] = next();
    proto[i] = next() & 1 ? 6 : 17;
    sport[i] = next();
    dport[i] = next();
  }
  const out = new Uint32Array(flows);
  // Each task gets its own copy of the loop (new Function compiles a fresh function each time), so its call
  // site sees one hasher and V8 can inline it, as in an engine loop over one leaf's batch. A loop shared by
  // all tasks would go megamorphic and add ~10 ns of call overhead to every algorithm alike.
  const loop = (h: FlowHasher): (() => void) =>
    new Function('h', 'src', 'dst', 'proto', 'sport', 'dport', 'out', 'n', `return function batch() {
      for (let i = 0; i < n; i++) out[i] = h(src[i], dst[i], proto[i], sport[i], dport[i]);
    };`)(h, src, dst, proto, sport, dport, out, flows) as () => void;
  const bench = new Bench({ time: timeMs, warmupTime: 200 });
  bench.add('baseline', loop((s, d, p, sp, dp) => (s ^ d ^ p ^ sp ^ dp) >>> 0));
  // Every algorithm gets four hashers (four leaves' seeds), all called before any is timed, as in an engine
  // forwarding through several leaves. V8 compiles tighter code for a closure while it is the only one of its
  // kind in use (2-3x for the table lookups); without this, the first algorithm timed would get that bonus.
  const hashers = HASH_ALGORITHMS.map((algorithm) =>
    [1, 2, 3, 4].map((leaf) => makeHasher({ algorithm, seed: 12345 * leaf, fields: HASH_FIELDS })));
  for (const h of hashers.flat()) for (let i = 0; i < flows; i++) out[i] = h(src[i], dst[i], proto[i], sport[i], dport[i]);
  HASH_ALGORITHMS.forEach((algorithm, i) => bench.add(algorithm, loop(hashers[i][0])));
  await bench.run();
  return {
    flows,
    results: bench.tasks.map((t) => {
      const r = t.result;
      if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
      const nsPerHash = (r.latency.mean * 1e6) / flows;
      return { algorithm: t.name as HashAlgorithm | 'baseline', nsPerHash, rmePercent: r.latency.rme, hashesPerSecond: 1e9 / nsPerHash };
    }),
  };
}

async function main(): Promise<void> {
  const r = await runHashBench(Number(process.argv[2] ?? 4096));
  for (const x of r.results) {
    console.log(
      `hash: ${x.algorithm.padEnd(9)} ${x.nsPerHash.toFixed(1).padStart(6)} ns/hash  ${(x.hashesPerSecond / 1e6).toFixed(1).padStart(6)} M hashes/s  ±${x.rmePercent.toFixed(1)}%`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
