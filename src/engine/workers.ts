// Replay on several cores: the main thread reads the capture, hands runs of whole records to worker threads (and
// forwards whatever they cannot take at the moment itself), and merges the per-engine flow tables into exactly the
// one-engine result.
//
// Why runs of records and not "frames by flow hash": to send each frame to the worker owning its flow, the main
// thread must read and parse it (~25 ns), pull out its 5-tuple and hash it (~15 ns) and copy it to the worker
// (10-40 ns, more when the other core holds the line), while forwarding a frame of a known flow costs ~45 ns: the
// dispatcher would be the bottleneck and a second core would gain nothing. Instead, for a classic pcap file a
// worker gets a span of the file (byte range and record count, found by the main thread's reader) which it reads
// with its own pread and parses with the same reader code; for pcapng and standard input, the main thread copies
// the records into a shared buffer. Forwarding depends only on the flow key, so any engine forwards any frame the
// same way; summing packets and bytes per flow over the engines gives the single engine's counts exactly.
// First-seen order (it orders the flow table, hence --flows-csv and every floating-point sum of the report) is
// rebuilt by merging in stream order: each span, chunk or run of batches is a "unit" with a sequence number, every
// engine processes its units in increasing order, so the flows new to an engine in one unit are a contiguous index
// range of its table, and walking the units in sequence replays the single engine's insertions in its order.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CaptureReader, RecordBatch } from '../capture/reader.js';
import type { Fabric } from '../fabric/converge.js';
import { FlowTable, MAX_STAGES } from '../stats/flowtable.js';
import { Engine } from './engine.js';
import { buildReport } from './report.js';
import { replayCapture, type ReplayOptions, type ReplayResult } from './replay.js';
import { ChunkView, SLICE, WORKER_KIND, chunkLayout, forwardSpan, flowColumns, type FlowColumns, type FromWorker, type ToWorker, type WorkerData } from './worker-main.js';

/** Inputs smaller than this replay on one thread by default: a worker costs more to start than it saves. */
export const SMALL_INPUT_BYTES = 1 << 30;
/** Records and data bytes per chunk handed to a worker (about a millisecond of forwarding). */
export const CHUNK_RECORDS = 16384;
export const CHUNK_DATA_BYTES = 4 << 20;
/** Chunks a worker may hold at once (one being forwarded, one waiting): enough to keep it busy, little memory. */
const MAX_IN_FLIGHT = 2;
/** How often a synchronous read loop lets the event loop run (Ctrl-C, worker errors). */
const YIELD_MS = 20;

