// `fuzz` and `failover` results as terminal text (SPEC §6), ordered so the lesson is the first thing read.

import type { FailoverResult, FuzzResult, FuzzRow } from '../stats/trials.js';
import { groupDigits, percent, ratio } from './format.js';
import { table } from './table.js';

/** POSIX-shell quoting of one argument, only where needed, so a printed command line can be pasted. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function replayCommand(row: FuzzRow): string {
  return ['ecmp-emu', 'replay', row.reproducer ?? '', ...row.replayArgs].filter((a) => a !== '').map(shellQuote).join(' ');
}

/** Worst first: by mean max/mean, then worst max/mean, then name, so the order never depends on input order. */
function byWorst(a: FuzzRow, b: FuzzRow): number {
  return (
    b.meanMaxOverMean - a.meanMaxOverMean ||
    b.worstMaxOverMean - a.worstMaxOverMean ||
    a.algorithm.localeCompare(b.algorithm, 'en') ||
    a.selection.localeCompare(b.selection, 'en')
  );
}

/**
 * One line per algorithm × selection, worst spread first, with a bar of the mean max/mean above 1 (the excess a
 * busiest next-hop carries), the worst trial, how often the trials were polarized, then how to replay the worst
 * trial of each combination that saved one.
 */
export function renderFuzzText(result: FuzzResult, opts: { barWidth?: number; ascii?: boolean } = {}): string {
  const width = opts.barWidth ?? 20;
  const glyph = opts.ascii ? '#' : '█';
  const rows = [...result.results].sort(byWorst);
  const out: string[] = [
    `fuzz: ${groupDigits(result.trials)} trial${result.trials === 1 ? '' : 's'} of ${groupDigits(result.flows)} flows per algorithm and selection, worst spread first`,
    '',
  ];
  if (rows.length === 0) {
    out.push('  (no results)');
    return out.join('\n') + '\n';
  }
  const maxExcess = Math.max(0.01, ...rows.map((r) => r.meanMaxOverMean - 1));
  const tail = rows.map((r) => glyph.repeat(Math.max(0, Math.round(((r.meanMaxOverMean - 1) / maxExcess) * width))));
  out.push(
    ...table(
      [
        { header: 'algorithm', align: 'l' },
        { header: 'selection', align: 'l' },
        { header: 'mean max/mean', align: 'r' },
        { header: 'worst', align: 'r' },
        { header: 'polarized', align: 'r' },
      ],
      rows.map((r) => [
        r.algorithm,
        r.selection,
        ratio(r.meanMaxOverMean),
        ratio(r.worstMaxOverMean),
        `${groupDigits(r.polarized)}/${groupDigits(result.trials)}`,
      ]),
      { tail },
    ),
  );
  const best = rows[rows.length - 1]!;
  const worst = rows[0]!;
  if (rows.length > 1) {
    out.push(
      '',
      `  best:  ${best.algorithm} with ${best.selection}, the busiest next-hop ${ratio(best.meanMaxOverMean, 2)}× its share on average`,
      `  worst: ${worst.algorithm} with ${worst.selection}, ${ratio(worst.meanMaxOverMean, 2)}× on average and ${ratio(worst.worstMaxOverMean, 2)}× at worst`,
    );
  }
  const replays = rows.filter((r) => r.reproducer);
  if (replays.length) {
    out.push('', 'worst trials, to replay:');
    for (const r of replays) out.push(`  ${r.algorithm}/${r.selection}: ${replayCommand(r)}`);
  }
  return out.join('\n') + '\n';
}

/**
 * One line per selection method, fewest moved flows first: the fraction of all flows that changed VM, the
 * fraction that had to (they were on what was removed), and their ratio, 1.00× being the least possible.
 */
export function renderFailoverText(result: FailoverResult, opts: { barWidth?: number; ascii?: boolean } = {}): string {
  const width = opts.barWidth ?? 30;
  const g = opts.ascii ? { need: '#', extra: '+' } : { need: '█', extra: '▒' };
  const methods = [...result.methods].sort(
    (a, b) => a.moved - b.moved || a.selection.localeCompare(b.selection, 'en'),
  );
  const out: string[] = [
    `failover: ${result.removed} removed, ${groupDigits(result.flows)} flows; flows that change ${result.moves ?? 'VM'}, per selection method`,
    '',
  ];
  if (methods.length === 0) {
    out.push('  (no methods)');
    return out.join('\n') + '\n';
  }
  const scale = Math.max(1e-9, ...methods.map((m) => Math.max(m.moved, m.minimum)));
  const cells = (x: number): number => Math.round((Math.max(0, x) / scale) * width);
  const tail = methods.map((m) => {
    const need = Math.min(cells(m.minimum), cells(m.moved));
    return g.need.repeat(need) + g.extra.repeat(Math.max(0, cells(m.moved) - need));
  });
  const times = (m: { moved: number; minimum: number }): string =>
    m.minimum > 0 ? `${(m.moved / m.minimum).toFixed(2)}×` : m.moved > 0 ? '∞' : '-';
  const verdict = (m: { moved: number; minimum: number }): string => {
    if (m.minimum > 0 ? m.moved <= m.minimum * (1 + 1e-9) : m.moved === 0) return 'minimal';
    const extra = Math.max(0, m.moved - m.minimum);
    return `${percent(extra, 1)} of flows moved needlessly`;
  };
  out.push(
    ...table(
      [
        { header: 'selection', align: 'l' },
        { header: 'moved', align: 'r' },
        { header: 'minimum', align: 'r' },
        { header: 'moved/minimum', align: 'r' },
        { header: 'verdict', align: 'l' },
      ],
      methods.map((m) => [m.selection, percent(m.moved, 1), percent(m.minimum, 1), times(m), verdict(m)]),
      { tail },
    ),
  );
  out.push('', `  bars: ${g.need} flows that had to move  ${g.extra} flows moved needlessly`);
  return out.join('\n') + '\n';
}
