// Benchmark: Linux's SipHash flow hash (linux-l4) in JS (32-bit halves) and in WebAssembly (native i64), side by
// side in one run, in the two ways the engine calls it: one key at a time on a flow's first sight, and in a batch.
//
// Variants (all bit-exact with the kernel, checked here before timing):
//   js              makeLinuxHasherJs, the JS reference: sipRun in 32-bit halves from a per-protocol prefix table
//   js unrolled     the same arithmetic as straight-line code, message halves known to be zero left out
//   wasm (shipped)  makeLinuxHasher as built: the wasm `linux` export, the state from the seed (18 rounds), no memory
//   wasm table      the wasm `linuxTable` export: 12 rounds from a prefix table in linear memory
//   wasm state args the wasm `linuxArgs` export: 12 rounds from a prefix state passed as eight int32 arguments
// Patterns:
//   first sight     per key: a random read and write in a 64 MiB table (the flow-table miss and insert) and one
//                   hash through an array of four hashers (path.ts calls fabric.hashers[leaf]); the same loop
//                   with a trivial hasher is the baseline, and "net" subtracts it
//   batch           one hasher in a tight loop over 4096 keys (as bench/hash.ts)
//   wasm loop       the loop itself in wasm (`linuxBatch`, keys in linear memory): no JS→wasm call per key
// plus the cost of one call alone: a JS function and a wasm function that XOR their six arguments.

import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { HASH_FIELDS } from '../src/hash/fields.js';
import { makeLinuxHasher, makeLinuxHasherJs } from '../src/hash/linux.js';
import { SIP_STATE_WORDS, sipInit, sipRun } from '../src/hash/siphash.js';
import { variantsModuleBytes } from '../src/hash/siphash-wasm-source.js';
import { instantiate, wasmLinuxHash } from '../src/hash/siphash-wasm.js';
import type { FlowHasher } from '../src/hash/types.js';
import { u32Stream } from './util.js';

export interface SipHashBenchRow {
  variant: string;
  pattern: string;
  nsPerHash: number;
  /** the first-sight pattern minus its trivial-hasher baseline; undefined for the other patterns */
  netNs?: number;
  /** the best sample: on a shared machine the mean carries other processes' time, the best much less */
  bestNs: number;
  rmePercent: number;
}

type Raw = (a: number, b: number, c: number, d: number, e: number, f: number) => number;

const bswap32 = (x: number): number => ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

/** One SipRound on locals v0l..v3h, as JS source (the arithmetic of sipRun). */
function roundSource(): string {
  const add = (a: string, b: string): string =>
    `l = (${a}l + ${b}l) | 0; ${a}h = (${a}h + ${b}h + (((${a}l & ${b}l) | ((${a}l | ${b}l) & ~l)) >>> 31)) | 0; ${a}l = l;`;
  const rot = (a: string, r: number): string =>
    `t = ${a}h; ${a}h = (${a}h << ${r}) | (${a}l >>> ${32 - r}); ${a}l = (${a}l << ${r}) | (t >>> ${32 - r});`;
  const xor = (a: string, b: string): string => `${a}l ^= ${b}l; ${a}h ^= ${b}h;`;
  const swap = (a: string): string => `t = ${a}l; ${a}l = ${a}h; ${a}h = t;`;
  return [add('v0', 'v1'), rot('v1', 13), xor('v1', 'v0'), swap('v0'), add('v2', 'v3'), rot('v3', 16), xor('v3', 'v2'),
    add('v0', 'v3'), rot('v3', 21), xor('v3', 'v0'), add('v2', 'v1'), rot('v1', 17), xor('v1', 'v2'), swap('v2')].join('\n');
}

/**
 * The JS form with every round written out: words 3..6 of the message as (lo, hi) = (0, pq), (0, lo), (hi, 0),
 * (0, 48 << 24), so only one half of each is XORed in. Built with new Function from the round's source.
 */
function unrolledJs(policy: 0 | 1, seed: number): FlowHasher {
  const r = roundSource();
  const absorb = (half: 'l' | 'h', word: string): string => `v3${half} ^= ${word};\n${r}\n${r}\nv0${half} ^= ${word};`;
  const body = `let v0l = s[o], v0h = s[o + 1], v1l = s[o + 2], v1h = s[o + 3], v2l = s[o + 4], v2h = s[o + 5], v3l = s[o + 6], v3h = s[o + 7];
    let l = 0, t = 0;
    ${absorb('h', 'pq')}
    ${absorb('h', 'lo')}
    ${absorb('l', 'hi')}
    ${absorb('h', String(48 << 24))}
    v2l ^= 0xff;
    ${r}\n${r}\n${r}\n${r}
    return v0l ^ v1l ^ v2l ^ v3l;`;
  const run = new Function('s', 'o', 'pq', 'lo', 'hi', body) as (s: Int32Array, o: number, pq: number, lo: number, hi: number) => number;
  const prefix = prefixTable(policy, seed);
  const protoMask = policy === 1 ? 0xff : 0;
  const portMask = policy === 1 ? 0xffff : 0;
  return (src, dst, proto, sport, dport) => {
    const a = bswap32(src), b = bswap32(dst);
    const p = bswap16(sport & portMask), q = bswap16(dport & portMask);
    const h = run(prefix, (proto & protoMask) * SIP_STATE_WORDS, Math.min(p, q) | (Math.max(p, q) << 16), Math.min(a, b), Math.max(a, b)) >>> 0;
    return h === 0 ? 1 : h;
  };
}

