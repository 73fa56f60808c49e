// Streaming reader for classic pcap and pcapng, from a file, standard input or memory, into struct-of-arrays batches.
// One chunk buffer is reused; a record that spans two chunks is handled by compacting it to the buffer's start.

import * as fs from 'node:fs';
import { EmuError } from '../errors.js';
import { FileSource, StreamSource, type ByteSource } from './source.js';

/** The largest captured length we accept: libpcap's and Wireshark's maximum snapshot length for these link types. */
export const MAX_CAPLEN = 262144;
/** The chunk buffer's size; it grows (up to MAX_BUFFER) only for one pcapng block that must be read whole. */
export const DEFAULT_CHUNK = 4 << 20;
export const MAX_BUFFER = 64 << 20;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's "modified" pcap (old Red Hat tcpdump): 24-byte record headers. */
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
const PCAP_FILE_HEADER_LEN = 24;

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
  private corruptCount = 0;
  /** Whether the size is exact enough to reject a length that runs past the end before reading that far. */
  private readonly sizeKnown: boolean;

  // classic pcap
  private le = true;
  private nanos = false;
  private recHeaderLen = 16;
  private snapLimit = MAX_CAPLEN;
  private pcapLinkType = 1;

  // pcapng: per interface of the current section
  private ifLinkType: number[] = [];
  private ifSnapLen: number[] = [];
  private ifTsKind: number[] = [];
  private ifTsDiv: number[] = [];
  private ifTsMul: number[] = [];
  private ifTsOffset: number[] = [];
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

  /** Records skipped as corrupt where the file's framing let us go on (pcapng packet blocks with bad contents). */
  get corrupt(): number {
    return this.corruptCount;
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
    for (;;) {
      const n = this.parse(batch);
      if (n > 0 || this.eofReached()) return n;
      await this.fill();
    }
  }

  /** read() without waiting, for memory and regular files (faster: no promise per chunk). */
  readSync(batch: RecordBatch): number {
    if (!this.syncCapable) throw new EmuError('cannot read a pipe synchronously; use read()', this.name, 1);
    for (;;) {
      const n = this.parse(batch);
      if (n > 0 || this.eofReached()) return n;
      this.fillSync();
    }
  }

  /**
   * Classic pcap only: points `run` at every whole record now buffered (reading more when none is); resolves their
   * count, 0 at the end. Same checks and errors as read(); the records stay valid until the next read.
   */
  async readRun(run: PcapRun): Promise<number> {
    this.runsOnlyPcap();
    for (;;) {
      const n = this.skimPcap(run);
      if (n > 0 || this.eofReached()) return n;
      await this.fill();
    }
  }

  /** readRun() without waiting, for memory and regular files. */
  readRunSync(run: PcapRun): number {
    if (!this.syncCapable) throw new EmuError('cannot read a pipe synchronously; use readRun()', this.name, 1);
    this.runsOnlyPcap();
    for (;;) {
      const n = this.skimPcap(run);
      if (n > 0 || this.eofReached()) return n;
      this.fillSync();
    }
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
    throw new EmuError(
      `capture ends inside a ${what} (${this.end - this.start} of ${this.need} bytes present)`,
      `${this.name}: byte ${this.base + this.start}`,
      1,
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
      throw new EmuError('capture ends inside a block', `${this.name}: byte ${this.skipBlockPos}`, 1);
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
      throw new EmuError(
        `${what} of ${len} bytes runs past the end of the file (${this.size} bytes)`,
        `${this.name}: byte ${pos}`,
        1,
      );
    }
  }

  private corruptAt(what: string, pos: number): EmuError {
    return new EmuError(`corrupt capture: ${what}`, `${this.name}: byte ${pos}`, 1);
  }

  // ---- parsing ----

  private parse(batch: RecordBatch): number {
    batch.count = 0;
    batch.buf = this.buf;
    if (this.closed || this.skipLeft > 0) return 0;
    const n = this.format === 'pcap' ? this.parsePcap(batch) : this.parsePcapng(batch);
    batch.count = n;
    return n;
  }

  private readPcapHeader(): void {
    const b = this.buf;
    if (this.end < PCAP_FILE_HEADER_LEN) {
      throw new EmuError('pcap file header cut short', `${this.name}: byte ${this.end}`, 1);
    }
    const le = this.le;
    const magic = le ? u32le(b, 0) : u32be(b, 0);
    const major = le ? u16le(b, 4) : u16be(b, 4);
    if (major !== 2) throw this.corruptAt(`pcap version ${major} (only 2.x exists)`, 4);
    const snaplen = le ? u32le(b, 16) : u32be(b, 16);
    this.nanos = magic === PCAP_MAGIC_NS;
    this.recHeaderLen = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    // A snapshot length of 0 (some writers) or above the maximum means "no limit but the maximum".
    this.snapLimit = snaplen > 0 && snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN;
    // The low 16 bits are the link type; the high bits carry FCS information.
    this.pcapLinkType = (le ? u32le(b, 20) : u32be(b, 20)) & 0xffff;
    this.start = PCAP_FILE_HEADER_LEN;
  }

  private parsePcap(batch: RecordBatch): number {
    const b = this.buf;
    const end = this.end;
    const le = this.le;
    const hdr = this.recHeaderLen;
    const limit = this.snapLimit;
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
      const capLen = le ? u32le(b, p + 8) : u32be(b, p + 8);
      if (capLen > limit) {
        // Errors come on a read that hands out no records, so the records before the bad one are delivered first.
        if (n > 0) break;
        this.start = p;
        throw this.corruptAt(
          `record header says ${capLen} captured bytes, above the snapshot length ${limit}`,
          this.base + p,
        );
      }
      if (end - p - hdr < capLen) {
        this.need = hdr + capLen;
        if (this.sizeKnown && n === 0) {
          this.start = p;
          this.checkFits(this.base + p, hdr + capLen, 'record');
        }
        break;
      }
      let sec = le ? u32le(b, p) : u32be(b, p);
      let frac = le ? u32le(b, p + 4) : u32be(b, p + 4);
      if (frac >= fracPerSec) {
        // Out of range (some writers): carry whole seconds rather than overflow the nanoseconds.
        sec += Math.floor(frac / fracPerSec);
        frac %= fracPerSec;
      }
      offset[n] = p + hdr;
      capLenA[n] = capLen;
      origLenA[n] = le ? u32le(b, p + 12) : u32be(b, p + 12);
      linkTypeA[n] = linkType;
      tsSecA[n] = sec;
      tsNsecA[n] = frac * fracToNs;
      n++;
      p += hdr + capLen;
    }
    this.start = p;
    return n;
  }

  /** parsePcap's checks without its columns: how many whole records follow `start` (all of them that are buffered). */
  private skimPcap(run: PcapRun): number {
    run.count = 0;
    run.buf = this.buf;
    run.start = run.end = this.start;
    if (this.closed) return 0;
    const b = this.buf;
    const end = this.end;
    const le = this.le;
    const hdr = this.recHeaderLen;
    const limit = this.snapLimit;
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
        throw this.corruptAt(`record header says ${capLen} captured bytes, above the snapshot length ${limit}`, this.base + p);
      }
      if (end - p - hdr < capLen) {
        this.need = hdr + capLen;
        if (this.sizeKnown && n === 0) {
          this.start = p;
          this.checkFits(this.base + p, hdr + capLen, 'record');
        }
        break;
      }
      n++;
      p += hdr + capLen;
    }
    run.end = p;
    run.count = n;
    run.littleEndian = le;
    run.recordHeader = hdr;
    run.linkType = this.pcapLinkType;
    this.start = p;
    return n;
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
        // Bad contents inside a sound block: count it and step over the block.
        if (capLen > len - EPB_MIN_LEN || capLen > MAX_CAPLEN || ifId >= this.ifLinkType.length) {
          this.corruptCount++;
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
        if (this.ifLinkType.length === 0 || capLen > MAX_CAPLEN) {
          this.corruptCount++;
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
    if (major !== 1) throw this.corruptAt(`pcapng version ${major} (only 1.x exists)`, pos + 12);
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
