// sFlow v5 (issue 14): datagrams built from the specification and read back by tshark's sFlow dissector, a real
// agent (pmacct's sfprobe) captured by tcpdump, replay --sflow and the live collector against both, and a byte
// flipper: malformed datagrams are counted by reason, never thrown, never read past their end.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SflowFeeder } from '../../src/capture/sflow.js';
import { ipv4FillChecksum } from '../../src/wire/ipv4.js';
import { buildSflowDatagram, SFLOW_REASON_NAMES, SflowCounts, walkSflowDatagram, type SflowFlowSampleRepr } from '../../src/wire/sflow.js';
import { haveTool, isRoot, prng } from '../helpers.js';
import { BIN, ROOT, emu } from '../cli/run.js';
import { pcapFile } from '../capture/build.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-sflow-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => path.join(dir, name);
const haveTshark = haveTool('tshark', ['-v']);

/** A client packet as an agent samples it: Ethernet, IPv4, UDP or TCP, `payload` bytes after the L4 header. */
function clientFrame(i: number, payload: number): Uint8Array {
  const tcp = i % 2 === 0;
  const l4 = tcp ? 20 : 8;
  const b = new Uint8Array(14 + 20 + l4 + payload);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ipLen = 20 + l4 + payload;
  b.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, i & 0xff, 0, 0, 64, tcp ? 6 : 17, 0, 0, 10, 0, i >> 8, i & 0xff, 192, 168, 100, 10], 14);
  ipv4FillChecksum(b, 14, 20);
  const sport = 40000 + i;
  const dport = tcp ? 443 : 9999;
  b.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 34);
  if (tcp) b[34 + 12] = 0x50;
  else b.set([(8 + payload) >> 8, (8 + payload) & 0xff], 38);
  return b;
}

/** The datagram as the collector's capture holds it: Ethernet, IPv4 (agent → collector), UDP to `port`. */
function collectorFrame(datagram: Uint8Array, port: number): Uint8Array {
  const b = new Uint8Array(42 + datagram.length);
  b.set([2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8, 0x08, 0x00]);
  const ipLen = 28 + datagram.length;
  b.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 200, 0, 1, 10, 200, 0, 9], 14);
  ipv4FillChecksum(b, 14, 20);
  b.set([0x9c, 0x40, port >> 8, port & 0xff, (8 + datagram.length) >> 8, (8 + datagram.length) & 0xff, 0, 0], 34);
  b.set(datagram, 42);
  return b;
}

interface Built {
  datagrams: Uint8Array[];
  /** per sampled header: protocol, frame length, stripped, header length, sampling rate */
  headers: [number, number, number, number, number][];
}

/** Three datagrams: compact and expanded samples, rates 1 to 2048, Ethernet, IPv4, IPv6 and MPLS headers. */
function specDatagrams(): Built {
  const headers: Built['headers'] = [];
  const sample = (seq: number, rate: number, expanded: boolean, protos: number[]): SflowFlowSampleRepr => ({
    expanded,
    sequence: seq,
    sourceIdIndex: 3,
    samplingRate: rate,
    samplePool: rate * seq,
    input: 1,
    output: 2,
    headers: protos.map((protocol, k) => {
      const i = seq * 4 + k;
      const full = clientFrame(i, (i * 37) % 1400);
      let header = full.subarray(0, Math.min(128, full.length));
      if (protocol === 11) header = full.subarray(14, Math.min(142, full.length)); // IPv4 from its header on
      if (protocol === 12) header = Uint8Array.from([0x60, 0, 0, 0, 0, 8, 17, 64, ...new Array(32).fill(1), 0, 1, 0, 2, 0, 8, 0, 0]);
      if (protocol === 13) header = Uint8Array.from([0, 1, 0x41, 0xff, ...full.subarray(14, 60)]);
      const frameLength = (protocol === 1 ? full.length + 4 : full.length - 14) + (seq % 3);
      const stripped = protocol === 1 ? 4 : 0;
      headers.push([protocol, frameLength, stripped, header.length, rate]);
      return { protocol, frameLength, stripped, header: Uint8Array.from(header) };
    }),
  });
  const datagrams = [
    buildSflowDatagram({ agent: 0x0ac80001, sequence: 1, uptime: 1000, samples: [sample(1, 1, false, [1]), sample(2, 100, false, [1, 11]), sample(3, 2048, true, [1])] }),
    buildSflowDatagram({ agent: 0x0ac80001, sequence: 2, uptime: 2000, samples: [sample(4, 512, true, [11, 1, 12]), sample(5, 10, false, [13, 1])], counterSamples: 2 }),
    buildSflowDatagram({ agent: 0x0ac80002, subAgent: 7, sequence: 1, uptime: 3000, samples: [sample(6, 64, false, [1, 1, 1, 1])] }),
  ];
  return { datagrams, headers };
}

