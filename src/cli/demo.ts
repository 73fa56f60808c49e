// `demo`: the built-in fabric over the bundled trace, and the lesson it teaches: VTEP weighting, the seed's missing
// max-paths, and the underlay (a border hashing outer addresses only pins each VTEP pair onto one spine).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { EmuError } from '../errors.js';
import { importConfigFiles } from '../config/index.js';
import { converge } from '../fabric/converge.js';
import { loadTopology, type Topology } from '../fabric/topology.js';
import { replayCapture } from '../engine/replay.js';
import type { Report } from '../stats/types.js';
import { checkOutputOptions, emitReport, type OutputOptions } from './output.js';
import { interruptSignal } from './replay.js';

/** traces/demo.pcap of the installed package (dist/src/cli/demo.js → ../../../traces). */
export function demoTracePath(): string {
  return fileURLToPath(new URL('../../../traces/demo.pcap', import.meta.url));
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The other leaves as FRR configs and the seed's Leaf-3 config as printed, from the installed package's examples/. */
export function seedConfigPaths(): string[] {
  const dir = new URL('../../../examples/configs/', import.meta.url);
  return ['frr/border.conf', 'frr/leaf-1.conf', 'frr/leaf-2.conf', 'seed/leaf-3.conf'].map((f) => fileURLToPath(new URL(f, dir)));
}

/** examples/spines.yaml of the installed package: the built-in fabric with two spines, the border on linux-l3. */
export function spinesExamplePath(): string {
  return fileURLToPath(new URL('../../../examples/spines.yaml', import.meta.url));
}

/** The same fabric with the border on `algorithm` (seed and fields as they were). */
function borderHashing(t: Topology, algorithm: Topology['leaves'][number]['hash']['algorithm']): Topology {
  return { ...t, leaves: t.leaves.map((l) => (l.name === t.ingress.leaf ? { ...l, hash: { ...l.hash, algorithm } } : l)) };
}

/** The underlay runs of the lesson: the trace over examples/spines.yaml (border on linux-l3), then on linux-l4. */
export interface UnderlayLesson {
  pinned: Report;
  spread: Report;
}

/** The ingress leaf's uplinks as "spine-1 33.1%, spine-2 66.9%" (shares of the flows it sends over the spines). */
function uplinkShares(r: Report, border: string): string {
  const up = (r.links ?? []).filter((l) => l.from === border);
  const total = up.reduce((a, l) => a + l.flows, 0);
  return up.map((l) => `${l.to} ${pct(total > 0 ? l.flows / total : 0)}`).join(', ');
}

/** The demo's lesson, in the numbers this run measured; `seed`: the same trace under the seed's Leaf-3 config. */
export function demoLesson(equal: Report, paths: Report, seed?: Report, underlay?: UnderlayLesson): string {
  const vm = (r: Report, name: string): number => r.vms.find((v) => v.name === name)?.share ?? 0;
  const local = ['VM-A', 'VM-B', 'VM-C'];
  const remote = ['VM-1', 'VM-2'];
  const leaf3 = paths.vteps.find((v) => v.name === 'leaf-3');
  const lines = [
    'Lesson',
    '------',
    `With equal VTEP weights (weighting: equal, what a plain EVPN fabric installs) the border gives each VTEP a third`,
    `of the flows, so ${remote.map((n) => `${n} gets ${pct(vm(equal, n))}`).join(' and ')}, while ${local.join(', ')} share leaf-3's third:`,
    `${local.map((n) => `${n} ${pct(vm(equal, n))}`).join(', ')}, each about a third of what VM-1 or VM-2 gets.`,
    '',
    `The same trace with weighting: paths (each VTEP weighted by the VMs behind it, 1:1:3, as the BGP`,
    `link-bandwidth community makes it) evens all five: ${[...remote, ...local].map((n) => `${n} ${pct(vm(paths, n))}`).join(', ')};`,
    `leaf-3's VTEP carries ${leaf3 ? pct(leaf3.share) : '?'} (expected 60%). See it yourself:`,
    '  ecmp-emu replay traces/demo.pcap --topology examples/ucmp.yaml',
    '',
    `The seed's own Leaf-3 config has no \`max-paths ebgp\` line, and OcNOS then installs a single best path: a real`,
    `leaf-3 gives VM-A all of its flows and VM-B and VM-C none, whatever the weighting.${seedShares(seed)}`,
    'Import it and see the warning:',
    '  ecmp-emu import examples/configs/frr/{border,leaf-1,leaf-2}.conf examples/configs/seed/leaf-3.conf \\',
    '    --vm-announce 192.168.100.10/32 --out seed.yaml && ecmp-emu replay traces/demo.pcap --topology seed.yaml',
  ];
  if (underlay) {
    const pinnedStages = underlay.pinned.stages.filter((st) => st.vrf === 'underlay' && st.node === 'border');
    const pinnedPairs = pinnedStages.filter((st) => st.nextHops.filter((h) => h.flows > 0).length === 1).length;
    lines.push(
      '',
      `Put two spines between the leaves (examples/spines.yaml) and the border picks a spine by hashing the outer`,
      `VXLAN header, where only the source port varies between the flows of one VTEP pair. On linux-l3 (policy 0,`,
      `addresses only) ${pinnedPairs} of its ${pinnedStages.length} VTEP pairs are pinned onto one spine, and its uplinks carry ${uplinkShares(underlay.pinned, 'border')}`,
      `of its flows. On linux-l4 (policy 1, which reads the source port) they carry ${uplinkShares(underlay.spread, 'border')}. See it:`,
      '  ecmp-emu replay traces/demo.pcap --topology examples/spines.yaml',
    );
  }
  return lines.join('\n');
}

/** leaf-3's VMs under the imported seed config, in this run's numbers. */
function seedShares(seed: Report | undefined): string {
  if (!seed) return '';
  const leaf3 = seed.vms.filter((v) => v.leaf === 'leaf-3');
  return `\nImported with the other leaves' FRR configs, this trace gives leaf-3's VMs ${leaf3.map((v) => `${v.address} ${pct(v.share)}`).join(', ')}.`;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the built-in topology on the bundled trace: the main job with no set-up')
    .option('--json', 'the report as JSON (SPEC §5)')
    .option('--csv', 'the per-VTEP and per-VM table as CSV')
    .option('--html <out>', 'write a self-contained HTML report with charts')
    .action(async (opts: OutputOptions) => {
      checkOutputOptions(opts);
      const trace = demoTracePath();
      if (!existsSync(trace)) throw new EmuError('the bundled demo trace is missing', trace, 1);
      const topology = loadTopology();
      const signal = interruptSignal();
      const equal = await replayCapture(trace, converge(topology), { signal });
      if (opts.json || opts.csv) {
        emitReport(equal.report, equal.engine, opts, { title: 'ecmp-emu demo', source: 'traces/demo.pcap' });
        return;
      }
      const paths = await replayCapture(trace, converge({ ...topology, weighting: 'paths' }), { signal });
      const configs = seedConfigPaths();
      const seed = configs.every((f) => existsSync(f))
        ? await replayCapture(trace, importConfigFiles(configs, { vmAnnounce: [{ prefix: 0xc0a8640a, length: 32 }] }).fabric, { signal })
        : undefined;
      let underlay: UnderlayLesson | undefined;
      if (existsSync(spinesExamplePath())) {
        const spines = loadTopology(spinesExamplePath());
        const pinned = await replayCapture(trace, converge(spines), { signal });
        const spread = await replayCapture(trace, converge(borderHashing(spines, 'linux-l4')), { signal });
        underlay = { pinned: pinned.report, spread: spread.report };
      }
      process.stdout.write(`ecmp-emu demo: the built-in fabric (SPEC §1) replaying traces/demo.pcap\n\n`);
      emitReport(equal.report, equal.engine, opts, { title: 'ecmp-emu demo', source: 'traces/demo.pcap' }, demoLesson(equal.report, paths.report, seed?.report, underlay));
    });
}
