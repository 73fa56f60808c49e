// Replay on several cores, and the merge of the per-engine flow tables into exactly the one-engine result.
//
// Two ways to feed the engines:
// - By parts (parts.ts): a classic pcap file is cut at record boundaries into parts of about 16 MiB, and every
//   engine, this thread's included, claims parts in stream order and reads each with its own reader. The reading
//   (the page-cache copy and the record checks, about a fifth of a lone engine's time) then runs on every core
//   too. A cut is trusted only once the part before it ended exactly there; if one did not, one engine does it all.
// - By runs (standard input, pcapng, a file whose record headers must be rewritten): this thread reads, hands runs
//   of whole records to worker threads, and forwards whatever they cannot take at the moment itself.
//
// Why not "frames by flow hash": to send each frame to the worker owning its flow, the main thread must read and
// parse it, pull out its 5-tuple and hash it and copy it to the worker, which costs about as much as forwarding a
// frame of a known flow (~30-40 ns): the dispatcher would be the bottleneck and a second core would gain nothing.
// By runs, for classic pcap the main thread reads straight into SharedArrayBuffers, checks the record headers (a
// few ns per frame) and hands a worker a whole buffer of records, a "run", which the worker walks itself: no frame is
// copied or parsed twice. For pcapng, whose blocks need real parsing, the main thread parses and copies the records
// into a shared chunk. Forwarding depends only on the flow key, so any engine forwards any frame the same way;
// summing packets and bytes per flow over the engines gives the single engine's counts exactly.
// First-seen order (it orders the flow table, hence --flows-csv and every floating-point sum of the report) is
// rebuilt by merging in stream order: each part, run, chunk or stretch of local forwarding is a "unit" with a
// sequence number, every engine processes its units in increasing order, so the flows new to an engine in one unit
// are a contiguous index range of its table, and walking the units in sequence replays the single engine's
// insertions in its order.

import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CaptureReader, PcapRun, RecordBatch } from '../capture/reader.js';
import { PcapWriter } from '../capture/writer.js';
import { EmuError } from '../errors.js';
import type { Fabric } from '../fabric/converge.js';
import { addCaptureFindings, buildReport } from '../analysis/report.js';
import { addFlows, flowColumns, pathColumns, pathIdMap, type FlowColumns } from './columns.js';
import type { PathColumns } from './paths.js';
import type { AddressColumns } from './addrs.js';
import { Engine } from './engine.js';
import { readRecords, type RecordSink, type ReplayProgress } from './read-loop.js';
import type { ReplayOptions, ReplayResult } from './replay.js';
import { PART_BYTES, UNCLAIMED, forwardClaimedParts, partClaims, partFindings, stopClaims, type PartDone, type PartFile } from './parts.js';
import { ChunkView, WORKER_KIND, chunkLayout, threadCpuMs, type FromWorker, type ToWorker, type WorkerData } from './worker-protocol.js';

/** Inputs smaller than this replay on one thread by default: a worker costs more to start than it saves. */
export const SMALL_INPUT_BYTES = 1 << 30;
/** Records and data bytes per chunk handed to a worker (about a millisecond of forwarding). */
export const CHUNK_RECORDS = 16384;
export const CHUNK_DATA_BYTES = 4 << 20;
/**
 * Runs or chunks a worker may hold at once (one being forwarded, three waiting). The main thread forwards a run
 * itself only when no worker can take it, and it also reads: with 2 in flight it forwarded 44% of a 20M-frame
 * capture and was the longest thread (1.8 s CPU against the worker's 1.25 s); with 4, 32% (1.3 s against 1.1 s).
 */
const MAX_IN_FLIGHT = 4;

