import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology } from '../../src/fabric/topology.js';
import { replayCapture } from '../../src/engine/replay.js';
import { UsageError } from '../../src/errors.js';
import { HASH_ALGORITHMS } from '../../src/hash/index.js';
import { SELECTIONS } from '../../src/fib/group.js';
import { PATTERNS } from '../../src/traffic/flows.js';
import { fuzzFindings, planTrials, runFuzz, type FuzzRun } from '../../src/experiments/index.js';
import { cli } from './cli.js';

const builtIn = loadTopology();

describe('the trial plan', () => {
  it('cycles through every pattern, alternating full rounds with few-flow rounds, one seed per trial', () => {
    const plan = planTrials(20, 3000, PATTERNS, 1);
    expect(plan.map((p) => p.pattern)).toEqual([...PATTERNS, ...PATTERNS, ...PATTERNS, ...PATTERNS]);
    expect(plan.map((p) => p.flows)).toEqual([...Array(5).fill(3000), ...Array(5).fill(300), ...Array(5).fill(3000), ...Array(5).fill(300)]);
    expect(new Set(plan.map((p) => p.seed)).size).toBe(20);
    expect(plan.filter((p) => p.pattern === 'sequential-ports').every((p) => p.proto === 'udp')).toBe(true);
    expect(plan.filter((p) => p.pattern === 'uniform').every((p) => p.proto === 'mix')).toBe(true);
  });
});

