// IPv6 addresses, interned: the flow table keys an IPv6 flow by two int32 ids (its source, with the flow label when
// a hasher reads it, and its destination) in the same 32-byte slot an IPv4 flow uses, so the IPv4 probe is the one it
// was and an IPv6 flow still costs one slot. A capture has far fewer addresses than flows: the table stays small
// (in cache) and interning one costs a hash and, nearly always, one probe.

import { formatIpv4 } from '../wire/ipv4.js';
import { formatIpv6 } from '../wire/ipv6.js';

/**
 * Tunnelled client flows (engine/tunnel-key.ts) are keyed through this table too, by entries whose fifth word has
 * bits a plain entry never has (a source's is a flow label | next header << 20, below 2^28; a destination's 0):
 * TUNNEL_ADDRESS marks an address of a tunnelled flow (outer or inner), with TUNNEL_V4 when it is IPv4 (word 0
 * only); TUNNEL_FLOW marks the entry that names a whole tunnelled flow: its words are the ids of its outer source,
 * inner source and inner destination entries.
 */
export const TUNNEL_ADDRESS = 0x40000000;
export const TUNNEL_V4 = 0x10000000;
export const TUNNEL_FLOW = 0x80000000 | 0;

/**
 * Words per address: the four of the address (word 0 the most significant) and a fifth the engine sets for a
 * source (its flow label and first next header when a hasher reads them; engine.ts), 0 for a destination.
 */
export const ADDRESS_WORDS = 5;

/** An address table's columns: what a worker hands back for the merge to map its ids (see paths.internFrom). */
export interface AddressColumns {
  count: number;
  /** ADDRESS_WORDS int32 per id */
  words: Int32Array;
}

/**
 * A cheap, well-mixed hash of the five words for the index (not an ECMP hash): one multiply per word, folded so
 * that the low bits the index uses depend on every word (the low word varies most: it goes in last).
 */
function addressHash(a0: number, a1: number, a2: number, a3: number, label: number): number {
  let h = Math.imul(a0 ^ label, 0x9e3779b1) ^ a1;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) ^ a2;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ a3;
  h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** The five words at `at`. */
function store(into: Int32Array, at: number, a0: number, a1: number, a2: number, a3: number, label: number): void {
  into[at] = a0;
  into[at + 1] = a1;
  into[at + 2] = a2;
  into[at + 3] = a3;
  into[at + 4] = label;
}

/** Index slots: the five words and id + 1 (0: empty), padded to 8 int32, so that a probe reads one 32-byte slot. */
const SLOT = 8;
const S_ID = 5;

/**
 * (IPv6 address, flow label) pairs by id, in first-seen order, deduplicated through an open-addressing index whose
 * slots hold the words themselves (a probe is one cache line, not an index entry and then the words elsewhere:
 * measured, the second read cost the IPv6 lane ~20 ns a frame at 10k sources). Words are passed as int32
 * (`w | 0`): small integers to V8, so that a call allocates nothing.
 */
export class AddressTable implements AddressColumns {
  count = 0;
  /** by id, for reading back (reports, first sight, the merge) */
  words = new Int32Array(64 * ADDRESS_WORDS);
  /** at most 3/4 full (linear probing stays short; half full, 10k sources took 1 MB, past the L2 cache) */
  private index = new Int32Array(128 * SLOT);
  private mask = 127;

  /** The id of the address a0..a3 (int32 words, the most significant first) with `label`, adding it when new. */
  intern(a0: number, a1: number, a2: number, a3: number, label: number): number {
    const x = this.index;
    const mask = this.mask;
    for (let i = addressHash(a0, a1, a2, a3, label) & mask; ; i = (i + 1) & mask) {
      const at = i * SLOT;
      const e = x[at + S_ID]!;
      if (e === 0) return this.add(at, a0, a1, a2, a3, label);
      if (x[at + 3] === a3 && x[at] === a0 && x[at + 1] === a1 && x[at + 2] === a2 && x[at + 4] === label) return e - 1;
    }
  }

