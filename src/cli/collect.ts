// `collect --sflow-port N`: a live sFlow v5 collector on a UDP socket; each datagram's sampled packet headers are
// forwarded as `replay --sflow` forwards them, with capture's periodic view on a terminal, then the report.

import * as dgram from 'node:dgram';
import type { Command } from 'commander';
import { EmuError } from '../errors.js';
import { SflowFeeder } from '../capture/sflow.js';
import { Engine } from '../engine/engine.js';
import { addSampledFindings, buildReport } from '../analysis/report.js';
import { groupDigits } from '../report/format.js';
import { SFLOW_PORT } from '../wire/sflow.js';
import { LiveView, parseDurationArg } from './capture.js';
import { loadFabricArg, parseIntArg } from './common.js';
import { checkOutputOptions, emitReport, type OutputOptions } from './output.js';

interface CollectCliOptions extends OutputOptions {
  sflowPort: string;
  bind: string;
  duration?: string;
  topology?: string;
}

/** Binds the socket; EmuError naming the address when the port is taken or not ours to bind. */
function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const what = e.code === 'EADDRINUSE' ? 'UDP port already in use' : e.code === 'EACCES' ? 'no permission to bind the UDP port' : `cannot bind (${e.code ?? e.message})`;
      reject(new EmuError(what, `${address}:${port}`, 1));
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.removeListener('error', onError);
      resolve();
    });
  });
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('a live sFlow v5 collector: forward the sampled packet headers agents send, scaled by their sampling rate')
    .requiredOption('--sflow-port <n>', `UDP port to receive sFlow datagrams on (agents send to ${SFLOW_PORT})`)
    .option('--bind <address>', 'local address to listen on', '0.0.0.0')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--json', 'the final report as JSON (SPEC §5)')
    .option('--csv', 'the per-VTEP and per-VM table as CSV')
    .option('--html <out>', 'write a self-contained HTML report with charts')
    .option('--flows-csv <out>', 'write one CSV row per flow')
    .action(async (opts: CollectCliOptions) => {
      checkOutputOptions(opts);
      const port = parseIntArg(opts.sflowPort, '--sflow-port', 1, 65535);
      const duration = opts.duration !== undefined ? parseDurationArg(opts.duration, '--duration') : undefined;
      const fabric = loadFabricArg(opts.topology);
      const engine = new Engine(fabric);
      const feeder = new SflowFeeder(engine);
      const socket = dgram.createSocket({ type: opts.bind.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
      socket.on('message', (msg: Buffer) => {
        const now = Date.now();
        feeder.datagram(msg, 0, msg.length, Math.floor(now / 1000), (now % 1000) * 1e6);
      });
      await bindSocket(socket, port, opts.bind);
      // As capture says it: scripts wait for this line before sending.
      process.stderr.write(`listening on udp ${opts.bind}:${port} for sFlow v5 datagrams\n`);

      let stop!: (why: string) => void;
      const stopped = new Promise<string>((resolve) => (stop = resolve));
      const onSignal = (): void => stop('interrupted');
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const timer = duration !== undefined ? setTimeout(() => stop('duration elapsed'), duration * 1000) : undefined;
      const view = process.stderr.isTTY === true && !opts.json ? new LiveView(`collect sFlow on ${opts.bind}:${port}`) : undefined;
      const draw = (): void => view?.draw(addSampledFindings(buildReport(engine), feeder));
      const ticker = view ? setInterval(draw, 1000) : undefined;
      draw();

      const how = await stopped;
      clearTimeout(timer);
      clearInterval(ticker);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      socket.close();
      view?.clear();
      const c = feeder.counts;
      const report = addSampledFindings(buildReport(engine), feeder);
      process.stderr.write(
        `${groupDigits(c.datagrams)} sFlow datagrams from ${c.agents.size} agent${c.agents.size === 1 ? '' : 's'}, ${groupDigits(c.headers)} sampled headers, ${groupDigits(report.flows)} flows forwarded (${how})\n`,
      );
      emitReport(report, engine, opts, { title: `ecmp-emu collect on ${opts.bind}:${port}`, source: `sFlow collected on ${opts.bind}:${port}` });
    });
}
