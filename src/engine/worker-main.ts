// A replay worker thread, and the chunk format it shares with the main thread (workers.ts): the worker converges
// its own copy of the fabric, forwards the chunks it is sent, and hands back its flow table at the end.
// This module is also imported by workers.ts for the shared definitions; the worker part runs only in a worker
// started with WORKER_KIND. It imports no YAML or report code, so a worker is up in a few tens of milliseconds.

import * as fs from 'node:fs';
import { isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import { CaptureReader, RecordBatch } from '../capture/reader.js';
import { converge } from '../fabric/converge.js';
import type { Topology } from '../fabric/topology.js';
import type { FlowTable } from '../stats/flowtable.js';
import { Engine } from './engine.js';

export const WORKER_KIND = 'ecmp-emu-replay-worker';
/** Records per processBatch call: the main thread's read batch. */
export const SLICE = 512;

/**
 * A chunk's columns and data in one SharedArrayBuffer. Shared, not transferred: transferring detaches an
 * ArrayBuffer, and the first detach in a thread makes V8 drop its "no typed array is ever detached" assumption
 * and recompile every typed-array loop with detach checks, 2-3x slower (measured: 75 -> 185 ns per frame in
 * processBatch on the main thread).
 */
export function chunkLayout(records: number, dataBytes: number): { bytes: number; off: Record<'tsSec' | 'offset' | 'capLen' | 'origLen' | 'tsNsec' | 'linkType' | 'data', number> } {
  const r = records;
  return {
    bytes: 26 * r + dataBytes,
    off: { tsSec: 0, offset: 8 * r, capLen: 12 * r, origLen: 16 * r, tsNsec: 20 * r, linkType: 24 * r, data: 26 * r },
  };
}

/** The views of a chunk buffer, as a RecordBatch's columns. */
export class ChunkView {
  readonly tsSec: Float64Array;
  readonly offset: Uint32Array;
  readonly capLen: Uint32Array;
  readonly origLen: Uint32Array;
  readonly tsNsec: Uint32Array;
  readonly linkType: Uint16Array;
  readonly data: Uint8Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly records: number,
    readonly dataBytes: number,
  ) {
    const { off } = chunkLayout(records, dataBytes);
    this.tsSec = new Float64Array(buffer, off.tsSec, records);
    this.offset = new Uint32Array(buffer, off.offset, records);
    this.capLen = new Uint32Array(buffer, off.capLen, records);
    this.origLen = new Uint32Array(buffer, off.origLen, records);
    this.tsNsec = new Uint32Array(buffer, off.tsNsec, records);
    this.linkType = new Uint16Array(buffer, off.linkType, records);
    this.data = new Uint8Array(buffer, off.data, dataBytes);
  }

  /** Points a batch at `count` records of this chunk from record `start` on. */
  fill(batch: RecordBatch, start: number, count: number): void {
    const end = start + count;
    batch.buf = this.data;
    batch.offset = this.offset.subarray(start, end);
    batch.capLen = this.capLen.subarray(start, end);
    batch.origLen = this.origLen.subarray(start, end);
    batch.linkType = this.linkType.subarray(start, end);
    batch.tsSec = this.tsSec.subarray(start, end);
    batch.tsNsec = this.tsNsec.subarray(start, end);
    batch.count = count;
  }

  /**
   * Forwards the chunk's first `count` records in batches of the main thread's size: one processBatch call over
   * a whole chunk would run mostly in on-stack-replaced code that V8 keeps bailing out of (measured 2x slower).
   */
  forward(engine: Engine, batch: RecordBatch, count: number): void {
    for (let at = 0; at < count; at += SLICE) {
      this.fill(batch, at, Math.min(SLICE, count - at));
      engine.processBatch(batch);
    }
  }
}

/** The flow table columns a worker sends back (FlowTable's, without its slots). */
export interface FlowColumns {
  size: number;
  src: Uint32Array;
  dst: Uint32Array;
  ports: Uint32Array;
  meta: Uint32Array;
  packets: Float64Array;
  bytes: Float64Array;
  reason: Uint8Array;
  vtep: Int32Array;
  vm: Int32Array;
  other: Int32Array;
  outerSport: Uint16Array;
  stageCount: Uint8Array;
  stageRoute: Int32Array;
  stageMember: Int32Array;
}

export function flowColumns(t: FlowTable): FlowColumns {
  return {
    size: t.size, src: t.src, dst: t.dst, ports: t.ports, meta: t.meta, packets: t.packets, bytes: t.bytes, reason: t.reason,
    vtep: t.vtep, vm: t.vm, other: t.other, outerSport: t.outerSport, stageCount: t.stageCount, stageRoute: t.stageRoute, stageMember: t.stageMember,
  };
}

