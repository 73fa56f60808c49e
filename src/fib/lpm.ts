// IPv4 longest-prefix match: a DIR-16-8-8 multibit trie whose /24 and /32 stride chunks exist only where needed.
//
// Lookup reads at most three Int32Array entries: top[addr >>> 16], then a 256-entry chunk for bits 15..8, then
// one for bits 7..0. An entry is 0 (no route), value + 1 (a leaf), or ~chunkIndex (negative: descend), so the
// hot path stays in small integers. Prefixes are
// expanded into the entries they cover (controlled prefix expansion); a parallel Uint8Array remembers which
// prefix length painted each leaf, so a longer prefix is never overwritten by a shorter one and a removal
// repaints exactly its own entries with the next covering prefix. A table with few prefixes (a VRF with three
// routes) stays a short linear list and allocates no trie at all.

const STRIDE = 256;

/** Largest value an entry can carry (value + 1 must stay a positive int32). */
export const MAX_VALUE = 0x7ffffffe;

/** A table holding at most this many prefixes is searched linearly instead of through the trie. */
export const DEFAULT_LINEAR_MAX = 16;

const MODE_INSERT = 0;
const MODE_REMOVE = 1;

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Open-addressing map from (prefix, length) to value: the authoritative list of routes. */
class RouteMap {
  private prefixes: Uint32Array;
  private lengths: Uint8Array; // length + 1; 0 marks an empty slot
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 16) {
    this.prefixes = new Uint32Array(capacity);
    this.lengths = new Uint8Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  private slotOf(prefix: number, length: number): number {
    let h = Math.imul(prefix ^ Math.imul(length + 1, 0x9e3779b9), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 13;
    return h & this.mask;
  }

  get(prefix: number, length: number): number {
    const tag = length + 1;
    for (let s = this.slotOf(prefix, length); ; s = (s + 1) & this.mask) {
      const l = this.lengths[s];
      if (l === 0) return -1;
      if (l === tag && this.prefixes[s] === prefix) return this.values[s];
    }
  }

  /** @returns the value it replaced, or -1 when the route is new */
  set(prefix: number, length: number, value: number): number {
    if ((this.size + 1) * 4 > this.lengths.length * 3) this.grow();
    const tag = length + 1;
    for (let s = this.slotOf(prefix, length); ; s = (s + 1) & this.mask) {
      const l = this.lengths[s];
      if (l === 0) {
        this.prefixes[s] = prefix;
        this.lengths[s] = tag;
        this.values[s] = value;
        this.size++;
        return -1;
      }
      if (l === tag && this.prefixes[s] === prefix) {
        const old = this.values[s];
        this.values[s] = value;
        return old;
      }
    }
  }

  /** @returns the value it held, or -1 when there was no such route */
  delete(prefix: number, length: number): number {
    const tag = length + 1;
    let s = this.slotOf(prefix, length);
    for (; ; s = (s + 1) & this.mask) {
      const l = this.lengths[s];
      if (l === 0) return -1;
      if (l === tag && this.prefixes[s] === prefix) break;
    }
    const old = this.values[s];
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let hole = s;
    for (let j = (s + 1) & this.mask; this.lengths[j] !== 0; j = (j + 1) & this.mask) {
      const home = this.slotOf(this.prefixes[j], this.lengths[j] - 1);
      if (((j - home) & this.mask) >= ((j - hole) & this.mask)) {
        this.prefixes[hole] = this.prefixes[j];
        this.lengths[hole] = this.lengths[j];
        this.values[hole] = this.values[j];
        hole = j;
      }
    }
    this.lengths[hole] = 0;
    this.size--;
    return old;
  }

  private grow(): void {
    const { prefixes, lengths, values } = this;
    const capacity = lengths.length * 2;
    this.prefixes = new Uint32Array(capacity);
    this.lengths = new Uint8Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let i = 0; i < lengths.length; i++) if (lengths[i] !== 0) this.set(prefixes[i], lengths[i] - 1, values[i]);
  }

  get byteLength(): number {
    return this.prefixes.byteLength + this.lengths.byteLength + this.values.byteLength;
  }
}

/** A pool of 256-entry chunks in one growable pair of typed arrays, with a free list. */
class ChunkPool {
  entries: Int32Array;
  lengths: Uint8Array;
  used = 0;
  private readonly free: number[] = [];

  constructor(
    capacityChunks: number,
    private readonly maxChunks: number,
  ) {
    this.entries = new Int32Array(capacityChunks * STRIDE);
    this.lengths = new Uint8Array(capacityChunks * STRIDE);
  }

