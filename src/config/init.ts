// `init`: a commented topology to start from, the built-in fabric's shape or one fitted to what a capture shows.

import { UsageError } from '../errors.js';
import { parseTopology } from '../fabric/topology.js';
import { formatIpv4 } from '../wire/ipv4.js';

/** What init needs to know of a capture (analysis/profile.ts reads it): no packets here. */
export interface FitInput {
  source: string;
  flows: number;
  destinations: { address: number; flows: number }[];
  vteps: { address: number; vnis: number[]; inner: number[] }[];
  ingressVteps: number[];
}

/** The rule that makes a destination a service; said in the YAML and by the command. */
export const SERVICE_RULE = 'a destination is a service when it carries at least 1% of the distinct flows (the busiest 8 at most, and always the busiest one)';
const SERVICE_SHARE = 0.01;
const MAX_SERVICES = 8;
const SERVICE = 0xc0a8640a; // 192.168.100.10, SPEC §1's service address

interface Leaf {
  name: string;
  vtep: number;
  asn: number;
  vrf: string;
  vms: number;
  announce: number[];
}

const DEFAULTS_COMMENT = [
  '# defaults:                   # optional; the values shown are the defaults (a leaf may override the first four)',
  '#   hash: { algorithm: linux-l4, fields: [src-ip, dst-ip, protocol, src-port, dst-port] }',
  '#   selection: hash-threshold  # hash-threshold | modulo | resilient',
  '#   buckets: 128               # resilient table size per next-hop group',
  '#   maximum-paths: 64          # EBGP/EVPN multipath per leaf, as FRR installs by default',
  '#   weighting: equal           # equal | paths (each VTEP weighted by the VMs behind it, UCMP)',
];

/** `--vms 1,1,3`: VMs per leaf, each 1..64. */
export function parseVmsList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const counts = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (counts.length === 0 || counts.length > 200 || counts.some((n) => !(n >= 1 && n <= 64))) {
    throw new UsageError(`'${text}' is not a list of VM counts per leaf, each 1..64 (e.g. 1,1,3)`, '--vms');
  }
  return counts;
}

/** Services by SERVICE_RULE, busiest first. */
export function pickServices(fit: FitInput): { address: number; flows: number }[] {
  const min = Math.max(1, fit.flows * SERVICE_SHARE);
  const picked = fit.destinations.filter((d, i) => i === 0 || d.flows >= min).slice(0, MAX_SERVICES);
  if (picked.length === 0) throw new UsageError('the capture holds no IPv4 flow to fit a topology to', fit.source);
  return picked;
}

/** The topology YAML: with no capture the built-in fabric's shape (`--vms`, default 1,1,3), else fitted to it. */
export function initTopology(fit?: FitInput, vms?: number[]): string {
  const header: string[] = ['# ecmp-emu topology (SPEC §2): edit it, then run any command with --topology FILE.'];
  let leaves: Leaf[];
  let vrfs: { name: string; vni: number }[];
  let ingress: Leaf;
  if (fit === undefined) {
    header.push('# The built-in fabric (SPEC §1): a border leaf, and leaves whose VMs all announce one service address.');
    vrfs = [{ name: 'TENANT-A', vni: 10100 }];
    leaves = (vms ?? [1, 1, 3]).map((n, i) => ({ name: `leaf-${i + 1}`, vtep: 0x0a010101 + i, asn: 65001 + i, vrf: 'TENANT-A', vms: n, announce: [SERVICE] }));
    ingress = { name: 'border', vtep: 0x0a0101fe, asn: 65000, vrf: 'TENANT-A', vms: 0, announce: [] };
  } else {
    const services = pickServices(fit);
    header.push(`# Fitted to ${fit.source}: ${fit.flows} distinct flows. Services: ${SERVICE_RULE}:`);
    for (const s of services) header.push(`#   ${formatIpv4(s.address)}: ${s.flows} flows (${((100 * s.flows) / fit.flows).toFixed(1)}%)`);
    ({ leaves, vrfs, ingress } = fit.vteps.length ? fromVxlan(fit, services, vms, header) : fromClients(services, vms, header));
  }
  const lines = [...header, ...DEFAULTS_COMMENT, 'vrfs:', ...vrfs.map((v) => `  ${v.name}: { vni: ${v.vni} }`), 'leaves:'];
  for (const l of [ingress, ...leaves]) lines.push(`  ${l.name}: { vtep: ${formatIpv4(l.vtep)}, asn: ${l.asn} }${l === ingress ? '   # the ingress: clients enter here' : ''}`);
  lines.push('vms:   # each VM: an EBGP session from its address to its leaf\'s side of the /31, announcing its service addresses');
  leaves.forEach((l, li) => {
    for (let k = 0; k < l.vms; k++) {
      const name = `vm-${li + 1}${l.vms > 1 ? String.fromCharCode(97 + (k % 26)) + (k >= 26 ? Math.floor(k / 26) : '') : ''}`;
      const address = `172.16.${li + 1}.${2 * k + 1}/31`;
      lines.push(`  ${name}: { leaf: ${l.name}, vrf: ${l.vrf}, address: ${address}, asn: 65100, announce: [${l.announce.map((a) => `${formatIpv4(a)}/32`).join(', ')}] }`);
    }
  });
  lines.push(`ingress: { leaf: ${ingress.name}, vrf: ${ingress.vrf} }`, '');
  const yaml = lines.join('\n');
  parseTopology(yaml, 'init'); // what init writes always loads
  return yaml;
}

