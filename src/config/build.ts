// Devices (leaves and VMs, as parsed) into the fabric a real box would build: what each leaf accepts and exports.

import { UsageError } from '../errors.js';
import { formatIpv4, formatPrefix } from '../wire/ipv4.js';
import type { BgpInstance, DeviceConfig, Finding, NeighborConfig, Origin, Prefix4 } from './model.js';

/** FRR's EBGP/IBGP multipath default (SPEC §4: 64; the Debian package is built with 256, equal for any fabric here). */
export const FRR_DEFAULT_MAXIMUM_PATHS = 64;

export interface ImportOptions {
  /** what a VM neighbour with no config of its own announces */
  vmAnnounce?: Prefix4[];
  ingress?: string;
}

/** One tenant VRF of a leaf: its BGP instance and the route-targets it imports and exports. */
export interface LeafVrf {
  vrf: string;
  inst?: BgpInstance;
  rtImport: string[];
  rtExport: string[];
  rtAuto: boolean;
}

export interface LeafPlan {
  device: DeviceConfig;
  name: string;
  vtep: number;
  vtepSource: string;
  asn: number;
  /** every tenant VRF, the primary one (whose instance sets maximum-paths and multipath-relax) first */
  vrfs: LeafVrf[];
  /** the primary VRF's name and instance */
  vrf: string;
  inst?: BgpInstance;
  maximumPaths: number;
  /** where the path count came from: the line, or the dialect's default */
  maximumPathsAt?: Origin;
  relax: boolean;
  /** link-bandwidth on its type-5 export */
  bandwidth?: string;
}

export interface VmPlan {
  name: string;
  leaf: string;
  vrf: string;
  address: number;
  asn: number;
  routerId?: number;
  announce: Prefix4[];
  /** the leaf's BGP instance the VM peers with */
  inst: BgpInstance;
  /** what the YAML comment says about it: where its announcement came from, or why it is empty */
  note: string;
  device?: DeviceConfig;
  neighbor: NeighborConfig;
}

export interface FabricPlan {
  vrfs: { name: string; vni: number }[];
  leaves: LeafPlan[];
  vms: VmPlan[];
  ingress: { leaf: string; vrf: string };
  weighting: 'equal' | 'paths';
  findings: Finding[];
}

const isLeaf = (d: DeviceConfig): boolean => d.vrfs.size > 0 || d.bgp.some((i) => i.vrf !== undefined);
const at = (o: Origin): string => `${o.file} line ${o.line}`;

/** Builds the plan of the whole fabric; errors (exit 2) when no topology can be made from the files. */
export function planFabric(devices: DeviceConfig[], options: ImportOptions = {}): FabricPlan {
  const findings: Finding[] = [];
  const names = new Map<string, string>();
  for (const d of devices) {
    const other = names.get(d.name);
    if (other !== undefined) throw new UsageError(`two devices are named '${d.name}' (${other} and ${d.file}); give one a hostname line`, d.file);
    names.set(d.name, d.file);
  }
  const leafDevices = devices.filter(isLeaf);
  if (leafDevices.length === 0) throw new UsageError('no leaf among the configs (no VRF and no router bgp … vrf)', devices.map((d) => d.file).join(', '));
  const vmDevices = devices.filter((d) => !isLeaf(d));
  const leaves = leafDevices.map((d) => planLeaf(d, findings));
  const vrfs = vrfVnis(leafDevices, findings);
  for (const leaf of leaves) {
    // A VRF with no L3 VNI anywhere cannot be in the topology (vrfvnis said so): its VMs are left out.
    leaf.vrfs = leaf.vrfs.filter((v) => vrfs.some((x) => x.name === v.vrf));
    if (leaf.vrfs.length === 0) throw new UsageError(`leaf ${leaf.name} has no VRF with an L3 VNI (vni / l3vni)`, leaf.device.file);
    if (!leaf.vrfs.some((v) => v.vrf === leaf.vrf)) ({ vrf: leaf.vrf, inst: leaf.inst } = leaf.vrfs[0]!);
    for (const v of leaf.vrfs) resolveRouteTargets(leaf, v, vrfs, findings);
  }
  const vms = leaves.flatMap((l) => planVms(l, vmDevices, options, findings));
  for (const d of vmDevices) {
    if (!vms.some((v) => v.device === d)) findings.push({ kind: 'unmatched-vm', node: d.name, message: `${d.file}: no leaf has a VRF neighbour at the other end of this device's BGP sessions; it is left out` });
  }
  const ingress = pickIngress(leaves, vms, options.ingress, findings);
  const weighting = pickWeighting(leaves, vms, ingress.leaf, findings);
  return { vrfs, leaves, vms, ingress, weighting, findings };
}

