// Law: a flow never splits across next-hops: every packet of a flow lands on one VM, through one VTEP.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { parseTopology } from '../../src/fabric/topology.js';
import { Engine } from '../../src/engine/engine.js';
import { PathResult, resolvePath } from '../../src/engine/path.js';
import { SEED, fabricYaml, serviceFlow } from './arbitraries.js';

describe('flow affinity', () => {
  it('every packet of a flow lands on the VM its first packet did, with packets of other flows interleaved', () => {
    fc.assert(
      fc.property(
        fabricYaml,
        fc.array(serviceFlow, { minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
        ({ yaml }, flows, schedule) => {
          const fabric = converge(parseTopology(yaml, 't.yaml'));
          const engine = new Engine(fabric);
          const seen = new Map<number, { vm: number; vtep: number; packets: number }>();
          const fresh = new PathResult();
          // Every flow at least once, then packets in the schedule's order.
          const order = [...flows.keys(), ...schedule.map((n) => n % flows.length)];
          for (const i of order) {
            const f = flows[i]!;
            const idx = engine.processFlow(f.src, f.dst, f.proto, f.sport, f.dport);
            expect(idx).toBeGreaterThanOrEqual(0);
            const vm = engine.vmOf(idx);
            const vtep = engine.vtepOf(idx);
            const ports = f.proto === 6 || f.proto === 17;
            // Decided afresh, without the flow table's memory: the same path.
            resolvePath(fabric, fabric.ingressLeaf, fabric.ingressVrf, f.src, f.dst, f.proto, ports ? f.sport : 0, ports ? f.dport : 0, -1, fresh);
            expect(fresh.vm).toBe(vm);
            expect(fresh.vtep).toBe(vtep);
            const key = idx;
            const s = seen.get(key);
            if (s) {
              expect(vm).toBe(s.vm);
              expect(vtep).toBe(s.vtep);
              s.packets++;
            } else seen.set(key, { vm, vtep, packets: 1 });
          }
          for (const [idx, s] of seen) expect(engine.flows.packetsOf(idx)).toBe(s.packets);
          expect(vmPackets(engine)).toBe(order.length);
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });
});

function vmPackets(engine: Engine): number {
  let n = 0;
  for (let f = 0; f < engine.flows.size; f++) if (engine.vmOf(f) >= 0) n += engine.flows.packetsOf(f);
  return n;
}
