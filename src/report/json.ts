// The report as JSON (`--json`): SPEC §5's keys in SPEC §5's order, whatever order the objects were built in.

import type { Report } from '../stats/types.js';
import type { FailoverResult, FuzzResult, FuzzRow } from '../stats/trials.js';
import { orderedSkipKeys } from './format.js';

/**
 * A copy of the report with keys in the documented order: packets, bytes, flows, skipped, vteps, vms, others,
 * stages, links (with spines), unrouted, warnings (`others`, the opaque next-hops, follows the VMs it complements). Skip reasons: SPEC's first,
 * then the rest alphabetically. Numbers are untouched: JSON.stringify prints the shortest exact form.
 */
export function orderedReport(report: Report): Report {
  const skipped: Record<string, number> = {};
  for (const k of orderedSkipKeys(report.skipped)) skipped[k] = report.skipped[k]!;
  return {
    packets: report.packets,
    bytes: report.bytes,
    flows: report.flows,
    skipped,
    vteps: report.vteps.map((v) => ({
      name: v.name,
      address: v.address,
      flows: v.flows,
      packets: v.packets,
      bytes: v.bytes,
      share: v.share,
      expected: v.expected,
    })),
    vms: report.vms.map((v) => ({
      name: v.name,
      leaf: v.leaf,
      address: v.address,
      flows: v.flows,
      packets: v.packets,
      bytes: v.bytes,
      share: v.share,
      expected: v.expected,
    })),
    others: report.others.map((o) => ({
      node: o.node,
      address: o.address,
      flows: o.flows,
      packets: o.packets,
      bytes: o.bytes,
      share: o.share,
    })),
    stages: report.stages.map((s) => ({
      node: s.node,
      vrf: s.vrf,
      prefix: s.prefix,
      flows: s.flows,
      maxOverMean: s.maxOverMean,
      jain: s.jain,
      chiSquareP: s.chiSquareP,
      nextHops: s.nextHops.map((h) => ({ name: h.name, flows: h.flows, expected: h.expected })),
    })),
    ...(report.links
      ? { links: report.links.map((l) => ({ from: l.from, to: l.to, flows: l.flows, packets: l.packets, bytes: l.bytes, share: l.share, expected: l.expected })) }
      : {}),
    unrouted: report.unrouted.map((u) => ({ address: u.address, flows: u.flows, packets: u.packets })),
    warnings: report.warnings.map((w) => ({ kind: w.kind, node: w.node, message: w.message })),
  };
}

/** The report as pretty-printed JSON, no final newline; the same report always gives the same bytes. */
export function renderJson(report: Report): string {
  return JSON.stringify(orderedReport(report), null, 2);
}

/** One `fuzz --json` row, keys in SPEC §6's order (`fuzz --search` adds `finding` after them). */
export function fuzzRowJson(r: FuzzRow): FuzzRow {
  return {
    algorithm: r.algorithm,
    selection: r.selection,
    meanMaxOverMean: r.meanMaxOverMean,
    worstMaxOverMean: r.worstMaxOverMean,
    polarized: r.polarized,
    reproducer: r.reproducer,
    replayArgs: [...r.replayArgs],
  };
}

/** `fuzz --json` (SPEC §6), keys in the documented order; no final newline, as renderJson. */
export function renderFuzzJson(result: FuzzResult): string {
  const ordered: FuzzResult = { trials: result.trials, flows: result.flows, results: result.results.map(fuzzRowJson) };
  return JSON.stringify(ordered, null, 2);
}

/** `failover --json` (SPEC §6), keys in the documented order; no final newline, as renderJson. */
export function renderFailoverJson(result: FailoverResult): string {
  const ordered: FailoverResult = {
    removed: result.removed,
    flows: result.flows,
    methods: result.methods.map((m) => ({ selection: m.selection, moved: m.moved, minimum: m.minimum })),
  };
  return JSON.stringify(ordered, null, 2);
}
