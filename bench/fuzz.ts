// Benchmark of fuzz --search: flow evaluations per second (no engine, no frames), and which search strategy finds worse shapes faster.
//
// `node dist/bench/fuzz.js` prints both; `npm run bench` runs the speed part (fuzzStages). The strategy race pits
// hill climbing, the evolutionary search and fast-check's generators with its shrinking against each other on the
// same rows, seeds and budget of shapes, all through the same ShapeJudge.

import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { converge } from '../src/fabric/converge.js';
import { loadTopology } from '../src/fabric/topology.js';
import type { Selection } from '../src/fib/group.js';
import type { HashAlgorithm } from '../src/hash/index.js';
import { FlowEvaluator } from '../src/experiments/evaluate.js';
import { ShapeJudge, runStrategy, type ShapeEvaluation, type Strategy } from '../src/experiments/search.js';
import { CLIENT_NET, CLIENT_STRIDES, PORT_STRIDES, PROTOCOL_MIXES, SERVICE_PORTS, repairShape, typicalShape, type TrafficShape } from '../src/experiments/shape.js';
import { withHashing } from '../src/experiments/topology.js';
import { makeFlows } from '../src/traffic/flows.js';
import { Rng } from '../src/traffic/prng.js';
import { defaultDestination } from '../src/traffic/underlay.js';

const FLOWS = 3000;
/** The targets, flow evaluations per second on one core. */
const TARGETS: Partial<Record<HashAlgorithm, number>> = { crc32: 5e6, 'linux-l4': 2e6 };

export interface FuzzSpeed {
  algorithm: HashAlgorithm;
  /** FlowEvaluator.run over a 3,000-flow uniform set, both stages: best round */
  evalPerSecond: number;
  /** ShapeJudge.judge on the typical shape: generating the flows, both stages, the statistics */
  judgePerSecond: number;
}

function bestRate(rounds: number, work: number, fn: () => void): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return (work * 1e9) / best;
}

/** Flow evaluations per second per algorithm (hash-threshold on every leaf of the built-in fabric). */
export function fuzzSpeed(short: boolean): FuzzSpeed[] {
  const topology = loadTopology();
  const dst = defaultDestination(topology);
  const set = makeFlows({ pattern: 'uniform', flows: FLOWS, seed: 1, dst, proto: 'mix' });
  const reps = short ? 20 : 300;
  const out: FuzzSpeed[] = [];
  for (const algorithm of ['crc32', 'crc16', 'xor', 'toeplitz', 'linux-l3', 'linux-l4'] as HashAlgorithm[]) {
    const fabric = converge(withHashing(topology, { algorithm, selection: 'hash-threshold' }));
    const ev = new FlowEvaluator(fabric, dst);
    for (let i = 0; i < 50; i++) ev.run(set); // warm up
    const evalPerSecond = bestRate(short ? 3 : 7, reps * FLOWS, () => {
      for (let i = 0; i < reps; i++) ev.run(set);
    });
    // A new sample seed per shape: the judge remembers shapes it has seen, and those cost nothing.
    const judge = new ShapeJudge(fabric, dst, FLOWS);
    let sample = 0;
    for (let i = 0; i < 10; i++) judge.judge(typicalShape(sample++));
    const judgePerSecond = bestRate(short ? 3 : 5, (reps / 5) * FLOWS, () => {
      for (let i = 0; i < reps / 5; i++) judge.judge(typicalShape(sample++));
    });
    out.push({ algorithm, evalPerSecond, judgePerSecond });
  }
  return out;
}

