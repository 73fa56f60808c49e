// The tshark oracle: what tshark reports per frame, and a comparison of our reader + decoder against it.

import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { decodeFrame, FrameKey, REASON_NAMES, REASON_NOT_IPV4, REASON_OK } from '../../src/wire/decode.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';

const FIELDS = [
  'frame.time_epoch',
  'frame.cap_len',
  'frame.len',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.ttl',
  'ip.len',
  'udp.srcport',
  'udp.dstport',
  'tcp.srcport',
  'tcp.dstport',
  'vxlan.vni',
] as const;
type Field = (typeof FIELDS)[number];
export type TsharkRow = Record<Field, string[]>;

/** tshark's fields for every frame of `file` (all occurrences of each, in order), IP reassembly off. */
export function tsharkRows(file: string): TsharkRow[] {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', file, '-o', 'ip.defragment:FALSE', '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      const row = {} as TsharkRow;
      FIELDS.forEach((f, i) => {
        const v = cols[i] ?? '';
        row[f] = v === '' ? [] : v.split(',');
      });
      return row;
    });
}

interface Ours {
  sec: number;
  nsec: number;
  capLen: number;
  origLen: number;
  linkType: number;
  key: FrameKey;
}

/** Our reader and decoder over `file`: one entry per record, the key copied. */
export async function ourRows(file: string, vxlanPort = 4789): Promise<Ours[]> {
  const r = await CaptureReader.open(file);
  const batch = new RecordBatch(64);
  const rows: Ours[] = [];
  while ((await r.read(batch)) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const key = new FrameKey();
      decodeFrame(batch.buf, batch.offset[i]!, batch.capLen[i]!, batch.linkType[i]!, vxlanPort, key);
      rows.push({ sec: batch.tsSec[i]!, nsec: batch.tsNsec[i]!, capLen: batch.capLen[i]!, origLen: batch.origLen[i]!, linkType: batch.linkType[i]!, key });
    }
  }
  await r.close();
  return rows;
}

const num = (s: string | undefined): number => (s === undefined ? NaN : Number(s));
const isFragment = (t: TsharkRow, i: number): boolean => t['ip.flags.mf'][i] === '1' || num(t['ip.frag_offset'][i]) > 0;

/** Whether tshark saw a whole key for IP occurrence `i` (its L4 ports come from `udpIdx`/`tcpIdx`). */
function tsharkKey(t: TsharkRow, i: number, udpIdx: number, tcpIdx: number): { src: string; dst: string; proto: number; sport: number; dport: number; fragment: boolean } | undefined {
  const src = t['ip.src'][i];
  const dst = t['ip.dst'][i];
  const proto = num(t['ip.proto'][i]);
  if (src === undefined || dst === undefined || Number.isNaN(proto)) return undefined;
  const fragment = isFragment(t, i);
  let sport = 0;
  let dport = 0;
  if (!fragment && (proto === 17 || proto === 6)) {
    const s = proto === 17 ? t['udp.srcport'][udpIdx] : t['tcp.srcport'][tcpIdx];
    const d = proto === 17 ? t['udp.dstport'][udpIdx] : t['tcp.dstport'][tcpIdx];
    if (s === undefined || d === undefined) return undefined;
    sport = num(s);
    dport = num(d);
  }
  return { src, dst, proto, sport, dport, fragment };
}

/** Compares our reader and decoder with tshark frame by frame: timestamps, lengths, keys, VXLAN and inner keys. */
export async function expectSameAsTshark(file: string, label = file): Promise<number> {
  const theirs = tsharkRows(file);
  const ours = await ourRows(file);
  expect(ours.length, `${label}: frame count`).toBe(theirs.length);
  ours.forEach((o, n) => {
    const t = theirs[n]!;
    const at = `${label} frame ${n + 1}`;
    const [secText, fracText = ''] = t['frame.time_epoch'][0]!.split('.');
    expect([o.sec, o.nsec], `${at}: time`).toEqual([Number(secText), Number(fracText.padEnd(9, '0'))]);
    expect([o.capLen, o.origLen], `${at}: lengths`).toEqual([num(t['frame.cap_len'][0]), num(t['frame.len'][0])]);
    const k = o.key;
    const outer = tsharkKey(t, 0, 0, 0);
    const vxlanPort = outer && outer.proto === 17 && !outer.fragment && outer.dport === 4789;
    const complete = outer !== undefined && (!vxlanPort || t['vxlan.vni'].length > 0);
    if (!complete) {
      expect(k.reason, `${at}: tshark has no whole key, ours says ${REASON_NAMES[k.reason]}`).not.toBe(REASON_OK);
      if (k.reason === REASON_NOT_IPV4) expect(t['ip.src'], `${at}: not IPv4`).toEqual([]);
      return;
    }
    expect(REASON_NAMES[k.reason], at).toBe('ok');
    expect(
      { src: formatIpv4(k.src), dst: formatIpv4(k.dst), proto: k.proto, sport: k.sport, dport: k.dport, fragment: k.fragment },
      `${at}: key`,
    ).toEqual(outer);
    expect([k.ttl, k.ipTotalLength], `${at}: ttl, total length`).toEqual([num(t['ip.ttl'][0]), num(t['ip.len'][0])]);
    expect(k.vxlan, `${at}: vxlan`).toBe(t['vxlan.vni'].length > 0);
    if (!k.vxlan) return;
    expect(k.vni, `${at}: vni`).toBe(num(t['vxlan.vni'][0]));
    // Inner: IP occurrence 2; its UDP ports are UDP occurrence 2 (the outer UDP is the first), TCP occurrence 1.
    const inner = tsharkKey(t, 1, 1, 0);
    if (inner === undefined) {
      expect(k.innerReason, `${at}: inner`).not.toBe(REASON_OK);
      return;
    }
    expect(REASON_NAMES[k.innerReason], `${at}: inner reason`).toBe('ok');
    expect(
      { src: formatIpv4(k.innerSrc), dst: formatIpv4(k.innerDst), proto: k.innerProto, sport: k.innerSport, dport: k.innerDport, fragment: k.innerFragment },
      `${at}: inner key`,
    ).toEqual(inner);
  });
  return ours.length;
}
