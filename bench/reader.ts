// Benchmark: our capture reader (records + decodeFrame) against pcap-parser ('packet' events) on one 1M-frame pcap.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CaptureReader, RecordBatch } from '../src/capture/reader.js';
import { PcapWriter } from '../src/capture/writer.js';
import { writeEthernet } from '../src/wire/ethernet.js';
import { writeIpv4Header } from '../src/wire/ipv4.js';
import { writeUdpHeader } from '../src/wire/udp.js';
import { decodeFrame, FrameKey } from '../src/wire/decode.js';

export interface ReaderBenchRow {
  reader: string;
  seconds: number; // best of the rounds
  mbPerSecond: number; // file bytes / seconds, 1 MB = 10^6 bytes
  mpps: number; // million records per second
  records: number;
}
export interface ReaderBenchResult {
  file: string;
  frames: number;
  frameBytes: number;
  fileBytes: number;
  rounds: number;
  results: ReaderBenchRow[];
  /** our async reader's speed over pcap-parser's */
  speedup: number;
}

const FRAME = 76; // Ethernet 14 + IPv4 20 + UDP 8 + 34 bytes of payload

/** Writes `frames` 76-byte UDP frames of distinct flows with our writer. */
export async function writeBenchPcap(file: string, frames: number): Promise<void> {
  const w = await PcapWriter.open(file);
  for (let i = 0; i < frames; i++) {
    const at = w.reserve(FRAME);
    let p = writeEthernet(w.buf, at, 0x0200, 2, 0x0200, 1, 0x0800);
    p = writeIpv4Header(w.buf, p, 0, FRAME - 14, i & 0xffff, 0, 64, 17, (0x0a000000 + (i % 65536)) >>> 0, 0xc0a8640a);
    p = writeUdpHeader(w.buf, p, 1024 + (i % 60000), 443, FRAME - 34, 0);
    w.buf.fill(0x61, p, at + FRAME);
    w.commit(FRAME, FRAME, 1700000000 + Math.floor(i / 1e6), (i % 1e6) * 1000);
  }
  await w.close();
}

interface Pass {
  records: number;
  check: number;
}

async function oursAsync(file: string, key: FrameKey, batch: RecordBatch): Promise<Pass> {
  const r = await CaptureReader.open(file);
  let records = 0;
  let check = 0;
  for (let n; (n = await r.read(batch)) > 0; ) {
    const buf = batch.buf;
    for (let i = 0; i < n; i++) {
      decodeFrame(buf, batch.offset[i]!, batch.capLen[i]!, batch.linkType[i]!, 4789, key);
      check = (check + key.sport + key.src) >>> 0;
    }
    records += n;
  }
  await r.close();
  return { records, check };
}

async function oursSync(file: string, key: FrameKey, batch: RecordBatch): Promise<Pass> {
  const r = await CaptureReader.open(file);
  let records = 0;
  let check = 0;
  for (let n; (n = r.readSync(batch)) > 0; ) {
    const buf = batch.buf;
    for (let i = 0; i < n; i++) {
      decodeFrame(buf, batch.offset[i]!, batch.capLen[i]!, batch.linkType[i]!, 4789, key);
      check = (check + key.sport + key.src) >>> 0;
    }
    records += n;
  }
  await r.close();
  return { records, check };
}

function oursMemory(data: Uint8Array, key: FrameKey, batch: RecordBatch): Pass {
  const r = CaptureReader.fromBuffer(data);
  let records = 0;
  let check = 0;
  for (let n; (n = r.readSync(batch)) > 0; ) {
    const buf = batch.buf;
    for (let i = 0; i < n; i++) {
      decodeFrame(buf, batch.offset[i]!, batch.capLen[i]!, batch.linkType[i]!, 4789, key);
      check = (check + key.sport + key.src) >>> 0;
    }
    records += n;
  }
  return { records, check };
}

interface PpParser {
  on(ev: string, f: (p?: unknown) => void): PpParser;
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: string): PpParser };

function viaPcapParser(file: string): Promise<Pass> {
  return new Promise((resolve, reject) => {
    let records = 0;
    pcapParser
      .parse(file)
      .on('packet', () => {
        records++;
      })
      .on('error', (e) => reject(e as Error))
      .on('end', () => resolve({ records, check: 0 }));
  });
}

export async function runReaderBench(frames = 1_000_000, rounds = 3, file = path.join(os.tmpdir(), 'ecmp-bench-reader.pcap')): Promise<ReaderBenchResult> {
  await writeBenchPcap(file, frames);
  const fileBytes = fs.statSync(file).size;
  const data = new Uint8Array(fs.readFileSync(file));
  const key = new FrameKey();
  const batch = new RecordBatch(256);
  const runs: Array<[string, () => Promise<Pass> | Pass]> = [
    ['ecmp-emu read() (async, file)', () => oursAsync(file, key, batch)],
    ['ecmp-emu readSync() (file)', () => oursSync(file, key, batch)],
    ['ecmp-emu fromBuffer (memory)', () => oursMemory(data, key, batch)],
    ['pcap-parser (packet events)', () => viaPcapParser(file)],
  ];
  const results: ReaderBenchRow[] = [];
  for (const [reader, run] of runs) {
    let best = Infinity;
    let records = 0;
    for (let round = 0; round < rounds; round++) {
      const t0 = process.hrtime.bigint();
      const pass = await run();
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (pass.records !== frames) throw new Error(`${reader}: ${pass.records} records, expected ${frames}`);
      records = pass.records;
      best = Math.min(best, s);
    }
    results.push({ reader, seconds: best, mbPerSecond: fileBytes / best / 1e6, mpps: records / best / 1e6, records });
  }
  fs.rmSync(file, { force: true });
  const speedup = results[3]!.seconds / results[0]!.seconds;
  return { file, frames, frameBytes: FRAME, fileBytes, rounds, results, speedup };
}

async function main(): Promise<void> {
  const r = await runReaderBench(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 3));
  console.log(`reader: ${r.frames} frames of ${r.frameBytes} bytes, ${(r.fileBytes / 1e6).toFixed(1)} MB, best of ${r.rounds}`);
  for (const x of r.results) {
    console.log(
      `reader: ${x.reader.padEnd(30)} ${x.seconds.toFixed(3).padStart(7)} s ${x.mbPerSecond.toFixed(0).padStart(6)} MB/s ${x.mpps.toFixed(2).padStart(7)} Mpps`,
    );
  }
  console.log(`reader: ecmp-emu read() + decodeFrame is ${r.speedup.toFixed(1)}x pcap-parser's packet events`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