export interface ParallelReplayOptions extends ReplayOptions {
  /** Engines in all, the main thread's included (it reads and forwards what the workers cannot take). Default 1. */
  workers?: number;
  /** Chunk size in records and in data bytes (tests make them small to get many chunks from a small capture). */
  chunkRecords?: number;
  chunkDataBytes?: number;
  /**
   * Hand classic pcap records to workers as runs, the reader's own shared buffers (default true); false parses and
   * copies them into shared chunks as for pcapng (tests use it to exercise that path on a pcap).
   */
  runs?: boolean;
  /**
   * Replay a classic pcap file by parts (parts.ts: each engine reads its own parts; default true); false hands the
   * main thread's runs to the workers instead (tests use it to exercise that path).
   */
  parts?: boolean;
  /** The nominal part size (tests make it small to get many parts from a small capture). Default PART_BYTES. */
  partBytes?: number;
  /** The reader's buffer size, hence the largest run (tests make it small to get many runs from a small capture). */
  readBufferBytes?: number;
  /**
   * Wait until every worker is up before reading, and by parts, after its first part, until every worker holds
   * one (tests: otherwise the main thread may finish a small capture before a worker can take a chunk or a part,
   * and the merge would not be exercised).
   */
  awaitWorkers?: boolean;
  /**
   * Worker threads started beforehand (startReplayWorkers), so that their start-up overlaps the caller's own
   * (loading the topology, opening the capture); used instead of starting `workers - 1` new ones.
   */
  pool?: ReplayWorkerPool;
}

/**
 * Replay worker threads started before the fabric is known: a worker boots Node (~50 ms here) and loads its code
 * while the main thread is still loading the topology; it converges the fabric when replayParallel sends it.
 */
export class ReplayWorkerPool {
  readonly slots: WorkerSlot[] = [];
  private configured = false;

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const { port1, port2 } = new MessageChannel();
      const data: WorkerData = { kind: WORKER_KIND, port: port2 };
      const worker = new Worker(workerScript(), { workerData: data, transferList: [port2] });
      const slot = new WorkerSlot(i, worker, port1);
      worker.on('error', (e) => {
        slot.failure ??= e;
      });
      worker.on('exit', (code) => {
        slot.exited = true;
        if (slot.result === undefined) slot.failure ??= new Error(`worker ${i} exited (code ${code}) before its result`);
      });
      this.slots.push(slot);
    }
  }

  /** Sends every worker the topology to converge (once); a worker says 'ready' when its engine is built. */
  configure(fabric: Fabric): void {
    if (this.configured) throw new Error('replay worker pool used twice');
    this.configured = true;
    const msg: ToWorker = { type: 'topology', topology: fabric.topology };
    for (const s of this.slots) s.port.postMessage(msg);
  }

  /** Stops every worker (a pool that was not used, or after its results are in). */
  terminate(): void {
    for (const s of this.slots) if (!s.exited) void s.worker.terminate();
  }
}

/** Starts `count` replay workers now, to hand to replayParallel through options.pool. */
export function startReplayWorkers(count: number): ReplayWorkerPool {
  return new ReplayWorkerPool(Math.max(0, Math.floor(count)));
}

export interface ParallelReplayResult extends ReplayResult {
  /** Units (chunks, or runs of batches) forwarded per engine: [main thread, worker 0, worker 1, ...]. */
  unitsByEngine: number[];
  /** Frames forwarded per engine, same order. */
  packetsByEngine: number[];
}

/**
 * The default engine count for `replay`: one per core, but one for standard input and for files under
 * SMALL_INPUT_BYTES (the worker would not be up before the main thread is done), and one with --write
 * (frames must be written in order, with one IPv4 identification sequence).
 */
export function defaultWorkers(file: string, size: number | undefined, writing: boolean): number {
  if (writing || file === '-' || size === undefined || size < SMALL_INPUT_BYTES) return 1;
  return Math.max(1, os.availableParallelism());
}

/**
 * The compiled worker script; under a TypeScript runner (tests from src/) the build's copy in dist/. The path goes
 * up and down again because this code also runs bundled into dist/src/cli/main.js, one directory over.
 */
function workerScript(): URL {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new URL('../engine/replay-worker.js', import.meta.url);
  const root = path.resolve(path.dirname(here), '..', '..');
  return new URL(`file://${path.join(root, 'dist', 'src', 'engine', 'replay-worker.js')}`);
}

/** A stream-order unit of frames: a chunk sent to a worker, or a run of batches the main thread forwarded. */
interface Unit {
  /** 0: the main thread's engine; k >= 1: worker k - 1 */
  owner: number;
  /** the flows new to the owner's table in this unit: indices lo .. hi - 1 (known for a chunk when it is done) */
  lo: number;
  hi: number;
}