function writeCapture(name: string, datagrams: Uint8Array[], port = 6343, extra: Uint8Array[] = []): string {
  const frames = [...datagrams.map((d) => collectorFrame(d, port)), ...extra];
  fs.writeFileSync(at(name), pcapFile(frames.map((data, i) => ({ data, sec: 1700000000 + i, frac: 0 }))));
  return at(name);
}

/** What our walker hands out for each datagram, in order. */
function walked(datagrams: Uint8Array[]): Built['headers'] {
  const out: Built['headers'] = [];
  const counts = new SflowCounts();
  for (const d of datagrams) {
    const why = walkSflowDatagram(d, 0, d.length, { sampledHeader: (_b, _o, len, protocol, fl, stripped, rate) => out.push([protocol, fl, stripped, len, rate]) }, counts);
    expect(SFLOW_REASON_NAMES[why]).toBe('ok');
  }
  return out;
}

const tsharkFields = (file: string, port: number, fields: string[]): string[][] =>
  execFileSync('tshark', ['-n', '-r', file, '-d', `udp.port==${port},sflow`, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));

const HEADER_FIELDS = ['sflow.flow_sample.sampling_rate', 'sflow_245.header_protocol', 'sflow_245.header.frame_length', 'sflow_245.header.payload_stripped', 'sflow_245.header.sampled_header_length'];

/**
 * tshark's sampled headers of a capture whose samples all have one rate (pmacct's sfprobe: one header per sample):
 * per header [protocol, frame length, stripped, header length, the rate].
 */
function tsharkHeaders(file: string, port: number, rate: number): Built['headers'] {
  const out: Built['headers'] = [];
  for (const row of tsharkFields(file, port, HEADER_FIELDS)) {
    const [rates, protos, fls, stripped, lens] = row.map((c) => (c ? c.split(',').map(Number) : []));
    // a datagram of counter samples only (pmacct sends its first 1-60 s after it starts, at random): no header
    if (rates!.length === 0 && protos!.length === 0) continue;
    expect(new Set(rates)).toEqual(new Set([rate]));
    protos!.forEach((p, k) => out.push([p, fls![k]!, stripped![k]!, lens![k]!, rate]));
  }
  return out;
}

