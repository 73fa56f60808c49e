// The benchmark suite (`npm run bench`, `ecmp-emu bench`): every stage of the pipeline on frames in memory, the
// whole two-stage pipeline, heap allocated per packet, and whole-process replay of one capture file against two
// baselines (pcap-parser and a small C program) timed in the same run. `--short` is the same suite on small sizes
// (seconds, for CI); `--json FILE` also writes every figure as JSON.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Bench } from 'tinybench';
import { CaptureReader, PcapRun, RecordBatch } from '../src/capture/reader.js';
import { PcapWriter } from '../src/capture/writer.js';
import { Engine } from '../src/engine/engine.js';
import { VxlanEncapsulator } from '../src/engine/encap.js';
import { converge, type Fabric } from '../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, loadTopology, parseTopology } from '../src/fabric/topology.js';
import { FlowTable } from '../src/engine/flowtable.js';
import { FrameKey, REASON_OK, decodeFrame } from '../src/wire/decode.js';
import { DUAL_STACK_YAML, FRAME_LEN, benchCaptureBuffer, writeBenchCapture } from './captures.js';
import { runHashBench } from './hash.js';
import { runLpmBench } from './lpm.js';
import { runLpm6Bench } from './lpm6.js';
import { runReaderBench } from './reader.js';
import { FLOW_FULL, FLOW_SHORT, formatFlowBench, runFlowBench, tableCost, type FlowBench, type FlowSizes } from './flows.js';
import { ROOT, compileBaseline, gnuTime, timeCommands, warmPageCache, type Cmd, type ProcessFigure } from './process.js';
import { runSelectBench } from './select.js';
import { runSipHashBench } from './siphash.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PCAP_PARSER_BASELINE = fileURLToPath(new URL('./baseline-pcap-parser.js', import.meta.url));
const NODE_BASELINE = fileURLToPath(new URL('./baseline-node.js', import.meta.url));

/** Issue 13: the built-in fabric with two spines between the leaves (every tunnelled flow crosses an underlay stage). */
export const SPINE_TOPOLOGY_YAML = DEFAULT_TOPOLOGY_YAML.replace('leaves:\n', 'spines:\n  spine-1: { address: 10.0.0.1 }\n  spine-2: { address: 10.0.0.2 }\nleaves:\n');

/** Sizes of one run of the suite. */
export interface BenchSizes {
  /** frames of the in-memory capture the per-stage and pipeline benchmarks loop over */
  frames: number;
  /** distinct flows in it (the realistic mix: many packets per flow) */
  flows: number;
  /** frames (each a new flow) of the all-new-flows worst case */
  newFlowFrames: number;
  /** packets forwarded while heap allocation is measured */
  heapPackets: number;
  /** prefixes of the LPM table */
  lpmPrefixes: number;
  lpmRounds: number;
  selectRounds: number;
  hashTimeMs: number;
  readerFrames: number;
  readerRounds: number;
  /** the whole-process capture: frames, flows, timed rounds per command */
  replayFrames: number;
  replayFlows: number;
  replayRounds: number;
  /** a larger capture replayed with 1 and 2 workers (0: not run), to show how the speedup grows with size */
  largeFrames: number;
  largeRounds: number;
  /** tinybench budget per task */
  taskTimeMs: number;
  /** the flow-count sweeps and flow-heavy captures (bench/flows.ts) */
  flow: FlowSizes;
}

export const FULL: BenchSizes = {
  frames: 1_000_000,
  flows: 10_000,
  newFlowFrames: 1_000_000,
  heapPackets: 10_000_000,
  lpmPrefixes: 1_000_000,
  lpmRounds: 7,
  selectRounds: 5,
  hashTimeMs: 1000,
  readerFrames: 1_000_000,
  readerRounds: 3,
  replayFrames: 4_000_000,
  replayFlows: 10_000,
  replayRounds: 5,
  largeFrames: 20_000_000,
  // 5, not 3: with 3 rounds the two-engine ratio went 1.37-1.93x over four runs of the suite in one afternoon
  largeRounds: 5,
  taskTimeMs: 1500,
  flow: FLOW_FULL,
};

export const SHORT: BenchSizes = {
  frames: 50_000,
  flows: 1000,
  newFlowFrames: 20_000,
  heapPackets: 500_000,
  lpmPrefixes: 10_000,
  lpmRounds: 1,
  selectRounds: 1,
  hashTimeMs: 60,
  readerFrames: 20_000,
  readerRounds: 1,
  replayFrames: 100_000,
  replayFlows: 1000,
  replayRounds: 1,
  largeFrames: 0,
  largeRounds: 0,
  taskTimeMs: 100,
  flow: FLOW_SHORT,
};

export interface StageFigure {
  stage: string;
  /** ns per frame (or per hash, lookup, selection): the mean of tinybench's samples, or the best round */
  ns: number;
  mpps: number;
  /** the spread: the best tinybench sample, the median round of a hand-timed loop, or tinybench's error margin */
  spread: string;
  note?: string;
}

export interface Target {
  what: string;
  issue: number;
  value: number;
  unit: string;
  target: string;
  /** null in --short mode: small sizes say nothing about these targets */
  met: boolean | null;
}

