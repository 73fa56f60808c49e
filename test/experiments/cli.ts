// Runs a command of ours in-process on a fresh commander program and collects what it printed on stdout.

import { Command } from 'commander';
import { vi } from 'vitest';
import { registerFailover } from '../../src/cli/failover.js';
import { registerFuzz } from '../../src/cli/fuzz.js';
import { registerReplay } from '../../src/cli/replay.js';

export async function cli(...args: string[]): Promise<string> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerFuzz(program);
  registerFailover(program);
  registerReplay(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}
