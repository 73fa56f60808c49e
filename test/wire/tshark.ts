// The tshark oracle: what tshark reports per frame, and a comparison of our reader + decoder against it.

import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { CaptureReader, RecordBatch } from '../../src/capture/reader.js';
import { decodeFrame, FrameKey, REASON_NAMES, REASON_NOT_IP, REASON_OK } from '../../src/wire/decode.js';
import { formatIpv4 } from '../../src/wire/ipv4.js';
import { formatIpv6 } from '../../src/wire/ipv6.js';

const FIELDS = [
  'frame.time_epoch',
  'frame.protocols',
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
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'ipv6.flow',
  'ipv6.hlim',
  'ipv6.plen',
  'ipv6.hopopts.nxt',
  'ipv6.routing.nxt',
  'ipv6.dstopts.nxt',
  'ipv6.fraghdr.nxt',
  'ipv6.fraghdr.ident',
  'ah.spi',
  'esp.spi',
] as const;
type Field = (typeof FIELDS)[number];
export type TsharkRow = Record<Field, string[]>;

/** tshark's fields for every frame of `file` (all occurrences of each, in order), IP reassembly off. */
export function tsharkRows(file: string): TsharkRow[] {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])],
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

export interface TsharkKey {
  family: 4 | 6;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  fragment: boolean;
  flowLabel: number;
  ttl: number;
  length: number;
}

/** An IP layer of a frame as tshark's frame.protocols lists it: its family, and where each field's occurrences stand. */
interface IpLayer {
  v6: boolean;
  /** occurrences of each protocol name before this layer (so its own ip/ipv6 index, its udp/tcp indices) */
  seen: Map<string, number>;
  /** the protocol names after it, up to the next Ethernet or IP layer */
  tail: string[];
}