/**
 * A leaf and its tenant VRFs. The topology holds maximum-paths and multipath-relax per leaf, not per VRF: they come
 * from the primary VRF (the first whose BGP instance has neighbours), and a VRF that differs is a finding.
 */
function planLeaf(d: DeviceConfig, findings: Finding[]): LeafPlan {
  const global = d.bgp.find((i) => i.vrf === undefined);
  const names = [...new Set([...d.bgp.filter((i) => i.vrf !== undefined).map((i) => i.vrf!), ...d.vrfs.keys()])];
  const vrfList: LeafVrf[] = names.map((vrf) => {
    const v: LeafVrf = { vrf, rtImport: [], rtExport: [], rtAuto: false };
    const inst = d.bgp.find((i) => i.vrf === vrf);
    if (inst) v.inst = inst;
    return v;
  });
  const primary = vrfList.find((v) => (v.inst?.neighbors.size ?? 0) > 0) ?? vrfList[0]!;
  vrfList.splice(vrfList.indexOf(primary), 1);
  vrfList.unshift(primary);
  const inst = primary.inst;
  const vrf = primary.vrf;
  const { vtep, source } = vtepOf(d, global, inst);
  if (source.startsWith('bgp router-id')) {
    findings.push({ kind: 'vtep', node: d.name, message: `VTEP ${formatIpv4(vtep)} taken from the ${source}: the config has no loopback address and no vxlan local address` });
  }
  // OcNOS writes max-paths and multipath-relax at router bgp level too; FRR's instances inherit nothing.
  const ocnos = d.dialect === 'ocnos';
  const mp = inst?.maxPaths ?? (ocnos ? global?.maxPaths : undefined);
  const relax = inst?.relax ?? (ocnos ? global?.relax : undefined);
  const leaf: LeafPlan = {
    device: d, name: d.name, vtep, vtepSource: source, asn: inst?.asn ?? global?.asn ?? 0, vrfs: vrfList, vrf,
    maximumPaths: mp?.n ?? (ocnos ? 1 : FRR_DEFAULT_MAXIMUM_PATHS),
    relax: relax !== undefined,
  };
  if (inst) leaf.inst = inst;
  if (mp) leaf.maximumPathsAt = mp.at;
  for (const other of vrfList.slice(1)) {
    const n = other.inst?.maxPaths?.n ?? (ocnos ? global?.maxPaths?.n : undefined) ?? (ocnos ? 1 : FRR_DEFAULT_MAXIMUM_PATHS);
    const r = (other.inst?.relax ?? (ocnos ? global?.relax : undefined)) !== undefined;
    if (other.inst?.neighbors.size && (n !== leaf.maximumPaths || r !== leaf.relax)) {
      findings.push({ kind: 'per-vrf', node: d.name, message: `vrf ${other.vrf} has maximum-paths ${n}${r ? ', multipath-relax' : ''} but vrf ${vrf} has ${leaf.maximumPaths}${leaf.relax ? ', multipath-relax' : ''}: the topology holds one per leaf and uses vrf ${vrf}'s` });
    }
  }
  if (!ocnos && global?.relax && !inst?.relax && inst) {
    findings.push({ kind: 'multipath-relax', node: d.name, message: `${at(global.relax)}: multipath-relax is set in router bgp ${global.asn} only; FRR's VRF instance router bgp ${inst.asn} vrf ${vrf} does not inherit it, and its multipath is decided there` });
  }
  const rm = inst?.advertiseIpv4?.routeMap;
  const bw = rm !== undefined ? d.routeMaps.get(rm)?.bandwidth : undefined;
  if (bw) leaf.bandwidth = bw.value;
  return leaf;
}

