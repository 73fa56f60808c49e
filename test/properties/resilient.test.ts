// Law: when a member of a resilient group fails, only the flows that were on it move, and those of a survivor that
// the kernel's rounding leaves over the buckets it now wants (nh_res_table_upkeep moves those as soon as idle).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { NextHopGroup } from '../../src/fib/group.js';
import { Engine } from '../../src/engine/engine.js';
import { withHashing } from '../../src/experiments/topology.js';
import { prng, u32 as draw } from '../helpers.js';
import { SEED, fabricYaml, serviceFlow, u32 } from './arbitraries.js';

describe('resilient failover', () => {
  it('a group losing members one after another moves only the lost members\' flows and rounding excess, each time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 12 }),
        fc.integer({ min: 16, max: 2048 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        u32,
        (weights, bucketsHint, removals, hashSeed) => {
          let group = new NextHopGroup(weights, 'resilient', Math.max(bucketsHint, weights.length));
          const rand = prng(hashSeed);
          const hashes = Array.from({ length: 4000 }, () => draw(rand));
          for (const r of removals) {
            const live = weights.map((_, m) => m).filter((m) => group.isLive(m));
            if (live.length < 2) break;
            const gone = live[r % live.length]!;
            const next = group.without(gone);
            // a survivor whose rounded share of the table shrank gives up that many buckets (the kernel does so too)
            const shrank = weights.map((_, m) => next.expectedShares()[m]! < group.expectedShares()[m]!);
            let strayed = 0; // flows of a surviving member that moved though it did not shrink, or flows sent to a dead member
            for (const h of hashes) {
              const before = group.select(h);
              const after = next.select(h);
              if (!next.isLive(after) || (before !== gone && after !== before && !shrank[before]!)) strayed++;
            }
            expect(strayed, `member ${gone} of ${weights}`).toBe(0);
            group = next;
          }
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('through a fabric converged again after a VM or leaf fails: flows on the survivors keep their VM', () => {
    fc.assert(
      fc.property(fabricYaml, fc.nat(), fc.array(serviceFlow, { minLength: 50, maxLength: 400 }), ({ yaml, weighting }, pick, flows) => {
        const t = withHashing(parseTopology(yaml, 't.yaml'), { selection: 'resilient' });
        const leaves = t.leaves.filter((l) => l.name !== t.ingress.leaf).map((l) => l.name);
        // With weighting: paths a VM's failure also lowers its VTEP's weight: that is a reweighting, which must move
        // flows between surviving VTEPs, not a member's failure. There only whole leaves fail.
        const candidates = weighting === 'paths' ? leaves : [...t.vms.map((v) => v.name), ...leaves];
        const failed = candidates[pick % candidates.length]!;
        const before = converge(t);
        const after = converge(t, { failed: [failed], previous: before });
        const a = new Engine(before);
        const b = new Engine(after);
        for (const f of flows) {
          const i = a.processFlow(f.src, f.dst, f.proto, f.sport, f.dport);
          const j = b.processFlow(f.src, f.dst, f.proto, f.sport, f.dport);
          const vm = a.vmOf(i);
          if (after.failedVms.has(vm)) {
            if (j >= 0) expect(b.vmOf(j)).not.toBe(vm);
          } else {
            expect(j).toBeGreaterThanOrEqual(0);
            expect(b.vmOf(j), `${failed} failed`).toBe(vm);
          }
        }
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});
