// Flows straight through a converged fabric's hashers and next-hop groups, no engine and no frames: fuzz --search's loop.

import { HOP_VM, HOP_VTEP, hopName, routePrefix, tableOf, tableOf6, type Fabric, type FabricRoute } from '../fabric/converge.js';
import type { NextHopGroup } from '../fib/group.js';
import type { FlowHasher, FlowHasher6 } from '../hash/index.js';
import { P_THRESHOLD, polarizationVerdict, spreadStats, stageFails } from '../stats/fairness.js';
import type { FlowSet } from '../traffic/flows.js';

/** Stages a flow may cross before the walk calls it a loop (the engine's flow table keeps as many). */
export const MAX_PLAN_STAGES = 4;

/** One choosing stage of the plan: a leaf's route to the destination and where each member leads. */
export interface PlanStage {
  leaf: number;
  route: FabricRoute;
  /** the stage flows came from to reach this one, -1 for the entry stage */
  upstream: number;
  /** first counter slot of this stage's members */
  base: number;
}

/** One stage's spread over the flows that reached it, as the SPEC §5 report computes it. */
export interface StageSpread {
  node: string;
  prefix: string;
  /** the leaf that handed this stage its flows, '' for the entry stage */
  upstream: string;
  flows: number;
  maxOverMean: number;
  jain: number;
  chiSquareP: number;
  /** p < 1e-6: not chance */
  significant: boolean;
  /** SPEC §5's polarization verdict (only judged where the stage fails its own test) */
  polarized: boolean;
  nextHops: { name: string; flows: number; expected: number }[];
}

/**
 * The fabric's decisions for one destination entering at the ingress leaf, compiled once: per stage the leaf's
 * hasher and the route's group, per member the next stage (a VTEP's leaf) or none (a VM, an opaque hop). The
 * destination is fixed, so every leaf's lookup is done here, not per flow. Counts are flows per member. With `dst6`
 * the destination is IPv6: the leaves' IPv6 tables and hashers, and flow sets with src6 and flow labels.
 */
export class FlowEvaluator {
  readonly stages: PlanStage[] = [];
  readonly counts: Int32Array;
  private readonly hashers: FlowHasher[] = [];
  private readonly hashers6: FlowHasher6[] = [];
  /** one flow's IPv6 source, copied out of the set's words */
  private readonly src6 = new Uint32Array(4);
  private readonly groups: NextHopGroup[] = [];
  private readonly base: Int32Array;
  /** per counter slot: the next stage's index, or -1 */
  private readonly next: Int32Array;
  /** per counter slot: the VM it delivers to, or -1 */
  private readonly slotVm: Int32Array;
  /** flows the last run forwarded (reached a VM or an opaque hop) */
  forwarded = 0;

  constructor(
    readonly fabric: Fabric,
    readonly dst: number,
    readonly dst6?: Uint32Array,
  ) {
    const byRoute = new Map<number, number>();
    const nextOf: number[][] = [];
    const visit = (leaf: number, upstream: number, depth: number): number => {
      const id = dst6 !== undefined ? tableOf6(fabric, leaf, fabric.ingressVrf).lookup(dst6[0]!, dst6[1]!, dst6[2]!, dst6[3]!) : tableOf(fabric, leaf, fabric.ingressVrf).lookup(dst);
      if (id < 0 || depth >= MAX_PLAN_STAGES) return -1;
      const known = byRoute.get(id);
      if (known !== undefined) return known;
      const route = fabric.routes[id]!;
      const index = this.stages.length;
      byRoute.set(id, index);
      this.stages.push({ leaf, route, upstream, base: 0 });
      nextOf.push(route.nextHops.map(() => -1));
      route.nextHops.forEach((hop, m) => {
        if (hop.kind === HOP_VTEP) nextOf[index]![m] = visit(hop.target, index, depth + 1);
      });
      return index;
    };
    visit(fabric.ingressLeaf, -1, 0);
    let slots = 0;
    for (const s of this.stages) {
      s.base = slots;
      slots += s.route.nextHops.length;
      this.hashers.push(fabric.hashers[s.leaf]!);
      this.hashers6.push(fabric.hashers6[s.leaf]!);
      this.groups.push(s.route.group);
    }
    this.counts = new Int32Array(slots);
    this.base = Int32Array.from(this.stages, (s) => s.base);
    this.next = new Int32Array(slots);
    this.slotVm = new Int32Array(slots).fill(-1);
    this.stages.forEach((s, i) => {
      nextOf[i]!.forEach((n, m) => (this.next[s.base + m] = n));
      s.route.nextHops.forEach((hop, m) => hop.kind === HOP_VM && (this.slotVm[s.base + m] = hop.target));
    });
  }

