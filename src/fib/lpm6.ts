// IPv6 longest-prefix match: the prefixes flattened into disjoint address ranges, each holding its longest match,
// found through a trie over the ranges' start addresses and a short binary search.
//
// Every IPv6 prefix is a range of the 128-bit space, and two prefixes are either nested or disjoint, so the table
// cuts the space into at most 2n + 1 ranges whose longest match does not change inside them. A lookup finds the
// last range starting at or below the address. A trie of index nodes (the root indexed by the top 8 or 16 bits,
// each child by the next 8) narrows that to the ranges of one slice of the space; a node gets a child wherever
// its slice holds more than a few ranges, so clustered prefixes (one /32 holding thousands of /48s) index as
// deep as they need and sparse ones stay shallow. A binary search over 4-word start addresses does the rest
// (words compared with their top bit flipped, so that a signed int32 compare orders them as unsigned). Changes only
// mark the table stale; the next lookup rebuilds it, O(n log n), which suits a FIB built at convergence and
// rebuilt at failover.

/** An address or prefix as four u32 (or int32) words, most significant first. */
export type Words = ArrayLike<number>;

/** Largest value a route can carry. */
export const MAX_VALUE6 = 0x7ffffffe;

/** A slice holding more ranges than this gets an index node of its own (64 measured best: fewer, smaller nodes, 6 search steps). */
const LEAF_RANGES = 64;
/** The root is indexed by 16 bits only for tables of at least this many ranges (its 2^16 + 1 entries cost 512 KiB). */
const WIDE_ROOT_RANGES = 4096;

const SIGN = 0x80000000;
const ALL = (1n << 128n) - 1n;

function toBig(w: Words): bigint {
  return (BigInt(w[0]! >>> 0) << 96n) | (BigInt(w[1]! >>> 0) << 64n) | (BigInt(w[2]! >>> 0) << 32n) | BigInt(w[3]! >>> 0);
}

interface Route {
  start: bigint;
  end: bigint;
  length: number;
  value: number;
}

export class Lpm6 {
  private readonly routes = new Map<string, Route>();
  private stale = true;
  /** start address of each range, 4 biased words (w ^ 0x80000000) per range, ascending */
  private starts = new Int32Array(4);
  /** longest match of each range, -1 for none */
  private values = Int32Array.of(-1);
  /** bits indexing the root node: 0 (one slice, the whole space), 8 or 16 */
  private rootBits = 0;
  /** per index entry: the range holding its slice's first address; the entry after a node's last is the range holding its last */
  private firstRange = Int32Array.of(0, 0);
  /** per index entry: where its child node's entries start in these arrays, or 0 for none */
  private child = new Int32Array(2);
  /** the address being looked up, as 4 words, so that a node can take byte k of it */
  private readonly addr = new Int32Array(4);

  /** number of distinct prefixes held */
  get size(): number {
    return this.routes.size;
  }

