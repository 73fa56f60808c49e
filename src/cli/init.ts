// `init [--from-capture FILE] [--vms LIST] [--out F]`: a commented topology to start from (SPEC §4).

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EmuError } from '../errors.js';
import { profileCapture } from '../analysis/profile.js';
import { initTopology, parseVmsList, SERVICE_RULE } from '../config/init.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('a commented topology to start from: the built-in one, or one fitted to a capture')
    .option('--from-capture <file>', 'fit it to this capture: its services, VTEPs and VNIs')
    .option('--vms <list>', 'VMs per leaf, e.g. 1,1,3 (default: 1,1,3; with a capture, three per service or VTEP)')
    .option('--out <file>', 'write the topology here instead of standard output')
    .action(async (opts: { fromCapture?: string; vms?: string; out?: string }) => {
      const vms = opts.vms === undefined ? undefined : parseVmsList(opts.vms);
      let yaml: string;
      if (opts.fromCapture !== undefined) {
        const profile = await profileCapture(opts.fromCapture);
        yaml = initTopology({ source: opts.fromCapture, ...profile }, vms);
        process.stderr.write(`ecmp-emu init: ${profile.flows} flows in ${opts.fromCapture}; ${SERVICE_RULE}\n`);
      } else yaml = initTopology(undefined, vms);
      if (opts.out === undefined) {
        process.stdout.write(yaml);
        return;
      }
      try {
        writeFileSync(opts.out, yaml);
      } catch (e) {
        throw new EmuError(`cannot write the topology (${(e as NodeJS.ErrnoException).code ?? e})`, opts.out, 1);
      }
    });
}
