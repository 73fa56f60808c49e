// The benchmark suite runs (CI runs its --short mode) and every figure it reports is a sane number. No timing
// thresholds: the figures depend on the machine and its load; `npm run bench` judges the targets.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/run.js';
import { BIN, ROOT } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

function checkResult(r: BenchResult, text: string): void {
  expect(r.mode).toBe('short');
  expect(r.machine.cores).toBeGreaterThan(0);
  // Every stage the issue names: parse/decode, each hash algorithm, FIB lookup, selection, encapsulation, pipeline.
  const names = r.stages.map((s) => s.stage);
  for (const prefix of ['parse:', 'parse: pcap record runs', 'decode:', 'encapsulate:', 'pipeline: Engine.processBatch', 'replay lane:', 'pipeline, worst case', 'fib lookup: LPM', 'select: hash-threshold', 'select: modulo', 'select: resilient']) {
    expect(names.some((n) => n.startsWith(prefix)), prefix).toBe(true);
  }
  for (const algorithm of ['crc32', 'crc16', 'xor', 'toeplitz', 'linux-l3', 'linux-l4']) expect(names).toContain(`hash: ${algorithm}`);
  for (const s of r.stages) {
    expect(positive(s.ns), `${s.stage} ns`).toBe(true);
    expect(positive(s.mpps), `${s.stage} Mpps`).toBe(true);
    // ns per frame and Mpps are two views of one figure
    expect(Math.abs(s.mpps * s.ns - 1e3) / 1e3).toBeLessThan(1e-6);
  }
  // processBatch on two mixes, the replay lane (processPcapRun) and live capture's (processFrame)
  expect(r.heap.map((h) => h.mix.split(':')[0]!.split(' (')[0])).toEqual(['realistic', 'mixed shapes', 'replay lane', "live capture's path"]);
  for (const h of r.heap) {
    expect(h.packets).toBeGreaterThan(0);
    expect(Number.isFinite(h.bytesPerPacket) && h.bytesPerPacket >= 0).toBe(true);
    expect(Number.isFinite(h.growthBytes)).toBe(true);
  }
  expect(r.lpm.lookups.every((l) => positive(l.lookupsPerSecond))).toBe(true);
  // Whole process: the replay twice (1 and 2 workers), each baseline when its tool is there; every command
  // counted every frame of the same capture, and every time is a real duration.
  const w = r.wholeProcess;
  const names2 = w.runs.map((x) => x.name);
  expect(names2).toContain('ecmp-emu replay --json --workers 1');
  expect(names2).toContain('ecmp-emu replay --json --workers 2');
  expect(names2.some((n) => n.startsWith('pcap-parser baseline'))).toBe(true);
  expect(names2).toContain('Node baseline: same work in plain Node');
  if (!w.skipped.some((s) => s.startsWith('C baseline'))) expect(names2.some((n) => n.startsWith('C baseline'))).toBe(true);
  for (const x of w.runs) {
    expect(x.packets).toBe(w.capture.frames);
    expect(positive(x.best) && positive(x.median) && x.best <= x.median).toBe(true);
  }
  // --short judges no target, but still computes each figure.
  expect(r.targets.length).toBeGreaterThanOrEqual(6);
  for (const t of r.targets) {
    expect(t.met).toBeNull();
    expect(Number.isFinite(t.value)).toBe(true);
  }
  expect(text).toContain('Targets');
  expect(text).toContain('Whole process, page cache warm');
}

describe('benchmark suite', () => {
  it('npm run bench -- --short: runs, writes sane figures as JSON', () => {
    const out = join(dir, 'npm.json');
    const r = spawnSync('npm', ['run', '--silent', 'bench', '--', '--short', '--json', out], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    checkResult(JSON.parse(readFileSync(out, 'utf8')) as BenchResult, r.stdout);
  }, 300_000);

  it('ecmp-emu bench --short: the same suite through the CLI', () => {
    const out = join(dir, 'cli.json');
    const r = spawnSync(process.execPath, [BIN, 'bench', '--short', '--json', out], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    checkResult(JSON.parse(readFileSync(out, 'utf8')) as BenchResult, r.stdout);
  }, 300_000);
});
