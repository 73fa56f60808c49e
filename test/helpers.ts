// Shared test helpers: a seeded PRNG, the need-a-tool rule (skip locally with a reason, fail in CI), temporary files,
// waiting for a child to say it is ready.

import { execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';

/** mulberry32: a tiny seeded PRNG, so statistical tests are deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random u32 from a PRNG. */
export const u32 = (rand: () => number): number => Math.floor(rand() * 4294967296) >>> 0;

/**
 * Whether an external tool can be run. Locally a missing tool skips the test with a printed reason; under CI
 * (where .ci/run installs it) a missing tool is a failure, not a skip.
 */
export function haveTool(cmd: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    if (process.env.CI) throw new Error(`${cmd} is required in CI (.ci/run installs it) but cannot be run`);
    console.warn(`skipping: ${cmd} is not available on this machine`);
    return false;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * A temporary directory for one test file, removed after its tests: `next(ext)` names a fresh file in it,
 * `file(data, ext)` writes one and returns its path.
 */
export function tempFiles(prefix: string): { dir: string; next: (ext?: string) => string; file: (data: Uint8Array, ext?: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const next = (ext = '.pcap'): string => path.join(dir, `f${n++}${ext}`);
  return {
    dir,
    next,
    file: (data, ext) => {
      const f = next(ext);
      fs.writeFileSync(f, data);
      return f;
    },
  };
}

/**
 * Resolves once what the child writes to standard error (or output) from now on matches `ready` (a tool is
 * capturing, a replay has read what it was fed); rejects if it ends first or after `timeout` ms. For tests that act
 * on a child's state, not after a fixed time a slow machine outlasts.
 */
export function waitFor(child: ChildProcess, ready: RegExp, timeout = 20_000, from: 'stderr' | 'stdout' = 'stderr'): Promise<void> {
  const stream = child[from]!;
  return new Promise((resolve, reject) => {
    let err = '';
    const done = (e?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve();
    };
    const onData = (d: Buffer): void => {
      err += d.toString();
      if (ready.test(err)) done();
    };
    const onExit = (code: number | null): void => done(new Error(`exited (${code}) before it was ready: ${err.trim()}`));
    const timer = setTimeout(() => done(new Error(`not ready after ${timeout} ms: ${err.trim()}`)), timeout);
    stream.on('data', onData);
    child.on('exit', onExit);
  });
}