export interface ParallelReplayOptions extends ReplayOptions {
  /** Engines in all, the main thread's included (it reads and forwards what the workers cannot take). Default 1. */
  workers?: number;
  /** Chunk size in records and in data bytes (tests make them small to get many chunks from a small capture). */
  chunkRecords?: number;
  chunkDataBytes?: number;
  /**
   * Send classic pcap files' records as file spans the workers read themselves (default true); false copies them
   * into shared chunks as for pcapng and standard input (tests use it to exercise that path on a pcap).
   */
  spans?: boolean;
  /**
   * Wait until every worker is up before reading (tests: otherwise the main thread may finish a small capture
   * before any worker can take a chunk, and the merge would not be exercised).
   */
  awaitWorkers?: boolean;
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

/** The compiled worker script; under a TypeScript runner (tests from src/) the build's copy in dist/. */
function workerScript(): URL {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new URL('./worker-main.js', import.meta.url);
  const root = path.resolve(path.dirname(here), '..', '..');
  return new URL(`file://${path.join(root, 'dist', 'src', 'engine', 'worker-main.js')}`);
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
 * Replays a capture with `options.workers` engines (default 1). The report equals replayCapture's exactly, field
 * by field; with --write (options.write) frames must leave in order, so that case runs on one engine.
 */
export async function replayParallel(file: string, fabric: Fabric, options: ParallelReplayOptions = {}): Promise<ParallelReplayResult> {
  if (options.write !== undefined) {
    const r = await replayCapture(file, fabric, options);
    return { ...r, unitsByEngine: [1], packetsByEngine: [r.engine.packets] };
  }
  // Workers converge fabric.topology afresh: a fabric converged with failures (failover) stays on one engine.
  if (fabric.failedVms.size > 0 || fabric.failedLeaves.size > 0) options = { ...options, workers: 1 };
  const reader = await CaptureReader.open(file);
  try {
    return await new ParallelReplay(file, reader, fabric, options).run();
  } finally {
    await reader.close();
  }
}

class ParallelReplay {
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
  /**
   * Classic pcap from a regular file: a worker's chunk is a span of the file it reads itself (pread) and parses;
   * the main thread only says where. Otherwise (pcapng, standard input) records are copied into shared chunks.
   */
  private readonly rangeMode: boolean;
  /** Record header length of the classic pcap (16, or 24 for the "modified" format). */
  private readonly recordHeader: number = 16;
  /** The file span being gathered for a worker: start, end, records; `open*` below tracks its unit. */
  private spanStart = -1;
  private spanEnd = 0;
  /** The chunk being filled: its views, record count, data bytes used. */
  private open: ChunkView | undefined;
  private openCount = 0;
  private openData = 0;
  private openUnit = -1;
  /** ECMP_EMU_DEBUG_WORKERS: the split and timings on standard error (2: every chunk too) */
  private readonly debug = process.env.ECMP_EMU_DEBUG_WORKERS !== undefined && process.env.ECMP_EMU_DEBUG_WORKERS !== '';
  /** ns the main thread spent forwarding (diagnostics) */
  private localNs = 0;

  constructor(
    private readonly file: string,
    private readonly reader: CaptureReader,
    private readonly fabric: Fabric,
    private readonly options: ParallelReplayOptions,
  ) {
    this.engine = new Engine(fabric);
    this.records = Math.max(1, options.chunkRecords ?? CHUNK_RECORDS);
    this.dataBytes = Math.max(1, options.chunkDataBytes ?? CHUNK_DATA_BYTES);
    this.rangeMode = (options.spans ?? true) && (options.workers ?? 1) > 1 && file !== '-' && reader.format === 'pcap' && reader.size !== undefined && reader.syncCapable;
    if (this.rangeMode) this.recordHeader = pcapRecordHeader(file);
  }

  async run(): Promise<ParallelReplayResult> {
    const workers = Math.max(1, Math.floor(this.options.workers ?? 1));
    if (this.debug) process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: replay starts, ${workers} engines\n`);
    for (let i = 0; i < workers - 1; i++) this.spawn(i);
    let interrupted = false;
    try {
      if (this.options.awaitWorkers) await this.workersUp();
      interrupted = await this.readLoop();
      this.flushOpen(true);
      this.flushSpan(true);
      await this.finishWorkers();
    } finally {
      for (const s of this.slots) if (!s.exited) void s.worker.terminate();
    }
    const unitsByEngine = new Array<number>(this.slots.length + 1).fill(0);
    for (const u of this.units) unitsByEngine[u.owner]!++;
    const packetsByEngine = [this.engine.packets, ...this.slots.map((sl) => sl.packetsDone)];
    if (this.debug) {
      const busy = [this.localNs, ...this.slots.map((sl) => sl.busyNs)].map((ns) => (ns / 1e6).toFixed(0)).join(',');
      process.stderr.write(`ecmp-emu: ${performance.now().toFixed(0)} ms: read; units per engine ${unitsByEngine.join(',')}, frames per engine ${packetsByEngine.join(',')}, ms forwarding per engine ${busy}\n`);
    }
    const engine = this.merge();
    this.options.onProgress?.({ bytesRead: this.reader.bytesRead, size: this.reader.size, packets: engine.packets, flows: engine.flows.size });
    return { engine, report: buildReport(engine), interrupted, unitsByEngine, packetsByEngine };
  }

  private spawn(index: number): void {
    const { port1, port2 } = new MessageChannel();
    const data: WorkerData = { kind: WORKER_KIND, port: port2, topology: this.fabric.topology, file: this.rangeMode ? path.resolve(this.file) : undefined };
    const worker = new Worker(workerScript(), { workerData: data, transferList: [port2] });
    const slot = new WorkerSlot(index, worker, port1);
    worker.on('error', (e) => {
      slot.failure ??= e;
    });
    worker.on('exit', (code) => {
      slot.exited = true;
      if (slot.result === undefined) slot.failure ??= new Error(`worker ${index} exited (code ${code}) before its result`);
    });
    this.slots.push(slot);
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

  /** Reads to the end (or Ctrl-C); true when interrupted. */
  private async readLoop(): Promise<boolean> {
    const reader = this.reader;
    const engine = this.engine;
    const options = this.options;
    const signal = options.signal;
    const sync = reader.syncCapable;
    const batch = new RecordBatch(SLICE);
    const aborted = signal
      ? new Promise<0>((resolve) => (signal.aborted ? resolve(0) : signal.addEventListener('abort', () => resolve(0), { once: true })))
      : undefined;
    const parallel = this.slots.length > 0;
    let lastYield = Date.now();
    let ticks = 0;
    for (;;) {
      if (signal?.aborted) return true;
      let n: number;
      if (sync) {
        n = reader.readSync(batch);
      } else {
        n = aborted ? await Promise.race([reader.read(batch), aborted]) : await reader.read(batch);
        if (signal?.aborted) return true;
      }
      if (n === 0) return false;
      if (parallel) {
        this.poll();
        if (!(this.rangeMode ? this.toSpan(batch) : this.toChunk(batch))) this.forwardLocally(batch);
      } else {
        engine.processBatch(batch);
      }
      if ((++ticks & 31) === 0) {
        options.onProgress?.({ bytesRead: reader.bytesRead, size: reader.size, packets: this.packetsSoFar(), flows: engine.flows.size });
        if (sync && Date.now() - lastYield >= YIELD_MS) {
          // Let signals and worker events in; a synchronous loop would otherwise never see them.
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = Date.now();
        }
      }
    }
  }

  private packetsSoFar(): number {
    let n = this.engine.packets;
    for (const s of this.slots) n += s.packetsDone;
    return n;
  }

  private forwardLocally(batch: RecordBatch): void {
    const engine = this.engine;
    if (this.localUnit < 0) {
      this.localUnit = this.units.length;
      this.units.push({ owner: 0, lo: engine.flows.size, hi: engine.flows.size });
    }
    if (this.debug) {
      const t0 = process.hrtime.bigint();
      engine.processBatch(batch);
      this.localNs += Number(process.hrtime.bigint() - t0);
    } else {
      engine.processBatch(batch);
    }
    this.units[this.localUnit]!.hi = engine.flows.size;
  }

  /** A worker that can take a chunk now, or undefined. */
  private idleWorker(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const s of this.slots) {
      if (!s.ready || s.failure !== undefined || s.inFlight >= MAX_IN_FLIGHT) continue;
      if (best === undefined || s.inFlight < best.inFlight) best = s;
    }
    return best;
  }

  /**
   * Adds the batch's span of the file to the span being gathered for a worker (opening one when a worker can take
   * it); false when the batch stays with the main thread. A classic pcap's records lie back to back, so the batch
   * is the file bytes from its first record header to the end of its last record, which ends where the reader is.
   */
  private toSpan(batch: RecordBatch): boolean {
    const n = batch.count;
    const inBuffer = batch.offset[n - 1]! + batch.capLen[n - 1]! - (batch.offset[0]! - this.recordHeader);
    const end = this.reader.bytesRead;
    const start = end - inBuffer;
    if (this.spanStart >= 0 && (start !== this.spanEnd || this.openCount + n > this.records || end - this.spanStart > this.dataBytes)) this.flushSpan(false);
    if (this.spanStart < 0) {
      if (inBuffer > this.dataBytes || this.idleWorker() === undefined) return false;
      this.spanStart = start;
      this.openCount = 0;
      this.openUnit = this.units.length;
      this.units.push({ owner: -1, lo: 0, hi: 0 });
      this.localUnit = -1;
    }
    this.spanEnd = end;
    this.openCount += n;
    if (this.openCount >= this.records) this.flushSpan(false);
    return true;
  }

  /** Sends the gathered span to the least busy worker (at the end, to any live one); forwards it here if none is left. */
  private flushSpan(atEnd: boolean): void {
    if (this.spanStart < 0) return;
    const start = this.spanStart;
    this.spanStart = -1;
    const slot = this.pickWorker();
    const unit = this.units[this.openUnit]!;
    if (slot === undefined) {
      // Every worker failed: read the span again here, in its place in the stream.
      unit.owner = 0;
      unit.lo = this.engine.flows.size;
      forwardSpan(this.engine, this.file, start, this.spanEnd, this.openCount);
      unit.hi = this.engine.flows.size;
      void atEnd;
      return;
    }
    unit.owner = slot.index + 1;
    slot.inFlight++;
    const msg: ToWorker = { type: 'span', unit: this.openUnit, start, end: this.spanEnd, count: this.openCount };
    slot.port.postMessage(msg);
  }

  /** The least busy ready worker that can take a chunk, else (at the end) the least busy live one. */
  private pickWorker(): WorkerSlot | undefined {
    let slot = this.idleWorker();
    if (slot === undefined) {
      for (const s of this.slots) if (s.ready && s.failure === undefined && (slot === undefined || s.inFlight < slot.inFlight)) slot = s;
    }
    return slot;
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
    if (n > this.records || need > this.dataBytes) return false;
    if (this.open !== undefined && (this.openCount + n > this.records || this.openData + need > this.dataBytes)) this.flushOpen(false);
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
    if (this.openCount === this.records) this.flushOpen(false);
    return true;
  }

  /** Sends the open chunk to the least busy worker (at the end, to any live one even if it is busy). */
  private flushOpen(atEnd: boolean): void {
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
      void atEnd;
      return;
    }
    unit.owner = slot.index + 1;
    slot.inFlight++;
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
        break;
      }
      case 'result':
        s.result = m;
        break;
      case 'error': {
        const e = new Error(`replay worker ${s.index}: ${m.message}`);
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
    const out = new Engine(this.fabric, { flows: this.engine.flows.size });
    const tables: FlowColumns[] = [flowColumns(this.engine.flows)];
    out.packets = this.engine.packets;
    out.bytes = this.engine.bytes;
    for (let r = 0; r < out.skipped.length; r++) out.skipped[r] = this.engine.skipped[r]!;
    for (const s of this.slots) {
      const res = s.result;
      if (res === undefined) {
        tables.push(emptyColumns());
        continue;
      }
      tables.push(res.flows);
      out.packets += res.packets;
      out.bytes += res.bytes;
      for (let r = 0; r < out.skipped.length; r++) out.skipped[r]! += res.skipped[r]!;
    }
    const flows = out.flows;
    for (const u of this.units) {
      const t = tables[u.owner]!;
      for (let f = u.lo; f < u.hi; f++) {
        const g = flows.findOrInsert(t.src[f]!, t.dst[f]!, t.ports[f]!, t.meta[f]!);
        if (flows.isNew) {
          flows.reason[g] = t.reason[f]!;
          flows.vtep[g] = t.vtep[f]!;
          flows.vm[g] = t.vm[f]!;
          flows.other[g] = t.other[f]!;
          flows.outerSport[g] = t.outerSport[f]!;
          const stages = t.stageCount[f]!;
          flows.stageCount[g] = stages;
          for (let s = 0; s < stages; s++) {
            flows.stageRoute[g * MAX_STAGES + s] = t.stageRoute[f * MAX_STAGES + s]!;
            flows.stageMember[g * MAX_STAGES + s] = t.stageMember[f * MAX_STAGES + s]!;
          }
        }
        flows.packets[g]! += t.packets[f]!;
        flows.bytes[g]! += t.bytes[f]!;
      }
    }
    return out;
  }
}

/** 24 for Kuznetzov's "modified" pcap (magic 0xa1b2cd34, either byte order), else 16. */
function pcapRecordHeader(file: string): number {
  const b = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, b, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  return b.readUInt32LE(0) === 0xa1b2cd34 || b.readUInt32BE(0) === 0xa1b2cd34 ? 24 : 16;
}

function emptyColumns(): FlowColumns {
  return flowColumns(new FlowTable(16));
}
