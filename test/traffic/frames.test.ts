import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { makeFlows, type Pattern, type ProtoChoice } from '../../src/traffic/flows.js';
import { EPOCH_SEC, TrafficGenerator, generateCapture, type GenerateOptions } from '../../src/traffic/generator.js';
import { defaultDestination, planUnderlay } from '../../src/traffic/underlay.js';
import { icmpChecksumValid, icmpType } from '../../src/wire/icmp.js';
import { ipv4ChecksumValid, ipv4DontFragment, ipv4TotalLength, ipv4Ttl, tryParseIpv4 } from '../../src/wire/ipv4.js';
import { REASON_OK } from '../../src/wire/decode.js';
import { TCP_ACK_FLAG, TCP_SYN, tcpChecksumValid, tcpFlags, tcpSeq } from '../../src/wire/tcp.js';
import { udpChecksumField, udpChecksumValid } from '../../src/wire/udp.js';
import { forEachFrame, readPcap, tupleKey } from './helpers.js';

const DST = tryParseIpv4('192.168.100.10');
const opts = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({
  pattern: 'uniform',
  flows: 500,
  packets: 1500,
  seed: 1,
  dst: DST,
  proto: 'mix',
  ...o,
});

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe('generateCapture', () => {
  it('is byte-for-byte deterministic for a seed, and another seed gives another capture', () => {
    for (const pattern of ['uniform', 'zipf', 'sequential-ports', 'single-source', 'same-subnet'] as Pattern[]) {
      const a = generateCapture(opts({ pattern }));
      expect(sameBytes(a, generateCapture(opts({ pattern })))).toBe(true);
      expect(sameBytes(a, generateCapture(opts({ pattern, seed: 2 })))).toBe(false);
    }
  });

  it('writes the requested frames; they decode to exactly the generated 5-tuples, each flow its share', () => {
    for (const [pattern, proto] of [['uniform', 'mix'], ['zipf', 'tcp'], ['sequential-ports', 'udp'], ['same-subnet', 'mix']] as [Pattern, ProtoChoice][]) {
      const o = opts({ pattern, proto, flows: 400, packets: 1700 });
      const gen = new TrafficGenerator(o);
      const expected = new Map<string, number>();
      const set = gen.flowSet;
      for (let f = 0; f < set.count; f++) expected.set(tupleKey(set.src[f]!, set.dst[f]!, set.proto[f]!, set.sport[f]!, set.dport[f]!), gen.counts[f]!);
      const seen = new Map<string, number>();
      const n = forEachFrame(generateCapture(o), -1, (k) => {
        expect(k.reason).toBe(REASON_OK);
        const key = tupleKey(k.src, k.dst, k.proto, k.sport, k.dport);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      });
      expect(n).toBe(1700);
      expect(seen).toEqual(expected);
      expect(seen.size).toBe(400);
    }
  });

  it('fills every header right: checksums, DF, TTL 64, lengths, 60-byte minimum, SYN first then ACK', () => {
    const bytes = generateCapture(opts({ flows: 300, packets: 1200 }));
    const firstSeen = new Set<string>();
    const tcpSeqs = new Map<string, number[]>();
    let icmp = 0;
    forEachFrame(bytes, -1, (k, r) => {
      const l3 = k.l3Offset;
      const l4 = l3 + 20;
      const ipLen = ipv4TotalLength(bytes, l3);
      expect(r.capLen).toBe(r.origLen);
      expect(r.capLen).toBeGreaterThanOrEqual(60);
      expect(r.capLen).toBe(14 + ipLen);
      expect(ipv4ChecksumValid(bytes, l3, 20)).toBe(true);
      expect(ipv4DontFragment(bytes, l3)).toBe(true);
      expect(ipv4Ttl(bytes, l3)).toBe(64);
      const key = tupleKey(k.src, k.dst, k.proto, k.sport, k.dport);
      const first = !firstSeen.has(key);
      firstSeen.add(key);
      if (k.proto === 17) {
        expect(udpChecksumField(bytes, l4)).not.toBe(0);
        expect(udpChecksumValid(bytes, l4, k.src, k.dst)).toBe(true);
      } else if (k.proto === 6) {
        expect(tcpChecksumValid(bytes, l4, ipLen - 20, k.src, k.dst)).toBe(true);
        expect(tcpFlags(bytes, l4)).toBe(first ? TCP_SYN : TCP_ACK_FLAG | 0x08);
        const seqs = tcpSeqs.get(key) ?? [];
        seqs.push(tcpSeq(bytes, l4));
        tcpSeqs.set(key, seqs);
      } else {
        expect(k.proto).toBe(1);
        expect(icmpType(bytes, l4)).toBe(8);
        expect(icmpChecksumValid(bytes, l4, ipLen - 20)).toBe(true);
        icmp++;
      }
    });
    expect(icmp).toBeGreaterThan(0);
    // Sequence numbers: SYN at ISN, data from ISN + 1, advancing by the payload.
    for (const seqs of tcpSeqs.values()) {
      for (let i = 1; i < seqs.length; i++) expect((seqs[i]! - seqs[0]! + 2 ** 32) % 2 ** 32).toBe(1 + (i - 1) * 32);
    }
  });

  it('timestamps start at the fixed epoch and step 1 µs per frame', () => {
    const { records } = readPcap(generateCapture(opts({ packets: 3000 })));
    records.forEach((r, i) => {
      expect(r.tsSec * 1e6 + r.tsUsec).toBe(EPOCH_SEC * 1e6 + i);
    });
  });

  it('interleaves flows rather than writing them one after another', () => {
    const flowsInOrder: string[] = [];
    forEachFrame(generateCapture(opts({ pattern: 'zipf', flows: 200, packets: 2000 })), -1, (k) => {
      flowsInOrder.push(tupleKey(k.src, k.dst, k.proto, k.sport, k.dport));
    });
    let runs = 0;
    for (let i = 1; i < flowsInOrder.length; i++) if (flowsInOrder[i] === flowsInOrder[i - 1]) runs++;
    expect(runs / flowsInOrder.length).toBeLessThan(0.2);
  });

  it('with fewer packets than flows, writes one packet for each of the first flows', () => {
    const gen = new TrafficGenerator(opts({ flows: 100, packets: 30 }));
    expect(gen.activeFlows).toBe(30);
    expect(readPcap(generateCapture(opts({ flows: 100, packets: 30 }))).records.length).toBe(30);
  });

  it('refuses packets < 1 and non-integers', () => {
    for (const packets of [0, -1, 2.5, NaN]) expect(() => new TrafficGenerator(opts({ packets }))).toThrow(UsageError);
  });

  it('hands flow sets to the fuzz command without frames: makeFlows is what the capture carries', () => {
    const set = makeFlows({ pattern: 'uniform', flows: 50, seed: 1, dst: DST, proto: 'mix' });
    expect(Array.from(new TrafficGenerator(opts({ flows: 50, packets: 50 })).flowSet.sport)).toEqual(Array.from(set.sport));
  });
});

