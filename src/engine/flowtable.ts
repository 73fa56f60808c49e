// The flow table, the engine's forwarding cache: each flow's key, counters and cached decision in one 32-byte slot.

import { EmuError } from '../errors.js';

/** Forwarding stages remembered per path (ingress leaf, its underlay choice of spine, egress leaf, and room for static detours). */
export const MAX_STAGES = 6;

/**
 * A slot: 8 int32 words, 32 bytes, so that two share a cache line and none straddles one. The probe that finds a
 * flow reads its key, its decision (the interned path, see paths.ts) and its counters from that one line.
 */
const SLOT_SHIFT = 3;
const SLOT_WORDS = 1 << SLOT_SHIFT;
const W_SRC = 0;
const W_DST = 1;
const W_PORTS = 2;
const W_META = 3;
/** flow index + 1; 0: the slot is empty */
const W_FLOW = 4;
const W_PATH = 5;
/** packets and bytes, low 32 bits; what overflows is carried in a map (a flow past 4 GiB: rare) */
const W_PACKETS = 6;
const W_BYTES = 7;

/**
 * Slots per segment: 2^14 (512 KiB), every segment the same size, none ever discarded. Each segment owns a contiguous
 * range of a directory indexed by the hash's top bits; a segment past HIGH is rebalanced with a neighbour (B*-tree
 * style: 2 into 3 or 2 into 2), moving at most part of two segments' flows, so that no insert pauses for longer than
 * that, however many flows there are, and every segment stays between ~52% and 85% full (measured 52-85% from 30k
 * to 10M flows: 47-55 bytes a flow, 59 at worst, against 43-91 for the split in two this replaced). The split of the
 * table's first segment is the one exception (two segments 43% full, until the table holds ~20k flows).
 */
const SEG_BITS = 14;
const SEG_SLOTS = 1 << SEG_BITS;
const SLOT_MASK = SEG_SLOTS - 1;
const SEG_WORDS = SEG_SLOTS * SLOT_WORDS;
const SEG_WORD_MASK = SEG_WORDS - 1;
/** A segment holding more flows than this (85%) is rebalanced: linear probing stays short. */
const HIGH = Math.floor(SEG_SLOTS * 0.85);
/**
 * A pair holding more than 1.6 segments' worth splits 2 into 3, each then 53% full (32 bytes a slot: 60 bytes a
 * flow), less a cut's error (a sample of the flows, whole directory entries: a few percent); a pair holding less is
 * redistributed 2 into 2, each then ~80%: clearly below HIGH, so that the pair takes hundreds more inserts each
 * before it can be rebalanced again (no storm of rebalances; the tests check it after every rebalance).
 */
const SPLIT_SUM = Math.floor(SEG_SLOTS * 1.6);
/**
 * Directory bits: the directory is `dir[h >>> (32 - dirBits)]`, the slot a probe starts at the hash's low SEG_BITS
 * bits: independent while dirBits <= 32 - SEG_BITS. At least 1 (`h >>> 32` is `h` in JS).
 */
const MIN_DIR_BITS = 6;
const MAX_DIR_BITS = 32 - SEG_BITS;
/**
 * A rebalance cuts ranges of at least this many directory entries (the directory doubles first when a cut would
 * not): an entry is then ~6% of a segment's flows at most, a cut within ~3% of an equal share. 16 rather than 32:
 * the directory stays half the size (64 KiB at 10M flows), measured faster at 10M flows.
 */
const MIN_ENTRIES = 16;
/**
 * A rebalance places its cuts by the flows in every 8th slot (an eighth of the hashing a full count would take;
 * ~1.5% error in a part): the cuts' error stays within the margins of HIGH and SPLIT_SUM.
 */
