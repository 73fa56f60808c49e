// Streaming reader for classic pcap and pcapng, from a file, standard input or memory, into struct-of-arrays batches.
// One chunk buffer is reused; a record that spans two chunks is handled by compacting it to the buffer's start.

import * as fs from 'node:fs';
import { EmuError } from '../errors.js';
import { FileSource, StreamSource, type ByteSource } from './source.js';

/** The largest captured length we accept: libpcap's and Wireshark's maximum snapshot length for these link types. */
export const MAX_CAPLEN = 262144;
/** LT_LINKTYPE: a classic pcap header's link type is its low 26 bits; the upper 6 carry FCS information. */
const LINKTYPE_MASK = 0x03ffffff;
/** libpcap replaces a snapshot length of 0 or above INT_MAX by the link type's maximum (pcap_adjust_snapshot). */
const INT_MAX = 0x7fffffff;
/**
 * The chunk buffer's size; it grows (up to MAX_BUFFER) only for one block or record that must be read whole. 1 MiB,
 * under a core's L2 here (1.25 MiB): the records the read copies in are still there when the engine walks them.
 * Against 4 MiB (3 interleaved rounds, through replayParallel): 4M frames over 100k flows 888-906 against 948-1091 ms,
 * 2M new flows 1710-2000 against 1893-2159 ms, 20M frames on two engines by parts 1253-1321 against 1478-1689 ms.
 */
export const DEFAULT_CHUNK = 1 << 20;
export const MAX_BUFFER = 64 << 20;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's "modified" pcap (old Red Hat tcpdump): 24-byte record headers. */
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const PCAP_FILE_HEADER_LEN = 24;
/** Record headers in a row that make a plausible place to cut a capture into parts (splitPoints). */
const SPLIT_CHAIN = 16;
/** The windows splitPoints reads at a nominal cut, larger when the records are too long for a chain to fit. */
const SPLIT_WINDOWS = [64 << 10, 1 << 20, 8 << 20];

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 0x00000001;
const PCAPNG_OPB = 0x00000002; // obsolete packet block
const PCAPNG_SPB = 0x00000003;
const PCAPNG_EPB = 0x00000006;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_MIN_BLOCK = 12;
const SHB_MIN_LEN = 28;
const IDB_MIN_LEN = 20;
const EPB_MIN_LEN = 32;
const SPB_MIN_LEN = 16;
const IDB_OPT_TSRESOL = 9;
const IDB_OPT_TSOFFSET = 14;

/** Timestamp units of a pcapng interface: how splitTicks divides. */
const TS_POW10 = 0; // 10^-v with v <= 9: exact long division
const TS_POW2 = 1; // 2^-b with b <= 32: exact shifts
const TS_APPROX = 2; // anything finer: floating point, good to a few ns

/** How a classic pcap's record header orders caplen and len (libpcap's lengths_swapped, by file version). */
const LENGTHS_AS_IS = 0; // 2.4 and the rare 2.5+ never written
const LENGTHS_SWAPPED = 1; // before 2.3, and DG/UX's 543.0
const LENGTHS_MAYBE_SWAPPED = 2; // 2.3: swapped where caplen > len

/**
 * libpcap's max_snaplen_for_dlt: the largest captured length a record of this link type may have before the file
 * is taken to be damaged (D-Bus, EBHSCR and USBPcap allow more), bounded by what the reader will buffer.
 */
export function maxCaplenFor(linkType: number): number {
  const max = linkType === 231 ? 128 << 20 : linkType === 279 ? 8 << 20 : linkType === 249 ? 1 << 20 : MAX_CAPLEN;
  return Math.min(max, MAX_BUFFER - 64);
}

/**
 * Why the reader did not hand out a record (SPEC §5 `skipped`). These are not frames (libpcap does not deliver
 * them either), so they are not in `packets`: cut-short (the capture ends inside a record or block), record-too-long
 * (a captured length above the link type's maximum), corrupt-block (pcapng framing or contents that cannot be),
 * no-interface (a pcapng packet on an interface its section never described).
 */
export const CAPTURE_SKIP_REASONS = ['cut-short', 'record-too-long', 'corrupt-block', 'no-interface'] as const;
export type CaptureSkipReason = (typeof CAPTURE_SKIP_REASONS)[number];
const SKIP_CUT_SHORT = 0;
const SKIP_TOO_LONG = 1;
const SKIP_CORRUPT_BLOCK = 2;
const SKIP_NO_INTERFACE = 3;

/**
 * A capture whose framing goes bad partway. The reader stops there, where libpcap stops, keeps this as `stopped`
 * and counts its reason: the records before it still make a report.
 */
export class CorruptCaptureError extends EmuError {
  constructor(
    readonly reason: CaptureSkipReason,
    what: string,
    where: string,
  ) {
    super(what, where, 1);
    this.name = 'CorruptCaptureError';
  }
}

/** A batch of records as struct-of-arrays; the reader fills it, the engine loops over it. */
export class RecordBatch {
  readonly capacity: number;
  count: number;
  /** The reader's chunk buffer: record i is buf[offset[i] .. offset[i] + capLen[i]). */
  buf: Uint8Array;
  offset: Uint32Array;
  capLen: Uint32Array;
  origLen: Uint32Array;
  linkType: Uint16Array;
  tsSec: Float64Array;
  tsNsec: Uint32Array;

  constructor(capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`batch capacity ${capacity}`);
    this.capacity = capacity;
    this.count = 0;
    this.buf = new Uint8Array(0);
    this.offset = new Uint32Array(capacity);
    this.capLen = new Uint32Array(capacity);
    this.origLen = new Uint32Array(capacity);
    this.linkType = new Uint16Array(capacity);
    this.tsSec = new Float64Array(capacity);
    this.tsNsec = new Uint32Array(capacity);
  }
}

/**
 * A run of whole classic-pcap records lying back to back in one buffer, bytes start .. end, not parsed into
 * columns: the replay lane (Engine.processPcapRun) walks the record headers itself, which saves writing and
 * re-reading six columns per frame. Every record in it has been checked (complete, within the snapshot length).
 */