describe.skipIf(!haveTshark)('sFlow v5 datagrams built from the specification, read by tshark', () => {
  const built = specDatagrams();
  const file = writeCapture('spec.pcap', built.datagrams, 6343, [clientFrame(99, 10)]);

  it("tshark's sFlow dissector reads every field as built, with no malformed sample", () => {
    const rows = tsharkFields(file, 6343, ['sflow_245.version', 'sflow_245.agent', 'sflow_245.numsamples', '_ws.malformed', '_ws.expert']);
    expect(rows.slice(0, 3).map((r) => r.slice(0, 3))).toEqual([
      ['5', '10.200.0.1', '3'],
      ['5', '10.200.0.1', '4'],
      ['5', '10.200.0.2', '1'],
    ]);
    for (const r of rows.slice(0, 3)) expect(r.slice(3).join(''), 'malformed or expert info').toBe('');
    const theirs = tsharkFields(file, 6343, HEADER_FIELDS).slice(0, 3);
    const flat = (i: number): number[] => theirs.flatMap((r) => (r[i] ? r[i]!.split(',').map(Number) : []));
    expect(flat(1)).toEqual(built.headers.map((h) => h[0]));
    expect(flat(2)).toEqual(built.headers.map((h) => h[1]));
    expect(flat(3)).toEqual(built.headers.map((h) => h[2]));
    expect(flat(4)).toEqual(built.headers.map((h) => h[3]));
    expect(flat(0)).toEqual([1, 100, 2048, 512, 10, 64]);
  });

  it('our walker hands out the same headers, each with its sample rate', () => {
    expect(walked(built.datagrams)).toEqual(built.headers);
  });

  it('replay --sflow: packets and bytes scaled by the sampling rate, flows as sampled, unusable ones counted', () => {
    const r = emu(['replay', file, '--sflow', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const forwarded = built.headers.filter((h) => h[0] === 1 || h[0] === 11 || h[0] === 12);
    expect(report.packets).toBe(forwarded.reduce((a, h) => a + h[4], 0));
    expect(report.bytes).toBe(forwarded.reduce((a, h) => a + (h[1] - h[2]) * h[4], 0));
    const ipv6 = built.headers.filter((h) => h[0] === 12).reduce((a, h) => a + h[4], 0);
    // The IPv6 header is decoded; the built-in fabric has no IPv6 route for it.
    expect(report.skipped).toEqual({ 'no-route': ipv6, 'sflow-header-protocol': 1, 'not-sflow': 1 });
    expect(report.unrouted).toEqual([{ address: '101:101:101:101:101:101:101:101', flows: 1, packets: ipv6 }]);
    expect(report.flows).toBe(forwarded.length - 1);
    // Announced from a VM, the IPv6 sample is forwarded with its sampling rate.
    const topo = path.join(dir, 'sflow-v6.yaml');
    fs.writeFileSync(topo, fs.readFileSync(path.join(ROOT, 'examples/default.yaml'), 'utf8').replace("announce: [192.168.100.10/32] }", "announce: [192.168.100.10/32, '101:101:101:101:101:101:101:101/128'] }"));
    const v6 = JSON.parse(emu(['replay', file, '--sflow', '--json', '--topology', topo]).stdout);
    expect(v6.skipped).toEqual({ 'sflow-header-protocol': 1, 'not-sflow': 1 });
    expect(v6.packets).toBe(report.packets);
    expect(v6.flows).toBe(report.flows + 1);
    const note = report.warnings.find((w: { kind: string }) => w.kind === 'estimated');
    expect(note.message).toMatch(/estimated from 13 sampled packet headers in 6 flow samples \(3 sFlow datagrams from 10\.200\.0\.1, 10\.200\.0\.2\)/);
    // another port: nothing there is sFlow, and the one-line error says so
    const other = emu(['replay', file, '--sflow', '--sflow-port', '6344']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^ecmp-emu: no sFlow v5 datagram to UDP port 6344 in the capture \(4 other frames\)/);
  });

  it('a capture cut to 400 bytes a frame: the datagrams are read as far as they go, and counted', () => {
    const cut = at('spec-cut.pcap');
    execFileSync('editcap', ['-F', 'pcap', '-s', '400', file, cut], { stdio: 'ignore' });
    const report = JSON.parse(emu(['replay', cut, '--sflow', '--json']).stdout);
    expect(report.skipped['sflow-truncated']).toBe(3);
    expect(report.packets).toBeGreaterThan(0);
  });
});

describe('sFlow: malformed datagrams are counted by reason', () => {
  const sink = (d: Uint8Array) => ({
    sampledHeader(buf: Uint8Array, off: number, len: number) {
      expect(buf).toBe(d);
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off + len).toBeLessThanOrEqual(d.length);
    },
  });

  it('a bad version, agent address type, sample count, length or rate: the reason, after what was whole', () => {
    const d = specDatagrams().datagrams[0]!;
    const reason = (b: Uint8Array, len = b.length): string => SFLOW_REASON_NAMES[walkSflowDatagram(b, 0, len, sink(b), new SflowCounts())]!;
    const patched = (at: number, v: number): Uint8Array => {
      const b = Uint8Array.from(d);
      new DataView(b.buffer).setUint32(at, v);
      return b;
    };
    expect(reason(d)).toBe('ok');
    expect(reason(patched(0, 4))).toBe('sflow-version');
    expect(reason(patched(4, 7))).toBe('sflow-agent-address');
    expect(reason(patched(24, 0xffffffff))).toBe('sflow-truncated'); // 4 billion samples claimed, 3 there
    expect(reason(patched(32, 0xfffffff0))).toBe('sflow-truncated'); // a sample longer than the datagram
    expect(reason(patched(44, 0))).toBe('sflow-bad-sample'); // sampling rate 0
    expect(reason(d, 30)).toBe('sflow-truncated');
    expect(reason(d, 3)).toBe('sflow-truncated');
  });

  it('a byte flipper: every datagram is walked to an answer, no header outside it, nothing thrown', () => {
    const bases = specDatagrams().datagrams;
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.nat({ max: bases.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }), fc.oneof(fc.constant(-1), fc.nat({ max: 800 })), (which, flips, cut) => {
        const b = Uint8Array.from(bases[which]!);
        for (const [pos, v] of flips) b[pos % b.length] = v;
        const len = cut < 0 ? b.length : Math.min(cut, b.length);
        const counts = new SflowCounts();
        const why = walkSflowDatagram(b, 0, len, sink(b), counts);
        seen.add(SFLOW_REASON_NAMES[why]!);
        expect(counts.headers).toBeLessThanOrEqual(len / 24);
      }),
      { seed: 6343, numRuns: 20000 },
    );
    expect([...seen].sort()).toEqual(['ok', 'sflow-agent-address', 'sflow-bad-sample', 'sflow-truncated', 'sflow-version']);
  });

  it('SflowFeeder counts what it could not use, and scales what it forwards', () => {
    const frames: number[][] = [];
    const feeder = new SflowFeeder({ processFrame: (_b, _o, capLen, origLen, linkType, _s, _n, weight) => frames.push([capLen, origLen, linkType, weight]) });
    const rand = prng(1);
    for (const d of specDatagrams().datagrams) feeder.datagram(d, 0, d.length, 1, 0);
    const junk = Uint8Array.from({ length: 100 }, () => Math.floor(rand() * 256));
    feeder.datagram(junk, 0, junk.length, 2, 0);
    expect(frames).toHaveLength(12); // 13 headers, one MPLS
    expect(frames.map((f) => f[2])).toContain(229);
    expect(feeder.estimatedPackets).toBe(frames.reduce((a, f) => a + f[3]!, 0));
    expect(feeder.skipped()).toEqual({ 'sflow-version': 1, 'sflow-header-protocol': 1 });
    expect([feeder.counts.datagrams, feeder.counts.flowSamples, feeder.counts.counterSamples, feeder.counts.headers]).toEqual([3, 6, 2, 13]);
  });
});

