// What the report says about frames that found no route: where they went, and how to give them one.

import type { Report, UnroutedRow } from '../stats/types.js';
import { formatPrefix6, tryParsePrefix6 } from '../wire/ipv6.js';

/**
 * The prefix to suggest announcing: the /24 when two or more of the listed addresses share it, else the /32; for
 * an IPv6 destination the /64 when two or more share it, else the /128.
 */
export function suggestedPrefix(rows: readonly UnroutedRow[]): string {
  const top = rows[0]!.address;
  const top64 = top.includes(':') ? tryParsePrefix6(`${top}/64`) : undefined;
  if (top64 !== undefined) {
    const net = formatPrefix6(top64.network, 64);
    const same = rows.filter((r) => r.address.includes(':') && formatPrefix6(tryParsePrefix6(`${r.address}/64`)!.network, 64) === net).length;
    return same >= 2 ? net : `${top}/128`;
  }
  const net = top.slice(0, top.lastIndexOf('.'));
  const same = rows.filter((r) => r.address.startsWith(`${net}.`)).length;
  return same >= 2 ? `${net}.0/24` : `${top}/32`;
}

/** One line per way to forward them: fit a topology to the capture, or announce the prefix from a VM. */
export function unroutedAdvice(report: Report): string[] {
  if (report.unrouted.length === 0) return [];
  const prefix = suggestedPrefix(report.unrouted);
  return [
    `No route for these destinations in the ingress VRF: they carried ${report.skipped['no-route'] ?? 0} frames. To forward them,`,
    `fit a topology to the capture (\`ecmp-emu init --from-capture FILE --out fab.yaml\`, then \`--topology fab.yaml\`),`,
    `or announce ${prefix} from a VM (its \`announce\` list in the topology, a \`network ${prefix}\` in its BGP config).`,
  ];
}
