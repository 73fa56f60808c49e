// The underlay of SPEC §2 `spines:`: every leaf has one uplink to every spine and reaches a remote VTEP by ECMP over
// the spines; parsed here, and installed as real FIB routes in the `underlay` VRF (prefix: the remote VTEP's /32,
// next-hops: the spines, weight 1 each), so stages, failover and the report treat the underlay like any stage.
//
// A spine's own `hash`: a spine has exactly one link to each leaf, so it has no choice to make; its hash is parsed,
// checked and shown by `route get` (what the spine would compute over the outer header), and selects nothing. A
// fabric with several parallel links or a further tier would give it a choice; that is not modelled.
//
// The VXLAN source port (`vxlan: { source-port: independent | ecmp-hash }`, in `defaults` and per leaf):
// - `independent` (the default, Linux's): udp_flow_src_port over skb_get_hash, SipHash-2-4 of the flow keys with
//   `hashrnd`, a key the kernel draws at random at boot, independent of the multipath seed. Modelled as SipHash over
//   the same flow-key layout the linux-l4 hash uses, keyed by a seed derived from the leaf's name
//   (skbHashSeed), so runs are reproducible and distinct leaves differ as distinct boxes do. (A NIC that hands the
//   kernel an RSS hash would put that hash in the skb instead; that is not modelled.)
// - `ecmp-hash`: the leaf's own ECMP hash of the inner flow, what many ASICs put in the source port.

import type { Node as YamlNode } from 'yaml';
import { HASH_FIELDS, makeHasher, type FlowHasher, type HashSpec } from '../hash/index.js';
import type { Checker, LeafSpec, Topology, VxlanSpec } from './topology.js';
import { vxlanSourcePort } from '../wire/vxlan.js';
import { DEFAULT_HASH_SPEC, readHashOverride, seedFromName } from './topology.js';

export const HOP_SPINE = 3;
export const UNDERLAY_VRF = 'underlay';

export type SourcePortMode = 'independent' | 'ecmp-hash';
export const SOURCE_PORT_MODES: readonly SourcePortMode[] = ['independent', 'ecmp-hash'];

export interface SpineSpec {
  name: string;
  address: number;
  /** what the spine hashes the outer header with (seed: explicit, or from its name); it chooses nothing */
  hash: HashSpec;
}

/** The seed modelling a leaf's boot-time `hashrnd` (the skb hash's SipHash key): from its name, not its ECMP seed. */
export function skbHashSeed(leaf: string): number {
  return seedFromName(`hashrnd/${leaf}`);
}

/** The hash a leaf's VXLAN source port scales, as a hasher of the inner flow; null: the leaf's ECMP hash itself. */
export function sourcePortHasher(leaf: LeafSpec): FlowHasher | null {
  if (leaf.sourcePort === 'ecmp-hash') return null;
  return makeHasher({ algorithm: 'linux-l4', seed: skbHashSeed(leaf.name), fields: HASH_FIELDS });
}

/**
 * An IPv6 address's 4 words XORed into one: what the independent source-port hash takes for an IPv6 flow's addresses
 * (its key is random, unknowable: the fold is as random as the full address, and needs no IPv6 hasher per leaf).
 */
export function foldIpv6(w: ArrayLike<number>): number {
  return (w[0]! ^ w[1]! ^ w[2]! ^ w[3]!) >>> 0;
}

/**
 * The VXLAN source port for a flow: `hasher` (sourcePortHasher's) of the inner flow, or with none the leaf's ECMP
 * hash `ecmpHash`, scaled into the source-port range as udp_flow_src_port does. The engine and the generator's
 * --vxlan both use this.
 */
export function sourcePortOf(hasher: FlowHasher | null, ecmpHash: number, vxlan: VxlanSpec, src: number, dst: number, proto: number, sport: number, dport: number): number {
  return vxlanSourcePort(hasher === null ? ecmpHash : hasher(src, dst, proto, sport, dport), vxlan.sourcePortLow, vxlan.sourcePortHigh);
}

/**
 * `spines:` NAME: { address: A, hash?: {...} }. Addresses must differ from each other and from every VTEP; names from
 * every leaf's and VM's (failover names them); a spine's hash falls back on `defaults.hash`, seed from its name.
 */
export function readSpines(c: Checker, node: YamlNode | null, defaults: { algorithm?: HashSpec['algorithm']; seed?: number; fields?: HashSpec['fields'] } | undefined): SpineSpec[] {
  const spines: SpineSpec[] = [];
  if (node === null) return spines;
  for (const [name, value, pair] of c.entries(node, 'spines')) {
    const path = `spines.${name}`;
    let address: number | undefined;
    let own: { algorithm?: HashSpec['algorithm']; seed?: number; fields?: HashSpec['fields'] } = {};
    for (const [key, v] of c.entries(value, path, ['address', 'hash'])) {
      const p = `${path}.${key}`;
      if (key === 'address') {
        address = c.address(v, p);
        const other = spines.find((s) => s.address === address);
        if (other !== undefined) c.fail(`duplicate spine address ${c.string(v, p)} (also ${other.name}'s)`, p, v);
      } else own = readHashOverride(c, v, p);
    }
    if (address === undefined) c.fail(`missing required key 'address'`, path, value ?? pair);
    if (name.includes(':')) c.fail(`a spine name may not contain ':' (LEAF:SPINE names an uplink)`, path, pair.key as YamlNode);
    spines.push({
      name,
      address,
      hash: {
        algorithm: own.algorithm ?? defaults?.algorithm ?? DEFAULT_HASH_SPEC.algorithm,
        seed: own.seed ?? defaults?.seed ?? seedFromName(name),
        fields: own.fields ?? defaults?.fields ?? [...DEFAULT_HASH_SPEC.fields],
      },
    });
  }
  if (spines.length === 0) c.fail('spines is empty (leave it out for a fabric without spines)', 'spines', node);
  return spines;
}

