// Network-namespace plumbing for the kernel-differential hash tests: probing, a cross-process lock, a lab.

import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { isRoot } from '../helpers.js';

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (!isRoot()) return 'not root';
  const probe = `ecmp-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error) return `cannot run ip: ${add.error.message}`;
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

const LOCK = '/tmp/ecmp-emu-netns.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialises the kernel/netns tests of every vitest worker (vitest.config.ts): an O_EXCL lock file holding the
 * owner's pid; a lock whose owner is gone is taken over.
 */
export async function acquireNetnsLock(timeoutMs = 880_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(LOCK, 'utf8') === String(process.pid)) unlinkSync(LOCK);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(LOCK, 'utf8'));
    } catch {
      continue; // released between our open and read
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      try {
        unlinkSync(LOCK);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${LOCK} held by pid ${owner} for too long`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a command, returning stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** Deletes namespaces that earlier, killed runs of this test left behind (their pid is gone). */
export function removeStaleNamespaces(prefix: string): void {
  const names = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const name of names) {
    const m = new RegExp(`^${prefix}-[a-z]+-(\\d+)$`).exec(name);
    if (m && !alive(Number(m[1]))) spawnSync('ip', ['netns', 'del', name]);
  }
}
