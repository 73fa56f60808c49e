// Law: a good hash spreads many random flows over a group as its weights say, within chi-square bounds.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { DEFAULT_TOPOLOGY_YAML, parseTopology } from '../../src/fabric/topology.js';
import { NextHopGroup } from '../../src/fib/group.js';
import { HASH_FIELDS, makeHasher, type HashAlgorithm } from '../../src/hash/index.js';
import { chiSquareP } from '../../src/stats/fairness.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/analysis/report.js';
import { withHashing } from '../../src/experiments/topology.js';
import { prng, u32 as draw } from '../helpers.js';
import { SEED, selection, u32 } from './arbitraries.js';

/** The algorithms fit for ECMP on random traffic (not crc16 or xor: 16 bits, or a fold that cancels). */
const GOOD: readonly HashAlgorithm[] = ['linux-l3', 'linux-l4', 'crc32', 'toeplitz'];
const FLOWS = 20_000;
const P_MIN = 1e-6;

describe('spread of good hashes', () => {
  it('random flows over one group of random weights: chi-square p > 1e-6 for every selection', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GOOD),
        u32,
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 2, maxLength: 8 }),
        selection,
        fc.integer({ min: 64, max: 1024 }),
        u32,
        (algorithm, seed, weights, sel, buckets, flowSeed) => {
          const hash = makeHasher({ algorithm, seed, fields: HASH_FIELDS });
          const group = new NextHopGroup(weights, sel, buckets);
          const counts = new Array<number>(weights.length).fill(0);
          const rand = prng(flowSeed);
          for (let i = 0; i < FLOWS; i++) {
            const proto = rand() < 0.5 ? 6 : 17;
            counts[group.select(hash(draw(rand), draw(rand), proto, Math.floor(rand() * 65536), Math.floor(rand() * 65536)))]!++;
          }
          const p = chiSquareP(counts, group.expectedShares());
          expect(p, `${algorithm} ${sel} weights ${weights} counts ${counts}`).toBeGreaterThan(P_MIN);
        },
      ),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('random client flows at the built-in fabric\'s ingress stage: the border spreads as the VTEP weights say', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GOOD), selection, fc.constantFrom('equal', 'paths'), u32, (algorithm, sel, weighting, flowSeed) => {
        const t = withHashing(parseTopology(`${DEFAULT_TOPOLOGY_YAML}defaults: { weighting: ${weighting} }\n`, 't.yaml'), { algorithm, selection: sel });
        const engine = new Engine(converge(t));
        const rand = prng(flowSeed);
        for (let i = 0; i < 6000; i++) {
          engine.processFlow((0x0a000000 | (draw(rand) & 0xffffff)) >>> 0, 0xc0a8640a, rand() < 0.5 ? 6 : 17, 32768 + Math.floor(rand() * 28232), 443);
        }
        const border = buildReport(engine).stages.find((s) => s.node === 'border')!;
        expect(border.chiSquareP, `${algorithm} ${sel} ${weighting}`).toBeGreaterThan(P_MIN);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });
});
