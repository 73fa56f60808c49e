// `capture --iface IF`: live traffic through libpcap into the engine; a live view on a terminal, then the report.

import type { Command } from 'commander';
import { EmuError, UsageError } from '../errors.js';
import { DEFAULT_KERNEL_BUFFER, LiveCapture, SNAPLEN, linkTypeName } from '../capture/live.js';
import { Engine } from '../engine/engine.js';
import { addCaptureFindings, buildReport } from '../analysis/report.js';
import { groupDigits, percent } from '../report/format.js';
import { bar, table, UNICODE_BARS } from '../report/table.js';
import type { Report } from '../stats/types.js';
import { loadFabricArg, parseIntArg } from './common.js';
import { checkOutputOptions, emitReport, type OutputOptions } from './output.js';

interface CaptureCliOptions extends OutputOptions {
  iface: string;
  filter?: string;
  count?: string;
  duration?: string;
  topology?: string;
  bufferSize?: string;
}

/** The longest --duration: what one setTimeout can wait (2^31 - 1 ms). */
const MAX_DURATION_S = 2147483;

/** Seconds, integer or decimal, 0 < S <= MAX_DURATION_S. */
export function parseDurationArg(text: string | undefined, what: string): number {
  const t = (text ?? '').trim();
  const v = /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : NaN;
  if (!(v > 0) || v > MAX_DURATION_S) throw new UsageError(`'${text ?? ''}' is not a duration in seconds (0 < S <= ${MAX_DURATION_S})`, what);
  return v;
}

type StopReason = 'count' | 'duration' | 'signal' | 'ended';

/**
 * The spread so far, redrawn in place on standard error about once a second: per VTEP and per VM, flows, share,
 * expected share and a bar. Only on a terminal; erased before the final report is printed.
 */
export class LiveView {
  private lines = 0;
  private readonly started = Date.now();

