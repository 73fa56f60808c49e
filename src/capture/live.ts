// Live capture through libpcap (the optional `cap` binding, loaded only when asked for): frames off an interface.
//
// libpcap runs in a child process, the pump (this same module, run as a script), which copies each frame into one
// output buffer and writes a batch to a pipe per wake-up; this process takes the frames off the pipe. The reason is
// the binding: when the interface goes down or away, libpcap's socket reports an error and cap's poll callback
// fails an assertion, aborting the process that holds it. In a pump, that costs the pump; the frames counted so
// far, and the report, survive. The pump's standard error also carries libpcap's own warnings, filtered here.

import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EmuError, UsageError } from '../errors.js';

/** What `capture` says when the binding is not there (not installed, or its native build failed). */
export const CAP_MISSING = 'live capture needs the cap package: install libpcap-dev, then run npm rebuild cap';

/** libpcap's snapshot length as `cap` sets it (fixed in the binding): every captured frame fits one buffer this big. */
export const SNAPLEN = 65535;
/**
 * The kernel buffer libpcap asks for. In immediate mode libpcap uses a TPACKET_V2 ring of fixed slots, each the
 * snapshot length long (about 64 KiB on an interface with segmentation offloads, as veth and most NICs have): 4 MiB
 * would be only 63 frames, which a burst overruns while the event loop is busy. 32 MiB is 512 such slots.
 */
export const DEFAULT_KERNEL_BUFFER = 32 << 20;

/** Receives one frame: buf[offset .. offset + capLen) of a frame `origLen` long on the wire. */
export type FrameHandler = (
  buf: Uint8Array,
  offset: number,
  capLen: number,
  origLen: number,
  linkType: number,
  tsSec: number,
  tsNsec: number,
) => void;

export interface LiveCaptureOptions {
  iface: string;
  /** a pcap-filter(7) expression; empty or absent: every frame */
  filter?: string;
  /** the kernel buffer in bytes (default DEFAULT_KERNEL_BUFFER) */
  bufferSize?: number;
}

/** The parts of the `cap` binding used here. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
}
interface CapDevice {
  name: string;
  description?: string;
  addresses?: { addr: string }[];
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}

let loaded: CapModule | undefined;

/** The binding, or an EmuError saying how to get it. Loaded lazily so that every other command works without it. */
export function loadCap(): CapModule {
  if (loaded) return loaded;
  try {
    const mod = createRequire(import.meta.url)('cap') as CapModule;
    if (typeof mod?.Cap !== 'function') throw new Error('no Cap export');
    loaded = mod;
    return mod;
  } catch {
    // Absent (MODULE_NOT_FOUND), or present without its native part (build/Release/cap.node): same remedy.
    throw new EmuError(CAP_MISSING, '', 1);
  }
}

/** Whether live capture can work here (the binding loads). */
export function liveCaptureAvailable(): boolean {
  try {
    loadCap();
    return true;
  } catch {
    return false;
  }
}

/** The interfaces libpcap can open here (pcap_findalldevs), `any` included. */
export function listInterfaces(): string[] {
  return loadCap().Cap.deviceList().map((d) => d.name);
}

/** cap names a handful of data-link types and says "Unknown linktype N" (N = DLT_ value) for the rest. */
const CAP_LINKTYPES: Record<string, number> = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
  IEEE802_11_RADIO: 127,
};

/** The pcap LINKTYPE_ number of what cap's open() returned; -1 when it says nothing usable. */
export function linkTypeOf(capName: string): number {
  const named = CAP_LINKTYPES[capName];
  if (named !== undefined) return named;
  const m = /^Unknown linktype (\d+)$/.exec(capName);
  if (!m) return -1;
  const dlt = Number(m[1]);
  // DLT_ and LINKTYPE_ values agree except for a few old ones; DLT_RAW is 12 on Linux, 14 on some BSDs.
  return dlt === 12 || dlt === 14 ? 101 : dlt;
}