/** SPEC's order: a loopback's address, the VXLAN local address, the router-id (global instance, then the VRF's). */
function vtepOf(d: DeviceConfig, global: BgpInstance | undefined, inst: BgpInstance | undefined): { vtep: number; source: string } {
  const lo = d.interfaces.find((i) => /^(lo|loopback)/i.test(i.name) && i.vrf === undefined && i.addresses.length > 0);
  if (lo) return { vtep: lo.addresses[0]!.address, source: `${lo.name} address (${at(lo.addresses[0]!.at)})` };
  if (d.vxlanLocal) return { vtep: d.vxlanLocal.address, source: `VXLAN local address (${at(d.vxlanLocal.at)})` };
  for (const i of [global, inst]) {
    if (i?.routerId !== undefined) return { vtep: i.routerId, source: `bgp router-id of router bgp ${i.asn}${i.vrf ? ` vrf ${i.vrf}` : ''} (${at(i.routerIdAt!)})` };
  }
  throw new UsageError('no VTEP address: no loopback address, no vxlan local address and no bgp router-id', d.file);
}

/** Each VRF's L3 VNI; leaves that disagree are a finding, and the most common VNI is the fabric's. */
function vrfVnis(leaves: DeviceConfig[], findings: Finding[]): { name: string; vni: number }[] {
  const byVrf = new Map<string, Map<number, string[]>>();
  for (const d of leaves) {
    for (const v of d.vrfs.values()) {
      if (v.vni === undefined) {
        findings.push({ kind: 'vni', node: d.name, message: `${at(v.at)}: vrf ${v.name} has no L3 VNI (vni/l3vni): its routes are not exported into EVPN` });
        continue;
      }
      const m = byVrf.get(v.name) ?? new Map<number, string[]>();
      m.set(v.vni, [...(m.get(v.vni) ?? []), d.name]);
      byVrf.set(v.name, m);
    }
  }
  const out: { name: string; vni: number }[] = [];
  for (const [name, m] of byVrf) {
    const ranked = [...m.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
    if (ranked.length > 1) {
      const list = ranked.map(([vni, ls]) => `${ls.join(', ')}: ${vni}`).join('; ');
      findings.push({ kind: 'vni-mismatch', node: ranked[1]![1][0]!, message: `the leaves disagree on vrf ${name}'s L3 VNI (${list}); auto-derived route-targets then differ, so these leaves do not import each other's type-5 routes; the topology uses ${ranked[0]![0]}` });
    }
    out.push({ name, vni: ranked[0]![0] });
  }
  return out;
}

/**
 * Route-targets as the box derives them: the ones written (VRF block or the VRF instance's l2vpn evpn), else
 * auto-derived ASN:VNI for export and *:VNI for import (FRR matches an auto-derived RT with its AS masked). A leaf
 * that does not export the VRF into EVPN exports none: FRR needs `advertise ipv4 unicast` in the VRF instance;
 * OcNOS exports a VRF with an L3 VNI by itself.
 */
function resolveRouteTargets(leaf: LeafPlan, lv: LeafVrf, vrfs: { name: string; vni: number }[], findings: Finding[]): void {
  const d = leaf.device;
  const vc = d.vrfs.get(lv.vrf);
  const vni = vc?.vni ?? vrfs.find((v) => v.name === lv.vrf)?.vni;
  const imp = [...(vc?.rtImport ?? []), ...(lv.inst?.rtImport ?? [])];
  const exp = [...(vc?.rtExport ?? []), ...(lv.inst?.rtExport ?? [])];
  lv.rtAuto = imp.length === 0 && exp.length === 0;
  lv.rtImport = imp.length ? imp : vni !== undefined ? [`*:${vni}`] : [];
  lv.rtExport = exp.length ? exp : vni !== undefined ? [`${leaf.asn}:${vni}`] : [];
  const advertises = d.dialect === 'ocnos' ? vc?.vni !== undefined : lv.inst?.advertiseIpv4 !== undefined;
  if (!advertises) {
    lv.rtExport = [];
    const global = d.bgp.find((i) => i.vrf === undefined);
    const hint = global?.advertiseIpv4 ? ` (${at(global.advertiseIpv4.at)} advertises the default VRF only)` : '';
    if (d.dialect === 'frr' && lv.inst?.neighbors.size) {
      findings.push({ kind: 'no-advertise', node: d.name, message: `router bgp ${leaf.asn} vrf ${lv.vrf} has no \`advertise ipv4 unicast\` under address-family l2vpn evpn${hint}: no other leaf learns its VMs' routes` });
    }
  }
}

/** A VM per EBGP neighbour of each of the leaf's VRFs: its config when one of the files is that VM, else --vm-announce. */
function planVms(leaf: LeafPlan, vmDevices: DeviceConfig[], options: ImportOptions, findings: Finding[]): VmPlan[] {
  return leaf.vrfs.flatMap((lv) => (lv.inst ? planVrfVms(leaf, lv.vrf, lv.inst, vmDevices, options, findings) : []));
}

function planVrfVms(leaf: LeafPlan, vrf: string, inst: BgpInstance, vmDevices: DeviceConfig[], options: ImportOptions, findings: Finding[]): VmPlan[] {
  const out: VmPlan[] = [];
  for (const n of [...inst.neighbors.values()].sort((a, b) => a.address - b.address)) {
    if (n.remoteAs === undefined) {
      findings.push({ kind: 'session', node: leaf.name, message: `${at(n.at)}: neighbour ${formatIpv4(n.address)} in vrf ${vrf} has no remote-as: no session comes up, and it is left out` });
      continue;
    }
    if (n.remoteAs === 'internal' || n.remoteAs === inst.asn) {
      findings.push({ kind: 'skipped-neighbor', node: leaf.name, message: `${at(n.at)}: neighbour ${formatIpv4(n.address)} is iBGP in vrf ${vrf}; only EBGP VMs are imported` });
      continue;
    }
    const device = vmDevices.find((d) => faces(d, n.address));
    const vm: VmPlan = {
      name: device?.name ?? `${leaf.name}-${formatIpv4(n.address)}`,
      leaf: leaf.name, vrf, address: n.address,
      asn: typeof n.remoteAs === 'number' ? n.remoteAs : (device?.bgp[0]?.asn ?? 0),
      announce: [], inst, note: '', neighbor: n,
    };
    if (device) vm.device = device;
    if (device) vmFromConfig(vm, leaf, device, findings);
    else vmWithoutConfig(vm, leaf, options.vmAnnounce ?? [], findings);
    acceptedByLeaf(vm, leaf, findings);
    out.push(vm);
  }
  return out;
}

/** Does this VM config peer with the leaf-side address of `vmAddress`'s /31 (or name that address itself)? */
function faces(d: DeviceConfig, vmAddress: number): boolean {
  if (d.interfaces.some((i) => i.addresses.some((a) => a.address === vmAddress))) return true;
  return d.bgp.some((i) => i.vrf === undefined && i.neighbors.has((vmAddress ^ 1) >>> 0));
}

function vmFromConfig(vm: VmPlan, leaf: LeafPlan, d: DeviceConfig, findings: Finding[]): void {
  const inst = d.bgp.find((i) => i.vrf === undefined)!;
  const toLeaf = inst.neighbors.get((vm.address ^ 1) >>> 0) ?? [...inst.neighbors.values()][0]!;
  if (inst.routerId !== undefined) vm.routerId = inst.routerId;
  if (typeof vm.neighbor.remoteAs === 'number' && vm.neighbor.remoteAs !== inst.asn) {
    vm.note = `session down: leaf expects AS ${vm.neighbor.remoteAs}, the VM is AS ${inst.asn}`;
    findings.push({ kind: 'session', node: leaf.name, message: `${at(vm.neighbor.at)}: neighbour ${formatIpv4(vm.address)} remote-as ${vm.neighbor.remoteAs}, but ${d.name} is router bgp ${inst.asn} (${at(inst.at)}): the session does not come up and ${d.name} gets no traffic` });
    vm.asn = inst.asn;
    return;
  }
  vm.asn = inst.asn;
  if (typeof toLeaf?.remoteAs === 'number' && toLeaf.remoteAs !== leaf.asn) {
    vm.note = `session down: the VM expects AS ${toLeaf.remoteAs}, the leaf is AS ${leaf.asn}`;
    findings.push({ kind: 'session', node: d.name, message: `${at(toLeaf.at)}: neighbour ${formatIpv4(toLeaf.address)} remote-as ${toLeaf.remoteAs}, but ${leaf.name} is AS ${leaf.asn}: the session does not come up` });
    return;
  }
  const connected = inst.redistributeConnected
    ? d.interfaces.flatMap((i) => i.addresses).filter((a) => !contains(a, (vm.address ^ 1) >>> 0)).map((a) => ({ prefix: (a.address & mask(a.length)) >>> 0, length: a.length }))
    : [];
  const announce = dedupe([...inst.networks.map((n) => ({ prefix: n.prefix, length: n.length })), ...connected]);
  if (toLeaf && blockedByPolicy(d, inst, toLeaf, 'out')) {
    vm.note = `announces ${announce.map((p) => formatPrefix(p.prefix, p.length)).join(', ') || 'nothing'}, but ebgp-requires-policy blocks it`;
    findings.push({ kind: 'ebgp-requires-policy', node: d.name, message: `${at(toLeaf.at)}: neighbour ${formatIpv4(toLeaf.address)} has no route-map out and FRR's \`bgp ebgp-requires-policy\` is on (the default since 7.4 outside \`frr defaults datacenter\`): ${d.name} sends no routes and gets no traffic; add \`no bgp ebgp-requires-policy\` to router bgp ${inst.asn} or a route-map out` });
    return;
  }
  vm.announce = announce;
  vm.note = `from ${d.file}`;
  if (announce.length === 0) {
    findings.push({ kind: 'vm-announces-nothing', node: d.name, message: `${d.file}: router bgp ${inst.asn} has no \`network\` statement and no \`redistribute connected\` with an address: ${d.name} announces nothing and gets no traffic; add \`network 192.168.100.10/32\` (its service address) under address-family ipv4 unicast` });
  }
}

function vmWithoutConfig(vm: VmPlan, leaf: LeafPlan, announce: Prefix4[], findings: Finding[]): void {
  vm.announce = announce.map((p) => ({ ...p }));
  const what = announce.length ? `announces ${announce.map((p) => formatPrefix(p.prefix, p.length)).join(', ')} (--vm-announce)` : 'announces nothing (give its config, or --vm-announce PREFIX)';
  vm.note = announce.length ? 'no config: --vm-announce' : 'no config: announces nothing';
  findings.push({ kind: 'no-vm-config', node: vm.name, message: `neighbour ${formatIpv4(vm.address)} of ${leaf.name} vrf ${vm.vrf} (${at(vm.neighbor.at)}) has no config among the files: it ${what}` });
}

/** The leaf's own inbound rule: FRR's ebgp-requires-policy drops everything from a neighbour without a route-map in. */
function acceptedByLeaf(vm: VmPlan, leaf: LeafPlan, findings: Finding[]): void {
  const inst = vm.inst;
  const n = vm.neighbor;
  const active = (n.activated.has('ipv4') || inst.defaultIpv4Unicast) && !n.deactivated.has('ipv4') && !n.deactivated.has('all');
  if (!active) {
    if (vm.announce.length) vm.note += '; not activated for IPv4 unicast on the leaf';
    vm.announce = [];
    findings.push({ kind: 'session', node: leaf.name, message: `${at(n.at)}: neighbour ${formatIpv4(n.address)} is not active for IPv4 unicast (\`no bgp default ipv4-unicast\`, \`no neighbor … activate\` or shutdown): ${vm.name} gets no traffic` });
    return;
  }
  if (vm.announce.length && blockedByPolicy(leaf.device, inst, n, 'in')) {
    vm.note += `; ${leaf.name} accepts nothing (ebgp-requires-policy)`;
    vm.announce = [];
    findings.push({ kind: 'ebgp-requires-policy', node: leaf.name, message: `${at(n.at)}: neighbour ${formatIpv4(n.address)} has no route-map in and FRR's \`bgp ebgp-requires-policy\` is on (the default since 7.4 outside \`frr defaults datacenter\`): ${leaf.name} accepts no routes from ${vm.name}; add \`no bgp ebgp-requires-policy\` to router bgp ${inst.asn} vrf ${vm.vrf} or a route-map in` });
  }
}

/** FRR ≥ 7.4 drops EBGP routes in/out of a neighbour without a policy, unless the profile or the config says otherwise. */
function blockedByPolicy(d: DeviceConfig, inst: BgpInstance, n: NeighborConfig, dir: 'in' | 'out'): boolean {
  if (d.dialect !== 'frr') return false;
  const on = inst.requiresPolicy?.on ?? d.frrProfile !== 'datacenter';
  return on && (dir === 'in' ? n.routeMapIn : n.routeMapOut) === undefined;
}

function pickIngress(leaves: LeafPlan[], vms: VmPlan[], wanted: string | undefined, findings: Finding[]): { leaf: string; vrf: string } {
  if (wanted !== undefined) {
    const l = leaves.find((x) => x.name === wanted);
    if (!l) throw new UsageError(`no leaf named '${wanted}' (leaves: ${leaves.map((x) => x.name).join(', ')})`, '--ingress');
    return { leaf: l.name, vrf: l.vrf };
  }
  const bare = leaves.filter((l) => !vms.some((v) => v.leaf === l.name));
  if (bare.length === 1) return { leaf: bare[0]!.name, vrf: bare[0]!.vrf };
  if (leaves.length === 1) {
    findings.push({ kind: 'ingress', node: leaves[0]!.name, message: `the only leaf is the ingress: clients reach its VRF ${leaves[0]!.vrf} directly (give a border leaf's config, or --ingress)` });
    return { leaf: leaves[0]!.name, vrf: leaves[0]!.vrf };
  }
  const which = bare.length ? `${bare.length} leaves have no VMs (${bare.map((l) => l.name).join(', ')})` : 'every leaf has VMs';
  throw new UsageError(`cannot tell the ingress leaf: ${which}; name it with --ingress LEAF`, 'import');
}

/**
 * FRR weights type-5 paths only when every multipath carries link-bandwidth (`set extcommunity bandwidth
 * num-multipaths` on the export): then each VTEP weighs as many paths as it has behind it, `weighting: paths`.
 */
function pickWeighting(leaves: LeafPlan[], vms: VmPlan[], ingress: string, findings: Finding[]): 'equal' | 'paths' {
  const origins = leaves.filter((l) => vms.some((v) => v.leaf === l.name));
  const marked = origins.filter((l) => l.bandwidth !== undefined);
  if (marked.length === 0) return 'equal';
  const ignore = leaves.find((l) => l.name === ingress)?.inst?.bestpathBandwidth?.mode === 'ignore';
  if (ignore) {
    findings.push({ kind: 'link-bandwidth', node: ingress, message: `\`bgp bestpath bandwidth ignore\`: the link-bandwidth that ${marked.map((l) => l.name).join(', ')} attach is not used; VTEPs get equal weights` });
    return 'equal';
  }
  if (marked.length < origins.length) {
    const bare = origins.filter((l) => l.bandwidth === undefined).map((l) => l.name);
    findings.push({ kind: 'link-bandwidth', node: ingress, message: `${marked.map((l) => l.name).join(', ')} attach link-bandwidth but ${bare.join(', ')} do not: FRR weights only when every multipath carries it, so VTEPs get equal weights` });
    return 'equal';
  }
  if (marked.some((l) => l.bandwidth !== 'num-multipaths')) {
    findings.push({ kind: 'link-bandwidth', node: ingress, message: `link-bandwidth other than num-multipaths (${marked.map((l) => `${l.name}: ${l.bandwidth}`).join(', ')}) is not modelled; VTEPs are weighted by their paths` });
  }
  return 'paths';
}

function mask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

function contains(a: { address: number; length: number }, x: number): boolean {
  return ((a.address ^ x) & mask(a.length)) === 0;
}

function dedupe(list: Prefix4[]): Prefix4[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = `${p.prefix}/${p.length}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
