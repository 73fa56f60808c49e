// The topology file of SPEC §2: parsed, validated with file/key-path/line errors, defaults applied.

import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node as YamlNode, type Pair } from 'yaml';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { ALL_HASH_ALGORITHMS, ALL_HASH_FIELDS, HASH_FIELDS, LINUX_CUSTOM_FIELDS, type HashAlgorithm, type HashField, type HashSpec } from '../hash/index.js';
import { SELECTIONS, type Selection } from '../fib/group.js';
import { formatIpv4, formatPrefix, tryParseIpv4, tryParsePrefix } from '../wire/ipv4.js';
import { formatIpv6, formatPrefix6, tryParseIpv6, tryParsePrefix6 } from '../wire/ipv6.js';
import { checkSpines, readSpines, SOURCE_PORT_MODES, type SourcePortMode, type SpineSpec } from './spines.js';

export type Weighting = 'equal' | 'paths';
export const WEIGHTINGS: readonly Weighting[] = ['equal', 'paths'];

export interface VrfSpec {
  name: string;
  vni: number;
}

/*
 * IPv6 in the topology (SPEC §2): every address or prefix that may be IPv6 keeps its IPv4 `number` field and has an
 * optional IPv6 twin (`via6`, `prefix6`, `vtep6`, `address6`, `peer6`): four host-order u32 words, word 0 the most
 * significant, as wire/ipv6.ts parses them. The value is IPv6 exactly when the twin is present; then the IPv4 field
 * is 0 and unused. IPv4-only files (and the built-in topology) never carry a twin, so IPv4 code reads what it always
 * read. A prefix's `length` is 0..32 or 0..128 by family.
 */

/** An address that may be IPv6: an IPv4 number, or (when `v6` is given) the IPv6 words. */
export function addressText(v4: number, v6?: ArrayLike<number>): string {
  return v6 !== undefined ? formatIpv6(v6) : formatIpv4(v4);
}

export function prefixText(v4: number, v6: ArrayLike<number> | undefined, length: number): string {
  return v6 !== undefined ? formatPrefix6(v6, length) : formatPrefix(v4, length);
}

export interface StaticNextHop {
  via: number;
  /** the via when it is IPv6 (then `via` is 0) */
  via6?: Uint32Array;
  weight: number;
}

export interface StaticRoute {
  vrf: string;
  prefix: number;
  /** the prefix when it is IPv6 (then `prefix` is 0 and `length` is 0..128) */
  prefix6?: Uint32Array;
  length: number;
  nextHops: StaticNextHop[];
}

/** A prefix a VM announces over EBGP. */
export interface Announcement {
  prefix: number;
  /** the prefix when it is IPv6 (then `prefix` is 0) */
  prefix6?: Uint32Array;
  length: number;
}

export interface LeafSpec {
  name: string;
  /** the IPv4 VTEP; 0 when the VTEP is IPv6 */
  vtep: number;
  /** the VTEP when it is IPv6 (VXLAN over an IPv6 underlay) */
  vtep6?: Uint32Array;
  asn: number;
  /** The hash this leaf forwards with, seed resolved (explicit, or derived from the leaf's name). */
  hash: HashSpec;
  /** True when the seed was written in the file (defaults or leaf), false when derived from the name. */
  seedExplicit: boolean;
  selection: Selection;
  buckets: number;
  maximumPaths: number;
  /**
   * `bgp bestpath as-path multipath-relax`: paths from different neighbour ASes may share a multipath set. True
   * unless the file says `multipath-relax: false` (the built-in fabric's border needs it across leaf-1..3's ASes);
   * the importer writes what the config says.
   */
  multipathRelax: boolean;
  /** Per VRF, the EVPN route-targets this leaf imports and exports; a VRF not listed imports and exports all. */
  routeTargets: Record<string, RouteTargets>;
  routes: StaticRoute[];
  /** what its VXLAN source port hashes (`vxlan: { source-port }`, fabric/spines.ts); absent: independent */
  sourcePort?: SourcePortMode;
}

/** EVPN route-targets as `ASN:N` or `IP:N` strings; an import of `*:N` matches any global part. */
export interface RouteTargets {
  import: string[];
  export: string[];
}

