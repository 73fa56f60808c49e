// A leaf's view in the words of FRR/OcNOS: `show ip route vrf`, `show bgp l2vpn evpn route type prefix`, `show bgp vrf … summary`.

import { HOP_OPAQUE, HOP_VM, HOP_VTEP, addressOrder, hopAddress, routePrefix, type Fabric, type FabricRoute } from './converge.js';
import { prefixText, vmAddressText, vtepText, type LeafSpec } from './topology.js';
import { HOP_SPINE } from './spines.js';

/** Administrative distances, as FRR shows them in brackets. */
const DISTANCE: Record<FabricRoute['source'], number> = { static: 1, ebgp: 20, evpn: 200, underlay: 20 };
const CODE: Record<FabricRoute['source'], string> = { static: 'S', ebgp: 'B', evpn: 'B', underlay: 'B' };

/** A locally administered router MAC from the VTEP address: 02:00:a.b.c.d (an IPv6 VTEP: its last 32 bits). */
export function routerMac(vtep: number): string {
  const b = [0x02, 0x00, vtep >>> 24, (vtep >>> 16) & 255, (vtep >>> 8) & 255, vtep & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function leavesOf(fabric: Fabric, node?: string): number[] {
  if (node === undefined) return fabric.leafNames.map((_, i) => i);
  return [fabric.leafNames.indexOf(node)];
}

function vrfsOf(fabric: Fabric, vrf?: string): number[] {
  if (vrf === undefined) return fabric.vrfNames.map((_, i) => i);
  return [fabric.vrfNames.indexOf(vrf)];
}

/** The leaf's router MAC. */
function leafMac(leaf: LeafSpec): string {
  return routerMac(leaf.vtep6 !== undefined ? leaf.vtep6[3]! : leaf.vtep);
}

const compareRoutes = (a: FabricRoute, b: FabricRoute): number => {
  const x = addressOrder(a.prefix, a.prefix6);
  const y = addressOrder(b.prefix, b.prefix6);
  return x < y ? -1 : x > y ? 1 : a.length - b.length;
};

/**
 * `show ip route vrf VRF` on each selected leaf, and `show ipv6 route vrf VRF` too when the fabric has IPv6 routes
 * (addresses as iproute2 and FRR print them, RFC 5952).
 */
export function showRoute(fabric: Fabric, node?: string, vrf?: string): string {
  const out: string[] = ['Codes: S - static, B - BGP, > - selected route, * - FIB route', ''];
  const families: (4 | 6)[] = fabric.routes.some((r) => r.family === 6) ? [4, 6] : [4];
  for (const li of leavesOf(fabric, node)) {
    for (const vi of vrfsOf(fabric, vrf)) for (const family of families) {
      out.push(`${fabric.leafNames[li]}# show ${family === 4 ? 'ip' : 'ipv6'} route vrf ${fabric.vrfNames[vi]}`);
      const routes = fabric.routes
        .filter((r) => r.leaf === li && r.vrf === vi && r.family === family)
        .sort(compareRoutes);
      if (routes.length === 0) out.push('  (no routes)');
      for (const r of routes) {
        const head = `${CODE[r.source]}>* ${routePrefix(r)} [${DISTANCE[r.source]}/0]`;
        let first = true;
        r.nextHops.forEach((hop, m) => {
          if (!r.group.isLive(m)) return;
          const lead = first ? head : `  *${' '.repeat(head.length - 3)}`;
          first = false;
          out.push(`${lead} via ${hopAddress(hop)}${hopSuffix(fabric, hop.kind, hop.target)}, weight ${hop.weight}`);
        });
      }
      out.push('');
    }
  }
  return out.join('\n');
}

function hopSuffix(fabric: Fabric, kind: number, target: number): string {
  if (kind === HOP_VTEP) return ' (vxlan)';
  if (kind === HOP_VM) return ` (${fabric.vmNames[target]})`;
  if (kind === HOP_OPAQUE) return '';
  if (kind === HOP_SPINE) return ` (${fabric.underlay.spineNames[target]})`;
  return '';
}

/** `show bgp l2vpn evpn route type prefix`: every type-5 route the leaf's BGP table holds. */
export function showEvpn(fabric: Fabric, node?: string, vrf?: string): string {
  const out: string[] = [];
  const t = fabric.topology;
  for (const li of leavesOf(fabric, node)) {
    const me = t.leaves[li]!;
    out.push(`${me.name}# show bgp l2vpn evpn route type prefix`);
    out.push(`BGP table version is 1, local router ID is ${vtepText(me)}`);
    out.push('Status codes: * valid, > best, i - internal, l - local');
    out.push('EVPN type-5 prefix: [5]:[EthTag]:[IPlen]:[IP]');
    out.push('');
    out.push('   Network          Next Hop            Metric LocPrf Weight Path');
    const vrfs = new Set(vrfsOf(fabric, vrf));
    // A leaf that exports no route-target (no `advertise ipv4 unicast`) originates no type-5 route.
    const exports = (e: { leaf: number; vrf: number }): boolean => t.leaves[e.leaf]!.routeTargets?.[t.vrfs[e.vrf]!.name]?.export.length !== 0;
    const entries = fabric.evpn.filter((e) => vrfs.has(e.vrf) && !fabric.failedLeaves.has(e.leaf) && exports(e));
    let lastRd = '';
    for (const e of entries) {
      const origin = t.leaves[e.leaf]!;
      // RD type 1 (IPv4:N) from an IPv4 VTEP; type 0 (ASN:N) for an IPv6 one, which has no 32-bit form.
      const rd = `${origin.vtep6 !== undefined ? origin.asn : vtepText(origin)}:${e.vrf + 2}`;
      if (rd !== lastRd) out.push(`Route Distinguisher: ${rd}`);
      lastRd = rd;
      const local = e.leaf === li;
      const vmAsns = [...new Set(t.vms.filter((v, i) => v.leaf === origin.name && !fabric.failedVms.has(i) && v.announce.some((a) => prefixText(a.prefix, a.prefix6, a.length) === prefixText(e.prefix, e.prefix6, e.length))).map((v) => v.asn))];
      const path = [...(local ? [] : [origin.asn]), ...vmAsns].join(' ');
      out.push(`*>${local ? 'l' : ' '} [5]:[0]:[${e.length}]:[${prefixText(e.prefix, e.prefix6, e.length).replace(/\/\d+$/, '')}]`);
      out.push(`                    ${vtepText(origin).padEnd(16)}         0         32768 ${path} ?`.replace(/ +\?$/, path ? ' ?' : ' i'));
      const vni = t.vrfs[e.vrf]!.vni;
      const pathsNote = t.weighting === 'paths' ? ` LB:${e.paths}` : '';
      const rt = origin.routeTargets?.[t.vrfs[e.vrf]!.name]?.export.join(' RT:') || `${origin.asn}:${vni}`;
      out.push(`                    RT:${rt} ET:8 Rmac:${leafMac(origin)}${pathsNote}   (${e.paths} path${e.paths === 1 ? '' : 's'} behind ${origin.name})`);
    }
    if (entries.length === 0) out.push('  (no type-5 routes)');
    out.push('');
    // What the leaf installed from them, the line the field note quotes.
    for (const r of fabric.routes.filter((r) => r.leaf === li && r.source === 'evpn' && vrfs.has(r.vrf))) {
      out.push(`B>* ${routePrefix(r)} [200/0] (vrf ${fabric.vrfNames[r.vrf]})`);
      r.nextHops.forEach((hop, m) => {
        if (r.group.isLive(m)) out.push(`    via ${hopAddress(hop)} (vxlan), weight ${hop.weight}   <- ${fabric.leafNames[hop.target]}`);
      });
    }
    out.push('');
  }
  return out.join('\n');
}

/** `show bgp vrf VRF summary`: the leaf's EBGP sessions to its VMs. */
export function showBgp(fabric: Fabric, node?: string, vrf?: string): string {
  const out: string[] = [];
  const t = fabric.topology;
  for (const li of leavesOf(fabric, node)) {
    const me = t.leaves[li]!;
    for (const vi of vrfsOf(fabric, vrf)) {
      const vrfName = fabric.vrfNames[vi]!;
      out.push(`${me.name}# show bgp vrf ${vrfName} summary`);
      const v6 = fabric.routes.some((r) => r.family === 6) || t.vms.some((v) => v.address6 !== undefined);
      out.push(`${v6 ? 'IPv4 and IPv6' : 'IPv4'} Unicast Summary (VRF ${vrfName}):`);
      out.push(`BGP router identifier ${vtepText(me)}, local AS number ${me.asn}`);
      out.push(`Multipath: EBGP maximum-paths ${me.maximumPaths}${me.multipathRelax === false ? ', same neighbour AS only (no as-path multipath-relax)' : ''}`);
      out.push('');
      out.push('Neighbor        V         AS State/PfxRcd Desc');
      const peers = t.vms.map((v, i) => ({ v, i })).filter(({ v }) => v.leaf === me.name && v.vrf === vrfName);
      for (const { v, i } of peers) {
        const state = fabric.failedVms.has(i) ? 'Active' : String(v.announce.length);
        const addr = vmAddressText(v);
        out.push(`${addr.length > 15 ? `${addr}\n${' '.repeat(15)}` : addr.padEnd(15)} 4 ${String(v.asn).padStart(10)} ${state.padStart(12)} ${v.name}`);
      }
      out.push('');
      out.push(`Total number of neighbors ${peers.length}`);
      const local = fabric.routes.filter((r) => r.leaf === li && r.vrf === vi && r.source === 'ebgp');
      for (const r of local) {
        const live = r.nextHops.filter((_, m) => r.group.isLive(m));
        out.push(`${routePrefix(r)}: ${live.length} EBGP path${live.length === 1 ? '' : 's'} installed (multipath)`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
