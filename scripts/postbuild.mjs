// After tsc (npm run build): bundles the CLI and the replay worker, and writes the built-in topology as parsed.
//
// Bundles: Node loads ~60 small ES modules before `replay` reads its first frame, ~80 ms on the reference machine;
// one file per entry loads in a fraction of that. Each bundle replaces tsc's output of its entry in place;
// dist/src keeps every other module for the library API.
//
// The built-in topology: dist/src/fabric/default-topology.json, parsed from DEFAULT_TOPOLOGY_YAML by the module just
// compiled, so that a command on the built-in fabric need not run the YAML parser (topology.ts, builtinTopology).
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

const { BUILTIN_TOPOLOGY_JSON, DEFAULT_TOPOLOGY_YAML, parseTopology } = await import('../dist/src/fabric/topology.js');
writeFileSync(new URL(`../dist/src/fabric/${BUILTIN_TOPOLOGY_JSON}`, import.meta.url), JSON.stringify(parseTopology(DEFAULT_TOPOLOGY_YAML, 'built-in')));

const entries = ['dist/src/cli/main.js', 'dist/src/engine/replay-worker.js'];
for (const entry of entries) {
  await build({
    entryPoints: [entry],
    outfile: entry,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // cap is a native addon, loaded on demand by `capture` through createRequire.
    external: ['cap'],
    // commander is CommonJS and requires Node's built-ins: give the ES module bundle a require.
    banner: { js: "import { createRequire as __ecmpCreateRequire } from 'node:module'; const require = __ecmpCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
