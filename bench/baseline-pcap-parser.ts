// The minimal replay with the pcap-parser package: read each frame, CRC-32 its IPv4 5-tuple, count it into one
// of three buckets. Same work and same output line as bench/baseline.c; `npm run bench` times it whole-process.
// node dist/bench/baseline-pcap-parser.js FILE  ->  "packets bytes skipped bucket0 bucket1 bucket2"

import { createRequire } from 'node:module';

interface PpPacket {
  header: { capturedLength: number; originalLength: number };
  data: Buffer;
}
interface PpParser {
  on(event: 'packet', f: (p: PpPacket) => void): PpParser;
  on(event: 'globalHeader', f: (h: { linkLayerType: number }) => void): PpParser;
  on(event: 'end', f: () => void): PpParser;
  on(event: 'error', f: (e: Error) => void): PpParser;
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: string): PpParser };

const table = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[i] = c;
}

function crcByte(c: number, b: number): number {
  return table[(c ^ b) & 0xff]! ^ (c >>> 8);
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: baseline-pcap-parser FILE.pcap\n');
  process.exit(2);
}
let linkType = 1;
let packets = 0;
let bytes = 0;
let skipped = 0;
const bucket = [0, 0, 0];
pcapParser
  .parse(file)
  .on('globalHeader', (h) => {
    linkType = h.linkLayerType & 0xffff;
  })
  .on('packet', (p) => {
    packets++;
    bytes += p.header.originalLength;
    const f = p.data;
    const cap = f.length;
    let l3 = 0;
    let type = 0x0800;
    if (linkType === 1) {
      if (cap < 14) return void skipped++;
      type = (f[12]! << 8) | f[13]!;
      l3 = 14;
      for (let t = 0; t < 2 && (type === 0x8100 || type === 0x88a8); t++) {
        if (cap < l3 + 4) break;
        type = (f[l3 + 2]! << 8) | f[l3 + 3]!;
        l3 += 4;
      }
    } else if (linkType !== 101 && linkType !== 228) return void skipped++;
    if (type !== 0x0800 || cap < l3 + 20 || f[l3]! >>> 4 !== 4) return void skipped++;
    const ihl = (f[l3]! & 15) * 4;
    const proto = f[l3 + 9]!;
    const ports = (proto === 6 || proto === 17) && cap >= l3 + ihl + 4;
    // CRC-32 over source, destination, source port, destination port, protocol (SPEC §3's field order).
    let c = -1;
    for (let i = 12; i < 20; i++) c = crcByte(c, f[l3 + i]!);
    for (let i = 0; i < 4; i++) c = crcByte(c, ports ? f[l3 + ihl + i]! : 0);
    c = crcByte(c, proto);
    bucket[((c ^ -1) >>> 0) % 3]!++;
  })
  .on('error', (e) => {
    process.stderr.write(`baseline-pcap-parser: ${e.message}\n`);
    process.exit(1);
  })
  .on('end', () => {
    process.stdout.write(`${packets} ${bytes} ${skipped} ${bucket[0]} ${bucket[1]} ${bucket[2]}\n`);
  });
