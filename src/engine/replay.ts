// Replaying a capture through the engine: one engine or several (workers.ts), through the one read loop
// (read-loop.ts).

import { RecordBatch, type CaptureReader, type CorruptCaptureError } from '../capture/reader.js';
import type { PcapWriter } from '../capture/writer.js';
import type { Fabric } from '../fabric/converge.js';
import type { Report } from '../stats/types.js';
import type { Engine } from './engine.js';
import { readRecords, type ReplayProgress, type RecordSink } from './read-loop.js';
import { replayParallel } from './workers.js';

export { readRecords, type ReplayProgress, type RecordSink };

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