  /**
   * Counts flows 0..n-1 of the set (its destination is ignored: the plan's is used). A flow whose walk has no
   * route at some leaf, or loops, is not forwarded; its counts up to there stay, as the engine's would not, but a
   * converged fabric for a destination its VMs announce has neither. `vmOut[i]`, when given, gets flow i's VM
   * (-1: none, as the engine's flow table says for a flow that went to an opaque hop or nowhere).
   */
  run(set: FlowSet, n = set.count, vmOut?: Int32Array): void {
    const counts = this.counts;
    counts.fill(0);
    if (this.stages.length === 0) {
      this.forwarded = 0;
      return;
    }
    const { src, proto, sport, dport } = set;
    const dst = this.dst;
    const hashers = this.hashers;
    const groups = this.groups;
    const base = this.base;
    const next = this.next;
    const slotVm = this.slotVm;
    const v6 = this.ipv6(set);
    let forwarded = 0;
    for (let i = 0; i < n; i++) {
      const s = src[i]!, p = proto[i]!, sp = sport[i]!, dp = dport[i]!;
      if (v6) this.source6(set, i);
      let st = 0;
      let vm = -1;
      for (let depth = 0; depth < MAX_PLAN_STAGES; depth++) {
        const hash = v6 ? this.hashers6[st]!(this.src6, this.dst6!, p, sp, dp, set.flowLabel![i]!) : hashers[st]!(s, dst, p, sp, dp);
        const slot = base[st]! + groups[st]!.select(hash);
        counts[slot]!++;
        st = next[slot]!;
        if (st < 0) {
          forwarded++;
          vm = slotVm[slot]!;
          break;
        }
      }
      if (vmOut !== undefined) vmOut[i] = vm;
    }
    this.forwarded = forwarded;
  }

  /** Whether flows of `set` are hashed as IPv6: an IPv6 plan and set (a family mismatch is a caller's error). */
  private ipv6(set: FlowSet): boolean {
    const v6 = this.dst6 !== undefined;
    if (v6 !== (set.src6 !== undefined)) throw new Error(`an IPv${v6 ? 6 : 4} evaluator given an IPv${v6 ? 4 : 6} flow set`);
    return v6;
  }

  /** Copies flow i's IPv6 source into the scratch words. */
  private source6(set: FlowSet, i: number): void {
    const w = set.src6!;
    for (let k = 0; k < 4; k++) this.src6[k] = w[4 * i + k]!;
  }

  /** Flows per member of one stage after run(). */
  observed(stage: number): number[] {
    const s = this.stages[stage]!;
    return Array.from(this.counts.subarray(s.base, s.base + s.route.nextHops.length));
  }

  /**
   * Every stage the last run's flows reached that chooses among two or more live members, in route order (the
   * report's order), with the statistics the report computes from the same counts. `set` and `n` must be those of
   * the last run: the polarization baseline rehashes them.
   */
  spreads(set: FlowSet, n = set.count): StageSpread[] {
    const out: { id: number; spread: StageSpread }[] = [];
    this.stages.forEach((s, i) => {
      const group = s.route.group;
      const live = s.route.nextHops.filter((_, m) => group.isLive(m)).length;
      const observed = this.observed(i);
      if (live < 2 || observed.every((c) => c === 0)) return;
      const shares = group.expectedShares();
      const stats = spreadStats(observed, shares);
      // The baseline (every flow hashed here) costs a hash per flow: only where the verdict can be "polarized".
      const polarized = s.upstream >= 0 && stageFails(stats.chiSquareP, stats.maxOverMean) && polarizationVerdict(observed, this.baseline(i, set, n), shares).polarized;
      const total = shares.reduce((a, b) => a + b, 0);
      out.push({
        id: s.route.id,
        spread: {
          node: this.fabric.leafNames[s.leaf]!,
          prefix: routePrefix(s.route),
          upstream: s.upstream >= 0 ? this.fabric.leafNames[this.stages[s.upstream]!.leaf]! : '',
          flows: stats.flows,
          maxOverMean: stats.maxOverMean,
          jain: stats.jain,
          chiSquareP: stats.chiSquareP,
          significant: stats.chiSquareP < P_THRESHOLD,
          polarized,
          nextHops: s.route.nextHops.map((hop, m) => ({ name: hopName(this.fabric, hop), flows: observed[m]!, expected: total > 0 ? shares[m]! / total : 0 })),
        },
      });
    });
    return out.sort((a, b) => a.id - b.id).map((x) => x.spread);
  }

  /** The stage's counts had every flow of the set reached it. */
  private baseline(stage: number, set: FlowSet, n: number): number[] {
    const s = this.stages[stage]!;
    const hasher = this.hashers[stage]!;
    const hasher6 = this.hashers6[stage]!;
    const group = this.groups[stage]!;
    const counts = new Array<number>(s.route.nextHops.length).fill(0);
    const { src, proto, sport, dport } = set;
    const v6 = this.ipv6(set);
    for (let i = 0; i < n; i++) {
      if (v6) this.source6(set, i);
      const hash = v6 ? hasher6(this.src6, this.dst6!, proto[i]!, sport[i]!, dport[i]!, set.flowLabel![i]!) : hasher(src[i]!, this.dst, proto[i]!, sport[i]!, dport[i]!);
      counts[group.select(hash)]!++;
    }
    return counts;
  }
}