describe('fuzz on the built-in topology with the defaults', () => {
  let run: FuzzRun;
  const row = (algorithm: string, selection: string) => run.result.results.find((r) => r.algorithm === algorithm && r.selection === selection)!;

  it('runs 20 trials of 3000 flows over 6 algorithms x 3 selections x 2 seed settings', () => {
    run = runFuzz({ topology: builtIn });
    expect(run.result.trials).toBe(20);
    expect(run.result.flows).toBe(3000);
    expect(run.result.results).toHaveLength(HASH_ALGORITHMS.length * SELECTIONS.length * 2);
    for (const r of run.result.results) {
      expect(r.worstMaxOverMean).toBeGreaterThanOrEqual(r.meanMaxOverMean);
      expect(r.meanMaxOverMean).toBeGreaterThanOrEqual(1);
      expect(r.reproducer).toBeNull();
      expect(r.replayArgs).toEqual([]);
    }
  });

  it('finds xor the worst hash of the 5-tuple on its own: at the ingress stage every flow lands on one VTEP', () => {
    const f = fuzzFindings(run);
    expect(f.ingress).toBe('border');
    // linux-l3 reads no ports: one source's flows are one key to it, so it is excluded from the hash-quality race.
    const fiveTuple = f.hashAlone.filter((h) => h.algorithm !== 'linux-l3');
    expect(fiveTuple[0]!.algorithm).toBe('xor');
    expect(fiveTuple[0]!.maxOverMean).toBe(3);
    expect(fiveTuple[0]!.selection).toBe('hash-threshold');
    for (const h of fiveTuple.slice(1)) expect(h.maxOverMean).toBeLessThan(1.5);
    // Its row reaches the worst spread three next-hops allow, which no good hash comes near.
    expect(row('xor', 'hash-threshold').worstMaxOverMean).toBe(3);
    for (const good of ['linux-l4', 'toeplitz']) {
      for (const s of SELECTIONS) {
        expect(row(good, s).worstMaxOverMean).toBeLessThan(1.5);
        expect(row('xor', 'hash-threshold').meanMaxOverMean).toBeGreaterThan(row(good, s).meanMaxOverMean + 0.5);
      }
    }
  });

  it('shows shared seeds polarizing every algorithm, and per-leaf SipHash or Toeplitz seeds not at all', () => {
    for (const a of HASH_ALGORITHMS) {
      for (const s of SELECTIONS) {
        const shared = row(`${a} (shared seed)`, s);
        expect(shared.polarized, `${a}/${s}`).toBeGreaterThan(0);
        expect(shared.meanMaxOverMean).toBeGreaterThan(2.5);
      }
    }
    for (const a of ['linux-l4', 'toeplitz']) {
      for (const s of SELECTIONS) {
        expect(row(`${a} (shared seed)`, s).polarized).toBe(20);
        expect(row(a, s).polarized).toBe(0);
      }
    }
    // SPEC §3: a CRC's per-leaf seeds do not stop polarization under hash-threshold.
    expect(row('crc32', 'hash-threshold').polarized).toBe(20);
  });

  it('counts a trial polarized exactly when its report warned of polarization at some stage', () => {
    for (const v of run.variants) {
      expect(v.row.polarized).toBe(v.trials.filter((t) => t.stages.some((s) => s.polarized)).length);
      expect(v.row.worstMaxOverMean).toBe(Math.max(...v.trials.map((t) => t.maxOverMean)));
      expect(v.trials[v.worstTrial]!.maxOverMean).toBe(v.row.worstMaxOverMean);
      for (const t of v.trials) {
        for (const s of t.stages) {
          expect(s.jain).toBeGreaterThan(0);
          expect(s.jain).toBeLessThanOrEqual(1);
          expect(s.chiSquareP).toBeGreaterThanOrEqual(0);
          expect(s.chiSquareP).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe('determinism', () => {
  const small = { topology: builtIn, trials: 6, flows: 400, algorithms: ['xor', 'linux-l4'] as const };
  it('gives the same result for the same seed, and another for another seed', () => {
    const a = runFuzz({ ...small, seed: 7 });
    const b = runFuzz({ ...small, seed: 7 });
    const c = runFuzz({ ...small, seed: 8 });
    expect(b.result).toEqual(a.result);
    expect(b.variants.map((v) => v.trials)).toEqual(a.variants.map((v) => v.trials));
    expect(c.result).not.toEqual(a.result);
  });
  it('prints the same bytes twice through the command', async () => {
    const args = ['fuzz', '--trials', '5', '--flows', '300', '--algorithms', 'crc32,xor', '--seed', '99'];
    expect(await cli(...args)).toBe(await cli(...args));
  });
});

describe('fuzz --json', () => {
  it('has exactly the keys of SPEC §6, in order', async () => {
    const out = await cli('fuzz', '--trials', '5', '--flows', '300', '--json');
    const j = JSON.parse(out);
    expect(Object.keys(j)).toEqual(['trials', 'flows', 'results']);
    expect(j.trials).toBe(5);
    expect(j.flows).toBe(300);
    expect(j.results).toHaveLength(36);
    for (const r of j.results) {
      expect(Object.keys(r)).toEqual(['algorithm', 'selection', 'meanMaxOverMean', 'worstMaxOverMean', 'polarized', 'reproducer', 'replayArgs']);
      expect(typeof r.meanMaxOverMean).toBe('number');
      expect(Number.isInteger(r.polarized)).toBe(true);
      expect(r.reproducer).toBeNull();
      expect(r.replayArgs).toEqual([]);
    }
    expect(j.results.map((r: { algorithm: string }) => r.algorithm)).toContain('linux-l4 (shared seed)');
  });
  it('narrows to the listed algorithms, selections and one seed setting', async () => {
    const j = JSON.parse(await cli('fuzz', '--trials', '2', '--flows', '200', '--algorithms', 'xor', '--selections', 'modulo,resilient', '--seeds', 'shared', '--json'));
    expect(j.results.map((r: { algorithm: string; selection: string }) => `${r.algorithm}/${r.selection}`)).toEqual(['xor (shared seed)/modulo', 'xor (shared seed)/resilient']);
  });
  it('prints a table with the rows and the findings by default', async () => {
    const out = await cli('fuzz', '--trials', '5', '--flows', '300', '--algorithms', 'xor,linux-l4');
    expect(out).toMatch(/^fuzz: 5 trials of 300 flows/);
    expect(out).toMatch(/linux-l4 \(shared seed\)\s+hash-threshold/);
    expect(out).toMatch(/the hash alone, at border/);
  });
});

describe('--save-worst', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecmp-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves a capture and topology per row that replay turns into a stage with exactly worstMaxOverMean', async () => {
    const run = runFuzz({ topology: builtIn, trials: 6, flows: 500, algorithms: ['xor', 'crc32', 'linux-l4'], saveWorst: dir });
    expect(run.result.results).toHaveLength(18);
    for (const r of run.result.results) {
      expect(r.reproducer).toMatch(/worst-.*\.pcap$/);
      expect(r.replayArgs).toHaveLength(3);
      expect(r.replayArgs[0]).toBe('--topology');
      expect(r.replayArgs[2]).toBe('--json');
      const { report } = await replayCapture(r.reproducer!, converge(loadTopology(r.replayArgs[1]!)));
      const plan = run.plan[run.variants.find((v) => v.row === r)!.worstTrial]!;
      expect(report.flows).toBe(plan.flows);
      expect(report.packets).toBe(plan.flows);
      const stages = report.stages.map((s) => s.maxOverMean);
      expect(stages, `${r.algorithm}/${r.selection}`).toContain(r.worstMaxOverMean);
      expect(Math.max(...stages, 1)).toBe(r.worstMaxOverMean);
    }
    const shared = run.result.results.find((r) => r.algorithm === 'linux-l4 (shared seed)' && r.selection === 'modulo')!;
    expect(shared.reproducer).toBe(join(dir, 'worst-linux-l4-modulo-shared-seed.pcap'));
    const yaml = readFileSync(shared.replayArgs[1]!, 'utf8');
    const seeds = [...yaml.matchAll(/seed: (\d+)/g)].map((m) => m[1]);
    expect(new Set(seeds).size).toBe(1);
    expect(yaml).toMatch(/selection: modulo/);
  });

  it('reproduces through the replay command with replayArgs after the reproducer', async () => {
    const j = JSON.parse(await cli('fuzz', '--trials', '5', '--flows', '300', '--algorithms', 'xor', '--selections', 'hash-threshold', '--seeds', 'per-leaf', '--save-worst', dir, '--json'));
    const r = j.results[0];
    expect(r.reproducer).toBe(join(dir, 'worst-xor-hash-threshold.pcap'));
    const report = JSON.parse(await cli('replay', r.reproducer, ...r.replayArgs));
    expect(report.stages.map((s: { maxOverMean: number }) => s.maxOverMean)).toContain(r.worstMaxOverMean);
  });
});

describe('bad options', () => {
  it.each([
    [['--trials', '0'], /--trials/],
    [['--trials', 'many'], /not an integer/],
    [['--flows', '-5'], /--flows/],
    [['--flows', '50000'], /single-source makes at most 28232/],
    [['--algorithms', 'md5'], /unknown hash algorithm 'md5'/],
    [['--algorithms', ','], /empty hash algorithm list/],
    [['--selections', 'random'], /unknown selection 'random'/],
    [['--patterns', 'bursty'], /unknown pattern 'bursty'/],
    [['--seeds', 'some'], /unknown seed setting 'some'/],
    [['--seed', '-1'], /not an integer/],
    [['--topology', '/nonexistent/t.yaml'], /no such topology file/],
  ])('fuzz %j is a one-line UsageError', async (args, message) => {
    const e = await cli('fuzz', ...args).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toMatch(/\n/);
  });
});
