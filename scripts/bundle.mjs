// Bundles the built CLI and the replay worker, each into one file in place of tsc's output (npm run build).
// Why: Node loads ~60 small ES modules before `replay` reads its first frame, ~80 ms on the reference machine;
// one file per entry loads in a fraction of that. dist/src/ keeps every other module for the library API.
import { build } from 'esbuild';

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
