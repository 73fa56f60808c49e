// SPEC §5 `unrouted`: where the frames that found no route were going, from the flow table at report time.

import { REASON_NO_ROUTE } from '../engine/path.js';
import { FlowTable } from '../stats/flowtable.js';
import type { UnroutedRow } from '../stats/types.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** How many destinations the report names. */
export const UNROUTED_LIMIT = 10;

/**
 * The destinations of no-route flows, most flows first (then most packets, then the lower address), at most
 * `limit`. One pass over the flow table when the report is built: the forwarding loop does no extra work.
 */
export function unroutedDestinations(flows: FlowTable, limit = UNROUTED_LIMIT): UnroutedRow[] {
  const byDst = new Map<number, { flows: number; packets: number }>();
  for (let f = 0; f < flows.size; f++) {
    if (flows.reason[f] !== REASON_NO_ROUTE) continue;
    const dst = flows.dst[f]! >>> 0;
    const row = byDst.get(dst);
    if (row) {
      row.flows++;
      row.packets += flows.packets[f]!;
    } else byDst.set(dst, { flows: 1, packets: flows.packets[f]! });
  }
  return [...byDst.entries()]
    .sort((a, b) => b[1].flows - a[1].flows || b[1].packets - a[1].packets || a[0] - b[0])
    .slice(0, limit)
    .map(([dst, r]) => ({ address: formatIpv4(dst), flows: r.flows, packets: r.packets }));
}
