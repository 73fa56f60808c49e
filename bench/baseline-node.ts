// bench/baseline.c's work in plain Node, without any package: read the pcap in 4 MiB chunks, CRC-32 each frame's
// IPv4 5-tuple, count it into one of three buckets. It is the floor for ecmp-emu in Node: what a Node process costs
// for the minimal replay on this machine (startup included), before any forwarding, CLI or report.
// node dist/bench/baseline-node.js FILE  ->  "packets bytes skipped bucket0 bucket1 bucket2" (as the C program)

import * as fs from 'node:fs';

const CHUNK = 4 << 20;
const MAX_CAPLEN = 262144;

const table = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[i] = c;
}

function fail(why: string): never {
  process.stderr.write(`baseline-node: ${why}\n`);
  process.exit(1);
}

function main(file: string): void {
  const fd = fs.openSync(file, 'r');
  const buf = new Uint8Array(CHUNK + MAX_CAPLEN + 64);
  const view = new DataView(buf.buffer);
  let have = 0;
  let pos = 0;
  let eof = false;
  // Keeps at least `want` bytes from pos, or reaches the end.
  const fill = (want: number): void => {
    while (have - pos < want && !eof) {
      buf.copyWithin(0, pos, have);
      have -= pos;
      pos = 0;
      const n = fs.readSync(fd, buf, have, CHUNK + MAX_CAPLEN - have, null);
      if (n === 0) eof = true;
      have += n;
    }
  };
  fill(24);
  if (have < 24) fail('not a pcap file');
  const magic = view.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (view.getUint32(0, false) === 0xa1b2c3d4 || view.getUint32(0, false) === 0xa1b23c4d) le = false;
  else fail('not a classic pcap file');
  const linkType = view.getUint32(20, le) & 0xffff;
  pos = 24;
  let packets = 0;
  let bytes = 0;
  let skipped = 0;
  const bucket = [0, 0, 0];
  for (;;) {
    fill(16);
    if (have - pos < 16) break;
    const capLen = view.getUint32(pos + 8, le);
    const origLen = view.getUint32(pos + 12, le);
    if (capLen > MAX_CAPLEN) fail('corrupt record');
    fill(16 + capLen);
    if (have - pos < 16 + capLen) break;
    const f = pos + 16;
    pos += 16 + capLen;
    packets++;
    bytes += origLen;
    let l3 = f;
    let type = 0x0800;
    if (linkType === 1) {
      if (capLen < 14) {
        skipped++;
        continue;
      }
      type = (buf[f + 12]! << 8) | buf[f + 13]!;
      l3 = f + 14;
      for (let t = 0; t < 2 && (type === 0x8100 || type === 0x88a8); t++) {
        if (capLen < l3 - f + 4) break;
        type = (buf[l3 + 2]! << 8) | buf[l3 + 3]!;
        l3 += 4;
      }
    } else if (linkType !== 101 && linkType !== 228) {
      skipped++;
      continue;
    }
    if (type !== 0x0800 || capLen < l3 - f + 20 || buf[l3]! >>> 4 !== 4) {
      skipped++;
      continue;
    }
    const ihl = (buf[l3]! & 15) * 4;
    const proto = buf[l3 + 9]!;
    const ports = (proto === 6 || proto === 17) && capLen >= l3 - f + ihl + 4;
    // CRC-32 over source, destination, source port, destination port, protocol (the C program's key).
    let c = -1;
    for (let i = 12; i < 20; i++) c = table[(c ^ buf[l3 + i]!) & 0xff]! ^ (c >>> 8);
    for (let i = 0; i < 4; i++) c = table[(c ^ (ports ? buf[l3 + ihl + i]! : 0)) & 0xff]! ^ (c >>> 8);
    c = table[(c ^ proto) & 0xff]! ^ (c >>> 8);
    bucket[((c ^ -1) >>> 0) % 3]!++;
  }
  fs.closeSync(fd);
  process.stdout.write(`${packets} ${bytes} ${skipped} ${bucket[0]} ${bucket[1]} ${bucket[2]}\n`);
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: baseline-node FILE.pcap\n');
  process.exit(2);
}
main(file);
