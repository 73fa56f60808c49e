// What `npm run build` leaves for speed (scripts/postbuild.mjs): the CLI and the replay worker bundled one file each,
// and the built-in topology already parsed. Both are only worth having if they are exactly what the sources say.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TOPOLOGY_JSON, DEFAULT_TOPOLOGY_YAML, loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { ROOT, emu } from './run.js';

/** The module specifiers a built file imports statically or dynamically. */
function importsOf(file: string): string[] {
  const js = readFileSync(`${ROOT}${file}`, 'utf8');
  const found = new Set<string>();
  for (const m of js.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) found.add(m[1] ?? m[2]!);
  return [...found];
}

describe('the build', () => {
  for (const file of ['dist/src/cli/main.js', 'dist/src/engine/replay-worker.js']) {
    it(`${file} is one bundle: it imports Node's built-ins and nothing else`, () => {
      const imports = importsOf(file);
      expect(imports.length).toBeGreaterThan(0);
      expect(imports.filter((s) => !s.startsWith('node:'))).toEqual([]);
    });
  }

  it("the built-in topology's JSON is what parsing DEFAULT_TOPOLOGY_YAML gives", () => {
    const json = JSON.parse(readFileSync(`${ROOT}dist/src/fabric/${BUILTIN_TOPOLOGY_JSON}`, 'utf8')) as unknown;
    const parsed = parseTopology(DEFAULT_TOPOLOGY_YAML, 'built-in');
    expect(json).toEqual(parsed);
    // From src/ (no JSON beside it) the loader parses the YAML itself.
    expect(loadTopology()).toEqual(parsed);
  });

  it('the bundled CLI on the built-in fabric prints what it prints with the YAML given as a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecmp-build-'));
    try {
      const yaml = join(dir, 'default.yaml');
      writeFileSync(yaml, DEFAULT_TOPOLOGY_YAML);
      for (const args of [['show', 'route'], ['show', 'evpn'], ['replay', `${ROOT}traces/demo.pcap`, '--json']]) {
        const builtin = emu(args);
        const file = emu([...args, '--topology', yaml]);
        expect(builtin.code, builtin.stderr).toBe(0);
        expect(builtin.stdout.length).toBeGreaterThan(100);
        expect(builtin.stdout).toBe(file.stdout);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
