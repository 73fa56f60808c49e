// `route get`: one flow's path, stage by stage, worded like `ip route get`.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { HOP_VM, HOP_VTEP, hopAddress, routePrefix, type Fabric } from '../fabric/converge.js';
import { addressText, vtepText } from '../fabric/topology.js';
import { PathResult, SKIP_NAMES, resolvePath, resolvePath6 } from '../engine/path.js';
import { displayHash } from '../hash/index.js';
import { tryParseIpv6 } from '../wire/ipv6.js';
import { loadFabricArg, parseAddressArg, parseIntArg, parseProtoArg, protoName } from './common.js';
import { isUnderlayStage, spineHop, spineLines } from './route-underlay.js';

/** One flow: IPv4 addresses in src/dst, or (family 6) IPv6 words in src6/dst6 with the flow label. */
export interface FlowQuery {
  family: 4 | 6;
  dst: number;
  src: number;
  dst6?: Uint32Array;
  src6?: Uint32Array;
  flowLabel: number;
  proto: number;
  sport: number;
  dport: number;
}

const FLOW_LABEL_MAX = 0xfffff;

/** An address of either family: a number, or IPv6 words. */
function parseAnyAddress(text: string | undefined, what: string): number | Uint32Array {
  if (text === undefined || !text.includes(':')) return parseAddressArg(text, what);
  const a = tryParseIpv6(text);
  if (a === undefined) throw new UsageError(`bad IPv6 address '${text}'`, what);
  return a;
}

/**
 * `ADDR from ADDR [ipproto P] [sport N] [dport N] [flowlabel N]`, as `ip route get` takes them; both addresses of
 * one family. `flowlabel` (IPv6 only; 0 by default, or `defaultFlowLabel`) is what newer iproute2 takes too.
 */
export function parseRouteWords(words: string[], where: string, defaultFlowLabel = 0): FlowQuery {
  if (words.length === 0) throw new UsageError('route get needs a destination address', where);
  const dst = parseAnyAddress(words[0], `${where}: destination`);
  const q: FlowQuery = { family: typeof dst === 'number' ? 4 : 6, dst: 0, src: 0, flowLabel: 0, proto: 0, sport: 0, dport: 0 };
  if (typeof dst === 'number') q.dst = dst;
  else q.dst6 = dst;
  let haveSrc = false;
  let label: number | undefined;
  for (let i = 1; i < words.length; i += 2) {
    const word = words[i]!;
    const value = words[i + 1];
    if (value === undefined) throw new UsageError(`'${word}' needs a value`, where);
    if (word === 'from') {
      const src = parseAnyAddress(value, `${where}: from`);
      if ((typeof src === 'number' ? 4 : 6) !== q.family) {
        throw new UsageError(`source ${value} is IPv${q.family === 4 ? 6 : 4} but the destination ${words[0]} is IPv${q.family}`, `${where}: from`);
      }
      if (typeof src === 'number') q.src = src;
      else q.src6 = src;
      haveSrc = true;
    } else if (word === 'ipproto') q.proto = /^(icmpv6|ipv6-icmp)$/i.test(value) ? 58 : parseProtoArg(value, `${where}: ipproto`);
    else if (word === 'sport') q.sport = parseIntArg(value, `${where}: sport`, 0, 65535);
    else if (word === 'dport') q.dport = parseIntArg(value, `${where}: dport`, 0, 65535);
    else if (word === 'flowlabel') label = parseIntArg(value, `${where}: flowlabel`, 0, FLOW_LABEL_MAX);
    else throw new UsageError(`unknown word '${word}' (expected from, ipproto, sport, dport, flowlabel)`, where);
  }
  if (!haveSrc) throw new UsageError('route get needs "from ADDR" (the flow\'s source)', where);
  if (q.family === 4 && label !== undefined) throw new UsageError('flowlabel is an IPv6 field; this flow is IPv4', `${where}: flowlabel`);
  if (q.family === 6) q.flowLabel = label ?? defaultFlowLabel;
  return q;
}

function queryDst(q: FlowQuery): string {
  return addressText(q.dst, q.dst6);
}

export interface RouteHop {
  node: string;
  via: string;
  vtep?: string;
  vm?: string;
  vni?: number;
  prefix: string;
  hash: string;
}

export interface RouteAnswer {
  hops: RouteHop[];
  error?: string;
}

export function routeGet(fabric: Fabric, q: FlowQuery, path = new PathResult()): RouteAnswer {
  const ports = q.proto === 6 || q.proto === 17;
  const sport = ports ? q.sport : 0;
  const dport = ports ? q.dport : 0;
  if (q.family === 6) resolvePath6(fabric, fabric.ingressLeaf, fabric.ingressVrf, q.src6!, q.dst6!, q.flowLabel, q.proto, sport, dport, -1, path);
  else resolvePath(fabric, fabric.ingressLeaf, fabric.ingressVrf, q.src, q.dst, q.proto, sport, dport, -1, path);
  const hops: RouteHop[] = [];
  for (let s = 0; s < path.stages; s++) {
    if (isUnderlayStage(fabric, path, s)) {
      hops.push(spineHop(fabric, path, s));
      continue;
    }
    const leaf = path.stageLeaf[s]!;
    const route = fabric.routes[path.stageRoute[s]!]!;
    const hop = route.nextHops[path.stageMember[s]!]!;
    const h: RouteHop = {
      node: fabric.leafNames[leaf]!,
      via: hopAddress(hop),
      prefix: routePrefix(route),
      hash: `0x${displayHash(fabric.topology.leaves[leaf]!.hash.algorithm, path.stageHash[s]!).toString(16).padStart(8, '0')}`,
    };
    if (hop.kind === HOP_VTEP) {
      h.vtep = hopAddress(hop);
      h.vni = fabric.topology.vrfs[route.vrf]!.vni;
    } else if (hop.kind === HOP_VM) h.vm = fabric.vmNames[hop.target]!;
    hops.push(h);
  }
  return path.reason === 0 ? { hops } : { hops, error: SKIP_NAMES[path.reason]! };
}

