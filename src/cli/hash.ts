// `hash ALGO --src A --dst A [--proto P] [--sport N] [--dport N] [--seed N] [--fields LIST]` (SPEC §4).

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { displayHash, HASH_ALGORITHMS, HASH_FIELDS, makeHasher, parseHashFields, type HashAlgorithm } from '../hash/index.js';
import { parseAddressArg, parseIntArg, parseProtoArg, protoName } from './common.js';

export interface HashOptions {
  src?: string;
  dst?: string;
  proto?: string;
  sport?: string;
  dport?: string;
  seed?: string;
  fields?: string;
}

/** The line the command prints: the hash as 0x%08x (linux-l3/l4: the 31-bit value the kernel compares). */
export function hashLine(algo: string, opts: HashOptions): string {
  if (!(HASH_ALGORITHMS as readonly string[]).includes(algo)) {
    throw new UsageError(`unknown algorithm '${algo}' (expected ${HASH_ALGORITHMS.join(', ')})`, 'hash');
  }
  const algorithm = algo as HashAlgorithm;
  if (opts.src === undefined) throw new UsageError('--src is required', 'hash');
  if (opts.dst === undefined) throw new UsageError('--dst is required', 'hash');
  const src = parseAddressArg(opts.src, '--src');
  const dst = parseAddressArg(opts.dst, '--dst');
  const proto = parseProtoArg(opts.proto, '--proto');
  const sport = opts.sport === undefined ? 0 : parseIntArg(opts.sport, '--sport', 0, 65535);
  const dport = opts.dport === undefined ? 0 : parseIntArg(opts.dport, '--dport', 0, 65535);
  // A flow of a protocol without ports has ports 0 in every flow key (SPEC §3, as Linux and `route get` do);
  // hashing ports the user typed for it would print a value no such flow ever gets.
  if (opts.proto !== undefined && proto !== 6 && proto !== 17 && (sport !== 0 || dport !== 0)) {
    throw new UsageError(`protocol ${protoName(proto)} has no ports: its flows hash with ports 0`, '--sport/--dport');
  }
  const seed = opts.seed === undefined ? 0 : parseIntArg(opts.seed, '--seed', 0, 0xffffffff);
  const fields = opts.fields === undefined ? HASH_FIELDS : parseHashFields(opts.fields);
  const h = makeHasher({ algorithm, seed, fields })(src, dst, proto, sport, dport);
  return `0x${displayHash(algorithm, h).toString(16).padStart(8, '0')}`;
}

export function registerHash(program: Command): void {
  program
    .command('hash')
    .description('hash one flow key; prints 0x%08x (linux-l3/l4: the 31-bit value compared with next-hop bounds)')
    .argument('<algo>', HASH_ALGORITHMS.join(' | '))
    .option('--src <addr>', 'source IPv4 address')
    .option('--dst <addr>', 'destination IPv4 address')
    .option('--proto <p>', 'udp | tcp | icmp | protocol number (default 0)')
    .option('--sport <n>', 'source port (default 0)')
    .option('--dport <n>', 'destination port (default 0)')
    .option('--seed <n>', 'seed, 0..4294967295, decimal or 0x hex (default 0)')
    .option('--fields <list>', `comma-separated subset of ${HASH_FIELDS.join(',')} (default: all)`)
    .action((algo: string, opts: HashOptions) => {
      process.stdout.write(`${hashLine(algo, opts)}\n`);
    });
}
