// `replay --write` over a fabric with spines: the VXLAN frame as the chosen spine forwards it to the egress leaf.
// Decisions: the outer Ethernet source is the spine's router MAC (02:00 + its IPv4 address, as the leaves' are),
// the destination the egress leaf's; the outer IPv4 TTL is 63 (the leaf sent 64, the spine routed it once) with its
// header checksum recomputed; UDP, VXLAN and the inner frame are untouched (a spine does not look inside).

import type { Fabric } from '../fabric/converge.js';
import { ETH_HEADER_LEN } from '../wire/ethernet.js';
import { IPV4_MIN_HEADER_LEN, IPV4_TTL, ipv4FillChecksum } from '../wire/ipv4.js';
import { put32 } from '../wire/bytes.js';
import { VXLAN_OUTER_TTL } from '../wire/vxlan.js';
import { MAX_STAGES } from './flowtable.js';
import type { PathColumns } from './paths.js';

/** The MAC high 16 bits of every router the emulator names (02:00, locally administered), leaves and spines. */
export const ROUTER_MAC_HI = 0x0200;

export class SpineHop {
  /** per route id: the spine each member is (underlay routes), else empty */
  private readonly memberSpine: Int32Array[];
  private readonly spineAddress: Uint32Array;
  private readonly enabled: boolean;

  constructor(private readonly fabric: Fabric) {
    const vrf = fabric.underlay.vrf;
    this.enabled = vrf >= 0;
    this.memberSpine = fabric.routes.map((r) => Int32Array.from(r.vrf === vrf ? r.nextHops.map((h) => h.target) : []));
    this.spineAddress = Uint32Array.from(fabric.underlay.spines, (s) => s.address);
  }

  /** The spine the path's first underlay stage chose, -1 none. */
  spineOf(paths: PathColumns, path: number): number {
    if (!this.enabled) return -1;
    const n = paths.stageCount[path]!;
    for (let s = 0; s < n; s++) {
      const spines = this.memberSpine[paths.stageRoute[path * MAX_STAGES + s]!]!;
      if (spines.length > 0) return spines[paths.stageMember[path * MAX_STAGES + s]!]!;
    }
    return -1;
  }

  /** Rewrites the VXLAN frame written at `at` (outer Ethernet, then IPv4) as its spine forwards it; no spine: as is. */
  rewrite(out: Uint8Array, at: number, paths: PathColumns, path: number): void {
    const spine = this.spineOf(paths, path);
    if (spine < 0) return;
    // Source MAC: bytes 6..11 of the outer Ethernet header.
    out[at + 6] = ROUTER_MAC_HI >>> 8;
    out[at + 7] = ROUTER_MAC_HI & 0xff;
    put32(out, at + 8, this.spineAddress[spine]!);
    const ip = at + ETH_HEADER_LEN;
    out[ip + IPV4_TTL] = VXLAN_OUTER_TTL - 1;
    ipv4FillChecksum(out, ip, IPV4_MIN_HEADER_LEN);
  }
}