export class PcapRun {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  count = 0;
  littleEndian = true;
  /** 16, or 24 for the "modified" format */
  recordHeader = 16;
  linkType = 1;
}

function u16le(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}
function u16be(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}
function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}
function u32be(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

// splitTicks's results: module-level so that no object is made per record.
let outSec = 0;
let outNsec = 0;

/** Splits a 64-bit tick count (hi, lo) of an interface's unit into seconds and nanoseconds. */
function splitTicks(hi: number, lo: number, kind: number, div: number, mul: number): void {
  if (kind === TS_POW10) {
    // Long division of hi·2^32 + lo by div (< 2^30) in 16-bit steps: every intermediate stays below 2^47.
    const qh = Math.floor(hi / div);
    let r = hi - qh * div;
    const x = r * 65536 + (lo >>> 16);
    const q1 = Math.floor(x / div);
    r = x - q1 * div;
    const y = r * 65536 + (lo & 0xffff);
    const q0 = Math.floor(y / div);
    r = y - q0 * div;
    outSec = qh * 4294967296 + q1 * 65536 + q0;
    outNsec = r * mul;
  } else if (kind === TS_POW2) {
    // div = 2^b (b <= 32), mul = 2^(b-9) for b >= 9 (1e9 = 2^9 · 1953125 keeps frac · 1953125 below 2^53).
    const q = Math.floor(lo / div);
    const frac = lo - q * div;
    outSec = hi * (4294967296 / div) + q;
    outNsec = mul >= 1 ? Math.floor((frac * 1953125) / mul) : frac * 1953125 * (1 / mul);
  } else {
    const t = hi * 4294967296 + lo;
    const s = Math.floor(t / div);
    let ns = Math.floor(((t - s * div) / div) * 1e9);
    if (ns < 0) ns = 0;
    else if (ns > 999999999) ns = 999999999;
    outSec = s;
    outNsec = ns;
  }
}

/** How to split ticks for an if_tsresol byte: [kind, div, mul]. */
function tsUnit(tsresol: number): [number, number, number] {
  if (tsresol & 0x80) {
    const b = tsresol & 0x7f;
    if (b <= 32) return [TS_POW2, 2 ** b, 2 ** (b - 9)];
    return [TS_APPROX, 2 ** b, 0];
  }
  if (tsresol <= 9) return [TS_POW10, 10 ** tsresol, 10 ** (9 - tsresol)];
  return [TS_APPROX, 10 ** tsresol, 0];
}

export interface OpenOptions {
  /** Chunk buffer size (tests use small ones to exercise records spanning chunks). */
  chunkSize?: number;
  /** Reject a length that runs past the end of a regular file before reading on (default true); false acts as a pipe. */
  trustSize?: boolean;
}

export class CaptureReader {
  readonly name: string;
  readonly format: 'pcap' | 'pcapng';
  readonly size: number | undefined;

  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  /** File position of buf[0]: Number, so files past 4 GiB are fine. */
  private base = 0;
  private eof: boolean;
  /** Bytes wanted at `start` before parsing can go on (set when a parse made no progress). */
  private need = 0;
  /** Bytes of a block still to pass over without keeping them. */
  private skipLeft = 0;
  /** The position where the block being skipped began, for the error if the file ends inside it. */
  private skipBlockPos = 0;
  private closed = false;
  /** Records not handed out, by CAPTURE_SKIP_REASONS index. */
  private readonly skipCounts = new Float64Array(CAPTURE_SKIP_REASONS.length);
  private stoppedBy: CorruptCaptureError | undefined;
  /** Of those, the ones reading went on after. */
  private skippedOnward = 0;
  /** Records handed out per link type, folded in from the per-interface counts at each new section. */
  private readonly linkTypeCounts = new Map<number, number>();
  /** Classic pcap records handed out, and those of them cut to the snapshot length (as libpcap cuts them). */
  private pcapRecords = 0;
  private cutToSnapshot = 0;
  /** Where runs of records whose headers had to be rewritten (swapped lengths, cut to the snapshot) are built. */
  private scratch: Uint8Array | undefined;
  /** Whether the size is exact enough to reject a length that runs past the end before reading that far. */
  private readonly sizeKnown: boolean;

  // classic pcap
  private le = true;
  private nanos = false;
  private recHeaderLen = 16;
  private snapLimit = MAX_CAPLEN;
  /** A record above this is damage, not a long packet: reading stops (libpcap: "invalid packet capture length"). */
  private maxCap = MAX_CAPLEN;
  /** min(snapLimit, maxCap): the one comparison the record loops make in the common case. */
  private fastLimit = MAX_CAPLEN;
  private lengths = LENGTHS_AS_IS;
  /** The link type as the header gives it (26 bits), and as batches carry it (16 bits; 65535 when it is wider). */
  private pcapLinkTypeFull = 1;
  private pcapLinkType = 1;

  // pcapng: per interface of the current section
  private ifLinkType: number[] = [];
  private ifSnapLen: number[] = [];
  private ifTsKind: number[] = [];
  private ifTsDiv: number[] = [];
  private ifTsMul: number[] = [];
  private ifTsOffset: number[] = [];
  private ifRecords: number[] = [];
  private sawSection = false;

  private constructor(
    name: string,
    private readonly source: ByteSource | null,
    buf: Uint8Array,
    end: number,
    size: number | undefined,
    sizeKnown: boolean,
  ) {
    this.name = name;
    this.buf = buf;
    this.end = end;
    this.size = size;
    this.sizeKnown = sizeKnown;
    this.eof = source === null;
    if (end < 4) {
      if (end === 0) throw new EmuError('empty capture file', name, 1);
      throw new EmuError('not a pcap or pcapng file (shorter than any header)', name, 1);
    }
    const m = u32le(buf, 0);
    if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS || m === PCAP_MAGIC_MODIFIED) {
      this.format = 'pcap';
      this.le = true;
    } else if (u32be(buf, 0) === PCAP_MAGIC_US || u32be(buf, 0) === PCAP_MAGIC_NS || u32be(buf, 0) === PCAP_MAGIC_MODIFIED) {
      this.format = 'pcap';
      this.le = false;
    } else if (m === PCAPNG_SHB) {
      this.format = 'pcapng';
    } else {
      const hint = buf[0] === 0x1f && buf[1] === 0x8b ? ', gzip-compressed: gunzip it first' : '';
      throw new EmuError(
        `not a pcap or pcapng file (magic 0x${m.toString(16).padStart(8, '0')}${hint})`,
        `${name}: byte 0`,
        1,
      );
    }
    if (this.format === 'pcap') this.readPcapHeader();
  }

  /** Opens a capture file, or standard input for '-'. EmuError (exit 1) naming the file when it cannot be a capture. */
  static async open(path: string, opts: OpenOptions = {}): Promise<CaptureReader> {
    const chunk = opts.chunkSize ?? DEFAULT_CHUNK;
    let source: ByteSource;
    let name: string;
    let size: number | undefined;
    let sizeKnown = false;
    if (path === '-') {
      name = 'stdin';
      let st: fs.Stats | undefined;
      try {
        st = fs.fstatSync(0);
      } catch {
        st = undefined;
      }
      if (st && st.isFile()) {
        source = new FileSource(0, name, false);
        size = st.size;
      } else {
        source = new StreamSource(process.stdin, name);
      }
    } else {
      name = path;
      let fd: number;
      try {
        fd = await new Promise<number>((resolve, reject) =>
          fs.open(path, 'r', (err, f) => (err ? reject(err) : resolve(f))),
        );
      } catch (err) {
        throw openError(err, path);
      }
      let st: fs.Stats;
      try {
        st = fs.fstatSync(fd);
      } catch (err) {
        fs.closeSync(fd);
        throw openError(err, path);
      }
      if (st.isDirectory()) {
        fs.closeSync(fd);
        throw new EmuError('is a directory, not a capture file', path, 1);
      }
      source = new FileSource(fd, name, true);
      if (st.isFile()) {
        size = st.size;
        sizeKnown = opts.trustSize ?? true;
      }
    }
    const buf = Buffer.allocUnsafe(Math.max(chunk, 64));
    // Enough for the magic and a classic file header; a short read of a pipe is topped up.
    let end = 0;
    try {
      while (end < PCAP_FILE_HEADER_LEN) {
        const n = await source.read(buf, end, buf.length - end);
        if (n === 0) break;
        end += n;
      }
      return new CaptureReader(name, source, buf, end, size, sizeKnown);
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  /** A reader over bytes in memory (tests, benchmarks): no copy, the records point into `data`. */
  static fromBuffer(data: Uint8Array, name = 'buffer'): CaptureReader {
    return new CaptureReader(name, null, data, data.length, data.length, true);
  }

  /**
   * A classic pcap's records from byte `from` on, as if the file ended at byte `until`: one engine's part of a
   * capture split by splitPoints (workers.ts). `fd` is the whole reader's (partDescriptor), left open; the file
   * header is read again from byte 0, and `buffer` is the chunk buffer to read into (an engine reuses one for all
   * its parts). Positions in errors are the file's. A record that runs past `until` is cut short here: the caller checks that the part
   * ended exactly at `until` (bytesRead) before it trusts the next part's first record.
   */
  static openPart(fd: number, name: string, from: number, until: number, buffer: Uint8Array): CaptureReader {
    let size: number;
    let got: number;
    try {
      size = fs.fstatSync(fd).size;
      got = fs.readSync(fd, buffer, 0, PCAP_FILE_HEADER_LEN, 0);
    } catch (err) {
      throw openError(err, name);
    }
    const reader = new CaptureReader(name, new FileSource(fd, name, true, { start: from, limit: until }), buffer, got, size, true);
    if (reader.format !== 'pcap') throw new RangeError(`${name}: parts are for classic pcap, not ${reader.format}`);
    reader.base = from;
    reader.start = reader.end = 0;
    return reader;
  }

  /**
   * Where a classic pcap file of known size can be cut into parts of about `partBytes` each, for engines that read
   * a part each (workers.ts): [first record, ..., file size], or undefined when it cannot be split (not a regular
   * file, pcapng, or lengths that must be rewritten). Each cut is the first position after a nominal one where a
   * chain of SPLIT_CHAIN plausible record headers starts (a captured length from 1 to the link type's maximum, not
   * above the original length, a sub-second field in range, timestamps within a day of each other). A chain inside
   * a frame's payload can fool it: the engines check every cut by walking to it from the one before (openPart's
   * caller), and a cut that does not hold sends the whole replay back to one engine. Where no chain is found the
   * part runs on to the next cut.
   */
  splitPoints(partBytes: number): number[] | undefined {
    const src = this.source;
    if (this.format !== 'pcap' || !(src instanceof FileSource) || !src.positional || !this.sizeKnown) return undefined;
    if (this.lengths !== LENGTHS_AS_IS || this.size === undefined) return undefined;
    const size = this.size;
    const first = PCAP_FILE_HEADER_LEN;
    const cuts = [first];
    const step = Math.max(1, Math.floor(partBytes));
    let window: Uint8Array | undefined;
    for (let nominal = first + step; nominal < size; ) {
      let cut: number | undefined;
      for (const bytes of SPLIT_WINDOWS) {
        if (window === undefined || window.length < bytes) window = Buffer.allocUnsafe(bytes);
        const got = src.readAt(window, 0, Math.min(bytes, size - nominal), nominal);
        cut = this.chainStart(window, got, nominal + got === size);
        if (cut !== undefined || nominal + got === size) break;
      }
      if (cut === undefined) {
        nominal += step;
        continue;
      }
      const at = nominal + cut;
      if (at >= size) break;
      cuts.push(at);
      nominal = at + step;
    }
    cuts.push(size);
    return cuts;
  }

  /** The first offset in b[0, end) where SPLIT_CHAIN plausible record headers follow one another (splitPoints). */
  private chainStart(b: Uint8Array, end: number, atEof: boolean): number | undefined {
    const le = this.le;
    const hdr = this.recHeaderLen;
    // Records above the snapshot length are legal (libpcap cuts them, and so do the part readers); above the link
    // type's maximum they are damage.
    const limit = this.maxCap;
    const fracPerSec = this.nanos ? 1e9 : 1e6;
    for (let q = 0; q + hdr <= end; q++) {
      let p = q;
      let ok = true;
      const sec0 = le ? u32le(b, q) : u32be(b, q);
      for (let i = 0; i < SPLIT_CHAIN; i++) {
        if (p === end && atEof && i > 0) break;
        if (end - p < hdr) {
          ok = false;
          break;
        }
        const sec = le ? u32le(b, p) : u32be(b, p);
        const frac = le ? u32le(b, p + 4) : u32be(b, p + 4);
        const capLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
        const origLen = le ? u32le(b, p + 12) : u32be(b, p + 12);
        if (capLen === 0 || capLen > limit || origLen < capLen || origLen > MAX_CAPLEN || frac >= fracPerSec || Math.abs(sec - sec0) > 86400) {
          ok = false;
          break;
        }
        p += hdr + capLen;
      }
      if (ok) return q;
    }
    return undefined;
  }

  /**
   * The descriptor of the regular file being read by position, for part readers (openPart) on any thread of this
   * process; undefined for memory, pipes and standard input. It stays the caller's until close().
   */
  get partDescriptor(): number | undefined {
    const src = this.source;
    return src instanceof FileSource && src.positional ? src.descriptor : undefined;
  }

  /** Records skipped where the file's framing let us go on (pcapng packet blocks with bad contents). */
  get corrupt(): number {
    return this.skippedOnward;
  }

  /** Records not handed out, by reason (CAPTURE_SKIP_REASONS), non-zero ones only. */
  get skipped(): Record<string, number> {
    const out: Record<string, number> = {};
    CAPTURE_SKIP_REASONS.forEach((name, i) => {
      if (this.skipCounts[i]! > 0) out[name] = this.skipCounts[i]!;
    });
    return out;
  }

  /** Why reading stopped before the end of the file (libpcap stops there too), or undefined. */
  get stopped(): CorruptCaptureError | undefined {
    return this.stoppedBy;
  }

  /** Classic pcap records cut to the file's snapshot length because their header said more (libpcap does that). */
  get recordsCutToSnapshot(): number {
    return this.cutToSnapshot;
  }

  /** Records handed out so far per link type (a classic pcap's full 26-bit value). */
  get recordsByLinkType(): Map<number, number> {
    const out = new Map(this.linkTypeCounts);
    if (this.format === 'pcap') {
      if (this.pcapRecords > 0) out.set(this.pcapLinkTypeFull, this.pcapRecords);
    } else {
      this.ifRecords.forEach((n, i) => {
        if (n > 0) out.set(this.ifLinkType[i]!, (out.get(this.ifLinkType[i]!) ?? 0) + n);
      });
    }
    return out;
  }

  /** Bytes consumed so far (records handed out or skipped), for progress. */
  get bytesRead(): number {
    return this.base + this.start;
  }

  /** The link type of a classic pcap, or of the first interface seen in a pcapng file (undefined before it). */
  get linkType(): number | undefined {
    return this.format === 'pcap' ? this.pcapLinkType : this.ifLinkType[0];
  }

  /** Whether readSync works: memory and regular files, not pipes. */
  get syncCapable(): boolean {
    return this.source === null || this.source.syncCapable;
  }

  /**
   * Fills `batch` with up to its capacity of records; resolves their count, 0 at the end. The records stay valid
   * until the next read. EmuError naming the byte offset for a corrupt file.
   */
  async read(batch: RecordBatch): Promise<number> {
    try {
      for (;;) {
        const n = this.parse(batch);
        if (n > 0 || this.eofReached()) return n;
        await this.fill();
      }
    } catch (e) {
      return this.halt(e);
    }
  }

  /** read() without waiting, for memory and regular files (faster: no promise per chunk). */
  readSync(batch: RecordBatch): number {
    if (!this.syncCapable) throw new EmuError('cannot read a pipe synchronously; use read()', this.name, 1);
    try {
      for (;;) {
        const n = this.parse(batch);
        if (n > 0 || this.eofReached()) return n;
        this.fillSync();
      }
    } catch (e) {
      return this.halt(e);
    }
  }

  /**
   * Classic pcap only: points `run` at every whole record now buffered (reading more when none is); resolves their
   * count, 0 at the end. Same checks and errors as read(); the records stay valid until the next read.
   */
  async readRun(run: PcapRun): Promise<number> {
    this.runsOnlyPcap();
    try {
      for (;;) {
        const n = this.skimPcap(run);
        if (n > 0 || this.eofReached()) return n;
        await this.fill();
      }
    } catch (e) {
      return this.halt(e);
    }
  }

  /** readRun() without waiting, for memory and regular files. */
  readRunSync(run: PcapRun): number {
    if (!this.syncCapable) throw new EmuError('cannot read a pipe synchronously; use readRun()', this.name, 1);
    this.runsOnlyPcap();
    try {
      for (;;) {
        const n = this.skimPcap(run);
        if (n > 0 || this.eofReached()) return n;
        this.fillSync();
      }
    } catch (e) {
      return this.halt(e);
    }
  }

  /**
   * Where the framing goes bad (a record or block cut short, a length that cannot be), reading stops as libpcap's
   * does: the error is kept as `stopped` and counted, and every later read finds the end. Other errors propagate.
   */
  private halt(e: unknown): 0 {
    if (!(e instanceof CorruptCaptureError)) throw e;
    this.stoppedBy = e;
    this.skipCounts[CAPTURE_SKIP_REASONS.indexOf(e.reason)]!++;
    this.start = this.end;
    this.skipLeft = 0;
    this.need = 0;
    this.eof = true;
    return 0;
  }

  private runsOnlyPcap(): void {
    if (this.format !== 'pcap') throw new RangeError(`${this.name}: record runs are for classic pcap, not ${this.format}`);
  }

  /**
   * Gives the current buffer away (the last run's bytes stay where they are, for a worker thread to read) and
   * goes on in `next`, into which the bytes not yet handed out are copied. `next` must be at least as large.
   */
  replaceBuffer(next: Uint8Array): void {
    if (next.length < this.buf.length) throw new RangeError(`replacement buffer of ${next.length} bytes, below ${this.buf.length}`);
    next.set(this.buf.subarray(this.start, this.end), 0);
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
    this.buf = next;
  }

  /** The chunk buffer's size (replaceBuffer's minimum). */
  get bufferSize(): number {
    return this.buf.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.start = this.end;
    this.eof = true;
    if (this.source) await this.source.close();
  }

  // ---- buffering ----

  /** True when everything is consumed and no more can come; an error when the data ends inside a record. */
  private eofReached(): boolean {
    if (!this.eof || this.skipLeft > 0) return false;
    if (this.start < this.end) this.cutShort();
    return true;
  }

  private cutShort(): never {
    const what = this.format === 'pcap' ? 'record' : 'block';
    throw new CorruptCaptureError(
      'cut-short',
      `capture ends inside a ${what} (${this.end - this.start} of ${this.need} bytes present)`,
      `${this.name}: byte ${this.base + this.start}`,
    );
  }

  /** Makes room: moves the unparsed tail to the buffer's start, growing the buffer if one block needs more. */
  private compact(): void {
    if (this.need > this.buf.length) {
      // Only a pcapng block read whole asks for more than a chunk; MAX_BUFFER bounds what a length can make us take.
      const grown = Buffer.allocUnsafe(Math.min(MAX_BUFFER, Math.max(this.need, this.buf.length * 2)));
      grown.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = grown;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
  }

  private afterSkip(skipped: number, wanted: number): void {
    this.base += skipped;
    this.skipLeft -= skipped;
    if (skipped < wanted) {
      this.eof = true;
      throw new CorruptCaptureError('cut-short', 'capture ends inside a block', `${this.name}: byte ${this.skipBlockPos}`);
    }
  }

  private async fill(): Promise<void> {
    const src = this.source;
    if (!src) {
      this.eof = true;
      return;
    }
    if (this.skipLeft > 0) {
      // Everything buffered was consumed when the skip began.
      this.base += this.end;
      this.start = this.end = 0;
      const want = this.skipLeft;
      this.afterSkip(await src.skip(want, this.buf), want);
      return;
    }
    this.compact();
    while (this.end < this.need || this.end === 0) {
      const n = await src.read(this.buf, this.end, this.buf.length - this.end);
      if (n === 0) {
        this.eof = true;
        return;
      }
      this.end += n;
    }
  }

  private fillSync(): void {
    const src = this.source;
    if (!src) {
      this.eof = true;
      return;
    }
    if (this.skipLeft > 0) {
      this.base += this.end;
      this.start = this.end = 0;
      const want = this.skipLeft;
      this.afterSkip(src.skipSync(want, this.buf), want);
      return;
    }
    this.compact();
    while (this.end < this.need || this.end === 0) {
      const n = src.readSync(this.buf, this.end, this.buf.length - this.end);
      if (n === 0) {
        this.eof = true;
        return;
      }
      this.end += n;
    }
  }

  /** A length that runs past the end of a file of known size is corrupt now, before any buffer is grown for it. */
  private checkFits(pos: number, len: number, what: string): void {
    if (this.sizeKnown && this.size !== undefined && pos + len > this.size) {
      throw new CorruptCaptureError('cut-short', `${what} of ${len} bytes runs past the end of the file (${this.size} bytes)`, `${this.name}: byte ${pos}`);
    }
  }

  private corruptAt(what: string, pos: number, reason: CaptureSkipReason = 'corrupt-block'): CorruptCaptureError {
    return new CorruptCaptureError(reason, `corrupt capture: ${what}`, `${this.name}: byte ${pos}`);
  }

  /** A record or block skipped with the reading going on (its framing is sound, its contents are not usable). */
  private skipOnward(reason: number): void {
    this.skipCounts[reason]!++;
    this.skippedOnward++;
  }

  // ---- parsing ----

  private parse(batch: RecordBatch): number {
    batch.count = 0;
    batch.buf = this.buf;
    if (this.closed || this.skipLeft > 0 || this.stoppedBy) return 0;
    const n = this.format === 'pcap' ? this.parsePcap(batch) : this.parsePcapng(batch);
    batch.count = n;
    return n;
  }

  private readPcapHeader(): void {
    const b = this.buf;
    if (this.end < PCAP_FILE_HEADER_LEN) {
      throw new EmuError(`pcap file header cut short (${this.end} of 24 bytes)`, `${this.name}: byte ${this.end}`, 1);
    }
    const le = this.le;
    const magic = le ? u32le(b, 0) : u32be(b, 0);
    const major = le ? u16le(b, 4) : u16be(b, 4);
    const minor = le ? u16le(b, 6) : u16be(b, 6);
    // libpcap's rules (pcap_check_header): 2.0 to 2.4, and 543.0 from DG/UX; caplen and len swapped before 2.3.
    if (major < 2) throw new EmuError(`archaic pcap savefile format (version ${major}.${minor})`, `${this.name}: byte 4`, 1);
    if (!((major === 2 && minor <= 4) || (major === 543 && minor === 0))) {
      throw new EmuError(`unsupported pcap savefile version ${major}.${minor}`, `${this.name}: byte 4`, 1);
    }
    this.lengths = major === 543 || minor < 3 ? LENGTHS_SWAPPED : minor === 3 ? LENGTHS_MAYBE_SWAPPED : LENGTHS_AS_IS;
    this.nanos = magic === PCAP_MAGIC_NS;
    this.recHeaderLen = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    const linkType = (le ? u32le(b, 20) : u32be(b, 20)) & LINKTYPE_MASK;
    this.pcapLinkTypeFull = linkType;
    this.pcapLinkType = linkType > 0xffff ? 0xffff : linkType;
    this.maxCap = maxCaplenFor(linkType);
    const snaplen = le ? u32le(b, 16) : u32be(b, 16);
    let snap = snaplen === 0 || snaplen > INT_MAX ? this.maxCap : snaplen;
    // The modified format's cooked-mode captures add a 14-byte Ethernet header past the snapshot length.
    if (magic === PCAP_MAGIC_MODIFIED && linkType === 1) snap = Math.min(snap + 14, INT_MAX);
    this.snapLimit = snap;
    this.fastLimit = Math.min(snap, this.maxCap);
    this.start = PCAP_FILE_HEADER_LEN;
  }

  /** libpcap's error for a captured length above the link type's maximum: the file is damaged there. */
  private tooLong(capLen: number, p: number): CorruptCaptureError {
    const what =
      capLen > this.snapLimit
        ? `invalid packet capture length ${capLen}, bigger than snaplen of ${this.snapLimit}`
        : `invalid packet capture length ${capLen}, bigger than maximum of ${this.maxCap}`;
    return this.corruptAt(what, this.base + p, 'record-too-long');
  }

  private parsePcap(batch: RecordBatch): number {
    const b = this.buf;
    const end = this.end;
    const le = this.le;
    const hdr = this.recHeaderLen;
    const limit = this.fastLimit;
    const snap = this.snapLimit;
    const lengths = this.lengths;
    const linkType = this.pcapLinkType;
    const fracPerSec = this.nanos ? 1e9 : 1e6;
    const fracToNs = this.nanos ? 1 : 1000;
    const cap = batch.capacity;
    const offset = batch.offset;
    const capLenA = batch.capLen;
    const origLenA = batch.origLen;
    const linkTypeA = batch.linkType;
    const tsSecA = batch.tsSec;
    const tsNsecA = batch.tsNsec;
    let p = this.start;
    let n = 0;
    while (n < cap) {
      if (end - p < hdr) {
        this.need = hdr;
        break;
      }
      let capLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
      let origLen = le ? u32le(b, p + 12) : u32be(b, p + 12);
      if (lengths !== LENGTHS_AS_IS && (lengths === LENGTHS_SWAPPED || capLen > origLen)) {
        const t = capLen;
        capLen = origLen;
        origLen = t;
      }
      // Above the snapshot length (old Solaris bufmod files): libpcap keeps the first snapshot-length bytes; above
      // the link type's maximum the file is damaged there and reading stops.
      let keep = capLen;
      if (capLen > limit) {
        if (capLen > this.maxCap) {
          // Errors come on a read that hands out no records, so the records before the bad one are delivered first.
          if (n > 0) break;
          this.start = p;
          throw this.tooLong(capLen, p);
        }
        keep = snap;
      }
      if (end - p - hdr < capLen) {
        this.awaitRecord(p, hdr + capLen, n === 0);
        break;
      }
      if (keep < capLen) this.cutToSnapshot++;
      let sec = le ? u32le(b, p) : u32be(b, p);
      let frac = le ? u32le(b, p + 4) : u32be(b, p + 4);
      if (frac >= fracPerSec) {
        // Out of range (some writers): carry whole seconds rather than overflow the nanoseconds.
        sec += Math.floor(frac / fracPerSec);
        frac %= fracPerSec;
      }
      offset[n] = p + hdr;
      capLenA[n] = keep;
      origLenA[n] = origLen;
      linkTypeA[n] = linkType;
      tsSecA[n] = sec;
      tsNsecA[n] = frac * fracToNs;
      n++;
      p += hdr + capLen;
    }
    this.start = p;
    this.pcapRecords += n;
    return n;
  }

  /** parsePcap's checks without its columns: how many whole records follow `start` (all of them that are buffered). */
  private skimPcap(run: PcapRun): number {
    run.count = 0;
    run.buf = this.buf;
    run.start = run.end = this.start;
    if (this.closed || this.stoppedBy) return 0;
    // Records whose headers do not say what the run lane must read are rewritten into the scratch buffer.
    if (this.lengths !== LENGTHS_AS_IS) return this.skimRewritten(run);
    const b = this.buf;
    const end = this.end;
    const le = this.le;
    const hdr = this.recHeaderLen;
    const limit = this.fastLimit;
    let p = this.start;
    let n = 0;
    for (;;) {
      if (end - p < hdr) {
        this.need = hdr;
        break;
      }
      const capLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
      if (capLen > limit) {
        if (n > 0) break;
        this.start = p;
        if (capLen > this.maxCap) throw this.tooLong(capLen, p);
        return this.skimRewritten(run);
      }
      if (end - p - hdr < capLen) {
        this.awaitRecord(p, hdr + capLen, n === 0);
        break;
      }
      n++;
      p += hdr + capLen;
    }
    return this.closeRun(run, b, run.start, p, n, hdr, p);
  }

  /**
   * A record at `p` that is not wholly buffered: wait for `bytes` of it, or, when it is a run's first and the file's
   * size says they will never come, stop reading there (checkFits).
   */
  private awaitRecord(p: number, bytes: number, first: boolean): void {
    this.need = bytes;
    if (this.sizeKnown && first) {
      this.start = p;
      this.checkFits(this.base + p, bytes, 'record');
    }
  }

  /** Hands out the run of `n` records in buf[start, end) with `hdr`-byte headers; the reader goes on at `next`. */
  private closeRun(run: PcapRun, buf: Uint8Array, start: number, end: number, n: number, hdr: number, next: number): number {
    run.buf = buf;
    run.start = start;
    run.end = end;
    run.count = n;
    run.littleEndian = this.le;
    run.recordHeader = hdr;
    run.linkType = this.pcapLinkType;
    this.start = next;
    this.pcapRecords += n;
    return n;
  }

  /**
   * A run of records copied into the scratch buffer with plain 16-byte headers that say what libpcap would hand
   * out: caplen and len unswapped, caplen cut to the snapshot length. It takes the records from `start` on that
   * need it (all of them in a file of swapped lengths), so that the buffer's own runs resume after them.
   */
  private skimRewritten(run: PcapRun): number {
    const b = this.buf;
    const end = this.end;
    const le = this.le;
    const hdr = this.recHeaderLen;
    const snap = this.snapLimit;
    const lengths = this.lengths;
    const scratch = (this.scratch ??= new Uint8Array(Math.max(1 << 20, 16 + Math.min(snap, this.maxCap))));
    const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    let p = this.start;
    let w = 0;
    let n = 0;
    for (;;) {
      if (end - p < hdr) {
        this.need = hdr;
        break;
      }
      let capLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
      let origLen = le ? u32le(b, p + 12) : u32be(b, p + 12);
      if (lengths !== LENGTHS_AS_IS && (lengths === LENGTHS_SWAPPED || capLen > origLen)) {
        const t = capLen;
        capLen = origLen;
        origLen = t;
      }
      if (capLen > this.maxCap) {
        if (n > 0) break;
        this.start = p;
        throw this.tooLong(capLen, p);
      }
      if (lengths === LENGTHS_AS_IS && capLen <= snap && n > 0) break; // the buffer's own runs can take it
      if (end - p - hdr < capLen) {
        this.awaitRecord(p, hdr + capLen, n === 0);
        break;
      }
      const keep = capLen > snap ? snap : capLen;
      if (w + 16 + keep > scratch.length) break;
      if (keep < capLen) this.cutToSnapshot++;
      view.setUint32(w, le ? u32le(b, p) : u32be(b, p), le);
      view.setUint32(w + 4, le ? u32le(b, p + 4) : u32be(b, p + 4), le);
      view.setUint32(w + 8, keep, le);
      view.setUint32(w + 12, origLen, le);
      scratch.set(b.subarray(p + hdr, p + hdr + keep), w + 16);
      w += 16 + keep;
      n++;
      p += hdr + capLen;
    }
    return n > 0 ? this.closeRun(run, scratch, 0, w, n, 16, p) : this.closeRun(run, b, p, p, 0, 16, p);
  }

  private parsePcapng(batch: RecordBatch): number {
    const b = this.buf;
    const end = this.end;
    const cap = batch.capacity;
    let p = this.start;
    let n = 0;
    while (n < cap) {
      if (end - p < PCAPNG_MIN_BLOCK) {
        this.need = PCAPNG_MIN_BLOCK;
        break;
      }
      let le = this.le;
      const type = le ? u32le(b, p) : u32be(b, p);
      const pos = this.base + p;
      const len = this.blockLength(p, type, n);
      if (len < 0) {
        // The block is bad; the records before it go out first, and the next read throws (blockLength again).
        break;
      }
      if (type === PCAPNG_SHB) le = u32le(b, p + 8) === PCAPNG_BOM;
      const avail = end - p;

      if (type === PCAPNG_EPB || type === PCAPNG_OPB) {
        if (len < EPB_MIN_LEN) {
          if (n > 0) break;
          throw this.corruptAt(`packet block of ${len} bytes (below 32)`, pos);
        }
        if (avail < 28) {
          this.need = 28;
          break;
        }
        const ifId = type === PCAPNG_EPB ? (le ? u32le(b, p + 8) : u32be(b, p + 8)) : le ? u16le(b, p + 8) : u16be(b, p + 8);
        const capLen = le ? u32le(b, p + 20) : u32be(b, p + 20);
        // Bad contents inside a sound block: count it and step over the block (libpcap stops; we read on, as
        // Wireshark does where it can).
        const bad =
          ifId >= this.ifLinkType.length ? SKIP_NO_INTERFACE : capLen > len - EPB_MIN_LEN ? SKIP_CORRUPT_BLOCK : capLen > maxCaplenFor(this.ifLinkType[ifId]!) ? SKIP_TOO_LONG : -1;
        if (bad >= 0) {
          this.skipOnward(bad);
          if (!this.skipBlock(p, len)) {
            p = this.start;
            break;
          }
          p += len;
          continue;
        }
        // The whole block normally; for a block with huge options just the packet, and the rest is skipped.
        const want = len <= b.length ? len : 28 + capLen;
        if (avail < want) {
          this.need = want;
          break;
        }
        if (want === len && (le ? u32le(b, p + len - 4) : u32be(b, p + len - 4)) !== len) {
          if (n > 0) break;
          throw this.corruptAt(`pcapng block's trailing length does not match ${len}`, pos + len - 4);
        }
        splitTicks(
          le ? u32le(b, p + 12) : u32be(b, p + 12),
          le ? u32le(b, p + 16) : u32be(b, p + 16),
          this.ifTsKind[ifId]!,
          this.ifTsDiv[ifId]!,
          this.ifTsMul[ifId]!,
        );
        batch.offset[n] = p + 28;
        batch.capLen[n] = capLen;
        batch.origLen[n] = le ? u32le(b, p + 24) : u32be(b, p + 24);
        batch.linkType[n] = this.ifLinkType[ifId]!;
        this.ifRecords[ifId]!++;
        batch.tsSec[n] = outSec + this.ifTsOffset[ifId]!;
        batch.tsNsec[n] = outNsec;
        n++;
        if (want === len) {
          p += len;
        } else {
          this.skipLeft = 0;
          if (!this.skipBlock(p, len)) {
            p = this.start;
            break;
          }
          p += len;
        }
        continue;
      }

      if (type === PCAPNG_SPB) {
        if (len < SPB_MIN_LEN) {
          if (n > 0) break;
          throw this.corruptAt(`simple packet block of ${len} bytes (below 16)`, pos);
        }
        const want = len <= b.length ? len : 12 + MAX_CAPLEN;
        if (avail < Math.min(len, want)) {
          this.need = Math.min(len, want);
          break;
        }
        const origLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
        let capLen = Math.min(origLen, len - SPB_MIN_LEN);
        if (this.ifLinkType.length === 0 || capLen > maxCaplenFor(this.ifLinkType[0]!)) {
          this.skipOnward(this.ifLinkType.length === 0 ? SKIP_NO_INTERFACE : SKIP_TOO_LONG);
          if (!this.skipBlock(p, len)) {
            p = this.start;
            break;
          }
          p += len;
          continue;
        }
        const snap = this.ifSnapLen[0]!;
        if (snap > 0 && capLen > snap) capLen = snap;
        batch.offset[n] = p + 12;
        batch.capLen[n] = capLen;
        batch.origLen[n] = origLen;
        batch.linkType[n] = this.ifLinkType[0]!;
        this.ifRecords[0]!++;
        batch.tsSec[n] = 0; // a simple packet block has no timestamp
        batch.tsNsec[n] = 0;
        n++;
        if (avail >= len) {
          p += len;
        } else {
          if (!this.skipBlock(p, len)) {
            p = this.start;
            break;
          }
          p += len;
        }
        continue;
      }

      if (type === PCAPNG_SHB || type === PCAPNG_IDB) {
        // Read whole (options matter for an interface); the buffer grows for a huge one, up to MAX_BUFFER.
        if (len > MAX_BUFFER) {
          if (n > 0) break;
          throw this.corruptAt(`pcapng header block of ${len} bytes`, pos);
        }
        if (avail < len) {
          this.need = len;
          break;
        }
        if ((le ? u32le(b, p + len - 4) : u32be(b, p + len - 4)) !== len) {
          if (n > 0) break;
          throw this.corruptAt(`pcapng block's trailing length does not match ${len}`, pos + len - 4);
        }
        if (n > 0 && type === PCAPNG_SHB) break; // a new section's checks may throw: hand out what we have first
        if (type === PCAPNG_SHB) this.readSection(p, len, le, pos);
        else this.readInterface(p, len, pos);
        p += len;
        continue;
      }

      // Any other block (name resolution, statistics, decryption secrets, custom...): not ours, step over it.
      if (!this.skipBlock(p, len)) {
        p = this.start;
        break;
      }
      p += len;
    }
    this.start = p;
    return n;
  }

  /**
   * The length of the block at p (whose 12 first bytes are buffered), checked: -1 when it is bad and records were
   * already taken in this batch (the caller stops; the next read comes back here with none and throws).
   */
  private blockLength(p: number, type: number, n: number): number {
    const b = this.buf;
    const pos = this.base + p;
    let le = this.le;
    if (type === PCAPNG_SHB) {
      // A new section: its byte-order magic says how to read everything up to the next one.
      const bom = u32le(b, p + 8);
      if (bom === PCAPNG_BOM) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else if (n > 0) return -1;
      else throw this.corruptAt('pcapng section header with a bad byte-order magic', pos + 8);
    } else if (!this.sawSection) {
      throw this.corruptAt('pcapng file does not start with a section header block', pos);
    }
    const len = le ? u32le(b, p + 4) : u32be(b, p + 4);
    if (len < PCAPNG_MIN_BLOCK || (len & 3) !== 0) {
      if (n > 0) return -1;
      this.start = p;
      throw this.corruptAt(`pcapng block length ${len} (below 12 or not a multiple of 4)`, pos + 4);
    }
    if (this.sizeKnown && this.size !== undefined && pos + len > this.size) {
      if (n > 0) return -1;
      this.start = p;
      this.checkFits(pos, len, 'pcapng block');
    }
    return len;
  }

  /**
   * Steps over the block at p: true when it is wholly buffered (the caller advances past it); otherwise everything
   * buffered is consumed and the rest is skipped by the next fill, and false is returned.
   */
  private skipBlock(p: number, len: number): boolean {
    if (this.end - p >= len) return true;
    this.skipBlockPos = this.base + p;
    this.skipLeft = len - (this.end - p);
    this.start = this.end;
    return false;
  }

  private readSection(p: number, len: number, le: boolean, pos: number): void {
    if (len < SHB_MIN_LEN) throw this.corruptAt(`section header block of ${len} bytes (below 28)`, pos);
    const b = this.buf;
    const major = le ? u16le(b, p + 12) : u16be(b, p + 12);
    const minor = le ? u16le(b, p + 14) : u16be(b, p + 14);
    // libpcap reads 1.0 and 1.2 (1.2: the same format, written by tools that add block types) and refuses a
    // first section of any other version; a later section need only be 1.x.
    if (major !== 1 || (!this.sawSection && minor !== 0 && minor !== 2)) {
      throw this.corruptAt(`unsupported pcapng savefile version ${major}.${minor}`, pos + 12);
    }
    this.ifRecords.forEach((count, i) => {
      if (count > 0) this.linkTypeCounts.set(this.ifLinkType[i]!, (this.linkTypeCounts.get(this.ifLinkType[i]!) ?? 0) + count);
    });
    this.ifRecords.length = 0;
    this.le = le;
    this.sawSection = true;
    this.ifLinkType.length = 0;
    this.ifSnapLen.length = 0;
    this.ifTsKind.length = 0;
    this.ifTsDiv.length = 0;
    this.ifTsMul.length = 0;
    this.ifTsOffset.length = 0;
  }

  private readInterface(p: number, len: number, pos: number): void {
    if (len < IDB_MIN_LEN) throw this.corruptAt(`interface description block of ${len} bytes (below 20)`, pos);
    const b = this.buf;
    const le = this.le;
    let tsresol = 6;
    let tsoffset = 0;
    // Options: code, length, value padded to 4; a malformed list is cut where it stops making sense.
    let o = p + 16;
    const optEnd = p + len - 4;
    while (optEnd - o >= 4) {
      const code = le ? u16le(b, o) : u16be(b, o);
      const olen = le ? u16le(b, o + 2) : u16be(b, o + 2);
      if (code === 0) break;
      if (o + 4 + olen > optEnd) break;
      if (code === IDB_OPT_TSRESOL && olen >= 1) tsresol = b[o + 4]!;
      else if (code === IDB_OPT_TSOFFSET && olen >= 8) {
        const lo = le ? u32le(b, o + 4) : u32be(b, o + 8);
        const hi = le ? u32le(b, o + 8) : u32be(b, o + 4);
        tsoffset = (hi | 0) * 4294967296 + lo; // signed 64-bit seconds
      }
      o += 4 + ((olen + 3) & ~3);
    }
    const [kind, div, mul] = tsUnit(tsresol);
    this.ifLinkType.push(le ? u16le(b, p + 8) : u16be(b, p + 8));
    this.ifSnapLen.push(le ? u32le(b, p + 12) : u32be(b, p + 12));
    this.ifTsKind.push(kind);
    this.ifTsDiv.push(div);
    this.ifTsMul.push(mul);
    this.ifTsOffset.push(tsoffset);
    this.ifRecords.push(0);
  }
}

function openError(err: unknown, path: string): EmuError {
  const code = (err as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory, not a capture file'
          : `cannot open (${code ?? (err as Error).message})`;
  return new EmuError(what, path, 1);
}
