// Replay by parts (workers.ts): a classic pcap file cut at record boundaries (CaptureReader.splitPoints), each
// engine claiming parts in increasing order and reading each with its own reader, so that reading and checking the
// records runs on every core too. What the main thread and a worker share: claiming, forwarding one part, and
// what a part's reader found.
//
// Why this is exact: a part's reader is the one reader's code over the same bytes with the same file header, so
// from a true record boundary it hands out what the one reader would from there. Part 0 starts at the first
// record; part k + 1's start is a true boundary if part k's walk ended exactly on it without stopping. The main
// thread checks that chain when every part is in (ParallelReplay.cutsHeld) and replays on one engine otherwise.

import { CaptureReader, CorruptCaptureError, type CaptureSkipReason, type PcapRun } from '../capture/reader.js';
import type { Engine } from './engine.js';
import { readRecords, type ReplayProgress } from './read-loop.js';

/**
 * The nominal size of a part: ~180,000 small frames, 20-30 ms of forwarding, so that the engine that takes the last
 * part keeps the others waiting little (16 MiB against 32 MiB: 1.73-1.83 s against 1.76-2.18 s, 20M frames, two
 * engines, 4 interleaved rounds); finding the 110 cuts of a 1.8 GB file takes 1.5-5 ms.
 */
export const PART_BYTES = 16 << 20;

/**
 * Shared claims: claims[k] is 1 + the engine that forwards part k (engines numbered as workers.ts's units: 0 the
 * main thread, i + 1 worker i), 0 while nobody does, UNCLAIMED when the replay stopped (Ctrl-C) before anyone took
 * it; claims[parts] is the stop flag.
 */
export const UNCLAIMED = -1;

export function partClaims(parts: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (parts + 1)));
}

/**
 * Claims the first free part from `from` on for engine `me` (compare-and-swap: one owner, known to all); -1 when
 * none is left or the replay stops. An engine's claims only go up, so it forwards its parts in stream order.
 */
export function claimPart(claims: Int32Array, parts: number, from: number, me: number): number {
  for (let k = from; k < parts; k++) {
    if (Atomics.load(claims, parts) !== 0) return -1;
    if (Atomics.compareExchange(claims, k, 0, me) === 0) return k;
  }
  return -1;
}

/** Ends the claiming: the stop flag, then every part nobody holds marked UNCLAIMED (so that none is taken later). */
export function stopClaims(claims: Int32Array, parts: number): void {
  Atomics.store(claims, parts, 1);
  for (let k = 0; k < parts; k++) Atomics.compareExchange(claims, k, 0, UNCLAIMED);
}

/** What a part's reader found: records per link type, records not handed out, and where it stopped, if it did. */
export interface PartFindings {
  records: Array<[number, number]>;
  skipped: Record<string, number>;
  stopped?: { reason: CaptureSkipReason; what: string; where: string };
}

/** A part forwarded: the flows new to its engine (indices lo .. hi - 1), its frames, and where its reader ended. */
export interface PartDone {
  part: number;
  lo: number;
  hi: number;
  count: number;
  /** the file position after the last record handed out (the next part's start, when the cut holds) */
  end: number;
  findings: PartFindings;
}

/** The file an engine reads its parts from: the replay's descriptor (every thread's) and the engine's own buffer. */
export interface PartFile {
  fd: number;
  name: string;
  buffer: Uint8Array;
  cuts: readonly number[];
}

export interface PartOptions {
  /** stop after the run being forwarded (Ctrl-C; a worker's stop flag) */
  signal?: AbortSignal;
  /** after every run: the main thread takes in the workers' messages there */
  onRun?: () => void;
  /** the read loop's progress, `bytesRead` counting this part's bytes only */
  onProgress?: (p: ReplayProgress) => void;
}

/**
 * The loop every engine runs, the main thread's and each worker's: claims parts as engine `me` in increasing order
 * and forwards each, until none is left, the replay stops (claimPart) or `options.signal` fires. `onPart` hears of
 * each part forwarded and the ns it took; the next claim waits for what it returns.
 */
export async function forwardClaimedParts(
  engine: Engine,
  file: PartFile,
  claims: Int32Array,
  me: number,
  options: PartOptions,
  onPart: (done: PartDone, busyNs: number) => void | Promise<void>,
): Promise<void> {
  const count = file.cuts.length - 1;
  for (let k = claimPart(claims, count, 0, me); k >= 0; k = claimPart(claims, count, k + 1, me)) {
    const t0 = process.hrtime.bigint();
    const done = await forwardPart(engine, file, k, options);
    await onPart(done, Number(process.hrtime.bigint() - t0));
    if (options.signal?.aborted) return;
  }
}

/** Forwards part k through `engine` with the one read loop (readRecords); what the part's reader found. */
export async function forwardPart(engine: Engine, file: PartFile, k: number, options: PartOptions = {}): Promise<PartDone> {
  const from = file.cuts[k]!;
  const reader = CaptureReader.openPart(file.fd, file.name, from, file.cuts[k + 1]!, file.buffer);
  const lo = engine.flows.size;
  const packets = engine.packets;
  const onRun = options.onRun;
  const progress = options.onProgress;
  await readRecords(
    reader,
    {
      runs: true,
      take: (records) => {
        engine.processPcapRun(records as PcapRun);
        onRun?.();
      },
      packets: () => engine.packets,
      flows: () => engine.flows.size,
    },
    // the part reader's positions are the file's
    { signal: options.signal, onProgress: progress && ((p) => progress({ ...p, bytesRead: p.bytesRead - from })) },
  );
  const stopped = reader.stopped;
  return {
    part: k,
    lo,
    hi: engine.flows.size,
    count: engine.packets - packets,
    end: reader.bytesRead,
    findings: {
      records: [...reader.recordsByLinkType],
      skipped: reader.skipped,
      stopped: stopped && { reason: stopped.reason, what: stopped.what, where: stopped.where },
    },
  };
}

/** The capture findings of parts forwarded in stream order (addCaptureFindings), summed as one reader counts them. */
export function partFindings(parts: ReadonlyArray<PartFindings | undefined>): {
  skipped: Record<string, number>;
  recordsByLinkType: Map<number, number>;
  stopped: CorruptCaptureError | undefined;
} {
  const skipped: Record<string, number> = {};
  const recordsByLinkType = new Map<number, number>();
  let stopped: CorruptCaptureError | undefined;
  for (const p of parts) {
    if (p === undefined) continue;
    for (const [lt, n] of p.records) recordsByLinkType.set(lt, (recordsByLinkType.get(lt) ?? 0) + n);
    for (const [reason, n] of Object.entries(p.skipped)) skipped[reason] = (skipped[reason] ?? 0) + n;
    if (p.stopped && stopped === undefined) stopped = new CorruptCaptureError(p.stopped.reason, p.stopped.what, p.stopped.where);
  }
  return { skipped, recordsByLinkType, stopped };
}
