// `fuzz --search` results as terminal text and JSON (SPEC §6): the rows of `fuzz` plus each row's finding.

import type { FuzzRow } from '../stats/trials.js';
import { groupDigits, ratio } from './format.js';
import { fuzzRowJson } from './json.js';
import { table } from './table.js';
import { shellQuote } from './trials.js';

/** A search row as the renderers need it: SPEC §6's fuzz row and its finding. */
export interface SearchRowView extends FuzzRow {
  finding: string;
}

export interface SearchResultView {
  trials: number;
  flows: number;
  results: SearchRowView[];
}

/** The rows whose finding is a survival (no significant shape), by the finding's own first word. */
export function survived(r: SearchRowView): boolean {
  return r.finding.startsWith('survives');
}

/** `fuzz --search --json`: `fuzz --json`'s keys in order, then `finding`; no final newline. */
export function renderSearchJson(result: SearchResultView): string {
  return JSON.stringify(
    {
      trials: result.trials,
      flows: result.flows,
      results: result.results.map((r) => ({ ...fuzzRowJson(r), finding: r.finding })),
    },
    null,
    2,
  );
}

function byWorst(a: SearchRowView, b: SearchRowView): number {
  return (
    Number(survived(a)) - Number(survived(b)) ||
    b.worstMaxOverMean - a.worstMaxOverMean ||
    a.algorithm.localeCompare(b.algorithm, 'en') ||
    a.selection.localeCompare(b.selection, 'en')
  );
}

/**
 * The table, broken rows first (worst significant max/mean), then the survivors; then each row's finding, the
 * algorithms that survived every selection said plainly, and the reproducers.
 */
export function renderSearchText(result: SearchResultView, meta: { budget: number; strategy: string }): string {
  const rows = [...result.results].sort(byWorst);
  const out = [
    `fuzz --search: ${groupDigits(result.trials)} shapes of ${groupDigits(result.flows)} flows per algorithm and selection ` +
      `(budget ${groupDigits(meta.budget)} flow evaluations each, ${meta.strategy}); a shape counts only where a stage's chi-square p < 1e-6`,
    '',
  ];
  if (rows.length === 0) return out.concat('  (no results)').join('\n') + '\n';
  out.push(
    ...table(
      [
        { header: 'algorithm', align: 'l' },
        { header: 'selection', align: 'l' },
        { header: 'worst max/mean', align: 'r' },
        { header: 'mean', align: 'r' },
        { header: 'polarized', align: 'r' },
        { header: 'verdict', align: 'l' },
      ],
      rows.map((r) => [
        r.algorithm,
        r.selection,
        survived(r) ? '-' : ratio(r.worstMaxOverMean),
        ratio(r.meanMaxOverMean),
        `${groupDigits(r.polarized)}/${groupDigits(result.trials)}`,
        survived(r) ? 'survives' : 'breaks',
      ]),
    ),
  );
  out.push('', 'findings:');
  for (const r of rows) out.push(`  ${r.algorithm}/${r.selection}: ${r.finding}`);
  const algorithms = [...new Set(rows.map((r) => r.algorithm))];
  const strong = algorithms.filter((a) => rows.filter((r) => r.algorithm === a).every(survived));
  out.push('');
  out.push(
    strong.length
      ? `  ${strong.join(', ')} survived every selection: no traffic shape the search tried spread significantly unevenly.`
      : '  no algorithm survived every selection.',
  );
  const replays = rows.filter((r) => r.reproducer);
  if (replays.length) {
    out.push('', 'worst shapes, to replay:');
    for (const r of replays) out.push(`  ${r.algorithm}/${r.selection}: ${['ecmp-emu', 'replay', r.reproducer!, ...r.replayArgs].map(shellQuote).join(' ')}`);
  } else out.push('  (--save-worst DIR writes each row\'s worst shape as a capture and topology to replay)');
  return out.join('\n') + '\n';
}
