// Spines (SPEC §2 `spines:`): parsing and its errors, the underlay FIB, the leaf's choice of spine on the outer header,
// the VXLAN source port modes, the report's links and underlay warnings, and failover of a spine.

import { describe, expect, it } from 'vitest';
import { converge, tableOf, type Fabric } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { HOP_SPINE, skbHashSeed } from '../../src/fabric/spines.js';
import { PathResult, resolvePath } from '../../src/engine/path.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/analysis/report.js';
import { makeHasher, HASH_FIELDS } from '../../src/hash/index.js';
import { vxlanSourcePort } from '../../src/wire/vxlan.js';
import { runFailover } from '../../src/experiments/failover.js';
import { topologyToYaml } from '../../src/experiments/topology.js';
import { fabricDiagram } from '../../src/report/html-fabric.js';
import { NextHopGroup } from '../../src/fib/group.js';
import type { Report } from '../../src/stats/types.js';
import { prng, u32 } from '../helpers.js';
import { errorOf, spineYaml } from './fixtures.js';

const SERVICE = 0xc0a8640a; // 192.168.100.10


function flows(engine: Engine, n: number, seed = 1): void {
  const rand = prng(seed);
  for (let i = 0; i < n; i++) {
    const proto = rand() < 0.5 ? 6 : 17;
    engine.processFlow((0x0a000000 | (u32(rand) & 0xffffff)) >>> 0, SERVICE, proto, 1024 + Math.floor(rand() * 64000), rand() < 0.5 ? 80 : 443, 3, 300);
  }
}

function report(fabric: Fabric, n = 20_000, seed = 1): Report {
  const engine = new Engine(fabric);
  flows(engine, n, seed);
  return buildReport(engine);
}