/** The IP layers of a frame, in order (the outer first; a VXLAN frame's inner one next). */
function ipLayers(t: TsharkRow): IpLayer[] {
  const names = (t['frame.protocols'][0] ?? '').split(':');
  const seen = new Map<string, number>();
  const out: IpLayer[] = [];
  let open: IpLayer | undefined;
  for (const name of names) {
    if (name === 'ip' || name === 'ipv6') {
      open = { v6: name === 'ipv6', seen: new Map(seen), tail: [] };
      out.push(open);
    } else if (name === 'eth') open = undefined;
    else open?.tail.push(name);
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  return out;
}

const EXTENSIONS = ['ipv6.hopopts', 'ipv6.routing', 'ipv6.dstopts'];

/**
 * The key tshark's dissection gives IP layer `i` of the frame, as Linux's flow dissector reads it (SPEC §3): for IPv6
 * past hop-by-hop, routing and destination options, stopping at a fragment header (its next header, ports 0), at AH
 * (51, the SPI as ports) and ESP (50, the SPI). Undefined when tshark saw no whole key.
 */
function tsharkKey(t: TsharkRow, i: number): TsharkKey | undefined {
  const layer = ipLayers(t)[i];
  if (layer === undefined) return undefined;
  const at = (name: string): number => layer.seen.get(name) ?? 0;
  const ports = (proto: 'udp' | 'tcp', c: Map<string, number>): [number, number] | undefined => {
    const s = t[`${proto}.srcport`][c.get(proto) ?? 0];
    const d = t[`${proto}.dstport`][c.get(proto) ?? 0];
    return s === undefined || d === undefined ? undefined : [num(s), num(d)];
  };
  if (!layer.v6) {
    const n = at('ip');
    const src = t['ip.src'][n];
    const dst = t['ip.dst'][n];
    const proto = num(t['ip.proto'][n]);
    if (src === undefined || dst === undefined || Number.isNaN(proto)) return undefined;
    const fragment = isFragment(t, n);
    let sport = 0;
    let dport = 0;
    if (!fragment && (proto === 17 || proto === 6)) {
      const p = ports(proto === 17 ? 'udp' : 'tcp', layer.seen);
      if (p === undefined) return undefined;
      [sport, dport] = p;
    }
    return { family: 4, src, dst, proto, sport, dport, fragment, flowLabel: 0, ttl: num(t['ip.ttl'][n]), length: num(t['ip.len'][n]) };
  }
  const n = at('ipv6');
  const src = t['ipv6.src'][n];
  const dst = t['ipv6.dst'][n];
  if (src === undefined || dst === undefined) return undefined;
  const c = new Map(layer.seen);
  const count = (name: string): number => {
    const k = c.get(name) ?? 0;
    c.set(name, k + 1);
    return k;
  };
  let next = num(t['ipv6.nxt'][n]);
  let proto = NaN;
  let sport = 0;
  let dport = 0;
  let fragment = false;
  const spi = (field: 'ah.spi' | 'esp.spi', k: number): boolean => {
    const v = t[field][k];
    if (v === undefined) return false;
    sport = num(v) >>> 16;
    dport = num(v) & 0xffff;
    return true;
  };
  // A snapped frame whose dissection ends in an extension header may end inside it (tshark shows the header's first
  // fields all the same): no whole key. A fragment header is whole when its last field, the identification, is there.
  const snapped = num(t['frame.cap_len'][0]) < num(t['frame.len'][0]);
  const last = layer.tail[layer.tail.length - 1];
  if (snapped && last !== undefined && EXTENSIONS.includes(last)) return undefined;
  let fromNext = true;
  for (const name of layer.tail) {
    if (EXTENSIONS.includes(name)) {
      next = num(t[`${name}.nxt` as Field][count(name)]);
      continue;
    }
    fromNext = false;
    if (name === 'ipv6.fraghdr') {
      const k = count(name);
      if (t['ipv6.fraghdr.ident'][k] === undefined) return undefined;
      proto = num(t['ipv6.fraghdr.nxt'][k]);
      fragment = true;
    } else if (name === 'ah') {
      proto = 51;
      if (!spi('ah.spi', count(name))) return undefined;
    } else if (name === 'esp') {
      proto = 50;
      if (!spi('esp.spi', count(name))) return undefined;
    } else if (name === 'udp' || name === 'tcp') {
      proto = name === 'udp' ? 17 : 6;
      const p = ports(name, c);
      if (p === undefined) return undefined;
      [sport, dport] = p;
    } else {
      proto = next;
      fromNext = true;
    }
    break;
  }
  if (fromNext) proto = next;
  // An extension header, AH or ESP named but not dissected: the capture ends inside it.
  if (Number.isNaN(proto) || (fromNext && [0, 43, 44, 60, 51, 50].includes(proto))) return undefined;
  const flowLabel = num(t['ipv6.flow'][n]);
  return { family: 6, src, dst, proto, sport, dport, fragment, flowLabel, ttl: num(t['ipv6.hlim'][n]), length: 40 + num(t['ipv6.plen'][n]) };
}

/** Our key of the outer (inner = false) or inner packet in tshark's terms. */
export function ourKey(k: FrameKey, inner: boolean): Omit<TsharkKey, 'ttl' | 'length'> {
  const v6 = (inner ? k.innerFamily : k.family) === 6;
  const addr = (v4: number, words: Uint32Array): string => (v6 ? formatIpv6(words) : formatIpv4(v4));
  return inner
    ? { family: v6 ? 6 : 4, src: addr(k.innerSrc, k.innerSrc6), dst: addr(k.innerDst, k.innerDst6), proto: k.innerProto, sport: k.innerSport, dport: k.innerDport, fragment: k.innerFragment, flowLabel: k.innerFlowLabel }
    : { family: v6 ? 6 : 4, src: addr(k.src, k.src6), dst: addr(k.dst, k.dst6), proto: k.proto, sport: k.sport, dport: k.dport, fragment: k.fragment, flowLabel: k.flowLabel };
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
    const outer = tsharkKey(t, 0);
    const vxlanPort = outer && outer.proto === 17 && !outer.fragment && outer.dport === 4789;
    const complete = outer !== undefined && (!vxlanPort || t['vxlan.vni'].length > 0);
    if (!complete) {
      expect(k.reason, `${at}: tshark has no whole key, ours says ${REASON_NAMES[k.reason]}`).not.toBe(REASON_OK);
      if (k.reason === REASON_NOT_IP) expect([...t['ip.src'], ...t['ipv6.src']], `${at}: not IP`).toEqual([]);
      return;
    }
    expect(REASON_NAMES[k.reason], at).toBe('ok');
    const { ttl, length, ...outerKey } = outer;
    expect(ourKey(k, false), `${at}: key`).toEqual(outerKey);
    expect([k.ttl, k.ipTotalLength], `${at}: ttl, total length`).toEqual([ttl, length]);
    expect(k.vxlan, `${at}: vxlan`).toBe(t['vxlan.vni'].length > 0);
    if (!k.vxlan) return;
    expect(k.vni, `${at}: vni`).toBe(num(t['vxlan.vni'][0]));
    // Inner: the frame's second IP layer.
    const inner = tsharkKey(t, 1);
    if (inner === undefined) {
      expect(k.innerReason, `${at}: inner`).not.toBe(REASON_OK);
      return;
    }
    expect(REASON_NAMES[k.innerReason], `${at}: inner reason`).toBe('ok');
    const { ttl: _t, length: _l, ...innerKey } = inner;
    expect(ourKey(k, true), `${at}: inner key`).toEqual(innerKey);
  });
  return ours.length;
}
