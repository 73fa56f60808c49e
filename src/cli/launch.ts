#!/usr/bin/env node
// The ecmp-emu command as built (npm run build): this file becomes dist/src/cli/main.js and runs the bundled CLI,
// dist/src/cli/cli.cjs (main.ts and everything it imports, one CommonJS script: scripts/postbuild.mjs), with V8's
// code cache for it.
//
// Node 20 keeps no compile cache for modules (module.enableCompileCache is Node 22). Compiling the 1 MB bundle,
// and the functions a replay runs, was ~20% of a replay of the demo trace: median 0.42 s wall (0.48 s CPU) against
// 0.34 s (0.375 s) with the cache, 10 interleaved rounds on the reference machine. The cache is the bytecode of a training run (postbuild replays the bundled demo
// trace), written beside the bundle; V8 rejects it if its version or flags differ from the build's (node --cpu-prof,
// another Node), and this file ignores it when it is older than the bundle. Either way the CLI then compiles as
// without it. ECMP_EMU_DEBUG_CODE_CACHE=1 says on standard error whether it was used.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const cacheFile = `${bundle}.cache`;
const debug = (process.env.ECMP_EMU_DEBUG_CODE_CACHE ?? '') !== '';
/** postbuild's training run: write the cache when the command is done */
const training = (process.env.ECMP_EMU_WRITE_CODE_CACHE ?? '') !== '';

function cached(): Buffer | undefined {
  if (training) return undefined;
  try {
    return statSync(cacheFile).mtimeMs >= statSync(bundle).mtimeMs ? readFileSync(cacheFile) : undefined;
  } catch {
    return undefined; // no cache: a build without its training run
  }
}

const cachedData = cached();
// The bundle as a CommonJS module's function, as Node's own loader wraps one, with two more arguments: this file's
// URL for its `import.meta.url` (postbuild defines it so), and this file's `import()`. A script compiled here
// cannot import (Node 20 has that behind --experimental-vm-modules, or an experimental loader option that the code
// cache then breaks); `ecmp-emu bench` imports the bench suite through this one (cli/bench.ts).
const script = new Script(`(function (exports, require, module, __filename, __dirname, __ecmpMainUrl, __ecmpImport) {${readFileSync(bundle, 'utf8')}\n})`, {
  filename: bundle,
  cachedData,
});
if (debug) process.stderr.write(`ecmp-emu: code cache ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
if (training) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dirname(bundle), import.meta.url, (specifier: string) => import(specifier));
