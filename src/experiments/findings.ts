// What a fuzz run found, beyond the table: the hash on its own (the ingress stage) apart from polarization.

import type { Selection } from '../fib/group.js';
import type { HashAlgorithm } from '../hash/index.js';
import type { FuzzRun, TrialPlan } from './fuzz.js';

export interface IngressSpread {
  algorithm: HashAlgorithm;
  selection: Selection;
  /** the worst maxOverMean of the ingress leaf's stage over every trial */
  maxOverMean: number;
  trial: TrialPlan;
}

export interface FuzzFindings {
  /** the ingress leaf, whose stage sees every flow, so its spread is the hash's alone (no upstream stage) */
  ingress: string;
  /** per algorithm (per-leaf seeds), its worst ingress spread over selections and trials, worst first */
  hashAlone: IngressSpread[];
  /** rows (label "algorithm/selection") with polarized trials, per seed mode */
  polarizedPerLeaf: { row: string; polarized: number }[];
  polarizedShared: { row: string; polarized: number }[];
  sharedRows: number;
  trials: number;
}

/**
 * Separates the two faults a row's max/mean mixes: a hash that spreads this traffic badly on its own shows at the
 * ingress stage, which every flow crosses; polarization (a downstream leaf re-splitting a slice its upstream cut
 * with a correlated hash) shows only downstream, and is what the `polarized` column counts.
 */
export function fuzzFindings(run: FuzzRun): FuzzFindings {
  const ingress = run.variants[0]?.topology.ingress.leaf ?? '';
  const worst = new Map<HashAlgorithm, IngressSpread>();
  for (const v of run.variants) {
    if (v.seeds !== 'per-leaf') continue;
    for (const t of v.trials) {
      const stage = t.stages.find((s) => s.node === ingress);
      if (!stage) continue;
      const best = worst.get(v.algorithm);
      if (!best || stage.maxOverMean > best.maxOverMean) {
        worst.set(v.algorithm, { algorithm: v.algorithm, selection: v.selection, maxOverMean: stage.maxOverMean, trial: run.plan[t.trial]! });
      }
    }
  }
  const hashAlone = [...worst.values()].sort((a, b) => b.maxOverMean - a.maxOverMean || a.algorithm.localeCompare(b.algorithm, 'en'));
  const polarized = (mode: string): { row: string; polarized: number }[] =>
    run.variants
      .filter((v) => v.seeds === mode && v.row.polarized > 0)
      .sort((a, b) => b.row.polarized - a.row.polarized)
      .map((v) => ({ row: `${v.algorithm}/${v.selection}`, polarized: v.row.polarized }));
  return {
    ingress,
    hashAlone,
    polarizedPerLeaf: polarized('per-leaf'),
    polarizedShared: polarized('shared'),
    sharedRows: run.variants.filter((v) => v.seeds === 'shared').length,
    trials: run.result.trials,
  };
}

/** Why an algorithm can fare badly whatever its quality: what it does not read. */
const BLIND: Partial<Record<HashAlgorithm, string>> = { 'linux-l3': 'it reads addresses only' };

/** The findings as a few indented lines under the table. */
export function describeFindings(f: FuzzFindings): string {
  const out: string[] = [];
  const r = (x: number): string => x.toFixed(3);
  if (f.hashAlone.length > 0) {
    out.push(`  the hash alone, at ${f.ingress} (every flow crosses it), per-leaf seeds; worst max/mean per algorithm:`);
    const cells = f.hashAlone.map((h) => {
      const why = BLIND[h.algorithm] && h.maxOverMean > 2 ? `: ${BLIND[h.algorithm]}` : '';
      return `${h.algorithm} ${r(h.maxOverMean)} (${h.trial.pattern}, ${h.selection}${why})`;
    });
    for (let i = 0; i < cells.length; i += 3) out.push(`    ${cells.slice(i, i + 3).join(', ')}`);
  }
  if (f.sharedRows > 0) {
    const trials = f.polarizedShared.reduce((n, p) => n + p.polarized, 0);
    out.push(`  polarization with one seed on every leaf: ${f.polarizedShared.length} of ${f.sharedRows} rows, ${trials} of ${f.sharedRows * f.trials} trials`);
  }
  if (f.hashAlone.length > 0) {
    const perLeaf = f.polarizedPerLeaf;
    out.push(
      perLeaf.length
        ? `  polarization despite per-leaf seeds: ${perLeaf.map((p) => `${p.row} ${p.polarized}/${f.trials}`).join(', ')}`
        : '  polarization with per-leaf seeds: none',
    );
  }
  return out.length ? out.join('\n') + '\n' : '';
}
