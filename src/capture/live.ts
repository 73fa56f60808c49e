// Live capture through libpcap (the optional `cap` binding, loaded only when asked for): frames off an interface.

import { createRequire } from 'node:module';
import { EmuError, UsageError } from '../errors.js';

/** What `capture` says when the binding is not there (not installed, or its native build failed). */
export const CAP_MISSING = 'live capture needs the cap package: install libpcap-dev, then run npm rebuild cap';

/** libpcap's snapshot length as `cap` sets it (fixed in the binding): every captured frame fits one buffer this big. */
export const SNAPLEN = 65535;
/**
 * The kernel buffer libpcap asks for. In immediate mode libpcap uses a TPACKET_V2 ring of fixed slots, each the
 * snapshot length long (about 64 KiB on an interface with segmentation offloads, as veth and most NICs have): 4 MiB
 * would be only 63 frames, which a burst overruns while the event loop is busy. 32 MiB is about 500 such slots.
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
  // DLT_ and LINKTYPE_ values agree except for a few old ones; Linux's DLT_RAW (12) is raw IP.
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

/**
 * Handles whose open() failed half-way. cap's destructor stops a poll handle that it only starts when open()
 * succeeds; kept referenced, such a handle is never collected, so that never runs on an uninitialised one.
 */
const halfOpened: CapHandle[] = [];

function openError(iface: string, filter: string, message: string): EmuError {
  if (/no such device|doesn't exist|does not exist/i.test(message)) return new UsageError(`no such interface '${iface}'`, '--iface');
  if (/not permitted|permission|EPERM|EACCES|CAP_NET_RAW/i.test(message)) {
    return new EmuError(`no permission to capture on ${iface}: run as root, or give node CAP_NET_RAW and CAP_NET_ADMIN`, `libpcap: ${message}`, 1);
  }
  if (filter && /filter|syntax|parse|unknown|illegal|expression|not supported/i.test(message)) {
    return new UsageError(`bad BPF filter '${filter}': ${message}`, '--filter');
  }
  return new EmuError(`cannot capture on ${iface}`, `libpcap: ${message}`, 1);
}

/**
 * One open libpcap handle. Every frame is copied by the binding into the one buffer allocated here and handed to
 * the handler with its link type; nothing is allocated per frame on this side.
 *
 * The binding opens in promiscuous mode with a 65535-byte snapshot and reports only the captured length, so a
 * frame's original length is taken as its captured length (they differ only past 64 KiB, for GRO super-frames).
 */
export class LiveCapture {
  /** frames delivered */
  frames = 0;
  /** frames longer than the buffer (cannot happen with the binding's fixed snapshot length; counted all the same) */
  truncated = 0;
  private open = true;

  private constructor(
    private readonly handle: CapHandle,
    readonly iface: string,
    readonly filter: string,
    /** pcap LINKTYPE_ of the interface */
    readonly linkType: number,
    readonly snaplen: number,
  ) {}

  /**
   * Opens `iface`, applies the filter and starts delivering frames to `onFrame` from the event loop.
   * Throws EmuError: binding missing (exit 1), no such interface or bad filter (exit 2), no permission (exit 1).
   */
  static open(options: LiveCaptureOptions, onFrame: FrameHandler): LiveCapture {
    const { Cap } = loadCap();
    const iface = options.iface;
    const filter = options.filter ?? '';
    // Checked first: libpcap would also print a warning of its own on stderr for a missing device.
    let names: string[] = [];
    try {
      names = Cap.deviceList().map((d) => d.name);
    } catch {
      // Listing failed: let open() say what is wrong.
    }
    if (names.length > 0 && !names.includes(iface)) {
      throw new UsageError(`no such interface '${iface}'`, `--iface; this host has ${names.join(', ')}`);
    }
    const buffer = Buffer.alloc(SNAPLEN);
    const handle = new Cap();
    let capName: string;
    try {
      capName = handle.open(iface, filter, options.bufferSize ?? DEFAULT_KERNEL_BUFFER, buffer);
    } catch (e) {
      halfOpened.push(handle);
      throw openError(iface, filter, (e as Error).message ?? String(e));
    }
    const linkType = linkTypeOf(capName);
    if (linkType < 0) {
      handle.close();
      throw new EmuError(`cannot capture on ${iface}`, `libpcap: ${capName}`, 1);
    }
    const live = new LiveCapture(handle, iface, filter, linkType, SNAPLEN);
    handle.on('packet', (nbytes: number, truncated: boolean) => {
      live.frames++;
      if (truncated) live.truncated++;
      const ms = Date.now();
      const sec = Math.floor(ms / 1000);
      onFrame(buffer, 0, nbytes, nbytes, linkType, sec, (ms - sec * 1000) * 1e6);
    });
    return live;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Stops capturing. Safe from inside the frame handler: the binding delivers no further frame once closed.
   */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.handle.close();
  }
}
