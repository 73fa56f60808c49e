// The report as a terminal table: what `replay` and `demo` print without --json.

import { P_THRESHOLD } from '../stats/fairness.js';
import type { Report, StageRow, Warning } from '../stats/types.js';
import {
  deviation,
  deviationRatio,
  formatP,
  groupDigits,
  humanBytes,
  orderedSkipKeys,
  percent,
  ratio,
  trafficCells,
} from './format.js';
import { ASCII_BARS, bar, table, UNICODE_BARS, type Column } from './table.js';
import { unroutedAdvice } from './unrouted.js';

export interface TextOptions {
  /** ANSI colours (bold headers, deviations and warnings coloured); off by default */
  color?: boolean;
  /** a bar per VTEP/VM row; on by default */
  bars?: boolean;
  /** bar width in characters at the largest share; 24 by default */
  barWidth?: number;
  /** plain ASCII glyphs for the bars instead of block characters */
  ascii?: boolean;
  /** one line of per-next-hop counts under each stage; on by default */
  nextHops?: boolean;
}

const ANSI = {
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
};

type Paint = (s: string, ...codes: (keyof typeof ANSI)[]) => string;

function painter(color: boolean): Paint {
  return (s, ...codes) => (color && s ? codes.map((c) => ANSI[c]).join('') + s + ANSI.reset : s);
}

/** Deviation cell: yellow beyond ±10%, red beyond ±25% (when colours are on). */
function deviationCell(share: number, expected: number, paint: Paint): string {
  const text = deviation(share, expected);
  const d = Math.abs(deviationRatio(share, expected));
  if (text === 'unexpected' || d > 0.25) return paint(text, 'red');
  if (d > 0.1) return paint(text, 'yellow');
  return text;
}

function stageVerdict(stage: StageRow, warnings: readonly Warning[]): string {
  const kinds: string[] = [];
  if (warnings.some((w) => w.kind === 'polarization' && w.node === stage.node)) kinds.push('polarized');
  if (stage.chiSquareP < P_THRESHOLD) kinds.push('imbalance');
  return kinds.length ? kinds.join(', ') : 'ok';
}

