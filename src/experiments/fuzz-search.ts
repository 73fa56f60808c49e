// fuzz --search over every algorithm × selection × seed setting: the worst significant shape per row, shrunk and put in words.

import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { converge } from '../fabric/converge.js';
import type { Topology } from '../fabric/topology.js';
import { SELECTIONS, type Selection } from '../fib/group.js';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../hash/index.js';
import { P_THRESHOLD } from '../stats/fairness.js';
import type { FuzzRow } from '../stats/trials.js';
import { mix2 } from '../traffic/prng.js';
import { Rng } from '../traffic/prng.js';
import { defaultDestination } from '../traffic/underlay.js';
import type { StageSpread } from './evaluate.js';
import { DEFAULT_FLOWS, DEFAULT_SEED, makeDir, rowAlgorithm, worstName, writeReproducer } from './fuzz.js';
import { ShapeJudge, runStrategy, shrink, type ShapeEvaluation, type Strategy } from './search.js';
import { describeShape } from './shape.js';
import { SEED_MODES, withHashing, type SeedMode } from './topology.js';

/** Flow evaluations per row by default: 500 shapes of 3,000 flows; the whole default search takes ~15 s here. */
export const DEFAULT_BUDGET = 1_500_000;
/** What shrinking may spend, in shapes, out of a row's budget (at most a fifth of it). */
export const SHRINK_SHAPES = 40;
export const DEFAULT_STRATEGY: Strategy = 'hill-climb';

export interface FuzzSearchOptions {
  topology: Topology;
  flows?: number;
  /** flow evaluations per row (algorithm × selection × seed setting), shrinking included */
  budget?: number;
  algorithms?: readonly HashAlgorithm[];
  selections?: readonly Selection[];
  seeds?: readonly SeedMode[];
  seed?: number;
  strategy?: Strategy;
  saveWorst?: string;
  onProgress?: (evaluations: number, total: number) => void;
}

/** A search row: SPEC §6's fuzz row plus `finding`. */
export interface SearchRow extends FuzzRow {
  finding: string;
}

export interface SearchResult {
  /** shapes tried per row */
  trials: number;
  flows: number;
  results: SearchRow[];
}

export interface SearchVariant {
  algorithm: HashAlgorithm;
  selection: Selection;
  seeds: SeedMode;
  topology: Topology;
  /** the worst shape, shrunk */
  worst: ShapeEvaluation;
  /** the worst shape as the search found it, before shrinking */
  found: ShapeEvaluation;
  /** shapes evaluated, shrinking included */
  shapes: number;
  row: SearchRow;
}

export interface SearchRun {
  result: SearchResult;
  variants: SearchVariant[];
  budget: number;
  strategy: Strategy;
}

/** A row's own seed: the run's seed mixed with the row's name, so a row finds the same whatever else runs. */
function rowSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = mix2(h, name.charCodeAt(i));
  return h;
}

