// Next-hop groups: how one flow's hash picks one member of an ECMP/UCMP group (SPEC §3 "Selection").

import { resilientFill, resilientRefill } from './resilient.js';

export type Selection = 'hash-threshold' | 'modulo' | 'resilient';

export const SELECTIONS: readonly Selection[] = Object.freeze(['hash-threshold', 'modulo', 'resilient'] as Selection[]);

/** Resilient table size when none is given (SPEC §2 `buckets`). */
export const DEFAULT_BUCKETS = 128;

/** Linux keeps the sum of weights in an `int` (fib_rebalance); beyond it the kernel's arithmetic has no meaning. */
export const MAX_TOTAL_WEIGHT = 0x7fffffff;

/** Keeps building a resilient table (O(buckets x members)) and its exact arithmetic (< 2^53) cheap. */
export const MAX_BUCKETS = 1 << 20;

/** Modulo over a weight-expanded list is a table lookup up to this many entries, a search beyond it. */
const MAX_EXPANDED = 1 << 16;

// What select() does, as small integers so the hot path never compares strings.
const KIND_SEARCH = 0; // first live upper bound >= h, starting where the index of h's top bits points (hash-threshold)
const KIND_TABLE = 1; // table[h % modulus] (resilient; modulo with a small total)
const KIND_MOD_SEARCH = 2; // first cumulative bound >= h % modulus (modulo with a large total)

const TWO_31 = 2n ** 31n;

function checkWeights(weights: readonly number[]): void {
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new RangeError('a next-hop group needs at least one member');
  }
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 1) {
      throw new RangeError(`next-hop weight must be a positive integer, got ${String(w)} for member ${i}`);
    }
    total += w;
  }
  if (total > MAX_TOTAL_WEIGHT) {
    throw new RangeError(`total next-hop weight ${total} exceeds ${MAX_TOTAL_WEIGHT} (Linux sums weights in an int)`);
  }
}

/**
 * Linux's fib_nh_upper_bound for each member, exactly as fib_rebalance() sets them: a live member's bound is
 * DIV_ROUND_CLOSEST_ULL((u64)cumulativeWeight << 31, total) - 1 over the live members, a dead one's is -1.
 * Computed with BigInt because cumulativeWeight * 2^31 passes 2^53 once the total passes 2^22.
 */
export function linuxUpperBounds(weights: readonly number[], live?: readonly boolean[]): number[] {
  checkWeights(weights);
  let total = 0n;
  for (let i = 0; i < weights.length; i++) if (live === undefined || live[i]) total += BigInt(weights[i]);
  const bounds: number[] = new Array<number>(weights.length).fill(-1);
  if (total === 0n) return bounds;
  let w = 0n;
  for (let i = 0; i < weights.length; i++) {
    if (live !== undefined && !live[i]) continue;
    w += BigInt(weights[i]);
    // DIV_ROUND_CLOSEST_ULL(x, d) is (x + d / 2) / d in unsigned integer division.
    bounds[i] = Number((w * TWO_31 + total / 2n) / total) - 1;
  }
  return bounds;
}

/** Set only while a NextHopGroup builds another from its own state (without()), so every group has one shape. */
let adopted: { live: Uint8Array; table: Uint32Array | null } | null = null;

export class NextHopGroup {
  readonly weights: readonly number[];
  readonly selection: Selection;
  /** number of members, live or not; member indices are 0..size-1 */
  readonly size: number;
  /** resilient table size (kept as given for the other methods) */
  readonly buckets: number;

  private readonly kind: number;
  private readonly modulus: number;
  /** ascending upper bounds of the live members (KIND_SEARCH, KIND_MOD_SEARCH) */
  private readonly bounds: Uint32Array;
  /** member index of each entry of `bounds` */
  private readonly members: Uint32Array;
  /**
   * KIND_SEARCH: for each slot of the hash range (h >>> shift), the first entry of `bounds` that can hold such an
   * h. With at least 4 slots per member, most slots hold no bound, so select() seldom steps and never mispredicts
   * the way a binary search over random hashes does.
   */
  private readonly index: Uint32Array;
  private readonly shift: number;
  /** member per bucket / per slot of the weight-expanded list (KIND_TABLE) */
  private readonly table: Uint32Array;
  private readonly live: Uint8Array;
  private readonly liveCount: number;