/** The speed figures as bench/run.ts stage rows. */
export function fuzzStages(short: boolean): Array<{ stage: string; ns: number; mpps: number; spread: string; note?: string }> {
  return fuzzSpeed(short).flatMap((s) => {
    const target = TARGETS[s.algorithm];
    const met = target === undefined ? '' : `; target >= ${target / 1e6}M/s: ${short ? 'n/a (--short)' : s.evalPerSecond >= target ? 'met' : 'MISSED'}`;
    return [
      { stage: `fuzz: flow evaluations, ${s.algorithm}, both stages (FlowEvaluator)`, ns: 1e9 / s.evalPerSecond, mpps: s.evalPerSecond / 1e6, spread: 'best round', note: `M flows/s${met}` },
      { stage: `fuzz: shapes judged, ${s.algorithm} (flows generated + evaluated + statistics)`, ns: 1e9 / s.judgePerSecond, mpps: s.judgePerSecond / 1e6, spread: 'best round', note: 'M flows/s' },
    ];
  });
}

const portRange = fc.record({ low: fc.integer({ min: 1, max: 65535 }), stride: fc.constantFrom(...PORT_STRIDES), count: fc.integer({ min: 1, max: 65536 }) });

/** fast-check's view of a shape: its generators, biased toward small and edge values, and its shrinkers. */
function shapeArbitrary(flows: number): fc.Arbitrary<TrafficShape> {
  return fc
    .record({
      clients: fc.integer({ min: 1, max: 65536 }),
      offset: fc.integer({ min: 1, max: (1 << 24) - 2 }),
      clientStride: fc.constantFrom(...CLIENT_STRIDES),
      protocols: fc.constantFrom(...PROTOCOL_MIXES),
      sport: portRange,
      dport: fc.oneof(fc.record({ low: fc.constantFrom(...SERVICE_PORTS), stride: fc.constant(1), count: fc.constant(1) }), portRange),
      order: fc.constantFrom('sequential' as const, 'random' as const),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
    })
    .map(({ offset, ...s }) => repairShape({ ...s, clientBase: CLIENT_NET + offset }, flows));
}

/**
 * fast-check as a searcher: a property "no shape is fitter than the best so far" is checked until it fails;
 * fast-check then shrinks the counterexample (each step an evaluation), the best so far rises, and it starts
 * again with the next seed, until the shapes are spent.
 */
function fastCheckSearch(judge: ShapeJudge, shapes: number, seed: number): ShapeEvaluation {
  let best: ShapeEvaluation | undefined;
  // Repeats come from the judge's memory and cost nothing, as for the other racers: the budget is distinct shapes.
  for (let round = 0; judge.shapes < shapes && round < 4 * shapes; round++) {
    const threshold = best?.fitness ?? -1;
    fc.check(
      fc.property(shapeArbitrary(judge.flows), (s) => {
        if (judge.shapes >= shapes) return true;
        const e = judge.judge(s);
        if (!best || e.fitness > best.fitness) best = e;
        return e.fitness <= threshold;
      }),
      { seed: seed + round, numRuns: shapes - judge.shapes },
    );
  }
  return best!;
}

export type Racer = Strategy | 'fast-check';
export const RACERS: Racer[] = ['hill-climb', 'evolution', 'fast-check'];

export interface RaceRow {
  row: string;
  seed: number;
  racer: Racer;
  /** best max/mean (significant) after 25%, 50%, 100% of the shapes; 0 while nothing significant */
  at: [number, number, number];
  /** shapes until the best of all racers on this row and seed was first reached, or null */
  toBest: number | null;
  ms: number;
}

