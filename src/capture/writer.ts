// Classic pcap writer (micro- or nanosecond) with one output buffer that callers, such as the engine's VXLAN
// encapsulation, write records straight into; flushed with blocking writes that ride out EAGAIN on a pipe.

import * as fs from 'node:fs';
import { EmuError } from '../errors.js';
import { MAX_CAPLEN } from './reader.js';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const DEFAULT_BUFFER = 1 << 20;
/** Small records are copied byte by byte: cheaper than making a subarray view per record. */
const COPY_LOOP_MAX = 256;

export interface PcapWriterOptions {
  /** LINKTYPE_ value, default 1 (Ethernet). */
  linkType?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d); default microseconds. */
  nanos?: boolean;
  /** Snapshot length written in the header; longer records are cut to it. Default 262144. */
  snaplen?: number;
  /** Output buffer size in bytes (default 1 MiB). */
  bufferSize?: number;
}

/** Where flushed bytes go. */
interface Sink {
  writeSync(buf: Uint8Array, off: number, len: number): void;
  close(): void;
}

let sleepCell: Int32Array | undefined;
/** Blocks the thread for `ms` (a full pipe: nothing else to do until the reader drains it). */
function sleepSync(ms: number): void {
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleepCell, 0, 0, ms);
}

class FdSink implements Sink {
  constructor(
    private readonly fd: number,
    private readonly name: string,
    private readonly owned: boolean,
  ) {}

  writeSync(buf: Uint8Array, off: number, len: number): void {
    let waited = 0;
    while (len > 0) {
      let n: number;
      try {
        n = fs.writeSync(this.fd, buf, off, len);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Standard output may be a non-blocking pipe (Node makes it so once process.stdout is touched):
        // wait for the reader, backing off up to 10 ms, rather than lose data.
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          sleepSync(waited < 10 ? ++waited : 10);
          continue;
        }
        if (code === 'EPIPE') throw new EmuError('output closed by its reader (broken pipe)', this.name, 1);
        throw new EmuError(`write error: ${code ?? (err as Error).message}`, this.name, 1);
      }
      waited = 0;
      off += n;
      len -= n;
    }
  }

  close(): void {
    if (this.owned) fs.closeSync(this.fd);
  }
}

class MemorySink implements Sink {
  readonly parts: Uint8Array[] = [];
  writeSync(buf: Uint8Array, off: number, len: number): void {
    // A copy: Buffer#slice would be a view of the output buffer, overwritten by the next records.
    this.parts.push(Uint8Array.prototype.slice.call(buf, off, off + len));
  }
  close(): void {}
}

export class PcapWriter {
  /** The output buffer: reserve() says where the next record's bytes go. */
  buf: Uint8Array;
  readonly name: string;
  readonly linkType: number;
  readonly nanos: boolean;
  readonly snaplen: number;
  /** Records and bytes handed to commit/write so far (bytes include headers). */
  records = 0;
  bytesWritten = 0;

  private pos = 0;
  private closed = false;
  private readonly sink: Sink;
  private readonly memory: MemorySink | undefined;