  /** A chunk whose every entry is `entry`, painted by a prefix of `length`. */
  alloc(entry: number, length: number): number {
    let chunk = this.free.pop();
    if (chunk === undefined) {
      if ((this.used + 1) * STRIDE > this.entries.length) {
        // Grow by half, not double: at 1M prefixes the pools are most of the memory.
        const chunks = Math.min(this.maxChunks, Math.ceil((this.entries.length / STRIDE) * 1.5));
        const entries = new Int32Array(chunks * STRIDE);
        entries.set(this.entries);
        this.entries = entries;
        const lengths = new Uint8Array(chunks * STRIDE);
        lengths.set(this.lengths);
        this.lengths = lengths;
      }
      chunk = this.used++;
    }
    const at = chunk * STRIDE;
    this.entries.fill(entry, at, at + STRIDE);
    this.lengths.fill(length, at, at + STRIDE);
    return chunk;
  }

  release(chunk: number): void {
    this.free.push(chunk);
  }

  get live(): number {
    return this.used - this.free.length;
  }

  get byteLength(): number {
    return this.entries.byteLength + this.lengths.byteLength;
  }
}

export interface LpmOptions {
  /** search linearly while the table holds at most this many prefixes (default 16; 0 builds the trie at once) */
  linearMax?: number;
}

export class Lpm {
  private readonly routes = new RouteMap();
  private readonly linearMax: number;

  // Linear form, longest prefixes first: used while `top` is null.
  private linPrefix: Int32Array;
  private linMask: Int32Array;
  private linLength: Uint8Array;
  private linValue: Int32Array;
  private linCount = 0;

  // Trie form.
  private top: Int32Array | null = null;
  private topLength: Uint8Array | null = null;
  private l2: ChunkPool | null = null;
  private l3: ChunkPool | null = null;

  constructor(options: LpmOptions = {}) {
    const linearMax = options.linearMax ?? DEFAULT_LINEAR_MAX;
    if (!Number.isInteger(linearMax) || linearMax < 0) {
      throw new RangeError(`linearMax must be a non-negative integer, got ${String(linearMax)}`);
    }
    this.linearMax = linearMax;
    this.linPrefix = new Int32Array(linearMax);
    this.linMask = new Int32Array(linearMax);
    this.linLength = new Uint8Array(linearMax);
    this.linValue = new Int32Array(linearMax);
    if (linearMax === 0) this.buildTrie();
  }

  /** number of distinct prefixes held */
  get size(): number {
    return this.routes.size;
  }

