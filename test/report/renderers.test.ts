import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renderText } from '../../src/report/text.js';
import { orderedReport, renderFailoverJson, renderFuzzJson, renderJson } from '../../src/report/json.js';
import {
  FLOWS_CSV_COLUMNS,
  FlowsCsvWriter,
  REPORT_CSV_HEADER,
  flowsCsvHeader,
  flowsCsvRow,
  renderCsv,
  renderFlowsCsvHeader,
} from '../../src/report/csv.js';
import { renderFailoverText, renderFuzzText, shellQuote } from '../../src/report/trials.js';
import type { Report } from '../../src/stats/types.js';
import { awkwardReport, emptyReport, sampleFailover, sampleFuzz, sampleReport } from './fixture.js';
import { parseCsv } from './helpers.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;

describe('renderText', () => {
  const text = renderText(sampleReport);
  const lines = text.split('\n');
  const rowOf = (name: string): string => lines.find((l) => l.trimStart().startsWith(name + ' '))!;

  it('opens with the totals', () => {
    expect(lines[0]).toBe('ecmp-emu report  120,456 packets, 98.1 MB (98,123,456 bytes), 10,000 flows forwarded');
  });

  it('has a row per VTEP and per VM with counts, share, expected share and deviation', () => {
    expect(rowOf('leaf-1')).toMatch(/leaf-1\s+10\.1\.1\.1\s+3,341\s+40,240\s+32,779,811\s+33\.41%\s+33\.33%\s+\+0\.2%/);
    expect(rowOf('VM-A')).toMatch(/VM-A\s+leaf-3\s+172\.16\.3\.1\s+1,671\s+20,101\s+16,383,100\s+16\.71%\s+11\.11%\s+\+50\.4%/);
    expect(rowOf('VM-C')).toMatch(/VM-C\s+leaf-3\s+172\.16\.3\.5\s+0\s+0\s+0\s+0\.00%\s+11\.11%\s+-100\.0%/);
    for (const vm of ['VM-1', 'VM-2', 'VM-B']) expect(rowOf(vm)).toBeDefined();
  });

  it('lines up the columns: every VM row puts its share at the same place', () => {
    const vmRows = ['VM-1', 'VM-2', 'VM-A', 'VM-B', 'VM-C'].map(rowOf);
    const at = vmRows.map((r) => r.search(/\d+\.\d\d%/) + r.match(/\d+\.\d\d%/)![0].length);
    expect(new Set(at).size).toBe(1);
  });

  it('draws bars scaled within the table: a starved VM shows only its shortfall', () => {
    expect(rowOf('VM-1')).toMatch(/█{24}$/);
    expect(rowOf('VM-C')).toMatch(/\s░{8}$/);
    expect(rowOf('VM-A')).toMatch(/█{8}▓{4}$/);
    expect(renderText(sampleReport, { bars: false })).not.toMatch(/[█░▓]/);
    expect(renderText(sampleReport, { ascii: true })).toMatch(/#{8}\+{4}\n/);
  });

  it('lists the stages with max/mean, Jain and the chi-square p', () => {
    expect(rowOf('border')).toMatch(/border\s+TENANT-A\s+192\.168\.100\.10\/32\s+10,000\s+1\.002\s+1\.000\s+0\.985\s+ok/);
    expect(text).toMatch(/leaf-3\s+TENANT-A\s+192\.168\.100\.10\/32\s+3,332\s+1\.505\s+0\.667\s+0\s+polarized, imbalance/);
    expect(text).toContain('→ VM-A 1,671 ×1.50 · VM-B 1,661 ×1.50 · VM-C 0 ×0.00');
    expect(renderText(awkwardReport)).toMatch(/\s3\.2e-8\s+imbalance/);
  });

  it('shows only non-zero skip reasons, and warnings one per line', () => {
    expect(text).toContain('skipped  not-ipv4 12, no-route 3 (frames)');
    expect(text).not.toContain('truncated');
    expect(text).toContain('\nWARNING [polarization] leaf-3: leaf-3 is polarized by border');
    expect(text).toContain('\nWARNING [unequal-share] border: VMs serving 192.168.100.10/32');
    expect(renderText(emptyReport)).not.toMatch(/skipped|WARNING/);
  });

  it('shows opaque next-hops only when there are some', () => {
    expect(text).not.toContain('Other next-hops');
    expect(renderText(awkwardReport)).toMatch(/198\.51\.100\.7\s+leaf-<x>\s+210\s+2,100\s+210,000\s+35\.00%/);
  });

  it('has no colour unless asked, and colours when asked', () => {
    expect(text).not.toMatch(ANSI);
    const coloured = renderText(sampleReport, { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured.replace(new RegExp(ANSI.source, 'g'), '')).toBe(text);
  });

  it('renders an empty report without throwing, ending in a newline', () => {
    const t = renderText(emptyReport);
    expect(t).toContain('0 packets, 0 B (0 bytes), 0 flows forwarded');
    expect(t.endsWith('\n')).toBe(true);
  });
});

describe('renderJson', () => {
  it('keeps SPEC §5 key order whatever order the report was built in', () => {
    const parsed = JSON.parse(renderJson(awkwardReport)) as Report;
    expect(Object.keys(parsed)).toEqual(['packets', 'bytes', 'flows', 'skipped', 'vteps', 'vms', 'others', 'stages', 'unrouted', 'warnings']);
    expect(Object.keys(parsed.skipped)).toEqual(['truncated', 'not-ipv4', 'zz-custom']);
    expect(Object.keys(parsed.vms[0]!)).toEqual(['name', 'leaf', 'address', 'flows', 'packets', 'bytes', 'share', 'expected']);
    expect(Object.keys(parsed.others[0]!)).toEqual(['node', 'address', 'flows', 'packets', 'bytes', 'share']);
    expect(Object.keys(parsed.stages[0]!)).toEqual(['node', 'vrf', 'prefix', 'flows', 'maxOverMean', 'jain', 'chiSquareP', 'nextHops']);
    expect(Object.keys(parsed.warnings[0]!)).toEqual(['kind', 'node', 'message']);
    const sample = JSON.parse(renderJson(sampleReport)) as Report;
    expect(Object.keys(sample.vteps[0]!)).toEqual(['name', 'address', 'flows', 'packets', 'bytes', 'share', 'expected']);
  });

  it('round-trips every number at full precision and is deterministic', () => {
    const json = renderJson(sampleReport);
    expect(JSON.parse(json)).toEqual(sampleReport);
    expect(json).toContain('"expected": 0.3333333333333333');
    expect(json).toContain('"maxOverMean": 1.0023000000000002');
    expect(renderJson(structuredClone(sampleReport))).toBe(json);
    expect(json.startsWith('{\n  "packets": 120456,')).toBe(true);
    // JSON.stringify's text exactly: the caller adds the newline
    expect(json).toBe(JSON.stringify(sampleReport, null, 2));
  });

  it('drops fields that are not part of the contract', () => {
    const extra = { ...sampleReport, debug: { secret: 1 } } as Report;
    expect(renderJson(extra)).toBe(renderJson(sampleReport));
    expect(orderedReport(extra)).not.toHaveProperty('debug');
  });

  it('orders fuzz and failover JSON as SPEC §6 lists the keys', () => {
    const fuzz = JSON.parse(renderFuzzJson(sampleFuzz)) as typeof sampleFuzz;
    expect(Object.keys(fuzz)).toEqual(['trials', 'flows', 'results']);
    expect(Object.keys(fuzz.results[0]!)).toEqual([
      'algorithm',
      'selection',
      'meanMaxOverMean',
      'worstMaxOverMean',
      'polarized',
      'reproducer',
      'replayArgs',
    ]);
    expect(fuzz).toEqual(sampleFuzz);
    const fo = JSON.parse(renderFailoverJson(sampleFailover)) as typeof sampleFailover;
    expect(Object.keys(fo)).toEqual(['removed', 'flows', 'methods']);
    expect(Object.keys(fo.methods[0]!)).toEqual(['selection', 'moved', 'minimum']);
  });
});

describe('renderCsv', () => {
  it('parses back: header, one row per VTEP, VM and opaque next-hop, numbers at full precision', () => {
    const rows = parseCsv(renderCsv(sampleReport));
    expect(rows[0]).toEqual(REPORT_CSV_HEADER);
    expect(rows).toHaveLength(1 + 3 + 5);
    expect(rows[1]).toEqual(['vtep', 'leaf-1', 'leaf-1', '10.1.1.1', '3341', '40240', '32779811', '0.3341', String(1 / 3)]);
    expect(rows[3]![0]).toBe('vtep');
    expect(rows[4]).toEqual(['vm', 'VM-1', 'leaf-1', '172.16.1.1', '3341', '40240', '32779811', '0.3341', String(1 / 3)]);
    expect(Number(rows[8]![8])).toBe(1 / 9);
    expect(rows.every((r) => r.length === REPORT_CSV_HEADER.length)).toBe(true);
  });

  it('quotes per RFC 4180 and round-trips awkward names', () => {
    const csv = renderCsv(awkwardReport);
    expect(csv).toContain('vm,"VM ""quoted"", with comma",leaf-<x>,');
    const rows = parseCsv(csv);
    expect(rows[1]![1]).toBe('VM "quoted", with comma');
    expect(rows[2]).toEqual(['other', '198.51.100.7', 'leaf-<x>', '198.51.100.7', '210', '2100', '210000', '0.35', '']);
  });

  it('can end lines with CRLF', () => {
    const csv = renderCsv(sampleReport, { eol: '\r\n' });
    expect(csv.split('\r\n')).toHaveLength(1 + 3 + 5 + 1);
    expect(parseCsv(csv)).toEqual(parseCsv(renderCsv(sampleReport)));
  });

  it('law: any names survive a round trip through the CSV', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ maxLength: 30 }), (name, leaf) => {
        const report: Report = {
          ...emptyReport,
          vms: [{ name, leaf, address: '10.0.0.1', flows: 1, packets: 2, bytes: 3, share: 1, expected: 1 }],
        };
        const rows = parseCsv(renderCsv(report));
        return rows.length === 2 && rows[1]![1] === name && rows[1]![2] === leaf;
      }),
      { seed: 1 },
    );
  });
});

