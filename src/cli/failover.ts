// `failover --fail NAME`: the flows that change VM when a VM or leaf goes, per selection method (SPEC §6).

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { renderFailoverJson, renderFailoverText } from '../report/index.js';
import { DEFAULT_FAILOVER_FLOWS, DEFAULT_FAILOVER_SEED, runFailover } from '../experiments/index.js';
import { renderFailoverHtml } from '../report/html-failover.js';
import { loadTopologyArg, parseIntArg } from './common.js';
import { commandLine, writeTextFile } from './fuzz.js';

export interface FailoverCliOptions {
  fail?: string;
  topology?: string;
  flows?: string;
  seed?: string;
  html?: string;
  json?: boolean;
  ipv6?: boolean;
}

export function registerFailover(program: Command): void {
  program
    .command('failover')
    .description('flows that change VM when a VM or leaf fails, per selection method, beside the least possible (SPEC §6)')
    .option('--fail <name>', 'the VM, leaf, spine or uplink (LEAF:SPINE) that fails')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--flows <n>', `uniform random flows (UDP, TCP and some ICMP) to the service address (default ${DEFAULT_FAILOVER_FLOWS})`)
    .option('--seed <n>', `seed of the flow set, 0..4294967295 (default ${DEFAULT_FAILOVER_SEED})`)
    .option('--ipv6', 'IPv6 flows to the IPv6 service address; the default on a topology that announces no IPv4 prefix')
    .option('--html <out>', 'also write the methods as a self-contained HTML page with bars')
    .option('--json', 'the result as JSON (SPEC §6)')
    .action((opts: FailoverCliOptions) => {
      if (opts.fail === undefined || opts.fail.trim() === '') throw new UsageError('failover needs --fail NAME (a VM, a leaf, a spine or an uplink LEAF:SPINE)', '--fail');
      const flows = opts.flows === undefined ? undefined : parseIntArg(opts.flows, '--flows', 1, 10_000_000);
      const seed = opts.seed === undefined ? undefined : parseIntArg(opts.seed, '--seed', 0, 0xffffffff);
      if (opts.html === '') throw new UsageError('--html needs a file name', '--html');
      const topology = loadTopologyArg(opts.topology);
      const { result } = runFailover({ topology, fail: opts.fail, flows, seed, ipv6: opts.ipv6 });
      if (opts.html !== undefined) writeTextFile(opts.html, renderFailoverHtml(result, { topology: topology.source, command: commandLine() }), 'HTML page');
      process.stdout.write(opts.json ? renderFailoverJson(result) : renderFailoverText(result));
    });
}
