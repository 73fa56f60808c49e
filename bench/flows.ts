// The flow-count benchmarks (issue 15): the replay lane in memory at 10k .. 10M flows (ns per frame, bytes per
// flow), the flow table's longest insert while it grows, and whole-process replay of flow-heavy captures against
// the plain-Node loop and the C baseline (streaming, and with a flow table and SipHash at two stages).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureReader, PcapRun } from '../src/capture/reader.js';
import { Engine } from '../src/engine/engine.js';
import { FlowTable, NEW_FLOW } from '../src/engine/flowtable.js';
import type { Fabric } from '../src/fabric/converge.js';
import { benchCaptureBuffer, writeBenchCapture } from './captures.js';
import { compileBaseline, gnuTime, timeCommands, warmPageCache, type Cmd, type ProcessFigure } from './process.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const NODE_BASELINE = fileURLToPath(new URL('./baseline-node.js', import.meta.url));

export interface FlowSizes {
  /** flow counts of the in-memory sweep */
  sweepFlows: number[];
  /** frames per sweep point: at least this many, and twice the flows */
  sweepFrames: number;
  /** flows inserted one by one while the longest insert is timed */
  growthFlows: number[];
  /** rounds of each growth point (the median round's longest block is the figure) */
  growthRounds: number;
  /** whole process: frames of the captures over `heavyFlows` flows each */
  heavyFrames: number;
  heavyFlows: number[];
  /** whole process: a capture of this many frames, every frame a new flow (the C flow-table baseline beside it) */
  newFlowFrames: number;
  /** whole process: the largest replay, every frame a new flow */
  distinctFlows: number;
  rounds: number;
}

export const FLOW_FULL: FlowSizes = {
  sweepFlows: [10_000, 100_000, 1_000_000, 10_000_000],
  sweepFrames: 4_000_000,
  growthFlows: [100_000, 10_000_000],
  growthRounds: 3,
  heavyFrames: 4_000_000,
  heavyFlows: [10_000, 100_000, 1_000_000],
  newFlowFrames: 2_000_000,
  distinctFlows: 10_000_000,
  rounds: 3,
};

export const FLOW_SHORT: FlowSizes = {
  sweepFlows: [1000, 10_000],
  sweepFrames: 50_000,
  growthFlows: [20_000],
  growthRounds: 1,
  heavyFrames: 100_000,
  heavyFlows: [10_000],
  newFlowFrames: 20_000,
  distinctFlows: 50_000,
  rounds: 1,
};

export interface SweepPoint {
  flows: number;
  frames: number;
  /** ns per frame of the first pass (every flow first seen in it) and of later passes (every flow known) */
  firstPassNs: number;
  steadyNs: number;
  /** flow table and path table bytes per flow */
  bytesPerFlow: number;
}

export interface GrowthPoint {
  flows: number;
  /**
   * the longest block of GROWTH_BLOCK inserts (CPU time) in the median round (rounds ordered by it), and the mean
   * insert of that round, in microseconds; `roundsMaxBlockUs` has every round's longest block
   */
  maxBlockUs: number;
  meanInsertUs: number;
  roundsMaxBlockUs: number[];
}

export interface FlowCapture {
  label: string;
  frames: number;
  flows: number;
  fileBytes: number;
  runs: ProcessFigure[];
}

export interface FlowBench {
  sweep: SweepPoint[];
  growth: GrowthPoint[];
  captures: FlowCapture[];
  skipped: string[];
}

type Log = (line: string) => void;

function cpuNs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) * 1000;
}

/** The replay lane (readRunSync + processPcapRun) over a capture in memory, first pass and steady state. */
function sweepPoint(fabric: Fabric, flows: number, minFrames: number): SweepPoint {
  const frames = Math.max(minFrames, 2 * flows);
  const capture = benchCaptureBuffer({ packets: frames, flows, seed: 11 });
  const run = new PcapRun();
  const engine = new Engine(fabric);
  const pass = (): number => {
    // CPU time, not wall: the machine may be shared, and a forwarding loop neither sleeps nor waits.
    const t0 = cpuNs();
    const reader = CaptureReader.fromBuffer(capture);
    while (reader.readRunSync(run) > 0) engine.processPcapRun(run);
    return (cpuNs() - t0) / frames;
  };
  const firstPassNs = pass();
  let steadyNs = Infinity;
  for (let i = 0; i < 2; i++) steadyNs = Math.min(steadyNs, pass());
  const bytesPerFlow = (engine.flows.bytesHeld() + engine.paths.bytesHeld()) / engine.flows.size;
  return { flows: engine.flows.size, frames, firstPassNs, steadyNs, bytesPerFlow };
}

