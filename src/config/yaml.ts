// The imported fabric as topology YAML (SPEC §2), commented with where each value came from.

import { formatIpv4, formatPrefix } from '../wire/ipv4.js';
import type { FabricPlan, LeafPlan, VmPlan } from './build.js';

const key = (name: string): string => (/^[A-Za-z0-9_.\-]+$/.test(name) ? name : JSON.stringify(name));
const list = (items: string[]): string => `[${items.map((s) => `'${s}'`).join(', ')}]`;

export function planToYaml(plan: FabricPlan, files: string[]): string {
  const out: string[] = [
    `# Imported by \`ecmp-emu import\` from ${files.join(', ')}.`,
    '# The FIB is the one each box would install from these configs (dialect defaults included), not the one',
    '# hoped for: see the warnings the import printed.',
    'vrfs:',
    ...plan.vrfs.map((v) => `  ${key(v.name)}: { vni: ${v.vni} }`),
  ];
  if (plan.weighting !== 'equal') out.push('defaults:', '  weighting: paths   # every leaf exports link-bandwidth num-multipaths');
  out.push('leaves:');
  for (const l of plan.leaves) out.push(...leafYaml(l));
  out.push('vms:');
  if (plan.vms.length === 0) out[out.length - 1] = 'vms: {}';
  for (const v of plan.vms) out.push(vmYaml(v));
  out.push(`ingress: { leaf: ${key(plan.ingress.leaf)}, vrf: ${key(plan.ingress.vrf)} }`, '');
  return out.join('\n');
}

function leafYaml(l: LeafPlan): string[] {
  const d = l.device;
  const mpNote = l.maximumPathsAt
    ? `${l.maximumPathsAt.file} line ${l.maximumPathsAt.line}: ${l.maximumPathsAt.text}`
    : d.dialect === 'ocnos' ? 'OcNOS default: a single best path (no max-paths ebgp N)' : 'FRR default (no maximum-paths line)';
  const relaxNote = l.relax ? 'bgp bestpath as-path multipath-relax' : 'no multipath-relax: multipath needs the same neighbour AS';
  return [
    `  ${key(l.name)}:   # ${d.dialect === 'frr' ? 'FRR' : 'OcNOS'} (${d.dialectReason}), ${d.file}`,
    `    vtep: ${formatIpv4(l.vtep)}   # ${l.vtepSource}`,
    `    asn: ${l.asn}`,
    `    maximum-paths: ${l.maximumPaths}   # ${mpNote}`,
    `    multipath-relax: ${l.relax}   # ${relaxNote}`,
    '    route-targets:',
    ...l.vrfs.map((v) => `      ${key(v.vrf)}: { import: ${list(v.rtImport)}, export: ${list(v.rtExport)} }   # ${v.rtAuto ? 'auto-derived' : 'as configured'}${v.rtExport.length ? '' : '; exports nothing into EVPN'}`),
  ];
}

function vmYaml(v: VmPlan): string {
  const parts = [`leaf: ${key(v.leaf)}`, `vrf: ${key(v.vrf)}`, `address: ${formatIpv4(v.address)}/31`];
  if (v.asn > 0) parts.push(`asn: ${v.asn}`);
  if (v.routerId !== undefined) parts.push(`router-id: ${formatIpv4(v.routerId)}`);
  parts.push(`announce: [${v.announce.map((p) => formatPrefix(p.prefix, p.length)).join(', ')}]`);
  return `  ${key(v.name)}: { ${parts.join(', ')} }   # ${v.note}`;
}
