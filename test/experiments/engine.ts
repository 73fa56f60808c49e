// The engine's way of forwarding a flow set, for the differential tests of the experiments' own evaluator.

import { Engine } from '../../src/engine/engine.js';
import type { Fabric } from '../../src/fabric/converge.js';
import type { FlowSet } from '../../src/traffic/flows.js';

/** Forwards a flow set through a fabric with the engine, one synthetic flow each (no frames). */
export function forwardFlows(fabric: Fabric, set: FlowSet): Engine {
  const engine = new Engine(fabric, { flows: set.count });
  const { src, dst, proto, sport, dport } = set;
  for (let i = 0; i < set.count; i++) engine.processFlow(src[i]!, dst[i]!, proto[i]!, sport[i]!, dport[i]!);
  return engine;
}
