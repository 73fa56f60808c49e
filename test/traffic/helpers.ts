// Reads back what the generator wrote: classic little-endian pcap records, decoded to flow keys.

import { FrameKey, decodeFrame } from '../../src/wire/decode.js';

export interface Record {
  offset: number;
  capLen: number;
  origLen: number;
  tsSec: number;
  tsUsec: number;
}

export function readPcap(bytes: Uint8Array): { linkType: number; records: Record[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap');
  const linkType = dv.getUint32(20, true);
  const records: Record[] = [];
  for (let p = 24; p < bytes.length; ) {
    const capLen = dv.getUint32(p + 8, true);
    records.push({ offset: p + 16, capLen, origLen: dv.getUint32(p + 12, true), tsSec: dv.getUint32(p, true), tsUsec: dv.getUint32(p + 4, true) });
    p += 16 + capLen;
    if (p > bytes.length) throw new Error('record runs past the end');
  }
  return { linkType, records };
}

export const tupleKey = (src: number, dst: number, proto: number, sport: number, dport: number): string =>
  `${src >>> 0}|${dst >>> 0}|${proto}|${sport}|${dport}`;

/** Each record decoded (Ethernet, VXLAN on `vxlanPort`); the FrameKey is reused, so the callback must copy. */
export function forEachFrame(bytes: Uint8Array, vxlanPort: number, fn: (key: FrameKey, r: Record, i: number) => void): number {
  const { records } = readPcap(bytes);
  const key = new FrameKey();
  records.forEach((r, i) => {
    decodeFrame(bytes, r.offset, r.capLen, 1, vxlanPort, key);
    fn(key, r, i);
  });
  return records.length;
}
