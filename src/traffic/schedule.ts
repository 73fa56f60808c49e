// Packets per flow (even, or Zipf-skewed) and their deterministic interleaving over the capture.

import { Rng } from './prng.js';

/** Zipf's exponent for flow sizes: flow i (from 0) weighs 1 / (i + 1)^s. */
export const ZIPF_EXPONENT = 1;

/**
 * Packets per flow. With packets >= flows every flow gets at least one; the rest are spread evenly (the first
 * `packets mod flows` flows one more), or for zipf in proportion to 1 / (i + 1)^s, so flow 0 is the largest
 * elephant and the tail are one-packet mice. With packets < flows only the first `packets` flows send (one each).
 */
export function packetCounts(flows: number, packets: number, zipf: boolean): Uint32Array {
  const counts = new Uint32Array(flows);
  if (packets < flows) {
    counts.fill(1, 0, packets);
    return counts;
  }
  counts.fill(1);
  const extra = packets - flows;
  if (extra === 0) return counts;
  if (!zipf) {
    const each = Math.floor(extra / flows);
    const rest = extra - each * flows;
    for (let i = 0; i < flows; i++) counts[i] = 1 + each + (i < rest ? 1 : 0);
    return counts;
  }
  let total = 0;
  for (let i = 0; i < flows; i++) total += 1 / Math.pow(i + 1, ZIPF_EXPONENT);
  let given = 0;
  for (let i = 0; i < flows; i++) {
    const share = Math.floor((extra * (1 / Math.pow(i + 1, ZIPF_EXPONENT))) / total);
    counts[i] = 1 + share;
    given += share;
  }
  // What flooring left over goes one each to the largest flows, which keeps the counts decreasing.
  for (let i = 0; given < extra; i++, given++) counts[i]! += 1;
  return counts;
}

/**
 * The order packets leave in: flow f's j-th packet is due at (j + phase_f) / count_f of the capture, phase_f
 * random in [0, 1) from the seed, and a binary heap (typed arrays, ties by flow index) merges the flows. So an
 * elephant's packets are spread evenly over the capture and each mouse appears at a random moment: interleaved,
 * not flow by flow, and the same for the same seed. O(flows) memory, O(log flows) per packet, no allocation.
 */
export class PacketSchedule {
  readonly total: number;
  /** Packets of each flow handed out so far; after next() returns f, the packet's index in its flow is sent[f] - 1. */
  readonly sent: Uint32Array;
  private readonly counts: Uint32Array;
  private readonly phase: Float64Array;
  private readonly due: Float64Array;
  private readonly heap: Uint32Array;
  private size = 0;

  constructor(counts: Uint32Array, seed: number) {
    const n = counts.length;
    this.counts = counts;
    this.sent = new Uint32Array(n);
    this.phase = new Float64Array(n);
    this.due = new Float64Array(n);
    this.heap = new Uint32Array(n);
    const rng = new Rng(seed, 0x73636864); // "schd"
    let total = 0;
    for (let f = 0; f < n; f++) {
      const c = counts[f]!;
      total += c;
      const ph = rng.float();
      this.phase[f] = ph;
      if (c === 0) continue;
      this.due[f] = ph / c;
      this.heap[this.size++] = f;
    }
    this.total = total;
    for (let i = (this.size >>> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get remaining(): number {
    return this.size;
  }

  /** The flow of the next packet, or -1 when every packet is out. */
  next(): number {
    if (this.size === 0) return -1;
    const f = this.heap[0]!;
    const j = ++this.sent[f]!;
    const c = this.counts[f]!;
    if (j < c) {
      this.due[f] = (j + this.phase[f]!) / c;
    } else {
      this.heap[0] = this.heap[--this.size]!;
    }
    if (this.size > 0) this.siftDown(0);
    return f;
  }

  private before(a: number, b: number): boolean {
    const da = this.due[a]!;
    const db = this.due[b]!;
    return da < db || (da === db && a < b);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const size = this.size;
    const f = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && this.before(heap[c + 1]!, heap[c]!)) c++;
      if (!this.before(heap[c]!, f)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = f;
  }
}
