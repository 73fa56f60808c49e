import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/fabric/topology.js';
import { UsageError } from '../../src/errors.js';
import { runFailover } from '../../src/experiments/index.js';
import { cli } from './cli.js';

const builtIn = loadTopology();
const method = (r: ReturnType<typeof runFailover>, s: string) => r.details.find((d) => d.selection === s)!;

describe('failover on the built-in topology', () => {
  describe('VM-A, the first of leaf-3\'s three VMs', () => {
    const r = runFailover({ topology: builtIn, fail: 'VM-A' });

    it('reports the three methods over 30,000 flows, a ninth of them on VM-A', () => {
      expect(r.result.removed).toBe('VM-A');
      expect(r.result.flows).toBe(30_000);
      expect(r.result.methods.map((m) => m.selection)).toEqual(['hash-threshold', 'modulo', 'resilient']);
      for (const m of r.result.methods) expect(Math.abs(m.minimum - 1 / 9)).toBeLessThan(0.01);
    });

    it('resilient moves exactly the minimum: the flows that were on VM-A and no other', () => {
      const d = method(r, 'resilient');
      expect(d.moved).toBe(d.minimum);
      const vmA = builtIn.vms.findIndex((v) => v.name === 'VM-A');
      expect(d.failedVms).toEqual([vmA]);
      for (let f = 0; f < r.flows.count; f++) expect(d.before[f] !== d.after[f]).toBe(d.before[f] === vmA);
    });

    it('hash-threshold moves about 1.5x the minimum (1/6 of all flows), modulo about 2x (2/9)', () => {
      const ht = method(r, 'hash-threshold');
      const mod = method(r, 'modulo');
      expect(ht.moved / ht.minimum).toBeGreaterThan(1.35);
      expect(ht.moved / ht.minimum).toBeLessThan(1.65);
      expect(Math.abs(ht.moved - 1 / 6)).toBeLessThan(0.01);
      expect(mod.moved / mod.minimum).toBeGreaterThan(1.8);
      expect(mod.moved / mod.minimum).toBeLessThan(2.2);
      expect(Math.abs(mod.moved - 2 / 9)).toBeLessThan(0.01);
    });

    it('moves no flow between leaves: the border still sees three VTEPs', () => {
      const vmLeaf = builtIn.vms.map((v) => v.leaf);
      for (const d of r.details) {
        for (let f = 0; f < r.flows.count; f++) {
          if (d.before[f] !== d.after[f]) expect(vmLeaf[d.before[f]!]).toBe('leaf-3');
        }
      }
    });
  });

  it('leaf-3, the last of the border\'s three VTEPs: resilient 1/3, hash-threshold 1/2, modulo 2/3 of all flows', () => {
    const r = runFailover({ topology: builtIn, fail: 'leaf-3' });
    const ht = method(r, 'hash-threshold');
    const mod = method(r, 'modulo');
    const res = method(r, 'resilient');
    expect(res.moved).toBe(res.minimum);
    expect(Math.abs(res.minimum - 1 / 3)).toBeLessThan(0.01);
    expect(res.failedVms).toHaveLength(3);
    expect(Math.abs(ht.moved - 1 / 2)).toBeLessThan(0.01);
    expect(Math.abs(mod.moved - 2 / 3)).toBeLessThan(0.01);
  });

  it('is deterministic for a seed', () => {
    const a = runFailover({ topology: builtIn, fail: 'VM-B', flows: 5000, seed: 3 });
    const b = runFailover({ topology: builtIn, fail: 'VM-B', flows: 5000, seed: 3 });
    expect(b.result).toEqual(a.result);
  });
});

describe('the failover command', () => {
  it('prints SPEC §6 JSON with --json', async () => {
    const j = JSON.parse(await cli('failover', '--fail', 'VM-A', '--flows', '3000', '--json'));
    expect(Object.keys(j)).toEqual(['removed', 'flows', 'methods']);
    expect(j.removed).toBe('VM-A');
    expect(j.flows).toBe(3000);
    for (const m of j.methods) expect(Object.keys(m)).toEqual(['selection', 'moved', 'minimum']);
  });

  it('prints the three methods as a table by default', async () => {
    const out = await cli('failover', '--fail', 'VM-A', '--flows', '3000');
    expect(out).toMatch(/^failover: VM-A removed, 3,000 flows/);
    for (const s of ['resilient', 'hash-threshold', 'modulo']) expect(out).toMatch(new RegExp(`^  ${s} `, 'm'));
    expect(out).toMatch(/resilient .* 1\.00× +minimal/);
  });

  it.each([
    [[], /needs --fail NAME/],
    [['--fail', 'VM-Z'], /no VM or leaf named 'VM-Z'/],
    [['--fail', 'border'], /cannot fail the ingress leaf 'border'/],
    [['--fail', 'VM-A', '--flows', '0'], /--flows/],
    [['--fail', 'VM-A', '--seed', 'x'], /--seed/],
  ])('failover %j is a one-line UsageError', async (args, message) => {
    const e = await cli('failover', ...args).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toMatch(/\n/);
  });
});
