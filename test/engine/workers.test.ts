// replay --workers: several engines give exactly the one-engine report (every field, byte for byte as JSON) and the
// same per-flow CSV; Ctrl-C still prints the report of what was read. Workers run the built dist/ (npm test builds).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DUAL_STACK_YAML, benchCaptureBuffer, writeBenchCapture } from '../../bench/captures.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { writeFlowsCsv } from '../../src/analysis/flows-csv.js';
import { replayCapture } from '../../src/engine/replay.js';
import { SMALL_INPUT_BYTES, defaultWorkers, replayParallel, startReplayWorkers } from '../../src/engine/workers.js';
import { renderJson } from '../../src/report/index.js';
import { BIN, ROOT, emu } from '../cli/run.js';
import { haveTool, waitFor } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Client frames over 3000 flows, with one frame in 7 something else: underlay VXLAN to leaf-3 (known and unknown
// VNI), ARP, a frame cut short, a client frame with no route.
const MIXED = join(dir, 'mixed.pcap');
writeFileSync(MIXED, benchCaptureBuffer({ packets: 60_000, flows: 3000, mixEvery: 7, seed: 7 }));

function flowsCsv(engine: Parameters<typeof writeFlowsCsv>[0]): string {
  const f = join(dir, `flows-${Math.random().toString(36).slice(2)}.csv`);
  writeFlowsCsv(engine, f);
  return readFileSync(f, 'utf8');
}

describe('replay on several engines equals one engine', () => {
  const fabric = converge(loadTopology());

  it('the capture has every kind of frame the merge must keep apart', async () => {
    const { report } = await replayCapture(MIXED, fabric);
    expect(report.packets).toBe(60_000);
    for (const reason of ['not-ipv4', 'truncated', 'no-route', 'unknown-vni']) expect(report.skipped[reason]).toBeGreaterThan(0);
    expect(report.vteps.find((v) => v.name === 'leaf-3')!.flows).toBeGreaterThan(report.vteps.find((v) => v.name === 'leaf-1')!.flows);
  });

  it('workers 1, 2 and 3 (reader runs or copied chunks) give the single-threaded JSON and flows CSV exactly, with the workers taking chunks', async () => {
    const single = await replayCapture(MIXED, fabric);
    const json = renderJson(single.report);
    const csv = flowsCsv(single.engine);
    for (const [workers, runs] of [[1, true], [2, true], [3, true], [2, false], [3, false]] as const) {
      // runs: workers walk the reader's own shared buffers (classic pcap); false: records copied into shared chunks
      // (pcapng, standard input). Small chunks and waiting for the workers make many units spread over every engine; with 3000 flows, most
      // are first seen by one engine in a later chunk than the one where another engine met them: only merging in
      // stream order gives the single engine's flow order (a merge by engine fails this test).
      const r = await replayParallel(MIXED, fabric, { workers, runs, readBufferBytes: 64 << 10, chunkRecords: 700, chunkDataBytes: 64 << 10, awaitWorkers: true });
      expect(r.unitsByEngine).toHaveLength(workers);
      for (let w = 1; w < workers; w++) expect(r.unitsByEngine[w], `worker ${w - 1} took chunks`).toBeGreaterThan(0);
      expect(r.packetsByEngine.reduce((a, b) => a + b, 0)).toBe(60_000);
      expect(r.interrupted).toBe(false);
      expect(renderJson(r.report)).toBe(json);
      expect(flowsCsv(r.engine)).toBe(csv);
      expect(r.engine.flows.size).toBe(single.engine.flows.size);
    }
  });

  it.runIf(haveTool('editcap', ['-h']))('pcapng (records copied into shared chunks) gives the single-threaded result too', async () => {
    const ng = join(dir, 'mixed.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', MIXED, ng]);
    const single = await replayCapture(ng, fabric);
    expect(single.report.packets).toBe(60_000);
    for (const workers of [2, 3]) {
      // 1 MiB reads: some batches span more than a chunk's data bytes and stay on the main thread, after the
      // open chunk (which must go first: this failed when it did not). Only the few small batches at the ends of
      // reads go to chunks, about 7, and the main thread sees a worker's reply only between reads: that every worker
      // still takes one is the ring of ties (leastBusy in workers.ts). With ties to the first worker, the third
      // took none in 3 of 8 runs.
      const r = await replayParallel(ng, fabric, { workers, chunkRecords: 500, chunkDataBytes: 48 << 10, readBufferBytes: 1 << 20, awaitWorkers: true });
      for (let w = 1; w < workers; w++) expect(r.unitsByEngine[w], `worker ${w - 1} took chunks`).toBeGreaterThan(0);
      expect(renderJson(r.report)).toBe(renderJson(single.report));
      expect(flowsCsv(r.engine)).toBe(flowsCsv(single.engine));
    }
  });

  it('IPv6 and mixed captures on a dual-stack fabric (IPv6 underlay, flow labels hashed or not): workers 2 and 3 give one engine exactly', async () => {
    const dual = [DUAL_STACK_YAML, DUAL_STACK_YAML.replace('ingress:', 'defaults: { hash: { algorithm: linux-l3 } }\ningress:')].map((y) => converge(parseTopology(y, 'dual.yaml')));
    for (const ipv6 of ['all', 'mixed'] as const) {
      const file = join(dir, `v6-${ipv6}.pcap`);
      writeFileSync(file, benchCaptureBuffer({ packets: 40_000, flows: 3000, mixEvery: 7, seed: 9, ipv6 }));
      for (const f of dual) {
        const single = await replayCapture(file, f);
        const json = renderJson(single.report);
        const csv = flowsCsv(single.engine);
        expect(csv).toContain('2001:db8:100::10');
        expect(single.report.unrouted.map((u) => u.address)).toContain('2001:db8:dead::1');
        for (const [workers, runs] of [[2, true], [3, true], [2, false]] as const) {
          const r = await replayParallel(file, f, { workers, runs, readBufferBytes: 64 << 10, chunkRecords: 700, chunkDataBytes: 64 << 10, awaitWorkers: true });
          for (let w = 1; w < workers; w++) expect(r.unitsByEngine[w], `worker ${w - 1} took chunks`).toBeGreaterThan(0);
          expect(renderJson(r.report)).toBe(json);
          expect(flowsCsv(r.engine)).toBe(csv);
        }
      }
    }
  });

  it('the CLI prints the same JSON and flows CSV for --workers 1, 2, 3 and the default', () => {
    const path = join(dir, 'cli.pcap');
    writeBenchCapture(path, { packets: 200_000, flows: 20_000, mixEvery: 11, seed: 11 });
    const outs = ['1', '2', '3', undefined].map((w) => {
      const csv = join(dir, `cli-${w ?? 'default'}.csv`);
      const r = emu(['replay', path, '--json', '--flows-csv', csv, ...(w ? ['--workers', w] : [])]);
      expect(r.code, r.stderr).toBe(0);
      return { json: r.stdout, csv: readFileSync(csv, 'utf8') };
    });
    expect(JSON.parse(outs[0]!.json).packets).toBe(200_000);
    for (const o of outs.slice(1)) {
      expect(o.json).toBe(outs[0]!.json);
      expect(o.csv).toBe(outs[0]!.csv);
    }
  });

  it('defaults to one engine per core, but one for stdin, small files and --write', () => {
    expect(defaultWorkers('-', undefined, false)).toBe(1);
    expect(defaultWorkers('x.pcap', SMALL_INPUT_BYTES - 1, false)).toBe(1);
    expect(defaultWorkers('x.pcap', SMALL_INPUT_BYTES, true)).toBe(1);
    expect(defaultWorkers('x.pcap', SMALL_INPUT_BYTES, false)).toBeGreaterThanOrEqual(1);
  });

  it('workers started early: used when the replay can use them, stopped when it cannot (no thread is left behind)', async () => {
    const single = await replayCapture(MIXED, fabric);
    // Used: the pool's worker takes runs.
    const used = startReplayWorkers(1);
    const r = await replayParallel(MIXED, fabric, { workers: 2, pool: used, readBufferBytes: 64 << 10, awaitWorkers: true });
    expect(r.unitsByEngine[1]).toBeGreaterThan(0);
    expect(renderJson(r.report)).toBe(renderJson(single.report));
    // Not usable: a fabric converged with a failure (workers converge the topology afresh), and --write.
    const failedFabric = converge(loadTopology(), { failed: ['VM-A'] });
    for (const [f, extra] of [[failedFabric, {}], [fabric, { write: join(dir, 'pool-write.pcap') }]] as const) {
      const pool = startReplayWorkers(2);
      const exits = pool.slots.map((s) => new Promise<number>((resolve) => s.worker.once('exit', resolve)));
      const out = await replayParallel(MIXED, f, { workers: 3, pool, ...extra });
      expect(out.report.packets).toBe(60_000);
      expect(out.unitsByEngine).toHaveLength(1); // one engine: the main thread's
      await Promise.all(exits);
    }
  });

  it('a bad topology with workers: the one-line error, and the process does not wait for the workers', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'leaves: [');
    const t0 = Date.now();
    const r = emu(['replay', MIXED, '--json', '--workers', '2', '--topology', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(bad);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  it('--write with --workers 2 runs on one engine and says so; the frames written equal those of one worker', () => {
    const a = join(dir, 'w1.pcap');
    const b = join(dir, 'w2.pcap');
    const r1 = emu(['replay', MIXED, '--json', '--write', a, '--workers', '1']);
    const r2 = emu(['replay', MIXED, '--json', '--write', b, '--workers', '2']);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    expect(r2.stderr).toContain('--write replays on one thread');
    expect(r2.stdout).toBe(r1.stdout);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
  });

  it('Ctrl-C with workers prints the report of the frames read so far', async () => {
    // Standard input, fed in two parts, each once the replay has read the one before (its ECMP_EMU_DEBUG_READS
    // line): the reader is waiting for more input when the signal comes, so the interruption is deterministic.
    const whole = benchCaptureBuffer({ packets: 400_000, flows: 5000, seed: 5 });
    const half = 24 + 200_000 * 92; // every frame is 92 bytes with its record header
    const child = spawn(process.execPath, [BIN, 'replay', '-', '--json', '--workers', '2'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ECMP_EMU_DEBUG_WORKERS: '1', ECMP_EMU_DEBUG_READS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin.write(whole.subarray(0, 24 + 100_000 * 92));
    await waitFor(child, /read 100000 records/);
    child.stdin.write(whole.subarray(24 + 100_000 * 92, half));
    await waitFor(child, /read 200000 records/);
    child.kill('SIGINT');
    const code = await exited;
    child.stdin.destroy();
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as { packets: number; bytes: number };
    expect(report.packets).toBe(200_000);
    expect(report.bytes).toBe(200_000 * 76);
    expect(stderr).toContain('interrupted; the report covers the 200000 frames read');
    const perEngine = /frames per engine (\d+),(\d+)/.exec(stderr);
    expect(perEngine, stderr).not.toBeNull();
    expect(Number(perEngine![1]) + Number(perEngine![2])).toBe(200_000);
  }, 60_000);
});
