// The report as CSV (`--csv`) and the per-flow CSV (`--flows-csv`), RFC 4180 quoting.

import type { Report } from '../stats/types.js';
import { csvField, dottedQuad } from './format.js';

export interface CsvOptions {
  /** line ending: "\n" by default (friendly to Unix tools); "\r\n" for RFC 4180 to the letter */
  eol?: '\n' | '\r\n';
}

export const REPORT_CSV_HEADER = ['kind', 'name', 'leaf', 'address', 'flows', 'packets', 'bytes', 'share', 'expected'];

/**
 * One row per VTEP (kind vtep; leaf = the VTEP's own leaf), per VM (vm) and per opaque next-hop (other: name and
 * address are the next-hop's address, leaf the leaf that forwarded to it, expected empty). Shares are fractions
 * 0..1 at full precision.
 */
export function renderCsv(report: Report, opts: CsvOptions = {}): string {
  const eol = opts.eol ?? '\n';
  const lines: string[] = [REPORT_CSV_HEADER.join(',')];
  const row = (cells: (string | number | null)[]): void => {
    lines.push(cells.map(csvField).join(','));
  };
  for (const v of report.vteps) row(['vtep', v.name, v.name, v.address, v.flows, v.packets, v.bytes, v.share, v.expected]);
  for (const v of report.vms) row(['vm', v.name, v.leaf, v.address, v.flows, v.packets, v.bytes, v.share, v.expected]);
  for (const o of report.others) row(['other', o.address, o.node, o.address, o.flows, o.packets, o.bytes, o.share, null]);
  return lines.join(eol) + eol;
}

export const FLOWS_CSV_COLUMNS = [
  'src',
  'dst',
  'proto',
  'sport',
  'dport',
  'packets',
  'bytes',
  'vtep',
  'vm',
  'outer_sport',
] as const;

/** The per-flow CSV's header line, with its line ending. */
export function renderFlowsCsvHeader(eol: '\n' | '\r\n' = '\n'): string {
  return FLOWS_CSV_COLUMNS.join(',') + eol;
}

/** Another name for `renderFlowsCsvHeader`. */
export const flowsCsvHeader = renderFlowsCsvHeader;

/**
 * One flow as a CSV line (with its line ending). Addresses are unsigned 32-bit integers (as the flow table keeps
 * them; printed dotted) or already-dotted strings; `proto` is the IP protocol number; `vtep` is the name of the
 * leaf the flow was encapsulated to and `vm` the VM it reached, '' for none; `outerSport` is the VXLAN UDP source
 * port, 0 or negative when the flow was not encapsulated (printed empty: port 0 is never a VXLAN source port).
 */
export function flowsCsvRow(
  src: number | string,
  dst: number | string,
  /** a string for a tunnelled flow: `outer>inner` (analysis/flows-csv.ts) */
  proto: number | string,
  sport: number,
  dport: number,
  packets: number,
  bytes: number,
  vtep: string,
  vm: string,
  outerSport: number,
  eol: '\n' | '\r\n' = '\n',
): string {
  return (
    (typeof src === 'number' ? dottedQuad(src) : csvField(src)) +
    ',' +
    (typeof dst === 'number' ? dottedQuad(dst) : csvField(dst)) +
    ',' +
    proto +
    ',' +
    sport +
    ',' +
    dport +
    ',' +
    packets +
    ',' +
    bytes +
    ',' +
    csvField(vtep) +
    ',' +
    csvField(vm) +
    ',' +
    (outerSport > 0 ? String(outerSport) : '') +
    eol
  );
}

/**
 * Streams flow rows to a sink in chunks of about `chunkChars` characters, so a million flows make a few hundred
 * writes, not a million. Call `end()` to flush the tail.
 */
export class FlowsCsvWriter {
  private buffer: string[] = [];
  private pending = 0;
  private readonly eol: '\n' | '\r\n';
  private readonly chunkChars: number;
  rows = 0;

  constructor(
    private readonly write: (chunk: string) => void,
    opts: { eol?: '\n' | '\r\n'; chunkChars?: number } = {},
  ) {
    this.eol = opts.eol ?? '\n';
    this.chunkChars = opts.chunkChars ?? 1 << 16;
    this.push(renderFlowsCsvHeader(this.eol));
  }

  private push(s: string): void {
    this.buffer.push(s);
    this.pending += s.length;
    if (this.pending >= this.chunkChars) this.flush();
  }

  /** Append one flow; arguments as `flowsCsvRow`. */
  row(
    src: number | string,
    dst: number | string,
    proto: number,
    sport: number,
    dport: number,
    packets: number,
    bytes: number,
    vtep: string,
    vm: string,
    outerSport: number,
  ): void {
    this.push(flowsCsvRow(src, dst, proto, sport, dport, packets, bytes, vtep, vm, outerSport, this.eol));
    this.rows++;
  }

  /** Write whatever is buffered. */
  flush(): void {
    if (this.pending === 0) return;
    this.write(this.buffer.join(''));
    this.buffer = [];
    this.pending = 0;
  }

  end(): void {
    this.flush();
  }
}
