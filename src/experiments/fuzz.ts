// Hash-fairness fuzzing (SPEC §6 `fuzz`): generated flow sets over every algorithm × selection on a topology.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmuError, UsageError } from '../errors.js';
import { converge, type Fabric } from '../fabric/converge.js';
import type { Topology } from '../fabric/topology.js';
import { SELECTIONS, type Selection } from '../fib/group.js';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../hash/index.js';
import { PcapWriter } from '../capture/writer.js';
import type { FuzzResult, FuzzRow } from '../stats/trials.js';
import { PATTERNS, flowCapacity, makeFlows, type FlowSet, type Pattern, type ProtoChoice } from '../traffic/flows.js';
import { FrameWriter } from '../traffic/frames.js';
import { EPOCH_SEC, FRAME_INTERVAL_NS } from '../traffic/generator.js';
import { mix2 } from '../traffic/prng.js';
import { defaultDestination, defaultDestination6 } from '../traffic/underlay.js';
import { FlowEvaluator } from './evaluate.js';
import { SEED_MODES, topologyToYaml, withHashing, type SeedMode } from './topology.js';

/** Defaults: 20 trials of 3,000 flows take a few seconds on two cores (see the CLI's note) and show every effect. */
export const DEFAULT_TRIALS = 20;
export const DEFAULT_FLOWS = 3000;
export const DEFAULT_SEED = 1;
/** The "few flows" trials carry this fraction of --flows (at least FEW_FLOWS_MIN). */
export const FEW_FLOWS_DIVISOR = 10;
export const FEW_FLOWS_MIN = 10;

export interface FuzzOptions {
  topology: Topology;
  trials?: number;
  /** flows per trial (the "few flows" trials carry a tenth) */
  flows?: number;
  algorithms?: readonly HashAlgorithm[];
  selections?: readonly Selection[];
  patterns?: readonly Pattern[];
  /** which seed settings to run; default both: rows for the topology's seeds and rows with one shared seed */
  seeds?: readonly SeedMode[];
  /** the seed every trial's flow set derives from */
  seed?: number;
  /** save each row's worst trial (capture and topology) here */
  saveWorst?: string;
  /**
   * IPv6 flows to the IPv6 service address (true), IPv4 ones (false); default: IPv4 when some VM announces an IPv4
   * prefix, else IPv6 (an IPv6-only topology).
   */
  ipv6?: boolean;
  /** called after each trial of each row */
  onProgress?: (done: number, total: number) => void;
}

/** One trial's traffic: a flow set the generator makes from these options. */
export interface TrialPlan {
  index: number;
  pattern: Pattern;
  flows: number;
  proto: ProtoChoice;
  seed: number;
}

/** One choosing stage of one trial, from the trial's report. */
export interface StageOutcome {
  node: string;
  prefix: string;
  flows: number;
  maxOverMean: number;
  jain: number;
  chiSquareP: number;
  polarized: boolean;
}

export interface TrialOutcome {
  trial: number;
  /** the largest maxOverMean of its stages (1 when no stage chose) */
  maxOverMean: number;
  polarized: boolean;
  stages: StageOutcome[];
}

/** One row of the result with everything behind it. */
export interface FuzzVariant {
  algorithm: HashAlgorithm;
  selection: Selection;
  seeds: SeedMode;
  /** the topology the row ran on */
  topology: Topology;
  trials: TrialOutcome[];
  /** index of the trial whose maxOverMean is worstMaxOverMean (the first such) */
  worstTrial: number;
  row: FuzzRow;
}

export interface FuzzRun {
  result: FuzzResult;
  plan: TrialPlan[];
  variants: FuzzVariant[];
}

/** The row name: the algorithm, marked when every leaf shares one seed. */
export function rowAlgorithm(algorithm: HashAlgorithm, seeds: SeedMode): string {
  return seeds === 'shared' ? `${algorithm} (shared seed)` : algorithm;
}

/**
 * Adversarial patterns send one protocol to one port (only the varying fields vary); uniform and zipf send a mix
 * of UDP, TCP and ICMP, as real client traffic does.
 */
function protoFor(pattern: Pattern): ProtoChoice {
  return pattern === 'uniform' || pattern === 'zipf' ? 'mix' : 'udp';
}

/**
 * The trials: trial i uses pattern i mod P (P patterns), so every pattern comes round in turn; every other round
 * through the patterns carries few flows (a tenth of `flows`), where chance alone makes spreads uneven and a
 * hash's weakness on small samples shows. Each trial has its own seed, derived from the run's seed.
 */
