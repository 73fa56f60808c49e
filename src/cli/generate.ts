// `generate`: synthetic traffic as a pcap (SPEC §4), to a file or standard output.

import type { Command } from 'commander';
import { PcapWriter } from '../capture/writer.js';
import { UsageError } from '../errors.js';
import { MAX_FLOWS, PATTERNS, checkPattern, checkProtoChoice } from '../traffic/flows.js';
import { MAX_PACKETS, TrafficGenerator, writeTraffic, type GenerateOptions } from '../traffic/generator.js';
import { defaultDestination, defaultDestination6, planUnderlay } from '../traffic/underlay.js';
import { tryParseIpv6 } from '../wire/ipv6.js';
import { loadTopologyArg, parseAddressArg, parseIntArg } from './common.js';

export interface GenerateCliOptions {
  out?: string;
  flows?: string;
  packets?: string;
  seed?: string;
  pattern?: string;
  dst?: string;
  proto?: string;
  vxlan?: boolean;
  ipv6?: boolean;
  topology?: string;
}

/** Turns the command's option text into generator options; every bad value is a UsageError. */
export function parseGenerateOptions(opts: GenerateCliOptions): GenerateOptions {
  const flows = opts.flows === undefined ? 1000 : parseIntArg(opts.flows, '--flows', 1, MAX_FLOWS);
  const packets = opts.packets === undefined ? flows : parseIntArg(opts.packets, '--packets', 1, MAX_PACKETS);
  const seed = opts.seed === undefined ? 1 : parseIntArg(opts.seed, '--seed', 0, 0xffffffff);
  const pattern = checkPattern(opts.pattern ?? 'uniform');
  const proto = checkProtoChoice((opts.proto ?? 'udp').toLowerCase());
  const topology = loadTopologyArg(opts.topology);
  // IPv6 flows with --ipv6, or when --dst is an IPv6 address.
  const ipv6 = opts.ipv6 === true || (opts.dst?.includes(':') ?? false);
  let dst = 0;
  let dst6: Uint32Array | undefined;
  if (!ipv6) dst = opts.dst === undefined ? defaultDestination(topology) : parseAddressArg(opts.dst, '--dst');
  else if (opts.dst === undefined) dst6 = defaultDestination6(topology);
  else {
    dst6 = tryParseIpv6(opts.dst);
    if (dst6 === undefined) throw new UsageError(`bad IPv6 address '${opts.dst}'${opts.dst.includes(':') ? '' : ' (--ipv6 sends IPv6 flows)'}`, '--dst');
  }
  const ingress = topology.leaves.find((l) => l.name === topology.ingress.leaf);
  // The ingress leaf's router MAC: 02:00 + its IPv4 VTEP, or the last 32 bits of an IPv6 one.
  const ingressVtep = ingress?.vtep6 !== undefined ? ingress.vtep6[3] : ingress?.vtep;
  const o: GenerateOptions = {
    flows,
    packets,
    seed,
    pattern,
    proto,
    dst,
    vxlan: opts.vxlan ? planUnderlay(topology, dst6 ?? dst) : undefined,
    ingressVtep,
  };
  if (dst6 !== undefined) o.dst6 = dst6;
  return o;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('synthetic traffic as pcap (--out -: standard output, so `generate --out - | replay -` works)')
    .option('--out <file>', "the capture to write ('-': standard output)")
    .option('--flows <n>', 'distinct flows (default 1000)')
    .option('--packets <n>', 'frames in all, spread over the flows (default: one per flow)')
    .option('--seed <n>', 'PRNG seed, 0..4294967295; the same seed gives the same bytes (default 1)')
    .option('--pattern <p>', `${PATTERNS.join(', ')} (default uniform)`)
    .option('--dst <addr>', "destination address (default: the service address the topology's VMs announce)")
    .option('--proto <p>', 'udp, tcp or mix (UDP, TCP and a few percent ICMP echo) (default udp)')
    .option('--vxlan', "underlay frames: each flow in VXLAN from the ingress leaf's VTEP to a VTEP announcing --dst (over IPv6 when the VTEPs are IPv6)")
    .option('--ipv6', 'IPv6 flows (Ethernet + IPv6 + UDP/TCP/ICMPv6, a flow label per flow) to --dst or the IPv6 service the VMs announce')
    .option('--topology <file>', 'topology YAML, for the --dst default and the VTEPs (default: the built-in fabric)')
    .action(async (opts: GenerateCliOptions) => {
      if (opts.out === undefined || opts.out === '') throw new UsageError("generate needs --out FILE (or '-' for standard output)");
      const gen = new TrafficGenerator(parseGenerateOptions(opts));
      const writer = await PcapWriter.open(opts.out);
      try {
        await writeTraffic(gen, writer);
      } catch (e) {
        // Report the first failure, not a second one from flushing into the same broken output.
        await writer.close().catch(() => undefined);
        throw e;
      }
      await writer.close();
      if (opts.out !== '-') {
        process.stderr.write(`wrote ${gen.written} frames (${gen.activeFlows} flows) to ${opts.out}\n`);
      }
    });
}
