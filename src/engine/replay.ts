// Replaying a capture through the engine: the one read loop (for one engine and for workers), its progress and its
// clean stop.

import { PcapRun, RecordBatch, type CaptureReader, type CorruptCaptureError } from '../capture/reader.js';
import type { PcapWriter } from '../capture/writer.js';
import type { Fabric } from '../fabric/converge.js';
import type { Report } from '../stats/types.js';
import type { Engine } from './engine.js';
import { SLICE } from './worker-protocol.js';
import { replayParallel } from './workers.js';

export interface ReplayProgress {
  bytesRead: number;
  /** capture size in bytes when known (a file, not a pipe) */
  size: number | undefined;
  packets: number;
  flows: number;
}

export interface ReplayOptions {
  /** write each forwarded frame as it crosses the fabric to this pcap */
  write?: string;
  /** stop reading when aborted (Ctrl-C): the report covers what was read */
  signal?: AbortSignal;
  /** called every few batches */
  onProgress?: (p: ReplayProgress) => void;
  batchSize?: number;
  /** decode mirrors as the frames they carry (default true; `replay --no-unwrap` sets false; one engine then) */
  unwrap?: boolean;
}

export interface ReplayResult {
  engine: Engine;
  report: Report;
  interrupted: boolean;
  /** where reading stopped before the end of the capture (its framing went bad there), if it did */
  stopped?: CorruptCaptureError;
}

/** Where the read loop puts what it reads: one engine, or the dispatcher of several (workers.ts). */
export interface RecordSink {
  /** read classic-pcap record runs (PcapRun) rather than batches of parsed records */
  readonly runs: boolean;
  take(records: PcapRun | RecordBatch): void | Promise<void>;
  /** frames and flows so far, for progress */
  packets(): number;
  flows(): number;
}

/** How often a synchronous read loop lets the event loop run (Ctrl-C, worker events). */
const YIELD_MS = 20;

/**
 * The read loop, for one engine and for workers alike: reads runs or batches to the end (or Ctrl-C) and hands each
 * to the sink; true when it stopped because the signal fired.
 */
export async function readRecords(reader: CaptureReader, sink: RecordSink, options: ReplayOptions): Promise<boolean> {
  const signal = options.signal;
  const sync = reader.syncCapable;
  const runs = sink.runs;
  const batch = new RecordBatch(options.batchSize ?? SLICE);
  const run = new PcapRun();
  const aborted = signal
    ? new Promise<0>((resolve) => (signal.aborted ? resolve(0) : signal.addEventListener('abort', () => resolve(0), { once: true })))
    : undefined;
  let lastYield = Date.now();
  let ticks = 0;
  for (;;) {
    if (signal?.aborted) return true;
    let n: number;
    if (sync) {
      n = runs ? reader.readRunSync(run) : reader.readSync(batch);
    } else {
      const next = runs ? reader.readRun(run) : reader.read(batch);
      n = aborted ? await Promise.race([next, aborted]) : await next;
      if (signal?.aborted) return true;
    }
    if (n === 0) return false;
    const taken = sink.take(runs ? run : batch);
    if (taken !== undefined) await taken;
    // A run is a whole buffer (thousands of frames), a batch SLICE frames: report progress about as often.
    if (runs || (++ticks & 31) === 0) {
      options.onProgress?.({ bytesRead: reader.bytesRead, size: reader.size, packets: sink.packets(), flows: sink.flows() });
      if (sync && Date.now() - lastYield >= YIELD_MS) {
        // Let signals and worker events in; a synchronous loop would otherwise never see them.
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  }
}

/** Replays a capture on one engine (replayParallel with one engine; --write is always so). */
export async function replayCapture(path: string, fabric: Fabric, options: ReplayOptions = {}): Promise<ReplayResult> {
  return replayParallel(path, fabric, { ...options, workers: 1, pool: undefined });
}

/** Forwards everything a reader yields through one engine, in batches (its writer drained after each). */
export async function runEngine(engine: Engine, reader: CaptureReader, options: ReplayOptions, writer?: PcapWriter): Promise<boolean> {
  const sink: RecordSink = {
    runs: false,
    take: (records) => {
      engine.processBatch(records as RecordBatch);
      return writer?.drain();
    },
    packets: () => engine.packets,
    flows: () => engine.flows.size,
  };
  const interrupted = await readRecords(reader, sink, options);
  options.onProgress?.({ bytesRead: reader.bytesRead, size: reader.size, packets: engine.packets, flows: engine.flows.size });
  return interrupted;
}