export function planTrials(trials: number, flows: number, patterns: readonly Pattern[], seed: number): TrialPlan[] {
  const few = Math.max(FEW_FLOWS_MIN, Math.round(flows / FEW_FLOWS_DIVISOR));
  const plan: TrialPlan[] = [];
  for (let i = 0; i < trials; i++) {
    const pattern = patterns[i % patterns.length]!;
    const round = Math.floor(i / patterns.length);
    plan.push({ index: i, pattern, flows: round % 2 === 1 ? Math.min(few, flows) : flows, proto: protoFor(pattern), seed: mix2(seed >>> 0, i) });
  }
  return plan;
}

function checkOptions(o: FuzzOptions): Required<Omit<FuzzOptions, 'saveWorst' | 'onProgress' | 'ipv6'>> & Pick<FuzzOptions, 'ipv6'> {
  const trials = o.trials ?? DEFAULT_TRIALS;
  const flows = o.flows ?? DEFAULT_FLOWS;
  const seed = o.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(trials) || trials < 1) throw new UsageError(`${String(trials)} trials: expected a positive integer`, '--trials');
  if (!Number.isSafeInteger(flows) || flows < 1) throw new UsageError(`${String(flows)} flows: expected a positive integer`, '--flows');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed ${String(seed)} is not an integer in 0..4294967295`, '--seed');
  const algorithms = o.algorithms ?? HASH_ALGORITHMS;
  const selections = o.selections ?? SELECTIONS;
  const patterns = o.patterns ?? PATTERNS;
  const seeds = o.seeds ?? SEED_MODES;
  for (const [list, what] of [[algorithms, '--algorithms'], [selections, '--selections'], [patterns, '--patterns'], [seeds, '--seeds']] as const) {
    if (list.length === 0) throw new UsageError('the list is empty', what);
  }
  for (const p of new Set(patterns)) {
    const cap = flowCapacity(p, protoFor(p));
    if (flows > cap) throw new UsageError(`${flows} flows per trial, but pattern ${p} makes at most ${cap} distinct flows`, '--flows');
  }
  return { topology: o.topology, trials, flows, seed, algorithms, selections, patterns, seeds, ipv6: o.ipv6 };
}

/**
 * One trial on one fabric: its stages' statistics and polarization verdicts, as the SPEC §5 report of the same
 * flows gives them (the flows all go to one destination; test/experiments/search.test.ts checks the evaluator
 * against the engine's report).
 */
export function runTrial(fabric: Fabric, set: FlowSet, trial: number): TrialOutcome {
  const evaluator = new FlowEvaluator(fabric, set.dst[0]!, set.dst6);
  evaluator.run(set);
  const stages: StageOutcome[] = evaluator.spreads(set).map((s) => ({
    node: s.node,
    prefix: s.prefix,
    flows: s.flows,
    maxOverMean: s.maxOverMean,
    jain: s.jain,
    chiSquareP: s.chiSquareP,
    polarized: s.polarized,
  }));
  return {
    trial,
    maxOverMean: stages.reduce((m, s) => Math.max(m, s.maxOverMean), 1),
    polarized: stages.some((s) => s.polarized),
    stages,
  };
}

/**
 * Runs every trial over every (algorithm, seeds, selection), each applied to every leaf of the topology.
 * Deterministic for a given seed. With `saveWorst`, each row's worst trial is written as
 * `worst-<algorithm>-<selection>[-shared-seed].pcap` (one frame per flow) and `.yaml` (the row's topology) there.
 */
export function runFuzz(options: FuzzOptions): FuzzRun {
  const o = checkOptions(options);
  const service = serviceDestination(o.topology, o.ipv6);
  const plan = planTrials(o.trials, o.flows, o.patterns, o.seed);
  const sets = plan.map((p) => makeFlows({ pattern: p.pattern, flows: p.flows, seed: p.seed, ...service, proto: p.proto }));
  const variants: FuzzVariant[] = [];
  const total = o.algorithms.length * o.seeds.length * o.selections.length * plan.length;
  let done = 0;
  for (const algorithm of o.algorithms) {
    for (const seeds of o.seeds) {
      for (const selection of o.selections) {
        const topology = withHashing(o.topology, { algorithm, selection, seeds });
        const fabric = converge(topology);
        const trials: TrialOutcome[] = [];
        for (let t = 0; t < plan.length; t++) {
          trials.push(runTrial(fabric, sets[t]!, t));
          options.onProgress?.(++done, total);
        }
        let worstTrial = 0;
        for (let t = 1; t < trials.length; t++) if (trials[t]!.maxOverMean > trials[worstTrial]!.maxOverMean) worstTrial = t;
        const row: FuzzRow = {
          algorithm: rowAlgorithm(algorithm, seeds),
          selection,
          // Rounding in the sum can lift the mean of equal values a hair above them: a mean never exceeds the worst.
          meanMaxOverMean: Math.min(trials.reduce((s, t) => s + t.maxOverMean, 0) / trials.length, trials[worstTrial]!.maxOverMean),
          worstMaxOverMean: trials[worstTrial]!.maxOverMean,
          polarized: trials.filter((t) => t.polarized).length,
          reproducer: null,
          replayArgs: [],
        };
        variants.push({ algorithm, selection, seeds, topology, trials, worstTrial, row });
      }
    }
  }
  if (options.saveWorst !== undefined) saveWorst(options.saveWorst, variants, plan, sets, o.seed);
  return { result: { trials: plan.length, flows: o.flows, results: variants.map((v) => v.row) }, plan, variants };
}

/**
 * The service the experiments' flows go to: the IPv6 one (defaultDestination6) when `ipv6`, the IPv4 one when
 * false; by default IPv4 when some VM announces an IPv4 prefix, else IPv6.
 */
export function serviceDestination(t: Topology, ipv6?: boolean): { dst: number; dst6?: Uint32Array } {
  const v6 = ipv6 ?? !t.vms.some((vm) => vm.announce.some((a) => a.prefix6 === undefined));
  return v6 ? { dst: 0, dst6: defaultDestination6(t) } : { dst: defaultDestination(t) };
}

/** File name stem of a row's reproducer. */
export function worstName(v: { algorithm: string; selection: string; seeds: SeedMode }): string {
  return `worst-${v.algorithm}-${v.selection}${v.seeds === 'shared' ? '-shared-seed' : ''}`;
}

/**
 * Writes each row's worst trial: its flows as a pcap of one frame per flow, in generation order, written by the
 * traffic generator's frame writer (plain client frames, so `replay` forwards them from the ingress leaf exactly as
 * the trial did), and the row's topology as YAML with every leaf's hashing spelled out. The row's reproducer is
 * the capture; replayArgs are what follows it on `ecmp-emu replay <reproducer>`.
 */
function saveWorst(dir: string, variants: FuzzVariant[], plan: TrialPlan[], sets: FlowSet[], runSeed: number): void {
  makeDir(dir);
  for (const v of variants) {
    const trial = plan[v.worstTrial]!;
    const comment = [
      `ecmp-emu fuzz --seed ${runSeed}: worst trial of ${v.row.algorithm} with ${v.selection}`,
      `trial ${trial.index}: pattern ${trial.pattern}, ${trial.flows} ${trial.proto} flows, flow seed ${trial.seed}; worst stage max/mean ${v.row.worstMaxOverMean}`,
    ].join('\n');
    const saved = writeReproducer(join(dir, worstName(v)), sets[v.worstTrial]!, trial.seed, v.topology, comment);
    v.row.reproducer = saved.reproducer;
    v.row.replayArgs = saved.replayArgs;
  }
}

/** mkdir -p, as a one-line error. */
export function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new EmuError(`cannot create directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`, dir, 1);
  }
}

/**
 * Writes a flow set as `stem.pcap`, one frame per flow in set order, by the traffic generator's frame writer (plain
 * client frames, so `replay` forwards them from the ingress leaf exactly as the experiment did), and the topology
 * as `stem.yaml` with every leaf's hashing spelled out. Returns the reproducer and what follows it on
 * `ecmp-emu replay <reproducer>`.
 */
export function writeReproducer(stem: string, set: FlowSet, frameSeed: number, topology: Topology, comment: string): { reproducer: string; replayArgs: string[] } {
  const capture = `${stem}.pcap`;
  const yamlPath = `${stem}.yaml`;
  const ingress = topology.leaves.find((l) => l.name === topology.ingress.leaf)!;
  const writer = PcapWriter.openSync(capture);
  try {
    const frames = new FrameWriter(set, frameSeed, ingress.vtep);
    for (let f = 0; f < set.count; f++) {
      const sec = Math.floor(f / 1e6);
      frames.write(writer, f, 0, EPOCH_SEC + sec, (f - sec * 1e6) * FRAME_INTERVAL_NS);
    }
  } finally {
    writer.closeSync();
  }
  try {
    writeFileSync(yamlPath, topologyToYaml(topology, `${comment}\nreplay: ecmp-emu replay ${capture} --topology ${yamlPath} --json`));
  } catch (e) {
    throw new EmuError(`cannot write topology (${(e as NodeJS.ErrnoException).code ?? String(e)})`, yamlPath, 1);
  }
  return { reproducer: capture, replayArgs: ['--topology', yamlPath, '--json'] };
}