/** A link type as tcpdump names it, for the "listening on" line. */
export function linkTypeName(linkType: number): string {
  switch (linkType) {
    case 0:
      return 'NULL (BSD loopback)';
    case 1:
      return 'EN10MB (Ethernet)';
    case 101:
      return 'RAW (Raw IP)';
    case 113:
      return 'LINUX_SLL (Linux cooked v1)';
    case 127:
      return 'IEEE802_11_RADIO (802.11 plus radiotap header)';
    case 276:
      return 'LINUX_SLL2 (Linux cooked v2)';
    default:
      return String(linkType);
  }
}

/** libpcap's open/filter error text → the one-line error of the CLI. */
export function openError(iface: string, filter: string, message: string): EmuError {
  if (/no such device|doesn't exist|does not exist/i.test(message)) return new UsageError(`no such interface '${iface}'`, '--iface');
  if (/not permitted|permission|EPERM|EACCES|CAP_NET_RAW/i.test(message)) {
    return new EmuError(`no permission to capture on ${iface}: run as root, or give node CAP_NET_RAW and CAP_NET_ADMIN`, `libpcap: ${message}`, 1);
  }
  if (filter && /filter|syntax|parse|unknown|illegal|expression|not supported/i.test(message)) {
    return new UsageError(`bad BPF filter '${filter}': ${message}`, '--filter');
  }
  return new EmuError(`cannot capture on ${iface}`, `libpcap: ${message}`, 1);
}

// ---------------------------------------------------------------------------------------------------------------
// The pipe between pump and parent: per frame a 12-byte header (captured length, seconds, nanoseconds; u32 little-
// endian), then the frame's bytes. Control messages (opened, failed) go over the IPC channel; 'stop' comes back.

/**
 * The first argument of the pump child process (this module run as a script; bundled, the CLI's main.js, which then
 * leaves the command line alone: see isLivePump).
 */
export const PUMP_ARG = '--ecmp-emu-live-pump';

/** Whether this process is a capture pump rather than a command. */
export function isLivePump(): boolean {
  return process.argv[2] === PUMP_ARG;
}
const RECORD_HEADER = 12;

type PumpMessage = { type: 'opened'; linkType: number; capName: string } | { type: 'failed'; message: string };

/** How a capture ended. */
export interface LiveEnd {
  /** 'stopped': asked to (count, duration, Ctrl-C); 'interface-down': the interface went down or away; 'failed': else */
  reason: 'stopped' | 'interface-down' | 'failed';
  /** libpcap's or the pump's own words, when it did not stop as asked */
  detail?: string;
}

/** libpcap's "pcap_lookupnet failed" complaint for an interface without an IPv4 address: harmless, never shown. */
const LOOKUPNET_WARNING = /^Warning: .* - This may not actually work$/;

/**
 * One live capture on an interface. Frames arrive in batches from the pump and are handed to the handler one by
 * one, each with its link type, straight out of the chunk the pipe delivered (a frame split between two chunks is
 * put together in one staging buffer allocated once): no allocation per frame.
 *
 * The binding opens in promiscuous mode with a 65535-byte snapshot and reports only the captured length, so a
 * frame's original length is taken as its captured length (they differ only past 64 KiB, for GRO super-frames).
 */
export class LiveCapture {
  /** frames handed to the handler */
  frames = 0;
  /** resolves when the pump is gone and every frame it sent has been handed over (or dropped after close()) */
  readonly ended: Promise<LiveEnd>;

  private delivering = true;
  private stopRequested = false;
  private readonly stage = Buffer.allocUnsafe(4 * (SNAPLEN + RECORD_HEADER));
  private stageLen = 0;
  private stderrTail = '';

  private constructor(
    private readonly pump: ChildProcess,
    readonly iface: string,
    readonly filter: string,
    /** pcap LINKTYPE_ of the interface */
    readonly linkType: number,
    readonly snaplen: number,
    private readonly onFrame: FrameHandler,
    stderrSoFar: string,
  ) {
    this.stderrTail = stderrSoFar;
    pump.stdout!.on('data', (chunk: Buffer) => this.take(chunk));
    pump.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-4096)));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => pump.once('close', (code, signal) => resolve([code, signal])));
    this.ended = exited.then(([code, signal]) => this.verdict(code, signal));
  }

  /**
   * Opens `iface`, applies the filter and starts delivering frames to `onFrame` from the event loop.
   * Throws EmuError: binding missing (exit 1), no such interface or bad filter (exit 2), no permission (exit 1).
   */
  static async open(options: LiveCaptureOptions, onFrame: FrameHandler): Promise<LiveCapture> {
    const { Cap } = loadCap();
    const iface = options.iface;
    const filter = options.filter ?? '';
    // Checked here first, so that a typo is a plain usage error listing what there is.
    let names: string[] = [];
    try {
      names = Cap.deviceList().map((d) => d.name);
    } catch {
      // Listing failed: let libpcap say what is wrong.
    }
    if (names.length > 0 && !names.includes(iface)) {
      throw new UsageError(`no such interface '${iface}'`, `--iface; this host has ${names.join(', ')}`);
    }
    const script = fileURLToPath(import.meta.url);
    const bufferSize = String(options.bufferSize ?? DEFAULT_KERNEL_BUFFER);
    const pump = spawn(process.execPath, [script, PUMP_ARG, iface, filter, bufferSize], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stderr = '';
    const onErr = (d: Buffer): void => void (stderr += d.toString());
    pump.stderr!.on('data', onErr);
    type First = PumpMessage | { type: 'gone'; code: number | null; signal: string | null } | { type: 'error'; error: Error };
    let timer: NodeJS.Timeout | undefined;
    const first = await new Promise<First>((resolve) => {
      pump.once('message', (m) => resolve(m as PumpMessage));
      // 'close', not 'exit': by then the IPC channel is drained too, so a message sent before the end is not missed.
      pump.once('close', (code, signal) => resolve({ type: 'gone', code, signal }));
      pump.once('error', (error) => resolve({ type: 'error', error }));
      timer = setTimeout(() => resolve({ type: 'error', error: new Error('no answer from libpcap within 30 s') }), 30_000);
    });
    clearTimeout(timer);
    pump.stderr!.off('data', onErr);
    if (first.type === 'error') pump.kill('SIGKILL');
    if (first.type === 'opened') {
      const linkType = linkTypeOf(first.capName);
      if (linkType < 0) {
        pump.kill('SIGTERM');
        throw new EmuError(`cannot capture on ${iface}`, `libpcap: ${first.capName}`, 1);
      }
      return new LiveCapture(pump, iface, filter, linkType, SNAPLEN, onFrame, stderr);
    }
    if (first.type === 'failed') throw openError(iface, filter, first.message);
    if (first.type === 'error') throw new EmuError(`cannot start the capture process`, first.error.message, 1);
    throw new EmuError(`cannot capture on ${iface}`, lastLine(stderr) || `capture process ended (${first.code ?? first.signal})`, 1);
  }

  /** Stops handing frames over at once (--count): none after this call, even one already on its way. */
  close(): void {
    this.delivering = false;
    this.stop();
  }

  /** Asks the pump to stop; frames it captured before that are still handed over, until `ended` resolves. */
  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    if (this.pump.connected) this.pump.send('stop', () => undefined);
    else this.pump.kill('SIGTERM');
  }

  /** Hands over every whole record of a chunk from the pipe; keeps a partial one for the next chunk. */
  private take(chunk: Buffer): void {
    if (!this.delivering) return;
    let off = 0;
    const end = chunk.length;
    if (this.stageLen > 0) {
      // Finish the record begun in the previous chunk: only its missing bytes are copied.
      const stage = this.stage;
      if (this.stageLen < RECORD_HEADER) {
        const n = Math.min(RECORD_HEADER - this.stageLen, end);
        chunk.copy(stage, this.stageLen, 0, n);
        this.stageLen += n;
        off = n;
        if (this.stageLen < RECORD_HEADER) return;
      }
      const need = RECORD_HEADER + stage.readUInt32LE(0) - this.stageLen;
      const n = Math.min(need, end - off);
      chunk.copy(stage, this.stageLen, off, off + n);
      this.stageLen += n;
      off += n;
      if (n < need) return;
      this.stageLen = 0;
      this.deliver(stage, 0);
      if (!this.delivering) return;
    }
    while (end - off >= RECORD_HEADER) {
      const capLen = chunk.readUInt32LE(off);
      if (end - off < RECORD_HEADER + capLen) break;
      this.deliver(chunk, off);
      if (!this.delivering) return;
      off += RECORD_HEADER + capLen;
    }
    if (off < end) {
      chunk.copy(this.stage, 0, off, end);
      this.stageLen = end - off;
    }
  }

  private deliver(buf: Buffer, at: number): void {
    const capLen = buf.readUInt32LE(at);
    this.frames++;
    this.onFrame(buf, at + RECORD_HEADER, capLen, capLen, this.linkType, buf.readUInt32LE(at + 4), buf.readUInt32LE(at + 8));
  }

  private verdict(code: number | null, signal: NodeJS.Signals | null): LiveEnd {
    const text = this.stderrTail
      .split('\n')
      .filter((l) => l.trim() && !LOOKUPNET_WARNING.test(l.trim()))
      .join('\n');
    if (code === 0 && (this.stopRequested || !text)) return { reason: 'stopped' };
    // cap asserts in its poll callback when the socket reports an error: ENETDOWN, the interface went down or away.
    if (signal === 'SIGABRT' || /cb_packets|status == 0/.test(text)) {
      return { reason: 'interface-down', detail: 'libpcap: the packet socket reported ENETDOWN' };
    }
    if (this.stopRequested && (signal === 'SIGTERM' || signal === 'SIGINT')) return { reason: 'stopped' };
    return { reason: 'failed', detail: lastLine(text) || `capture process ended (${code ?? signal})` };
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !LOOKUPNET_WARNING.test(l));
  return lines[lines.length - 1] ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// The pump: runs when this module is the script node was started with (LiveCapture.open spawns it).