export interface BenchResult {
  mode: 'full' | 'short';
  machine: { cpu: string; cores: number; node: string; os: string; loadBefore: number[]; loadAfter: number[] };
  sizes: BenchSizes;
  stages: StageFigure[];
  hash: Array<{ algorithm: string; nsPerHash: number; rmePercent: number }>;
  lpm: { prefixes: number; buildMs: number; tableBytes: number; lookups: Array<{ addresses: string; api: string; lookupsPerSecond: number; nsPerLookup: number; medianNsPerLookup: number; hitRate: number }> };
  select: Array<{ selection: string; weights: string; nsPerSelect: number; medianNsPerSelect: number }>;
  heap: Array<{ mix: string; packets: number; allocatedBytes: number; bytesPerPacket: number; growthBytes: number; gcs: number }>;
  reader: { frames: number; results: Array<{ reader: string; seconds: number; mpps: number }> };
  wholeProcess: WholeProcess;
  /** the same replay commands on a larger capture (full mode only) */
  large: WholeProcess | undefined;
  flows: FlowBench;
  targets: Target[];
  seconds: number;
}

export interface WholeProcess {
  capture: { frames: number; flows: number; frameBytes: number; fileBytes: number };
  timer: string;
  runs: ProcessFigure[];
  skipped: string[];
}

type Log = (line: string) => void;

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

