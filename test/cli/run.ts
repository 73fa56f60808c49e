// Runs the built CLI (npm test builds dist/ first) and collects what it printed.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}dist/src/cli/main.js`;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function emu(args: string[], input?: string | Buffer): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'buffer', maxBuffer: 256 << 20, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
