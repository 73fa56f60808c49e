// `replay FILE|-`: forward every frame of a capture and report the spread.

import type { Command } from 'commander';
import { EmuError, UsageError } from '../errors.js';
import { statSync } from 'node:fs';
import { CaptureReader } from '../capture/reader.js';
import { SflowFeeder, feedSflowCapture } from '../capture/sflow.js';
import { Engine } from '../engine/engine.js';
import { addCaptureFindings, addSampledFindings, buildReport } from '../analysis/report.js';
import { defaultWorkers, replayParallel, startReplayWorkers } from '../engine/workers.js';
import type { Fabric } from '../fabric/converge.js';
import { SFLOW_PORT } from '../wire/sflow.js';
import { loadFabricArg, parseIntArg } from './common.js';
import { checkOutputOptions, emitReport, type OutputOptions } from './output.js';
import { ProgressLine } from './progress.js';

interface ReplayCliOptions extends OutputOptions {
  topology?: string;
  write?: string;
  workers?: string;
  unwrap?: boolean;
  sflow?: boolean;
  sflowPort?: string;
}

/** Ctrl-C stops the read loop; the report of what was read is still printed and --write stays a valid pcap. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return controller.signal;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('forward every frame of a capture (pcap or pcapng; - for stdin) and report the spread')
    .argument('<file>', 'capture file, or - for standard input')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--json', 'the report as JSON (SPEC §5)')
    .option('--csv', 'the per-VTEP and per-VM table as CSV')
    .option('--write <out>', 'write each forwarded frame as it crosses the fabric to this pcap')
    .option('--html <out>', 'write a self-contained HTML report with charts')
    .option('--flows-csv <out>', 'write one CSV row per flow')
    .option('--no-unwrap', 'take mirrored traffic (ERSPAN, Ethernet over GRE) as the mirror\'s own packets, not the frames they carry')
    .option('--sflow', 'the capture holds sFlow v5 datagrams: forward their sampled packet headers, scaled by the sampling rate')
    .option('--sflow-port <n>', `with --sflow: the collector's UDP port (default ${SFLOW_PORT})`)
    .option('--workers <n>', 'threads forwarding frames, the main thread included (default: one per core; 1 for stdin, files under 1 GiB and --write)')
    .action(async (file: string, opts: ReplayCliOptions) => {
      checkOutputOptions(opts);
      if (opts.sflowPort !== undefined && !opts.sflow) throw new UsageError('--sflow-port needs --sflow', '--sflow-port');
      if (opts.sflow) return replaySflow(file, opts);
      const askedWorkers = opts.workers !== undefined ? parseIntArg(opts.workers, '--workers', 1, 64) : undefined;
      if (opts.write !== undefined && opts.write === file && file !== '-') throw new UsageError('--write would overwrite the capture being read', '--write');
      let workers = askedWorkers ?? defaultWorkers(file, captureSize(file), opts.write !== undefined);
      if (opts.write !== undefined && workers > 1) {
        // Frames must be written in capture order with one IPv4 identification sequence: one engine does that.
        process.stderr.write('ecmp-emu: --write replays on one thread (frames are written in order); --workers ignored\n');
        workers = 1;
      }
      // Worker threads build their engines from the topology alone, with the default decoding.
      if (opts.unwrap === false) workers = 1;
      // The worker threads start first: they boot while this thread loads the topology.
      const pool = workers > 1 ? startReplayWorkers(workers - 1) : undefined;
      let fabric;
      try {
        fabric = loadFabricArg(opts.topology);
      } catch (e) {
        pool?.terminate();
        throw e;
      }
      const progress = new ProgressLine(`replay ${file === '-' ? 'stdin' : file}`, process.stderr.isTTY === true && !opts.json);
      const result = await replayParallel(file, fabric, {
        write: opts.write,
        signal: interruptSignal(),
        onProgress: (p) => progress.update(p),
        workers,
        pool,
        unwrap: opts.unwrap,
      });
      const { report, engine, interrupted } = result;
      progress.done();
      const stopped = result.stopped;
      // Nothing read at all: the file is refused, as libpcap refuses it. Otherwise the report covers what was read.
      if (stopped && engine.packets === 0) throw stopped;
      if (stopped) process.stderr.write(`ecmp-emu: warning: ${stopped.message}; the report covers the ${engine.packets} frames before it\n`);
      if (interrupted) process.stderr.write(`ecmp-emu: interrupted; the report covers the ${engine.packets} frames read\n`);
      emitReport(report, engine, opts, { title: `ecmp-emu replay of ${file}`, source: file });
    });
}

/** The capture's size when it is a regular file (the default worker count depends on it). */
function captureSize(file: string): number | undefined {
  if (file === '-') return undefined;
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined; // the reader reports the error
  }
}

/** `replay FILE --sflow`: every sampled header of every sFlow datagram in the capture, weighted by its sampling rate. */
async function replaySflow(file: string, opts: ReplayCliOptions): Promise<void> {
  const port = opts.sflowPort !== undefined ? parseIntArg(opts.sflowPort, '--sflow-port', 1, 65535) : SFLOW_PORT;
  if (opts.write !== undefined) throw new UsageError('--write writes captured frames; sampled headers are not (use it without --sflow)', '--write');
  if (opts.workers !== undefined) parseIntArg(opts.workers, '--workers', 1, 64); // checked, but samples take one engine
  const fabric: Fabric = loadFabricArg(opts.topology);
  const reader = await CaptureReader.open(file);
  try {
    const engine = new Engine(fabric, { unwrap: opts.unwrap });
    const feeder = new SflowFeeder(engine);
    const interrupted = await feedSflowCapture(reader, port, feeder, interruptSignal());
    if (feeder.counts.datagrams === 0 && !interrupted) {
      throw new EmuError(`no sFlow v5 datagram to UDP port ${port} in the capture (${feeder.notSflow} other frames)`, file, 1);
    }
    const stopped = reader.stopped;
    if (stopped) process.stderr.write(`ecmp-emu: warning: ${stopped.message}; the report covers the datagrams before it\n`);
    if (interrupted) process.stderr.write(`ecmp-emu: interrupted; the report covers the ${feeder.counts.datagrams} datagrams read\n`);
    const report = addSampledFindings(addCaptureFindings(buildReport(engine), reader), feeder);
    emitReport(report, engine, opts, { title: `ecmp-emu replay of sFlow in ${file}`, source: `sFlow datagrams in ${file}` });
  } finally {
    await reader.close();
  }
}