function checkSearch(o: FuzzSearchOptions): { flows: number; budget: number; seed: number; shapes: number } {
  const flows = o.flows ?? DEFAULT_FLOWS;
  const budget = o.budget ?? DEFAULT_BUDGET;
  const seed = o.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(flows) || flows < 10) throw new UsageError(`${String(flows)} flows: a search needs at least 10 flows per shape`, '--flows');
  if (!Number.isSafeInteger(budget) || budget < flows * 10) throw new UsageError(`budget ${String(budget)}: at least 10 shapes of ${flows} flows (${flows * 10})`, '--budget');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed ${String(seed)} is not an integer in 0..4294967295`, '--seed');
  return { flows, budget, seed, shapes: Math.floor(budget / flows) };
}

/**
 * Searches each row's fabric (the algorithm and selection on every leaf, per-leaf or shared seeds) for the shape
 * whose worst significant stage is most uneven, shrinks it, and words the finding. Deterministic for a seed.
 */
export function runFuzzSearch(options: FuzzSearchOptions): SearchRun {
  const { flows, budget, seed, shapes } = checkSearch(options);
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  const dst = defaultDestination(options.topology);
  const rows: { algorithm: HashAlgorithm; seeds: SeedMode; selection: Selection }[] = [];
  for (const algorithm of options.algorithms ?? HASH_ALGORITHMS) {
    for (const seeds of options.seeds ?? SEED_MODES) for (const selection of options.selections ?? SELECTIONS) rows.push({ algorithm, seeds, selection });
  }
  const shrinkShapes = Math.min(SHRINK_SHAPES, Math.floor(shapes / 5));
  const total = rows.length * shapes * flows;
  let before = 0;
  const variants: SearchVariant[] = [];
  for (const { algorithm, seeds, selection } of rows) {
    const topology = withHashing(options.topology, { algorithm, selection, seeds });
    const judge = new ShapeJudge(converge(topology), dst, flows, () => options.onProgress?.(before + judge.evaluations, total));
    const name = `${rowAlgorithm(algorithm, seeds)}/${selection}`;
    const s = rowSeed(seed, name);
    const found = runStrategy(judge, { strategy, shapes: shapes - shrinkShapes, rng: new Rng(s, 0x73726368), seed: s }); // "srch"
    const worst = shrink(judge, found, shrinkShapes);
    before += shapes * flows;
    const row: SearchRow = {
      algorithm: rowAlgorithm(algorithm, seeds),
      selection,
      meanMaxOverMean: Math.min(judge.sumMaxOverMean / judge.shapes, Math.max(worst.maxOverMean, found.maxOverMean)),
      worstMaxOverMean: worst.maxOverMean,
      polarized: judge.polarized,
      reproducer: null,
      replayArgs: [],
      finding: findingWords(algorithm, worst, judge.shapes, flows),
    };
    variants.push({ algorithm, selection, seeds, topology, worst, found, shapes: judge.shapes, row });
  }
  if (options.saveWorst !== undefined) saveSearchWorst(options.saveWorst, variants, seed, flows, dst);
  return { result: { trials: shapes, flows, results: variants.map((v) => v.row) }, variants, budget, strategy };
}

function saveSearchWorst(dir: string, variants: SearchVariant[], runSeed: number, flows: number, dst: number): void {
  makeDir(dir);
  for (const v of variants) {
    const judge = new ShapeJudge(converge(v.topology), dst, flows);
    const set = judge.flowSet(v.worst.shape);
    const comment = [
      `ecmp-emu fuzz --search --seed ${runSeed}: worst shape of ${v.row.algorithm} with ${v.selection}, max/mean ${v.row.worstMaxOverMean}`,
      `shape: ${JSON.stringify(v.worst.shape)}`,
      `finding: ${v.row.finding}`,
    ].join('\n');
    const saved = writeReproducer(join(dir, worstName(v)), set, v.worst.shape.seed, v.topology, comment);
    v.row.reproducer = saved.reproducer;
    v.row.replayArgs = saved.replayArgs;
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`;

/** What the worst stage did, in words: "border sends every flow to leaf-2 (expected 33%)". */
function effectWords(s: StageSpread): string {
  const busiest = s.nextHops.reduce((a, b) => (b.expected > 0 && b.flows / b.expected > a.flows / Math.max(a.expected, 1e-12) ? b : a));
  const share = s.flows > 0 ? busiest.flows / s.flows : 0;
  const starved = s.nextHops.filter((h) => h.expected > 0 && h.flows === 0).map((h) => h.name);
  const what = share === 1 ? `every flow to ${busiest.name}` : `${pct(share)} of its flows to ${busiest.name}`;
  const none = starved.length && share < 1 ? `; ${starved.join(', ')} ${starved.length === 1 ? 'gets' : 'get'} none` : '';
  const via = s.upstream ? ` (of the ${s.flows} flows ${s.upstream} sends it)` : '';
  return `${s.node}${via} sends ${what}, expected ${pct(busiest.expected)}${none}`;
}

/** The row's finding: the shape and what it does, or that the hash survived and how close it came. */
export function findingWords(algorithm: HashAlgorithm, e: ShapeEvaluation, shapes: number, flows: number): string {
  const shape = describeShape(e.shape, flows);
  if (!e.significant || !e.stage) {
    const p = e.minP < 1e-3 ? e.minP.toExponential(1) : e.minP.toFixed(3);
    return (
      `survives: none of ${shapes} shapes of ${flows} flows spread significantly unevenly at any stage (chi-square p < ${P_THRESHOLD.toExponential(0)}); ` +
      `the closest (${shape}) has p = ${p}, max/mean ${e.maxOverMean.toFixed(3)}: chance`
    );
  }
  // linux-l3 hashes addresses only: every flow of one client is one key to it, so no selection can spread them.
  const blind = algorithm === 'linux-l3' && e.shape.clients <= 3 ? ` (linux-l3 reads addresses only: ${e.shape.clients === 1 ? "one client's flows are all one key" : 'a few clients are a few keys'})` : '';
  const polar = e.stage.polarized ? `; polarized: ${e.stage.node} re-splits the slice ${e.stage.upstream || 'its upstream'} cut, with a correlated hash` : '';
  return `${shape}: ${algorithm} — ${effectWords(e.stage)} (max/mean ${e.maxOverMean.toFixed(3)}, p ${e.stage.chiSquareP === 0 ? '< 1e-300' : e.stage.chiSquareP.toExponential(1)})${blind}${polar}`;
}