describe('flows CSV', () => {
  it('writes one row per flow from primitives', () => {
    expect(renderFlowsCsvHeader()).toBe(FLOWS_CSV_COLUMNS.join(',') + '\n');
    expect(renderFlowsCsvHeader()).toBe('src,dst,proto,sport,dport,packets,bytes,vtep,vm,outer_sport\n');
    expect(flowsCsvRow(0x0a000001, 0xc0a8640a, 17, 40000, 53, 12, 1500, 'leaf-3', 'VM-A', 51234)).toBe(
      '10.0.0.1,192.168.100.10,17,40000,53,12,1500,leaf-3,VM-A,51234\n',
    );
    // not encapsulated (negative, or 0 as an unset Uint16Array slot), nowhere delivered
    expect(flowsCsvRow(0x0a000001, 0x0a000002, 1, 0, 0, 1, 98, '', '', -1)).toBe('10.0.0.1,10.0.0.2,1,0,0,1,98,,,\n');
    expect(flowsCsvRow(0x0a000001, 0x0a000002, 1, 0, 0, 1, 98, '', '', 0)).toBe('10.0.0.1,10.0.0.2,1,0,0,1,98,,,\n');
    // addresses already dotted
    expect(flowsCsvRow('10.0.0.1', '192.168.100.10', 6, 1, 2, 3, 4, 'leaf-1', 'VM-1', 49152)).toBe(
      '10.0.0.1,192.168.100.10,6,1,2,3,4,leaf-1,VM-1,49152\n',
    );
    expect(flowsCsvHeader()).toBe(renderFlowsCsvHeader());
    expect(flowsCsvRow(1, 2, 6, 1, 2, 3, 4, 'a,b', 'say "x"', 4789)).toBe('0.0.0.1,0.0.0.2,6,1,2,3,4,"a,b","say ""x""",4789\n');
  });

  it('streams in chunks and flushes the tail on end()', () => {
    const chunks: string[] = [];
    const w = new FlowsCsvWriter((c) => chunks.push(c), { chunkChars: 200 });
    for (let i = 0; i < 50; i++) w.row(0x0a000000 + i, 0xc0a8640a, 6, 1024 + i, 443, i, i * 100, 'leaf-1', 'VM-1', 49152 + i);
    expect(chunks.length).toBeGreaterThan(3);
    w.end();
    const rows = parseCsv(chunks.join(''));
    expect(rows).toHaveLength(51);
    expect(rows[0]).toEqual([...FLOWS_CSV_COLUMNS]);
    expect(rows[50]).toEqual(['10.0.0.49', '192.168.100.10', '6', '1073', '443', '49', '4900', 'leaf-1', 'VM-1', '49201']);
    expect(w.rows).toBe(50);
    w.end();
    expect(chunks.join('').split('\n')).toHaveLength(52); // nothing written twice
  });
});