/** Spines checked against the rest of the file, once leaves and VMs are known. */
export function checkSpines(c: Checker, node: YamlNode | null, spines: readonly SpineSpec[], t: Pick<Topology, 'leaves' | 'vms' | 'vrfs'>): void {
  if (spines.length === 0) return;
  // The underlay is modelled over IPv4 (spine addresses, VTEP /32 routes, the outer IPv4 header of --write).
  const v6 = t.leaves.find((l) => l.vtep6 !== undefined);
  if (v6 !== undefined) c.fail(`spines need IPv4 VTEPs: ${v6.name}'s is IPv6 (an IPv6 underlay over spines is not modelled)`, `leaves.${v6.name}.vtep`, node);
  for (const s of spines) {
    const leaf = t.leaves.find((l) => l.vtep === s.address);
    if (leaf) c.fail(`spine address is ${leaf.name}'s VTEP`, `spines.${s.name}.address`, node);
    const vm = t.vms.find((v) => v.address === s.address);
    if (vm) c.fail(`spine address is ${vm.name}'s address`, `spines.${s.name}.address`, node);
    if (t.leaves.some((l) => l.name === s.name) || t.vms.some((v) => v.name === s.name)) {
      c.fail(`spine '${s.name}' has the name of a leaf or VM`, `spines.${s.name}`, node);
    }
  }
  if (t.vrfs.some((v) => v.name === UNDERLAY_VRF)) c.fail(`with spines, '${UNDERLAY_VRF}' is the underlay's VRF: rename the tenant VRF`, `vrfs.${UNDERLAY_VRF}`, node);
}

/** What has failed in the underlay (failover): spines by index, uplinks as leaf * spines + spine. */
export interface UnderlayFailures {
  spines: Set<number>;
  links: Set<number>;
}

export function noUnderlayFailures(): UnderlayFailures {
  return { spines: new Set(), links: new Set() };
}

/**
 * Records `name` as an underlay failure when it names a spine or an uplink (`LEAF:SPINE`); false when it names
 * neither (the caller then tries VMs and leaves).
 */
export function failUnderlay(t: Topology, name: string, into: UnderlayFailures): boolean {
  const spines = t.spines ?? [];
  const s = spines.findIndex((x) => x.name === name);
  if (s >= 0) {
    into.spines.add(s);
    return true;
  }
  const colon = name.lastIndexOf(':');
  if (colon < 0) return false;
  const leaf = t.leaves.findIndex((l) => l.name === name.slice(0, colon));
  const spine = spines.findIndex((x) => x.name === name.slice(colon + 1));
  if (leaf < 0 || spine < 0) return false;
  into.links.add(leaf * spines.length + spine);
  return true;
}

/** What --fail accepts, for its error message. */
export function failTargets(t: Topology): string {
  return (t.spines ?? []).length > 0 ? 'VM, leaf, spine or uplink (LEAF:SPINE)' : 'VM or leaf';
}

/** The underlay VRF's index in the fabric's VRF list (after the tenant VRFs), -1 without spines. */
export function underlayVrfIndex(t: Topology): number {
  return (t.spines ?? []).length > 0 ? t.vrfs.length : -1;
}

export interface UnderlayRoute {
  prefix: number;
  length: number;
  /** spine indices, in topology order */
  spines: number[];
}

/**
 * Leaf `li`'s underlay FIB: the /32 of every other live leaf's VTEP via every spine that is up, whose uplink from
 * `li` is up and whose downlink to that leaf is up (a spine that lost the leaf withdraws its VTEP), up to
 * maximum-paths of them, as the underlay's EBGP multipath installs them.
 */
export function underlayRoutes(t: Topology, li: number, failedLeaves: ReadonlySet<number>, failed: UnderlayFailures): UnderlayRoute[] {
  const spines = t.spines ?? [];
  const n = spines.length;
  const out: UnderlayRoute[] = [];
  t.leaves.forEach((remote, ri) => {
    if (ri === li || failedLeaves.has(ri)) return;
    const via: number[] = [];
    for (let s = 0; s < n; s++) {
      if (failed.spines.has(s) || failed.links.has(li * n + s) || failed.links.has(ri * n + s)) continue;
      if (via.length < t.leaves[li]!.maximumPaths) via.push(s);
    }
    out.push({ prefix: remote.vtep >>> 0, length: 32, spines: via });
  });
  return out;
}

/** The underlay's part of a converged fabric. */
export interface UnderlayFabric {
  /** index of the `underlay` VRF in fabric.vrfNames, -1 without spines */
  vrf: number;
  spines: readonly SpineSpec[];
  spineNames: string[];
  /** per leaf: the hasher its VXLAN source port scales, null for its ECMP hash (`source-port: ecmp-hash`) */
  sourcePort: (FlowHasher | null)[];
  failed: UnderlayFailures;
}

export function buildUnderlay(t: Topology, failed: UnderlayFailures): UnderlayFabric {
  const spines = t.spines ?? [];
  return { vrf: underlayVrfIndex(t), spines, spineNames: spines.map((s) => s.name), sourcePort: t.leaves.map(sourcePortHasher), failed };
}