export interface VmSpec {
  name: string;
  leaf: string;
  vrf: string;
  /** the VM's IPv4 address; 0 when it is IPv6 */
  address: number;
  /** the VM's address when it is IPv6 (a /127 point-to-point, RFC 6164, or a wider subnet) */
  address6?: Uint32Array;
  length: number;
  /** The leaf's side of the point-to-point subnet: the VM's EBGP neighbour. */
  peer: number;
  /** the leaf's side when the VM's address is IPv6 (then `peer` is 0) */
  peer6?: Uint32Array;
  asn: number;
  /** The VM's BGP router-id (always a 32-bit id, written as IPv4), the leaf's tie-break between equal paths. */
  routerId?: number;
  /** What the VM announces: IPv4 and IPv6 prefixes alike, whatever its own address family (MP-BGP). */
  announce: Announcement[];
}

/** A leaf's VTEP as text. */
export function vtepText(leaf: LeafSpec): string {
  return addressText(leaf.vtep, leaf.vtep6);
}

/** A VM's address as text (without the length). */
export function vmAddressText(vm: VmSpec): string {
  return addressText(vm.address, vm.address6);
}

/**
 * The IPv4 hasher's spec for a leaf: the file's, without `flowlabel` for the algorithms that take it as an IPv6
 * field only (the non-Linux ones; IPv4 has no flow label). linux-custom keeps it (policy 3 reads it as 0 in IPv4).
 */
export function hashSpec4(spec: HashSpec): HashSpec {
  if (spec.algorithm === 'linux-custom' || !spec.fields.includes('flowlabel')) return spec;
  return { ...spec, fields: spec.fields.filter((f) => f !== 'flowlabel') };
}

export interface VxlanSpec {
  port: number;
  sourcePortLow: number;
  sourcePortHigh: number;
}

export interface Topology {
  /** Where it came from: a file name, or "built-in". */
  source: string;
  vrfs: VrfSpec[];
  leaves: LeafSpec[];
  vms: VmSpec[];
  ingress: { leaf: string; vrf: string };
  weighting: Weighting;
  vxlan: VxlanSpec;
  /** SPEC §2 `spines:` (fabric/spines.ts); absent or empty: leaves reach each other directly */
  spines?: SpineSpec[];
}

/** SPEC §1: the fabric every command uses when no --topology is given. */
export const DEFAULT_TOPOLOGY_YAML = `vrfs:
  TENANT-A: { vni: 10100 }
leaves:
  border: { vtep: 10.1.1.254, asn: 65000 }
  leaf-1: { vtep: 10.1.1.1, asn: 65001 }
  leaf-2: { vtep: 10.1.1.2, asn: 65002 }
  leaf-3: { vtep: 10.1.1.3, asn: 65003 }
vms:
  VM-1: { leaf: leaf-1, vrf: TENANT-A, address: 172.16.1.1/31, asn: 65100, announce: [192.168.100.10/32] }
  VM-2: { leaf: leaf-2, vrf: TENANT-A, address: 172.16.2.1/31, asn: 65100, announce: [192.168.100.10/32] }
  VM-A: { leaf: leaf-3, vrf: TENANT-A, address: 172.16.3.1/31, asn: 65100, announce: [192.168.100.10/32] }
  VM-B: { leaf: leaf-3, vrf: TENANT-A, address: 172.16.3.3/31, asn: 65100, announce: [192.168.100.10/32] }
  VM-C: { leaf: leaf-3, vrf: TENANT-A, address: 172.16.3.5/31, asn: 65100, announce: [192.168.100.10/32] }
ingress: { leaf: border, vrf: TENANT-A }
`;

export const DEFAULT_HASH_SPEC: { algorithm: HashAlgorithm; fields: readonly HashField[] } = {
  algorithm: 'linux-l4',
  fields: HASH_FIELDS,
};

/**
 * A seed for a leaf that names none: FNV-1a of its name, so distinct leaves hash differently, as independent
 * boxes do (each Linux box draws its own random multipath seed at boot).
 */
export function seedFromName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) || 1;
}

/** Reads and validates a topology file; with no path, the built-in default. */
export function loadTopology(path?: string): Topology {
  if (path === undefined) return builtinTopology();
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError('topology is a directory, not a file', path);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'no such topology file' : `cannot read topology (${code ?? String(e)})`, path);
  }
  return parseTopology(text, path);
}

/** Where the build writes the built-in topology as parsed (scripts/postbuild.mjs), next to the compiled modules. */
export const BUILTIN_TOPOLOGY_JSON = 'default-topology.json';