  constructor(weights: readonly number[], selection: Selection, buckets: number = DEFAULT_BUCKETS) {
    const inherited = adopted;
    adopted = null;
    checkWeights(weights);
    if (selection !== 'hash-threshold' && selection !== 'modulo' && selection !== 'resilient') {
      throw new RangeError(`unknown selection '${String(selection)}' (expected one of ${SELECTIONS.join(', ')})`);
    }
    const n = weights.length;
    const live = inherited ? inherited.live : new Uint8Array(n).fill(1);
    let liveCount = 0;
    let liveTotal = 0;
    for (let i = 0; i < n; i++) {
      if (live[i]) {
        liveCount++;
        liveTotal += weights[i];
      }
    }
    this.weights = Object.freeze(weights.slice());
    this.selection = selection;
    this.size = n;
    this.buckets = buckets;
    this.live = live;
    this.liveCount = liveCount;

    let index = new Uint32Array(0);
    let shift = 31;
    if (selection === 'resilient') {
      if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
        throw new RangeError(`resilient buckets must be an integer from 1 to ${MAX_BUCKETS}, got ${String(buckets)}`);
      }
      this.kind = KIND_TABLE;
      this.modulus = buckets;
      this.table = inherited?.table ?? resilientFill(weights, live, buckets);
      this.bounds = new Uint32Array(0);
      this.members = new Uint32Array(0);
    } else if (selection === 'modulo') {
      this.modulus = liveTotal;
      if (liveTotal <= MAX_EXPANDED) {
        this.kind = KIND_TABLE;
        this.table = new Uint32Array(liveTotal);
        let at = 0;
        for (let i = 0; i < n; i++) {
          if (!live[i]) continue;
          this.table.fill(i, at, at + weights[i]);
          at += weights[i];
        }
        this.bounds = new Uint32Array(0);
        this.members = new Uint32Array(0);
      } else {
        this.kind = KIND_MOD_SEARCH;
        this.table = new Uint32Array(0);
        this.bounds = new Uint32Array(liveCount);
        this.members = new Uint32Array(liveCount);
        let cumulative = 0;
        for (let i = 0, k = 0; i < n; i++) {
          if (!live[i]) continue;
          cumulative += weights[i];
          this.bounds[k] = cumulative - 1;
          this.members[k++] = i;
        }
      }
    } else {
      this.kind = KIND_SEARCH;
      this.modulus = 0;
      this.table = new Uint32Array(0);
      const all = linuxUpperBounds(weights, Array.from(live, (x) => x === 1));
      this.bounds = new Uint32Array(liveCount);
      this.members = new Uint32Array(liveCount);
      for (let i = 0, k = 0; i < n; i++) {
        if (!live[i]) continue;
        this.bounds[k] = all[i];
        this.members[k++] = i;
      }
      let bits = 6;
      while (bits < 12 && 1 << bits < 4 * liveCount) bits++;
      shift = 31 - bits;
      index = new Uint32Array(1 << bits);
      for (let slot = 0, k = 0; slot < index.length; slot++) {
        const lowest = slot * 2 ** shift;
        while (this.bounds[k] < lowest) k++;
        index[slot] = k;
      }
    }
    this.index = index;
    this.shift = shift;
  }

  /** Member index for a flow's 32-bit hash. Hot path: no allocation, integer work only. */
  select(hash32: number): number {
    let key = hash32 >>> 1;
    const kind = this.kind;
    if (kind === KIND_TABLE) return this.table[key % this.modulus];
    const bounds = this.bounds;
    if (kind === KIND_SEARCH) {
      // The last live bound is 2^31 - 1, so the scan stops.
      let i = this.index[key >>> this.shift];
      while (bounds[i] < key) i++;
      return this.members[i];
    }
    key %= this.modulus;
    // First bound >= key (binary search; the last bound is modulus - 1, so one is found).
    let base = 0;
    let len = bounds.length;
    while (len > 1) {
      const half = len >>> 1;
      if (bounds[base + half - 1] < key) base += half;
      len -= half;
    }
    return this.members[base];
  }

  /**
   * The group after `member` fails. Member indices stay; the member is never chosen again. Resilient: its buckets
   * are refilled as the kernel refills them after `ip nexthop del` (src/fib/resilient.ts), and a survivor that
   * rounding leaves over its new share gives up the excess, as there. Hash-threshold and modulo are recomputed over
   * the remaining weights (Linux marks the next-hop dead and rebalances). A member that already failed gives back
   * this group unchanged.
   */
  without(member: number): NextHopGroup {
    if (!Number.isInteger(member) || member < 0 || member >= this.size) {
      throw new RangeError(`no member ${String(member)} in a group of ${this.size}`);
    }
    if (!this.live[member]) return this;
    if (this.liveCount === 1) throw new RangeError(`member ${member} is the last live next-hop of the group`);
    const live = this.live.slice();
    live[member] = 0;
    let table: Uint32Array | null = null;
    if (this.selection === 'resilient') table = resilientRefill(this.table, this.weights, live);
    adopted = { live, table };
    try {
      return new NextHopGroup(this.weights, this.selection, this.buckets);
    } finally {
      adopted = null;
    }
  }

  /**
   * The group with new weights for the same members (a VTEP whose path count changed under UCMP). Dead members
   * stay dead. Resilient: only the buckets of members now over the count they want move, as after `ip nexthop
   * replace` of the group with every bucket idle (src/fib/resilient.ts); hash-threshold and modulo are recomputed.
   */
  reweighted(weights: readonly number[]): NextHopGroup {
    if (weights.length !== this.size) throw new RangeError(`expected ${this.size} weights, got ${weights.length}`);
    checkWeights(weights);
    let table: Uint32Array | null = null;
    if (this.selection === 'resilient') table = resilientRefill(this.table, weights, this.live);
    adopted = { live: this.live.slice(), table };
    try {
      return new NextHopGroup(weights, this.selection, this.buckets);
    } finally {
      adopted = null;
    }
  }

  /** Analytic share of flows per member for a uniform hash; 0 for a failed member. */
  expectedShares(): number[] {
    const shares = new Array<number>(this.size).fill(0);
    if (this.selection === 'resilient') {
      for (let b = 0; b < this.buckets; b++) shares[this.table[b]]++;
      for (let i = 0; i < this.size; i++) shares[i] /= this.buckets;
      return shares;
    }
    let total = 0;
    for (let i = 0; i < this.size; i++) if (this.live[i]) total += this.weights[i];
    for (let i = 0; i < this.size; i++) if (this.live[i]) shares[i] = this.weights[i] / total;
    return shares;
  }

  isLive(member: number): boolean {
    return member >= 0 && member < this.size && this.live[member] === 1;
  }
}
