// What the generator's tshark tests share: tshark's checksum options, the expert severity filter, a run helper and
// captures written into a per-file temporary directory.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { generateCapture, type GenerateOptions } from '../../src/traffic/generator.js';

export const CHECK = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
/** Wireshark's expert severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000. */
export const NOTE_OR_WORSE = 0x400000;

export function tsharkRun(args: string[]): string {
  return execFileSync('tshark', args, { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** A temporary directory for the calling test file's captures, and a writer of generated captures into it. */
export function captureDir(prefix: string): { capture: (name: string, o: GenerateOptions) => string; path: (name: string) => string } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    path: (name) => join(dir, name),
    capture(name, o) {
      const path = join(dir, name);
      writeFileSync(path, generateCapture(o));
      return path;
    },
  };
}