/**
 * The built-in topology, as the build parsed it from DEFAULT_TOPOLOGY_YAML with this module: reading that JSON
 * skips running the YAML parser, ~15 ms of every command's start (a third of what replay does before its first
 * frame). Parsed here when it is absent (tests run from src/). The URL goes up and down again because this code
 * also runs bundled into dist/src/cli/main.js.
 */
function builtinTopology(): Topology {
  let text: string | undefined;
  try {
    text = readFileSync(new URL(`../fabric/${BUILTIN_TOPOLOGY_JSON}`, import.meta.url), 'utf8');
  } catch {
    text = undefined;
  }
  return text !== undefined ? (JSON.parse(text) as Topology) : parseTopology(DEFAULT_TOPOLOGY_YAML, 'built-in');
}

/** Validation context: turns a YAML node and a key path into the one-line error SPEC §2 asks for. */
export class Checker {
  readonly lines = new LineCounter();
  constructor(readonly file: string) {}

  lineOf(node: YamlNode | Pair | null | undefined): number {
    const range = node && 'range' in node ? node.range : node && 'key' in node ? (node.key as YamlNode)?.range : undefined;
    return range ? this.lines.linePos(range[0]).line : 0;
  }

  fail(what: string, path: string, node: YamlNode | Pair | null | undefined): never {
    const line = this.lineOf(node);
    const at = [path, line ? `line ${line}` : ''].filter(Boolean).join(', ');
    throw new UsageError(what, at ? `${this.file}: ${at}` : this.file);
  }

  /** The entries of a mapping, keys as strings, unknown keys refused. */
  entries(node: unknown, path: string, allowed?: readonly string[]): [string, YamlNode | null, Pair][] {
    if (!isMap(node)) this.fail(`expected a mapping, got ${describe(node)}`, path, node as YamlNode);
    const out: [string, YamlNode | null, Pair][] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const keyPath = path ? `${path}.${key}` : String(key);
      if (key === undefined) this.fail('keys must be plain names', path, pair.key as YamlNode);
      if (allowed && !allowed.includes(key)) {
        this.fail(`unknown key '${key}' (expected one of ${allowed.join(', ')})`, keyPath, pair.key as YamlNode);
      }
      out.push([key, pair.value as YamlNode | null, pair]);
    }
    return out;
  }

  scalar(node: unknown, path: string): unknown {
    if (!isScalar(node)) this.fail(`expected a value, got ${describe(node)}`, path, node as YamlNode);
    return node.value;
  }

  string(node: unknown, path: string): string {
    const v = this.scalar(node, path);
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(`expected a name, got ${describe(node)}`, path, node as YamlNode);
    return String(v);
  }

  integer(node: unknown, path: string, min: number, max: number, what = 'value'): number {
    const v = this.scalar(node, path);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(`${what} ${JSON.stringify(v)} is not an integer in ${min}..${max}`, path, node as YamlNode);
    }
    return v;
  }

  address(node: unknown, path: string): number {
    const v = this.string(node, path);
    const a = tryParseIpv4(v);
    if (a < 0) this.fail(`bad IPv4 address '${v}'`, path, node as YamlNode);
    return a;
  }

  /** An IPv4 address (a number) or an IPv6 one (its words). */
  anyAddress(node: unknown, path: string): number | Uint32Array {
    const v = this.string(node, path);
    if (v.includes(':')) {
      const a6 = tryParseIpv6(v);
      if (a6 === undefined) this.fail(`bad IPv6 address '${v}'`, path, node as YamlNode);
      return a6;
    }
    const a = tryParseIpv4(v);
    if (a < 0) this.fail(`bad IPv4 address '${v}'`, path, node as YamlNode);
    return a;
  }

  /** An IPv4 or IPv6 prefix; for IPv6, the words of the network and of the address as written. */
  anyPrefix(node: unknown, path: string, strictHost = true): AnyPrefix {
    const v = this.string(node, path);
    if (!v.includes(':')) {
      const p = this.prefix(node, path, strictHost);
      return { prefix: p.prefix, length: p.length, address: p.address };
    }
    const p = tryParsePrefix6(v);
    if (!p) this.fail(`bad IPv6 prefix '${v}'`, path, node as YamlNode);
    if (strictHost && p.address.some((w, i) => w !== p.network[i])) this.fail(`prefix '${v}' has host bits set`, path, node as YamlNode);
    return { prefix: 0, length: p.length, address: 0, prefix6: p.network, address6: p.address };
  }

  prefix(node: unknown, path: string, strictHost = true): { prefix: number; length: number; address: number } {
    const v = this.string(node, path);
    const p = tryParsePrefix(v);
    if (!p) this.fail(`bad IPv4 prefix '${v}'`, path, node as YamlNode);
    if (strictHost && p.address !== p.network) this.fail(`prefix '${v}' has host bits set`, path, node as YamlNode);
    return { prefix: p.network, length: p.length, address: p.address };
  }

  boolean(node: unknown, path: string): boolean {
    const v = this.scalar(node, path);
    if (typeof v !== 'boolean') this.fail(`expected true or false, got ${describe(node)}`, path, node as YamlNode);
    return v;
  }

  oneOf<T extends string>(node: unknown, path: string, choices: readonly T[], what: string): T {
    const v = this.string(node, path);
    if (!choices.includes(v as T)) this.fail(`unknown ${what} '${v}' (expected one of ${choices.join(', ')})`, path, node as YamlNode);
    return v as T;
  }

  seq(node: unknown, path: string): YamlNode[] {
    if (!isSeq(node)) this.fail(`expected a list, got ${describe(node)}`, path, node as YamlNode);
    return node.items as YamlNode[];
  }
}

