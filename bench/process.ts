// Whole-process timing for the benchmarks: a command run under /usr/bin/time (CPU, peak RSS), rounds interleaved
// across commands, the C baseline compiled on the spot.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)); // dist/bench/process.js -> the package root
const C_SOURCE = path.join(ROOT, 'bench', 'baseline.c');

export interface ProcessFigure {
  name: string;
  command: string;
  /** wall seconds of every timed round, sorted */
  wall: number[];
  best: number;
  median: number;
  /** user + system CPU seconds of the best round, and its peak RSS, when /usr/bin/time is there */
  cpu?: number;
  maxRssKB?: number;
  /** what the run printed: frames counted (a sanity check that every command did the whole file) */
  packets: number;
}

/** Where /usr/bin/time is (CPU and peak RSS of a child), if anywhere. */
export function gnuTime(): string | undefined {
  for (const t of ['/usr/bin/time']) {
    try {
      execFileSync(t, ['-f', '%e', 'true'], { stdio: 'ignore' });
      return t;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** Compiles bench/baseline.c with the machine's cc into a cache directory; undefined (with why) when it cannot. */
export function compileBaseline(dir: string, skipped: string[]): string | undefined {
  if (!fs.existsSync(C_SOURCE)) {
    skipped.push(`C baseline: ${C_SOURCE} is not there (an installed package has no bench sources)`);
    return undefined;
  }
  const src = fs.readFileSync(C_SOURCE);
  const exe = path.join(dir, `baseline-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
  try {
    execFileSync('cc', ['-O2', '-o', exe, C_SOURCE], { stdio: 'pipe' });
    return exe;
  } catch (e) {
    skipped.push(`C baseline: cc -O2 failed or there is no cc (${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** Reads a file once so the page cache holds it (whole-process runs then measure work, not the disk). */
export function warmPageCache(file: string): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0) {
      // reading is the point
    }
  } finally {
    fs.closeSync(fd);
  }
}

export interface Cmd {
  name: string;
  argv: string[];
  /** frames counted, from what the command printed */
  packets: (stdout: string) => number;
}

export function runTimed(cmd: Cmd, timer: string | undefined, tmp: string): { wall: number; cpu?: number; rss?: number; packets: number } {
  const timeFile = path.join(tmp, 'time.txt');
  const argv = timer ? [timer, '-f', '%U %S %M', '-o', timeFile, ...cmd.argv] : cmd.argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.name} failed (exit ${r.status}): ${r.stderr}`);
  let cpu: number | undefined;
  let rss: number | undefined;
  if (timer) {
    const [u, s, m] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
    cpu = u! + s!;
    rss = m;
  }
  return { wall, cpu, rss, packets: cmd.packets(r.stdout) };
}

/**
 * Times every command `rounds` times after one untimed round, interleaved, each checked to count `frames`.
 * `names` are shown as FILE, node and baseline in the printed commands.
 */
export function timeCommands(cmds: Cmd[], rounds: number, timer: string | undefined, tmp: string, frames: number, names: { file: string; node: string; exe?: string }, onRound: (round: number) => void): ProcessFigure[] {
    const walls = cmds.map(() => [] as number[]);
    const best = cmds.map(() => ({ wall: Infinity, cpu: undefined as number | undefined, rss: undefined as number | undefined }));
    const counts = cmds.map(() => 0);
    // One untimed round warms each command's files (binary, modules); then rounds interleave the commands so a
    // burst of load from elsewhere hits them alike. The capture is read again (untimed) before every command: a
    // machine may page out file pages left idle for seconds (the reference VM runs DAMON's pageout scheme on
    // memory idle for ~6 s; a 20M-frame round showed up to 1 s more wall than CPU without this).
    for (let round = -1; round < rounds; round++) {
      cmds.forEach((cmd, i) => {
        warmPageCache(names.file);
        const r = runTimed(cmd, timer, tmp);
        if (r.packets !== frames) throw new Error(`${cmd.name}: counted ${r.packets} frames of ${frames}`);
        counts[i] = r.packets;
        if (round < 0) return;
        walls[i]!.push(r.wall);
        if (r.wall < best[i]!.wall) best[i] = { wall: r.wall, cpu: r.cpu, rss: r.rss };
      });
      if (round >= 0) onRound(round + 1);
    }
    return cmds.map((cmd, i) => {
      const w = [...walls[i]!].sort((a, b) => a - b);
      return {
        name: cmd.name,
        command: cmd.argv.map((a) => (a === names.file ? 'FILE' : a === names.node ? 'node' : a === names.exe ? 'baseline' : path.isAbsolute(a) ? path.relative(ROOT, a) || a : a)).join(' '),
        wall: w,
        best: w[0]!,
        median: w[(w.length - 1) >> 1]!,
        cpu: best[i]!.cpu,
        maxRssKB: best[i]!.rss,
        packets: counts[i]!,
      };
    });
}
