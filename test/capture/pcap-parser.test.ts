// Differential: every record of several classic pcaps, read by pcap-parser and by our reader, agrees.

import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { prng } from '../helpers.js';
import { pcapFile, type Rec } from './build.js';

interface PpPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}
interface PpParser {
  on(ev: 'packet', f: (p: PpPacket) => void): PpParser;
  on(ev: 'end', f: () => void): PpParser;
  on(ev: 'error', f: (e: Error) => void): PpParser;
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: string): PpParser };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-pp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Row = [number, number, number, number, string];

function viaPcapParser(file: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const rows: Row[] = [];
    pcapParser
      .parse(file)
      .on('packet', (p) => {
        const h = p.header;
        rows.push([h.timestampSeconds, h.timestampMicroseconds, h.capturedLength, h.originalLength, p.data.toString('hex')]);
      })
      .on('error', reject)
      .on('end', () => resolve(rows));
  });
}

async function viaOurs(file: string, chunkSize?: number): Promise<Row[]> {
  const r = await CaptureReader.open(file, chunkSize ? { chunkSize } : {});
  const batch = new RecordBatch(100);
  const rows: Row[] = [];
  while ((await r.read(batch)) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const o = batch.offset[i]!;
      const c = batch.capLen[i]!;
      rows.push([batch.tsSec[i]!, batch.tsNsec[i]! / 1000, c, batch.origLen[i]!, Buffer.from(batch.buf.subarray(o, o + c)).toString('hex')]);
    }
  }
  await r.close();
  return rows;
}

function randomPcap(seed: number, count: number, le: boolean): string {
  const rand = prng(seed);
  const recs: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const len = Math.floor(rand() * rand() * 3000);
    const data = new Uint8Array(len);
    for (let j = 0; j < len; j++) data[j] = Math.floor(rand() * 256);
    recs.push({ data, sec: 1600000000 + i, frac: Math.floor(rand() * 1e6), origLen: len + Math.floor(rand() * 10) });
  }
  const f = path.join(tmp, `random-${seed}-${le ? 'le' : 'be'}.pcap`);
  fs.writeFileSync(f, pcapFile(recs, { le, snaplen: 65535 }));
  return f;
}

describe('our reader agrees with pcap-parser record by record', () => {
  const files: [string, string][] = [
    ['traces/scapy-ether.pcap', path.join(root, 'traces/scapy-ether.pcap')],
    ['traces/scapy-sll2.pcap', path.join(root, 'traces/scapy-sll2.pcap')],
    ['traces/scapy-raw.pcap', path.join(root, 'traces/scapy-raw.pcap')],
    ["pcap-parser's smtp.pcap", path.join(root, 'node_modules/pcap-parser/test/smtp.pcap')],
    ["pcap-parser's big-endian be.pcap", path.join(root, 'node_modules/pcap-parser/test/be.pcap')],
  ];
  for (const [label, file] of files) {
    it(label, async () => {
      const theirs = await viaPcapParser(file);
      expect(theirs.length).toBeGreaterThan(0);
      expect(await viaOurs(file)).toEqual(theirs);
      expect(await viaOurs(file, 256)).toEqual(theirs);
    });
  }
  for (const le of [true, false]) {
    it(`2000 random records, ${le ? 'little' : 'big'}-endian, read in small chunks`, async () => {
      const file = randomPcap(le ? 7 : 8, 2000, le);
      const theirs = await viaPcapParser(file);
      expect(theirs.length).toBe(2000);
      expect(await viaOurs(file)).toEqual(theirs);
      expect(await viaOurs(file, 4096)).toEqual(theirs);
    });
  }
});