interface AnyPrefix {
  prefix: number;
  length: number;
  address: number;
  prefix6?: Uint32Array;
  address6?: Uint32Array;
}

/** A key that tells addresses of both families apart (for duplicate checks). */
function addressKey(a: number | Uint32Array): string {
  return typeof a === 'number' ? formatIpv4(a) : formatIpv6(a);
}

function describe(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return JSON.stringify(node.value);
  return 'something else';
}

export interface HashOverride {
  algorithm?: HashAlgorithm;
  seed?: number;
  fields?: HashField[];
}

interface LeafOverrides {
  hash?: HashOverride;
  selection?: Selection;
  buckets?: number;
  maximumPaths?: number;
}

const LEAF_KEYS = ['vtep', 'asn', 'hash', 'selection', 'buckets', 'maximum-paths', 'multipath-relax', 'route-targets', 'routes', 'vxlan'] as const;
const DEFAULTS_KEYS = ['hash', 'selection', 'buckets', 'maximum-paths', 'weighting', 'vxlan'] as const;

/** Parses topology YAML text; `source` names the file in errors. */
export function parseTopology(text: string, source: string): Topology {
  const c: Checker = new Checker(source);
  const doc = parseDocument(text, { lineCounter: c.lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = err.linePos?.[0]?.line;
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`YAML syntax: ${msg}`, `${source}${line ? `: line ${line}` : ''}`);
  }
  const root = doc.contents;
  if (root === null) c.fail('the topology is empty', '', null);

  let vrfsNode: YamlNode | null = null;
  let defaultsNode: YamlNode | null = null;
  let leavesNode: YamlNode | null = null;
  let vmsNode: YamlNode | null = null;
  let ingressNode: YamlNode | null = null;
  let spinesNode: YamlNode | null = null;
  for (const [key, value] of c.entries(root, '', ['vrfs', 'defaults', 'spines', 'leaves', 'vms', 'ingress'])) {
    if (key === 'vrfs') vrfsNode = value;
    else if (key === 'spines') spinesNode = value;
    else if (key === 'defaults') defaultsNode = value;
    else if (key === 'leaves') leavesNode = value;
    else if (key === 'vms') vmsNode = value;
    else ingressNode = value;
  }
  for (const [key, node] of [['vrfs', vrfsNode], ['leaves', leavesNode], ['ingress', ingressNode]] as const) {
    if (node === null) c.fail(`missing required key '${key}'`, key, root as YamlNode);
  }

  // vrfs
  const vrfs: VrfSpec[] = [];
  const vniSeen = new Map<number, string>();
  for (const [name, value] of c.entries(vrfsNode, 'vrfs')) {
    const path = `vrfs.${name}`;
    let vni: number | undefined;
    for (const [key, v] of c.entries(value, path, ['vni'])) {
      if (key === 'vni') vni = c.integer(v, `${path}.vni`, 1, 16777215, 'VNI');
    }
    if (vni === undefined) c.fail(`missing required key 'vni'`, path, value);
    const other = vniSeen.get(vni);
    if (other !== undefined) c.fail(`VNI ${vni} is already used by VRF ${other}`, `${path}.vni`, value);
    vniSeen.set(vni, name);
    vrfs.push({ name, vni });
  }
  const vrfNames = vrfs.map((v) => v.name);

  // defaults
  const defaults: LeafOverrides = {};
  let weighting: Weighting = 'equal';
  const vxlan: VxlanSpec = { port: 4789, sourcePortLow: 49152, sourcePortHigh: 65535 };
  const ports: { mode?: SourcePortMode } = {};
  if (defaultsNode !== null) {
    for (const [key, value] of c.entries(defaultsNode, 'defaults', DEFAULTS_KEYS)) {
      const path = `defaults.${key}`;
      if (key === 'weighting') weighting = c.oneOf(value, path, WEIGHTINGS, 'weighting');
      else if (key === 'vxlan') readVxlan(c, value, path, vxlan, ports);
      else readOverride(c, key, value, path, defaults);
    }
  }
  const spines = readSpines(c, spinesNode, defaults.hash);

  // leaves
  const leaves: LeafSpec[] = [];
  const vtepSeen = new Map<string, string>();
  const staticNodes: { leaf: LeafSpec; node: YamlNode | null; path: string }[] = [];
  for (const [name, value, pair] of c.entries(leavesNode, 'leaves')) {
    const path = `leaves.${name}`;
    const own: LeafOverrides = {};
    let vtep: number | Uint32Array | undefined;
    let asn: number | undefined;
    let routesNode: YamlNode | null = null;
    let relax = true;
    let rtNode: YamlNode | null = null;
    const ownPorts: { mode?: SourcePortMode } = {};
    for (const [key, v] of c.entries(value, path, LEAF_KEYS)) {
      const p = `${path}.${key}`;
      if (key === 'vtep') {
        vtep = c.anyAddress(v, p);
        const other = vtepSeen.get(addressKey(vtep));
        if (other !== undefined) c.fail(`duplicate VTEP ${c.string(v, p)} (also ${other}'s)`, p, v);
        vtepSeen.set(addressKey(vtep), name);
      } else if (key === 'asn') asn = c.integer(v, p, 1, 4294967295, 'ASN');
      else if (key === 'routes') routesNode = v;
      else if (key === 'multipath-relax') relax = c.boolean(v, p);
      else if (key === 'route-targets') rtNode = v;
      else if (key === 'vxlan') readSourcePort(c, v, p, ownPorts);
      else readOverride(c, key, v, p, own);
    }
    if (vtep === undefined) c.fail(`missing required key 'vtep'`, path, value ?? pair);
    const explicitSeed = own.hash?.seed ?? defaults.hash?.seed;
    const algorithm = own.hash?.algorithm ?? defaults.hash?.algorithm ?? DEFAULT_HASH_SPEC.algorithm;
    const fields = own.hash?.fields ?? defaults.hash?.fields ?? [...DEFAULT_HASH_SPEC.fields];
    // `flowlabel` is also an IPv6 field of the non-Linux algorithms (IPv4 flows have none); the rest is policy 3's.
    const custom = fields.find((f) => LINUX_CUSTOM_FIELDS.includes(f) && (f !== 'flowlabel' || algorithm.startsWith('linux-')));
    if (custom !== undefined && algorithm !== 'linux-custom') {
      c.fail(`hash field '${custom}' is read by linux-custom only (Linux's policy 3), not by ${algorithm}`, `${path}.hash.fields`, value ?? pair);
    }
    const leaf: LeafSpec = {
      name,
      vtep: typeof vtep === 'number' ? vtep : 0,
      asn: asn ?? 0,
      hash: { algorithm, seed: explicitSeed ?? seedFromName(name), fields },
      seedExplicit: explicitSeed !== undefined,
      selection: own.selection ?? defaults.selection ?? 'hash-threshold',
      buckets: own.buckets ?? defaults.buckets ?? 128,
      maximumPaths: own.maximumPaths ?? defaults.maximumPaths ?? 64,
      multipathRelax: relax,
      routeTargets: rtNode === null ? {} : readRouteTargets(c, rtNode, `${path}.route-targets`, vrfNames),
      routes: [],
    };
    const sourcePort = ownPorts.mode ?? ports.mode;
    if (sourcePort !== undefined) leaf.sourcePort = sourcePort;
    if (typeof vtep !== 'number') leaf.vtep6 = vtep;
    leaves.push(leaf);
    staticNodes.push({ leaf, node: routesNode, path: `${path}.routes` });
  }
  const leafNames = leaves.map((l) => l.name);

  // static routes, once every leaf is known
  for (const { leaf, node, path } of staticNodes) {
    if (node === null) continue;
    for (const [vrf, perVrf, pair] of c.entries(node, path)) {
      const vp = `${path}.${vrf}`;
      if (!vrfNames.includes(vrf)) c.fail(`unknown VRF '${vrf}'`, vp, pair.key as YamlNode);
      for (const [prefixText, hops, routePair] of c.entries(perVrf, vp)) {
        const rp = `${vp}.${prefixText}`;
        const p = c.anyPrefix(routePair.key, rp);
        const nextHops: StaticNextHop[] = [];
        c.seq(hops, rp).forEach((hop, i) => {
          const hp = `${rp}[${i}]`;
          let via: number | Uint32Array | undefined;
          let weight = 1;
          for (const [key, v] of c.entries(hop, hp, ['via', 'weight'])) {
            if (key === 'via') via = c.anyAddress(v, `${hp}.via`);
            else {
              const w = c.scalar(v, `${hp}.weight`);
              if (typeof w !== 'number' || !Number.isInteger(w) || w <= 0) {
                c.fail(`weight ${JSON.stringify(w)} must be a positive integer`, `${hp}.weight`, v);
              }
              if (w > 65535) c.fail(`weight ${w} is above 65535`, `${hp}.weight`, v);
              weight = w;
            }
          }
          if (via === undefined) c.fail(`missing required key 'via'`, hp, hop);
          if (addressKey(via) === addressKey(leaf.vtep6 ?? leaf.vtep)) c.fail(`a static route cannot point at the leaf's own VTEP`, `${hp}.via`, hop);
          // A via of the other family than the prefix is allowed, as Linux takes `ip -6 route add ... via inet A`.
          nextHops.push(typeof via === 'number' ? { via, weight } : { via: 0, via6: via, weight });
        });
        if (nextHops.length === 0) c.fail('a static route needs at least one next-hop', rp, hops);
        const route: StaticRoute = { vrf, prefix: p.prefix, length: p.length, nextHops };
        if (p.prefix6) route.prefix6 = p.prefix6;
        leaf.routes.push(route);
      }
    }
  }

  // vms
  const vms: VmSpec[] = [];
  const addressSeen = new Map<string, string>();
  if (vmsNode !== null) {
    for (const [name, value, pair] of c.entries(vmsNode, 'vms')) {
      const path = `vms.${name}`;
      let leaf: string | undefined;
      let vrf: string | undefined;
      let addr: AnyPrefix | undefined;
      let asn = 0;
      let routerId: number | undefined;
      const announce: Announcement[] = [];
      for (const [key, v] of c.entries(value, path, ['leaf', 'vrf', 'address', 'asn', 'router-id', 'announce'])) {
        const p = `${path}.${key}`;
        if (key === 'leaf') {
          leaf = c.string(v, p);
          if (!leafNames.includes(leaf)) c.fail(`unknown leaf '${leaf}'`, p, v);
        } else if (key === 'vrf') {
          vrf = c.string(v, p);
          if (!vrfNames.includes(vrf)) c.fail(`unknown VRF '${vrf}'`, p, v);
        } else if (key === 'address') {
          addr = c.anyPrefix(v, p, false);
          if (addr.address6 !== undefined) {
            const a6 = addr.address6;
            if (addr.length > 127) c.fail(`VM address '${c.string(v, p)}' needs a point-to-point prefix (/127 or shorter)`, p, v);
            // RFC 6164 /127s use both addresses; in a wider subnet the all-zero host is the Subnet-Router anycast.
            if (addr.length < 127 && a6.every((w, i) => w === addr!.prefix6![i])) {
              c.fail(`VM address '${c.string(v, p)}' is the subnet's Subnet-Router anycast address`, p, v);
            }
          } else {
            if (addr.length > 31) c.fail(`VM address '${c.string(v, p)}' needs a point-to-point prefix (/31 or shorter)`, p, v);
            if (addr.length < 31 && (addr.address === addr.prefix || addr.address === (addr.prefix | ~(0xffffffff << (32 - addr.length) >>> 0)) >>> 0)) {
              c.fail(`VM address '${c.string(v, p)}' is the subnet's network or broadcast address`, p, v);
            }
          }
          const key = addressKey(addr.address6 ?? addr.address);
          const other = addressSeen.get(key);
          if (other !== undefined) c.fail(`address already used by ${other}`, p, v);
          addressSeen.set(key, name);
        } else if (key === 'asn') asn = c.integer(v, p, 1, 4294967295, 'ASN');
        else if (key === 'router-id') routerId = c.address(v, p);
        else {
          c.seq(v, p).forEach((item, i) => {
            const q = c.anyPrefix(item, `${p}[${i}]`);
            announce.push(q.prefix6 ? { prefix: 0, prefix6: q.prefix6, length: q.length } : { prefix: q.prefix, length: q.length });
          });
        }
      }
      if (leaf === undefined) c.fail(`missing required key 'leaf'`, path, value ?? pair);
      if (vrf === undefined) c.fail(`missing required key 'vrf'`, path, value ?? pair);
      if (addr === undefined) c.fail(`missing required key 'address'`, path, value ?? pair);
      const vm: VmSpec = { name, leaf, vrf, address: addr.address, length: addr.length, peer: addr.address6 ? 0 : peerOf(addr), asn, announce };
      if (addr.address6) {
        vm.address6 = addr.address6;
        vm.peer6 = peerOf6(addr.address6, addr.prefix6!, addr.length);
      }
      if (routerId !== undefined) vm.routerId = routerId;
      vms.push(vm);
    }
  }

  // ingress
  let ingressLeaf: string | undefined;
  let ingressVrf: string | undefined;
  for (const [key, v] of c.entries(ingressNode, 'ingress', ['leaf', 'vrf'])) {
    const p = `ingress.${key}`;
    if (key === 'leaf') {
      ingressLeaf = c.string(v, p);
      if (!leafNames.includes(ingressLeaf)) c.fail(`unknown leaf '${ingressLeaf}'`, p, v);
    } else {
      ingressVrf = c.string(v, p);
      if (!vrfNames.includes(ingressVrf)) c.fail(`unknown VRF '${ingressVrf}'`, p, v);
    }
  }
  if (ingressLeaf === undefined) c.fail(`missing required key 'leaf'`, 'ingress', ingressNode);
  if (ingressVrf === undefined) c.fail(`missing required key 'vrf'`, 'ingress', ingressNode);

  for (const leaf of leaves) {
    if (leaf.selection === 'resilient') {
      // Every group on the leaf must fit its bucket table; the largest possible group is maximum-paths wide.
      const widest = Math.min(leaf.maximumPaths, Math.max(vms.length, leaves.length, spines.length, 1));
      if (leaf.buckets < widest) {
        c.fail(`buckets ${leaf.buckets} is fewer than the ${widest} next-hops a group may have`, `leaves.${leaf.name}.buckets`, leavesNode);
      }
    }
  }

  checkSpines(c, spinesNode, spines, { leaves, vms, vrfs });
  const topology: Topology = { source, vrfs, leaves, vms, ingress: { leaf: ingressLeaf, vrf: ingressVrf }, weighting, vxlan };
  if (spines.length > 0) topology.spines = spines;
  return topology;
}