/** A free UDP port from this process's pid, so concurrent runs do not collide. */
const basePort = 20000 + ((process.pid * 7) % 20000);

function startCollector(port: number, seconds: number): Promise<{ done: Promise<{ code: number; stdout: string; stderr: string }>; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'collect', '--sflow-port', String(port), '--bind', '127.0.0.1', '--duration', String(seconds), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${stderr}`)), 15_000);
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('listening on udp')) {
        clearTimeout(timer);
        resolve({ done, child });
      }
    });
  });
}

describe('collect --sflow-port: a live collector on 127.0.0.1', () => {
  it('gives the report replay --sflow gives for the same datagrams', async () => {
    const port = basePort;
    const built = specDatagrams();
    const { done } = await startCollector(port, 3);
    const socket = dgram.createSocket('udp4');
    for (const d of built.datagrams) await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    socket.close();
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 sFlow datagrams from 2 agents, 13 sampled headers, \d+ flows forwarded \(duration elapsed\)/);
    const live = JSON.parse(r.stdout);
    const file = writeCapture('live-equivalent.pcap', built.datagrams);
    const replayed = JSON.parse(emu(['replay', file, '--sflow', '--json']).stdout);
    expect(live).toEqual(replayed);
  }, 30_000);

  it('refuses a port already in use with one line', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(basePort + 1, '127.0.0.1', () => resolve()));
    const r = emu(['collect', '--sflow-port', String(basePort + 1), '--bind', '127.0.0.1', '--duration', '1']);
    socket.close();
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`ecmp-emu: UDP port already in use (127.0.0.1:${basePort + 1})`);
  });
});

const havePmacct = haveTshark && isRoot() && haveTool('pmacctd', ['-V']) && haveTool('tcpdump');

describe.skipIf(!havePmacct)("a real sFlow agent: pmacct's sfprobe, captured by tcpdump and collected live", () => {
  it('replay --sflow of the capture and collect agree with tshark, and scale by the sampling rate', async () => {
    const port = basePort + 2;
    const trace = at('traffic.pcap');
    expect(emu(['generate', '--out', trace, '--flows', '60', '--packets', '600', '--proto', 'mix', '--seed', '14']).code).toBe(0);
    const conf = at('sfprobe.conf');
    fs.writeFileSync(conf, `daemonize: false\npcap_savefile: ${trace}\nplugins: sfprobe\nsfprobe_receiver: 127.0.0.1:${port}\nsampling_rate: 4\nsfprobe_agentip: 10.200.0.7\n`);
    const capture = at('sflow-capture.pcap');
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '-w', capture, `udp dst port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => tcpdump.stderr.on('data', (c: Buffer) => c.toString().includes('listening on') && resolve()));
    const { done, child: collector } = await startCollector(port, 60);
    // pmacctd reads the savefile after a 2-second pause, sends, and may stay until killed. On a loaded machine that
    // pause and the sending take longer: wait until tcpdump's file has grown and then stood still for 1.5 s (at most
    // 30 s), rather than for a fixed time, then stop the agent, tcpdump and the collector.
    // Its own process group: pmacctd forks the sfprobe plugin, which a kill of pmacctd alone would leave running
    // (sending counter samples every 60 s, to whatever listens on this port next).
    const agent = spawn('pmacctd', ['-f', conf], { stdio: 'ignore', detached: true });
    const agentGone = new Promise((resolve) => agent.on('exit', resolve));
    const size = (): number => (fs.existsSync(capture) ? fs.statSync(capture).size : 0);
    for (let last = -1, still = 0, t0 = Date.now(); Date.now() - t0 < 30_000 && still < 1500; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = size();
      still = now > 24 && now === last ? still + 250 : 0;
      last = now;
    }
    try {
      process.kill(-agent.pid!, 'SIGKILL');
    } catch (e) {
      // the group is empty: pmacctd may leave on its own once the savefile is sent, and its plugin with it
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
    await agentGone;
    await new Promise((resolve) => setTimeout(resolve, 200));
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.on('close', resolve));
    collector.kill('SIGINT');
    const live = await done;
    expect(live.code, live.stderr).toBe(0);

    // tshark's reading of the capture: every sampled header, with its sample's rate
    const theirs = tsharkHeaders(capture, port, 4);
    expect(theirs.length).toBeGreaterThan(50);
    const replayed = JSON.parse(emu(['replay', capture, '--sflow', '--sflow-port', String(port), '--json']).stdout);
    expect(replayed.packets).toBe(theirs.reduce((a, h) => a + h[4], 0));
    expect(replayed.bytes).toBe(theirs.reduce((a, h) => a + (h[1] - h[2]) * h[4], 0));
    expect(replayed.warnings[0].message).toMatch(/from 10\.200\.0\.7/);
    // the collector saw the same datagrams the capture holds
    expect(JSON.parse(live.stdout)).toEqual(replayed);
  }, 60_000);
});
