// A resilient next-hop table filled and refilled as Linux fills one (net/ipv4/nexthop.c, `type resilient`).
//
// The kernel keeps, per member, the buckets it wants (nh_res_group_rebalance: each member's cumulative weight
// scaled to the table and rounded, minus the previous member's) and a list of the members below that count, built
// with list_add, so in reverse group order. An upkeep (nh_res_table_upkeep) walks the buckets in index order and
// hands each bucket that is empty, or held by a member above its count, to the head of that list; a member leaves
// the list once it has what it wants. Initial fill, a member's removal and a change of weights are all an upkeep.
//
// Timers: the kernel moves a bucket of an overweight member only once it has been idle for `idle_timer` (120 s by
// default). This model moves it at once, as the kernel does with `idle_timer 0` or once traffic has paused: the
// table it reaches is the one `ip nexthop bucket show` prints when the group is idle. An empty bucket (a removed
// member's) is refilled at once in both.

/** A bucket that no member holds (a removed member's, before the upkeep). */
const UNOCCUPIED = -1;

/** Buckets each live member wants, as nh_res_group_rebalance computes them (DIV_ROUND_CLOSEST over cumulative weights). */
export function resilientWants(weights: readonly number[], live: Uint8Array, buckets: number): number[] {
  let total = 0;
  for (let i = 0; i < weights.length; i++) if (live[i]) total += weights[i]!;
  const wants = new Array<number>(weights.length).fill(0);
  let cumulative = 0;
  let previous = 0;
  for (let i = 0; i < weights.length; i++) {
    if (!live[i]) continue;
    cumulative += weights[i]!;
    // DIV_ROUND_CLOSEST(x, d) = (x + d / 2) / d in integer division; x < 2^51 here, so exact in a double.
    const x = buckets * cumulative + Math.floor(total / 2);
    const upper = (x - (x % total)) / total;
    wants[i] = upper - previous;
    previous = upper;
  }
  return wants;
}

/**
 * One upkeep over `table` (member per bucket, UNOCCUPIED for none), in place: the table the kernel holds after
 * the change that led to `weights` and `live`, with every bucket idle. Returns the table.
 */
function upkeep(table: Int32Array, weights: readonly number[], live: Uint8Array): Int32Array {
  const buckets = table.length;
  const wants = resilientWants(weights, live, buckets);
  const counts = new Array<number>(weights.length).fill(0);
  for (let b = 0; b < buckets; b++) if (table[b] !== UNOCCUPIED) counts[table[b]!]!++;
  // The underweight list, head first: list_add in group order leaves the last underweight member at the head.
  const underweight: number[] = [];
  for (let i = 0; i < weights.length; i++) if (live[i] && counts[i]! < wants[i]!) underweight.unshift(i);
  for (let b = 0; b < buckets && underweight.length > 0; b++) {
    const held = table[b]!;
    if (held !== UNOCCUPIED && counts[held]! <= wants[held]!) continue;
    const to = underweight[0]!;
    if (held !== UNOCCUPIED) counts[held]!--;
    table[b] = to;
    if (++counts[to]! === wants[to]) underweight.shift();
  }
  return table;
}

/** The table of a new group (`ip nexthop add ... type resilient buckets N`): every bucket starts unoccupied. */
export function resilientFill(weights: readonly number[], live: Uint8Array, buckets: number): Uint32Array {
  return Uint32Array.from(upkeep(new Int32Array(buckets).fill(UNOCCUPIED), weights, live));
}

/**
 * The table after a change to the group: `removed` members gone (their buckets emptied, as
 * nh_res_table_migrate_buckets leaves them) and the live members weighted by `weights`.
 */
export function resilientRefill(table: Uint32Array, weights: readonly number[], live: Uint8Array): Uint32Array {
  const next = new Int32Array(table.length);
  for (let b = 0; b < table.length; b++) next[b] = live[table[b]!] ? table[b]! : UNOCCUPIED;
  return Uint32Array.from(upkeep(next, weights, live));
}
