// A leaf's view in the words of FRR/OcNOS: `show ip route vrf`, `show bgp l2vpn evpn route type prefix`, `show bgp vrf … summary`.

import { HOP_OPAQUE, HOP_VM, HOP_VTEP, routePrefix, type Fabric, type FabricRoute } from './converge.js';
import { formatIpv4, formatPrefix } from '../wire/ipv4.js';
import { HOP_SPINE } from './spines.js';

/** Administrative distances, as FRR shows them in brackets. */
const DISTANCE: Record<FabricRoute['source'], number> = { static: 1, ebgp: 20, evpn: 200, underlay: 20 };
const CODE: Record<FabricRoute['source'], string> = { static: 'S', ebgp: 'B', evpn: 'B', underlay: 'B' };

/** A locally administered router MAC from the VTEP address: 02:00:a.b.c.d. */
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

/** `show ip route vrf VRF` on each selected leaf. */
export function showRoute(fabric: Fabric, node?: string, vrf?: string): string {
  const out: string[] = ['Codes: S - static, B - BGP, > - selected route, * - FIB route', ''];
  for (const li of leavesOf(fabric, node)) {
    for (const vi of vrfsOf(fabric, vrf)) {
      out.push(`${fabric.leafNames[li]}# show ip route vrf ${fabric.vrfNames[vi]}`);
      const routes = fabric.routes
        .filter((r) => r.leaf === li && r.vrf === vi)
        .sort((a, b) => a.prefix - b.prefix || a.length - b.length);
      if (routes.length === 0) out.push('  (no routes)');
      for (const r of routes) {
        const head = `${CODE[r.source]}>* ${routePrefix(r)} [${DISTANCE[r.source]}/0]`;
        let first = true;
        r.nextHops.forEach((hop, m) => {
          if (!r.group.isLive(m)) return;
          const lead = first ? head : `  *${' '.repeat(head.length - 3)}`;
          first = false;
          out.push(`${lead} via ${formatIpv4(hop.address)}${hopSuffix(fabric, hop.kind, hop.target)}, weight ${hop.weight}`);
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
    out.push(`BGP table version is 1, local router ID is ${formatIpv4(me.vtep)}`);
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
      const rd = `${formatIpv4(origin.vtep)}:${e.vrf + 2}`;
      if (rd !== lastRd) out.push(`Route Distinguisher: ${rd}`);
      lastRd = rd;
      const local = e.leaf === li;
      const vmAsns = [...new Set(t.vms.filter((v, i) => v.leaf === origin.name && !fabric.failedVms.has(i) && v.announce.some((a) => a.prefix === e.prefix && a.length === e.length)).map((v) => v.asn))];
      const path = [...(local ? [] : [origin.asn]), ...vmAsns].join(' ');
      out.push(`*>${local ? 'l' : ' '} [5]:[0]:[${e.length}]:[${formatIpv4(e.prefix)}]`);
      out.push(`                    ${formatIpv4(origin.vtep).padEnd(16)}         0         32768 ${path} ?`.replace(/ +\?$/, path ? ' ?' : ' i'));
      const vni = t.vrfs[e.vrf]!.vni;
      const pathsNote = t.weighting === 'paths' ? ` LB:${e.paths}` : '';
      const rt = origin.routeTargets?.[t.vrfs[e.vrf]!.name]?.export.join(' RT:') || `${origin.asn}:${vni}`;
      out.push(`                    RT:${rt} ET:8 Rmac:${routerMac(origin.vtep)}${pathsNote}   (${e.paths} path${e.paths === 1 ? '' : 's'} behind ${origin.name})`);
    }
    if (entries.length === 0) out.push('  (no type-5 routes)');
    out.push('');
    // What the leaf installed from them, the line the field note quotes.
    for (const r of fabric.routes.filter((r) => r.leaf === li && r.source === 'evpn' && vrfs.has(r.vrf))) {
      out.push(`B>* ${routePrefix(r)} [200/0] (vrf ${fabric.vrfNames[r.vrf]})`);
      r.nextHops.forEach((hop, m) => {
        if (r.group.isLive(m)) out.push(`    via ${formatIpv4(hop.address)} (vxlan), weight ${hop.weight}   <- ${fabric.leafNames[hop.target]}`);
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
      out.push(`IPv4 Unicast Summary (VRF ${vrfName}):`);
      out.push(`BGP router identifier ${formatIpv4(me.vtep)}, local AS number ${me.asn}`);
      out.push(`Multipath: EBGP maximum-paths ${me.maximumPaths}${me.multipathRelax === false ? ', same neighbour AS only (no as-path multipath-relax)' : ''}`);
      out.push('');
      out.push('Neighbor        V         AS State/PfxRcd Desc');
      const peers = t.vms.map((v, i) => ({ v, i })).filter(({ v }) => v.leaf === me.name && v.vrf === vrfName);
      for (const { v, i } of peers) {
        const state = fabric.failedVms.has(i) ? 'Active' : String(v.announce.length);
        out.push(`${formatIpv4(v.address).padEnd(15)} 4 ${String(v.asn).padStart(10)} ${state.padStart(12)} ${v.name}`);
      }
      out.push('');
      out.push(`Total number of neighbors ${peers.length}`);
      const local = fabric.routes.filter((r) => r.leaf === li && r.vrf === vi && r.source === 'ebgp');
      for (const r of local) {
        const live = r.nextHops.filter((_, m) => r.group.isLive(m));
        out.push(`${formatPrefix(r.prefix, r.length)}: ${live.length} EBGP path${live.length === 1 ? '' : 's'} installed (multipath)`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}