describe('--vxlan (underlay frames)', () => {
  const topo = loadTopology();
  const vteps = ['10.1.1.1', '10.1.1.2', '10.1.1.3'].map(tryParseIpv4);

  it('defaults the destination to the service address the VMs announce', () => {
    expect(defaultDestination(topo)).toBe(DST);
    const t = parseTopology(
      `vrfs: { A: { vni: 5 } }
leaves: { l1: { vtep: 10.9.9.1, asn: 1 }, l2: { vtep: 10.9.9.2, asn: 2 } }
vms: { v: { leaf: l2, vrf: A, address: 172.16.0.1/31, asn: 9, announce: [10.20.0.0/16] } }
ingress: { leaf: l1, vrf: A }
`,
      't.yaml',
    );
    expect(defaultDestination(t)).toBe(tryParseIpv4('10.20.0.1'));
  });

  it('encapsulates each flow from the ingress VTEP to an announcing VTEP, always the same one, with the VNI', () => {
    const o = opts({ flows: 600, packets: 2400, vxlan: planUnderlay(topo, DST) });
    const gen = new TrafficGenerator(o);
    const inner = new Map<string, number>();
    for (let f = 0; f < gen.flowSet.count; f++) {
      const s = gen.flowSet;
      inner.set(tupleKey(s.src[f]!, s.dst[f]!, s.proto[f]!, s.sport[f]!, s.dport[f]!), gen.counts[f]!);
    }
    const vtepOf = new Map<string, number>();
    const sportOf = new Map<string, number>();
    const perVtep = new Map<number, number>();
    const seen = new Map<string, number>();
    const bytes = generateCapture(o);
    forEachFrame(bytes, 4789, (k) => {
      expect(k.reason).toBe(REASON_OK);
      expect(k.vxlan).toBe(true);
      expect(k.vni).toBe(10100);
      expect(k.src).toBe(tryParseIpv4('10.1.1.254'));
      expect(vteps).toContain(k.dst);
      expect(k.proto).toBe(17);
      expect(k.dport).toBe(4789);
      expect(k.sport).toBeGreaterThanOrEqual(49152);
      expect(k.sport).toBeLessThan(65535);
      expect(ipv4ChecksumValid(bytes, k.l3Offset, 20)).toBe(true);
      expect(ipv4Ttl(bytes, k.l3Offset)).toBe(64);
      expect(k.innerReason).toBe(REASON_OK);
      const key = tupleKey(k.innerSrc, k.innerDst, k.innerProto, k.innerSport, k.innerDport);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (vtepOf.has(key)) {
        expect(vtepOf.get(key)).toBe(k.dst);
        expect(sportOf.get(key)).toBe(k.sport);
      } else perVtep.set(k.dst, (perVtep.get(k.dst) ?? 0) + 1);
      vtepOf.set(key, k.dst);
      sportOf.set(key, k.sport);
      // The inner packet is whole and right too.
      const il4 = k.innerL3Offset + 20;
      expect(ipv4ChecksumValid(bytes, k.innerL3Offset, 20)).toBe(true);
      if (k.innerProto === 17) expect(udpChecksumValid(bytes, il4, k.innerSrc, k.innerDst)).toBe(true);
    });
    expect(seen).toEqual(inner);
    // Three VTEPs, about a third of the flows each.
    expect(perVtep.size).toBe(3);
    for (const n of perVtep.values()) expect(Math.abs(n - 200)).toBeLessThan(60);
  });

  it('refuses a destination no VM of the ingress VRF announces, and one only the ingress leaf announces', () => {
    expect(() => planUnderlay(topo, tryParseIpv4('8.8.8.8'))).toThrow(/no VM of VRF TENANT-A announces 8\.8\.8\.8/);
    const t = parseTopology(
      `vrfs: { A: { vni: 5 } }
leaves: { l1: { vtep: 10.9.9.1, asn: 1 }, l2: { vtep: 10.9.9.2, asn: 2 } }
vms: { v: { leaf: l1, vrf: A, address: 172.16.0.1/31, asn: 9, announce: [192.0.2.1/32] } }
ingress: { leaf: l1, vrf: A }
`,
      't.yaml',
    );
    expect(() => planUnderlay(t, tryParseIpv4('192.0.2.1'))).toThrow(UsageError);
  });

  it('uses the longest announced match: a /32 beats a covering /24 on another leaf', () => {
    const t = parseTopology(
      `vrfs: { A: { vni: 77 } }
leaves: { b: { vtep: 10.9.9.9, asn: 1 }, l1: { vtep: 10.9.9.1, asn: 2 }, l2: { vtep: 10.9.9.2, asn: 3 } }
vms:
  v1: { leaf: l1, vrf: A, address: 172.16.0.1/31, asn: 9, announce: [192.0.2.0/24] }
  v2: { leaf: l2, vrf: A, address: 172.16.0.3/31, asn: 9, announce: [192.0.2.10/32] }
ingress: { leaf: b, vrf: A }
`,
      't.yaml',
    );
    const plan = planUnderlay(t, tryParseIpv4('192.0.2.10'));
    expect(Array.from(plan.vteps)).toEqual([tryParseIpv4('10.9.9.2')]);
    expect(plan.vni).toBe(77);
    expect(Array.from(planUnderlay(t, tryParseIpv4('192.0.2.11')).vteps)).toEqual([tryParseIpv4('10.9.9.1')]);
  });
});