/** A way to force a full collection without --expose-gc on the command line. */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Parses a whole in-memory capture into batches of 256 (the engine's batch size), kept for repeated passes. */
function batchesOf(capture: Uint8Array): RecordBatch[] {
  const reader = CaptureReader.fromBuffer(capture);
  const out: RecordBatch[] = [];
  for (;;) {
    const b = new RecordBatch(256);
    if (reader.readSync(b) === 0) break;
    out.push(b);
  }
  return out;
}

function framesIn(batches: RecordBatch[]): number {
  let n = 0;
  for (const b of batches) n += b.count;
  return n;
}

/** Runs tinybench tasks, each a pass over `frames` frames; ns per frame from the mean and best sample. */
async function timeTasks(sizes: BenchSizes, tasks: Array<{ stage: string; frames: number; fn: () => void; beforeEach?: () => void; note?: string }>): Promise<StageFigure[]> {
  const bench = new Bench({ time: sizes.taskTimeMs, iterations: 3, warmupTime: Math.min(300, sizes.taskTimeMs), warmupIterations: 2 });
  for (const t of tasks) bench.add(t.stage, t.fn, t.beforeEach ? { beforeEach: t.beforeEach } : undefined);
  await bench.run();
  return bench.tasks.map((task, i) => {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}${'error' in r && r.error ? `: ${String(r.error)}` : ''}`);
    const frames = tasks[i]!.frames;
    const ns = (r.latency.mean * 1e6) / frames;
    const best = (r.latency.min * 1e6) / frames;
    return { stage: task.name, ns, mpps: 1e3 / ns, spread: `best ${best.toFixed(1)}`, note: tasks[i]!.note };
  });
}

/** Per-stage and pipeline figures over frames in memory. */
async function stageFigures(sizes: BenchSizes, fabric: Fabric, log: Log): Promise<StageFigure[]> {
  log(`stages: building ${sizes.frames} frames over ${sizes.flows} flows in memory...`);
  const capture = benchCaptureBuffer({ packets: sizes.frames, flows: sizes.flows, seed: 1 });
  const batches = batchesOf(capture);
  const frames = framesIn(batches);
  const newCapture = benchCaptureBuffer({ packets: sizes.newFlowFrames, flows: sizes.newFlowFrames, seed: 2 });
  const newBatches = batchesOf(newCapture);
  const newFrames = framesIn(newBatches);

  const readBatch = new RecordBatch(256);
  const readRun = new PcapRun();
  const key = new FrameKey();
  const vxlanPort = fabric.topology.vxlan.port;
  let sink = 0;

  // The realistic mix: one engine for every pass, so after the first pass every flow is known (steady state).
  const steady = new Engine(fabric);
  for (const b of batches) steady.processBatch(b);
  const readForward = new Engine(fabric);
  for (const b of batches) readForward.processBatch(b);
  const runForward = new Engine(fabric);
  for (const b of batches) runForward.processBatch(b);
  // Issue 12: the same lane on IPv6 frames (76 bytes too, same flow count) and on the IPv4 frames, both through the
  // dual-stack fabric (IPv6 underlay): the two differ only by the frames' family.
  const dual = converge(parseTopology(DUAL_STACK_YAML, 'dual-stack.yaml'));
  const capture6 = benchCaptureBuffer({ packets: sizes.frames, flows: sizes.flows, seed: 1, ipv6: 'all' });
  const runForward6 = new Engine(dual);
  const runForward4 = new Engine(dual);
  for (const [e, c] of [[runForward6, capture6], [runForward4, capture]] as const) {
    const r = CaptureReader.fromBuffer(c);
    while (r.readRunSync(readRun) > 0) e.processPcapRun(readRun);
  }
  // The worst case: every frame a new flow, hashed at both leaves; a fresh engine (empty flow table) per pass.
  let fresh = new Engine(fabric);
  // Issue 13: the same frames over a fabric with spines (the border's choice of spine is one more stage per flow).
  const spineFabric = converge(parseTopology(SPINE_TOPOLOGY_YAML, 'bench spines'));
  const steadySpines = new Engine(spineFabric);
  for (const b of batches) steadySpines.processBatch(b);
  let freshSpines = new Engine(spineFabric);

  // Encapsulation: every frame's flow (meta, VTEP, source port) and L3 offset worked out beforehand; frames go to
  // /dev/null.
  const encFlows = steady.flows;
  const encFlow = new Int32Array(frames);
  const encL3 = new Int32Array(frames);
  const encMeta = new Uint32Array(frames);
  /** each frame's path (the encapsulator reads its VTEP and, with spines, its spine) */
  const encVtep = new Int32Array(frames);
  const encSport = new Uint16Array(frames);
  {
    let k = 0;
    for (const b of batches) {
      for (let i = 0; i < b.count; i++, k++) {
        decodeFrame(b.buf, b.offset[i]!, b.capLen[i]!, b.linkType[i]!, vxlanPort, key);
        const meta = FlowTable.meta(key.proto, fabric.ingressLeaf, fabric.ingressVrf);
        const f = key.reason === REASON_OK ? encFlows.find(key.src, key.dst, ((key.sport << 16) | key.dport) >>> 0, meta) : -1;
        encFlow[k] = f >= 0 && steady.reasonOf(f) === 0 ? f : -1;
        encL3[k] = key.l3Offset;
        if (encFlow[k]! >= 0) {
          encMeta[k] = encFlows.metaOf(f);
          encVtep[k] = steady.flows.pathOf(f);
          encSport[k] = encFlows.outerSportOf(f);
        }
      }
    }
  }
  const writer = PcapWriter.openSync(os.devNull);
  const encap = new VxlanEncapsulator(fabric, writer, steady.paths);

  log('stages: timing (tinybench)...');
  const figures = await timeTasks(sizes, [
    {
      stage: 'parse: pcap records into batches (reader, memory)',
      frames,
      fn: () => {
        const r = CaptureReader.fromBuffer(capture);
        while (r.readSync(readBatch) > 0) sink += readBatch.count;
      },
    },
    {
      stage: 'parse: pcap record runs (readRunSync: headers checked, not parsed)',
      frames,
      fn: () => {
        const r = CaptureReader.fromBuffer(capture);
        while (r.readRunSync(readRun) > 0) sink += readRun.count;
      },
    },
    {
      stage: 'decode: decodeFrame (Ethernet/IPv4/L4 key)',
      frames,
      fn: () => {
        for (const b of batches) {
          const buf = b.buf;
          for (let i = 0; i < b.count; i++) {
            decodeFrame(buf, b.offset[i]!, b.capLen[i]!, b.linkType[i]!, vxlanPort, key);
            sink += key.sport;
          }
        }
      },
    },
    {
      stage: 'encapsulate: VXLAN outer headers + inner frame into the writer',
      frames,
      fn: () => {
        let k = 0;
        for (const b of batches) {
          for (let i = 0; i < b.count; i++, k++) {
            const f = encFlow[k]!;
            if (f >= 0) encap.write(encMeta[k]!, encVtep[k]!, encSport[k]!, b.buf, b.offset[i]!, b.capLen[i]!, b.origLen[i]!, b.linkType[i]!, encL3[k]!, b.tsSec[i]!, b.tsNsec[i]!);
          }
        }
      },
    },
    {
      stage: `pipeline: Engine.processBatch, ${sizes.flows} flows (${Math.round(frames / sizes.flows)} frames/flow)`,
      frames,
      fn: () => {
        for (const b of batches) steady.processBatch(b);
      },
      note: 'two-stage forwarding, decided once per flow; steady state',
    },
    {
      stage: 'pipeline + parse: readSync and processBatch, same frames',
      frames,
      fn: () => {
        const r = CaptureReader.fromBuffer(capture);
        while (r.readSync(readBatch) > 0) readForward.processBatch(readBatch);
      },
    },
    {
      stage: 'replay lane: readRunSync and Engine.processPcapRun, same frames',
      frames,
      fn: () => {
        const r = CaptureReader.fromBuffer(capture);
        while (r.readRunSync(readRun) > 0) runForward.processPcapRun(readRun);
      },
      note: 'what replay runs per frame (no --write)',
    },
    {
      stage: 'replay lane, IPv4 frames, dual-stack fabric: readRunSync and processPcapRun',
      frames,
      fn: () => {
        const r = CaptureReader.fromBuffer(capture);
        while (r.readRunSync(readRun) > 0) runForward4.processPcapRun(readRun);
      },
      note: 'the IPv6 lane\'s yardstick: same fabric, same flows',
    },
    {
      stage: 'replay lane, IPv6 frames, dual-stack fabric: readRunSync and processPcapRun',
      frames,
      fn: () => {
        const r = CaptureReader.fromBuffer(capture6);
        while (r.readRunSync(readRun) > 0) runForward6.processPcapRun(readRun);
      },
      note: 'addresses interned (two small-table probes), then the one flow-table probe',
    },
    {
      stage: 'pipeline, worst case: every frame a new flow (hashed at both leaves)',
      frames: newFrames,
      beforeEach: () => {
        fresh = new Engine(fabric);
      },
      fn: () => {
        for (const b of newBatches) fresh.processBatch(b);
      },
      note: 'includes growing the flow table from empty',
    },
    {
      stage: `pipeline over 2 spines: Engine.processBatch, ${sizes.flows} flows, same frames`,
      frames,
      fn: () => {
        for (const b of batches) steadySpines.processBatch(b);
      },
      note: 'issue 13: overlay, underlay and egress stages, decided once per flow; steady state',
    },
    {
      stage: 'pipeline over 2 spines, worst case: every frame a new flow',
      frames: newFrames,
      beforeEach: () => {
        freshSpines = new Engine(spineFabric);
      },
      fn: () => {
        for (const b of newBatches) freshSpines.processBatch(b);
      },
      note: 'issue 13: the source-port hash, the outer hash and the underlay lookup per new flow',
    },
  ]);
  writer.closeSync();
  if (sink === 0.5) log(''); // keep the work observable
  return figures;
}

/**
 * Heap bytes allocated per packet in steady state, and heap growth. Allocation is measured, not sampled:
 * allocated = (used heap after - used heap before) + what every GC in between freed, each GC's before/after
 * used size coming from v8.GCProfiler; growth is the used heap after a full GC minus the same before.
 */
function heapFigures(sizes: BenchSizes, fabric: Fabric, log: Log): BenchResult['heap'] {
  const gc = gcFunction();
  const out: BenchResult['heap'] = [];
  for (const [mix, opts, lane] of [
    [`realistic: ${sizes.flows} flows`, { packets: Math.min(sizes.frames, 1_000_000), flows: sizes.flows, seed: 3 }, 'batch'],
    [`mixed shapes: 1 frame in 7 underlay VXLAN, ARP, cut short, no route`, { packets: Math.min(sizes.frames, 1_000_000), flows: sizes.flows, seed: 4, mixEvery: 7 }, 'batch'],
    [`replay lane (processPcapRun), mixed shapes`, { packets: Math.min(sizes.frames, 1_000_000), flows: sizes.flows, seed: 5, mixEvery: 7 }, 'run'],
    [`live capture's path (processFrame, one frame a call), mixed shapes`, { packets: Math.min(sizes.frames, 1_000_000), flows: sizes.flows, seed: 6, mixEvery: 7 }, 'frame'],
  ] as const) {
    const capture = benchCaptureBuffer(opts);
    // 'batch' and 'frame': the capture as batches, for processBatch or frame by frame for processFrame; 'run': one
    // run of every record for processPcapRun.
    const batches = lane !== 'run' ? batchesOf(capture) : [];
    const run = new PcapRun();
    if (lane === 'run') CaptureReader.fromBuffer(capture).readRunSync(run);
    const engine = new Engine(fabric);
    const forwardAll = (): number => {
      if (lane === 'run') {
        engine.processPcapRun(run);
        return run.count;
      }
      let n = 0;
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        if (lane === 'frame') {
          for (let j = 0; j < b.count; j++) engine.processFrame(b.buf, b.offset[j]!, b.capLen[j]!, b.origLen[j]!, b.linkType[j]!, b.tsSec[j]!, b.tsNsec[j]!);
        } else {
          engine.processBatch(b);
        }
        n += b.count;
      }
      return n;
    };
    // Warm-up: every flow known, every function optimized (at least 1M frames: a run is one call per pass, and the
    // optimized code of a function first entered by on-stack replacement comes a few calls later).
    for (let pass = 0, warmed = 0; pass < 2 || warmed < 1_000_000; pass++) warmed += forwardAll();
    const packets = mix.startsWith('realistic') || lane === 'run' ? sizes.heapPackets : Math.max(1, Math.floor(sizes.heapPackets / 10));
    gc();
    gc();
    const settled = v8.getHeapStatistics().used_heap_size;
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = v8.getHeapStatistics().used_heap_size;
    // Indexed loops: a for-of iterator would be the only allocation measured.
    let done = 0;
    while (done < packets) done += forwardAll();
    const after = v8.getHeapStatistics().used_heap_size;
    const stats = profiler.stop();
    let freed = 0;
    for (const s of stats?.statistics ?? []) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    const allocatedBytes = Math.max(0, after - before + freed);
    gc();
    gc();
    const growthBytes = v8.getHeapStatistics().used_heap_size - settled;
    out.push({ mix, packets: done, allocatedBytes, bytesPerPacket: allocatedBytes / done, growthBytes, gcs: stats?.statistics.length ?? 0 });
    log(`heap: ${mix}: ${done} packets`);
  }
  return out;
}