describe('fuzz and failover text', () => {
  it('puts the worst hash first and says how to replay its worst trial', () => {
    const t = renderFuzzText(sampleFuzz);
    const order = ['crc32 ', 'xor ', 'linux-l4 +resilient', 'linux-l4 +hash-threshold'].map((p) => t.search(new RegExp(p)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(t).toMatch(/crc32\s+hash-threshold\s+2\.610\s+3\.000\s+100\/100\s+█{20}/);
    expect(t).toMatch(/linux-l4\s+hash-threshold\s+1\.071\s+1\.143\s+0\/100/);
    expect(t).toContain('ecmp-emu replay worst/crc32-hash-threshold.pcap --topology worst/crc32-hash-threshold.yaml');
    expect(t).toContain(`ecmp-emu replay 'worst/xor modulo.pcap' --topology 'it'\\''s.yaml'`);
    expect(t).toContain('best:  linux-l4 with hash-threshold');
  });

  it('orders failover by flows moved and shows moved/minimum', () => {
    const t = renderFailoverText(sampleFailover);
    expect(t.startsWith('failover: VM-B removed, 10,000 flows')).toBe(true);
    expect(t).toMatch(/resilient\s+11\.1%\s+11\.1%\s+1\.00×\s+minimal/);
    expect(t).toMatch(/hash-threshold\s+22\.2%\s+11\.1%\s+2\.00×\s+11\.1% of flows moved needlessly/);
    expect(t).toMatch(/modulo\s+74\.1%\s+11\.1%\s+6\.68×/);
    expect(t.indexOf('resilient')).toBeLessThan(t.indexOf('hash-threshold'));
    expect(t.indexOf('hash-threshold')).toBeLessThan(t.indexOf('modulo'));
  });

  it('survives empty results', () => {
    expect(renderFuzzText({ trials: 0, flows: 0, results: [] })).toContain('(no results)');
    expect(renderFailoverText({ removed: 'x', flows: 0, methods: [] })).toContain('(no methods)');
  });

  it('quotes shell arguments only where needed', () => {
    expect(shellQuote('--topology')).toBe('--topology');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });
});
