// IPv6 addresses, interned: the flow table keys an IPv6 flow by two int32 ids (its source, with the flow label when
// a hasher reads it, and its destination) in the same 32-byte slot an IPv4 flow uses, so the IPv4 probe is the one it
// was and an IPv6 flow still costs one slot. A capture has far fewer addresses than flows: the table stays small
// (in cache) and interning one costs a hash and, nearly always, one probe.

import { formatIpv6 } from '../wire/ipv6.js';

/** Words per address: the four of the address (word 0 the most significant) and the flow label (0 for none). */
export const ADDRESS_WORDS = 5;

/** An address table's columns: what a worker hands back for the merge to map its ids (see paths.internFrom). */
export interface AddressColumns {
  count: number;
  /** ADDRESS_WORDS int32 per id */
  words: Int32Array;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  return Math.imul(h, 0x1b873593);
}

function addressHash(a0: number, a1: number, a2: number, a3: number, label: number): number {
  let h = mix(mix(mix(mix(mix(0x9e3779b9, a0), a1), a2), a3), label);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * (IPv6 address, flow label) pairs by id, in first-seen order, deduplicated through an open-addressing index. Words
 * are passed as int32 (`w | 0`): small integers to V8, so that a call allocates nothing.
 */
export class AddressTable implements AddressColumns {
  count = 0;
  words = new Int32Array(64 * ADDRESS_WORDS);
  /** open addressing: id + 1, 0 empty; at most half full */
  private index = new Int32Array(128);
  private mask = 127;

  /** The id of the address a0..a3 (int32 words, the most significant first) with `label`, adding it when new. */
  intern(a0: number, a1: number, a2: number, a3: number, label: number): number {
    const w = this.words;
    const index = this.index;
    const mask = this.mask;
    for (let i = addressHash(a0, a1, a2, a3, label) & mask; ; i = (i + 1) & mask) {
      const e = index[i]!;
      if (e === 0) return this.add(i, a0, a1, a2, a3, label);
      const at = (e - 1) * ADDRESS_WORDS;
      if (w[at] === a0 && w[at + 1] === a1 && w[at + 2] === a2 && w[at + 3] === a3 && w[at + 4] === label) return e - 1;
    }
  }

  /** The id in this table of id `id` of another table (merging engines). */
  internFrom(t: AddressColumns, id: number): number {
    const w = t.words;
    const at = id * ADDRESS_WORDS;
    return this.intern(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!, w[at + 4]!);
  }

  private add(slot: number, a0: number, a1: number, a2: number, a3: number, label: number): number {
    const id = this.count++;
    if ((id + 1) * ADDRESS_WORDS > this.words.length) {
      const more = new Int32Array(this.words.length * 2);
      more.set(this.words);
      this.words = more;
    }
    const at = id * ADDRESS_WORDS;
    const w = this.words;
    w[at] = a0;
    w[at + 1] = a1;
    w[at + 2] = a2;
    w[at + 3] = a3;
    w[at + 4] = label;
    this.index[slot] = id + 1;
    if (this.count * 2 > this.index.length) this.reindex();
    return id;
  }

  private reindex(): void {
    const index = new Int32Array(this.index.length * 2);
    const mask = index.length - 1;
    const w = this.words;
    for (let id = 0; id < this.count; id++) {
      const at = id * ADDRESS_WORDS;
      let i = addressHash(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!, w[at + 4]!) & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = id + 1;
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

  /** The flow label stored with `id` (0 when the fabric's hashers read none). */
  labelOf(id: number): number {
    return this.words[id * ADDRESS_WORDS + 4]!;
  }

  /** The address of `id` in RFC 5952 form (reports, CSV; not for the hot path). */
  text(id: number): string {
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