  /** Add a route, or replace the value of the same prefix; bits of `network` past `length` are ignored. */
  insert(network: Words, length: number, value: number): void {
    if (!Number.isInteger(length) || length < 0 || length > 128) {
      throw new RangeError(`IPv6 prefix length must be an integer from 0 to 128, got ${String(length)}`);
    }
    if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE6) {
      throw new RangeError(`route value must be an integer from 0 to ${MAX_VALUE6}, got ${String(value)}`);
    }
    const host = ALL >> BigInt(length);
    const start = toBig(network) & ~host & ALL;
    this.routes.set(keyOf(start, length), { start, end: start | host, length, value });
    this.stale = true;
  }

  /** Remove a route; @returns whether it was there. */
  remove(network: Words, length: number): boolean {
    if (!Number.isInteger(length) || length < 0 || length > 128) return false;
    const start = toBig(network) & ~(ALL >> BigInt(length)) & ALL;
    const had = this.routes.delete(keyOf(start, length));
    if (had) this.stale = true;
    return had;
  }

  /** Value of the longest prefix holding the address, or -1 when none does. Allocates nothing once built. */
  lookup(w0: number, w1: number, w2: number, w3: number): number {
    if (this.stale) this.build();
    const a0 = w0 ^ SIGN;
    const a1 = w1 ^ SIGN;
    const a2 = w2 ^ SIGN;
    const a3 = w3 ^ SIGN;
    const bits = this.rootBits;
    const addr = this.addr;
    addr[0] = w0;
    addr[1] = w1;
    addr[2] = w2;
    addr[3] = w3;
    const child = this.child;
    let at = bits === 0 ? 0 : (w0 >>> 0) >>> (32 - bits);
    for (let byte = bits >>> 3; ; byte++) {
      const next = child[at]!;
      if (next === 0) break;
      at = next + ((addr[byte >>> 2]! >>> (24 - 8 * (byte & 3))) & 0xff);
    }
    const starts = this.starts;
    let lo = this.firstRange[at]!;
    let hi = this.firstRange[at + 1]!;
    // The last range in [lo, hi] starting at or below the address (range lo always does).
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const k = 4 * mid;
      let x = starts[k]!;
      let below: boolean;
      if (x !== a0) below = x < a0;
      else if ((x = starts[k + 1]!) !== a1) below = x < a1;
      else if ((x = starts[k + 2]!) !== a2) below = x < a2;
      else below = starts[k + 3]! <= a3;
      if (below) lo = mid;
      else hi = mid - 1;
    }
    return this.values[lo]!;
  }

  /** Bytes held by the built ranges and index (the route list aside). */
  memoryBytes(): number {
    if (this.stale) this.build();
    return this.starts.byteLength + this.values.byteLength + this.firstRange.byteLength + this.child.byteLength;
  }

  /** Number of ranges the space is cut into (for tests and benchmarks). */
  rangeCount(): number {
    if (this.stale) this.build();
    return this.values.length;
  }

  private build(): void {
    const ranges = flatten([...this.routes.values()]);
    const n = ranges.length;
    this.starts = new Int32Array(4 * n);
    this.values = new Int32Array(n);
    ranges.forEach(([start, value], i) => {
      for (let w = 0; w < 4; w++) this.starts[4 * i + w] = Number((start >> BigInt(96 - 32 * w)) & 0xffffffffn) ^ SIGN;
      this.values[i] = value;
    });
    this.buildIndex(ranges);
    this.stale = false;
  }

  private buildIndex(ranges: readonly (readonly [bigint, number])[]): void {
    const n = ranges.length;
    const rootBits = n <= LEAF_RANGES ? 0 : n < WIDE_ROOT_RANGES ? 8 : 16;
    const firstRange: number[] = [];
    const child: number[] = [];
    // One node over [first, first + 2^(128 - depth)): an entry per slice, the range holding the slice's first
    // address, then a closing entry, the range holding the node's last address; a child for each crowded slice.
    const node = (first: bigint, depth: number, bits: number, lo: number): number => {
      const base = firstRange.length;
      const slices = 1 << bits;
      const width = 1n << BigInt(128 - depth - bits);
      let i = lo;
      for (let s = 0; s <= slices; s++) {
        const at = s < slices ? first + BigInt(s) * width : first + BigInt(slices) * width - 1n;
        while (i + 1 < n && ranges[i + 1]![0] <= at) i++;
        firstRange.push(i);
        child.push(0);
      }
      for (let s = 0; s < slices; s++) {
        const crowded = firstRange[base + s + 1]! - firstRange[base + s]! > LEAF_RANGES;
        if (crowded && depth + bits < 128) child[base + s] = node(first + BigInt(s) * width, depth + bits, 8, firstRange[base + s]!);
      }
      return base;
    };
    node(0n, 0, rootBits, 0);
    this.firstRange = Int32Array.from(firstRange);
    this.child = Int32Array.from(child);
    this.rootBits = rootBits;
  }
}

/** A route's key in the route list: a string, since a Map hashes BigInt keys poorly (measured: minutes for 100k). */
function keyOf(start: bigint, length: number): string {
  return `${start.toString(16)}/${length}`;
}

/**
 * The routes as disjoint ranges covering the whole space: [start, longest match] pairs, ascending, adjacent ranges
 * with the same match merged. Routes nest or are disjoint, so a sweep with a stack of the routes open at each
 * point finds every change of the longest match.
 */
function flatten(routes: Route[]): [bigint, number][] {
  routes.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.length - b.length));
  const out: [bigint, number][] = [[0n, -1]];
  const emit = (at: bigint, value: number): void => {
    const last = out[out.length - 1]!;
    if (last[0] === at) last[1] = value;
    else out.push([at, value]);
  };
  const open: Route[] = [];
  const close = (before: bigint): void => {
    while (open.length > 0 && open[open.length - 1]!.end < before) {
      const done = open.pop()!;
      if (done.end < ALL) emit(done.end + 1n, open.length > 0 ? open[open.length - 1]!.value : -1);
    }
  };
  for (const r of routes) {
    close(r.start);
    emit(r.start, r.value);
    open.push(r);
  }
  close(ALL + 1n);
  const merged: [bigint, number][] = [];
  for (const range of out) if (merged.length === 0 || merged[merged.length - 1]![1] !== range[1]) merged.push(range);
  return merged;
}
