// The flow table, the engine's forwarding cache: each flow's key, counters and cached decision in one 32-byte slot.

import { EmuError } from '../errors.js';

/** Forwarding stages remembered per path (ingress leaf, its underlay choice of spine, egress leaf, and room for static detours). */
export const MAX_STAGES = 6;

/**
 * A slot: 8 int32 words, 32 bytes, so that two share a cache line and none straddles one. The probe that finds a
 * flow reads its key, its decision (the interned path, see paths.ts) and its counters from that one line.
 */
const SLOT_WORDS = 8;
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
 * Slots per segment: 2^14 (512 KiB). The table is a directory of segments (extendible hashing): a full segment
 * splits in two, moving at most its own 12k flows; the table never rehashes as a whole, so no insert pauses for
 * longer than one segment's split, however many flows there are.
 */
const SEG_BITS = 14;
const SEG_SLOTS = 1 << SEG_BITS;
const SEG_WORDS = SEG_SLOTS * SLOT_WORDS;
const SEG_WORD_MASK = SEG_WORDS - 1;
/** The slot a probe starts at comes from the hash's top bits, the segment from its low bits: independent. */
const SEG_SHIFT = 32 - SEG_BITS;
/** A segment splits when 3/4 full: linear probing stays short, a slot is 43-85 bytes per flow. */
const SEG_MAX_FILL = (SEG_SLOTS * 3) >>> 2;
/** 2^18 segments at most (3 billion flows): beyond, the directory's bits would meet the slot bits. */
const MAX_DEPTH = SEG_SHIFT;
/** The per-flow VXLAN source ports grow in chunks: never copied. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
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
function slotHash(src: number, dst: number, ports: number, meta: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ports, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ meta, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Linear probing in one segment from the slot the hash's top bits name: the word offset of the key's slot, or
 * -(offset + 1) of the empty slot where it would go. Slots side by side: the next probe is usually in the same line.
 */