/** The per-protocol state after message words 0..2, as linux.ts builds it. */
function prefixTable(policy: 0 | 1, seed: number, into = new Int32Array(256 * SIP_STATE_WORDS)): Int32Array {
  const head = new Int32Array(6);
  for (let p = 0; p <= (policy === 1 ? 255 : 0); p++) {
    sipInit(into, p * SIP_STATE_WORDS, seed | 0, seed | 0, seed | 0, seed | 0);
    head[0] = p << 16;
    sipRun(into, p * SIP_STATE_WORDS, head, 3, false);
  }
  return into;
}

const TABLE_BYTES = 256 * SIP_STATE_WORDS * 4;
/** Where the batch's keys and results sit in the variants module's memory (after four prefix tables). */
const KEYS_AT = 4 * TABLE_BYTES;

interface Wasm {
  memory: { buffer: ArrayBuffer };
  linux: Raw;
  linuxTable: Raw;
  linuxBatch: (seed: number, keys: number, out: number, n: number) => number;
  nop: Raw;
  linuxArgs: (...a: number[]) => number;
}

/** The two wasm variants that start from a precomputed prefix state (table slot `slot` of linear memory). */

function wasmHashers(w: Wasm, seed: number, slot: number): { table: FlowHasher; args: FlowHasher } {
  const { linuxTable, linuxArgs } = w;
  const s = prefixTable(1, seed);
  const at = slot * TABLE_BYTES;
  prefixTable(1, seed, new Int32Array(w.memory.buffer, at, 256 * SIP_STATE_WORDS));
  return {
    table: (src, dst, proto, sport, dport) => linuxTable(at, proto, src | 0, dst | 0, sport, dport) >>> 0,
    args: (src, dst, proto, sport, dport) => {
      const o = proto * SIP_STATE_WORDS;
      return linuxArgs(s[o]!, s[o + 1]!, s[o + 2]!, s[o + 3]!, s[o + 4]!, s[o + 5]!, s[o + 6]!, s[o + 7]!, src | 0, dst | 0, sport, dport) >>> 0;
    },
  };
}

/** A fresh copy of a loop (new Function), so each task's call sites see only its own hashers. */
function compile<T>(params: string[], body: string, ...args: unknown[]): T {
  return new Function(...params, body)(...args) as T;
}

/** The flow keys every task hashes, as int32 columns. */
interface Keys {
  n: number;
  src: Int32Array;
  dst: Int32Array;
  proto: Int32Array;
  sport: Int32Array;
  dport: Int32Array;
}

function benchKeys(n: number): Keys {
  const next = u32Stream(0x51f);
  const k: Keys = { n, src: new Int32Array(n), dst: new Int32Array(n), proto: new Int32Array(n), sport: new Int32Array(n), dport: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    k.src[i] = next(); k.dst[i] = next(); k.proto[i] = next() & 1 ? 6 : 17; k.sport[i] = next() & 0xffff; k.dport[i] = next() & 0xffff;
  }
  return k;
}

/** Four hashers (four leaves' seeds) per variant; throws unless each is the JS reference's bit for bit on every key. */
function variantSets(w: Wasm, keys: Keys): Record<string, FlowHasher[]> {
  const seeds = [0x12345, 0x9e3779b9, 0xffffffff, 7];
  const sets: Record<string, FlowHasher[]> = {
    js: seeds.map((s) => makeLinuxHasherJs(1, s, HASH_FIELDS)),
    'js unrolled': seeds.map((s) => unrolledJs(1, s)),
    'wasm (shipped)': seeds.map((s) => makeLinuxHasher(1, s, HASH_FIELDS)),
    'wasm table': seeds.map((s, i) => wasmHashers(w, s, i).table),
    'wasm state args': seeds.map((s, i) => wasmHashers(w, s, i).args),
  };
  const { src, dst, proto, sport, dport } = keys;
  for (const [name, hs] of Object.entries(sets)) {
    hs.forEach((h, j) => {
      for (let i = 0; i < keys.n; i++) {
        const want = sets.js![j]!(src[i]! >>> 0, dst[i]! >>> 0, proto[i]!, sport[i]!, dport[i]!);
        if (h(src[i]! >>> 0, dst[i]! >>> 0, proto[i]!, sport[i]!, dport[i]!) !== want) throw new Error(`${name} differs from the JS reference`);
      }
    });
  }
  return sets;
}

