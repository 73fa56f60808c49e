// What the main thread (workers.ts) and a replay worker (replay-worker.ts) share: the messages between them and the
// layout of a chunk of copied records.

import { readFileSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { RecordBatch } from '../capture/reader.js';
import type { Topology } from '../fabric/topology.js';
import type { FlowColumns } from './columns.js';
import type { PathColumns } from './paths.js';
import type { AddressColumns } from './addrs.js';
import type { Engine } from './engine.js';
import type { PartDone } from './parts.js';

export const WORKER_KIND = 'ecmp-emu-replay-worker';
/** Records per processBatch call, and the main thread's read batch. */
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

/** Messages between the main thread (workers.ts) and a worker (replay-worker.ts). */
export type ToWorker =
  | { type: 'chunk'; unit: number; count: number; buffer: SharedArrayBuffer; records: number; dataBytes: number }
  /** a PcapRun over a reader buffer the main thread has given up until 'done' */
  | { type: 'run'; unit: number; buffer: SharedArrayBuffer; start: number; end: number; count: number; littleEndian: boolean; recordHeader: number; linkType: number }
  /** the fabric to forward through: the first message, sent when the main thread has loaded it */
  | { type: 'topology'; topology: Topology }
  /**
   * replay by parts (parts.ts): claim parts of the file open as `fd` (named `name` in errors) cut at `cuts`, in
   * claims, as engine `me`, until none is left. The descriptor is the main thread's reader's: threads share a
   * process's descriptors, and positional reads need no seek, so the file read is the one opened, whatever
   * happens to its name meanwhile.
   */
  | { type: 'parts'; fd: number; name: string; cuts: number[]; claims: SharedArrayBuffer; me: number; bufferBytes: number }
  | { type: 'finish' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; unit: number; lo: number; hi: number; count: number; busyNs: number }
  | { type: 'part'; done: PartDone; busyNs: number }
  | { type: 'result'; flows: FlowColumns; paths: PathColumns; addrs: AddressColumns; packets: number; bytes: number; skipped: Float64Array; cpuMs: number | undefined }
  /** a failure; `emu` when it was an EmuError (a read error, a corrupt file), to rebuild it as one */
  | { type: 'error'; message: string; stack?: string; emu?: { what: string; where: string; exitCode: 1 | 2 } };

/** What a replay worker is started with: its end of the message channel (the topology comes as a message). */
export interface WorkerData {
  kind: typeof WORKER_KIND;
  port: MessagePort;
}

/**
 * CPU time this thread has used, in ms (Linux: /proc/thread-self/stat, 10 ms ticks), for ECMP_EMU_DEBUG_WORKERS:
 * on a machine whose cores are busy with other work, wall time says little about how the work was split.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}