class WorkerSlot {
  ready = false;
  inFlight = 0;
  packetsDone = 0;
  /** ns spent in processBatch, as the worker measured it (diagnostics) */
  busyNs = 0;
  result: Extract<FromWorker, { type: 'result' }> | undefined;
  failure: Error | undefined;
  exited = false;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    readonly port: MessagePort,
  ) {}
}

/**
 * Replays a capture with `options.workers` engines (default 1). The report equals one engine's exactly, field by
 * field. With --write (options.write) frames must leave in order, with timestamps: one engine, in batches.
 */
export async function replayParallel(file: string, fabric: Fabric, options: ParallelReplayOptions = {}): Promise<ParallelReplayResult> {
  // Workers converge fabric.topology afresh with the default decoding: a fabric converged with failures (failover)
  // or a replay that does not unwrap mirrors stays on one engine.
  if (options.write !== undefined || fabric.failedVms.size > 0 || fabric.failedLeaves.size > 0 || options.unwrap === false) {
    options.pool?.terminate();
    options = { ...options, workers: 1, pool: undefined };
  }
  const reader = await CaptureReader.open(file, options.readBufferBytes !== undefined ? { chunkSize: options.readBufferBytes } : {});
  let writer: PcapWriter | undefined;
  try {
    writer = options.write !== undefined ? await PcapWriter.open(options.write, { linkType: 1 }) : undefined;
    const result = await new ParallelReplay(reader, fabric, options, writer).run();
    if (result !== undefined) return result;
  } finally {
    await reader.close();
    if (writer) await writer.close();
  }
  // A cut between parts did not hold (a record chain inside a payload fooled splitPoints) or the capture stops
  // before its last part: what the one reader would do is not known from the parts, so one engine does it.
  return replayParallel(file, fabric, { ...options, workers: 1, pool: undefined });
}

class ParallelReplay implements RecordSink {
  private readonly engine: Engine;
  private readonly slots: WorkerSlot[] = [];
  private readonly units: Unit[] = [];
  /** The unit the main thread is forwarding into, or -1 when its last batch went to a chunk. */
  private localUnit = -1;
  private readonly records: number;
  private readonly dataBytes: number;
  private readonly free: SharedArrayBuffer[] = [];
  /** The buffer of each chunk a worker holds, by unit, to reuse when it is done. */
  private readonly held = new Map<number, SharedArrayBuffer>();
  /** The reader buffer of each run a worker holds, by unit, likewise. */
  private readonly heldRuns = new Map<number, Uint8Array>();
  /**
   * Classic pcap: the reader reads into shared buffers and a worker is handed a whole run of records, buffer and
   * all (the reader goes on in a fresh one). Otherwise (pcapng) records are parsed and copied into shared chunks.
   */
  private readonly runMode: boolean;
  /** Shared reader buffers no worker holds, to hand the reader when it gives one away. */
  private readonly freeRunBuffers: Uint8Array[] = [];
  /** The chunk being filled: its views, record count, data bytes used. */
  private open: ChunkView | undefined;
  private openCount = 0;
  private openData = 0;
  private openUnit = -1;
  /** Where the search for the least busy worker starts: the one after the last given a unit. */
  private nextSlot = 0;
  /** ECMP_EMU_DEBUG_WORKERS: the split and timings on standard error (2: every chunk too) */
  private readonly debug = process.env.ECMP_EMU_DEBUG_WORKERS !== undefined && process.env.ECMP_EMU_DEBUG_WORKERS !== '';
  /** ns the main thread spent forwarding (diagnostics) */
  private localNs = 0;
  /** Replay by parts: where the file is cut (undefined: the main thread reads and hands out runs or chunks). */
  private readonly cuts: number[] | undefined;
  /** Each part once forwarded, by part; bytes of the capture forwarded so far (progress). */
  private partsDone: Array<PartDone | undefined> = [];
  private bytesDone = 0;