  /** The id in this table of id `id` of another table (merging engines). */
  internFrom(t: AddressColumns, id: number): number {
    const w = t.words;
    const at = id * ADDRESS_WORDS;
    if (w[at + 4] === TUNNEL_FLOW) {
      // a tunnelled flow's entry names other entries: theirs first (cold: the merge)
      return this.intern(this.internFrom(t, w[at]!), this.internFrom(t, w[at + 1]!), this.internFrom(t, w[at + 2]!), 0, TUNNEL_FLOW);
    }
    return this.intern(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!, w[at + 4]!);
  }

  /** The id names a tunnelled flow's entry (its words are ids: tunnel-key.ts). */
  isTunnelFlow(id: number): boolean {
    return this.words[id * ADDRESS_WORDS + 4] === TUNNEL_FLOW;
  }

  /** The id is an IPv4 address of a tunnelled flow: word 0 is the address. */
  isIpv4(id: number): boolean {
    const label = this.words[id * ADDRESS_WORDS + 4]!;
    return label !== TUNNEL_FLOW && (label & (TUNNEL_ADDRESS | TUNNEL_V4)) === (TUNNEL_ADDRESS | TUNNEL_V4);
  }

  /** Word i (0..4) of `id`. */
  word(id: number, i: number): number {
    return this.words[id * ADDRESS_WORDS + i]!;
  }

  private add(slot: number, a0: number, a1: number, a2: number, a3: number, label: number): number {
    const id = this.count++;
    store(this.index, slot, a0, a1, a2, a3, label);
    this.index[slot + S_ID] = id + 1;
    if ((id + 1) * ADDRESS_WORDS > this.words.length) {
      const more = new Int32Array(this.words.length * 2);
      more.set(this.words);
      this.words = more;
    }
    store(this.words, id * ADDRESS_WORDS, a0, a1, a2, a3, label);
    if (this.count * 4 > (this.mask + 1) * 3) this.reindex();
    return id;
  }

  private reindex(): void {
    const slots = (this.mask + 1) * 2;
    const index = new Int32Array(slots * SLOT);
    const mask = slots - 1;
    const w = this.words;
    for (let id = 0; id < this.count; id++) {
      const at = id * ADDRESS_WORDS;
      let i = addressHash(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!, w[at + 4]!) & mask;
      while (index[i * SLOT + S_ID] !== 0) i = (i + 1) & mask;
      for (let k = 0; k < ADDRESS_WORDS; k++) index[i * SLOT + k] = w[at + k]!;
      index[i * SLOT + S_ID] = id + 1;
    }
    this.index = index;
    this.mask = mask;
  }

  /** Writes the address of `id` into `out` as four u32 words (host order, the most significant first). */
  wordsOf(id: number, out: Uint32Array): Uint32Array {
    const at = id * ADDRESS_WORDS;
    for (let i = 0; i < 4; i++) out[i] = this.words[at + i]!;
    return out;
  }

  /** The fifth word stored with `id`: for a source, its flow label | first next header << 20 (0 when no hasher reads them). */
  labelOf(id: number): number {
    return this.words[id * ADDRESS_WORDS + 4]!;
  }

  /** The address of `id` in RFC 5952 form (reports, CSV; not for the hot path). */
  text(id: number): string {
    // a tunnelled flow: its outer source, then `>` and the inner one (tunnel-key.ts)
    if (this.isTunnelFlow(id)) return `${this.text(this.word(id, 0))}>${this.text(this.word(id, 1))}`;
    if (this.isIpv4(id)) return formatIpv4(this.word(id, 0) >>> 0);
    return formatIpv6(this.wordsOf(id, new Uint32Array(4)));
  }

  /** The used part as columns (copied: safe to transfer). */
  columns(): AddressColumns {
    return { count: this.count, words: this.words.slice(0, this.count * ADDRESS_WORDS) };
  }

  bytesHeld(): number {
    return this.words.byteLength + this.index.byteLength;
  }
}