  /**
   * Add a route, or replace the value of the same prefix. `prefix` is an IPv4 address as an unsigned (or signed)
   * 32-bit integer in host order; its bits below `length` are ignored.
   */
  insert(prefix: number, length: number, value: number): void {
    if (!Number.isInteger(length) || length < 0 || length > 32) {
      throw new RangeError(`prefix length must be an integer from 0 to 32, got ${String(length)}`);
    }
    if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE) {
      throw new RangeError(`route value must be an integer from 0 to ${MAX_VALUE}, got ${String(value)}`);
    }
    if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < -0x80000000 || prefix > 0xffffffff) {
      throw new RangeError(`prefix must be a 32-bit integer, got ${String(prefix)}`);
    }
    const p = (prefix & maskOf(length)) >>> 0;
    const replaced = this.routes.set(p, length, value);
    if (replaced === value) return;
    if (this.top === null) {
      if (replaced === -1 && this.linCount === this.linearMax) {
        this.buildTrie();
      } else {
        this.linearPut(p, length, value);
        return;
      }
    }
    this.paint(p, length, value + 1, length, MODE_INSERT);
  }

  /** Remove a route; @returns whether it was there. */
  remove(prefix: number, length: number): boolean {
    if (!Number.isInteger(length) || length < 0 || length > 32) return false;
    const p = (prefix & maskOf(length)) >>> 0;
    if (this.routes.delete(p, length) === -1) return false;
    if (this.top === null) {
      this.linearDelete(p, length);
      return true;
    }
    // Repaint with the longest shorter prefix that covers this one, or with "no route".
    let cover = 0;
    let coverLength = 0;
    for (let l = length - 1; l >= 0; l--) {
      const v = this.routes.get((p & maskOf(l)) >>> 0, l);
      if (v !== -1) {
        cover = v + 1;
        coverLength = l;
        break;
      }
    }
    this.paint(p, length, cover, coverLength, MODE_REMOVE);
    return true;
  }

  /** Value of the longest prefix containing `addr`, or -1 when none does. Hot path: no allocation. */
  lookup(addr: number): number {
    const top = this.top;
    if (top === null) return this.linearLookup(addr);
    let e = top[addr >>> 16];
    if (e < 0) {
      e = (this.l2 as ChunkPool).entries[(~e << 8) | ((addr >>> 8) & 0xff)];
      if (e < 0) e = (this.l3 as ChunkPool).entries[(~e << 8) | (addr & 0xff)];
    }
    return e - 1;
  }

  /**
   * lookup() over `count` addresses of a batch, into `out`. Works level by level over the whole batch, so the
   * memory loads of one level are independent of each other and the CPU overlaps their cache misses.
   */
  lookupBatch(addrs: Uint32Array, out: Int32Array, count: number = addrs.length): void {
    const top = this.top;
    if (top === null) {
      for (let i = 0; i < count; i++) out[i] = this.linearLookup(addrs[i]);
      return;
    }
    const l2 = (this.l2 as ChunkPool).entries;
    const l3 = (this.l3 as ChunkPool).entries;
    for (let i = 0; i < count; i++) out[i] = top[addrs[i] >>> 16];
    for (let i = 0; i < count; i++) {
      const e = out[i];
      if (e < 0) out[i] = l2[(~e << 8) | ((addrs[i] >>> 8) & 0xff)];
    }
    for (let i = 0; i < count; i++) {
      const e = out[i];
      out[i] = (e < 0 ? l3[(~e << 8) | (addrs[i] & 0xff)] : e) - 1;
    }
  }

  /** Bytes held by the table's typed arrays (routes, trie and chunk pools). */
  memoryBytes(): number {
    let bytes = this.routes.byteLength;
    bytes += this.linPrefix.byteLength + this.linMask.byteLength + this.linLength.byteLength + this.linValue.byteLength;
    if (this.top !== null) bytes += this.top.byteLength + (this.topLength as Uint8Array).byteLength;
    if (this.l2 !== null) bytes += this.l2.byteLength;
    if (this.l3 !== null) bytes += this.l3.byteLength;
    return bytes;
  }

  /** Chunks in use at the second and third level (for tests and benchmarks). */
  chunkCounts(): { l2: number; l3: number } {
    return { l2: this.l2?.live ?? 0, l3: this.l3?.live ?? 0 };
  }

  // ---- linear form ----

  private linearLookup(addr: number): number {
    const n = this.linCount;
    const prefixes = this.linPrefix;
    const masks = this.linMask;
    for (let i = 0; i < n; i++) if ((addr & masks[i]) === prefixes[i]) return this.linValue[i];
    return -1;
  }

  private linearPut(p: number, length: number, value: number): void {
    const n = this.linCount;
    for (let i = 0; i < n; i++) {
      if (this.linLength[i] === length && this.linPrefix[i] === (p | 0)) {
        this.linValue[i] = value;
        return;
      }
    }
    // Keep longest first, so the first match is the longest.
    let at = n;
    while (at > 0 && this.linLength[at - 1] < length) {
      this.linPrefix[at] = this.linPrefix[at - 1];
      this.linMask[at] = this.linMask[at - 1];
      this.linLength[at] = this.linLength[at - 1];
      this.linValue[at] = this.linValue[at - 1];
      at--;
    }
    this.linPrefix[at] = p | 0;
    this.linMask[at] = maskOf(length) | 0;
    this.linLength[at] = length;
    this.linValue[at] = value;
    this.linCount = n + 1;
  }

  private linearDelete(p: number, length: number): void {
    const n = this.linCount;
    for (let i = 0; i < n; i++) {
      if (this.linLength[i] !== length || this.linPrefix[i] !== (p | 0)) continue;
      this.linPrefix.copyWithin(i, i + 1, n);
      this.linMask.copyWithin(i, i + 1, n);
      this.linLength.copyWithin(i, i + 1, n);
      this.linValue.copyWithin(i, i + 1, n);
      this.linCount = n - 1;
      return;
    }
  }

  /** Switch to the trie and paint every route of the linear form into it. */
  private buildTrie(): void {
    this.top = new Int32Array(1 << 16);
    this.topLength = new Uint8Array(1 << 16);
    this.l2 = new ChunkPool(16, 1 << 16); // at most one per top entry
    this.l3 = new ChunkPool(16, 1 << 24); // at most one per /24
    for (let i = 0; i < this.linCount; i++) {
      const length = this.linLength[i];
      this.paint(this.linPrefix[i] >>> 0, length, this.linValue[i] + 1, length, MODE_INSERT);
    }
    this.linCount = 0;
  }

  // ---- trie form ----

  /**
   * Paint the entries prefix `p`/`length` covers with `entry` (painted by `entryLength`). Insert overwrites leaves
   * painted by prefixes no longer than `length`; remove overwrites leaves painted by `length` itself (only p/length
   * can have painted them) and folds chunks that became uniform back into their parent entry.
   */
  private paint(p: number, length: number, entry: number, entryLength: number, mode: number): void {
    const top = this.top as Int32Array;
    const topLength = this.topLength as Uint8Array;
    if (length <= 16) {
      const first = p >>> 16;
      const end = first + (1 << (16 - length));
      for (let t = first; t < end; t++) {
        const e = top[t];
        if (e < 0) {
          this.paintL2(~e, 0, STRIDE, length, entry, entryLength, mode);
          if (mode === MODE_REMOVE) this.foldL2(t);
        } else if (mode === MODE_INSERT ? topLength[t] <= length : topLength[t] === length) {
          top[t] = entry;
          topLength[t] = entryLength;
        }
      }
      return;
    }
    // Removal too expands a folded leaf first: 256 equal /24s fold into one top entry that remembers length 24.
    const t = p >>> 16;
    const c2 = this.chunkAtTop(t);
    if (length <= 24) {
      this.paintL2(c2, (p >>> 8) & 0xff, 1 << (24 - length), length, entry, entryLength, mode);
    } else {
      const i2 = (c2 << 8) | ((p >>> 8) & 0xff);
      const c3 = this.chunkAtL2(i2);
      this.paintL3(c3, p & 0xff, 1 << (32 - length), length, entry, entryLength, mode);
      if (mode === MODE_REMOVE) this.foldL3(i2);
    }
    if (mode === MODE_REMOVE) this.foldL2(t);
  }

  private paintL2(
    chunk: number,
    start: number,
    count: number,
    length: number,
    entry: number,
    entryLength: number,
    mode: number,
  ): void {
    const pool = this.l2 as ChunkPool;
    const base = chunk << 8;
    for (let i = base + start, end = base + start + count; i < end; i++) {
      const e = pool.entries[i];
      if (e < 0) {
        this.paintL3(~e, 0, STRIDE, length, entry, entryLength, mode);
        if (mode === MODE_REMOVE) this.foldL3(i);
      } else if (mode === MODE_INSERT ? pool.lengths[i] <= length : pool.lengths[i] === length) {
        pool.entries[i] = entry;
        pool.lengths[i] = entryLength;
      }
    }
  }

  private paintL3(
    chunk: number,
    start: number,
    count: number,
    length: number,
    entry: number,
    entryLength: number,
    mode: number,
  ): void {
    const pool = this.l3 as ChunkPool;
    const entries = pool.entries;
    const lengths = pool.lengths;
    const base = chunk << 8;
    for (let i = base + start, end = base + start + count; i < end; i++) {
      if (mode === MODE_INSERT ? lengths[i] <= length : lengths[i] === length) {
        entries[i] = entry;
        lengths[i] = entryLength;
      }
    }
  }

  /** The second-level chunk under top entry `t`, made from its leaf if there is none yet. */
  private chunkAtTop(t: number): number {
    const top = this.top as Int32Array;
    const e = top[t];
    if (e < 0) return ~e;
    const topLength = this.topLength as Uint8Array;
    const chunk = (this.l2 as ChunkPool).alloc(e, topLength[t]);
    top[t] = ~chunk;
    topLength[t] = 0;
    return chunk;
  }

  /** The third-level chunk under second-level entry `i2`, made from its leaf if there is none yet. */
  private chunkAtL2(i2: number): number {
    const l2 = this.l2 as ChunkPool;
    const e = l2.entries[i2];
    if (e < 0) return ~e;
    const chunk = (this.l3 as ChunkPool).alloc(e, l2.lengths[i2]);
    l2.entries[i2] = ~chunk;
    l2.lengths[i2] = 0;
    return chunk;
  }

  /** If the third-level chunk under `i2` holds one leaf 256 times, put that leaf back in `i2`. */
  private foldL3(i2: number): void {
    const l2 = this.l2 as ChunkPool;
    const l3 = this.l3 as ChunkPool;
    const e = l2.entries[i2];
    if (e >= 0) return;
    const chunk = ~e;
    const base = chunk << 8;
    const entry = l3.entries[base];
    const length = l3.lengths[base];
    for (let i = base + 1; i < base + STRIDE; i++) {
      if (l3.entries[i] !== entry || l3.lengths[i] !== length) return;
    }
    l2.entries[i2] = entry;
    l2.lengths[i2] = length;
    l3.release(chunk);
  }

  /** If the second-level chunk under top entry `t` holds one leaf 256 times, put that leaf back in `t`. */
  private foldL2(t: number): void {
    const top = this.top as Int32Array;
    const l2 = this.l2 as ChunkPool;
    const e = top[t];
    if (e >= 0) return;
    const chunk = ~e;
    const base = chunk << 8;
    const entry = l2.entries[base];
    const length = l2.lengths[base];
    if (entry < 0) return;
    for (let i = base + 1; i < base + STRIDE; i++) {
      if (l2.entries[i] !== entry || l2.lengths[i] !== length) return;
    }
    top[t] = entry;
    (this.topLength as Uint8Array)[t] = length;
    l2.release(chunk);
  }
}
