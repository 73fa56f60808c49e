// Where capture bytes come from: a file by position, standard input (a file, or a pipe through its stream), or memory.

import * as fs from 'node:fs';
import { EmuError } from '../errors.js';

/** A byte source the reader pulls from into its one chunk buffer. */
export interface ByteSource {
  /** Whether readSync/skipSync work (a regular file); a pipe only reads asynchronously. */
  readonly syncCapable: boolean;
  /** Reads up to `len` bytes into buf[off..); resolves 0 only at the end. */
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  readSync(buf: Uint8Array, off: number, len: number): number;
  /** Skips up to `n` bytes without keeping them, using `scratch` if it must read; returns how many (fewer at the end). */
  skip(n: number, scratch: Uint8Array): Promise<number>;
  skipSync(n: number, scratch: Uint8Array): number;
  close(): Promise<void>;
}

function ioError(err: unknown, name: string): EmuError {
  const e = err as NodeJS.ErrnoException;
  return new EmuError(`read error: ${e.code ?? e.message}`, name, 1);
}

/** Skips `n` bytes of a source that cannot seek by reading them into `scratch`; returns how many (fewer at the end). */
async function skipByReading(src: ByteSource, n: number, scratch: Uint8Array): Promise<number> {
  let done = 0;
  while (done < n) {
    const got = await src.read(scratch, 0, Math.min(scratch.length, n - done));
    if (got === 0) break;
    done += got;
  }
  return done;
}

/**
 * Part of a file: its bytes from `start` up to `limit`, read as if the file ended there (a replay engine's share
 * of a capture, workers.ts). The descriptor is the caller's: closing the source leaves it open.
 */
export interface FileRange {
  start: number;
  limit: number;
}

/** A regular file, read by position (Number positions: past 4 GiB is fine), or sequentially for standard input. */
export class FileSource implements ByteSource {
  readonly syncCapable = true;
  private pos: number;
  /** Where the source ends (a range's limit); Infinity for the whole file. */
  private readonly limit: number;

  constructor(
    private readonly fd: number,
    private readonly name: string,
    /** false for standard input redirected from a file: read from wherever its offset is, never close it. */
    readonly positional: boolean,
    private readonly range?: FileRange,
  ) {
    this.pos = range?.start ?? 0;
    this.limit = range?.limit ?? Infinity;
  }

  /** The open file's descriptor (replay by parts reads it from every thread: one process, positional reads). */
  get descriptor(): number {
    return this.fd;
  }

  /** Reads up to `len` bytes at file position `pos` (not the source's own), whatever its range; returns how many. */
  readAt(buf: Uint8Array, off: number, len: number, pos: number): number {
    try {
      return fs.readSync(this.fd, buf, off, len, pos);
    } catch (err) {
      throw ioError(err, this.name);
    }
  }

  read(buf: Uint8Array, off: number, wanted: number): Promise<number> {
    const len = Math.max(0, Math.min(wanted, this.limit - this.pos));
    if (len === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, off, len, this.positional ? this.pos : null, (err, n) => {
        if (err) reject(ioError(err, this.name));
        else {
          this.pos += n;
          resolve(n);
        }
      });
    });
  }

  readSync(buf: Uint8Array, off: number, wanted: number): number {
    const len = Math.max(0, Math.min(wanted, this.limit - this.pos));
    if (len === 0) return 0;
    let n: number;
    try {
      n = fs.readSync(this.fd, buf, off, len, this.positional ? this.pos : null);
    } catch (err) {
      throw ioError(err, this.name);
    }
    this.pos += n;
    return n;
  }

  async skip(n: number, scratch: Uint8Array): Promise<number> {
    if (this.positional) return this.seek(n);
    return skipByReading(this, n, scratch);
  }

  skipSync(n: number, scratch: Uint8Array): number {
    if (this.positional) return this.seek(n);
    let done = 0;
    while (done < n) {
      const got = this.readSync(scratch, 0, Math.min(scratch.length, n - done));
      if (got === 0) break;
      done += got;
    }
    return done;
  }

  /** Moves the position on without reading; the size bounds it so that skipping reports the real end. */
  private seek(n: number): number {
    let size: number;
    try {
      size = fs.fstatSync(this.fd).size;
    } catch (err) {
      throw ioError(err, this.name);
    }
    const step = Math.max(0, Math.min(n, Math.min(size, this.limit) - this.pos));
    this.pos += step;
    return step;
  }

  close(): Promise<void> {
    if (!this.positional || this.range !== undefined) return Promise.resolve();
    return new Promise((resolve) => fs.close(this.fd, () => resolve()));
  }
}

/** A readable stream (standard input as a pipe or terminal): chunks copied into the reader's buffer as it pulls. */
export class StreamSource implements ByteSource {
  readonly syncCapable = false;
  private readonly it: AsyncIterator<Buffer>;
  private chunk: Buffer | null = null;
  private chunkOff = 0;
  private ended = false;

  constructor(
    private readonly stream: NodeJS.ReadableStream,
    private readonly name: string,
  ) {
    this.it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    while (this.chunk === null || this.chunkOff >= this.chunk.length) {
      if (this.ended) return 0;
      let r: IteratorResult<Buffer>;
      try {
        r = await this.it.next();
      } catch (err) {
        throw ioError(err, this.name);
      }
      if (r.done) {
        this.ended = true;
        this.chunk = null;
        return 0;
      }
      this.chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      this.chunkOff = 0;
    }
    const n = Math.min(len, this.chunk.length - this.chunkOff);
    buf.set(this.chunk.subarray(this.chunkOff, this.chunkOff + n), off);
    this.chunkOff += n;
    return n;
  }

  readSync(): number {
    throw new EmuError('cannot read a pipe synchronously; use read()', this.name, 1);
  }

  skip(n: number, scratch: Uint8Array): Promise<number> {
    return skipByReading(this, n, scratch);
  }

  skipSync(): number {
    throw new EmuError('cannot read a pipe synchronously; use read()', this.name, 1);
  }

  async close(): Promise<void> {
    this.ended = true;
    // Stop pulling so the process can exit. Not awaited: a read may still be pending (Ctrl-C on a live pipe),
    // and the iterator's return waits for it. Destroying the stream ends that read; we never read it again.
    this.it.return?.().catch(() => undefined);
    const s = this.stream as NodeJS.ReadableStream & { destroy?: () => void };
    s.pause();
    s.destroy?.();
  }
}
