// Test capture builders: classic pcap and pcapng files of either byte order, block by block.

export interface Rec {
  data: Uint8Array;
  sec: number;
  frac: number; // µs or ns, as the file says
  origLen?: number;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}
function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}
const pad4 = (n: number): number => (n + 3) & ~3;

export interface PcapOpts {
  le?: boolean;
  nanos?: boolean;
  linkType?: number;
  snaplen?: number;
  modified?: boolean;
  /** the header's version (default 2.4); before 2.3 (and 543.0) records carry len before caplen */
  version?: [number, number];
}

/** Whether a file of this version writes a record's len where caplen belongs (libpcap's lengths_swapped). */
const swapsLengths = (o: PcapOpts): boolean => o.version !== undefined && (o.version[0] === 543 || (o.version[0] === 2 && o.version[1] < 3));

export function pcapHeader(o: PcapOpts = {}): Buffer {
  const le = o.le ?? true;
  const magic = o.modified ? 0xa1b2cd34 : o.nanos ? 0xa1b23c4d : 0xa1b2c3d4;
  const [major, minor] = o.version ?? [2, 4];
  return Buffer.concat([u32(magic, le), u16(major, le), u16(minor, le), u32(0, le), u32(0, le), u32(o.snaplen ?? 65535, le), u32(o.linkType ?? 1, le)]);
}

export function pcapRecord(r: Rec, o: PcapOpts = {}): Buffer {
  const le = o.le ?? true;
  const lens = [u32(r.data.length, le), u32(r.origLen ?? r.data.length, le)];
  if (swapsLengths(o)) lens.reverse();
  const parts = [u32(r.sec, le), u32(r.frac, le), ...lens];
  if (o.modified) parts.push(u32(2, le), u16(0x0800, le), Buffer.from([0, 0]));
  parts.push(Buffer.from(r.data));
  return Buffer.concat(parts);
}

export function pcapFile(recs: Rec[], o: PcapOpts = {}): Buffer {
  return Buffer.concat([pcapHeader(o), ...recs.map((r) => pcapRecord(r, o))]);
}

/** One pcapng block: type, length, body (padded), length. */
export function block(type: number, body: Uint8Array, le: boolean): Buffer {
  const len = 12 + pad4(body.length);
  const padded = Buffer.alloc(pad4(body.length));
  padded.set(body);
  return Buffer.concat([u32(type, le), u32(len, le), padded, u32(len, le)]);
}

export function option(code: number, value: Uint8Array, le: boolean): Buffer {
  const padded = Buffer.alloc(pad4(value.length));
  padded.set(value);
  return Buffer.concat([u16(code, le), u16(value.length, le), padded]);
}
const endOpt = (le: boolean): Buffer => Buffer.concat([u16(0, le), u16(0, le)]);

export function shb(le: boolean, options: Buffer[] = []): Buffer {
  const body = Buffer.concat([
    u32(0x1a2b3c4d, le),
    u16(1, le),
    u16(0, le),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // section length unknown
    ...(options.length ? [...options, endOpt(le)] : []),
  ]);
  return block(0x0a0d0d0a, body, le);
}

export interface IdbOpts {
  tsresol?: number;
  tsoffset?: bigint;
  snaplen?: number;
  name?: string;
}

export function idb(le: boolean, linkType: number, o: IdbOpts = {}): Buffer {
  const opts: Buffer[] = [];
  if (o.name !== undefined) opts.push(option(2, Buffer.from(o.name), le));
  if (o.tsresol !== undefined) opts.push(option(9, Buffer.from([o.tsresol]), le));
  if (o.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (le) v.writeBigInt64LE(o.tsoffset);
    else v.writeBigInt64BE(o.tsoffset);
    opts.push(option(14, v, le));
  }
  const body = Buffer.concat([u16(linkType, le), u16(0, le), u32(o.snaplen ?? 0, le), ...(opts.length ? [...opts, endOpt(le)] : [])]);
  return block(1, body, le);
}

/** An enhanced packet block with a 64-bit tick timestamp. */
export function epb(le: boolean, ifId: number, ticks: bigint, data: Uint8Array, origLen = data.length, options: Buffer[] = []): Buffer {
  const hi = Number(ticks >> 32n);
  const lo = Number(ticks & 0xffffffffn);
  const padded = Buffer.alloc(pad4(data.length));
  padded.set(data);
  const body = Buffer.concat([u32(ifId, le), u32(hi, le), u32(lo, le), u32(data.length, le), u32(origLen, le), padded, ...(options.length ? [...options, endOpt(le)] : [])]);
  return block(6, body, le);
}

export function opb(le: boolean, ifId: number, ticks: bigint, data: Uint8Array): Buffer {
  const padded = Buffer.alloc(pad4(data.length));
  padded.set(data);
  const body = Buffer.concat([u16(ifId, le), u16(0, le), u32(Number(ticks >> 32n), le), u32(Number(ticks & 0xffffffffn), le), u32(data.length, le), u32(data.length, le), padded]);
  return block(2, body, le);
}

export function spb(le: boolean, data: Uint8Array, origLen = data.length): Buffer {
  const padded = Buffer.alloc(pad4(data.length));
  padded.set(data);
  return block(3, Buffer.concat([u32(origLen, le), padded]), le);
}

/** Bytes 0, 1, 2, ... of a given length: recognisable record contents. */
export function bytesOf(len: number, seed = 0): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i + seed * 7) & 0xff;
  return b;
}
