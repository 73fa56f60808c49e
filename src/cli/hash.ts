// `hash ALGO --src A --dst A [--proto P] [--sport N] [--dport N] [--seed N] [--fields LIST] [--flowlabel N]` (SPEC §4);
// IPv4 or IPv6 addresses.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import {
  ALL_HASH_ALGORITHMS,
  ALL_HASH_FIELDS,
  displayHash,
  HASH_FIELDS,
  HASH_FIELDS6,
  makeHasher,
  makeHasher6,
  parseHashFields,
  type HashAlgorithm,
  type HashField6,
} from '../hash/index.js';
import { tryParseIpv6 } from '../wire/ipv6.js';
import { parseAddressArg, parseIntArg, parseProtoArg, protoName } from './common.js';

export interface HashOptions {
  src?: string;
  dst?: string;
  proto?: string;
  sport?: string;
  dport?: string;
  seed?: string;
  fields?: string;
  flowlabel?: string;
}

/** The line the command prints: the hash as 0x%08x (linux-l3/l4: the 31-bit value the kernel compares). */
export function hashLine(algo: string, opts: HashOptions): string {
  if (!(ALL_HASH_ALGORITHMS as readonly string[]).includes(algo)) {
    throw new UsageError(`unknown algorithm '${algo}' (expected ${ALL_HASH_ALGORITHMS.join(', ')})`, 'hash');
  }
  const algorithm = algo as HashAlgorithm;
  if (opts.src === undefined) throw new UsageError('--src is required', 'hash');
  if (opts.dst === undefined) throw new UsageError('--dst is required', 'hash');
  const v6 = opts.src.includes(':') || opts.dst.includes(':');
  const proto = parseProtoArg(opts.proto, '--proto');
  const sport = opts.sport === undefined ? 0 : parseIntArg(opts.sport, '--sport', 0, 65535);
  const dport = opts.dport === undefined ? 0 : parseIntArg(opts.dport, '--dport', 0, 65535);
  // A flow of a protocol without ports has ports 0 in every flow key (SPEC §3, as Linux and `route get` do);
  // hashing ports the user typed for it would print a value no such flow ever gets.
  if (opts.proto !== undefined && proto !== 6 && proto !== 17 && (sport !== 0 || dport !== 0)) {
    throw new UsageError(`protocol ${protoName(proto)} has no ports: its flows hash with ports 0`, '--sport/--dport');
  }
  const seed = opts.seed === undefined ? 0 : parseIntArg(opts.seed, '--seed', 0, 0xffffffff);
  let h: number;
  if (v6) {
    h = hash6(algorithm, seed, opts, proto, sport, dport);
  } else {
    if (opts.flowlabel !== undefined) throw new UsageError('an IPv4 flow has no flow label', '--flowlabel');
    const fields = opts.fields === undefined ? HASH_FIELDS : parseHashFields(opts.fields);
    h = makeHasher({ algorithm, seed, fields })(parseAddressArg(opts.src, '--src'), parseAddressArg(opts.dst, '--dst'), proto, sport, dport);
  }
  return `0x${displayHash(algorithm, h).toString(16).padStart(8, '0')}`;
}

/** An IPv6 flow's hash: both addresses IPv6, fields from HASH_FIELDS6, the flow label (default 0). */
function hash6(algorithm: HashAlgorithm, seed: number, opts: HashOptions, proto: number, sport: number, dport: number): number {
  const src = tryParseIpv6(opts.src!);
  const dst = tryParseIpv6(opts.dst!);
  if (src === undefined) throw new UsageError(`bad IPv6 address '${opts.src!}' (both addresses of a flow are of one family)`, '--src');
  if (dst === undefined) throw new UsageError(`bad IPv6 address '${opts.dst!}' (both addresses of a flow are of one family)`, '--dst');
  const label = opts.flowlabel === undefined ? 0 : parseIntArg(opts.flowlabel, '--flowlabel', 0, 0xfffff);
  let fields: readonly HashField6[] = HASH_FIELDS6;
  if (opts.fields !== undefined) {
    const names = [...new Set(opts.fields.split(',').map((f) => f.trim()).filter((f) => f !== ''))];
    if (names.length === 0) throw new UsageError(`empty hash field list '${opts.fields}'`, '--fields');
    const unknown = names.find((f) => !(HASH_FIELDS6 as readonly string[]).includes(f));
    if (unknown !== undefined) throw new UsageError(`unknown hash field '${unknown}' (known: ${HASH_FIELDS6.join(', ')})`, '--fields');
    fields = names as HashField6[];
  }
  return makeHasher6({ algorithm, seed, fields })(src, dst, proto, sport, dport, label);
}

export function registerHash(program: Command): void {
  program
    .command('hash')
    .description('hash one flow key; prints 0x%08x (linux-*: the 31-bit value compared with next-hop bounds)')
    .argument('<algo>', ALL_HASH_ALGORITHMS.join(' | '))
    .option('--src <addr>', 'source address, IPv4 or IPv6')
    .option('--dst <addr>', 'destination address, of the same family')
    .option('--proto <p>', 'udp | tcp | icmp | protocol number (default 0)')
    .option('--sport <n>', 'source port (default 0)')
    .option('--dport <n>', 'destination port (default 0)')
    .option('--seed <n>', 'seed, 0..4294967295, decimal or 0x hex (default 0)')
    .option('--fields <list>', `comma-separated subset of ${ALL_HASH_FIELDS.join(',')} (flowlabel and inner-*: linux-custom only; default: the 5-tuple, with flowlabel for IPv6)`)
    .option('--flowlabel <n>', 'IPv6 flow label, 0..0xfffff (default 0; read by linux-l3 and by fields with flowlabel)')
    .action((algo: string, opts: HashOptions) => {
      process.stdout.write(`${hashLine(algo, opts)}\n`);
    });
}
