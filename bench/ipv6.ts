// Issue 12's figures: the replay lane (readRunSync + Engine.processPcapRun over frames in memory, steady state) on
// IPv4 and on IPv6 frames, and IPv4 against another build's engine (main's), side by side in interleaved rounds.
//
//   node dist/bench/ipv6.js [--against /work/main/dist [--ipv4-only]] [--rounds 7] [--frames 2000000] [--flows 10000]
//
// Each round runs every lane in its own child process (fresh JIT, same capture bytes), alternating the order, and
// reports ns per frame of CPU time (process.cpuUsage: the loop never sleeps, so a busy shared machine inflates wall
// time, not CPU time); the summary gives the median and the best of the rounds.

import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { DUAL_STACK_YAML, benchCaptureBuffer } from './captures.js';

interface Lane {
  name: string;
  /** the build whose engine runs it (a dist/ directory) */
  dist: string;
  ipv6: 'none' | 'all';
  /** the dual-stack fabric (IPv6 underlay), else the built-in one */
  dual: boolean;
}

const HERE = fileURLToPath(import.meta.url);
const OWN_DIST = path.resolve(path.dirname(HERE), '..');

/** One lane in this process: warm-up passes until every flow is known and the code optimized, then timed passes. */
async function runLane(dist: string, ipv6: 'none' | 'all', dual: boolean, frames: number, flows: number): Promise<number> {
  const imp = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(path.join(dist, rel)).href)) as T;
  const { Engine } = await imp<typeof import('../src/engine/engine.js')>('src/engine/engine.js');
  const { CaptureReader, PcapRun } = await imp<typeof import('../src/capture/reader.js')>('src/capture/reader.js');
  const { converge } = await imp<typeof import('../src/fabric/converge.js')>('src/fabric/converge.js');
  const { loadTopology, parseTopology } = await imp<typeof import('../src/fabric/topology.js')>('src/fabric/topology.js');
  const fabric = converge(dual ? parseTopology(DUAL_STACK_YAML, 'dual-stack.yaml') : loadTopology());
  const capture = benchCaptureBuffer({ packets: frames, flows, seed: 1, ipv6 });
  const engine = new Engine(fabric);
  const run = new PcapRun();
  const pass = (): void => {
    const r = CaptureReader.fromBuffer(capture);
    while (r.readRunSync(run) > 0) engine.processPcapRun(run);
  };
  for (let i = 0; i < 3; i++) pass();
  const passes = 5;
  const t0 = process.cpuUsage();
  for (let i = 0; i < passes; i++) pass();
  const dt = process.cpuUsage(t0);
  if (engine.packets !== frames * (passes + 3)) throw new Error(`lane ${ipv6}: ${engine.packets} packets`);
  return ((dt.user + dt.system) * 1000) / (frames * passes);
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function main(argv: string[]): Promise<void> {
  const frames = Number(arg(argv, '--frames') ?? 2_000_000);
  const flows = Number(arg(argv, '--flows') ?? 10_000);
  if (argv.includes('--child')) {
    const ns = await runLane(arg(argv, '--dist')!, arg(argv, '--ipv6') as 'none' | 'all', argv.includes('--dual'), frames, flows);
    process.stdout.write(`${ns}\n`);
    return;
  }
  const rounds = Number(arg(argv, '--rounds') ?? 7);
  const against = arg(argv, '--against');
  const lanes: Lane[] = [
    { name: 'IPv4, built-in fabric (this build)', dist: OWN_DIST, ipv6: 'none', dual: false },
    { name: 'IPv4, dual-stack fabric (this build)', dist: OWN_DIST, ipv6: 'none', dual: true },
    { name: 'IPv6, dual-stack fabric (this build)', dist: OWN_DIST, ipv6: 'all', dual: true },
  ];
  if (against !== undefined) lanes.unshift({ name: `IPv4, built-in fabric (${against})`, dist: path.resolve(against), ipv6: 'none', dual: false });
  // --ipv4-only: this build's IPv4 lane against the other build's alone (more rounds in the same time)
  if (against !== undefined && argv.includes('--ipv4-only')) lanes.splice(2);
  const ns: number[][] = lanes.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = lanes.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const l = lanes[i]!;
      const out = execFileSync(process.execPath, [HERE, '--child', '--dist', l.dist, '--ipv6', l.ipv6, ...(l.dual ? ['--dual'] : []), '--frames', String(frames), '--flows', String(flows)], { encoding: 'utf8' });
      ns[i]!.push(Number(out.trim()));
    }
    process.stderr.write(`round ${round + 1}/${rounds}: ${lanes.map((l, i) => `${ns[i]![round]!.toFixed(1)}`).join(' / ')} ns/frame\n`);
  }
  process.stdout.write(`replay lane (readRunSync + processPcapRun), ${frames} frames over ${flows} flows, 76-byte frames, CPU ns per frame, ${rounds} interleaved rounds\n`);
  lanes.forEach((l, i) => process.stdout.write(`  ${l.name.padEnd(48)} median ${median(ns[i]!).toFixed(1)}  best ${Math.min(...ns[i]!).toFixed(1)}  (${ns[i]!.map((x) => x.toFixed(1)).join(' ')})\n`));
  const at = (name: string): number => lanes.findIndex((l) => l.name.startsWith(name));
  const v4 = at('IPv4, dual-stack');
  const v6 = at('IPv6, dual-stack');
  if (v4 >= 0 && v6 >= 0) process.stdout.write(`  IPv6 / IPv4 on the dual-stack fabric: median ${(median(ns[v6]!) / median(ns[v4]!)).toFixed(2)}x, per-round ${ns[v6]!.map((x, r) => (x / ns[v4]![r]!).toFixed(2)).join(' ')}\n`);
  if (against !== undefined) {
    const own = at('IPv4, built-in fabric (this');
    process.stdout.write(`  IPv4 this build / ${against}: median ${(median(ns[own]!) / median(ns[0]!)).toFixed(2)}x, per-round ${ns[own]!.map((x, r) => (x / ns[0]![r]!).toFixed(2)).join(' ')}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) void main(process.argv.slice(2));
