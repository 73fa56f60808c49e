// fuzz --search (SPEC §6): per algorithm × selection, a search of traffic shapes for the worst significant spread.

import type { Fabric } from '../fabric/converge.js';
import type { FlowSet } from '../traffic/flows.js';
import { Rng } from '../traffic/prng.js';
import { FlowEvaluator, type StageSpread } from './evaluate.js';
import { crossover, mutate, randomShape, simplifications } from './mutate.js';
import { complexity, shapeFlows, shapeKey, typicalShape, type TrafficShape } from './shape.js';

/** A search may propose at most this many shapes per distinct shape it may evaluate (repeats cost nothing). */
const ATTEMPTS_PER_SHAPE = 4;

export const STRATEGIES = ['hill-climb', 'evolution'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** One shape tried: its stages' spreads and the figures the search compares. */
export interface ShapeEvaluation {
  shape: TrafficShape;
  stages: StageSpread[];
  /** some stage's imbalance is significant (chi-square p < 1e-6) */
  significant: boolean;
  /** the largest maxOverMean of the significant stages; of every stage when none is significant */
  maxOverMean: number;
  /** the stage maxOverMean belongs to */
  stage: StageSpread | undefined;
  /** the smallest p of its stages */
  minP: number;
  polarized: boolean;
  /** what the search maximises: 1 + maxOverMean when significant, else in [0, 1) as p approaches 1e-6 */
  fitness: number;
}

/** Evaluates shapes on one fabric, counting flow evaluations against a budget. */
export class ShapeJudge {
  readonly evaluator: FlowEvaluator;
  private readonly set: FlowSet;
  evaluations = 0;
  shapes = 0;
  polarized = 0;
  sumMaxOverMean = 0;

  constructor(
    fabric: Fabric,
    dst: number,
    readonly flows: number,
    private readonly onEvaluate?: (e: ShapeEvaluation) => void,
  ) {
    this.evaluator = new FlowEvaluator(fabric, dst);
    this.set = { count: flows, src: new Uint32Array(flows), dst: new Uint32Array(flows), proto: new Uint8Array(flows), sport: new Uint16Array(flows), dport: new Uint16Array(flows) };
  }

  /** The shape's flow set (a fresh copy: the judge reuses its own). */
  flowSet(shape: TrafficShape): FlowSet {
    return shapeFlows(shape, this.flows, this.evaluator.dst);
  }

  private readonly seen = new Map<string, ShapeEvaluation>();

  /** A shape's evaluation; one judged before comes from memory and costs no flow evaluation. */
  judge(shape: TrafficShape): ShapeEvaluation {
    const key = shapeKey(shape);
    const known = this.seen.get(key);
    if (known) return known;
    shapeFlows(shape, this.flows, this.evaluator.dst, this.set);
    this.evaluator.run(this.set);
    const e = summarize(shape, this.evaluator.spreads(this.set));
    this.evaluations += this.flows;
    this.shapes++;
    if (e.polarized) this.polarized++;
    this.sumMaxOverMean += Math.max(1, ...e.stages.map((s) => s.maxOverMean));
    this.onEvaluate?.(e);
    this.seen.set(key, e);
    return e;
  }
}

export function summarize(shape: TrafficShape, stages: StageSpread[]): ShapeEvaluation {
  const significant = stages.filter((s) => s.significant);
  const pool = significant.length ? significant : stages;
  let stage: StageSpread | undefined;
  for (const s of pool) if (!stage || s.maxOverMean > stage.maxOverMean) stage = s;
  const minP = stages.reduce((m, s) => Math.min(m, s.chiSquareP), 1);
  const maxOverMean = stage?.maxOverMean ?? 1;
  // Below significance the search follows p down (a hint, never a finding); -log10(1e-6) = 6 maps to 1.
  const hint = Math.min(0.999, -Math.log10(Math.max(minP, 1e-300)) / 6);
  return {
    shape,
    stages,
    significant: significant.length > 0,
    maxOverMean,
    stage,
    minP,
    polarized: stages.some((s) => s.polarized),
    fitness: significant.length ? 1 + maxOverMean : hint,
  };
}

/** a is better than b: fitter, or as fit and simpler. */
export function better(a: ShapeEvaluation, b: ShapeEvaluation | undefined): boolean {
  if (!b) return true;
  if (a.fitness !== b.fitness) return a.fitness > b.fitness;
  return complexity(a.shape) < complexity(b.shape);
}

/** At least as good as b for shrinking: a significant b stays significant and at least as uneven. */
function noWorse(a: ShapeEvaluation, b: ShapeEvaluation): boolean {
  return a.fitness >= b.fitness;
}

export interface SearchOptions {
  strategy: Strategy;
  /** shapes the search may evaluate (shrinking has its own allowance) */
  shapes: number;
  rng: Rng;
  /** the search's first shape's sample seed */
  seed: number;
}

/** Hill climbing with restarts: one mutation at a time, kept when no worse; a fresh random shape after a long plateau. */
export function hillClimb(judge: ShapeJudge, o: SearchOptions): ShapeEvaluation {
  const flows = judge.flows;
  let current = judge.judge(typicalShape(o.seed));
  let best = current;
  let stale = 0;
  for (let attempts = 1; judge.shapes < o.shapes && attempts < ATTEMPTS_PER_SHAPE * o.shapes; attempts++) {
    const shape = stale >= 40 ? randomShape(o.rng, flows) : mutate(o.rng.below(4) === 0 ? mutate(current.shape, o.rng, flows) : current.shape, o.rng, flows);
    const e = judge.judge(shape);
    if (stale >= 40) {
      current = e;
      stale = 0;
    } else if (e.fitness >= current.fitness) {
      stale = e.fitness > current.fitness ? 0 : stale + 1;
      current = e;
    } else stale++;
    if (better(e, best)) best = e;
  }
  return best;
}

const POPULATION = 16;

/** A (μ + λ) evolutionary search: tournament parents, uniform crossover, mutation, the fittest survive. */
export function evolve(judge: ShapeJudge, o: SearchOptions): ShapeEvaluation {
  const flows = judge.flows;
  let pop: ShapeEvaluation[] = [judge.judge(typicalShape(o.seed))];
  while (pop.length < Math.min(POPULATION, o.shapes)) pop.push(judge.judge(randomShape(o.rng, flows)));
  const end = judge.shapes - pop.length + o.shapes;
  let attempts = pop.length;
  const tournament = (): ShapeEvaluation => {
    const a = pop[o.rng.below(pop.length)]!;
    const b = pop[o.rng.below(pop.length)]!;
    return better(a, b) ? a : b;
  };
  while (judge.shapes < end && attempts < ATTEMPTS_PER_SHAPE * o.shapes) {
    const children: ShapeEvaluation[] = [];
    for (let k = 0; k < POPULATION && judge.shapes < end; k++, attempts++) {
      let shape = o.rng.below(2) ? crossover(tournament().shape, tournament().shape, o.rng, flows) : tournament().shape;
      if (o.rng.below(5) > 0) shape = mutate(shape, o.rng, flows);
      children.push(judge.judge(shape));
    }
    pop = [...new Set([...pop, ...children])].sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0)).slice(0, POPULATION);
  }
  return pop.reduce((a, b) => (better(b, a) ? b : a));
}

/**
 * The shape shrunk to its simplest form that breaks the hash at least as badly: repeatedly the first simpler
 * neighbour that is no worse, until none is or `shapes` evaluations are spent.
 */
export function shrink(judge: ShapeJudge, start: ShapeEvaluation, shapes: number): ShapeEvaluation {
  let best = start;
  let left = shapes;
  const seen = new Set([shapeKey(start.shape)]);
  for (let changed = true; changed && left > 0; ) {
    changed = false;
    for (const cand of simplifications(best.shape, judge.flows)) {
      const key = shapeKey(cand);
      if (seen.has(key) || complexity(cand) >= complexity(best.shape)) continue;
      seen.add(key);
      if (left-- <= 0) break;
      const e = judge.judge(cand);
      if (noWorse(e, best)) {
        best = e;
        changed = true;
        break;
      }
    }
  }
  return best;
}

export function runStrategy(judge: ShapeJudge, o: SearchOptions): ShapeEvaluation {
  return o.strategy === 'evolution' ? evolve(judge, o) : hillClimb(judge, o);
}