/** The `ip route get`-like lines of one answer. */
export function formatRouteAnswer(fabric: Fabric, q: FlowQuery, a: RouteAnswer, path: PathResult): string {
  const label = q.family === 6 && q.flowLabel !== 0 ? ` flowlabel 0x${q.flowLabel.toString(16)}` : '';
  const flow = `from ${addressText(q.src, q.src6)}${q.proto ? ` ipproto ${q.proto === 58 ? 'ipv6-icmp' : protoName(q.proto)}` : ''}${q.proto === 6 || q.proto === 17 ? ` sport ${q.sport} dport ${q.dport}` : ''}${label}`;
  const lines = [`${queryDst(q)} ${flow}`];
  a.hops.forEach((h, s) => {
    if (isUnderlayStage(fabric, path, s)) return lines.push(spineLines(fabric, path, s));
    const route = fabric.routes[path.stageRoute[s]!]!;
    const live = route.nextHops.filter((_, m) => route.group.isLive(m)).length;
    const vrf = fabric.vrfNames[route.vrf]!;
    const dev = h.vtep ? `vxlan${h.vni}` : h.vm ? h.vm : 'out';
    let line = `    ${h.node}: ${queryDst(q)} via ${h.via} dev ${dev} table ${vrf} (${h.prefix}, ${route.group.selection} ${path.stageMember[s]! + 1} of ${live}, hash ${h.hash})`;
    if (h.vtep) {
      const me = fabric.topology.leaves[path.stageLeaf[s]!]!;
      const sport = s === 0 ? ` sport ${path.outerSport}` : '';
      line += `\n        encap vxlan id ${h.vni} src ${vtepText(me)} dst ${h.vtep}${sport} dport ${fabric.topology.vxlan.port}`;
    }
    lines.push(line);
  });
  if (a.error) lines.push(`    ${a.hops.length ? a.hops[a.hops.length - 1]!.node : fabric.leafNames[fabric.ingressLeaf]}: ${a.error === 'no-route' ? 'Network is unreachable (no route)' : a.error}`);
  return lines.join('\n');
}

export function registerRoute(program: Command): void {
  const route = program.command('route').description("a flow's path through the fabric");
  route
    .command('get')
    .description('one flow\'s path, stage by stage: route get ADDR from ADDR [ipproto udp|tcp|icmp] [sport N] [dport N] (IPv4 or IPv6)')
    .argument('[words...]', 'ADDR from ADDR [ipproto P] [sport N] [dport N] [flowlabel N]')
    .option('--batch <file>', 'one query per line (ADDR from ADDR ipproto P sport N dport N [flowlabel N])')
    .option('--flowlabel <n>', 'the IPv6 flow label of the flow (of every IPv6 line of --batch that names none); default 0')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--json', 'JSON (JSON Lines with --batch)')
    .action((words: string[], opts: { batch?: string; topology?: string; json?: boolean; flowlabel?: string }) => {
      const label = opts.flowlabel === undefined ? undefined : parseIntArg(opts.flowlabel, '--flowlabel', 0, FLOW_LABEL_MAX);
      const fabric = loadFabricArg(opts.topology);
      const path = new PathResult();
      if (opts.batch !== undefined) {
        if (words.length > 0) throw new UsageError('give either a flow or --batch, not both', 'route get');
        let text: string;
        try {
          text = readFileSync(opts.batch === '-' ? 0 : opts.batch, 'utf8');
        } catch (e) {
          throw new UsageError(`cannot read batch file (${(e as NodeJS.ErrnoException).code ?? e})`, opts.batch);
        }
        const out: string[] = [];
        text.split('\n').forEach((raw, i) => {
          const line = raw.replace(/#.*/, '').trim();
          if (line === '') return;
          const q = parseRouteWords(line.split(/\s+/), `${opts.batch}: line ${i + 1}`, label);
          const a = routeGet(fabric, q, path);
          out.push(opts.json ? JSON.stringify(a) : formatRouteAnswer(fabric, q, a, path));
        });
        process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
        return;
      }
      const q = parseRouteWords(words, 'route get', label);
      if (q.family === 4 && label !== undefined) throw new UsageError('flowlabel is an IPv6 field; this flow is IPv4', '--flowlabel');
      const a = routeGet(fabric, q, path);
      process.stdout.write((opts.json ? JSON.stringify(a) : formatRouteAnswer(fabric, q, a, path)) + '\n');
      if (a.error) process.exitCode = 1;
    });
}
