// The flow table against a Map: every find, insert and count the same through every segment split, with colliding
// and repeated keys; counters past 32 bits; a pre-sized table the same as a grown one.

import { describe, expect, it } from 'vitest';
import { FlowTable, NEW_FLOW } from '../../src/engine/flowtable.js';
import { prng } from '../helpers.js';

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
  it('finds, inserts and counts exactly as a Map does, through many segment splits', () => {
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
});
