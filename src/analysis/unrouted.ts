// SPEC §5 `unrouted`: where the frames that found no route were going, from the flow table at report time.

import type { FlowTable } from '../engine/flowtable.js';
import { REASON_NO_ROUTE } from '../engine/path.js';
import type { PathColumns } from '../engine/paths.js';
import type { UnroutedRow } from '../stats/types.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** How many destinations the report names. */
export const UNROUTED_LIMIT = 10;

/**
 * The destinations of no-route flows, most flows first (then most packets, then the lower address), at most
 * `limit`. One pass over the flow table when the report is built: the forwarding loop does no extra work.
 */
export function unroutedDestinations(flows: FlowTable, paths: PathColumns, limit = UNROUTED_LIMIT): UnroutedRow[] {
  const byDst = new Map<number, { flows: number; packets: number }>();
  flows.scan((_f, _src, dst, _ports, _meta, path, packets) => {
    if (paths.reason[path] !== REASON_NO_ROUTE) return;
    const row = byDst.get(dst >>> 0);
    if (row) {
      row.flows++;
      row.packets += packets;
    } else byDst.set(dst >>> 0, { flows: 1, packets });
  });
  return [...byDst.entries()]
    .sort((a, b) => b[1].flows - a[1].flows || b[1].packets - a[1].packets || a[0] - b[0])
    .slice(0, limit)
    .map(([dst, r]) => ({ address: formatIpv4(dst), flows: r.flows, packets: r.packets }));
}