/** A capture of client traffic only: one leaf per service (three VMs each), or `--vms` leaves all serving every service. */
function fromClients(services: { address: number }[], vms: number[] | undefined, header: string[]): { leaves: Leaf[]; vrfs: { name: string; vni: number }[]; ingress: Leaf } {
  const all = services.map((s) => s.address);
  const counts = vms ?? services.map(() => 3);
  if (counts.length > 250) throw new UsageError('at most 250 leaves', '--vms');
  header.push(vms ? `# No VXLAN in the capture: ${counts.length} leaves (--vms ${counts.join(',')}), every VM announcing every service.` : '# No VXLAN in the capture: one leaf per service, three VMs each (--vms 1,1,3 to choose).');
  const leaves = counts.map((n, i) => ({ name: `leaf-${i + 1}`, vtep: 0x0a010101 + i, asn: 65001 + i, vrf: 'TENANT-A', vms: n, announce: vms ? all : [all[i]!] }));
  return { leaves, vrfs: [{ name: 'TENANT-A', vni: 10100 }], ingress: { name: 'border', vtep: 0x0a0101fe, asn: 65000, vrf: 'TENANT-A', vms: 0, announce: [] } };
}

/** A capture with VXLAN: a leaf per VTEP its frames go to, in the VRF of the VNI they carry, serving what they carry. */
function fromVxlan(fit: FitInput, services: { address: number }[], vms: number[] | undefined, header: string[]): { leaves: Leaf[]; vrfs: { name: string; vni: number }[]; ingress: Leaf } {
  if (vms && vms.length !== fit.vteps.length) throw new UsageError(`the capture names ${fit.vteps.length} VTEPs (${fit.vteps.map((v) => formatIpv4(v.address)).join(', ')}): give ${fit.vteps.length} VM counts`, '--vms');
  if (fit.vteps.length > 250) throw new UsageError(`the capture names ${fit.vteps.length} VTEPs; at most 250 are fitted`, fit.source);
  const vnis = [...new Set(fit.vteps.map((v) => v.vnis[0]!))].sort((a, b) => a - b);
  const vrfOf = (vni: number): string => `VNI-${vni}`;
  const svc = new Set(services.map((s) => s.address));
  const all = [...svc];
  header.push(`# VXLAN in the capture: a leaf per VTEP its frames go to (${fit.vteps.map((v) => formatIpv4(v.address)).join(', ')}), a VRF per VNI (${vnis.join(', ')}).`);
  const leaves = fit.vteps.map((v, i) => {
    const mine = v.inner.filter((a) => svc.has(a));
    return { name: `leaf-${i + 1}`, vtep: v.address, asn: 65001 + i, vrf: vrfOf(v.vnis[0]!), vms: vms?.[i] ?? 3, announce: mine.length ? mine : all };
  });
  const taken = new Set(fit.vteps.map((v) => v.address));
  let vtep = fit.ingressVteps[0] ?? 0x0a0101fe;
  while (taken.has(vtep)) vtep = (vtep + 1) >>> 0;
  if (fit.ingressVteps.length) header.push(`# The border's VTEP is the outer source of the capture's VXLAN frames (${formatIpv4(vtep)}).`);
  const ingressVrf = vrfOf(vnis[0]!);
  return { leaves, vrfs: vnis.map((vni) => ({ name: vrfOf(vni), vni })), ingress: { name: 'border', vtep, asn: 65000, vrf: ingressVrf, vms: 0, announce: [] } };
}
