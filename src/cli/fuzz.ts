// `fuzz`: hash-fairness trials over every algorithm × selection method (SPEC §6).

import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { EmuError, UsageError } from '../errors.js';
import { SELECTIONS, type Selection } from '../fib/group.js';
import { ALL_HASH_ALGORITHMS, HASH_ALGORITHMS, type HashAlgorithm } from '../hash/index.js';
import { renderFuzzJson, renderFuzzText, shellQuote } from '../report/index.js';
import { PATTERNS, type Pattern } from '../traffic/flows.js';
import { DEFAULT_FLOWS, DEFAULT_SEED, DEFAULT_TRIALS, describeFindings, fuzzFindings, runFuzz } from '../experiments/index.js';
import { DEFAULT_BUDGET, DEFAULT_STRATEGY, runFuzzSearch } from '../experiments/fuzz-search.js';
import { STRATEGIES, type Strategy } from '../experiments/search.js';
import { renderFuzzHtml } from '../report/html-fuzz.js';
import { renderSearchJson, renderSearchText } from '../report/search.js';
import { SEED_MODES, type SeedMode } from '../experiments/topology.js';
import { loadTopologyArg, parseIntArg } from './common.js';

export interface FuzzCliOptions {
  topology?: string;
  trials?: string;
  flows?: string;
  algorithms?: string;
  selections?: string;
  patterns?: string;
  seeds?: string;
  seed?: string;
  saveWorst?: string;
  search?: boolean;
  ipv6?: boolean;
  budget?: string;
  strategy?: string;
  html?: string;
  json?: boolean;
}

/** A comma-separated list of known names (`all` for every one), duplicates dropped, order kept. */
export function parseListArg<T extends string>(text: string | undefined, known: readonly T[], what: string, option: string): readonly T[] {
  if (text === undefined || text.trim() === 'all') return known;
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`empty ${what} list`, option);
  for (const n of names) {
    if (!(known as readonly string[]).includes(n)) throw new UsageError(`unknown ${what} '${n}' (expected ${known.join(', ')} or all)`, option);
  }
  return [...new Set(names)] as T[];
}

/** The default and `all` are the six compared since issue 2; Linux's policies 2 and 3 are there by name. */
function algorithmsArg(text: string | undefined): readonly HashAlgorithm[] {
  if (text === undefined || text.trim() === 'all') return HASH_ALGORITHMS;
  return parseListArg<HashAlgorithm>(text, ALL_HASH_ALGORITHMS, 'hash algorithm', '--algorithms');
}

function parseSeeds(text: string | undefined): readonly SeedMode[] {
  if (text === undefined || text === 'both') return SEED_MODES;
  if ((SEED_MODES as readonly string[]).includes(text)) return [text as SeedMode];
  throw new UsageError(`unknown seed setting '${text}' (expected per-leaf, shared or both)`, '--seeds');
}