function runPump(iface: string, filter: string, bufferSize: number): void {
  const send = (m: PumpMessage): void => void process.send!(m);
  // The last word: sent, then the channel closed, so that the process ends (nothing else holds it).
  const done = (m: PumpMessage): void => void process.send!(m, () => process.disconnect());
  let cap: CapModule;
  try {
    cap = createRequire(import.meta.url)('cap') as CapModule;
  } catch {
    done({ type: 'failed', message: CAP_MISSING });
    return;
  }
  const frame = Buffer.alloc(SNAPLEN);
  const handle = new cap.Cap();
  let capName: string;
  try {
    capName = handle.open(iface, filter, bufferSize, frame);
  } catch (e) {
    // Exit without closing: cap's close() on a half-opened handle would stop a poll handle it never started.
    done({ type: 'failed', message: (e as Error).message ?? String(e) });
    return;
  }
  // One output buffer, written out synchronously (fd 1 is a blocking pipe) once per wake-up or when full: when the
  // reader falls behind, the pipe fills, the pump waits, and the kernel ring absorbs (or drops) the rest.
  const out = Buffer.allocUnsafe(1 << 20);
  let outLen = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    let at = 0;
    while (at < outLen) {
      try {
        at += writeSync(1, out, at, outLen - at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        process.exit(0); // the reader went away
      }
    }
    outLen = 0;
  };
  handle.on('packet', (nbytes: number) => {
    if (outLen + RECORD_HEADER + nbytes > out.length) flush();
    const ms = Date.now();
    const sec = Math.floor(ms / 1000);
    out.writeUInt32LE(nbytes, outLen);
    out.writeUInt32LE(sec, outLen + 4);
    out.writeUInt32LE((ms - sec * 1000) * 1e6, outLen + 8);
    frame.copy(out, outLen + RECORD_HEADER, 0, nbytes);
    outLen += RECORD_HEADER + nbytes;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    handle.close();
    flush();
    process.exit(0);
  };
  process.on('message', (m) => m === 'stop' && stop());
  process.on('disconnect', stop); // the parent is gone
  process.on('SIGINT', stop); // Ctrl-C reaches the whole process group: stop as asked, the parent reads what is left
  process.on('SIGTERM', stop);
  send({ type: 'opened', linkType: linkTypeOf(capName), capName });
}

function isMainScript(): boolean {
  try {
    return process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (process.argv[2] === PUMP_ARG && isMainScript()) {
  runPump(process.argv[3] ?? '', process.argv[4] ?? '', Number(process.argv[5]) || DEFAULT_KERNEL_BUFFER);
}
