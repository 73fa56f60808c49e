// Law: forwarding is a pure function of the topology and the flows.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/analysis/report.js';
import { SEED, fabricYaml, serviceFlow, type Flow } from './arbitraries.js';

function forward(yaml: string, flows: readonly Flow[]): Engine {
  const engine = new Engine(converge(parseTopology(yaml, 't.yaml')));
  for (const f of flows) engine.processFlow(f.src, f.dst, f.proto, f.sport, f.dport, 3, 300);
  return engine;
}

describe('determinism', () => {
  it('the same flows through the same topology give the same report', () => {
    fc.assert(
      fc.property(fabricYaml, fc.array(serviceFlow, { minLength: 1, maxLength: 300 }), ({ yaml }, flows) => {
        expect(buildReport(forward(yaml, flows))).toEqual(buildReport(forward(yaml, flows)));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('a flow goes where it goes whatever other flows came before it, in whatever order', () => {
    fc.assert(
      fc.property(fabricYaml, fc.array(serviceFlow, { minLength: 2, maxLength: 200 }), fc.nat(), ({ yaml }, flows, rot) => {
        const a = forward(yaml, flows);
        const shuffled = flows.map((f, i) => ({ f, k: (i * 7919 + rot) % flows.length })).sort((x, y) => x.k - y.k).map((x) => x.f);
        const b = forward(yaml, shuffled);
        for (const f of flows) {
          const alone = forward(yaml, [f]);
          const ia = a.processFlow(f.src, f.dst, f.proto, f.sport, f.dport, 0);
          const ib = b.processFlow(f.src, f.dst, f.proto, f.sport, f.dport, 0);
          const i1 = alone.processFlow(f.src, f.dst, f.proto, f.sport, f.dport, 0);
          expect(a.vmOf(ia)).toBe(alone.vmOf(i1));
          expect(b.vmOf(ib)).toBe(alone.vmOf(i1));
          expect(a.vtepOf(ia)).toBe(alone.vtepOf(i1));
        }
      }),
      { seed: SEED, numRuns: 25 },
    );
  });
});
