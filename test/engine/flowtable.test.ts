// The flow table against a Map: every find, insert and count the same through every rebalance, with colliding
// and repeated keys; counters past 32 bits; a pre-sized table the same as a grown one. Then millions of distinct
// keys (uniform, differing only in ports, crowded into a few directory entries): none lost, the segments' fill
// inside its bounds after every rebalance, at most 64 bytes a flow, and what growth costs in moves.

import { describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.js';
import { FlowTable, NEW_FLOW, slotHash } from '../../src/engine/flowtable.js';
import { prng, u32 } from '../helpers.js';

interface Ref {
  f: number;
  packets: number;
  bytes: number;
  path: number;
}

/** Keys with few distinct values per field: many share three fields, and repeats are frequent. */
function keyOf(rand: () => number, spread: number): [number, number, number, number] {
  const src = (0x0a000000 + Math.floor(rand() * spread)) >>> 0;
  const dst = rand() < 0.5 ? 0xc0a8640a : (Math.floor(rand() * 4) * 0x01000001) >>> 0;
  const ports = ((Math.floor(rand() * 50) << 16) | 443) >>> 0;
  const meta = FlowTable.meta(rand() < 0.5 ? 6 : 17, Math.floor(rand() * 2), 0);
  return [src, dst, ports, meta];
}

/** Plain comparisons in the loop (an expect() per step would take a minute); the first difference is thrown. */
function same(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: ${got}, expected ${want}`);
}

function exercise(table: FlowTable, seed: number, n: number, spread: number): Map<string, Ref> {
  const rand = prng(seed);
  const ref = new Map<string, Ref>();
  for (let i = 0; i < n; i++) {
    const [src, dst, ports, meta] = keyOf(rand, spread);
    const k = `${src}|${dst}|${ports}|${meta}`;
    const bytes = 60 + Math.floor(rand() * 1400);
    const path = table.findOrAdd(src, dst, ports, meta, 1, bytes);
    const known = ref.get(k);
    if (known === undefined) {
      same(`step ${i}: new flow`, path, NEW_FLOW);
      same(`step ${i}: index`, table.last, ref.size);
      const r = { f: ref.size, packets: 1, bytes, path: i % 1000 };
      table.setPath(r.path, i & 0xffff);
      ref.set(k, r);
    } else {
      same(`step ${i}: path`, path, known.path);
      same(`step ${i}: index`, table.last, known.f);
      known.packets++;
      known.bytes += bytes;
    }
    if (i % 997 === 0) same(`step ${i}: find`, table.find(src ^ 0x00ff0000, dst, ports, meta), ref.get(`${(src ^ 0x00ff0000) >>> 0}|${dst}|${ports}|${meta}`)?.f ?? -1);
  }
  return ref;
}

function expectTable(table: FlowTable, ref: Map<string, Ref>): void {
  expect(table.size).toBe(ref.size);
  for (const [k, r] of ref) {
    const [src, dst, ports, meta] = k.split('|').map(Number) as [number, number, number, number];
    const f = r.f;
    same(`${k}: find`, table.find(src, dst, ports, meta), f);
    const got = [table.srcOf(f), table.dstOf(f), table.portsOf(f), table.metaOf(f), table.packetsOf(f), table.bytesOf(f), table.pathOf(f)];
    [src, dst, ports, meta, r.packets, r.bytes, r.path].forEach((want, w) => same(`${k}: word ${w}`, got[w]!, want));
  }
}

describe('flow table', () => {
  it('finds, inserts and counts exactly as a Map does, through many rebalances', () => {
    const table = new FlowTable();
    const ref = exercise(table, 77, 250_000, 6000);
    // 6000 sources x 5 destinations x 50 ports x 4 metas: well over one segment's 12k flows.
    expect(ref.size).toBeGreaterThan(80_000);
    expectTable(table, ref);
    expect(table.bytesHeld()).toBeGreaterThan(ref.size * 32);
  });

  it('a table sized beforehand holds the same flows in the same order', () => {
    const grown = new FlowTable();
    const sized = new FlowTable(200_000);
    const a = exercise(grown, 5, 150_000, 4000);
    const b = exercise(sized, 5, 150_000, 4000);
    expect([...b.entries()]).toEqual([...a.entries()]);
    expectTable(sized, b);
  });

  it('scan visits every flow once, with its key, path and counters', () => {
    const table = new FlowTable();
    const ref = exercise(table, 9, 60_000, 3000);
    const seen = new Map<number, number[]>();
    table.scan((f, src, dst, ports, meta, path, packets, bytes) => {
      if (seen.has(f)) throw new Error(`flow ${f} visited twice`);
      seen.set(f, [src, dst, ports, meta, path, packets, bytes]);
    });
    expect(seen.size).toBe(ref.size);
    for (const [k, r] of ref) expect(seen.get(r.f), k).toEqual([...k.split('|').map(Number), r.path, r.packets, r.bytes]);
  });

  it('counters go past 32 bits (an sFlow sample weighs its sampling rate)', () => {
    const table = new FlowTable();
    expect(table.findOrAdd(1, 2, 3, 4, 3e9, 4.5e12)).toBe(NEW_FLOW);
    table.setPath(0, 0);
    for (let i = 0; i < 5; i++) expect(table.findOrAdd(1, 2, 3, 4, 3e9, 1500 * 3e9)).toBe(0);
    expect(table.findOrAdd(1, 2, 3, 4, 1, 60)).toBe(0);
    expect(table.packetsOf(0)).toBe(18e9 + 1);
    expect(table.bytesOf(0)).toBe(4.5e12 + 5 * 1500 * 3e9 + 60);
    // Another flow is not touched by the first one's carries.
    table.findOrAdd(5, 6, 7, 8, 1, 100);
    table.setPath(0, 0);
    expect([table.packetsOf(1), table.bytesOf(1)]).toEqual([1, 100]);
    const scanned: number[][] = [];
    table.scan((f, _s, _d, _p, _m, _path, packets, bytes) => scanned.push([f, packets, bytes]));
    expect(scanned.sort((x, y) => x[0]! - y[0]!)).toEqual([[0, 18e9 + 1, 4.5e12 + 5 * 1500 * 3e9 + 60], [1, 1, 100]]);
  });

  it('two million distinct keys, repeats and finds interleaved: none lost, fill bounded, at most 64 bytes a flow', () => {
    const stats = grow(2_000_000, 31, (i, rand) => [Math.imul(i, 0x9e3779b1) ^ 0x5bd1e995, u32(rand), u32(rand), FlowTable.meta(6, i & 3, 0)]);
    expect(stats.bytesPerFlow.map(([n]) => n)).toEqual([20_000, 100_000, 300_000, 1_000_000, 2_000_000]);
    for (const [n, b] of stats.bytesPerFlow) expect(b, `${n} flows`).toBeLessThanOrEqual(64);
    // Each flow moves ~1.4 times while the table grows (a split in two moves each ~2 times).
    expect(stats.movesPerFlow).toBeLessThan(2);
    expect(stats.rebalances).toBeLessThan(1.6 * stats.segments);
  });

  it('keys that differ only in their ports', () => {
    const stats = grow(400_000, 32, (i) => [0x0a000001, 0x0a000002, Math.imul(i, 0x2545f491), FlowTable.meta(17, 0, 0)]);
    for (const [n, b] of stats.bytesPerFlow) expect(b, `${n} flows`).toBeLessThanOrEqual(64);
    expect(stats.movesPerFlow).toBeLessThan(2);
  });

  it('keys crowded into 2 of 1024 directory entries: the directory grows to its finest, every segment still about half full', () => {
    // Keys made for their hash: top 10 bits 0x155 or 0x156, the rest at random. At the finest directory (18 bits)
    // they fill 512 entries, ~600 flows (4% of a segment) each at the end: a cut's granularity, hence 48%, not 50%.
    const stats = grow(300_000, 33, (i, rand) => keyWithHash((((0x155 + (i & 1)) << 22) | (u32(rand) >>> 10)) >>> 0, i, 0x0a000002, FlowTable.meta(6, 0, 0)), 0.48);
    expect(stats.dirEntries).toBe(1 << 18);
    for (const [n, b] of stats.bytesPerFlow) if (n >= 100_000) expect(b, `${n} flows`).toBeLessThanOrEqual(64);
  });

  it('more flows than a segment holds, sharing all 18 directory bits of their hash: a one-line error, not a hang', () => {
    const table = new FlowTable();
    const add = (i: number): void => {
      const [src, dst, ports, meta] = keyWithHash(((0x2aaaa << 14) | (i & 0x3fff)) >>> 0, i >>> 14, 7, 6);
      if (table.findOrAdd(src, dst, ports, meta, 1, 60) === NEW_FLOW) table.setPath(0, 0);
    };
    let i = 0;
    expect(() => {
      for (; i < 16_384; i++) add(i);
    }).toThrow(EmuError);
    expect(i).toBe(Math.floor(16_384 * 0.85));
    expect(() => add(0)).not.toThrow();
  });
});

interface GrowStats {
  bytesPerFlow: [number, number][];
  movesPerFlow: number;
  rebalances: number;
  segments: number;
  dirEntries: number;
}

const CHECKPOINTS = [20_000, 100_000, 300_000, 1_000_000, 2_000_000];

/**
 * Inserts `n` distinct keys (key(i) must be distinct for distinct i), a repeat of an earlier key (checked: its index,
 * path and counters) after every third and a find of a key not yet inserted after every 20th. The reference is the
 * arrays of what each index was given (a Map of millions of string keys would take most of the time). After each
 * rebalance: the segments it left below HIGH with room to spare (no rebalance storm), none under half full once
 * past the first split. At each checkpoint the table's structure is checked and its bytes per flow taken.
 */
function grow(n: number, seed: number, key: (i: number, rand: () => number) => [number, number, number, number], lowest = 0.5): GrowStats {
  const rand = prng(seed);
  const table = new FlowTable();
  const keys = new Int32Array(4 * n);
  const packets = new Float64Array(n);
  const bytesPerFlow: [number, number][] = [];
  let rebalances = 0;
  for (let i = 0; i < n; i++) {
    const [src, dst, ports, meta] = key(i, rand);
    keys.set([src, dst, ports, meta], 4 * i);
    if (i % 20 === 0) same(`find ${i} before its insert`, table.find(src, dst, ports, meta), -1);
    same(`insert ${i}`, table.findOrAdd(src, dst, ports, meta, 1, 64), NEW_FLOW);
    same(`insert ${i}: index`, table.last, i);
    table.setPath(i % 7, i & 0xffff);
    packets[i] = 1;
    if (i % 3 === 0) {
      const j = Math.floor(rand() * (i + 1));
      same(`repeat ${j} at ${i}`, table.findOrAdd(keys[4 * j]!, keys[4 * j + 1]!, keys[4 * j + 2]!, keys[4 * j + 3]!, 2, 128), j % 7);
      same(`repeat ${j} at ${i}: index`, table.last, j);
      packets[j] += 2;
    }
    if (table.rebalanceCount !== rebalances) {
      rebalances = table.rebalanceCount;
      const l = table.layout();
      if (l.lastRebalanceMax > 0.84) throw new Error(`insert ${i}: a rebalance left a segment ${l.lastRebalanceMax} full`);
      const low = Math.min(...l.fills) / l.slotsPerSegment;
      if (l.fills.length > 2 && low < lowest) throw new Error(`insert ${i}: a segment ${low} full`);
    }
    if (CHECKPOINTS.includes(i + 1)) {
      table.layout(true);
      bytesPerFlow.push([i + 1, table.bytesHeld() / (i + 1)]);
    }
  }
  for (let j = 0; j < n; j++) {
    same(`find ${j}`, table.find(keys[4 * j]!, keys[4 * j + 1]!, keys[4 * j + 2]!, keys[4 * j + 3]!), j);
    if (j % 101 === 0) {
      same(`${j}: ports`, table.portsOf(j), keys[4 * j + 2]! >>> 0);
      same(`${j}: packets`, table.packetsOf(j), packets[j]!);
      same(`${j}: bytes`, table.bytesOf(j), 64 * packets[j]!);
      same(`${j}: path`, table.pathOf(j), j % 7);
      same(`${j}: outer sport`, table.outerSportOf(j), j & 0xffff);
    }
  }
  const l = table.layout(true);
  return { bytesPerFlow, movesPerFlow: l.moves / n, rebalances: l.rebalances, segments: l.fills.length, dirEntries: l.dirEntries };
}

/** The inverse of multiplying by an odd constant mod 2^32 (Newton's iteration). */
function inverse(k: number): number {
  let x = k;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(k, x));
  return x;
}

/** A key (src, dst, ports, meta) whose slotHash is h: the ports word solved for, undoing the hash's last steps. */
function keyWithHash(h: number, src: number, dst: number, meta: number): [number, number, number, number] {
  let h0 = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  const h1 = Math.imul(h0 ^ (h0 >>> 13) ^ dst, 0xc2b2ae35);
  let x = h ^ (h >>> 16); // undoes x ^ (x >>> 16)
  x = Math.imul(x, inverse(0xc2b2ae35)) ^ meta;
  x = x ^ (x >>> 13) ^ (x >>> 26); // undoes x ^ (x >>> 13)
  const ports = Math.imul(x, inverse(0x85ebca6b)) ^ h1 ^ (h1 >>> 16);
  h0 = slotHash(src, dst, ports, meta);
  if (h0 >>> 0 !== h >>> 0) throw new Error(`keyWithHash: ${h0 >>> 0} for ${h >>> 0}`);
  return [src, dst, ports >>> 0, meta];
}
