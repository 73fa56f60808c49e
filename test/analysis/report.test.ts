import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/analysis/report.js';
import type { Report } from '../../src/stats/types.js';
import { prng, u32 } from '../helpers.js';

const SERVICE = 0xc0a8640a; // 192.168.100.10

/** `n` random client TCP/UDP flows to the service address through a topology, seeded. */
function run(yaml: string, n = 30_000, seed = 1): Report {
  const engine = new Engine(converge(parseTopology(yaml, 't.yaml')));
  const rand = prng(seed);
  for (let i = 0; i < n; i++) {
    const proto = rand() < 0.5 ? 6 : 17;
    engine.processFlow((0x0a000000 | (u32(rand) & 0xffffff)) >>> 0, SERVICE, proto, 1024 + Math.floor(rand() * 64000), rand() < 0.5 ? 80 : 443, 2, 200);
  }
  return buildReport(engine);
}

const share = (r: Report, name: string): number => (r.vms.find((v) => v.name === name) ?? r.vteps.find((v) => v.name === name))!.share;
const expected = (r: Report, name: string): number => (r.vms.find((v) => v.name === name) ?? r.vteps.find((v) => v.name === name))!.expected;

describe('the built-in fabric (SPEC §1)', () => {
  const r = run(DEFAULT_TOPOLOGY_YAML);

  it('gives each VTEP a third and VM-A/B/C a ninth each, within 2 points on 30k flows', () => {
    expect(r.flows).toBe(30_000);
    expect(r.vteps.map((v) => v.name)).toEqual(['leaf-1', 'leaf-2', 'leaf-3']);
    for (const v of ['leaf-1', 'leaf-2', 'leaf-3', 'VM-1', 'VM-2']) {
      expect(expected(r, v)).toBeCloseTo(1 / 3, 12);
      expect(Math.abs(share(r, v) - 1 / 3)).toBeLessThan(0.02);
    }
    for (const v of ['VM-A', 'VM-B', 'VM-C']) {
      expect(expected(r, v)).toBeCloseTo(1 / 9, 12);
      expect(Math.abs(share(r, v) - 1 / 9)).toBeLessThan(0.02);
    }
    expect(r.packets).toBe(60_000);
    expect(r.vms.reduce((a, v) => a + v.packets, 0)).toBe(60_000);
  });

  it('reports the two choosing stages and warns of the unequal shares, not of polarization', () => {
    expect(r.stages.map((s) => `${s.node} ${s.prefix}`)).toEqual(['border 192.168.100.10/32', 'leaf-3 192.168.100.10/32']);
    for (const s of r.stages) {
      expect(s.maxOverMean).toBeLessThan(1.1);
      expect(s.chiSquareP).toBeGreaterThan(1e-6);
    }
    expect(r.warnings.map((w) => w.kind)).toEqual(['unequal-share']);
    expect(r.warnings[0]!.message).toMatch(/weighting: paths/);
  });
});

describe('weighting: paths (UCMP)', () => {
  it('evens every VM to a fifth and gives leaf-3 three fifths', () => {
    const r = run(DEFAULT_TOPOLOGY_YAML + 'defaults: { weighting: paths }\n');
    for (const v of ['VM-1', 'VM-2', 'VM-A', 'VM-B', 'VM-C']) {
      expect(expected(r, v)).toBeCloseTo(1 / 5, 12);
      expect(Math.abs(share(r, v) - 1 / 5)).toBeLessThan(0.02);
    }
    expect(expected(r, 'leaf-3')).toBeCloseTo(3 / 5, 12);
    expect(Math.abs(share(r, 'leaf-3') - 3 / 5)).toBeLessThan(0.02);
    expect(r.warnings).toEqual([]);
  });
});

describe('polarization (SPEC §5)', () => {
  const leaf3Top = (r: Report): number => {
    const local = r.vms.filter((v) => v.leaf === 'leaf-3');
    const total = local.reduce((a, v) => a + v.flows, 0);
    return Math.max(...local.map((v) => v.flows)) / total;
  };

  it.each(['hash-threshold', 'modulo'])('with one algorithm and seed on every leaf (%s), leaf-3 sends over 90%% of its flows to one VM and is named', (selection) => {
    const r = run(DEFAULT_TOPOLOGY_YAML + `defaults: { hash: { algorithm: linux-l4, seed: 42 }, selection: ${selection} }\n`);
    expect(leaf3Top(r)).toBeGreaterThan(0.9);
    const w = r.warnings.filter((x) => x.kind === 'polarization');
    expect(w.map((x) => x.node)).toEqual(['leaf-3']);
    expect(w[0]!.message).toMatch(/border/);
    expect(w[0]!.message).toMatch(/both hash alike/);
  });

  it('with per-leaf seeds under the default linux-l4 neither happens', () => {
    const r = run(DEFAULT_TOPOLOGY_YAML);
    expect(leaf3Top(r)).toBeLessThan(0.4);
    expect(r.warnings.some((x) => x.kind === 'polarization')).toBe(false);
  });

  it('with crc32 and per-leaf seeds under hash-threshold one VM of leaf-3 starves, and the warning says why', () => {
    const r = run(DEFAULT_TOPOLOGY_YAML + 'defaults: { hash: { algorithm: crc32 } }\n');
    const local = r.vms.filter((v) => v.leaf === 'leaf-3');
    expect(local.filter((v) => v.flows === 0)).toHaveLength(1);
    const w = r.warnings.find((x) => x.kind === 'polarization');
    expect(w?.node).toBe('leaf-3');
    expect(w?.message).toMatch(/linear/);
    expect(w?.message).toMatch(/no flow at all/);
  });
});
