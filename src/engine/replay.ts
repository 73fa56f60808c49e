// Replaying a capture through the engine: the read loop, its progress and its clean stop.

import { CaptureReader, RecordBatch } from '../capture/reader.js';
import { PcapWriter } from '../capture/writer.js';
import type { Fabric } from '../fabric/converge.js';
import type { Report } from '../stats/types.js';
import { Engine } from './engine.js';
import { addCaptureFindings, buildReport } from './report.js';
import type { CorruptCaptureError } from '../capture/reader.js';

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

/**
 * Reads every frame of a capture (a path, or '-' for standard input) and forwards it through the fabric, in
 * batches through Engine.processBatch on one thread. `replay` runs replayParallel (workers.ts), which forwards
 * classic pcap through the faster record-run lane; this path serves --write and is the reference the workers
 * test holds that lane and the worker threads to, byte for byte.
 */
export async function replayCapture(path: string, fabric: Fabric, options: ReplayOptions = {}): Promise<ReplayResult> {
  const reader = await CaptureReader.open(path);
  let writer: PcapWriter | undefined;
  try {
    writer = options.write !== undefined ? await PcapWriter.open(options.write, { linkType: 1 }) : undefined;
    const engine = new Engine(fabric, { writer, unwrap: options.unwrap });
    const interrupted = await runEngine(engine, reader, options, writer);
    return { engine, report: addCaptureFindings(buildReport(engine), reader), interrupted, stopped: reader.stopped };
  } finally {
    await reader.close();
    if (writer) await writer.close();
  }
}

/** The read loop; true when it stopped because the signal fired. */
export async function runEngine(engine: Engine, reader: CaptureReader, options: ReplayOptions, writer?: PcapWriter): Promise<boolean> {
  const batch = new RecordBatch(options.batchSize ?? 256);
  const signal = options.signal;
  const aborted = signal
    ? new Promise<0>((resolve) => (signal.aborted ? resolve(0) : signal.addEventListener('abort', () => resolve(0), { once: true })))
    : undefined;
  let ticks = 0;
  for (;;) {
    if (signal?.aborted) return true;
    const n = aborted ? await Promise.race([reader.read(batch), aborted]) : await reader.read(batch);
    if (signal?.aborted) return true;
    if (n === 0) break;
    engine.processBatch(batch);
    if (writer) await writer.drain();
    if (options.onProgress && (++ticks & 63) === 0) {
      options.onProgress({ bytesRead: reader.bytesRead, size: reader.size, packets: engine.packets, flows: engine.flows.size });
    }
  }
  options.onProgress?.({ bytesRead: reader.bytesRead, size: reader.size, packets: engine.packets, flows: engine.flows.size });
  return false;
}