const SAMPLE = 8;
/** Segment ids are 16-bit in the directory: 2^16 segments (32 GiB, some 700M flows) at most. */
const MAX_SEGS = 1 << 16;
/** A table sized beforehand starts with its segments this full at `expectedFlows`. */
const PRESIZE_FILL = Math.floor(SEG_SLOTS * 0.75);
/**
 * The per-flow VXLAN source ports grow in chunks, never copied: chunk k holds 2^(12+k) flows (the first 8 KiB, so that
 * a small table is not charged much), flows 2^12 * (2^k - 1) on; int32 arithmetic holds up to chunk 18, past the
 * ~900M flows MAX_SEGS allows. Doubling keeps the chunks few: each is an ArrayBuffer,
 * and V8's full collections, which external memory's growth sets off, sweep every one. With chunks of 8 KiB each
 * those took 10-15 ms at 10M flows (2442 chunks), the longest pause of an insert, against 2 ms with 153.
 */
const CHUNK_BITS = 12;
const TWO32 = 4294967296;

/**
 * The meta bit of an IPv6 flow: its source and destination words are ids in the engine's AddressTable (addrs.ts),
 * not IPv4 addresses. It takes the top bit of the VRF field, which leaves VRFs 0..2047 (MAX_VRFS).
 */
export const META_IPV6 = 0x80000000;
export const MAX_VRFS = 2048;

/** findOrAdd's answer for a flow it has just inserted: the caller forwards it and calls setPath. */
export const NEW_FLOW = -1;

