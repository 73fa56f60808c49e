// Topology variants for experiments (another hash or selection on every leaf) and their YAML, for reproducers.

import type { HashAlgorithm } from '../hash/index.js';
import type { Selection } from '../fib/group.js';
import type { LeafSpec, Topology } from '../fabric/topology.js';
import { addressText, prefixText, vmAddressText, vtepText } from '../fabric/topology.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** How the leaves' hash seeds are set in a variant. */
export type SeedMode = 'per-leaf' | 'shared';
export const SEED_MODES: readonly SeedMode[] = ['per-leaf', 'shared'];

export interface HashingVariant {
  /** every leaf hashes with this algorithm (default: as the topology says) */
  algorithm?: HashAlgorithm;
  /** every leaf selects with this method (default: as the topology says) */
  selection?: Selection;
  /**
   * per-leaf (default): each leaf keeps the seed the topology gives it (its explicit seed, or the one derived from
   * its name). shared: every leaf takes the ingress leaf's seed, as boxes configured alike (or all booted with
   * the same fixed seed) would.
   */
  seeds?: SeedMode;
}

/**
 * The widest group a leaf's resilient table must hold: what parseTopology checks `buckets` against, so a variant
 * that switches a leaf to resilient never builds a table with fewer buckets than members.
 */
function widestGroup(t: Topology, leaf: LeafSpec): number {
  const statics = leaf.routes.reduce((m, r) => Math.max(m, r.nextHops.length), 0);
  return Math.min(leaf.maximumPaths, Math.max(t.vms.length, t.leaves.length, statics, 1));
}

/**
 * The topology with every leaf's hashing replaced as the variant says: a copy, the input is not touched. Fields,
 * buckets and everything else stay; only when a leaf is switched to resilient with fewer buckets than its widest
 * group could need are its buckets raised to that width.
 */
export function withHashing(t: Topology, v: HashingVariant): Topology {
  const ingress = t.leaves.find((l) => l.name === t.ingress.leaf);
  const shared = ingress?.hash.seed ?? t.leaves[0]?.hash.seed ?? 0;
  return {
    ...t,
    leaves: t.leaves.map((l) => {
      const selection = v.selection ?? l.selection;
      const buckets = selection === 'resilient' ? Math.max(l.buckets, widestGroup(t, l)) : l.buckets;
      return {
        ...l,
        hash: {
          ...l.hash,
          fields: [...l.hash.fields],
          algorithm: v.algorithm ?? l.hash.algorithm,
          seed: v.seeds === 'shared' ? shared : l.hash.seed,
        },
        seedExplicit: v.seeds === 'shared' ? true : l.seedExplicit,
        selection,
        buckets,
      };
    }),
  };
}

/** An address or prefix as a YAML scalar: IPv6 (colons) quoted, IPv4 plain. */
const yamlAddress = (text: string): string => (text.includes(':') ? `'${text}'` : text);

/** A name as a YAML key or value: plain when it reads back as the same string, JSON-quoted otherwise. */
const q = (s: string): string =>
  /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(s) ? s : JSON.stringify(s);

/**
 * The topology as YAML that parseTopology reads back to the same fabric: same VRFs, leaves, VMs and ingress in
 * the same order, every leaf's hash (algorithm, seed, fields), selection, buckets and maximum-paths written out
 * explicitly, seeds included, so a derived seed survives a change of file name or leaf order.
 */
export function topologyToYaml(t: Topology, comment?: string): string {
  const out: string[] = [];
  if (comment) for (const line of comment.split('\n')) out.push(`# ${line}`);
  out.push('vrfs:');
  for (const v of t.vrfs) out.push(`  ${q(v.name)}: { vni: ${v.vni} }`);
  out.push('defaults:');
  out.push(`  weighting: ${t.weighting}`);
  out.push(`  vxlan: { port: ${t.vxlan.port}, source-ports: [${t.vxlan.sourcePortLow}, ${t.vxlan.sourcePortHigh}] }`);
  if (t.spines && t.spines.length > 0) {
    out.push('spines:');
    for (const s of t.spines) out.push(`  ${q(s.name)}: { address: ${formatIpv4(s.address)}, hash: { algorithm: ${s.hash.algorithm}, seed: ${s.hash.seed}, fields: [${s.hash.fields.join(', ')}] } }`);
  }
  out.push('leaves:');
  for (const l of t.leaves) {
    out.push(`  ${q(l.name)}:`);
    out.push(`    vtep: ${yamlAddress(vtepText(l))}`);
    if (l.asn > 0) out.push(`    asn: ${l.asn}`);
    out.push(`    hash: { algorithm: ${l.hash.algorithm}, seed: ${l.hash.seed}, fields: [${l.hash.fields.join(', ')}] }`);
    out.push(`    selection: ${l.selection}`);
    out.push(`    buckets: ${l.buckets}`);
    out.push(`    maximum-paths: ${l.maximumPaths}`);
    if (l.sourcePort !== undefined) out.push(`    vxlan: { source-port: ${l.sourcePort} }`);
    if (l.routes.length > 0) {
      out.push('    routes:');
      for (const vrf of t.vrfs) {
        const routes = l.routes.filter((r) => r.vrf === vrf.name);
        if (routes.length === 0) continue;
        out.push(`      ${q(vrf.name)}:`);
        for (const r of routes) {
          const hops = r.nextHops.map((h) => `{ via: ${yamlAddress(addressText(h.via, h.via6))}, weight: ${h.weight} }`).join(', ');
          out.push(`        ${yamlAddress(prefixText(r.prefix, r.prefix6, r.length))}: [${hops}]`);
        }
      }
    }
  }
  if (t.vms.length > 0) {
    out.push('vms:');
    for (const vm of t.vms) {
      const parts = [`leaf: ${q(vm.leaf)}`, `vrf: ${q(vm.vrf)}`, `address: ${yamlAddress(`${vmAddressText(vm)}/${vm.length}`)}`];
      if (vm.asn > 0) parts.push(`asn: ${vm.asn}`);
      parts.push(`announce: [${vm.announce.map((a) => yamlAddress(prefixText(a.prefix, a.prefix6, a.length))).join(', ')}]`);
      out.push(`  ${q(vm.name)}: { ${parts.join(', ')} }`);
    }
  }
  out.push(`ingress: { leaf: ${q(t.ingress.leaf)}, vrf: ${q(t.ingress.vrf)} }`);
  return out.join('\n') + '\n';
}