/**
 * Inserts `flows` distinct keys, timing each block of GROWTH_BLOCK inserts in CPU time (wall time on a shared
 * machine is mostly the scheduler's): growth must not pause longer as the table grows. A rehash of the whole table
 * would show as one block of a second or so at 10M flows, in every round. The process's CPU time includes V8's
 * compiler and GC threads: one round's longest block can be a one-off, long (a recompile, a page-fault burst;
 * 83.7 ms once at 10M flows against 15.5-17.8 ms in two other runs of the suite) or short (100k flows, three rounds:
 * 10.7, 54.5 and 1.2 ms). The median round's longest block is the figure, every round's printed beside it.
 */
function growthPoint(flows: number, rounds: number): GrowthPoint {
  insertAll(new FlowTable(), 200_000); // warm-up: the timed run must not include compiling this loop
  const all = Array.from({ length: rounds }, () => insertAll(new FlowTable(), flows));
  const median = [...all].sort((a, b) => a.maxBlockUs - b.maxBlockUs)[(all.length - 1) >> 1]!;
  return { ...median, roundsMaxBlockUs: all.map((g) => g.maxBlockUs) };
}

const GROWTH_BLOCK = 1024;

function insertAll(table: FlowTable, flows: number): GrowthPoint {
  let max = 0;
  const t0 = cpuNs();
  for (let f = 0; f < flows; ) {
    const a = cpuNs();
    for (const end = Math.min(flows, f + GROWTH_BLOCK); f < end; f++) {
      if (table.findOrAdd(0x0a000000 + f, 0xc0a8640a, f * 0x9e3779b1, 6, 1, 76) === NEW_FLOW) table.setPath(0, 0);
    }
    max = Math.max(max, cpuNs() - a);
  }
  return { flows, maxBlockUs: max / 1e3, meanInsertUs: (cpuNs() - t0) / flows / 1e3, roundsMaxBlockUs: [] };
}

