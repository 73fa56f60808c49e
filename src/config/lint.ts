// The lint: what each box installs, against what its neighbours offer it, and what that does to the spread.

import { HOP_VM, importsFrom, type Fabric } from '../fabric/converge.js';
import { formatIpv4, formatPrefix } from '../wire/ipv4.js';
import type { FabricPlan, LeafPlan, LeafVrf } from './build.js';
import type { Finding } from './model.js';

const names = (xs: string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Findings on the converged fabric: paths offered but not installed (count, AS rule, route-targets), duplicates. */
export function lintFabric(plan: FabricPlan, fabric: Fabric): Finding[] {
  const out: Finding[] = [];
  for (const leaf of plan.leaves) {
    for (const lv of leaf.vrfs) {
      out.push(...ebgpFindings(fabric, leaf, lv.vrf));
      out.push(...evpnFindings(fabric, leaf, lv));
    }
  }
  out.push(...duplicateRouterIds(plan));
  return out;
}

/** What the leaf's VMs offer for each prefix against the paths converge installed. */
function ebgpFindings(fabric: Fabric, leaf: LeafPlan, vrf: string): Finding[] {
  const out: Finding[] = [];
  const li = fabric.leafNames.indexOf(leaf.name);
  const vi = fabric.vrfNames.indexOf(vrf);
  const vms = fabric.topology.vms.map((v, i) => ({ v, i })).filter(({ v }) => v.leaf === leaf.name && v.vrf === vrf);
  const prefixes = new Map<string, { prefix: number; length: number }>();
  for (const { v } of vms) for (const a of v.announce) prefixes.set(`${a.prefix}/${a.length}`, a);
  for (const p of prefixes.values()) {
    const offered = vms.filter(({ v }) => v.announce.some((a) => a.prefix === p.prefix && a.length === p.length));
    const route = fabric.routes.find((r) => r.leaf === li && r.vrf === vi && r.source === 'ebgp' && r.prefix === p.prefix && r.length === p.length);
    const kept = new Set(route?.nextHops.filter((h) => h.kind === HOP_VM).map((h) => h.target) ?? []);
    if (kept.size >= offered.length || kept.size === 0) continue; // none kept: a static route owns the prefix
    const best = offered.find(({ i }) => kept.has(i))!;
    const lost = offered.filter(({ i }) => !kept.has(i));
    const byAs = leaf.relax ? [] : lost.filter(({ v }) => v.asn !== best.v.asn);
    const byCount = lost.filter((x) => !byAs.includes(x));
    const prefix = formatPrefix(p.prefix, p.length);
    const where = `router bgp ${leaf.asn} vrf ${vrf}`;
    if (byCount.length) out.push(tooFewPaths(leaf, 'EBGP paths', prefix, offered.length, kept.size, byCount.map((x) => x.v.name), tieBreak(best.v, offered.map((x) => x.v)), where));
    if (byAs.length) {
      out.push({
        kind: 'multipath-relax', node: leaf.name,
        message: `${names(byAs.map((x) => `${x.v.name} (AS ${x.v.asn})`))} ${byAs.length === 1 ? 'is' : 'are'} not multipath with ${best.v.name} (AS ${best.v.asn}) for ${prefix}: without multipath-relax FRR's EBGP rule needs the same neighbour AS, so ${byAs.length === 1 ? 'it gets' : 'they get'} no traffic; add \`bgp bestpath as-path multipath-relax\` to ${where}`,
      });
    }
  }
  return out;
}

/** Which of BGP's last tie-breaks chose `best` among `all`, in words (the rule converge's multipathSet applies). */
function tieBreak(best: { name: string; routerId?: number; address: number }, all: { routerId?: number }[]): string {
  const ids = all.map((v) => v.routerId);
  const addr = `lowest neighbour address ${formatIpv4(best.address)}`;
  if (ids.some((id) => id === undefined)) return `${best.name}: not every router-id is known, so the ${addr}`;
  const tied = ids.filter((id) => id === best.routerId).length > 1;
  return tied ? `${best.name}: equal router-ids (${formatIpv4(best.routerId!)}), so the ${addr}` : `${best.name}: the lowest router-id (${formatIpv4(best.routerId!)})`;
}

function tooFewPaths(leaf: LeafPlan, what: string, prefix: string, offered: number, kept: number, lost: string[], rule: string, where: string): Finding {
  const d = leaf.device;
  const cause = leaf.maximumPathsAt
    ? `${leaf.maximumPathsAt.file} line ${leaf.maximumPathsAt.line} \`${leaf.maximumPathsAt.text}\``
    : d.dialect === 'ocnos' ? 'no max-paths' : 'maximum-paths';
  const box = d.dialect === 'ocnos' ? 'OcNOS' : 'FRR';
  const fix = d.dialect === 'ocnos' ? `add \`max-paths ebgp ${offered}\` under ${where} (address-family ipv4 unicast)` : `set \`maximum-paths ${offered}\` under ${where} address-family ipv4 unicast`;
  return {
    kind: 'too-few-paths', node: leaf.name,
    message: `${cause}: ${box} installs ${kept} of ${offered} ${what} for ${prefix}; ${names(lost)} get${lost.length === 1 ? 's' : ''} no traffic; ${fix}. Best path ${rule} (BGP's last tie-breaks; a box may first keep the oldest EBGP path, FRR does unless \`bgp bestpath compare-routerid\`, and no config says which came first)`,
  };
}

/** Type-5 routes another leaf exports that this leaf does not import, or imports but does not install. */
function evpnFindings(fabric: Fabric, leaf: LeafPlan, lv: LeafVrf): Finding[] {
  const out: Finding[] = [];
  const t = fabric.topology;
  const li = fabric.leafNames.indexOf(leaf.name);
  const me = t.leaves[li]!;
  const vrf = lv.vrf;
  const vi = fabric.vrfNames.indexOf(vrf);
  const offers = fabric.evpn.filter((e) => e.vrf === vi && e.leaf !== li && (t.leaves[e.leaf]!.routeTargets[vrf]?.export.length ?? 1) > 0);
  const refused = [...new Set(offers.filter((e) => !importsFrom(me, t.leaves[e.leaf]!, vrf)).map((e) => e.leaf))];
  if (refused.length) {
    const all = refused.length === new Set(offers.map((e) => e.leaf)).size;
    const theirs = refused.map((o) => `${fabric.leafNames[o]} exports ${t.leaves[o]!.routeTargets[vrf]?.export.join(' ') ?? 'auto'}`).join('; ');
    out.push({
      kind: 'route-target', node: leaf.name,
      message: `${all ? `${leaf.name} imports nothing into vrf ${vrf}` : `${leaf.name} does not import ${names(refused.map((o) => fabric.leafNames[o]!))}'s routes`}: its import route-targets ${lv.rtImport.join(' ') || '(none)'} match none of theirs (${theirs}); those VTEPs get no traffic from ${leaf.name}`,
    });
  }
  const byPrefix = new Map<string, number[]>();
  for (const e of offers) if (importsFrom(me, t.leaves[e.leaf]!, vrf)) byPrefix.set(`${e.prefix}/${e.length}`, [...(byPrefix.get(`${e.prefix}/${e.length}`) ?? []), e.leaf]);
  for (const [k, origins] of byPrefix) {
    const [prefix, length] = k.split('/').map(Number) as [number, number];
    const route = fabric.routes.find((r) => r.leaf === li && r.vrf === vi && r.prefix === prefix && r.length === length);
    if (!route || route.source !== 'evpn' || route.nextHops.length >= origins.length) continue;
    const kept = route.nextHops.map((h) => h.target);
    const lost = origins.filter((o) => !kept.includes(o)).map((o) => fabric.leafNames[o]!);
    const ases = [...new Set(origins.map((o) => t.leaves[o]!.asn))];
    const p = formatPrefix(prefix, length);
    if (!leaf.relax && ases.length > 1) {
      out.push({ kind: 'multipath-relax', node: leaf.name, message: `type-5 paths for ${p} arrive from ${ases.length} neighbour ASes (${ases.join(', ')}: the leaves peer directly) and router bgp ${leaf.asn} vrf ${vrf} has no multipath-relax: ${leaf.name} installs ${kept.length} of ${origins.length} VTEPs; ${names(lost)} get${lost.length === 1 ? 's' : ''} no traffic from it; add \`bgp bestpath as-path multipath-relax\`` });
    } else {
      const first = route.nextHops[0]!;
      out.push(tooFewPaths(leaf, 'type-5 paths (VTEPs)', p, origins.length, kept.length, lost, `${fabric.leafNames[first.target]}: the lowest VTEP ${formatIpv4(first.address)}`, `router bgp ${leaf.asn} vrf ${vrf}`));
    }
  }
  return out;
}

/** Router-ids shared by several devices: BGP's tie-break cannot tell them apart. */
function duplicateRouterIds(plan: FabricPlan): Finding[] {
  const byId = new Map<number, string[]>();
  for (const v of plan.vms) if (v.routerId !== undefined && v.device) byId.set(v.routerId, [...(byId.get(v.routerId) ?? []), v.name]);
  for (const l of plan.leaves) {
    for (const i of l.device.bgp) if (i.routerId !== undefined && i.vrf === undefined) byId.set(i.routerId, [...(byId.get(i.routerId) ?? []), l.name]);
  }
  const out: Finding[] = [];
  for (const [id, who] of byId) {
    if (who.length < 2) continue;
    out.push({ kind: 'duplicate-router-id', node: who[0]!, message: `${names(who)} share router-id ${formatIpv4(id)}: BGP cannot break ties by router-id between them (the lowest neighbour address decides), and a peer refuses a session from its own router-id; give each its own` });
  }
  return out;
}
