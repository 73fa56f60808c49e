// What a failure moves (SPEC §6 `failover`): RFC 2992's disruption analysis made concrete, per selection method.

import { UsageError } from '../errors.js';
import { converge, type Fabric } from '../fabric/converge.js';
import type { Topology } from '../fabric/topology.js';
import { SELECTIONS, type Selection } from '../fib/group.js';
import type { FailoverMethod, FailoverResult } from '../stats/trials.js';
import { makeFlows, type FlowSet, type Pattern, type ProtoChoice } from '../traffic/flows.js';
import { serviceDestination } from './fuzz.js';
import { FlowEvaluator } from './evaluate.js';
import { withHashing } from './topology.js';
import { failUnderlay, noUnderlayFailures } from '../fabric/spines.js';
import { crossedFailure, underlayCrossings } from './failover-underlay.js';

export const DEFAULT_FAILOVER_FLOWS = 30_000;
export const DEFAULT_FAILOVER_SEED = 1;

export interface FailoverOptions {
  topology: Topology;
  /** the VM or leaf that fails */
  fail: string;
  flows?: number;
  seed?: number;
  selections?: readonly Selection[];
  pattern?: Pattern;
  proto?: ProtoChoice;
  /** IPv6 flows (true), IPv4 (false); default as fuzz's serviceDestination */
  ipv6?: boolean;
}

/** One method's outcome, with the per-flow VMs behind it (VM index, -1 when the flow reached none). */
export interface FailoverDetail extends FailoverMethod {
  /** per flow: its VM, or for a spine or uplink failure its underlay crossing (failover-underlay.ts) */
  before: Int32Array;
  after: Int32Array;
  /** the VMs that went with the failure */
  failedVms: number[];
}

export interface FailoverRun {
  result: FailoverResult;
  flows: FlowSet;
  details: FailoverDetail[];
}

/**
 * For each selection method, applied to every leaf: converges the fabric, converges it again with `fail` gone
 * (groups that survive are updated in place, as the kernel and a resilient table do), forwards the same flows
 * through both and counts the flows whose VM changed (`moved`) and those that were on a VM that went (`minimum`:
 * they must move, whatever the method). Both are fractions of all flows.
 */
export function runFailover(o: FailoverOptions): FailoverRun {
  const flowCount = o.flows ?? DEFAULT_FAILOVER_FLOWS;
  const seed = o.seed ?? DEFAULT_FAILOVER_SEED;
  if (!Number.isSafeInteger(flowCount) || flowCount < 1) throw new UsageError(`${String(flowCount)} flows: expected a positive integer`, '--flows');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed ${String(seed)} is not an integer in 0..4294967295`, '--seed');
  // Validates the name (a VM or a leaf, not the ingress leaf) before any work.
  converge(o.topology, { failed: [o.fail] });
  const set = makeFlows({ pattern: o.pattern ?? 'uniform', flows: flowCount, seed, ...serviceDestination(o.topology, o.ipv6), proto: o.proto ?? 'mix' });
  // A spine or an uplink: no VM changes; what moves is the flows' spine (failover-underlay.ts).
  const underlay = failUnderlay(o.topology, o.fail, noUnderlayFailures());
  const details: FailoverDetail[] = [];
  for (const selection of o.selections ?? SELECTIONS) {
    const topology = withHashing(o.topology, { selection });
    const before = converge(topology);
    const after = converge(topology, { failed: [o.fail], previous: before });
    const vmBefore = underlay ? underlayCrossings(before, set) : vmsOf(before, set);
    const vmAfter = underlay ? underlayCrossings(after, set) : vmsOf(after, set);
    let moved = 0;
    let lost = 0;
    for (let f = 0; f < set.count; f++) {
      if (vmBefore[f] !== vmAfter[f]) moved++;
      if (underlay ? crossedFailure(after, vmBefore[f]!) : vmBefore[f]! >= 0 && after.failedVms.has(vmBefore[f]!)) lost++;
    }
    details.push({
      selection,
      moved: moved / set.count,
      minimum: lost / set.count,
      before: vmBefore,
      after: vmAfter,
      failedVms: [...after.failedVms].sort((a, b) => a - b),
    });
  }
  return {
    result: { removed: o.fail, flows: set.count, methods: details.map((d) => ({ selection: d.selection, moved: d.moved, minimum: d.minimum })), ...(underlay ? { moves: 'spine' as const } : {}) },
    flows: set,
    details,
  };
}

/** Each flow's VM (-1: none) through the fabric; the flows all go to one destination, the service's. */
function vmsOf(fabric: Fabric, set: FlowSet): Int32Array {
  const vms = new Int32Array(set.count);
  new FlowEvaluator(fabric, set.dst[0]!, set.dst6).run(set, set.count, vms);
  return vms;
}
