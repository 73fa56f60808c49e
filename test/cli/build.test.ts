// What `npm run build` leaves for speed (scripts/postbuild.mjs): the CLI and the replay worker bundled one file each,
// the CLI's code cache, and the built-in topology already parsed. Each is only worth having if the CLI does exactly
// what the sources say with it, and without it.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TOPOLOGY_JSON, DEFAULT_TOPOLOGY_YAML, loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { BIN, ROOT, emu } from './run.js';

/** The module specifiers a built file imports or requires with a literal name. */
function importsOf(file: string): string[] {
  const js = readFileSync(`${ROOT}${file}`, 'utf8');
  const found = new Set<string>();
  for (const m of js.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/gm)) found.add(m[1] ?? m[2]!);
  return [...found];
}

describe('the build', () => {
  // main.js is the launcher (src/cli/launch.ts), cli.cjs the CLI it runs
  for (const file of ['dist/src/cli/main.js', 'dist/src/cli/cli.cjs', 'dist/src/engine/replay-worker.js']) {
    it(`${file} is one bundle: it imports Node's built-ins and nothing else`, () => {
      const imports = importsOf(file);
      expect(imports.length).toBeGreaterThan(0);
      // Node's own CommonJS names, as commander requires them, are built-ins too
      expect(imports.filter((s) => !s.startsWith('node:') && !isBuiltin(s))).toEqual([]);
    });
  }

  it('the CLI runs with the code cache its build trained, and without it when it is stale or not V8\'s', () => {
    const used = spawnSync(process.execPath, [BIN, 'show', 'route'], { encoding: 'utf8', env: { ...process.env, ECMP_EMU_DEBUG_CODE_CACHE: '1' } });
    expect(used.stderr).toBe('ecmp-emu: code cache used\n');
    // A copy of the launcher and the bundle, with a cache that is not one: V8 rejects it, the CLI runs as without.
    const dir = mkdtempSync(join(tmpdir(), 'ecmp-cache-'));
    try {
      for (const f of ['main.js', 'cli.cjs']) copyFileSync(`${ROOT}dist/src/cli/${f}`, join(dir, f));
      writeFileSync(join(dir, 'cli.cjs.cache'), Buffer.alloc(4096, 7));
      const run = (): { stdout: string; stderr: string; status: number | null } => spawnSync(process.execPath, [join(dir, 'main.js'), '--help'], { encoding: 'utf8', env: { ...process.env, ECMP_EMU_DEBUG_CODE_CACHE: '1' } });
      const rejected = run();
      expect(rejected.status).toBe(0);
      expect(rejected.stderr).toBe('ecmp-emu: code cache rejected\n');
      expect(rejected.stdout).toBe(emu(['--help']).stdout);
      // The real cache, but older than the bundle (a rebuild without its training run): not even tried.
      copyFileSync(`${ROOT}dist/src/cli/cli.cjs.cache`, join(dir, 'cli.cjs.cache'));
      const past = new Date(Date.now() - 60_000);
      utimesSync(join(dir, 'cli.cjs.cache'), past, past);
      const stale = run();
      expect(stale.status).toBe(0);
      expect(stale.stderr).toBe('ecmp-emu: code cache none\n');
      expect(stale.stdout).toBe(rejected.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

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