describe('spines: in the topology', () => {
  it('parses spines with their hash (defaults.hash, seed from the name unless given)', () => {
    const t = parseTopology(spineYaml(2, { defaults: '{ hash: { algorithm: crc32 } }' }).replace('spine-2: { address: 10.0.0.2 }', 'spine-2: { address: 10.0.0.2, hash: { seed: 7 } }'), 't.yaml');
    expect(t.spines!.map((s) => [s.name, s.address, s.hash.algorithm, s.hash.seed])).toEqual([
      ['spine-1', 0x0a000001, 'crc32', t.spines![0]!.hash.seed],
      ['spine-2', 0x0a000002, 'crc32', 7],
    ]);
    expect(t.spines![0]!.hash.seed).not.toBe(7);
    expect(parseTopology(DEFAULT_TOPOLOGY_YAML, 't.yaml').spines).toBeUndefined();
  });

  it('refuses bad spines with the file, key path, value and line', () => {
    expect(errorOf(spineYaml(2).replace('10.0.0.2 }', '10.0.0.300 }'))).toMatch(/^bad IPv4 address '10\.0\.0\.300' \(fab\.yaml: spines\.spine-2\.address, line \d+\)$/);
    expect(errorOf(spineYaml(2).replace('10.0.0.2 }', '10.0.0.1 }'))).toMatch(/duplicate spine address 10\.0\.0\.1 \(also spine-1's\) \(fab\.yaml: spines\.spine-2\.address, line 5\)/);
    expect(errorOf(spineYaml(2).replace('10.0.0.2 }', '10.1.1.3 }'))).toMatch(/spine address is leaf-3's VTEP \(fab\.yaml: spines\.spine-2\.address/);
    expect(errorOf(spineYaml(2).replace('{ address: 10.0.0.2 }', '{ address: 10.0.0.2, weight: 2 }'))).toMatch(/unknown key 'weight' \(expected one of address, hash\) \(fab\.yaml: spines\.spine-2\.weight, line 5\)/);
    expect(errorOf(spineYaml(2).replace('{ address: 10.0.0.2 }', '{ hash: { algorithm: crc32 } }'))).toMatch(/missing required key 'address' \(fab\.yaml: spines\.spine-2/);
    expect(errorOf(spineYaml(2).replace('spine-2:', 'leaf-1:'))).toMatch(/spine 'leaf-1' has the name of a leaf or VM/);
    expect(errorOf(spineYaml(2).replace('TENANT-A', 'underlay').replaceAll('vrf: TENANT-A', 'vrf: underlay'))).toMatch(/'underlay' is the underlay's VRF/);
    expect(errorOf(spineYaml(2).replace('{ address: 10.0.0.2 }', '{ address: 10.0.0.2, hash: { algorithm: md5 } }'))).toMatch(/unknown hash algorithm 'md5'.*spines\.spine-2\.hash\.algorithm/);
  });

  it('round-trips through topologyToYaml (fuzz --save-worst): spines, their hashes and the source-port modes', () => {
    const t = parseTopology(spineYaml(3, { border: 'vxlan: { source-port: ecmp-hash }', defaults: '{ hash: { algorithm: crc32 } }' }), 't.yaml');
    const back = parseTopology(topologyToYaml(t), 'back.yaml');
    expect(back.spines).toEqual(t.spines);
    expect(back.leaves.map((l) => l.sourcePort)).toEqual(t.leaves.map((l) => l.sourcePort));
  });

  it('takes vxlan source-port in defaults and per leaf, and refuses other values', () => {
    const t = parseTopology(spineYaml(2, { border: 'vxlan: { source-port: ecmp-hash }', defaults: '{ vxlan: { port: 4789, source-port: independent } }' }), 't.yaml');
    expect(t.leaves.map((l) => l.sourcePort)).toEqual(['ecmp-hash', 'independent', 'independent', 'independent']);
    expect(errorOf(spineYaml(2, { border: 'vxlan: { source-port: random }' }))).toMatch(/unknown source-port 'random' \(expected one of independent, ecmp-hash\) \(fab\.yaml: leaves\.border\.vxlan\.source-port/);
    expect(errorOf(spineYaml(2, { border: 'vxlan: { port: 4790 }' }))).toMatch(/unknown key 'port' \(expected one of source-port\) \(fab\.yaml: leaves\.border\.vxlan\.port/);
  });
});

describe('the underlay FIB', () => {
  const fabric = converge(parseTopology(spineYaml(3), 't.yaml'));

  it('gives every leaf a /32 per remote VTEP via every spine, weight 1, in vrf underlay', () => {
    expect(fabric.vrfNames).toEqual(['TENANT-A', 'underlay']);
    const u = fabric.routes.filter((r) => r.source === 'underlay');
    expect(u).toHaveLength(4 * 3);
    for (const r of u) {
      expect(r.vrf).toBe(fabric.underlay.vrf);
      expect(r.length).toBe(32);
      expect(fabric.vtepToLeaf.get(r.prefix)).not.toBe(r.leaf);
      expect(r.nextHops.map((h) => [h.kind, h.target, h.address, h.weight])).toEqual([0, 1, 2].map((s) => [HOP_SPINE, s, 0x0a000001 + s, 1]));
    }
    expect(tableOf(fabric, 0, fabric.underlay.vrf).lookup(0x0a010103)).toBeGreaterThanOrEqual(0);
    expect(tableOf(fabric, 0, fabric.underlay.vrf).lookup(0x0a010104)).toBe(-1);
  });

  it('without spines the fabric has no underlay VRF and no underlay stage', () => {
    const plain = converge(parseTopology(DEFAULT_TOPOLOGY_YAML, 't.yaml'));
    expect(plain.vrfNames).toEqual(['TENANT-A']);
    expect(plain.underlay.vrf).toBe(-1);
    const p = new PathResult();
    resolvePath(plain, plain.ingressLeaf, 0, 0x01020304, SERVICE, 6, 1000, 80, -1, p);
    expect(p.stages).toBeLessThanOrEqual(2);
  });

  it('picks the spine with the leaf own hash and group over the outer header (own VTEP, remote VTEP, UDP, source port, 4789)', () => {
    const p = new PathResult();
    const border = fabric.topology.leaves[0]!;
    const hasher = makeHasher(border.hash);
    const rand = prng(9);
    for (let i = 0; i < 500; i++) {
      const src = u32(rand), sport = 1024 + Math.floor(rand() * 60000);
      resolvePath(fabric, 0, 0, src, SERVICE, 17, sport, 53, -1, p);
      expect(p.reason).toBe(0);
      expect(p.stages).toBe(p.vtep === 3 ? 3 : 3);
      const under = fabric.routes[p.stageRoute[1]!]!;
      expect(under.source).toBe('underlay');
      expect(under.prefix).toBe(fabric.topology.leaves[p.vtep]!.vtep);
      const h = hasher(border.vtep, under.prefix, 17, p.outerSport, 4789);
      expect(p.stageHash[1]).toBe(h);
      expect(p.stageMember[1]).toBe(new NextHopGroup([1, 1, 1], 'hash-threshold').select(h));
      expect(p.stageLeaf[2]).toBe(p.vtep);
    }
  });
});

describe('the VXLAN source port', () => {
  const p = new PathResult();
  const sample = (fabric: Fabric, n: number): Array<{ sport: number; hash: number; src: number; port: number }> => {
    const rand = prng(4);
    const out = [];
    for (let i = 0; i < n; i++) {
      const src = u32(rand), port = 1024 + Math.floor(rand() * 60000);
      resolvePath(fabric, 0, 0, src, SERVICE, 6, port, 443, -1, p);
      out.push({ sport: p.outerSport, hash: p.stageHash[0]!, src, port });
    }
    return out;
  };

  it('is by default the kernel scaling of a SipHash of the inner flow keyed per leaf (its boot-time hashrnd), not of the ECMP hash', () => {
    const fabric = converge(parseTopology(DEFAULT_TOPOLOGY_YAML, 't.yaml'));
    const skb = makeHasher({ algorithm: 'linux-l4', seed: skbHashSeed('border'), fields: HASH_FIELDS });
    expect(skbHashSeed('border')).not.toBe(fabric.topology.leaves[0]!.hash.seed);
    let differ = 0;
    for (const f of sample(fabric, 300)) {
      expect(f.sport).toBe(vxlanSourcePort(skb(f.src, SERVICE, 6, f.port, 443), 49152, 65535));
      if (f.sport !== vxlanSourcePort(f.hash, 49152, 65535)) differ++;
    }
    expect(differ).toBeGreaterThan(290);
  });

  it('is the leaf ECMP hash scaled with source-port: ecmp-hash (per leaf or in defaults)', () => {
    for (const yaml of [spineYaml(2, { border: 'vxlan: { source-port: ecmp-hash }' }), DEFAULT_TOPOLOGY_YAML + 'defaults: { vxlan: { source-port: ecmp-hash } }\n']) {
      const fabric = converge(parseTopology(yaml, 't.yaml'));
      for (const f of sample(fabric, 300)) expect(f.sport).toBe(vxlanSourcePort(f.hash, 49152, 65535));
    }
  });
});

describe('the report over spines', () => {
  it('lists the underlay stages and every uplink, flows and expected summing as the overlay says', () => {
    const fabric = converge(parseTopology(spineYaml(2), 't.yaml'));
    const r = report(fabric);
    const under = r.stages.filter((s) => s.vrf === 'underlay');
    expect(under.map((s) => `${s.node} ${s.prefix}`)).toEqual(['border 10.1.1.1/32', 'border 10.1.1.2/32', 'border 10.1.1.3/32']);
    for (const s of under) {
      expect(s.nextHops.map((h) => h.name)).toEqual(['spine-1', 'spine-2']);
      expect(s.chiSquareP).toBeGreaterThan(1e-6);
      expect(s.flows).toBe(r.vteps.find((v) => v.address === s.prefix.replace('/32', ''))!.flows);
    }
    const links = r.links!;
    const up = links.filter((l) => l.from === 'border');
    expect(up.map((l) => l.to)).toEqual(['spine-1', 'spine-2']);
    expect(up[0]!.flows + up[1]!.flows).toBe(r.flows);
    expect(up[0]!.packets + up[1]!.packets).toBe(3 * r.flows);
    expect(up[0]!.bytes + up[1]!.bytes).toBe(300 * r.flows);
    for (const l of up) expect(l.expected).toBeCloseTo(0.5, 12);
    for (const leaf of ['leaf-1', 'leaf-2', 'leaf-3']) {
      const down = links.filter((l) => l.to === leaf);
      expect(down.map((l) => l.from)).toEqual(['spine-1', 'spine-2']);
      expect(down[0]!.flows + down[1]!.flows).toBe(r.vteps.find((v) => v.name === leaf)!.flows);
      for (const l of down) expect(l.expected).toBeCloseTo(1 / 6, 12);
      // leaf-N's own uplinks carry nothing: only the border tunnels client traffic
      expect(links.filter((l) => l.from === leaf).map((l) => l.flows)).toEqual([0, 0]);
    }
    expect(r.warnings.map((w) => w.kind)).toEqual(['unequal-share']);
  });

  it('draws the spines between the ingress leaf and the leaves in the HTML diagram', () => {
    const r = report(converge(parseTopology(spineYaml(2), 't.yaml')), 3000);
    const d = fabricDiagram(r);
    expect(d.columns).toEqual(['ingress', 'spines', 'leaves', 'VMs']);
    const up = d.edges.filter((e) => e.from === 'leaf:border').map((e) => [e.to, e.flows]);
    expect(up).toEqual(r.links!.filter((l) => l.from === 'border').map((l) => [`spine:${l.to}`, l.flows]));
    const down = d.edges.filter((e) => e.from.startsWith('spine:'));
    expect(down).toHaveLength(6);
    expect(down.reduce((a, e) => a + e.flows, 0)).toBe(r.flows);
    expect(fabricDiagram(report(converge(parseTopology(DEFAULT_TOPOLOGY_YAML, 't.yaml')), 3000)).columns).toEqual(['ingress', 'leaves', 'VMs']);
  });

  it('has no links without spines', () => {
    expect(report(converge(parseTopology(DEFAULT_TOPOLOGY_YAML, 't.yaml')), 2000).links).toBeUndefined();
  });

  it('says why a border hashing outer addresses only pins each VTEP onto one spine', () => {
    const r = report(converge(parseTopology(spineYaml(2, { border: 'hash: { algorithm: linux-l3 }' }), 't.yaml')));
    const pinned = r.warnings.filter((w) => w.kind === 'imbalance');
    expect(pinned).toHaveLength(3);
    for (const w of pinned) {
      expect(w.node).toBe('border');
      expect(w.message).toMatch(/^border hashes outer addresses only \(linux-l3\): all [\d,]+ flows to 10\.1\.1\.\d take spine-\d\. /);
    }
    const vtep3 = r.vteps.find((v) => v.name === 'leaf-3')!.flows;
    expect(pinned[2]!.message).toContain(`all ${vtep3.toLocaleString('en-US')} flows to 10.1.1.3 take`);
  });

  it('says so when a hash that repeats its halves (crc16) under ecmp-hash gives every flow one source port', () => {
    const r = report(converge(parseTopology(spineYaml(2, { border: 'hash: { algorithm: crc16 }, vxlan: { source-port: ecmp-hash }' }), 't.yaml')), 5000);
    const pinned = r.warnings.filter((w) => w.kind === 'imbalance');
    expect(pinned).toHaveLength(3);
    for (const w of pinned) expect(w.message).toMatch(/^border gives every flow the same VXLAN source port 49152 \(source-port: ecmp-hash, and crc16 /);
    // the same hash with Linux's independent source port spreads
    const ok = report(converge(parseTopology(spineYaml(2, { border: 'hash: { algorithm: crc16 }' }), 't.yaml')), 5000);
    expect(ok.warnings.map((w) => w.kind)).toEqual(['unequal-share']);
  });

  it('calls a spine choice that follows the VTEP choice polarized (a crafted correlated hash)', () => {
    const fabric = converge(parseTopology(spineYaml(2, { border: 'vxlan: { source-port: ecmp-hash }' }), 't.yaml'));
    // The border's hash: inner flows get a hash whose top half is random and low half zero (so the source port is
    // its top bits scaled); outer headers (UDP to 4789) hash to their source port's place in the range. Flows to
    // one VTEP (one third of the hash range) then have source ports in one third of the range: one spine.
    const rand = prng(3);
    const inner = new Map<string, number>();
    fabric.hashers[0] = (src, dst, proto, sport, dport) => {
      if (proto === 17 && dport === 4789) return Math.floor(((sport - 49152) / 16383) * 4294967295) >>> 0;
      const k = `${src},${dst},${proto},${sport},${dport}`;
      let h = inner.get(k);
      if (h === undefined) inner.set(k, (h = (u32(rand) & 0xffff0000) >>> 0));
      return h;
    };
    const r = report(fabric, 6000);
    const pol = r.warnings.filter((w) => w.kind === 'polarization');
    // The first third of the ports all lie below the spines' cut at half the range, the last third above; the middle
    // third straddles it and spreads evenly.
    expect(pol.map((w) => w.message.match(/\(([\d./]+), vrf underlay\)/)![1])).toEqual(['10.1.1.1/32', '10.1.1.3/32']);
    expect(pol[0]!.message).toMatch(/^border's choice of spine is polarized by its choice of VTEP \(10\.1\.1\.1\/32, vrf underlay\): .*source-port: ecmp-hash/);
    // With the same hasher and the independent source port (a SipHash of its own) nothing is polarized.
    const indep = converge(parseTopology(spineYaml(2), 't.yaml'));
    indep.hashers[0] = fabric.hashers[0]!;
    expect(report(indep, 6000).warnings.filter((w) => w.kind === 'polarization')).toEqual([]);
  });
});

describe('failover of a spine', () => {
  it('moves only the flows of the failed spine under resilient and hash-threshold keeps more than modulo', () => {
    const t = parseTopology(spineYaml(4), 't.yaml');
    const run = runFailover({ topology: t, fail: 'spine-2', flows: 20_000 });
    expect(run.result.moves).toBe('spine');
    const by = Object.fromEntries(run.result.methods.map((m) => [m.selection, m]));
    expect(by.resilient!.minimum).toBeGreaterThan(0.2);
    expect(by.resilient!.moved).toBe(by.resilient!.minimum);
    expect(by.modulo!.moved).toBeGreaterThan(by.modulo!.minimum * 2);
    expect(by['hash-threshold']!.moved).toBeGreaterThan(by['hash-threshold']!.minimum);
    expect(by['hash-threshold']!.moved).toBeLessThan(by.modulo!.moved);
  });

  it('resilient: every bucket of a surviving spine keeps its spine, as the kernel keeps them', () => {
    const t = parseTopology(spineYaml(4, { defaults: '{ selection: resilient, buckets: 64 }' }), 't.yaml');
    const before = converge(t);
    const after = converge(t, { failed: ['spine-2'], previous: before });
    const b = before.routes.find((r) => r.source === 'underlay' && r.leaf === 0 && r.prefix === 0x0a010103)!;
    const a = after.routes.find((r) => r.source === 'underlay' && r.leaf === 0 && r.prefix === 0x0a010103)!;
    expect(a.group.isLive(1)).toBe(false);
    let kept = 0;
    for (let bucket = 0; bucket < 64; bucket++) {
      const was = b.group.select(bucket << 1); // select() reads the 31-bit hash (h >>> 1), as the kernel does
      const now = a.group.select(bucket << 1);
      if (was !== 1) {
        expect(now).toBe(was);
        kept++;
      } else expect(now).not.toBe(1);
    }
    expect(kept).toBe(48);
  });

  it('fails an uplink by LEAF:SPINE: the leaf stops using that spine, the others keep it', () => {
    const t = parseTopology(spineYaml(2), 't.yaml');
    const after = converge(t, { failed: ['leaf-3:spine-1'] });
    const toLeaf3 = after.routes.find((r) => r.source === 'underlay' && r.leaf === 0 && r.prefix === 0x0a010103)!;
    expect(toLeaf3.nextHops.map((h) => h.target)).toEqual([1]);
    const toLeaf1 = after.routes.find((r) => r.source === 'underlay' && r.leaf === 0 && r.prefix === 0x0a010101)!;
    expect(toLeaf1.nextHops.map((h) => h.target)).toEqual([0, 1]);
    expect(() => converge(t, { failed: ['leaf-3:spine-9'] })).toThrow(/no VM, leaf, spine or uplink \(LEAF:SPINE\) named 'leaf-3:spine-9'/);
  });
});