  private constructor(name: string, sink: Sink, opts: PcapWriterOptions) {
    this.name = name;
    this.sink = sink;
    this.memory = sink instanceof MemorySink ? sink : undefined;
    this.linkType = opts.linkType ?? 1;
    this.nanos = opts.nanos ?? false;
    const snaplen = opts.snaplen ?? MAX_CAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_CAPLEN) {
      throw new EmuError(`snapshot length ${snaplen} outside 1..${MAX_CAPLEN}`, name, 2);
    }
    this.snaplen = snaplen;
    this.buf = Buffer.alloc(Math.max(opts.bufferSize ?? DEFAULT_BUFFER, FILE_HEADER_LEN + RECORD_HEADER_LEN + 64));
    this.writeFileHeader();
  }

  /** Opens a file (truncating it) or standard output for '-'. EmuError naming the path if it cannot be written. */
  static async open(path: string, opts: PcapWriterOptions = {}): Promise<PcapWriter> {
    return PcapWriter.openSync(path, opts);
  }

  static openSync(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    if (path === '-') return new PcapWriter('stdout', new FdSink(1, 'stdout', false), opts);
    let fd: number;
    try {
      fd = fs.openSync(path, 'w');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const what =
        code === 'ENOENT'
          ? 'cannot create output: no such directory'
          : code === 'EISDIR'
            ? 'cannot write output: is a directory'
            : code === 'EACCES' || code === 'EPERM'
              ? 'cannot write output: permission denied'
              : `cannot open output (${code ?? (err as Error).message})`;
      throw new EmuError(what, path, 1);
    }
    return new PcapWriter(path, new FdSink(fd, path, true), opts);
  }

  /** An in-memory writer (tests): bytes() gives the file written so far. */
  static toBuffer(opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter('buffer', new MemorySink(), opts);
  }

  /** Everything written so far, flushed, as one pcap file (in-memory writers only). */
  bytes(): Uint8Array {
    if (!this.memory) throw new Error('bytes() is for writers made by toBuffer()');
    this.flush();
    return Buffer.concat(this.memory.parts);
  }

  /**
   * Makes room for a record of `capLen` bytes and returns the offset in `buf` where the caller writes them
   * (flushing first if the buffer is full). Then commit().
   */
  reserve(capLen: number): number {
    if (this.closed) throw new EmuError('write after close', this.name, 1);
    const need = RECORD_HEADER_LEN + capLen;
    if (this.pos + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.alloc(need);
    }
    return this.pos + RECORD_HEADER_LEN;
  }

  /**
   * Completes the record whose bytes were written at the offset reserve() returned. A record longer than the
   * snapshot length is cut to it (origLen keeps the full length), as a capture with that snaplen would be.
   */
  commit(capLen: number, origLen: number, tsSec: number, tsNsec: number): void {
    const p = this.pos;
    const len = capLen <= this.snaplen ? capLen : this.snaplen;
    const b = this.buf;
    let sec = Math.floor(tsSec);
    let frac = this.nanos ? tsNsec : Math.floor(tsNsec / 1000);
    if (frac < 0 || frac >= (this.nanos ? 1e9 : 1e6)) {
      // Keep the fraction in its range: carry into seconds.
      const per = this.nanos ? 1e9 : 1e6;
      sec += Math.floor(frac / per);
      frac = ((frac % per) + per) % per;
    }
    putLe32(b, p, sec >>> 0);
    putLe32(b, p + 4, frac >>> 0);
    putLe32(b, p + 8, len);
    putLe32(b, p + 12, origLen >>> 0);
    this.pos = p + RECORD_HEADER_LEN + len;
    this.records++;
    this.bytesWritten += RECORD_HEADER_LEN + len;
  }

  /** Copies a record from src[off .. off + capLen) and commits it. */
  write(src: Uint8Array, off: number, capLen: number, origLen: number, tsSec: number, tsNsec: number): void {
    const len = capLen <= this.snaplen ? capLen : this.snaplen;
    const at = this.reserve(len);
    const b = this.buf;
    if (len <= COPY_LOOP_MAX) {
      for (let i = 0; i < len; i++) b[at + i] = src[off + i]!;
    } else {
      b.set(src.subarray(off, off + len), at);
    }
    this.commit(len, origLen, tsSec, tsNsec);
  }

  /**
   * Between batches: hands what is buffered to the output once it is half full, then lets the event loop run
   * (signals, the reader of a pipe in this process). Writes block while a pipe is full, which is the backpressure.
   */
  async drain(): Promise<void> {
    if (this.closed) return;
    if (this.pos >= this.buf.length >>> 1) this.flush();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Writes out everything buffered. */
  flush(): void {
    if (this.pos > 0) {
      const n = this.pos;
      this.pos = 0;
      this.sink.writeSync(this.buf, 0, n);
    }
  }

  /** Flushes and closes; safe to call at any moment and more than once (e.g. from a SIGINT handler). */
  async close(): Promise<void> {
    this.closeSync();
  }

  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
    } finally {
      this.sink.close();
    }
  }

  private writeFileHeader(): void {
    const b = this.buf;
    putLe32(b, 0, this.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
    b[4] = 2; // version 2.4
    b[5] = 0;
    b[6] = 4;
    b[7] = 0;
    putLe32(b, 8, 0); // thiszone
    putLe32(b, 12, 0); // sigfigs
    putLe32(b, 16, this.snaplen);
    putLe32(b, 20, this.linkType);
    this.pos = FILE_HEADER_LEN;
    this.bytesWritten = FILE_HEADER_LEN;
  }
}

function putLe32(b: Uint8Array, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}
