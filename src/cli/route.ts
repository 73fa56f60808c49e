// `route get`: one flow's path, stage by stage, worded like `ip route get`.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { formatIpv4 } from '../wire/ipv4.js';
import { HOP_VM, HOP_VTEP, routePrefix, type Fabric } from '../fabric/converge.js';
import { PathResult, SKIP_NAMES, resolvePath } from '../engine/path.js';
import { displayHash } from '../hash/index.js';
import { loadFabricArg, parseAddressArg, parseIntArg, parseProtoArg, protoName } from './common.js';
import { isUnderlayStage, spineHop, spineLines } from './route-underlay.js';

interface FlowQuery {
  dst: number;
  src: number;
  proto: number;
  sport: number;
  dport: number;
}

/** `ADDR from ADDR [ipproto P] [sport N] [dport N]`, as `ip route get` takes them. */
export function parseRouteWords(words: string[], where: string): FlowQuery {
  if (words.length === 0) throw new UsageError('route get needs a destination address', where);
  const q: FlowQuery = { dst: parseAddressArg(words[0], `${where}: destination`), src: 0, proto: 0, sport: 0, dport: 0 };
  let haveSrc = false;
  for (let i = 1; i < words.length; i += 2) {
    const word = words[i]!;
    const value = words[i + 1];
    if (value === undefined) throw new UsageError(`'${word}' needs a value`, where);
    if (word === 'from') {
      q.src = parseAddressArg(value, `${where}: from`);
      haveSrc = true;
    } else if (word === 'ipproto') q.proto = parseProtoArg(value, `${where}: ipproto`);
    else if (word === 'sport') q.sport = parseIntArg(value, `${where}: sport`, 0, 65535);
    else if (word === 'dport') q.dport = parseIntArg(value, `${where}: dport`, 0, 65535);
    else throw new UsageError(`unknown word '${word}' (expected from, ipproto, sport, dport)`, where);
  }
  if (!haveSrc) throw new UsageError('route get needs "from ADDR" (the flow\'s source)', where);
  return q;
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
  resolvePath(fabric, fabric.ingressLeaf, fabric.ingressVrf, q.src, q.dst, q.proto, sport, dport, -1, path);
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
      via: formatIpv4(hop.address),
      prefix: routePrefix(route),
      hash: `0x${displayHash(fabric.topology.leaves[leaf]!.hash.algorithm, path.stageHash[s]!).toString(16).padStart(8, '0')}`,
    };
    if (hop.kind === HOP_VTEP) {
      h.vtep = formatIpv4(hop.address);
      h.vni = fabric.topology.vrfs[route.vrf]!.vni;
    } else if (hop.kind === HOP_VM) h.vm = fabric.vmNames[hop.target]!;
    hops.push(h);
  }
  return path.reason === 0 ? { hops } : { hops, error: SKIP_NAMES[path.reason]! };
}

/** The `ip route get`-like lines of one answer. */
export function formatRouteAnswer(fabric: Fabric, q: FlowQuery, a: RouteAnswer, path: PathResult): string {
  const flow = `from ${formatIpv4(q.src)}${q.proto ? ` ipproto ${protoName(q.proto)}` : ''}${q.proto === 6 || q.proto === 17 ? ` sport ${q.sport} dport ${q.dport}` : ''}`;
  const lines = [`${formatIpv4(q.dst)} ${flow}`];
  a.hops.forEach((h, s) => {
    if (isUnderlayStage(fabric, path, s)) return lines.push(spineLines(fabric, path, s));
    const route = fabric.routes[path.stageRoute[s]!]!;
    const live = route.nextHops.filter((_, m) => route.group.isLive(m)).length;
    const vrf = fabric.vrfNames[route.vrf]!;
    const dev = h.vtep ? `vxlan${h.vni}` : h.vm ? h.vm : 'out';
    let line = `    ${h.node}: ${formatIpv4(q.dst)} via ${h.via} dev ${dev} table ${vrf} (${h.prefix}, ${route.group.selection} ${path.stageMember[s]! + 1} of ${live}, hash ${h.hash})`;
    if (h.vtep) {
      const me = fabric.topology.leaves[path.stageLeaf[s]!]!;
      const sport = s === 0 ? ` sport ${path.outerSport}` : '';
      line += `\n        encap vxlan id ${h.vni} src ${formatIpv4(me.vtep)} dst ${h.vtep}${sport} dport ${fabric.topology.vxlan.port}`;
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
    .description('one flow\'s path, stage by stage: route get ADDR from ADDR [ipproto udp|tcp|icmp] [sport N] [dport N]')
    .argument('[words...]', 'ADDR from ADDR [ipproto P] [sport N] [dport N]')
    .option('--batch <file>', 'one query per line (ADDR from ADDR ipproto P sport N dport N)')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .option('--json', 'JSON (JSON Lines with --batch)')
    .action((words: string[], opts: { batch?: string; topology?: string; json?: boolean }) => {
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
          const q = parseRouteWords(line.split(/\s+/), `${opts.batch}: line ${i + 1}`);
          const a = routeGet(fabric, q, path);
          out.push(opts.json ? JSON.stringify(a) : formatRouteAnswer(fabric, q, a, path));
        });
        process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
        return;
      }
      const q = parseRouteWords(words, 'route get');
      const a = routeGet(fabric, q, path);
      process.stdout.write((opts.json ? JSON.stringify(a) : formatRouteAnswer(fabric, q, a, path)) + '\n');
      if (a.error) process.exitCode = 1;
    });
}