function peerOf(addr: { prefix: number; length: number; address: number }): number {
  if (addr.length === 31) return (addr.address ^ 1) >>> 0;
  // A wider subnet: the leaf takes the first host address, or the second when the VM has the first.
  const first = (addr.prefix + 1) >>> 0;
  return first === addr.address ? (first + 1) >>> 0 : first;
}

/**
 * The leaf's side of an IPv6 VM subnet: on a /127 the other address (RFC 6164); on a wider subnet the first host
 * after the Subnet-Router anycast address (network + 1), or network + 2 when the VM has network + 1. A subnet of
 * /126 or wider has at least two host bits, so adding 1 or 2 to the last word never carries.
 */
function peerOf6(address: Uint32Array, network: Uint32Array, length: number): Uint32Array {
  const peer = Uint32Array.from(address);
  if (length === 127) {
    peer[3] = (address[3]! ^ 1) >>> 0;
    return peer;
  }
  peer.set(network);
  peer[3] = (network[3]! + 1) >>> 0;
  if (peer.every((w, i) => w === address[i])) peer[3] = (network[3]! + 2) >>> 0;
  return peer;
}

/** A `hash: { algorithm?, seed?, fields? }` mapping (a leaf's, the defaults', a spine's). */
export function readHashOverride(c: Checker, value: YamlNode | null, path: string): HashOverride {
  const h: HashOverride = {};
  for (const [k, v] of c.entries(value, path, ['algorithm', 'seed', 'fields'])) {
    const p = `${path}.${k}`;
    if (k === 'algorithm') h.algorithm = c.oneOf(v, p, ALL_HASH_ALGORITHMS, 'hash algorithm');
    else if (k === 'seed') h.seed = c.integer(v, p, 0, 4294967295, 'seed');
    else {
      const fields = c.seq(v, p).map((f, i) => c.oneOf(f, `${p}[${i}]`, ALL_HASH_FIELDS, 'hash field'));
      if (fields.length === 0) c.fail('the field list is empty', p, v);
      if (new Set(fields).size !== fields.length) c.fail('a field is listed twice', p, v);
      h.fields = fields;
    }
  }
  return h;
}

