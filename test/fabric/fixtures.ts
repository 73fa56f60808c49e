// Topology fixtures of the fabric tests: the one-line error a text gives, the built-in fabric with spines.

import { expect } from 'vitest';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { UsageError } from '../../src/errors.js';

/** The one-line error a topology text gives: `what (where)`. */
export function errorOf(text: string): string {
  try {
    parseTopology(text, 'fab.yaml');
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