/** A progress line on standard error, only when it is a terminal. */
function progress(enabled: boolean, unit: string): { update: (done: number, total: number) => void; done: () => void } {
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (!enabled || (now - last < 100 && done < total)) return;
      last = now;
      shown = true;
      process.stderr.write(`\rfuzz: ${done}/${total} ${unit} (${((100 * done) / total).toFixed(0)}%)\x1b[K`);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

export function registerFuzz(program: Command): void {
  program
    .command('fuzz')
    .description('hash-fairness trials: generated flow sets over every hash algorithm and selection method (SPEC §6)')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--trials <n>', `trials per algorithm and selection, cycling through the patterns (default ${DEFAULT_TRIALS})`)
    .option('--flows <n>', `flows per trial; every other round of patterns carries a tenth (default ${DEFAULT_FLOWS})`)
    .option('--algorithms <list>', `comma-separated from ${ALL_HASH_ALGORITHMS.join(',')}, or all (default and all: ${HASH_ALGORITHMS.join(',')})`)
    .option('--selections <list>', `comma-separated, or all (default: ${SELECTIONS.join(',')})`)
    .option('--patterns <list>', `comma-separated, or all (default: ${PATTERNS.join(',')})`)
    .option('--seeds <how>', "per-leaf (the topology's seeds), shared (one seed on every leaf) or both (default both)")
    .option('--seed <n>', `seed of the trials' flow sets, 0..4294967295 (default ${DEFAULT_SEED})`)
    .option('--save-worst <dir>', "save each row's worst trial there: a capture and a topology that replay reproduces it")
    .option('--ipv6', 'IPv6 flows (flow label per flow) to the IPv6 service address; the default on a topology that announces no IPv4 prefix')
    .option('--search', 'search the traffic shapes real networks produce for the worst significant spread of each row, instead of fixed patterns')
    .option('--budget <n>', `with --search: flow evaluations per row, shrinking included (default ${DEFAULT_BUDGET})`)
    .option('--strategy <s>', `with --search: ${STRATEGIES.join(' or ')} (default ${DEFAULT_STRATEGY})`)
    .option('--html <out>', 'also write the algorithm × selection grid as a self-contained HTML heat map')
    .option('--json', 'the result as JSON (SPEC §6)')
    .addHelpText(
      'after',
      `
Each algorithm and selection is set on every leaf. Rows named after the algorithm keep the topology's seeds (a
leaf's explicit seed, else one derived from its name); rows "ALGO (shared seed)" give every leaf the ingress leaf's
seed, to show polarization. Trial i uses pattern i mod P; every other round of patterns carries a tenth of --flows.
uniform and zipf send UDP, TCP and some ICMP; the adversarial patterns (sequential-ports, single-source,
same-subnet) send UDP to one port, so only the fields they vary vary.
Per trial a row takes the worst stage's max/mean: the mean and worst of these, and the trials polarized.
With --save-worst DIR each row's worst trial is saved as DIR/worst-ALGO-SELECTION[-shared-seed].pcap (its flows,
one frame each) and .yaml (the row's topology, seeds written out); "reproducer" is the capture and
"replayArgs" follow it:  ecmp-emu replay <reproducer> <replayArgs...>  (--topology <yaml> --json), whose
stages include one with maxOverMean equal to worstMaxOverMean.
With --search each row gets --budget flow evaluations: shapes of --flows flows (which clients, protocols, source
and destination port ranges, strides and alignments, in order or drawn at random), searched for the stage whose
max/mean is worst among stages with chi-square p < 1e-6, then shrunk to the simplest shape no better; "finding"
says it in words. A row where no shape is significant survives, and says so. --search shapes IPv4 flows only (no
IPv6 shapes, no flow labels searched). With spines, fuzz judges the overlay stages only (the leaves' choice of VTEP
and VM); replay the reproducer to see the underlay stages.`,
    )
    .action((opts: FuzzCliOptions) => {
      if (opts.search && opts.ipv6) throw new UsageError('--search shapes IPv4 flows only', '--ipv6');
      if (opts.search) return searchAction(opts);
      if (opts.budget !== undefined || opts.strategy !== undefined) throw new UsageError('--budget and --strategy go with --search', opts.budget !== undefined ? '--budget' : '--strategy');
      const trials = opts.trials === undefined ? undefined : parseIntArg(opts.trials, '--trials', 1, 100_000);
      const flows = opts.flows === undefined ? undefined : parseIntArg(opts.flows, '--flows', 1, 10_000_000);
      const seed = opts.seed === undefined ? undefined : parseIntArg(opts.seed, '--seed', 0, 0xffffffff);
      const algorithms = algorithmsArg(opts.algorithms);
      const selections = parseListArg<Selection>(opts.selections, SELECTIONS, 'selection', '--selections');
      const patterns = parseListArg<Pattern>(opts.patterns, PATTERNS, 'pattern', '--patterns');
      const seeds = parseSeeds(opts.seeds);
      if (opts.saveWorst === '') throw new UsageError('--save-worst needs a directory', '--save-worst');
      const topology = loadTopologyArg(opts.topology);
      if (opts.html === '') throw new UsageError('--html needs a file name', '--html');
      const line = progress(process.stderr.isTTY === true && !opts.json, 'trials');
      const run = runFuzz({ topology, trials, flows, seed, algorithms, selections, patterns, seeds, saveWorst: opts.saveWorst, onProgress: line.update, ipv6: opts.ipv6 });
      line.done();
      if (opts.html !== undefined) writeTextFile(opts.html, renderFuzzHtml(run.result, { mode: 'trials', topology: topology.source, command: commandLine() }), 'HTML page');
      if (opts.json) process.stdout.write(renderFuzzJson(run.result));
      else {
        const findings = describeFindings(fuzzFindings(run));
        process.stdout.write(renderFuzzText(run.result) + (findings ? `\n${findings}` : ''));
      }
    });
}

/** Writes a page, failing as one line with exit 1. */
export function writeTextFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new EmuError(`cannot write ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path, 1);
  }
}

/** The command line as typed, for the page's footer. */
export function commandLine(): string {
  return ['ecmp-emu', ...process.argv.slice(2)].map(shellQuote).join(' ');
}

function searchAction(opts: FuzzCliOptions): void {
  if (opts.trials !== undefined || opts.patterns !== undefined) throw new UsageError('--search picks its own shapes: drop --trials and --patterns', opts.trials !== undefined ? '--trials' : '--patterns');
  const flows = opts.flows === undefined ? undefined : parseIntArg(opts.flows, '--flows', 10, 1_000_000);
  const budget = opts.budget === undefined ? undefined : parseIntArg(opts.budget, '--budget', 1, Number.MAX_SAFE_INTEGER);
  const seed = opts.seed === undefined ? undefined : parseIntArg(opts.seed, '--seed', 0, 0xffffffff);
  const strategy = opts.strategy === undefined ? undefined : parseListArg<Strategy>(opts.strategy, STRATEGIES, 'strategy', '--strategy')[0];
  if (opts.strategy !== undefined && opts.strategy.includes(',')) throw new UsageError('one strategy at a time', '--strategy');
  const algorithms = algorithmsArg(opts.algorithms);
  const selections = parseListArg<Selection>(opts.selections, SELECTIONS, 'selection', '--selections');
  const seeds = parseSeeds(opts.seeds);
  if (opts.saveWorst === '') throw new UsageError('--save-worst needs a directory', '--save-worst');
  if (opts.html === '') throw new UsageError('--html needs a file name', '--html');
  const topology = loadTopologyArg(opts.topology);
  const line = progress(process.stderr.isTTY === true && !opts.json, 'flow evaluations');
  const run = runFuzzSearch({ topology, flows, budget, seed, strategy, algorithms, selections, seeds, saveWorst: opts.saveWorst, onProgress: line.update });
  line.done();
  if (opts.html !== undefined) writeTextFile(opts.html, renderFuzzHtml(run.result, { mode: 'search', topology: topology.source, command: commandLine(), budget: run.budget, strategy: run.strategy }), 'HTML page');
  process.stdout.write(opts.json ? renderSearchJson(run.result) : renderSearchText(run.result, { budget: run.budget, strategy: run.strategy }));
}