const KEY_NAMES = ['src', 'dst', 'proto', 'sport', 'dport', 'n'];
const keyArgs = (k: Keys): unknown[] => [k.src, k.dst, k.proto, k.sport, k.dport, k.n];

/** The first-sight loop: per key a hash through hs[i & 3] and a random read and write in `table`. */
function firstSightLoop(hs: FlowHasher[], keys: Keys, table: Int32Array): () => void {
  return compile(['hs', 'table', 'mask', ...KEY_NAMES], `
    return function firstSight() {
      for (let i = 0; i < n; i++) {
        const h = hs[i & 3](src[i] >>> 0, dst[i] >>> 0, proto[i], sport[i], dport[i]);
        table[h & mask] += table[Math.imul(src[i], 0x9e3779b1) & mask] + 1;
      }
    };`, hs, table, table.length - 1, ...keyArgs(keys));
}

/** The batch loop: one hasher over every key; `raw` calls a six-int32 function (seed first) instead. */
function batchLoop(h: FlowHasher | Raw, keys: Keys, out: Int32Array, raw: boolean): () => void {
  const call = raw ? 'h(7, proto[i], src[i], dst[i], sport[i], dport[i])' : 'h(src[i] >>> 0, dst[i] >>> 0, proto[i], sport[i], dport[i])';
  return compile(['h', 'out', ...KEY_NAMES], `
    return function batch() {
      for (let i = 0; i < n; i++) out[i] = ${call};
    };`, h, out, ...keyArgs(keys));
}

/** Every variant in every pattern, side by side in one tinybench run; `flows` keys per task call. */
export async function runSipHashBench(flows = 4096, timeMs = 1000): Promise<SipHashBenchRow[]> {
  if (wasmLinuxHash === undefined) throw new Error('bench/siphash.ts needs WebAssembly');
  const keys = benchKeys(flows);
  const w = instantiate(variantsModuleBytes()) as unknown as Wasm;
  const sets = variantSets(w, keys);
  const trivial = [1, 2, 3, 4].map((s): FlowHasher => (src, dst, proto, sport, dport) => (src ^ dst ^ proto ^ sport ^ dport ^ s) >>> 0);
  const table = new Int32Array(16 << 20); // 64 MiB: far beyond the caches, as a large flow table
  const out = new Int32Array(flows);
  // keys in wasm memory for linuxBatch: proto, src, dst, sport, dport per key
  const inWasm = new Int32Array(w.memory.buffer, KEYS_AT, 5 * flows);
  for (let i = 0; i < flows; i++) inWasm.set([keys.proto[i]!, keys.src[i]!, keys.dst[i]!, keys.sport[i]!, keys.dport[i]!], 5 * i);

  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs) });
  const tasks: Array<{ variant: string; pattern: string }> = [];
  const add = (variant: string, pattern: string, fn: () => void): void => {
    tasks.push({ variant, pattern });
    bench.add(`${variant} / ${pattern}`, fn);
  };
  add('trivial hasher', 'first sight', firstSightLoop(trivial, keys, table));
  for (const [name, hs] of Object.entries(sets)) add(name, 'first sight', firstSightLoop(hs, keys, table));
  for (const [name, hs] of Object.entries(sets)) add(name, 'batch', batchLoop(hs[0]!, keys, out, false));
  add('wasm', 'wasm loop', () => w.linuxBatch(7, KEYS_AT, KEYS_AT + 20 * flows, flows));
  add('call alone: JS function', 'batch', batchLoop((a, b, c, d, e, f) => a ^ b ^ c ^ d ^ e ^ f, keys, out, true));
  add('call alone: wasm function', 'batch', batchLoop(w.nop, keys, out, true));
  await bench.run();
  const rows = bench.tasks.map((t, i): SipHashBenchRow => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
    return { ...tasks[i]!, nsPerHash: (r.latency.mean * 1e6) / flows, bestNs: (r.latency.min * 1e6) / flows, rmePercent: r.latency.rme };
  });
  const base = rows.find((r) => r.variant === 'trivial hasher')!.bestNs;
  for (const r of rows) if (r.pattern === 'first sight' && r.variant !== 'trivial hasher') r.netNs = r.bestNs - base;
  return rows;
}

export function formatSipHashBench(rows: readonly SipHashBenchRow[]): string {
  const head = `siphash (linux-l4): ${'variant / pattern'.padEnd(44)} ${'best'.padStart(7)} ${'net'.padStart(7)} ${'mean'.padStart(7)}  ns per hash`;
  const num = (x: number | undefined): string => (x === undefined ? '' : x.toFixed(1)).padStart(7);
  return [head, ...rows.map((r) => `siphash (linux-l4): ${`${r.variant} / ${r.pattern}`.padEnd(44)} ${num(r.bestNs)} ${num(r.netNs)} ${num(r.nsPerHash)}  ±${r.rmePercent.toFixed(1)}%`)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runSipHashBench(Number(process.argv[2] ?? 4096), Number(process.argv[3] ?? 1000)).then((rows) => console.log(formatSipHashBench(rows)));
}