/** Whole process: replay and baselines over each flow-heavy capture, one capture on disk at a time. */
function flowCaptures(sizes: FlowSizes, log: Log, skipped: string[]): FlowCapture[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-emu-bench-flows-'));
  const out: FlowCapture[] = [];
  try {
    const timer = gnuTime();
    const exe = compileBaseline(tmp, skipped);
    const node = process.execPath;
    const count = (o: string): number => Number(o.trim().split(/\s+/)[0]);
    const replayCount = (o: string): number => (JSON.parse(o) as { packets: number }).packets;
    const specs = [
      // C with a flow table beside C streaming: what a per-flow table costs in C itself on this machine's memory.
      ...sizes.heavyFlows.map((flows) => ({ label: `${sizes.heavyFrames} frames over ${flows} flows`, frames: sizes.heavyFrames, flows, cFlows: true, node: true })),
      { label: `${sizes.newFlowFrames} frames, every frame a new flow`, frames: sizes.newFlowFrames, flows: sizes.newFlowFrames, cFlows: true, node: false },
      { label: `${sizes.distinctFlows} distinct flows`, frames: sizes.distinctFlows, flows: sizes.distinctFlows, cFlows: true, node: false },
    ];
    for (const spec of specs) {
      const file = path.join(tmp, 'flows.pcap');
      log(`flows: writing ${spec.label}...`);
      const written = writeBenchCapture(file, { packets: spec.frames, flows: spec.flows, seed: 42 });
      warmPageCache(file);
      const cmds: Cmd[] = [{ name: 'ecmp-emu replay --json --workers 1', argv: [node, CLI, 'replay', file, '--json', '--workers', '1'], packets: replayCount }];
      if (spec.node) cmds.push({ name: 'Node baseline: read, CRC32 the 5-tuple, 3 buckets', argv: [node, NODE_BASELINE, file], packets: count });
      if (exe) cmds.push({ name: 'C baseline: streaming (read, CRC32, 3 buckets)', argv: [exe, file], packets: count });
      if (exe && spec.cFlows) cmds.push({ name: 'C baseline --flows: flow table + SipHash-2-4 at two stages', argv: [exe, '--flows', file], packets: count });
      const rounds = spec.flows >= 10_000_000 ? 1 : sizes.rounds;
      const runs = timeCommands(cmds, rounds, timer, tmp, written.packets, { file, node, exe }, (r) => log(`flows: ${spec.label}: round ${r} of ${rounds}`));
      out.push({ label: spec.label, frames: written.packets, flows: spec.flows, fileBytes: written.fileBytes, runs });
      fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

export function runFlowBench(sizes: FlowSizes, fabric: Fabric, log: Log): FlowBench {
  const skipped: string[] = [];
  const sweep: SweepPoint[] = [];
  for (const flows of sizes.sweepFlows) {
    log(`flows: in-memory sweep, ${flows} flows...`);
    sweep.push(sweepPoint(fabric, flows, sizes.sweepFrames));
  }
  const growth = sizes.growthFlows.map((flows) => {
    log(`flows: growth, ${flows} inserts timed one by one...`);
    return growthPoint(flows, sizes.growthRounds);
  });
  return { sweep, growth, captures: flowCaptures(sizes, log, skipped), skipped };
}

/**
 * What a flow table costs over a loop that keeps none, in C and in Node, on one capture: C with its flow table
 * against C streaming, and replay against the plain-Node loop (undefined when a figure is missing).
 */
export function tableCost(c: FlowCapture): { c: number; node: number } | undefined {
  const best = (prefix: string): number | undefined => c.runs.find((x) => x.name.startsWith(prefix))?.best;
  const cFlows = best('C baseline --flows');
  const cStream = best('C baseline: streaming');
  const replay = best('ecmp-emu replay');
  const node = best('Node baseline');
  if (cFlows === undefined || cStream === undefined || replay === undefined || node === undefined) return undefined;
  return { c: cFlows / cStream, node: replay / node };
}

/** The printed section. */
export function formatFlowBench(lines: string[], r: FlowBench, f: (x: number, d?: number) => string): void {
  lines.push('Flow count sweep: the replay lane (readRunSync + processPcapRun) over frames in memory, CPU time per frame');
  lines.push(`${'flows'.padStart(10)} ${'frames'.padStart(10)} ${'first pass ns'.padStart(14)} ${'steady ns'.padStart(10)} ${'bytes/flow'.padStart(11)}`);
  for (const p of r.sweep) lines.push(`${String(p.flows).padStart(10)} ${String(p.frames).padStart(10)} ${f(p.firstPassNs).padStart(14)} ${f(p.steadyNs).padStart(10)} ${f(p.bytesPerFlow).padStart(11)}`);
  for (const g of r.growth) {
    const rounds = g.roundsMaxBlockUs.length > 1 ? ` (rounds: ${g.roundsMaxBlockUs.map((us) => f(us, 0)).join(', ')} us)` : '';
    lines.push(`  growth: ${g.flows} inserts, CPU time per ${GROWTH_BLOCK}: longest block ${f(g.maxBlockUs, 0)} us${rounds}; mean insert ${f(g.meanInsertUs, 3)} us`);
  }
  lines.push('');
  for (const c of r.captures) {
    lines.push(`Whole process, ${c.label} (${f(c.fileBytes / 1e6)} MB), page cache warm`);
    for (const x of c.runs) {
      lines.push(`  ${x.name.padEnd(62)} best ${f(x.best, 3).padStart(7)} s, CPU ${(x.cpu === undefined ? '-' : f(x.cpu, 2)).padStart(6)} s, peak RSS ${x.maxRssKB === undefined ? '-' : `${f(x.maxRssKB / 1024, 0)} MB`}`);
    }
    const ratio = tableCost(c);
    if (ratio) lines.push(`  a flow table's cost, best of rounds: C --flows / C streaming ${f(ratio.c, 2)}x; replay / plain Node ${f(ratio.node, 2)}x`);
  }
  for (const s of r.skipped) lines.push(`  skipped: ${s}`);
}