function readOverride(c: Checker, key: string, value: YamlNode | null, path: string, into: LeafOverrides): void {
  if (key === 'hash') into.hash = readHashOverride(c, value, path);
  else if (key === 'selection') into.selection = c.oneOf(value, path, SELECTIONS, 'selection');
  else if (key === 'buckets') into.buckets = c.integer(value, path, 1, 1 << 20, 'buckets');
  else if (key === 'maximum-paths') into.maximumPaths = c.integer(value, path, 1, 1024, 'maximum-paths');
}

/** A route-target: `ASN:N` (2- or 4-byte ASN), `IPv4:N`, or on import `*:N`. */
const RT_PATTERN = /^(\*|\d{1,10}|\d{1,3}(\.\d{1,3}){3}):\d{1,10}$/;

function readRouteTargets(c: Checker, node: YamlNode, path: string, vrfNames: string[]): Record<string, RouteTargets> {
  const out: Record<string, RouteTargets> = {};
  for (const [vrf, perVrf, pair] of c.entries(node, path)) {
    const vp = `${path}.${vrf}`;
    if (!vrfNames.includes(vrf)) c.fail(`unknown VRF '${vrf}'`, vp, pair.key as YamlNode);
    const rts: RouteTargets = { import: [], export: [] };
    for (const [dir, list] of c.entries(perVrf, vp, ['import', 'export'])) {
      const dp = `${vp}.${dir}`;
      rts[dir as 'import' | 'export'] = c.seq(list, dp).map((item, i) => {
        const rt = c.string(item, `${dp}[${i}]`);
        if (!RT_PATTERN.test(rt) || (dir === 'export' && rt.startsWith('*'))) c.fail(`bad route-target '${rt}'`, `${dp}[${i}]`, item);
        return rt;
      });
    }
    out[vrf] = rts;
  }
  return out;
}