/** A readable report: totals, VTEPs, VMs, opaque next-hops, stage statistics, skipped frames, warnings. */
export function renderText(report: Report, opts: TextOptions = {}): string {
  const paint = painter(opts.color ?? false);
  const showBars = opts.bars ?? true;
  const width = opts.barWidth ?? 24;
  const glyphs = opts.ascii ? ASCII_BARS : UNICODE_BARS;
  const heading = (s: string): string => paint(s, 'bold');
  const headerStyle = (s: string): string => paint(s, 'dim');
  const out: string[] = [];

  const forwardedShare = report.flows === 1 ? 'flow' : 'flows';
  out.push(
    heading('ecmp-emu report') +
      `  ${groupDigits(report.packets)} packets, ${humanBytes(report.bytes)} (${groupDigits(report.bytes)} bytes), ` +
      `${groupDigits(report.flows)} ${forwardedShare} forwarded`,
  );
  const skippedKeys = orderedSkipKeys(report.skipped).filter((k) => (report.skipped[k] ?? 0) > 0);
  if (skippedKeys.length) {
    out.push(
      paint('skipped', 'yellow') +
        '  ' +
        skippedKeys.map((k) => `${k} ${groupDigits(report.skipped[k]!)}`).join(', ') +
        ' (frames)',
    );
  }

  // One scale for VTEPs and one for VMs: bars compare within a table.
  const barsFor = (rows: readonly { share: number; expected: number }[]): string[] | undefined => {
    if (!showBars || rows.length === 0) return undefined;
    const scale = Math.max(...rows.map((r) => Math.max(r.share, r.expected)));
    return rows.map((r) => bar(r.share, r.expected, scale, width, glyphs));
  };
  const shareColumns: Column[] = [
    { header: 'flows', align: 'r' },
    { header: 'packets', align: 'r' },
    { header: 'bytes', align: 'r' },
    { header: 'share', align: 'r' },
    { header: 'expected', align: 'r' },
    { header: 'deviation', align: 'r' },
  ];

  out.push('', heading('VTEPs') + paint('  the ingress leaf\'s choice of egress leaf', 'dim'));
  if (report.vteps.length === 0) out.push('  (none carried traffic)');
  else
    out.push(
      ...table(
        [{ header: 'leaf', align: 'l' }, { header: 'address', align: 'l' }, ...shareColumns],
        report.vteps.map((v) => [
          v.name,
          v.address,
          ...trafficCells(v),
          percent(v.expected),
          deviationCell(v.share, v.expected, paint),
        ]),
        { tail: barsFor(report.vteps), style: headerStyle },
      ),
    );

  out.push('', heading('VMs') + paint('  where each flow was delivered', 'dim'));
  if (report.vms.length === 0) out.push('  (none received traffic)');
  else
    out.push(
      ...table(
        [
          { header: 'vm', align: 'l' },
          { header: 'leaf', align: 'l' },
          { header: 'address', align: 'l' },
          ...shareColumns,
        ],
        report.vms.map((v) => [
          v.name,
          v.leaf,
          v.address,
          ...trafficCells(v),
          percent(v.expected),
          deviationCell(v.share, v.expected, paint),
        ]),
        { tail: barsFor(report.vms), style: headerStyle },
      ),
    );
  if (showBars && (report.vteps.length || report.vms.length)) {
    out.push(
      paint(
        `  bars: ${glyphs.full} observed  ${glyphs.short} short of expected  ${glyphs.excess} beyond expected`,
        'dim',
      ),
    );
  }

  if (report.others.length) {
    out.push('', heading('Other next-hops') + paint('  static routes to addresses outside the fabric', 'dim'));
    out.push(
      ...table(
        [
          { header: 'via', align: 'l' },
          { header: 'from', align: 'l' },
          { header: 'flows', align: 'r' },
          { header: 'packets', align: 'r' },
          { header: 'bytes', align: 'r' },
          { header: 'share', align: 'r' },
        ],
        report.others.map((o) => [
          o.address,
          o.node,
          ...trafficCells(o),
        ]),
        { style: headerStyle },
      ),
    );
  }

  out.push('', heading('Stages') + paint('  each ECMP choice against its weights', 'dim'));
  if (report.stages.length === 0) out.push('  (no leaf chose among several next-hops)');
  else {
    const columns: Column[] = [
      { header: 'node', align: 'l' },
      { header: 'vrf', align: 'l' },
      { header: 'prefix', align: 'l' },
      { header: 'flows', align: 'r' },
      { header: 'max/mean', align: 'r' },
      { header: 'Jain', align: 'r' },
      { header: 'chi² p', align: 'r' },
      { header: 'verdict', align: 'l' },
    ];
    const rows = report.stages.map((s) => {
      const verdict = stageVerdict(s, report.warnings);
      return [
        s.node,
        s.vrf,
        s.prefix,
        groupDigits(s.flows),
        ratio(s.maxOverMean),
        ratio(s.jain),
        s.chiSquareP < P_THRESHOLD ? paint(formatP(s.chiSquareP), 'red') : formatP(s.chiSquareP),
        verdict === 'ok' ? paint(verdict, 'green') : paint(verdict, 'red', 'bold'),
      ];
    });
    const lines = table(columns, rows, { style: headerStyle });
    out.push(lines[0]!);
    report.stages.forEach((s, i) => {
      out.push(lines[i + 1]!);
      if ((opts.nextHops ?? true) && s.nextHops.length) {
        const hops = s.nextHops.map((h) => {
          const exp = s.flows * h.expected;
          const r = exp > 0 ? `×${(h.flows / exp).toFixed(2)}` : h.flows > 0 ? 'unexpected' : '';
          return `${h.name} ${groupDigits(h.flows)}${r ? ' ' + r : ''}`;
        });
        out.push(paint(`    → ${hops.join(' · ')}`, 'dim'));
      }
    });
  }

  if (report.links) {
    out.push('', heading('Links') + paint('  leaf→spine uplinks and spine→leaf downlinks of the underlay', 'dim'));
    out.push(
      ...table(
        [{ header: 'from', align: 'l' }, { header: 'to', align: 'l' }, ...shareColumns],
        report.links.map((l) => [l.from, l.to, ...trafficCells(l), percent(l.expected), deviationCell(l.share, l.expected, paint)]),
        { style: headerStyle },
      ),
    );
  }

  if (report.unrouted.length) {
    out.push('', heading('No route') + paint('  the destinations of frames the ingress leaf could not forward, most flows first', 'dim'));
    out.push(
      ...table(
        [{ header: 'destination', align: 'l' }, { header: 'flows', align: 'r' }, { header: 'packets', align: 'r' }],
        report.unrouted.map((u) => [u.address, groupDigits(u.flows), groupDigits(u.packets)]),
        { style: headerStyle },
      ),
    );
    out.push(...unroutedAdvice(report).map((l) => `  ${l}`));
  }

  if (report.warnings.length) {
    out.push('');
    for (const w of report.warnings) {
      out.push(paint(`WARNING [${w.kind}] ${w.node}:`, w.kind === 'unequal-share' ? 'yellow' : 'red', 'bold') + ` ${w.message}`);
    }
  }
  return out.join('\n') + '\n';
}
