// A replay worker thread (started by workers.ts): it converges its own copy of the fabric, forwards the runs and
// chunks or parts it is sent, and hands back its flow table at the end. It imports no CLI or report code, so that a
// worker is up in a few tens of milliseconds (the fabric code does bring the YAML parser along, unused); the build
// bundles it into one file for the same reason.

import { isMainThread, workerData } from 'node:worker_threads';
import { PcapRun, RecordBatch } from '../capture/reader.js';
import { converge } from '../fabric/converge.js';
import { EmuError } from '../errors.js';
import { Engine } from './engine.js';
import { columnBuffers, flowColumns, pathColumns } from './columns.js';
import { forwardClaimedParts, type PartFile } from './parts.js';
import { ChunkView, WORKER_KIND, threadCpuMs, type FromWorker, type ToWorker, type WorkerData } from './worker-protocol.js';

function runWorker(data: WorkerData): void {
  const port = data.port;
  const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  const fail = (e: unknown): void => {
    const err = e as Error;
    const emu = e instanceof EmuError ? { what: e.what, where: e.where, exitCode: e.exitCode } : undefined;
    send({ type: 'error', message: err?.message ?? String(e), stack: err?.stack, emu });
  };
  let engine: Engine | undefined;
  const batch = new RecordBatch(1);
  const run = new PcapRun();
  /** Replay by parts: settles when this worker has claimed its last part ('finish' waits for it). */
  let parts: Promise<void> = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'topology') {
        engine = new Engine(converge(m.topology));
        send({ type: 'ready' });
        return;
      }
      if (engine === undefined) throw new Error(`'${m.type}' before the topology`);
      if (m.type === 'run') {
        run.buf = new Uint8Array(m.buffer);
        run.start = m.start;
        run.end = m.end;
        run.count = m.count;
        run.littleEndian = m.littleEndian;
        run.recordHeader = m.recordHeader;
        run.linkType = m.linkType;
        const lo = engine.flows.size;
        const t0 = process.hrtime.bigint();
        engine.processPcapRun(run);
        const busyNs = Number(process.hrtime.bigint() - t0);
        send({ type: 'done', unit: m.unit, lo, hi: engine.flows.size, count: m.count, busyNs });
      } else if (m.type === 'chunk') {
        const view = new ChunkView(m.buffer, m.records, m.dataBytes);
        const lo = engine.flows.size;
        const t0 = process.hrtime.bigint();
        view.forward(engine, batch, m.count);
        const busyNs = Number(process.hrtime.bigint() - t0);
        send({ type: 'done', unit: m.unit, lo, hi: engine.flows.size, count: m.count, busyNs });
      } else if (m.type === 'parts') {
        parts = forwardParts(engine, m, send).catch(fail);
      } else {
        const e = engine;
        void parts.then(() => {
          try {
            sendResult(e);
          } catch (err) {
            fail(err);
          }
        });
      }
    } catch (e) {
      fail(e);
    }
  });

  function sendResult(engine: Engine): void {
    const flows = flowColumns(engine.flows, engine.paths);
    const paths = pathColumns(engine.paths);
    const addrs = engine.addrs.columns();
    const skipped = Float64Array.from(engine.skipped);
    // Transferred (the worker's last act, so detaching costs it nothing): a big table is not copied.
    send({ type: 'result', flows, paths, addrs, packets: engine.packets, bytes: engine.bytes, skipped, cpuMs: threadCpuMs() }, [...columnBuffers(flows, paths, addrs), skipped.buffer as ArrayBuffer]);
  }
}

/** Replay by parts: claims parts until none is left (or the main thread stops the replay), reporting each one. */
async function forwardParts(engine: Engine, m: Extract<ToWorker, { type: 'parts' }>, send: (m: FromWorker) => void): Promise<void> {
  const claims = new Int32Array(m.claims);
  const count = m.cuts.length - 1;
  const stop = new AbortController();
  const file: PartFile = { fd: m.fd, name: m.name, buffer: Buffer.allocUnsafe(m.bufferBytes), cuts: m.cuts };
  // the main thread's stop flag (stopClaims), seen after every run
  const onRun = (): void => {
    if (Atomics.load(claims, count) !== 0) stop.abort();
  };
  await forwardClaimedParts(engine, file, claims, m.me, { signal: stop.signal, onRun }, (done, busyNs) => send({ type: 'part', done, busyNs }));
}

if (!isMainThread && (workerData as Partial<WorkerData> | null)?.kind === WORKER_KIND) runWorker(workerData as WorkerData);
