// Sample reports for the renderer tests, modelled on SPEC §1's default topology.

import type { Report } from '../../src/stats/types.js';
import type { FailoverResult, FuzzResult } from '../../src/stats/trials.js';

const THIRD = 1 / 3;
const NINTH = 1 / 9;

/**
 * The default topology under crc32 at every leaf: border spreads 10,000 flows evenly over the three VTEPs
 * (1/3 each), but leaf-3's CRC re-splits the slice border's CRC handed it and VM-C gets nothing (SPEC §3).
 * Stage statistics are what src/stats/fairness.ts computes for these counts.
 */
export const sampleReport: Report = {
  packets: 120_456,
  bytes: 98_123_456,
  flows: 10_000,
  skipped: { truncated: 0, 'not-ipv4': 12, 'no-route': 3, 'unknown-vni': 0 },
  vteps: [
    { name: 'leaf-1', address: '10.1.1.1', flows: 3341, packets: 40_240, bytes: 32_779_811, share: 0.3341, expected: THIRD },
    { name: 'leaf-2', address: '10.1.1.2', flows: 3327, packets: 40_078, bytes: 32_647_940, share: 0.3327, expected: THIRD },
    { name: 'leaf-3', address: '10.1.1.3', flows: 3332, packets: 40_123, bytes: 32_695_705, share: 0.3332, expected: THIRD },
  ],
  vms: [
    { name: 'VM-1', leaf: 'leaf-1', address: '172.16.1.1', flows: 3341, packets: 40_240, bytes: 32_779_811, share: 0.3341, expected: THIRD },
    { name: 'VM-2', leaf: 'leaf-2', address: '172.16.2.1', flows: 3327, packets: 40_078, bytes: 32_647_940, share: 0.3327, expected: THIRD },
    { name: 'VM-A', leaf: 'leaf-3', address: '172.16.3.1', flows: 1671, packets: 20_101, bytes: 16_383_100, share: 0.1671, expected: NINTH },
    { name: 'VM-B', leaf: 'leaf-3', address: '172.16.3.3', flows: 1661, packets: 20_022, bytes: 16_312_605, share: 0.1661, expected: NINTH },
    { name: 'VM-C', leaf: 'leaf-3', address: '172.16.3.5', flows: 0, packets: 0, bytes: 0, share: 0, expected: NINTH },
  ],
  others: [],
  stages: [
    {
      node: 'border',
      vrf: 'TENANT-A',
      prefix: '192.168.100.10/32',
      flows: 10_000,
      maxOverMean: 1.0023000000000002,
      jain: 0.9999969800091204,
      chiSquareP: 0.9850134333344979,
      nextHops: [
        { name: 'leaf-1', flows: 3341, expected: THIRD },
        { name: 'leaf-2', flows: 3327, expected: THIRD },
        { name: 'leaf-3', flows: 3332, expected: THIRD },
      ],
    },
    {
      node: 'leaf-3',
      vrf: 'TENANT-A',
      prefix: '192.168.100.10/32',
      flows: 3332,
      maxOverMean: 1.5045018007202884,
      jain: 0.6666606619178711,
      chiSquareP: 0,
      nextHops: [
        { name: 'VM-A', flows: 1671, expected: THIRD },
        { name: 'VM-B', flows: 1661, expected: THIRD },
        { name: 'VM-C', flows: 0, expected: THIRD },
      ],
    },
  ],
  unrouted: [{ address: '203.0.113.7', flows: 2, packets: 3 }],
  warnings: [
    {
      kind: 'unequal-share',
      node: 'border',
      message:
        'VMs serving 192.168.100.10/32 expect unequal shares: VM-1 33.3% but VM-A 11.1% (3.0x), because border weights VTEPs, not VMs. Set `defaults: { weighting: paths }` so each VTEP is weighted by the VMs behind it (UCMP, as the BGP link-bandwidth community does) and every VM gets an equal share.',
    },
    {
      kind: 'polarization',
      node: 'leaf-3',
      message:
        'leaf-3 is polarized by border: the flows border sends it spread over 192.168.100.10/32 with max/mean 1.50, far worse than the same traffic would spread over all flows; VM-C gets no flow at all; both use crc32, which is linear over GF(2): a different seed only XORs every hash with one constant, so it does not decorrelate the two stages. Use linux-l4 (SipHash) with distinct seeds, or another algorithm at one stage',
    },
  ],
};

/** Names that need escaping everywhere, an opaque next-hop, a skip reason SPEC does not list, key order shuffled. */
export const awkwardReport: Report = {
  unrouted: [],
  warnings: [{ kind: 'imbalance', node: 'leaf-<x>', message: 'p = 3.2e-8 & "quotes", <script>alert(1)</script>' }],
  stages: [
    {
      node: 'leaf-<x>',
      vrf: 'RED,"BLUE"',
      prefix: '10.20.0.0/16',
      flows: 600,
      maxOverMean: 1.3,
      jain: 0.95,
      chiSquareP: 3.2e-8,
      nextHops: [
        { name: 'VM "quoted", with comma', flows: 390, expected: 0.5 },
        { name: '198.51.100.7', flows: 210, expected: 0.5 },
      ],
    },
  ],
  others: [{ node: 'leaf-<x>', address: '198.51.100.7', flows: 210, packets: 2100, bytes: 210_000, share: 0.35 }],
  vms: [
    {
      name: 'VM "quoted", with comma',
      leaf: 'leaf-<x>',
      address: '172.16.9.1',
      flows: 390,
      packets: 3900,
      bytes: 390_000,
      share: 0.65,
      expected: 0.5,
    },
  ],
  vteps: [],
  skipped: { 'zz-custom': 4, truncated: 1, 'not-ipv4': 0 },
  flows: 600,
  bytes: 600_000,
  packets: 6000,
};

export const emptyReport: Report = {
  unrouted: [],
  packets: 0,
  bytes: 0,
  flows: 0,
  skipped: {},
  vteps: [],
  vms: [],
  others: [],
  stages: [],
  warnings: [],
};

export const sampleFuzz: FuzzResult = {
  trials: 100,
  flows: 2000,
  results: [
    { algorithm: 'linux-l4', selection: 'hash-threshold', meanMaxOverMean: 1.071, worstMaxOverMean: 1.143, polarized: 0, reproducer: null, replayArgs: [] },
    { algorithm: 'crc32', selection: 'hash-threshold', meanMaxOverMean: 2.61, worstMaxOverMean: 3, polarized: 100, reproducer: 'worst/crc32-hash-threshold.pcap', replayArgs: ['--topology', 'worst/crc32-hash-threshold.yaml'] },
    { algorithm: 'xor', selection: 'modulo', meanMaxOverMean: 1.92, worstMaxOverMean: 2.47, polarized: 12, reproducer: 'worst/xor modulo.pcap', replayArgs: ['--topology', "it's.yaml"] },
    { algorithm: 'linux-l4', selection: 'resilient', meanMaxOverMean: 1.083, worstMaxOverMean: 1.171, polarized: 0, reproducer: null, replayArgs: [] },
  ],
};

export const sampleFailover: FailoverResult = {
  removed: 'VM-B',
  flows: 10_000,
  methods: [
    { selection: 'modulo', moved: 0.7412, minimum: 0.1109 },
    { selection: 'hash-threshold', moved: 0.2218, minimum: 0.1109 },
    { selection: 'resilient', moved: 0.1109, minimum: 0.1109 },
  ],
};