  constructor(
    private readonly reader: CaptureReader,
    private readonly fabric: Fabric,
    private readonly options: ParallelReplayOptions,
    private readonly writer: PcapWriter | undefined,
  ) {
    this.engine = new Engine(fabric, { writer, unwrap: options.unwrap });
    this.records = Math.max(1, options.chunkRecords ?? CHUNK_RECORDS);
    this.dataBytes = Math.max(1, options.chunkDataBytes ?? CHUNK_DATA_BYTES);
    // The writer needs each record's timestamp: batches.
    this.runMode = reader.format === 'pcap' && (options.runs ?? true) && writer === undefined;
    const parallel = (options.workers ?? 1) > 1;
    const cuts = this.runMode && parallel && (options.parts ?? true) ? reader.splitPoints(options.partBytes ?? PART_BYTES) : undefined;
    this.cuts = cuts !== undefined && cuts.length > 2 ? cuts : undefined;
    // Workers read the reader's buffers: they must be shared ones from the start.
    if (this.runMode && parallel && this.cuts === undefined) reader.replaceBuffer(this.sharedBuffer());
  }

  /** The replay's result, or undefined when it must be done again on one engine (parts whose cuts did not hold). */
  async run(): Promise<ParallelReplayResult | undefined> {
    const pool = this.options.pool ?? startReplayWorkers(Math.max(1, Math.floor(this.options.workers ?? 1)) - 1);
    this.slots.push(...pool.slots);
    if (this.debug) process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: replay starts, ${this.slots.length + 1} engines\n`);
    pool.configure(this.fabric);
    let interrupted = false;
    try {
      if (this.options.awaitWorkers) await this.workersUp();
      if (this.cuts !== undefined) {
        interrupted = await this.readParts(this.cuts);
        if (!interrupted && !this.cutsHeld(this.cuts)) return undefined;
      } else {
        interrupted = await readRecords(this.reader, this, this.options);
        this.flushOpen();
      }
      await this.finishWorkers();
    } finally {
      pool.terminate();
    }
    const unitsByEngine = new Array<number>(this.slots.length + 1).fill(0);
    for (const u of this.units) if (u.owner >= 0) unitsByEngine[u.owner]!++;
    const packetsByEngine = [this.engine.packets, ...this.slots.map((sl) => sl.packetsDone)];
    if (this.debug) {
      const busy = [this.localNs, ...this.slots.map((sl) => sl.busyNs)].map((ns) => (ns / 1e6).toFixed(0)).join(',');
      const cpu = [threadCpuMs(), ...this.slots.map((sl) => sl.result?.cpuMs)].map((ms) => ms ?? '?').join(',');
      process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: read; units per engine ${unitsByEngine.join(',')}, frames per engine ${packetsByEngine.join(',')}, ms forwarding per engine ${busy} (wall), thread CPU ms ${cpu}\n`);
    }
    const engine = this.merge();
    const bytesRead = this.cuts !== undefined ? this.bytesDone : this.reader.bytesRead;
    this.options.onProgress?.({ bytesRead, size: this.reader.size, packets: engine.packets, flows: engine.flows.size });
    const findings = this.cuts !== undefined ? partFindings(this.verifiedParts(this.cuts).map((d) => d?.findings)) : this.reader;
    const report = addCaptureFindings(buildReport(engine), findings);
    if (this.debug) {
      process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: merged and reported\n`);
      process.once('exit', () => process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: exit\n`));
    }
    return { engine, report, interrupted, stopped: findings.stopped, unitsByEngine, packetsByEngine };
  }

  /**
   * Replay by parts: every engine, this thread's included, claims parts in stream order and reads each itself
   * (parts.ts); resolves when every claimed part is in, true when Ctrl-C stopped it. One unit per part, so the merge
   * walks them in stream order as it walks runs. Interrupted, the report covers the parts' frames forwarded so far,
   * which need not be a prefix of the capture; the cuts cannot all be checked then (no walk reached some of them),
   * and only the findings of parts whose start was confirmed count (verifiedParts).
   */
  private async readParts(cuts: number[]): Promise<boolean> {
    const count = cuts.length - 1;
    const claims = partClaims(count);
    this.partsDone = new Array<PartDone | undefined>(count).fill(undefined);
    this.bytesDone = cuts[0]!;
    for (let k = 0; k < count; k++) this.units.push({ owner: -1, lo: 0, hi: 0 });
    const fd = this.reader.partDescriptor!;
    const name = this.reader.name;
    const bufferBytes = this.reader.bufferSize;
    for (const s of this.slots) {
      const msg: ToWorker = { type: 'parts', fd, name, cuts, claims: claims.buffer as SharedArrayBuffer, me: s.index + 2, bufferBytes };
      s.port.postMessage(msg);
    }
    const signal = this.options.signal;
    const progress = this.options.onProgress;
    let interrupted = false;
    const own: PartFile = { fd, name, buffer: Buffer.allocUnsafe(bufferBytes), cuts };
    const options = {
      signal,
      onRun: () => this.poll(),
      onProgress: progress && ((p: ReplayProgress) => progress({ ...p, bytesRead: this.bytesDone + p.bytesRead, size: this.reader.size, packets: this.packetsSoFar() })),
    };
    await forwardClaimedParts(this.engine, own, claims, 1, options, (done, busyNs) => {
      this.localNs += busyNs;
      this.partDone(0, done);
      if (this.options.awaitWorkers && !signal?.aborted) return this.workersClaimed(claims, count);
    });
    // Wait for the workers' parts; Ctrl-C meanwhile stops them after the run they are forwarding.
    for (;;) {
      if (signal?.aborted && !interrupted) {
        interrupted = true;
        stopClaims(claims, count);
      }
      this.poll();
      const failed = this.slots.find((sl) => sl.failure !== undefined && this.units.some((u, k) => u.owner < 0 && Atomics.load(claims, k) === sl.index + 2));
      if (failed) throw failed.failure;
      let waiting = false;
      for (let k = 0; k < count && !waiting; k++) waiting = this.partsDone[k] === undefined && Atomics.load(claims, k) !== UNCLAIMED;
      if (!waiting) return interrupted;
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * Waits until every live worker holds a part, or none is left to claim (awaitWorkers: tests). Then, with parts
   * at least the engines, every engine forwards one whatever the threads' timing: this thread took the first.
   */
  private async workersClaimed(claims: Int32Array, count: number): Promise<void> {
    for (;;) {
      this.poll();
      let free = false;
      for (let k = 0; k < count && !free; k++) free = Atomics.load(claims, k) === 0;
      if (!free || this.options.signal?.aborted) return;
      const held = new Set<number>();
      for (let k = 0; k < count; k++) held.add(Atomics.load(claims, k));
      if (this.slots.every((sl) => sl.failure !== undefined || held.has(sl.index + 2))) return;
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * The parts whose first record is known to be one (part 0, and each part after one that ended exactly at its cut
   * without stopping), others undefined: only their readers' findings count. All of them unless Ctrl-C came (run()
   * checked the cuts); interrupted, a part after one not finished is trusted to splitPoints' record chain for its
   * frames, which the engines have counted, but its reader's findings are left out.
   */
  private verifiedParts(cuts: number[]): Array<PartDone | undefined> {
    const out: Array<PartDone | undefined> = [];
    let trusted = true;
    for (let k = 0; k < this.partsDone.length; k++) {
      const d = this.partsDone[k];
      out.push(trusted ? d : undefined);
      trusted &&= d !== undefined && d.findings.stopped === undefined && d.end === cuts[k + 1];
    }
    return out;
  }

  /** A part forwarded by engine `owner` (0: this thread): its unit, its frames, the progress. */
  private partDone(owner: number, done: PartDone): void {
    this.partsDone[done.part] = done;
    const u = this.units[done.part]!;
    u.owner = owner;
    u.lo = done.lo;
    u.hi = done.hi;
    this.bytesDone += done.end - this.cuts![done.part]!;
    if (owner > 0) this.slots[owner - 1]!.packetsDone += done.count;
  }

  /**
   * Whether every cut held: each part but the last ended exactly where the next began, without stopping. Part 0
   * starts at the first record, so by induction every part then started on a record, and the parts' frames and
   * findings are the one reader's. Otherwise (a false cut, or a corrupt record that stops reading before the last
   * part) the replay is done again on one engine (replayParallel).
   */
  private cutsHeld(cuts: number[]): boolean {
    for (let k = 0; k + 1 < cuts.length - 1; k++) {
      const d = this.partsDone[k]!;
      if (d.findings.stopped !== undefined || d.end !== cuts[k + 1]) {
        if (this.debug) process.stderr.write(`ecmp-emu: part ${k} ended at byte ${d.end}, not at the cut ${cuts[k + 1]}${d.findings.stopped ? ` (${d.findings.stopped.what})` : ''}: one engine replays it all\n`);
        return false;
      }
    }
    return true;
  }

  /** Resolves when every worker has said it is ready; rejects if one fails first. */
  private async workersUp(): Promise<void> {
    for (;;) {
      this.poll();
      const failed = this.slots.find((sl) => sl.failure !== undefined);
      if (failed) throw failed.failure;
      if (this.slots.every((sl) => sl.ready)) return;
      await new Promise<void>((resolve) => setTimeout(resolve, 2));
    }
  }

  get runs(): boolean {
    return this.runMode;
  }

  /** The read loop's sink: records go to a worker that can take them, else stay with the main thread's engine. */
  take(records: PcapRun | RecordBatch): Promise<void> | undefined {
    if (this.slots.length > 0) {
      this.poll();
      if (records instanceof PcapRun ? this.toWorker(records) : this.toChunk(records)) return undefined;
    }
    this.forwardLocally(records);
    return this.writer?.drain();
  }

  flows(): number {
    return this.engine.flows.size;
  }

  packets(): number {
    return this.packetsSoFar();
  }

  private packetsSoFar(): number {
    let n = this.engine.packets;
    for (const s of this.slots) n += s.packetsDone;
    return n;
  }

  /** Forwards a batch or run on the main thread, as part of the current local unit. */
  private forwardLocally(records: RecordBatch | PcapRun): void {
    const engine = this.engine;
    if (this.localUnit < 0) {
      this.localUnit = this.units.length;
      this.units.push({ owner: 0, lo: engine.flows.size, hi: engine.flows.size });
    }
    const t0 = this.debug ? process.hrtime.bigint() : 0n;
    if (records instanceof PcapRun) engine.processPcapRun(records);
    else engine.processBatch(records);
    if (this.debug) this.localNs += Number(process.hrtime.bigint() - t0);
    this.units[this.localUnit]!.hi = engine.flows.size;
  }

  /** A shared buffer the size of the reader's, for it to read into. */
  private sharedBuffer(): Uint8Array {
    return this.freeRunBuffers.pop() ?? new Uint8Array(new SharedArrayBuffer(this.reader.bufferSize));
  }

  /** A worker that can take a chunk now, or undefined. */
  private idleWorker(): WorkerSlot | undefined {
    return this.leastBusy(MAX_IN_FLIGHT);
  }

  /**
   * The ready, live worker with the fewest units in flight (below `limit`). Ties go round the workers from the one
   * after the last given a unit, not always to the first: the main thread sees workers' replies only when it yields,
   * so with ties to the first, one worker could take every unit of a slow read while the others idle. Round the
   * ring, a worker that has never had a unit is always among the least busy and is reached within a round.
   */
  private leastBusy(limit: number): WorkerSlot | undefined {
    const n = this.slots.length;
    let best: WorkerSlot | undefined;
    for (let k = 0; k < n; k++) {
      const s = this.slots[(this.nextSlot + k) % n]!;
      if (!s.ready || s.failure !== undefined || s.inFlight >= limit) continue;
      if (best === undefined || s.inFlight < best.inFlight) best = s;
    }
    return best;
  }

  /** Counts a unit handed to the worker, and moves the ring past it. */
  private handTo(slot: WorkerSlot): void {
    slot.inFlight++;
    this.nextSlot = (slot.index + 1) % this.slots.length;
  }

  /**
   * Hands the run to a worker that can take it now, buffer and all (the reader goes on in another shared buffer);
   * false when none can and the run stays with the main thread.
   */
  private toWorker(run: PcapRun): boolean {
    const slot = this.idleWorker();
    // The reader's buffers are shared ones from the start (constructor); a worker could not read any other.
    if (slot === undefined || !(run.buf.buffer instanceof SharedArrayBuffer)) return false;
    const unit = this.units.length;
    this.units.push({ owner: slot.index + 1, lo: 0, hi: 0 });
    this.localUnit = -1;
    this.handTo(slot);
    const buffer = run.buf.buffer as SharedArrayBuffer;
    const msg: ToWorker = {
      type: 'run', unit, buffer, start: run.start, end: run.end, count: run.count,
      littleEndian: run.littleEndian, recordHeader: run.recordHeader, linkType: run.linkType,
    };
    this.heldRuns.set(unit, run.buf);
    slot.port.postMessage(msg);
    this.reader.replaceBuffer(this.sharedBuffer());
    return true;
  }

  /** The least busy ready worker that can take a chunk, else the least busy live one (it queues the chunk). */
  private pickWorker(): WorkerSlot | undefined {
    return this.idleWorker() ?? this.leastBusy(Infinity);
  }

  /**
   * Copies the batch into the open chunk (opening one when a worker can take it); false when the batch stays
   * with the main thread. A batch goes whole to one place.
   */
  private toChunk(batch: RecordBatch): boolean {
    const n = batch.count;
    const off = batch.offset;
    const cap = batch.capLen;
    const lo = off[0]!;
    const end = off[n - 1]! + cap[n - 1]!;
    let payload = 0;
    for (let i = 0; i < n; i++) payload += cap[i]!;
    // Records of one batch lie in order in one buffer: copy the span in one go unless it is mostly other bytes.
    const bulk = end - lo <= payload + 64 * n;
    const need = bulk ? end - lo : payload;
    if (n > this.records || need > this.dataBytes) {
      // Forwarded here, after the open chunk's records: that chunk must go first (to a worker, or here), or this
      // engine would meet this batch's new flows before that earlier unit's and the merge would misorder them.
      this.flushOpen();
      return false;
    }
    if (this.open !== undefined && (this.openCount + n > this.records || this.openData + need > this.dataBytes)) this.flushOpen();
    if (this.open === undefined) {
      if (this.idleWorker() === undefined) return false;
      const buffer = this.free.pop() ?? new SharedArrayBuffer(chunkLayout(this.records, this.dataBytes).bytes);
      this.open = new ChunkView(buffer, this.records, this.dataBytes);
      this.openCount = 0;
      this.openData = 0;
      this.openUnit = this.units.length;
      this.units.push({ owner: -1, lo: 0, hi: 0 });
      this.localUnit = -1;
    }
    const c = this.open;
    const at = this.openCount;
    const src = batch.buf;
    if (bulk) {
      c.data.set(src.subarray(lo, end), this.openData);
      const shift = this.openData - lo;
      for (let i = 0; i < n; i++) c.offset[at + i] = off[i]! + shift;
      this.openData += end - lo;
    } else {
      let d = this.openData;
      for (let i = 0; i < n; i++) {
        const o = off[i]!;
        const len = cap[i]!;
        c.data.set(src.subarray(o, o + len), d);
        c.offset[at + i] = d;
        d += len;
      }
      this.openData = d;
    }
    c.capLen.set(cap.subarray(0, n), at);
    c.origLen.set(batch.origLen.subarray(0, n), at);
    c.linkType.set(batch.linkType.subarray(0, n), at);
    c.tsSec.set(batch.tsSec.subarray(0, n), at);
    c.tsNsec.set(batch.tsNsec.subarray(0, n), at);
    this.openCount = at + n;
    if (this.openCount === this.records) this.flushOpen();
    return true;
  }

  /** Sends the open chunk to the least busy worker (a busy one when none is idle: the chunk is filled). */
  private flushOpen(): void {
    const c = this.open;
    if (c === undefined) return;
    this.open = undefined;
    const slot = this.pickWorker();
    const unit = this.units[this.openUnit]!;
    if (slot === undefined || this.openCount === 0) {
      // No worker left (one failed): forward it here, in its place in the stream.
      unit.owner = 0;
      unit.lo = this.engine.flows.size;
      c.forward(this.engine, new RecordBatch(1), this.openCount);
      unit.hi = this.engine.flows.size;
      this.free.push(c.buffer);
      return;
    }
    unit.owner = slot.index + 1;
    this.handTo(slot);
    const msg: ToWorker = { type: 'chunk', unit: this.openUnit, count: this.openCount, buffer: c.buffer, records: this.records, dataBytes: this.dataBytes };
    this.held.set(this.openUnit, c.buffer);
    slot.port.postMessage(msg);
  }

  /** Takes in whatever the workers have said, without waiting. */
  private poll(): void {
    for (const s of this.slots) {
      for (;;) {
        const m = receiveMessageOnPort(s.port);
        if (m === undefined) break;
        this.handle(s, m.message as FromWorker);
      }
    }
  }

  private handle(s: WorkerSlot, m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        s.ready = true;
        if (this.debug) process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: worker ${s.index} ready\n`);
        break;
      case 'done': {
        s.inFlight--;
        s.packetsDone += m.count;
        s.busyNs += m.busyNs;
        if (process.env.ECMP_EMU_DEBUG_WORKERS === '2') process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: worker ${s.index} unit ${m.unit}: ${m.count} frames, ${(m.busyNs / m.count).toFixed(0)} ns/frame\n`);
        const u = this.units[m.unit]!;
        u.lo = m.lo;
        u.hi = m.hi;
        const buffer = this.held.get(m.unit);
        this.held.delete(m.unit);
        if (buffer !== undefined) this.free.push(buffer);
        const runBuffer = this.heldRuns.get(m.unit);
        this.heldRuns.delete(m.unit);
        if (runBuffer !== undefined) this.freeRunBuffers.push(runBuffer);
        break;
      }
      case 'part':
        s.busyNs += m.busyNs;
        this.partDone(s.index + 1, m.done);
        break;
      case 'result':
        s.result = m;
        break;
      case 'error': {
        // A worker's read error or corrupt file is the user's error as one engine would give it, not a crash.
        const e = m.emu ? new EmuError(m.emu.what, m.emu.where, m.emu.exitCode) : new Error(`replay worker ${s.index}: ${m.message}`);
        if (m.stack) e.stack = m.stack;
        s.failure ??= e;
        break;
      }
    }
  }

  /** Asks every worker that took a chunk for its table; resolves when all have answered. */
  private async finishWorkers(): Promise<void> {
    if (this.slots.length === 0) return;
    this.poll();
    const used = this.usedSlots();
    // A worker that took no chunk (still starting, or failed early) has nothing to give: it is not waited for.
    for (const s of this.slots) if (!used.includes(s)) void s.worker.terminate();
    if (used.length === 0) return;
    const finish: ToWorker = { type: 'finish' };
    for (const s of used) s.port.postMessage(finish);
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        for (const s of used) {
          if (s.failure !== undefined) return reject(s.failure);
          if (s.result === undefined) return;
        }
        resolve();
      };
      for (const s of used) {
        s.port.on('message', (m: FromWorker) => {
          this.handle(s, m);
          check();
        });
        s.worker.on('exit', () => setImmediate(check));
        s.worker.on('error', () => setImmediate(check));
      }
      check();
    });
  }

  private usedSlots(): WorkerSlot[] {
    return this.slots.filter((s) => this.units.some((u) => u.owner === s.index + 1));
  }

  /** One engine's result from all: the main thread's engine itself when no worker took a chunk. */
  private merge(): Engine {
    if (this.usedSlots().length === 0) return this.engine;
    // The merged table holds at least the largest engine's flows (all of them when every engine met every flow):
    // sized for that beforehand, it does not rebalance its way there.
    const largest = Math.max(this.engine.flows.size, ...this.slots.map((s) => s.result?.flows.size ?? 0));
    const out = new Engine(this.fabric, { flows: largest });
    const ownPaths = pathColumns(this.engine.paths);
    const tables: Array<{ flows: FlowColumns; paths: PathColumns; addrs: AddressColumns; pathIds: Int32Array } | undefined> = [
      { flows: flowColumns(this.engine.flows, this.engine.paths), paths: ownPaths, addrs: this.engine.addrs.columns(), pathIds: pathIdMap(ownPaths) },
    ];
    out.packets = this.engine.packets;
    out.bytes = this.engine.bytes;
    for (let r = 0; r < out.skipped.length; r++) out.skipped[r] = this.engine.skipped[r]!;
    for (const s of this.slots) {
      const res = s.result;
      tables.push(res && { ...res, pathIds: pathIdMap(res.paths) });
      if (res === undefined) continue;
      out.packets += res.packets;
      out.bytes += res.bytes;
      for (let r = 0; r < out.skipped.length; r++) out.skipped[r]! += res.skipped[r]!;
    }
    for (const u of this.units) {
      const t = tables[u.owner];
      if (t !== undefined) addFlows(out, t.flows, t.paths, t.addrs, u.lo, u.hi, t.pathIds);
    }
    return out;
  }
}
