// SPEC §5 `unrouted`: where the frames that found no route were going, from the flow table at report time.

import { FlowTable } from '../engine/flowtable.js';
import type { AddressTable } from '../engine/addrs.js';
import { REASON_NO_ROUTE } from '../engine/path.js';
import type { PathColumns } from '../engine/paths.js';
import type { UnroutedRow } from '../stats/types.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** How many destinations the report names. */
export const UNROUTED_LIMIT = 10;

/** IPv6 destinations' keys: 2^32 + their address id (after every IPv4 address, in first-seen order). */
const V6_KEYS = 4294967296;

/**
 * The destinations of no-route flows, most flows first (then most packets, then the lower IPv4 address, then IPv6
 * ones in first-seen order), at most `limit`. One pass over the flow table when the report is built: the forwarding
 * loop does no extra work. `addrs`: the engine's IPv6 addresses, which IPv6 flows' ids name.
 */
export function unroutedDestinations(flows: FlowTable, paths: PathColumns, limit = UNROUTED_LIMIT, addrs?: AddressTable): UnroutedRow[] {
  const byDst = new Map<number, { flows: number; packets: number }>();
  // Flows share few paths: when none of them is unrouted, no flow is, and the table need not be walked.
  if (!paths.reason.subarray(0, paths.count).includes(REASON_NO_ROUTE)) return [];
  flows.scan((_f, _src, dst, _ports, meta, path, packets) => {
    if (paths.reason[path] !== REASON_NO_ROUTE) return;
    const key = FlowTable.isIpv6(meta) ? V6_KEYS + dst : dst >>> 0;
    const row = byDst.get(key);
    if (row) {
      row.flows++;
      row.packets += packets;
    } else byDst.set(key, { flows: 1, packets });
  });
  return [...byDst.entries()]
    .sort((a, b) => b[1].flows - a[1].flows || b[1].packets - a[1].packets || a[0] - b[0])
    .slice(0, limit)
    .map(([dst, r]) => ({ address: dst >= V6_KEYS ? (addrs?.text(dst - V6_KEYS) ?? `IPv6 address #${dst - V6_KEYS}`) : formatIpv4(dst), flows: r.flows, packets: r.packets }));
}
