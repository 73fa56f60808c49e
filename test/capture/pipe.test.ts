// Standard input and output: `writer to stdout | reader from stdin` for large outputs (a full, non-blocking pipe
// included), and stdin redirected from a file.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileSources } from './child.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-pipe-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let gen = '';
let count = '';

beforeAll(() => {
  const src = transpileSources(tmp);
  gen = path.join(tmp, 'gen.mjs');
  count = path.join(tmp, 'count.mjs');
  // Writes N 76-byte UDP frames with reserve/commit straight into the writer's buffer, to a file or stdout.
  fs.writeFileSync(
    gen,
    `import { PcapWriter } from '${src}/capture/writer.js';
import { writeEthernet } from '${src}/wire/ethernet.js';
import { writeIpv4Header } from '${src}/wire/ipv4.js';
import { writeUdpHeader } from '${src}/wire/udp.js';
import * as fs from 'node:fs';
const [n, out, touch] = [Number(process.argv[2]), process.argv[3], process.argv[4] === 'touch'];
let nonblocking = 'unknown';
if (touch) {
  // Node makes a stdout pipe non-blocking once process.stdout is used: the writer must ride out EAGAIN.
  process.stdout;
  const flags = fs.readFileSync('/proc/self/fdinfo/1', 'utf8').match(/flags:\\s*(\\d+)/)[1];
  nonblocking = (parseInt(flags, 8) & 0o4000) !== 0;
}
const w = await PcapWriter.open(out, { bufferSize: 1 << 16 });
for (let i = 0; i < n; i++) {
  const at = w.reserve(76);
  let p = writeEthernet(w.buf, at, 0x0200, 2, 0x0200, 1, 0x0800);
  p = writeIpv4Header(w.buf, p, 0, 62, i & 0xffff, 0, 64, 17, 0x0a000000 + (i & 0xffff), 0xc0a8640a);
  p = writeUdpHeader(w.buf, p, 1024 + (i % 50000), 443, 42, 0);
  w.buf.fill(0x61, p, at + 76);
  w.commit(76, 76, 1700000000 + Math.floor(i / 1000), (i % 1000) * 1000000);
  if ((i & 255) === 255) await w.drain();
}
await w.close();
process.stderr.write(JSON.stringify({ nonblocking }) + '\\n');
`,
  );
  // Reads a capture (path or '-'), decodes every frame, prints the count and sums that pin the contents.
  fs.writeFileSync(
    count,
    `import { CaptureReader, RecordBatch } from '${src}/capture/reader.js';
import { decodeFrame, FrameKey } from '${src}/wire/decode.js';
const r = await CaptureReader.open(process.argv[2], { chunkSize: Number(process.argv[3] ?? 4194304) });
const batch = new RecordBatch();
const key = new FrameKey();
let records = 0, sportSum = 0, srcXor = 0, tsSum = 0, ok = 0;
for (let n; (n = await r.read(batch)) > 0; ) {
  for (let i = 0; i < n; i++) {
    decodeFrame(batch.buf, batch.offset[i], batch.capLen[i], batch.linkType[i], 4789, key);
    records++;
    if (key.reason === 0) ok++;
    sportSum += key.sport;
    srcXor = (srcXor ^ key.src) >>> 0;
    tsSum += batch.tsNsec[i] / 1e6;
  }
}
await r.close();
console.log(JSON.stringify({ format: r.format, records, ok, sportSum, srcXor, tsSum, bytesRead: r.bytesRead }));
`,
  );
});

function expected(n: number): { records: number; ok: number; sportSum: number; srcXor: number; tsSum: number } {
  let sportSum = 0;
  let srcXor = 0;
  let tsSum = 0;
  for (let i = 0; i < n; i++) {
    sportSum += 1024 + (i % 50000);
    srcXor = (srcXor ^ (0x0a000000 + (i & 0xffff))) >>> 0;
    tsSum += i % 1000;
  }
  return { records: n, ok: n, sportSum, srcXor, tsSum };
}

const bash = (script: string): { stdout: string; stderr: string; status: number | null } => {
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
};

describe('standard output to standard input', () => {
  it('writer to stdout | reader from stdin: 400,000 frames (~36 MB) arrive intact', () => {
    const n = 400_000;
    const r = bash(`set -o pipefail; node ${gen} ${n} - | node ${count} -`);
    expect(r.stderr.replace(/\{"nonblocking":"unknown"\}\n/, '')).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'pcap', ...expected(n), bytesRead: 24 + n * (16 + 76) });
  });

  it('through a non-blocking stdout pipe whose reader starts late (EAGAIN), with a small chunk buffer', () => {
    const n = 150_000;
    const r = bash(`set -o pipefail; node ${gen} ${n} - touch | (sleep 1; node ${count} - 70000)`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stderr.trim())).toEqual({ nonblocking: true });
    expect(JSON.parse(r.stdout)).toMatchObject(expected(n));
  });

  it('a reader that goes away gives the writer a one-line broken-pipe error, not a hang', () => {
    const r = bash(`node ${gen} 200000 - | head -c 1000 > /dev/null; echo "status \${PIPESTATUS[0]}"`);
    expect(r.stdout.trim()).toBe('status 1');
    expect(r.stderr).toMatch(/output closed by its reader \(broken pipe\)/);
  });

  it('stdin redirected from a file, and a file by path', () => {
    const f = path.join(tmp, 'gen.pcap');
    execFileSync('node', [gen, '5000', f]);
    const viaRedirect = JSON.parse(bash(`node ${count} - < ${f}`).stdout);
    const viaPath = JSON.parse(execFileSync('node', [count, f], { encoding: 'utf8' }));
    expect(viaRedirect).toMatchObject(expected(5000));
    expect(viaPath).toEqual(viaRedirect);
  });

  it('a non-capture on stdin is an EmuError naming stdin', () => {
    const r = bash(`echo 'not a capture file' | node ${count} -`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/EmuError: not a pcap or pcapng file \(magic 0x20746f6e\) \(stdin: byte 0\)/);
  });
});
