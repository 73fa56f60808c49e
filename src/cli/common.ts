// Argument parsing shared by the commands: addresses, protocols, integers, the topology option.

import { UsageError } from '../errors.js';
import { tryParseIpv4 } from '../wire/ipv4.js';
import { loadTopology, type Topology } from '../fabric/topology.js';
import { converge, type Fabric } from '../fabric/converge.js';

export const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };

export function parseAddressArg(text: string | undefined, what: string): number {
  const a = text === undefined ? -1 : tryParseIpv4(text);
  if (a < 0) throw new UsageError(`bad IPv4 address '${text ?? ''}'`, what);
  return a;
}

/** udp, tcp, icmp, or a protocol number 0..255. */
export function parseProtoArg(text: string | undefined, what: string): number {
  if (text === undefined) return 0;
  const named = PROTOCOLS[text.toLowerCase()];
  if (named !== undefined) return named;
  return parseIntArg(text, what, 0, 255);
}

export function parseIntArg(text: string | undefined, what: string, min: number, max: number): number {
  const t = (text ?? '').trim();
  const v = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`'${text ?? ''}' is not an integer in ${min}..${max}`, what);
  }
  return v;
}

export function loadTopologyArg(path: string | undefined): Topology {
  return loadTopology(path);
}

export function loadFabricArg(path: string | undefined): Fabric {
  return converge(loadTopology(path));
}

export function protoName(proto: number): string {
  for (const [name, n] of Object.entries(PROTOCOLS)) if (n === proto) return name;
  return String(proto);
}
