// `show route|evpn|bgp`: a leaf's view of the converged fabric.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { showBgp, showEvpn, showRoute } from '../fabric/show.js';
import { loadFabricArg } from './common.js';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description("a leaf's view: show route|evpn|bgp (show ip route vrf, show bgp l2vpn evpn route type prefix, show bgp vrf … summary)")
    .argument('<what>', 'route, evpn or bgp')
    .option('--node <leaf>', 'the leaf to show (default: every leaf)')
    .option('--vrf <vrf>', 'the VRF to show (default: every VRF)')
    .option('--topology <file>', 'topology YAML (default: the built-in fabric)')
    .action((what: string, opts: { node?: string; vrf?: string; topology?: string }) => {
      const fabric = loadFabricArg(opts.topology);
      if (opts.node !== undefined && !fabric.leafNames.includes(opts.node)) {
        throw new UsageError(`no leaf named '${opts.node}' (leaves: ${fabric.leafNames.join(', ')})`, '--node');
      }
      if (opts.vrf !== undefined && !fabric.vrfNames.includes(opts.vrf)) {
        throw new UsageError(`no VRF named '${opts.vrf}' (VRFs: ${fabric.vrfNames.join(', ')})`, '--vrf');
      }
      const views: Record<string, typeof showRoute> = { route: showRoute, evpn: showEvpn, bgp: showBgp };
      const view = views[what];
      if (!view) throw new UsageError(`unknown view '${what}' (expected route, evpn or bgp)`, 'show');
      process.stdout.write(view(fabric, opts.node, opts.vrf));
    });
}