/** Runs each racer on each row and seed with the same budget of shapes; records the best-so-far curve. */
export function race(rows: Array<[HashAlgorithm, Selection]>, seeds: number[], shapes: number): RaceRow[] {
  const topology = loadTopology();
  const dst = defaultDestination(topology);
  const out: RaceRow[] = [];
  for (const [algorithm, selection] of rows) {
    const fabric = converge(withHashing(topology, { algorithm, selection }));
    for (const seed of seeds) {
      const curves = new Map<Racer, { curve: number[]; ms: number }>();
      for (const racer of RACERS) {
        const curve: number[] = [];
        let best = 0;
        const judge = new ShapeJudge(fabric, dst, FLOWS, (e) => {
          if (e.significant) best = Math.max(best, e.maxOverMean);
          curve.push(best);
        });
        const t0 = Date.now();
        if (racer === 'fast-check') fastCheckSearch(judge, shapes, seed);
        else runStrategy(judge, { strategy: racer, shapes, rng: new Rng(seed, 0x72616365), seed });
        curves.set(racer, { curve, ms: Date.now() - t0 });
      }
      const top = Math.max(...[...curves.values()].map((c) => c.curve[c.curve.length - 1] ?? 0));
      for (const [racer, { curve, ms }] of curves) {
        const q = (f: number): number => curve[Math.max(0, Math.ceil(f * shapes) - 1)] ?? 0;
        const hit = curve.findIndex((v) => top > 0 && v >= top);
        out.push({ row: `${algorithm}/${selection}`, seed, racer, at: [q(0.25), q(0.5), q(1)], toBest: hit < 0 ? null : hit + 1, ms });
      }
    }
  }
  return out;
}

/** The race as a table: per racer, the mean best max/mean at each point and how often and how soon it reached the top. */
export function formatRace(rows: RaceRow[], shapes: number): string {
  const lines = [`search strategies, ${shapes} shapes of ${FLOWS} flows per row and seed, same judge (best significant max/mean so far)`];
  lines.push(`${'row'.padEnd(22)} ${'racer'.padEnd(11)} ${'@25%'.padStart(6)} ${'@50%'.padStart(6)} ${'@100%'.padStart(6)}  reached the row's best (shapes, per seed)`);
  const keys = [...new Set(rows.map((r) => `${r.row}|${r.racer}`))];
  for (const k of keys) {
    const [row, racer] = k.split('|') as [string, Racer];
    const rs = rows.filter((r) => r.row === row && r.racer === racer);
    const mean = (i: number): string => (rs.reduce((a, r) => a + r.at[i]!, 0) / rs.length).toFixed(3);
    lines.push(`${row.padEnd(22)} ${racer.padEnd(11)} ${mean(0).padStart(6)} ${mean(1).padStart(6)} ${mean(2).padStart(6)}  ${rs.map((r) => (r.toBest === null ? '-' : String(r.toBest))).join(' ')}`);
  }
  lines.push('');
  for (const racer of RACERS) {
    const rs = rows.filter((r) => r.racer === racer);
    const reached = rs.filter((r) => r.toBest !== null);
    const median = reached.map((r) => r.toBest!).sort((a, b) => a - b)[Math.floor(reached.length / 2)];
    const mean = (i: number): string => (rs.reduce((a, r) => a + r.at[i]!, 0) / rs.length).toFixed(3);
    lines.push(`${racer.padEnd(11)} mean best max/mean over all races @25% ${mean(0)}, @50% ${mean(1)}, @100% ${mean(2)}; reached the best of all racers in ${reached.length}/${rs.length} races (median ${median ?? '-'} shapes); ${(rs.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(1)} s`);
  }
  return lines.join('\n');
}

/** Rows where the hash is weak but not trivially broken: where a search has something to find. */
export const RACE_ROWS: Array<[HashAlgorithm, Selection]> = [
  ['xor', 'hash-threshold'],
  ['xor', 'modulo'],
  ['crc32', 'hash-threshold'],
  ['crc32', 'resilient'],
  ['crc16', 'hash-threshold'],
  ['crc16', 'resilient'],
  ['toeplitz', 'resilient'],
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const short = process.argv.includes('--short');
  for (const s of fuzzStages(short)) console.log(`${s.stage.padEnd(78)} ${s.mpps.toFixed(2).padStart(7)} ${s.note ?? ''}`);
  if (!process.argv.includes('--speed-only')) {
    const shapes = short ? 60 : 300;
    const seeds = short ? [1] : [1, 2, 3, 4, 5, 6, 7, 8];
    console.log('');
    console.log(formatRace(race(RACE_ROWS, seeds, shapes), shapes));
  }
}