/** fmix32 from MurmurHash3 over the key: a cheap, well-mixed slot hash for the table itself (not an ECMP hash). */
export function slotHash(src: number, dst: number, ports: number, meta: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ports, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ meta, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Linear probing in one segment from the slot the hash's low bits name: the word offset of the key's slot, or
 * -(offset + 1) of the empty slot where it would go. Slots side by side: the next probe is usually in the same line.
 */
function probe(seg: Int32Array, h: number, src: number, dst: number, ports: number, meta: number): number {
  for (let at = (h & SLOT_MASK) * SLOT_WORDS; ; at = (at + SLOT_WORDS) & SEG_WORD_MASK) {
    if (seg[at + W_FLOW] === 0) return -at - 1;
    if (seg[at] === src && seg[at + W_DST] === dst && seg[at + W_PORTS] === ports && seg[at + W_META] === meta) return at;
  }
}

/** The source-port chunk flow f is in, and that chunk's first flow (CHUNK_BITS). */
function chunkOf(f: number): number {
  return 31 - Math.clz32((f >>> CHUNK_BITS) + 1);
}
function chunkStart(k: number): number {
  return ((1 << k) - 1) << CHUNK_BITS;
}

/** The hash of the flow in a slot. */
function hashAt(seg: Int32Array, at: number): number {
  return slotHash(seg[at]!, seg[at + W_DST]!, seg[at + W_PORTS]!, seg[at + W_META]!);
}

/** What FlowTable.layout reports (tests and the bench). */
export interface FlowTableLayout {
  /** flows per segment, in directory order */
  fills: number[];
  slotsPerSegment: number;
  dirEntries: number;
  rebalances: number;
  /** flows written to another slot by rebalances, in all */
  moves: number;
  /** the fullest segment a rebalance left, as a fraction of a segment (0 before the first) */
  lastRebalanceMax: number;
}

/**
 * Flows keyed by (source, destination, ports, meta), meta packing the protocol and where the flow entered the
 * fabric. Each flow has a dense index in first-seen order (the report's order), read through the accessors below.
 */
export class FlowTable {
  size = 0;
  /** The flow findOrAdd last found or inserted. */
  last = -1;
  private segs: Int32Array[] = [new Int32Array(SEG_WORDS)];
  /** per segment: flows in it, and the directory range [lo, hi) it owns (the ranges partition the directory) */
  private fill: number[] = [0];
  private lo: number[] = [0];
  private hi: number[] = [1 << MIN_DIR_BITS];
  /** directory: the top `dirBits` bits of a hash -> segment */
  private dir = new Uint16Array(1 << MIN_DIR_BITS);
  private dirBits = MIN_DIR_BITS;
  private dirShift = 32 - MIN_DIR_BITS;
  /** a rebalance's flows per directory entry of the pair's range (reused; grown when a range is wider) */
  private hist = new Uint16Array(4 * MIN_ENTRIES);
  /** a rebalance's cut points (directory entries) and the flows each part gets */
  private readonly cuts = new Int32Array(4);
  /** a rebalance's flows gained (lost) by each part */
  private readonly delta = new Int32Array(3);
  private rebalances = 0;
  private moves = 0;
  private lastRebalanceMax = 0;
  /** per flow, in chunks (CHUNK_BITS): its VXLAN source port */
  private sport: Uint16Array[] = [];
  /** flows the chunks hold */
  private sportCapacity = 0;
  /**
   * per flow: its slot (segment << SEG_BITS | slot), built when first asked for after an insert (the report, the
   * merge): kept up to date through rebalances, it would cost a cache miss per moved flow (measured: 11% of first sight)
   */
  private order: Int32Array | undefined;
  /** counter overflow past 32 bits, by 2 * flow + (0 packets, 1 bytes) */
  private readonly carries = new Map<number, number>();
  /** where the flow inserted last lies, for setPath */
  private newSeg: Int32Array = this.segs[0]!;
  private newAt = 0;

  /**
   * `expectedFlows`: start with the segments that many flows need (75% full at that count), the directory split
   * evenly between them, instead of rebalancing its way there.
   */
  constructor(expectedFlows = 0) {
    const n = Math.max(1, Math.ceil(expectedFlows / PRESIZE_FILL));
    if (n > MAX_SEGS) throw new EmuError(`flow table: ${expectedFlows} flows expected, more than it holds`, 'flow table');
    const bits = Math.min(MAX_DIR_BITS, Math.max(MIN_DIR_BITS, Math.ceil(Math.log2(n * MIN_ENTRIES))));
    const entries = 1 << bits;
    this.dir = new Uint16Array(entries);
    this.dirBits = bits;
    this.dirShift = 32 - bits;
    this.lo = [];
    this.hi = [];
    this.fill = [];
    for (let id = 0; id < n; id++) {
      if (id > 0) this.segs.push(new Int32Array(SEG_WORDS));
      this.fill.push(0);
      this.lo.push(Math.floor((id * entries) / n));
      this.hi.push(Math.floor(((id + 1) * entries) / n));
      this.dir.fill(id, this.lo[id], this.hi[id]);
    }
  }

  /** The flow's index, or -1 when it is not in the table. Keys as u32 or as int32 (`x | 0`): the same key. */
  find(src: number, dst: number, ports: number, meta: number): number {
    const h = slotHash(src | 0, dst | 0, ports | 0, meta | 0);
    const seg = this.segs[this.dir[h >>> this.dirShift]!]!;
    const at = probe(seg, h, src | 0, dst | 0, ports | 0, meta | 0);
    return at < 0 ? -1 : seg[at + W_FLOW]! - 1;
  }

  /**
   * Counts `packets` and `bytes` on the flow, inserting it when new. Returns its path, or NEW_FLOW when it was just
   * inserted (then setPath must follow before the next call). `last` is its index either way. Small, so that V8
   * inlines it into the engine's lane: inserting is the rare case, in its own function, and rebalancing in another.
   */
  findOrAdd(src: number, dst: number, ports: number, meta: number, packets: number, bytes: number): number {
    src |= 0;
    dst |= 0;
    ports |= 0;
    meta |= 0;
    const h = slotHash(src, dst, ports, meta);
    const seg = this.segs[this.dir[h >>> this.dirShift]!]!;
    const at = probe(seg, h, src, dst, ports, meta);
    if (at < 0) return this.insert(seg, -at - 1, h, src, dst, ports, meta, packets, bytes);
    const p = (seg[at + W_PACKETS]! >>> 0) + packets;
    const b = (seg[at + W_BYTES]! >>> 0) + bytes;
    if (p > 0xffffffff || b > 0xffffffff) this.carry(seg, at, seg[at + W_FLOW]! - 1, p, b);
    else {
      seg[at + W_PACKETS] = p;
      seg[at + W_BYTES] = b;
    }
    this.last = seg[at + W_FLOW]! - 1;
    return seg[at + W_PATH]!;
  }

  /** Sets the decision of the flow findOrAdd just inserted: its path and VXLAN source port. */
  setPath(path: number, outerSport: number): void {
    this.newSeg[this.newAt + W_PATH] = path;
    this.setOuterSport(this.last, outerSport);
  }

  /** Sets flow f's VXLAN source port (setPath; or one its engine computes later: Engine.outerSportOf). */
  setOuterSport(f: number, outerSport: number): void {
    const k = chunkOf(f);
    this.sport[k]![f - chunkStart(k)] = outerSport;
  }

  private insert(seg: Int32Array, at: number, h: number, src: number, dst: number, ports: number, meta: number, packets: number, bytes: number): number {
    const f = this.size++;
    if (f === this.sportCapacity) {
      const size = 1 << (CHUNK_BITS + this.sport.length);
      this.sport.push(new Uint16Array(size));
      this.sportCapacity += size;
    }
    this.order = undefined;
    seg[at + W_SRC] = src;
    seg[at + W_DST] = dst;
    seg[at + W_PORTS] = ports;
    seg[at + W_META] = meta;
    seg[at + W_FLOW] = f + 1;
    seg[at + W_PATH] = NEW_FLOW;
    seg[at + W_PACKETS] = 0;
    seg[at + W_BYTES] = 0;
    if (packets > 0xffffffff || bytes > 0xffffffff) this.carry(seg, at, f, packets, bytes);
    else {
      seg[at + W_PACKETS] = packets;
      seg[at + W_BYTES] = bytes;
    }
    const id = this.dir[h >>> this.dirShift]!;
    this.last = f;
    this.newSeg = seg;
    this.newAt = at;
    if (++this.fill[id]! > HIGH) {
      this.rebalance(id);
      this.newSeg = this.segs[this.dir[h >>> this.dirShift]!]!;
      this.newAt = probe(this.newSeg, h, src, dst, ports, meta);
    }
    return NEW_FLOW;
  }

  /** Stores counters that no longer fit 32 bits: the low bits in the slot, the rest in the carry map. */
  private carry(seg: Int32Array, at: number, f: number, packets: number, bytes: number): void {
    for (const [w, k, v] of [[W_PACKETS, 2 * f, packets], [W_BYTES, 2 * f + 1, bytes]] as const) {
      const low = v % TWO32;
      seg[at + w] = low;
      if (v !== low) this.carries.set(k, (this.carries.get(k) ?? 0) + (v - low));
    }
  }

  /**
   * Rebalances a segment past HIGH with its fuller neighbour in directory order: a pair holding more than SPLIT_SUM
   * becomes three segments (a new one in the middle), a pair holding less two, the cut points chosen from the flows
   * themselves (their directory entries' counts) so that the parts hold equal shares. The table's only segment splits
   * in two, each ~43% full: the one place a segment is left under half full (until the table holds ~16k flows).
   *
   * The ranges stay contiguous, so each segment only gains flows (its range grows) or only loses them (it shrinks):
   * flows move straight from a losing segment to the one that gains them, and a losing segment is then re-packed in
   * place. No scratch buffer, no buffer freed; only the flows that change segment move (and those re-packing shifts).
   */
  private rebalance(id: number): void {
    const lo = this.lo[id]!;
    const hi = this.hi[id]!;
    const left = lo > 0 ? this.dir[lo - 1]! : -1;
    const right = hi < this.dir.length ? this.dir[hi]! : -1;
    // the pair in directory order; b < 0: the table's only segment
    let a = id;
    let b = right;
    if (left >= 0 && (right < 0 || this.fill[left]! >= this.fill[right]!)) {
      a = left;
      b = id;
    }
    const total = this.fill[a]! + (b < 0 ? 0 : this.fill[b]!);
    let parts = b < 0 || total > SPLIT_SUM ? (b < 0 ? 2 : 3) : 2;
    // A sample of the flows places the cuts; all of them when this segment is past HIGH again (a sample misled).
    let stride = this.fill[id]! > HIGH + 1 ? 1 : SAMPLE;
    for (;;) {
      const from = this.lo[a]!;
      const n = this.hi[b < 0 ? a : b]! - from;
      const sampled = this.histogram(a, b, from, n, stride);
      if (sampled === 0 && stride > 1) {
        stride = 1;
        continue;
      }
      const atMax = this.dirBits >= MAX_DIR_BITS;
      if (this.cut(n, sampled, total / sampled, parts, atMax ? 1 : MIN_ENTRIES)) break;
      if (!atMax) this.growDirectory();
      else if (parts === 2 && b >= 0) parts = 3;
      else throw new EmuError(`flow table: more than ${HIGH} flows share the hash's top ${MAX_DIR_BITS} bits`, 'flow table');
    }
    // the segments after: [a, new] for the only segment, [a, b] for 2 into 2, [a, new, b] for 2 into 3
    const add = b < 0 || parts === 3;
    if (add && this.segs.length >= MAX_SEGS) throw new EmuError(`flow table: more than ${MAX_SEGS} segments`, 'flow table');
    const g = add ? this.segs.length : -1;
    if (add) {
      this.segs.push(new Int32Array(SEG_WORDS));
      this.fill.push(0);
      this.lo.push(0);
      this.hi.push(0);
    }
    const ids = b < 0 ? [a, g] : add ? [a, g, b] : [a, b];
    const base = this.lo[a]!;
    const cuts = this.cuts;
    for (let p = 0; p <= parts; p++) cuts[p] += base;
    // Losing segments give their flows to the gaining ones and are re-packed; then the directory follows.
    const delta = this.delta.fill(0);
    for (let p = 0; p < parts; p++) {
      const s = ids[p]!;
      if (s !== g && (cuts[p]! > this.lo[s]! || cuts[p + 1]! < this.hi[s]!)) this.shed(s, ids, parts);
    }
    let max = 0;
    for (let p = 0; p < parts; p++) {
      const s = ids[p]!;
      this.lo[s] = cuts[p]!;
      this.hi[s] = cuts[p + 1]!;
      this.dir.fill(s, cuts[p], cuts[p + 1]);
      this.fill[s] += delta[p]!;
      max = Math.max(max, this.fill[s]!);
    }
    this.rebalances++;
    this.lastRebalanceMax = max / SEG_SLOTS;
  }

  /**
   * Counts the flows of segments a and b (b < 0: none) per directory entry of their range [from, from + n), those
   * in every `stride`-th slot (a slot's place depends on the hash's low bits, the entry on its top bits: a fair
   * sample): the number counted.
   */
  private histogram(a: number, b: number, from: number, n: number, stride: number): number {
    if (this.hist.length < n) this.hist = new Uint16Array(Math.max(n, 2 * this.hist.length));
    const hist = this.hist;
    hist.fill(0, 0, n);
    const shift = this.dirShift;
    const step = stride * SLOT_WORDS;
    let counted = 0;
    for (let k = 0; k < 2; k++) {
      const seg = this.segs[k === 0 ? a : b]!;
      if (k === 1 && b < 0) break;
      for (let at = 0; at < SEG_WORDS; at += step) {
        if (seg[at + W_FLOW] === 0) continue;
        hist[(hashAt(seg, at) >>> shift) - from]!++;
        counted++;
      }
    }
    return counted;
  }

  /**
   * Cuts the histogram's n entries, holding `counted` flows (each standing for `scale`), into `parts` ranges of at
   * least `min` entries each, at the boundaries nearest to equal shares: this.cuts (relative to the range). False
   * when that is impossible, when the nearest boundary leaves a part fewer than `min` entries (min > 1), or when a
   * part would be past HIGH: the caller doubles the directory, or at its finest splits in 3.
   */
  private cut(n: number, counted: number, scale: number, parts: number, min: number): boolean {
    if (n < parts * min) return false;
    const hist = this.hist;
    const cuts = this.cuts;
    cuts[0] = 0;
    let e = 0;
    let cum = 0;
    for (let p = 1; p < parts; p++) {
      const target = (counted * p) / parts;
      const lowest = cuts[p - 1]! + min;
      const highest = n - (parts - p) * min;
      while (e < n && cum + hist[e]! / 2 < target) cum += hist[e++]!;
      // The boundary nearest to an equal share leaves a part too few entries: a finer directory first, unless at its finest.
      if (e < lowest || e > highest) {
        if (min > 1) return false;
        for (; e < lowest; e++) cum += hist[e]!;
        for (; e > highest; e--) cum -= hist[e - 1]!;
      }
      cuts[p] = e;
    }
    cuts[parts] = n;
    for (let p = 0, q = 0; p < parts; p++) {
      let c = 0;
      for (; q < cuts[p + 1]!; q++) c += hist[q]!;
      if (c * scale > HIGH) return false;
    }
    return true;
  }

  /**
   * Moves the flows of segment s that fall outside its new range to the segments that now own them (parts ids[p]
   * with ranges cuts[p]..cuts[p + 1]: those only gain) and re-packs s in the same pass, in probe order from a slot
   * that was empty before (no flow's probe run crosses it): each flow that stays moves back to the first free slot
   * of its run, which is before it only where a slot of the run has been freed since the last empty one.
   */
  private shed(s: number, ids: number[], parts: number): void {
    const segs = this.segs;
    const seg = segs[s]!;
    const cuts = this.cuts;
    const shift = this.dirShift;
    const p = ids.indexOf(s);
    const mine0 = cuts[p]!;
    const mine1 = cuts[p + 1]!;
    // the parts' segments and upper cuts, in locals: the loop below runs for every slot of the segment
    const cut1 = cuts[1]!;
    const cut2 = parts > 2 ? cuts[2]! : 0x7fffffff;
    const to0 = segs[ids[0]!]!;
    const to1 = segs[ids[1]!]!;
    const to2 = parts > 2 ? segs[ids[2]!]! : to1;
    let gain0 = 0;
    let gain1 = 0;
    let gain2 = 0;
    let empty = 0;
    while (seg[empty * SLOT_WORDS + W_FLOW] !== 0) empty++;
    let moves = 0;
    // slots are counted from the empty one: `free` is the last one found free (or freed)
    let free = 0;
    for (let i = 1; i < SEG_SLOTS; i++) {
      const at = ((empty + i) & SLOT_MASK) * SLOT_WORDS;
      if (seg[at + W_FLOW] === 0) {
        free = i;
        continue;
      }
      const src = seg[at]!;
      const dst = seg[at + W_DST]!;
      const ports = seg[at + W_PORTS]!;
      const meta = seg[at + W_META]!;
      const h = slotHash(src, dst, ports, meta);
      const e = h >>> shift;
      let j = (h & SLOT_MASK) * SLOT_WORDS;
      let to: Int32Array;
      if (e >= mine0 && e < mine1) {
        // the run from its home slot to here holds a free slot only if the last free one is not before its home
        if (i - free > (((at - j) & SEG_WORD_MASK) >>> SLOT_SHIFT)) continue;
        to = seg;
      } else if (e < cut1) {
        to = to0;
        gain0++;
      } else if (e < cut2) {
        to = to1;
        gain1++;
      } else {
        to = to2;
        gain2++;
      }
      while (to[j + W_FLOW] !== 0) j = (j + SLOT_WORDS) & SEG_WORD_MASK;
      to[j] = src;
      to[j + W_DST] = dst;
      to[j + W_PORTS] = ports;
      to[j + W_META] = meta;
      to[j + W_FLOW] = seg[at + W_FLOW]!;
      to[j + W_PATH] = seg[at + W_PATH]!;
      to[j + W_PACKETS] = seg[at + W_PACKETS]!;
      to[j + W_BYTES] = seg[at + W_BYTES]!;
      seg[at + W_FLOW] = 0;
      free = i;
      moves++;
    }
    const delta = this.delta;
    delta[0] += gain0;
    delta[1] += gain1;
    delta[2] += gain2;
    delta[p] -= gain0 + gain1 + gain2;
    this.moves += moves;
  }

  /** Doubles the directory: every entry in two, every range twice as wide (O(directory), rare). */
  private growDirectory(): void {
    const n = this.dir.length;
    const dir = new Uint16Array(2 * n);
    for (let i = 0; i < n; i++) dir[2 * i] = dir[2 * i + 1] = this.dir[i]!;
    this.dir = dir;
    this.dirBits++;
    this.dirShift--;
    for (let s = 0; s < this.segs.length; s++) {
      this.lo[s]! *= 2;
      this.hi[s]! *= 2;
    }
  }

  /**
   * Calls `visit` for every flow in table order (not first-seen order): a sequential walk of the slots, for sums
   * that do not depend on order (the report's), at a fraction of the cost of a random access per flow.
   */
  scan(visit: (f: number, src: number, dst: number, ports: number, meta: number, path: number, packets: number, bytes: number) => void): void {
    const carried = this.carries.size > 0;
    for (const seg of this.segs) {
      for (let at = 0; at < SEG_WORDS; at += SLOT_WORDS) {
        const flow = seg[at + W_FLOW]!;
        if (flow === 0) continue;
        const f = flow - 1;
        let packets = seg[at + W_PACKETS]! >>> 0;
        let bytes = seg[at + W_BYTES]! >>> 0;
        if (carried) {
          packets += this.carries.get(2 * f) ?? 0;
          bytes += this.carries.get(2 * f + 1) ?? 0;
        }
        visit(f, seg[at]! >>> 0, seg[at + W_DST]! >>> 0, seg[at + W_PORTS]! >>> 0, seg[at + W_META]! >>> 0, seg[at + W_PATH]!, packets, bytes);
      }
    }
  }

  /** The flow's slot: its segment and the slot in it. */
  private slot(f: number): number {
    return (this.order ??= this.buildOrder())[f]!;
  }

  private buildOrder(): Int32Array {
    const order = new Int32Array(this.size);
    this.segs.forEach((seg, id) => {
      for (let at = 0; at < SEG_WORDS; at += SLOT_WORDS) {
        const flow = seg[at + W_FLOW]!;
        if (flow !== 0) order[flow - 1] = (id << SEG_BITS) | (at / SLOT_WORDS);
      }
    });
    return order;
  }
  private word(f: number, w: number): number {
    const g = this.slot(f);
    return this.segs[g >>> SEG_BITS]![(g & (SEG_SLOTS - 1)) * SLOT_WORDS + w]!;
  }

  srcOf(f: number): number {
    return this.word(f, W_SRC) >>> 0;
  }
  dstOf(f: number): number {
    return this.word(f, W_DST) >>> 0;
  }
  /** sport << 16 | dport */
  portsOf(f: number): number {
    return this.word(f, W_PORTS) >>> 0;
  }
  /** proto | entry leaf << 8 | entry vrf << 20 | META_IPV6 for an IPv6 flow */
  metaOf(f: number): number {
    return this.word(f, W_META) >>> 0;
  }
  /** The flow's path (paths.ts): its reason, VTEP, VM and stages. */
  pathOf(f: number): number {
    return this.word(f, W_PATH);
  }
  packetsOf(f: number): number {
    const low = this.word(f, W_PACKETS) >>> 0;
    return this.carries.size === 0 ? low : low + (this.carries.get(2 * f) ?? 0);
  }
  bytesOf(f: number): number {
    const low = this.word(f, W_BYTES) >>> 0;
    return this.carries.size === 0 ? low : low + (this.carries.get(2 * f + 1) ?? 0);
  }
  /** The outer UDP source port of its VXLAN encapsulation as stored: 0 when not encapsulated or not yet computed (Engine.outerSportOf). */
  outerSportOf(f: number): number {
    const k = chunkOf(f);
    return this.sport[k]![f - chunkStart(k)]!;
  }

  /** Memory the table holds: segments, directory, the rebalance histogram, per-flow chunks and carries (the path table is apart). */
  bytesHeld(): number {
    const segs = this.segs.length;
    // per segment also its fill and range (3 small numbers), per carry a map entry (~32 bytes)
    return segs * (SEG_WORDS * 4 + 24) + this.dir.byteLength + this.hist.byteLength + this.sportCapacity * 2 + this.carries.size * 32;
  }

  /**
   * For tests and the bench: the segments' fills in directory order, the directory's size and what rebalancing has
   * cost. `check` also verifies the structure (throws on the first fault): the ranges partition the directory, each
   * segment's count is its flows', and every flow lies in its segment's range where a probe finds it. O(table).
   */
  layout(check = false): FlowTableLayout {
    const order: number[] = [];
    for (let e = 0; e < this.dir.length; e = this.hi[this.dir[e]!]!) order.push(this.dir[e]!);
    if (check) {
      if (order.length !== this.segs.length) throw new Error(`flow table: ${order.length} ranges for ${this.segs.length} segments`);
      for (const s of order) {
        if (this.hi[s]! <= this.lo[s]!) throw new Error(`flow table: segment ${s}: empty range`);
        for (let e = this.lo[s]!; e < this.hi[s]!; e++) if (this.dir[e] !== s) throw new Error(`flow table: entry ${e} is not segment ${s}'s`);
        const seg = this.segs[s]!;
        let n = 0;
        for (let at = 0; at < SEG_WORDS; at += SLOT_WORDS) {
          if (seg[at + W_FLOW] === 0) continue;
          n++;
          const h = hashAt(seg, at);
          const e = h >>> this.dirShift;
          if (e < this.lo[s]! || e >= this.hi[s]!) throw new Error(`flow table: flow ${seg[at + W_FLOW]! - 1} in segment ${s}, outside its range`);
          if (probe(seg, h, seg[at]!, seg[at + W_DST]!, seg[at + W_PORTS]!, seg[at + W_META]!) !== at) throw new Error(`flow table: flow ${seg[at + W_FLOW]! - 1} not found by a probe`);
        }
        if (n !== this.fill[s]) throw new Error(`flow table: segment ${s} counts ${this.fill[s]} flows, holds ${n}`);
      }
    }
    return {
      fills: order.map((s) => this.fill[s]!),
      slotsPerSegment: SEG_SLOTS,
      dirEntries: this.dir.length,
      rebalances: this.rebalances,
      moves: this.moves,
      lastRebalanceMax: this.lastRebalanceMax,
    };
  }

  /** Rebalances so far (cheap, for a test watching each insert). */
  get rebalanceCount(): number {
    return this.rebalances;
  }

  static sport(ports: number): number {
    return ports >>> 16;
  }
  static dport(ports: number): number {
    return ports & 0xffff;
  }
  static proto(meta: number): number {
    return meta & 0xff;
  }
  static entryLeaf(meta: number): number {
    return (meta >>> 8) & 0xfff;
  }
  static entryVrf(meta: number): number {
    return (meta >>> 20) & (MAX_VRFS - 1);
  }
  /** The flow is IPv6: its src and dst words are AddressTable ids. */
  static isIpv6(meta: number): boolean {
    return (meta & META_IPV6) !== 0;
  }
  static meta(proto: number, leaf: number, vrf: number): number {
    return (proto | (leaf << 8) | (vrf << 20)) >>> 0;
  }
}