function probe(seg: Int32Array, h: number, src: number, dst: number, ports: number, meta: number): number {
  for (let at = (h >>> SEG_SHIFT) * SLOT_WORDS; ; at = (at + SLOT_WORDS) & SEG_WORD_MASK) {
    if (seg[at + W_FLOW] === 0) return -at - 1;
    if (seg[at] === src && seg[at + W_DST] === dst && seg[at + W_PORTS] === ports && seg[at + W_META] === meta) return at;
  }
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
  /** per segment: flows in it, its local depth (hash bits it owns), and those bits */
  private fill: number[] = [0];
  private depth: number[] = [0];
  private pattern: number[] = [0];
  /** directory: the low `dirBits` bits of a hash -> segment */
  private dir = new Int32Array(1);
  private dirMask = 0;
  private dirBits = 0;
  /** per flow, in chunks: its VXLAN source port */
  private sport: Uint16Array[] = [];
  /**
   * per flow: its slot (segment << SEG_BITS | slot), built when first asked for after an insert (the report, the
   * merge): kept up to date through splits, it would cost a cache miss per moved flow (measured: 11% of first sight)
   */
  private order: Int32Array | undefined;
  /** counter overflow past 32 bits, by 2 * flow + (0 packets, 1 bytes) */
  private readonly carries = new Map<number, number>();
  /** the segment a split last emptied, zeroed: the next split's first half (half the page faults of a new one) */
  private spare: Int32Array | undefined;
  /** where the flow inserted last lies, for setPath */
  private newSeg: Int32Array = this.segs[0]!;
  private newAt = 0;

  /** `expectedFlows`: start with the segments that many flows need (half full), not one that splits its way there. */
  constructor(expectedFlows = 0) {
    const depth = Math.min(MAX_DEPTH, Math.max(0, Math.ceil(Math.log2(expectedFlows / (SEG_SLOTS >>> 1)))));
    for (let d = 0; d < depth; d++) {
      this.growDirectory();
      const n = this.segs.length;
      for (let id = 0; id < n; id++) {
        this.segs.push(new Int32Array(SEG_WORDS));
        this.fill.push(0);
        this.depth[id] = d + 1;
        this.depth.push(d + 1);
        this.pattern.push(this.pattern[id]! | (1 << d));
        this.dir[this.pattern[id]! | (1 << d)] = n + id;
      }
    }
    this.newSeg = this.segs[0]!;
  }

  /** The flow's index, or -1 when it is not in the table. Keys as u32 or as int32 (`x | 0`): the same key. */
  find(src: number, dst: number, ports: number, meta: number): number {
    const h = slotHash(src | 0, dst | 0, ports | 0, meta | 0);
    const seg = this.segs[this.dir[h & this.dirMask]!]!;
    const at = probe(seg, h, src | 0, dst | 0, ports | 0, meta | 0);
    return at < 0 ? -1 : seg[at + W_FLOW]! - 1;
  }

  /**
   * Counts `packets` and `bytes` on the flow, inserting it when new. Returns its path, or NEW_FLOW when it was just
   * inserted (then setPath must follow before the next call). `last` is its index either way. Small, so that V8
   * inlines it into the engine's lane: inserting is the rare case, in its own function.
   */
  findOrAdd(src: number, dst: number, ports: number, meta: number, packets: number, bytes: number): number {
    src |= 0;
    dst |= 0;
    ports |= 0;
    meta |= 0;
    const h = slotHash(src, dst, ports, meta);
    const seg = this.segs[this.dir[h & this.dirMask]!]!;
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
    const f = this.last;
    this.sport[f >>> CHUNK_BITS]![f & (CHUNK - 1)] = outerSport;
  }

  private insert(seg: Int32Array, at: number, h: number, src: number, dst: number, ports: number, meta: number, packets: number, bytes: number): number {
    const f = this.size++;
    if ((f & (CHUNK - 1)) === 0) this.sport.push(new Uint16Array(CHUNK));
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
    const id = this.dir[h & this.dirMask]!;
    this.last = f;
    this.newSeg = seg;
    this.newAt = at;
    if (++this.fill[id]! > SEG_MAX_FILL) {
      this.split(id);
      this.newSeg = this.segs[this.dir[h & this.dirMask]!]!;
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

  /** Splits a full segment by the next hash bit into itself and a new one; only its own flows move. */
  private split(id: number): void {
    const d = this.depth[id]!;
    if (d >= MAX_DEPTH) throw new EmuError(`flow table: more than ${SEG_MAX_FILL} flows share ${d} hash bits`, 'flow table');
    if (d === this.dirBits) this.growDirectory();
    const old = this.segs[id]!;
    const bit = 1 << d;
    const other = this.segs.length;
    const a = this.spare ?? new Int32Array(SEG_WORDS);
    const b = new Int32Array(SEG_WORDS);
    this.segs[id] = a;
    this.segs.push(b);
    this.fill[id] = 0;
    this.fill.push(0);
    this.depth[id] = d + 1;
    this.depth.push(d + 1);
    this.pattern.push(this.pattern[id]! | bit);
    for (let at = 0; at < SEG_WORDS; at += SLOT_WORDS) {
      const flow = old[at + W_FLOW]!;
      if (flow === 0) continue;
      const h = slotHash(old[at]!, old[at + W_DST]!, old[at + W_PORTS]!, old[at + W_META]!);
      const to = (h & bit) === 0 ? id : other;
      const seg = to === id ? a : b;
      let j = (h >>> SEG_SHIFT) * SLOT_WORDS;
      while (seg[j + W_FLOW] !== 0) j = (j + SLOT_WORDS) & SEG_WORD_MASK;
      for (let w = 0; w < SLOT_WORDS; w++) seg[j + w] = old[at + w]!;
      this.fill[to]!++;
    }
    old.fill(0);
    this.spare = old;
    // The directory entries that pointed at the old segment and have the new bit set now point at the new one.
    for (let j = this.pattern[id]!; j < this.dir.length; j += bit) if ((j & bit) !== 0) this.dir[j] = other;
  }

  private growDirectory(): void {
    const n = this.dir.length;
    const dir = new Int32Array(2 * n);
    dir.set(this.dir);
    dir.set(this.dir, n);
    this.dir = dir;
    this.dirBits++;
    this.dirMask = 2 * n - 1;
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
  /** The outer UDP source port of its VXLAN encapsulation; 0 when not encapsulated. */
  outerSportOf(f: number): number {
    return this.sport[f >>> CHUNK_BITS]![f & (CHUNK - 1)]!;
  }

  /** Memory the table holds: segments, directory and per-flow chunks (the path table is apart). */
  bytesHeld(): number {
    return (this.segs.length + (this.spare ? 1 : 0)) * SEG_WORDS * 4 + this.dir.byteLength + this.sport.length * CHUNK * 2 + this.carries.size * 32;
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
