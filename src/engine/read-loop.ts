// The one read loop, for one engine, for the dispatcher of several and for each part of a replay by parts: reads
// runs or batches to the end (or Ctrl-C) and hands each to its sink, with progress. It imports no engine code, so
// that a replay worker's bundle stays small.

import { PcapRun, RecordBatch, type CaptureReader } from '../capture/reader.js';
import { SLICE } from './worker-protocol.js';

export interface ReplayProgress {
  bytesRead: number;
  /** capture size in bytes when known (a file, not a pipe) */
  size: number | undefined;
  packets: number;
  flows: number;
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

/** What the read loop takes of a replay's options. */
export interface ReadLoopOptions {
  signal?: AbortSignal;
  onProgress?: (p: ReplayProgress) => void;
  batchSize?: number;
}

/** How often a synchronous read loop lets the event loop run (Ctrl-C, worker events). */
const YIELD_MS = 20;

/**
 * ECMP_EMU_DEBUG_READS: a line on standard error each time a read's records are handed on, with the loop's count
 * so far. The tests that press Ctrl-C on a replay of standard input wait for it (the records they fed are in)
 * rather than for a fixed time.
 */
const DEBUG_READS = (process.env.ECMP_EMU_DEBUG_READS ?? '') !== '';

/**
 * The read loop, for one engine and for workers alike: reads runs or batches to the end (or Ctrl-C) and hands each
 * to the sink; true when it stopped because the signal fired.
 */
export async function readRecords(reader: CaptureReader, sink: RecordSink, options: ReadLoopOptions): Promise<boolean> {
  const signal = options.signal;
  // A read that waits (a pipe) is raced against Ctrl-C; a synchronous one checks the signal between reads. The
  // listener goes when the loop ends: one signal serves every part of a replay by parts.
  let onAbort: (() => void) | undefined;
  const aborted =
    signal && !reader.syncCapable
      ? new Promise<0>((resolve) => {
          onAbort = () => resolve(0);
          if (signal.aborted) resolve(0);
          else signal.addEventListener('abort', onAbort, { once: true });
        })
      : undefined;
  try {
    return await readLoop(reader, sink, options, aborted);
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

async function readLoop(reader: CaptureReader, sink: RecordSink, options: ReadLoopOptions, aborted: Promise<0> | undefined): Promise<boolean> {
  const signal = options.signal;
  const sync = reader.syncCapable;
  const runs = sink.runs;
  const batch = new RecordBatch(options.batchSize ?? SLICE);
  const run = new PcapRun();
  let lastYield = Date.now();
  let ticks = 0;
  let records = 0;
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
    if (DEBUG_READS) process.stderr.write(`ecmp-emu: read ${(records += n)} records\n`);
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
