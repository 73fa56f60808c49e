// After tsc (npm run build): bundles the CLI and the replay worker, writes the built-in topology as parsed, and
// trains the CLI's code cache.
//
// Bundles: Node loads ~60 small ES modules before `replay` reads its first frame, ~80 ms on the reference machine;
// one file per entry loads in a fraction of that. dist/src keeps every other module for the library API.
// - The replay worker's bundle replaces tsc's output of its entry in place (an ES module).
// - The CLI's is dist/src/cli/cli.cjs, a CommonJS script, which dist/src/cli/main.js (src/cli/launch.ts) compiles
//   with V8's code cache: Node 20 caches no ES module's compilation. `import.meta.url` in it is main.js's URL,
//   so that the paths the CLI finds beside itself (the worker, the topology JSON, the demo trace) and the live
//   capture pump's check that it is the main script (live.ts) stay as they were.
//
// The built-in topology: dist/src/fabric/default-topology.json, parsed from DEFAULT_TOPOLOGY_YAML by the module just
// compiled, so that a command on the built-in fabric need not run the YAML parser (topology.ts, builtinTopology).
//
// The code cache: dist/src/cli/cli.cjs.cache, V8's bytecode of the bundle after a replay of the demo trace (the
// functions a replay runs are in it, compiled). Written by that run itself (ECMP_EMU_WRITE_CODE_CACHE).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const { BUILTIN_TOPOLOGY_JSON, DEFAULT_TOPOLOGY_YAML, parseTopology } = await import('../dist/src/fabric/topology.js');
writeFileSync(new URL(`../dist/src/fabric/${BUILTIN_TOPOLOGY_JSON}`, import.meta.url), JSON.stringify(parseTopology(DEFAULT_TOPOLOGY_YAML, 'built-in')));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // cap is a native addon, loaded on demand by `capture` through createRequire.
  external: ['cap'],
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['dist/src/engine/replay-worker.js'],
  outfile: 'dist/src/engine/replay-worker.js',
  allowOverwrite: true,
  format: 'esm',
  // commander is CommonJS and requires Node's built-ins: give the ES module bundle a require.
  banner: { js: "import { createRequire as __ecmpCreateRequire } from 'node:module'; const require = __ecmpCreateRequire(import.meta.url);" },
});

const cli = 'dist/src/cli/cli.cjs';
await build({
  ...common,
  entryPoints: ['dist/src/cli/main.js'],
  outfile: cli,
  format: 'cjs',
  // launch.ts passes its own URL in: the bundle's functions run as main.js's
  define: { 'import.meta.url': '__ecmpMainUrl' },
});
// launch.ts wraps the bundle in a function: no #! line inside one.
writeFileSync(cli, readFileSync(cli, 'utf8').replace(/^#!.*\n/, ''));
renameSync('dist/src/cli/launch.js', 'dist/src/cli/main.js');

const trained = spawnSync(process.execPath, ['dist/src/cli/main.js', 'replay', 'traces/demo.pcap', '--json', '--workers', '1'], {
  env: { ...process.env, ECMP_EMU_WRITE_CODE_CACHE: '1' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (trained.status !== 0) throw new Error(`postbuild: the code cache's training run failed (exit ${trained.status ?? trained.signal})`);
