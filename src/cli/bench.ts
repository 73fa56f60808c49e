// `bench`: the benchmark suite, exactly as `npm run bench` runs it (bench/run.ts, built to dist/bench/run.js).

import type { Command } from 'commander';
import { EmuError } from '../errors.js';

/**
 * The built CLI's way to import an ES module: the launcher's import() (launch.ts; the bundle it runs cannot import).
 * Undefined from the sources, where import() itself works.
 */
declare const __ecmpImport: ((specifier: string) => Promise<unknown>) | undefined;

interface BenchCliOptions {
  short?: boolean;
  json?: string;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('the benchmark suite: every stage, the whole pipeline, heap per packet, replay against C and pcap-parser baselines')
    .option('--short', 'small sizes, a few seconds (what CI runs); the figures then say nothing about the targets')
    .option('--json <file>', 'also write every figure as JSON to this file')
    .action(async (opts: BenchCliOptions) => {
      // Loaded only here: the suite needs the dev dependencies (tinybench, pcap-parser), which an installed
      // package does not have.
      let suite: { main(argv: string[]): Promise<void> };
      try {
        const href = new URL('../../bench/run.js', import.meta.url).href;
        suite = (await (typeof __ecmpImport === 'function' ? __ecmpImport(href) : import(href))) as typeof suite;
      } catch (e) {
        throw new EmuError(`the benchmark suite cannot load (${(e as Error).message.split('\n')[0]}); run it from a checkout after npm install and npm run build`, 'bench', 1);
      }
      await suite.main([...(opts.short ? ['--short'] : []), ...(opts.json !== undefined ? ['--json', opts.json] : [])]);
    });
}