  constructor(
    private readonly title: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  draw(report: Report): void {
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const rows = Math.max(4, (this.out.rows || 40) - 2);
    const secs = (Date.now() - this.started) / 1000;
    const skipped = Object.values(report.skipped).reduce((a, b) => a + b, 0);
    const lines = [
      `${this.title}  ${secs.toFixed(0)} s  ${groupDigits(report.packets)} frames  ${groupDigits(report.flows)} flows` +
        (skipped ? `  ${groupDigits(skipped)} skipped` : '') +
        '  (Ctrl-C stops)',
    ];
    if (report.flows === 0) lines.push('  waiting for traffic…');
    else {
      const bars = (rs: readonly { share: number; expected: number }[]): string[] => {
        const scale = Math.max(...rs.map((r) => Math.max(r.share, r.expected)));
        return rs.map((r) => bar(r.share, r.expected, scale, 20, UNICODE_BARS));
      };
      const cols = [
        { header: 'flows', align: 'r' as const },
        { header: 'share', align: 'r' as const },
        { header: 'expected', align: 'r' as const },
      ];
      lines.push(
        ...table(
          [{ header: 'vtep', align: 'l' }, { header: 'address', align: 'l' }, ...cols],
          report.vteps.map((v) => [v.name, v.address, groupDigits(v.flows), percent(v.share), percent(v.expected)]),
          { tail: bars(report.vteps) },
        ),
        ...table(
          [{ header: 'vm', align: 'l' }, { header: 'leaf', align: 'l' }, ...cols],
          report.vms.map((v) => [v.name, v.leaf, groupDigits(v.flows), percent(v.share), percent(v.expected)]),
          { tail: bars(report.vms) },
        ),
      );
    }
    // Taller than the terminal would scroll, and the next redraw would no longer land in place.
    if (lines.length > rows) lines.splice(rows - 1, lines.length, `  … ${lines.length - rows + 1} more lines`);
    let text = this.lines ? `\x1b[${this.lines}F\x1b[J` : '';
    for (const line of lines) text += [...line].slice(0, width).join('') + '\n';
    this.out.write(text);
    this.lines = lines.length;
  }

  clear(): void {
    if (this.lines) this.out.write(`\x1b[${this.lines}F\x1b[J`);
    this.lines = 0;
  }
}

export function registerCapture(program: Command): void {
  program
    .command('capture')
    .description('forward live traffic from an interface through libpcap and report the spread')
    .requiredOption('--iface <name>', 'interface to capture on (any: all of them)')
    .option('--filter <bpf>', 'pcap-filter expression, e.g. "udp and dst port 9999"')
    .option('--count <n>', 'stop after this many frames')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--buffer-size <MiB>', `kernel capture buffer in MiB (default: ${DEFAULT_KERNEL_BUFFER >> 20})`)
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--json', 'the final report as JSON (SPEC §5)')
    .option('--csv', 'the per-VTEP and per-VM table as CSV')
    .option('--html <out>', 'write a self-contained HTML report with charts')
    .option('--flows-csv <out>', 'write one CSV row per flow')
    .action(async (opts: CaptureCliOptions) => {
      checkOutputOptions(opts);
      const count = opts.count !== undefined ? parseIntArg(opts.count, '--count', 1, Number.MAX_SAFE_INTEGER) : Infinity;
      const duration = opts.duration !== undefined ? parseDurationArg(opts.duration, '--duration') : undefined;
      const bufferSize = opts.bufferSize !== undefined ? parseIntArg(opts.bufferSize, '--buffer-size', 1, 2047) << 20 : DEFAULT_KERNEL_BUFFER;
      const fabric = loadFabricArg(opts.topology);

      const engine = new Engine(fabric);
      let stop!: (why: StopReason) => void;
      const stopped = new Promise<StopReason>((resolve) => (stop = resolve));
      const live = await LiveCapture.open({ iface: opts.iface, filter: opts.filter, bufferSize }, (buf, offset, capLen, origLen, linkType, tsSec, tsNsec) => {
        engine.processFrame(buf, offset, capLen, origLen, linkType, tsSec, tsNsec);
        if (engine.packets >= count) {
          live.close();
          stop('count');
        }
      });
      const filterText = opts.filter ? `, filter '${opts.filter}'` : '';
      // As tcpdump says it: scripts wait for this line before sending.
      process.stderr.write(`listening on ${live.iface}, link-type ${linkTypeName(live.linkType)}, snapshot length ${SNAPLEN} bytes${filterText}\n`);

      const onSignal = (): void => stop('signal');
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      // The capture process stopping unasked: Ctrl-C reached it first, or the interface went away.
      void live.ended.then((end) => stop(end.reason === 'stopped' ? 'signal' : 'ended'));
      const timer = duration !== undefined ? setTimeout(() => stop('duration'), duration * 1000) : undefined;
      const view = process.stderr.isTTY === true && !opts.json ? new LiveView(`capture ${live.iface}${opts.filter ? ` (${opts.filter})` : ''}`) : undefined;
      const ticker = view ? setInterval(() => view.draw(buildReport(engine)), 1000) : undefined;
      view?.draw(buildReport(engine));

      const why = await stopped;
      clearTimeout(timer);
      // Frames captured before the stop are still on their way: take them, unless the count is complete.
      live.stop();
      const end = await live.ended;
      clearInterval(ticker);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      view?.clear();
      // A link type the decoder does not read (every frame skipped) is named in the report, as replay names it.
      const report = addCaptureFindings(buildReport(engine), { skipped: {}, recordsByLinkType: new Map([[live.linkType, engine.packets]]) });
      const how =
        end.reason === 'interface-down'
          ? 'the interface went down'
          : end.reason === 'failed'
            ? 'capture failed'
            : why === 'count'
              ? 'count reached'
              : why === 'duration'
                ? 'duration elapsed'
                : 'interrupted';
      process.stderr.write(`${groupDigits(report.packets)} frames captured on ${live.iface}, ${groupDigits(report.flows)} flows forwarded (${how})\n`);
      const source = `${live.iface}${opts.filter ? ` (${opts.filter})` : ''}`;
      emitReport(report, engine, opts, { title: `ecmp-emu capture on ${source}`, source: `live capture on ${source}` });
      // The report covers what was captured; the exit code still says the capture did not end as asked.
      if (end.reason === 'interface-down') throw new EmuError(`capture on ${live.iface} ended: the interface went down or was removed`, end.detail ?? 'libpcap', 1);
      if (end.reason === 'failed') throw new EmuError(`capture on ${live.iface} ended unexpectedly`, end.detail ?? 'libpcap', 1);
    });
}