/** A leaf's `vxlan: { source-port: independent | ecmp-hash }` (port and range are the fabric's, in defaults). */
function readSourcePort(c: Checker, value: YamlNode | null, path: string, into: { mode?: SourcePortMode }): void {
  for (const [k, v] of c.entries(value, path, ['source-port'])) into.mode = c.oneOf(v, `${path}.${k}`, SOURCE_PORT_MODES, 'source-port');
}

function readVxlan(c: Checker, value: YamlNode | null, path: string, into: VxlanSpec, ports: { mode?: SourcePortMode }): void {
  for (const [k, v] of c.entries(value, path, ['port', 'source-ports', 'source-port'])) {
    const p = `${path}.${k}`;
    if (k === 'port') into.port = c.integer(v, p, 1, 65535, 'port');
    else if (k === 'source-port') ports.mode = c.oneOf(v, p, SOURCE_PORT_MODES, 'source-port');
    else {
      const items = c.seq(v, p);
      if (items.length !== 2) c.fail('source-ports is [low, high]', p, v);
      const lo = c.integer(items[0], `${p}[0]`, 1, 65535, 'port');
      const hi = c.integer(items[1], `${p}[1]`, 1, 65535, 'port');
      if (lo > hi) c.fail(`source-ports low ${lo} is above high ${hi}`, p, v);
      into.sourcePortLow = lo;
      into.sourcePortHigh = hi;
    }
  }
}