/** Whole-process replay of one capture against the two baselines, interleaved rounds, page cache warm. */
function wholeProcess(sizes: BenchSizes, log: Log, large = false): WholeProcess {
  const frames = large ? sizes.largeFrames : sizes.replayFrames;
  const rounds = large ? sizes.largeRounds : sizes.replayRounds;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-emu-bench-'));
  const skipped: string[] = [];
  try {
    const file = path.join(tmp, 'replay.pcap');
    log(`whole process: writing ${frames} frames of ${FRAME_LEN} bytes over ${sizes.replayFlows} flows to ${file}...`);
    const written = writeBenchCapture(file, { packets: frames, flows: sizes.replayFlows, seed: 42 });
    warmPageCache(file);
    const timer = gnuTime();
    const exe = large ? undefined : compileBaseline(tmp, skipped);
    const baselineCount = (out: string): number => Number(out.trim().split(/\s+/)[0]);
    const replayCount = (out: string): number => (JSON.parse(out) as { packets: number }).packets;
    const node = process.execPath;
    const cmds: Cmd[] = [];
    if (exe) cmds.push({ name: 'C baseline: read, CRC32 the 5-tuple, 3 buckets', argv: [exe, file], packets: baselineCount });
    try {
      if (large) throw new Error('only the replay on the large capture');
      import.meta.resolve('pcap-parser');
      cmds.push({ name: 'pcap-parser baseline: same work in Node', argv: [node, PCAP_PARSER_BASELINE, file], packets: baselineCount });
    } catch {
      if (!large) skipped.push('pcap-parser baseline: the pcap-parser package is not installed (a dev dependency)');
    }
    // Not asked for by the issue: the C program's work in plain Node, the floor of any Node replay on this machine.
    if (!large) cmds.push({ name: 'Node baseline: same work in plain Node', argv: [node, NODE_BASELINE, file], packets: baselineCount });
    for (const w of ['1', '2']) {
      cmds.push({ name: `ecmp-emu replay --json --workers ${w}`, argv: [node, CLI, 'replay', file, '--json', '--workers', w], packets: replayCount });
    }
    if (!large) {
      // Issue 13: the same replay over the fabric with two spines, in the same interleaved rounds.
      const spines = path.join(tmp, 'spines.yaml');
      fs.writeFileSync(spines, SPINE_TOPOLOGY_YAML);
      cmds.push({ name: 'ecmp-emu replay over 2 spines --json --workers 1', argv: [node, CLI, 'replay', file, '--json', '--workers', '1', '--topology', spines], packets: replayCount });
    }
    const runs = timeCommands(cmds, rounds, timer, tmp, written.packets, { file, node, exe }, (round) => log(`whole process${large ? ', large capture' : ''}: round ${round} of ${rounds}`));
    return {
      capture: { frames: written.packets, flows: sizes.replayFlows, frameBytes: FRAME_LEN, fileBytes: written.fileBytes },
      timer: timer ? `${timer} (CPU, peak RSS) + wall clock around spawnSync` : 'wall clock around spawnSync',
      runs,
      skipped,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function targetsOf(r: Omit<BenchResult, 'targets' | 'seconds'>): Target[] {
  const t: Target[] = [];
  const pipeline = r.stages.find((s) => s.stage.startsWith('pipeline: Engine.processBatch'));
  if (pipeline) t.push({ what: 'two-stage pipeline, frames in memory, one core', issue: 3, value: pipeline.mpps, unit: 'Mpps', target: '>= 5', met: pipeline.mpps >= 5 });
  const lane4 = r.stages.find((s) => s.stage.startsWith('replay lane, IPv4 frames, dual-stack'));
  const lane6 = r.stages.find((s) => s.stage.startsWith('replay lane, IPv6 frames, dual-stack'));
  if (lane4 && lane6) t.push({ what: 'replay lane per frame, IPv6 / IPv4 (dual-stack fabric, frames in memory)', issue: 12, value: lane6.ns / lane4.ns, unit: 'x', target: '<= 1.5', met: lane6.ns / lane4.ns <= 1.5 });
  const heap = r.heap.find((h) => h.mix.startsWith('realistic'));
  if (heap) {
    const scaled = (heap.growthBytes * 10_000_000) / heap.packets;
    t.push({ what: `heap growth over ${heap.packets} packets in steady state`, issue: 3, value: heap.growthBytes, unit: 'bytes', target: heap.packets >= 10_000_000 ? '< 1 MB' : `< 1 MB per 10M packets (here ${scaled.toFixed(0)} B per 10M)`, met: scaled < 1 << 20 });
  }
  // Per address set, the faster API (the engine may use either); lookup() alone is in the stage table above.
  for (const addresses of [...new Set(r.lpm.lookups.map((l) => l.addresses))]) {
    const rows = r.lpm.lookups.filter((l) => l.addresses === addresses);
    const best = rows.reduce((a, b) => (b.lookupsPerSecond > a.lookupsPerSecond ? b : a));
    t.push({ what: `LPM over ${r.lpm.prefixes} random prefixes, ${addresses} addresses, ${best.api}()`, issue: 3, value: best.lookupsPerSecond / 1e6, unit: 'M lookups/s', target: '>= 20', met: best.lookupsPerSecond >= 20e6 });
  }
  const run = (prefix: string): ProcessFigure | undefined => r.wholeProcess.runs.find((x) => x.name.startsWith(prefix));
  const c = run('C baseline');
  const pp = run('pcap-parser');
  const w1 = run('ecmp-emu replay --json --workers 1');
  const w2 = run('ecmp-emu replay --json --workers 2');
  const frames = r.wholeProcess.capture.frames;
  for (const w of [w1, w2]) {
    if (!w) continue;
    const label = w === w1 ? '1 worker' : '2 workers';
    if (c) t.push({ what: `replay (${label}) / C baseline, ${frames} frames, best of rounds`, issue: 6, value: w.best / c.best, unit: 'x', target: '<= 2.5', met: w.best / c.best <= 2.5 });
    if (pp) t.push({ what: `pcap-parser baseline / replay (${label}), best of rounds`, issue: 6, value: pp.best / w.best, unit: 'x', target: '>= 5', met: pp.best / w.best >= 5 });
  }
  if (w1 && w2) t.push({ what: `replay --workers 1 / --workers 2, ${frames} frames, best of rounds`, issue: 6, value: w1.best / w2.best, unit: 'x', target: '>= 1.6', met: w1.best / w2.best >= 1.6 });
  const ws = run('ecmp-emu replay over 2 spines');
  if (w1 && ws) t.push({ what: `replay over 2 spines / replay without spines (1 worker), ${frames} frames, best of rounds`, issue: 13, value: ws.best / w1.best, unit: 'x', target: '<= 1.3', met: ws.best / w1.best <= 1.3 });
  const stage = (prefix: string): StageFigure | undefined => r.stages.find((x) => x.stage.startsWith(prefix));
  const plain = stage('pipeline: Engine.processBatch');
  const spined = stage('pipeline over 2 spines: Engine.processBatch');
  if (plain && spined) t.push({ what: 'pipeline over 2 spines / without, frames in memory, steady state', issue: 13, value: spined.ns / plain.ns, unit: 'x', target: '<= 1.3', met: spined.ns / plain.ns <= 1.3 });
  return [...t, ...flowTargets(r)];
}

/** Issue 15's targets: flow-heavy replay against the plain-Node loop and the C flow table, memory, growth, workers. */
function flowTargets(r: Omit<BenchResult, 'targets' | 'seconds'>): Target[] {
  const t: Target[] = [];
  const fl = r.flows;
  const find = (c: FlowBench['captures'][number] | undefined, prefix: string): ProcessFigure | undefined => c?.runs.find((x) => x.name.startsWith(prefix));
  const heavy = fl.captures.find((c) => c.flows === r.sizes.flow.heavyFlows[Math.min(1, r.sizes.flow.heavyFlows.length - 1)] && c.frames === r.sizes.flow.heavyFrames);
  const replayHeavy = find(heavy, 'ecmp-emu replay');
  const nodeHeavy = find(heavy, 'Node baseline');
  const floor = heavy ? tableCost(heavy) : undefined;
  const cSays = floor ? ` (C's own flow table: ${f1(floor.c)}x C streaming)` : '';
  if (heavy && replayHeavy && nodeHeavy) t.push({ what: `replay / plain-Node minimal loop, ${heavy.label}, best of rounds${cSays}`, issue: 15, value: replayHeavy.best / nodeHeavy.best, unit: 'x', target: '<= 1.3', met: replayHeavy.best / nodeHeavy.best <= 1.3 });
  const fresh = fl.captures.find((c) => c.flows === r.sizes.flow.newFlowFrames);
  const replayNew = find(fresh, 'ecmp-emu replay');
  const cNew = find(fresh, 'C baseline --flows');
  if (fresh && replayNew && cNew) t.push({ what: `replay / C flow table + SipHash at two stages, ${fresh.label}`, issue: 15, value: replayNew.best / cNew.best, unit: 'x', target: '<= 2.5', met: replayNew.best / cNew.best <= 2.5 });
  if (fresh && replayNew?.maxRssKB !== undefined) t.push({ what: `replay peak RSS, ${fresh.label}`, issue: 15, value: replayNew.maxRssKB / 1024, unit: 'MB', target: '<= 250', met: replayNew.maxRssKB / 1024 <= 250 });
  const distinct = fl.captures.find((c) => c.flows === r.sizes.flow.distinctFlows);
  const replayDistinct = find(distinct, 'ecmp-emu replay');
  if (distinct && replayDistinct) {
    const rss = replayDistinct.maxRssKB;
    t.push({ what: `replay of ${distinct.label} completes; peak RSS (bytes per flow)`, issue: 15, value: rss === undefined ? replayDistinct.best : rss / 1024, unit: rss === undefined ? 's' : `MB (${f1((rss * 1024) / distinct.flows)} B/flow)`, target: 'runs, memory stated', met: replayDistinct.packets === distinct.frames });
  }
  for (const p of fl.sweep) {
    if (p.flows < 100_000 && fl.sweep.length > 2) continue;
    t.push({ what: `flow table memory, ${p.flows} flows (table + paths)`, issue: 15, value: p.bytesPerFlow, unit: 'B/flow', target: '<= 64', met: p.bytesPerFlow <= 64 });
  }
  const g0 = fl.growth[0];
  const g1 = fl.growth[fl.growth.length - 1];
  if (g0 && g1 && g1 !== g0) t.push({ what: `longest block of inserts while growing to ${g1.flows} flows / to ${g0.flows}, median of ${g1.roundsMaxBlockUs.length} rounds each (a pause that scaled with the table: ~${Math.round(g1.flows / g0.flows)}x)`, issue: 15, value: g1.maxBlockUs / g0.maxBlockUs, unit: 'x', target: '<= 4', met: g1.maxBlockUs / g0.maxBlockUs <= 4 });
  const l1 = r.large?.runs.find((x) => x.name.endsWith('--workers 1'));
  const l2 = r.large?.runs.find((x) => x.name.endsWith('--workers 2'));
  if (r.large && l1 && l2) t.push({ what: `replay --workers 1 / --workers 2, ${r.large.capture.frames} frames (${f1(r.large.capture.fileBytes / 1e9)} GB), best of rounds`, issue: 15, value: l1.best / l2.best, unit: 'x', target: '>= 1.6', met: l1.best / l2.best >= 1.6 });
  return t;
}

function f1(x: number): string {
  return x.toFixed(1);
}

/** Runs the whole suite. */
export async function runBench(opts: { short?: boolean; log?: Log } = {}): Promise<BenchResult> {
  const started = process.hrtime.bigint();
  const log: Log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
  const sizes = opts.short ? SHORT : FULL;
  const fabric = converge(loadTopology());
  const machine = { cpu: cpuModel(), cores: os.availableParallelism(), node: process.version, os: `${os.type()} ${os.release()}`, loadBefore: os.loadavg(), loadAfter: [] as number[] };

  const stages = await stageFigures(sizes, fabric, log);
  log('hash: tinybench, batches of 4096 random 5-tuples...');
  const hashRes = await runHashBench(4096, sizes.hashTimeMs);
  for (const h of hashRes.results) {
    if (h.algorithm === 'baseline') continue;
    stages.push({ stage: `hash: ${h.algorithm}`, ns: h.nsPerHash, mpps: 1e3 / h.nsPerHash, spread: `±${h.rmePercent.toFixed(1)}%` });
  }
  for (const s of await runSipHashBench(4096, sizes.hashTimeMs)) stages.push({ stage: `siphash (linux-l4): ${s.variant} / ${s.pattern}`, ns: s.bestNs, mpps: 1e3 / s.bestNs, spread: `mean ${s.nsPerHash.toFixed(1)}`, note: s.netNs === undefined ? 'best sample (bench/siphash.ts)' : `best sample, ${s.netNs.toFixed(1)} net of a trivial hasher` });
  log(`lpm: ${sizes.lpmPrefixes} random prefixes...`);
  const lpmRes = runLpmBench(sizes.lpmPrefixes, sizes.lpmRounds);
  for (const l of lpmRes.lookups) {
    stages.push({ stage: `fib lookup: LPM ${l.api}(), ${l.addresses}`, ns: l.nsPerLookup, mpps: l.lookupsPerSecond / 1e6, spread: `median ${l.medianNsPerLookup.toFixed(1)}`, note: 'best of rounds' });
  }
  log('lpm6: IPv6 prefixes...');
  const lpm6 = runLpm6Bench(opts.short ? 10_000 : 100_000, opts.short ? 1 : 5, opts.short ? 1 << 16 : 1 << 20);
  for (const l of lpm6.lookups) {
    stages.push({ stage: `fib lookup: IPv6 LPM over ${lpm6.prefixes} prefixes, ${l.addresses}`, ns: l.nsPerLookup, mpps: l.lookupsPerSecond / 1e6, spread: `median ${l.medianNsPerLookup.toFixed(1)}`, note: `best of rounds; ${(lpm6.tableBytes / 2 ** 20).toFixed(1)} MiB, built in ${lpm6.buildMs.toFixed(0)} ms` });
  }
  log('select: every method and group shape...');
  const selectRes = runSelectBench(sizes.selectRounds);
  for (const s of selectRes) {
    stages.push({ stage: `select: ${s.selection}, ${s.weights}`, ns: s.nsPerSelect, mpps: s.selectsPerSecond / 1e6, spread: `median ${s.medianNsPerSelect.toFixed(2)}`, note: 'best of rounds' });
  }
  stages.push(...(await import('./fuzz.js')).fuzzStages(opts.short === true)); // fuzz --search: flow evaluations (bench/fuzz.ts)
  log('heap: allocation per packet in steady state...');
  const heap = heapFigures(sizes, fabric, log);
  log(`reader: ${sizes.readerFrames} frames, ours against pcap-parser in-process...`);
  const readerTmp = path.join(os.tmpdir(), `ecmp-emu-bench-reader-${process.pid}.pcap`);
  const readerRes = await runReaderBench(sizes.readerFrames, sizes.readerRounds, readerTmp);
  const whole = wholeProcess(sizes, log);
  const large = sizes.largeFrames > 0 ? wholeProcess(sizes, log, true) : undefined;
  const flows = runFlowBench(sizes.flow, fabric, log);
  machine.loadAfter = os.loadavg();

  const partial = {
    mode: opts.short ? ('short' as const) : ('full' as const),
    machine,
    sizes,
    stages,
    hash: hashRes.results.map((h) => ({ algorithm: h.algorithm, nsPerHash: h.nsPerHash, rmePercent: h.rmePercent })),
    lpm: { prefixes: lpmRes.prefixes, buildMs: lpmRes.buildMs, tableBytes: lpmRes.tableBytes, lookups: lpmRes.lookups },
    select: selectRes.map((s) => ({ selection: s.selection, weights: s.weights, nsPerSelect: s.nsPerSelect, medianNsPerSelect: s.medianNsPerSelect })),
    heap,
    reader: { frames: readerRes.frames, results: readerRes.results.map((x) => ({ reader: x.reader, seconds: x.seconds, mpps: x.mpps })) },
    wholeProcess: whole,
    large,
    flows,
  };
  const targets = targetsOf(partial).map((t) => (opts.short ? { ...t, met: null } : t));
  return { ...partial, targets, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** The human-readable report. */
export function formatBench(r: BenchResult): string {
  const lines: string[] = [];
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));
  lines.push(`ecmp-emu bench (${r.mode}) on ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}, ${r.machine.os}`);
  lines.push(`load average before ${r.machine.loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${r.machine.loadAfter.map((x) => x.toFixed(2)).join(' ')} (other work on the machine makes every figure slower)`);
  lines.push('');
  lines.push('Per stage and pipeline, one core, frames in memory (tinybench mean, or the best round of a hand-timed loop; the spread in brackets)');
  lines.push(`${'stage'.padEnd(78)} ${'ns/frame'.padStart(9)} ${'Mpps'.padStart(8)}`);
  for (const s of r.stages) {
    lines.push(`${s.stage.padEnd(78)} ${f(s.ns).padStart(9)} ${f(s.mpps, 2).padStart(8)}  (${s.spread})${s.note ? `  ${s.note}` : ''}`);
  }
  lines.push(`LPM table: ${r.lpm.prefixes} prefixes, built in ${f(r.lpm.buildMs, 0)} ms, ${f(r.lpm.tableBytes / 2 ** 20)} MiB`);
  lines.push('');
  lines.push('Heap allocated per packet in steady state (v8.GCProfiler: growth of used heap + what each GC freed) and heap growth after a full GC');
  for (const h of r.heap) {
    lines.push(`  ${h.mix}: ${h.packets} packets, ${h.allocatedBytes} bytes allocated (${f(h.bytesPerPacket, 3)} B/packet, ${h.gcs} GCs), growth ${h.growthBytes} bytes`);
  }
  lines.push('');
  lines.push(`Reader in-process, ${r.reader.frames} frames (bench/reader.ts):`);
  for (const x of r.reader.results) lines.push(`  ${x.reader.padEnd(32)} ${f(x.seconds, 3)} s ${f(x.mpps, 2).padStart(8)} Mpps`);
  lines.push('');
  formatWhole(lines, r.wholeProcess, r.sizes.replayRounds, f);
  if (r.large) {
    lines.push('');
    formatWhole(lines, r.large, r.sizes.largeRounds, f);
    const l1 = r.large.runs.find((x) => x.name.endsWith('--workers 1'));
    const l2 = r.large.runs.find((x) => x.name.endsWith('--workers 2'));
    if (l1 && l2) lines.push(`  --workers 2 is ${f(l1.best / l2.best, 2)}x --workers 1 (best), ${f(l1.median / l2.median, 2)}x (median)`);
  }
  lines.push('');
  formatFlowBench(lines, r.flows, f);
  lines.push('');
  lines.push('Targets');
  if (r.mode === 'short') lines.push('  (--short: sizes too small to judge the targets; the figures only show the suite runs)');
  for (const t of r.targets) lines.push(`  [${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'}] issue ${t.issue}: ${t.what}: ${f(t.value, 2)} ${t.unit} (target ${t.target})`);
  lines.push('');
  lines.push(`suite took ${f(r.seconds, 0)} s`);
  return lines.join('\n');
}

function formatWhole(lines: string[], w: WholeProcess, rounds: number, f: (x: number, d?: number) => string): void {
  lines.push(`Whole process, page cache warm: ${w.capture.frames} frames of ${w.capture.frameBytes} bytes, ${w.capture.flows} flows, ${f(w.capture.fileBytes / 1e6)} MB; ${rounds} timed rounds each, interleaved; ${w.timer}`);
  lines.push(`${'command'.padEnd(58)} ${'best s'.padStart(8)} ${'median s'.padStart(9)} ${'CPU s'.padStart(7)} ${'peak RSS'.padStart(10)} ${'Mpps'.padStart(7)}`);
  for (const x of w.runs) {
    lines.push(`${x.name.padEnd(58)} ${f(x.best, 3).padStart(8)} ${f(x.median, 3).padStart(9)} ${(x.cpu === undefined ? '-' : f(x.cpu, 2)).padStart(7)} ${(x.maxRssKB === undefined ? '-' : `${f(x.maxRssKB / 1024, 0)} MB`).padStart(10)} ${f(w.capture.frames / x.best / 1e6, 2).padStart(7)}`);
    lines.push(`    ${x.command}`);
  }
  if (w.runs.some((x) => x.command.startsWith('baseline '))) lines.push('  baseline = cc -O2 -o baseline bench/baseline.c');
  const c = w.runs.find((x) => x.name.startsWith('C baseline'));
  const floor = w.runs.find((x) => x.name.startsWith('Node baseline'));
  const w1 = w.runs.find((x) => x.name === 'ecmp-emu replay --json --workers 1');
  if (c && floor && w1) {
    lines.push(`  the plain-Node baseline takes ${f(floor.best / c.best, 2)}x the C baseline's time (Node's floor here); replay --workers 1 takes ${f(w1.best / floor.best, 2)}x the plain-Node baseline's`);
  }
  for (const s of w.skipped) lines.push(`  skipped: ${s}`);
}

export async function main(argv: string[]): Promise<void> {
  const short = argv.includes('--short');
  const j = argv.indexOf('--json');
  const jsonOut = j >= 0 ? argv[j + 1] : undefined;
  if (j >= 0 && (jsonOut === undefined || jsonOut.startsWith('--'))) throw new Error('--json needs a file name');
  const r = await runBench({ short });
  process.stdout.write(`${formatBench(r)}\n`);
  if (jsonOut !== undefined) fs.writeFileSync(jsonOut, `${JSON.stringify(r, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