/** Messages between the main thread and a worker (worker-main.ts). */
export type ToWorker =
  | { type: 'chunk'; unit: number; count: number; buffer: SharedArrayBuffer; records: number; dataBytes: number }
  | { type: 'span'; unit: number; start: number; end: number; count: number }
  | { type: 'finish' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; unit: number; lo: number; hi: number; count: number; busyNs: number }
  | { type: 'result'; flows: FlowColumns; packets: number; bytes: number; skipped: Float64Array }
  | { type: 'error'; message: string; stack?: string };

/** What a replay worker is started with: its end of the message channel and the (validated) topology. */
export interface WorkerData {
  kind: typeof WORKER_KIND;
  port: MessagePort;
  topology: Topology;
  /** The classic pcap file whose spans this worker reads itself ('span' messages); undefined when sent chunks. */
  file: string | undefined;
}

/**
 * Reads a span of a classic pcap file (whole records) and forwards it: the file's own header and the span's bytes
 * in one buffer, parsed by the same reader the main thread uses, so the records are the ones it counted.
 */
export class SpanReader {
  private readonly fd: number;
  private readonly header = Buffer.alloc(24);
  private buf: Buffer = Buffer.alloc(0);
  private readonly batch = new RecordBatch(SLICE);

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
    if (fs.readSync(this.fd, this.header, 0, 24, 0) !== 24) throw new Error(`${file}: pcap header cut short`);
  }

  forward(engine: Engine, start: number, end: number, count: number): void {
    const len = end - start;
    if (this.buf.length < 24 + len) this.buf = Buffer.alloc(Math.max(24 + len, this.buf.length * 2));
    const buf = this.buf;
    this.header.copy(buf, 0);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, buf, 24 + got, len - got, start + got);
      if (n === 0) throw new Error(`${this.file}: ends at byte ${start + got}, inside a span the main thread read`);
      got += n;
    }
    const reader = CaptureReader.fromBuffer(buf.subarray(0, 24 + len), this.file);
    const batch = this.batch;
    let seen = 0;
    for (let n; (n = reader.readSync(batch)) > 0; ) {
      engine.processBatch(batch);
      seen += n;
    }
    if (seen !== count) throw new Error(`${this.file}: ${seen} records in bytes ${start}..${end}, the main thread saw ${count}`);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** One span forwarded by the calling thread (the main thread's fallback when no worker is left). */
export function forwardSpan(engine: Engine, file: string, start: number, end: number, count: number): void {
  const r = new SpanReader(file);
  try {
    r.forward(engine, start, end, count);
  } finally {
    r.close();
  }
}


function runWorker(data: WorkerData): void {
  const port = data.port;
  const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  const fail = (e: unknown): void => {
    const err = e as Error;
    send({ type: 'error', message: err?.message ?? String(e), stack: err?.stack });
  };
  try {
    const engine = new Engine(converge(data.topology));
    const batch = new RecordBatch(1);
    const spans = data.file !== undefined ? new SpanReader(data.file) : undefined;
    port.on('message', (m: ToWorker) => {
      try {
        if (m.type === 'span') {
          const lo = engine.flows.size;
          const t0 = process.hrtime.bigint();
          if (spans === undefined) throw new Error('span message without a file');
          spans.forward(engine, m.start, m.end, m.count);
          const busyNs = Number(process.hrtime.bigint() - t0);
          send({ type: 'done', unit: m.unit, lo, hi: engine.flows.size, count: m.count, busyNs });
        } else if (m.type === 'chunk') {
          const view = new ChunkView(m.buffer, m.records, m.dataBytes);
          const lo = engine.flows.size;
          const t0 = process.hrtime.bigint();
          view.forward(engine, batch, m.count);
          const busyNs = Number(process.hrtime.bigint() - t0);
          send({ type: 'done', unit: m.unit, lo, hi: engine.flows.size, count: m.count, busyNs });
        } else {
          const flows = flowColumns(engine.flows);
          const skipped = Float64Array.from(engine.skipped);
          // Transferred (the worker's last act, so detaching costs it nothing): a big table is not copied.
          const buffers = new Set<ArrayBuffer>();
          for (const v of Object.values(flows)) if (typeof v !== 'number') buffers.add((v as Uint8Array).buffer as ArrayBuffer);
          send({ type: 'result', flows, packets: engine.packets, bytes: engine.bytes, skipped }, [...buffers, skipped.buffer as ArrayBuffer]);
        }
      } catch (e) {
        fail(e);
      }
    });
    send({ type: 'ready' });
  } catch (e) {
    fail(e);
  }
}

if (!isMainThread && (workerData as Partial<WorkerData> | null)?.kind === WORKER_KIND) runWorker(workerData as WorkerData);
