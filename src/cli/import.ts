// `import CONFIG...`: a topology from real device configs (SPEC §4), with a real box's findings on standard error.

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EmuError, UsageError } from '../errors.js';
import { formatFinding, importConfigFiles } from '../config/index.js';
import { tryParsePrefix } from '../wire/ipv4.js';

interface ImportCliOptions {
  dialect?: string;
  ingress?: string;
  vmAnnounce?: string[];
  out?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('a topology from real device configs, one file per leaf or VM (FRR frr.conf, IP Infusion OcNOS)')
    .argument('<config...>', 'config files, one per device')
    .option('--dialect <d>', 'auto, frr or ocnos (default auto, per file)')
    .option('--ingress <leaf>', 'the leaf clients enter at (default: the one leaf with no VMs)')
    .option('--vm-announce <prefix>', 'what a VM neighbour with no config of its own announces (repeatable)', collect)
    .option('--out <file>', 'write the topology YAML here (only when the import succeeds) instead of standard output')
    .option('--json', '{ topology, warnings } on standard output')
    .action((files: string[], opts: ImportCliOptions) => {
      const dialect = opts.dialect ?? 'auto';
      if (dialect !== 'auto' && dialect !== 'frr' && dialect !== 'ocnos') throw new UsageError(`unknown dialect '${dialect}' (expected auto, frr or ocnos)`, '--dialect');
      const vmAnnounce = (opts.vmAnnounce ?? []).map((t) => {
        const p = tryParsePrefix(t);
        if (!p || p.address !== p.network) throw new UsageError(`bad IPv4 prefix '${t}'`, '--vm-announce');
        return { prefix: p.network, length: p.length };
      });
      const result = importConfigFiles(files, { dialect, vmAnnounce, ...(opts.ingress !== undefined ? { ingress: opts.ingress } : {}) });
      for (const w of result.warnings) process.stderr.write(formatFinding(w) + '\n');
      if (opts.out !== undefined) {
        try {
          writeFileSync(opts.out, result.yaml);
        } catch (e) {
          throw new EmuError(`cannot write the topology (${(e as NodeJS.ErrnoException).code ?? e})`, opts.out, 1);
        }
      }
      if (opts.json) {
        const warnings = result.warnings.map((w) => ({ kind: w.kind, node: w.node, message: w.message }));
        process.stdout.write(JSON.stringify({ topology: result.yaml, warnings }, null, 2) + '\n');
      } else if (opts.out === undefined) process.stdout.write(result.yaml);
    });
}
