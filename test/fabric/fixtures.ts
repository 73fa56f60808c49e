// Topology fixtures of the fabric tests (unit and CLI): the one-line error a text gives, the built-in fabric with
// spines, a dual-stack fabric for the IPv6 tests.

import { expect } from 'vitest';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { UsageError } from '../../src/errors.js';

/** The one-line error a topology text gives, `what (where)`, checked to be a usage error (exit 2). */
export function errorOf(text: string, file = 'fab.yaml'): string {
  try {
    parseTopology(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('no error');
}

/** The built-in fabric with `n` spines 10.0.0.1.. and extra YAML (defaults, leaf overrides) spliced in. */
export function spineYaml(n = 2, opts: { border?: string; defaults?: string } = {}): string {
  let y = DEFAULT_TOPOLOGY_YAML;
  const spines = Array.from({ length: n }, (_, i) => `  spine-${i + 1}: { address: 10.0.0.${i + 1} }`).join('\n');
  y = y.replace('leaves:\n', `spines:\n${spines}\nleaves:\n`);
  if (opts.border) y = y.replace('border: { vtep: 10.1.1.254, asn: 65000 }', `border: { vtep: 10.1.1.254, asn: 65000, ${opts.border} }`);
  if (opts.defaults) y += `defaults: ${opts.defaults}\n`;
  return y;
}

/** A dual-stack fabric: IPv6 and IPv4 VTEPs, IPv6 /127 VMs and one IPv4 VM announcing an IPv6 service. */
export const V6_YAML = `vrfs:
  T: { vni: 100 }
leaves:
  border: { vtep: '2001:db8:ff::1', asn: 65000 }
  leaf-1: { vtep: 10.1.1.1, asn: 65001 }
  leaf-2:
    vtep: 2001:db8:ff::2
    asn: 65002
  leaf-3:
    vtep: '2001:db8:ff::3'
    asn: 65003
    routes:
      T:
        '2001:db8:20::/48': [ { via: '2001:db8:3::1', weight: 2 }, { via: 10.1.1.1 }, { via: '2001:db8:ff::2' }, { via: '2001:db8:99::9' } ]
vms:
  VM-1: { leaf: leaf-1, vrf: T, address: '2001:db8:1::1/127', asn: 65100, announce: ['2001:db8:100::10/128', 192.168.100.10/32] }
  VM-2: { leaf: leaf-2, vrf: T, address: '2001:db8:2::1/127', asn: 65100, announce: ['2001:db8:100::10/128'] }
  VM-A: { leaf: leaf-3, vrf: T, address: '2001:db8:3::1/127', asn: 65100, announce: ['2001:db8:100::10/128'] }
  VM-B: { leaf: leaf-3, vrf: T, address: '2001:db8:3::2/64', asn: 65100, announce: ['2001:db8:100::10/128'] }
  VM-C: { leaf: leaf-3, vrf: T, address: 172.16.3.5/31, asn: 65100, announce: ['2001:db8:100::10/128'] }
ingress: { leaf: border, vrf: T }
`;
