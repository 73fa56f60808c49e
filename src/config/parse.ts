// FRR `frr.conf` and OcNOS configs read into a DeviceConfig: a stanza parser in the manner of frr-reload.py.

import { UsageError } from '../errors.js';
import { tryParseIpv4, tryParsePrefix } from '../wire/ipv4.js';
import { detectDialect, looksLikeRouterConfig, statements, type Statement } from './lines.js';
import type { BgpInstance, DeviceConfig, Dialect, Finding, InterfaceConfig, NeighborConfig, Origin, RouteMapConfig, VrfConfig } from './model.js';

/**
 * Where a statement is read. Configs written without indentation (as the seed is) still parse: a statement the
 * current block does not know is tried in the enclosing block, as vtysh walks up its node tree, so
 * `router bgp 65003` after a VRF block simply opens a new block.
 */
type Block =
  | { kind: 'top' }
  | { kind: 'vrf'; vrf: VrfConfig }
  | { kind: 'interface'; iface: InterfaceConfig }
  | { kind: 'bgp'; inst: BgpInstance; global: BgpInstance }
  | { kind: 'af'; inst: BgpInstance; global: BgpInstance; af: string }
  | { kind: 'route-map'; map: RouteMapConfig }
  | { kind: 'opaque'; what: string };

/** Top-level statements that do not shape the FIB: understood and left out. */
const IRRELEVANT_TOP = new Set(['log', 'service', 'password', 'enable', 'username', 'agentx', 'debug', 'end', 'ip', 'ipv6', 'no', 'bgp', 'hostname', 'frr', 'nvo', 'feature', 'snmp-server', 'ntp', 'clock']);
/** Blocks whose contents do not shape the FIB. */
const OPAQUE_BLOCKS = ['line', 'key', 'bfd', 'mac', 'evpn', 'segment-routing', 'mpls', 'rpki', 'vnc'];
/** Neighbour options the FIB does not depend on. */
const NEIGHBOR_IRRELEVANT = new Set(['description', 'next-hop-self', 'update-source', 'ebgp-multihop', 'timers', 'password', 'bfd', 'capability', 'send-community', 'soft-reconfiguration', 'advertisement-interval', 'allowas-in', 'interface', 'ttl-security', 'disable-connected-check', 'next-hop-unchanged', 'attribute-unchanged', 'solo', 'enforce-first-as', 'local-as', 'remove-private-AS', 'as-override', 'route-reflector-client', 'addpath-tx-all-paths', 'default-originate', 'prefix-list', 'filter-list', 'maximum-prefix', 'weight', 'port', 'passive', 'extended-nexthop']);

export interface ParseResult {
  device: DeviceConfig;
  findings: Finding[];
}

/** Reads one device's config; `file` names it in findings and errors. A text that is no router config is an error. */
export function parseDeviceConfig(text: string, file: string, dialect: Dialect | 'auto' = 'auto'): ParseResult {
  const stmts = statements(text);
  if (text.includes('\u0000') || !looksLikeRouterConfig(stmts)) {
    throw new UsageError('not a router config (no router bgp or vrf statement)', file);
  }
  const detected = dialect === 'auto' ? detectDialect(stmts) : { dialect, reason: 'forced by --dialect' };
  const device: DeviceConfig = {
    file,
    name: deviceName(stmts, file),
    dialect: detected.dialect,
    dialectReason: detected.reason,
    vrfs: new Map(),
    interfaces: [],
    bgp: [],
    routeMaps: new Map(),
  };
  const findings: Finding[] = [];
  const p = new Parser(device, findings);
  for (const s of stmts) p.statement(s);
  p.finish();
  return { device, findings };
}

/** SPEC §4: the `hostname` line, else the file name without its extension (`leaf-3.conf`: leaf-3). */
function deviceName(stmts: readonly Statement[], file: string): string {
  const h = stmts.find((s) => s.words[0] === 'hostname' && s.words[1] !== undefined);
  if (h) return h.words[1]!;
  const base = file.split(/[\\/]/).pop() ?? file;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

class Parser {
  private stack: Block[] = [{ kind: 'top' }];
  private readonly groups = new Map<string, { remoteAs?: NeighborConfig['remoteAs']; members: number[]; inst: BgpInstance }>();
  private s!: Statement;

  constructor(
    private readonly d: DeviceConfig,
    private readonly findings: Finding[],
  ) {}

  statement(s: Statement): void {
    this.s = s;
    for (;;) {
      const block = this.stack[this.stack.length - 1]!;
      if (this.handle(block, s.words)) return;
      if (block.kind === 'top') {
        this.skip('not understood');
        return;
      }
      this.stack.pop();
    }
  }

  /** Peer groups give their remote-as to members that name none. */
  finish(): void {
    for (const g of this.groups.values()) {
      for (const a of g.members) {
        const n = g.inst.neighbors.get(a);
        if (n && n.remoteAs === undefined) n.remoteAs = g.remoteAs;
      }
    }
  }

  private get at(): Origin {
    return { file: this.d.file, line: this.s.line, text: this.s.text };
  }

  private skip(why: string): void {
    this.findings.push({ kind: 'skipped-line', node: this.d.name, message: `${this.d.file} line ${this.s.line}: skipped \`${this.s.text}\` (${why})` });
  }

  private push(b: Block): true {
    this.stack.push(b);
    return true;
  }

  private handle(b: Block, w: string[]): boolean {
    switch (b.kind) {
      case 'top': return this.top(w);
      case 'vrf': return this.vrf(b.vrf, w);
      case 'interface': return this.iface(b.iface, w);
      case 'bgp': return this.bgp(b.inst, b.global, w);
      case 'af': return this.af(b.inst, b.global, b.af, w);
      case 'route-map': return this.routeMap(b.map, w);
      case 'opaque':
        if (w[0] === 'exit') return (this.stack.pop(), true);
        return !isTopLevelStart(w); // the block's own lines do not shape the FIB
    }
  }

  private top(w: string[]): boolean {
    const [a, b, c] = w;
    if (a === 'frr' && b === 'defaults' && c !== undefined) this.d.frrProfile = c;
    if ((a === 'vrf' && b) || (a === 'ip' && b === 'vrf' && c)) return this.push({ kind: 'vrf', vrf: this.vrfNamed(a === 'vrf' ? b! : c!) });
    if (a === 'interface' && b) {
      const iface: InterfaceConfig = { name: b, addresses: [] };
      if (w[2] === 'vrf' && w[3]) iface.vrf = w[3];
      this.d.interfaces.push(iface);
      return this.push({ kind: 'interface', iface });
    }
    if (a === 'router' && b === 'bgp') {
      const asn = parseAsn(c);
      if (asn === undefined) return (this.skip('no AS number'), true);
      const global = this.instance(asn, undefined);
      const inst = w[3] === 'vrf' && w[4] ? this.instance(asn, w[4]) : global;
      return this.push({ kind: 'bgp', inst, global });
    }
    if (a === 'router') return this.push({ kind: 'opaque', what: w.join(' ') });
    if (a === 'route-map' && b) {
      const map = this.d.routeMaps.get(b) ?? { name: b };
      this.d.routeMaps.set(b, map);
      return this.push({ kind: 'route-map', map });
    }
    if (a === 'nvo' && b === 'vxlan' && c === 'vtep-ip-global') return this.vxlanLocal(w[3]);
    if (a === 'nvo' && b === 'vxlan' && c === 'id') return this.push({ kind: 'opaque', what: w.join(' ') });
    if (a === 'load-balance' || a === 'hardware-profile') return (this.skip('the hash is not imported: the topology keeps linux-l4, as an FRR/Linux leaf forwards'), true);
    if (a !== undefined && OPAQUE_BLOCKS.includes(a)) return this.push({ kind: 'opaque', what: w.join(' ') });
    if (a === 'exit' || a === 'exit-vrf') return true;
    return a !== undefined && IRRELEVANT_TOP.has(a);
  }

  private vxlanLocal(text: string | undefined): boolean {
    const address = tryParseIpv4(text ?? '');
    if (address < 0) this.skip('bad address');
    else this.d.vxlanLocal = { address, at: this.at };
    return true;
  }

  private vrfNamed(name: string): VrfConfig {
    let v = this.d.vrfs.get(name);
    if (!v) this.d.vrfs.set(name, (v = { name, rtImport: [], rtExport: [], at: this.at }));
    return v;
  }

  private vrf(v: VrfConfig, w: string[]): boolean {
    const [a, b, c] = w;
    if (a === 'exit-vrf' || a === 'exit') return (this.stack.pop(), true);
    if (a === 'vni' || a === 'l3vni') {
      const vni = Number(b);
      if (!Number.isInteger(vni) || vni < 1 || vni > 16777215) return (this.skip('VNI outside 1..16777215'), true);
      v.vni = vni;
      v.vniAt = this.at;
      return true;
    }
    if (a === 'rd' && b) return ((v.rd = b), true);
    if (a === 'route-target' && c) return this.routeTarget(v.rtImport, v.rtExport, b!, c);
    if (a === 'description' || a === 'ip' || a === 'ipv6') return true;
    return false;
  }

  private routeTarget(imp: string[], exp: string[], dir: string, rt: string): boolean {
    if (!/^(\*|\d+|\d+\.\d+\.\d+\.\d+):\d+$/.test(rt)) return (this.skip('bad route-target'), true);
    if (dir === 'import' || dir === 'both') imp.push(rt);
    if (dir === 'export' || dir === 'both') exp.push(rt);
    if (dir !== 'import' && dir !== 'export' && dir !== 'both') this.skip('expected route-target import|export|both');
    return true;
  }

  private iface(i: InterfaceConfig, w: string[]): boolean {
    const [a, b, c, d] = w;
    if (a === 'exit') return (this.stack.pop(), true);
    if (a === 'ip' && b === 'address' && c) {
      const p = tryParsePrefix(c);
      if (!p) return (this.skip('bad IPv4 prefix'), true);
      i.addresses.push({ address: p.address, length: p.length, at: this.at });
      return true;
    }
    if ((a === 'ip' && b === 'vrf' && c === 'forwarding' && d) || (a === 'vrf' && b === 'forwarding' && c)) return ((i.vrf = d ?? c), true);
    if (a === 'vxlan' && b === 'local-tunnelip') return this.vxlanLocal(c);
    return a === 'description' || a === 'ipv6' || a === 'mtu' || a === 'link-detect' || a === 'no' || a === 'shutdown' || a === 'ip' || a === 'evpn' || a === 'load-interval';
  }

  private instance(asn: number, vrf: string | undefined): BgpInstance {
    let inst = this.d.bgp.find((i) => i.vrf === vrf);
    if (inst && inst.asn !== asn) this.skip(`router bgp ${inst.asn} already configured${vrf ? ` for vrf ${vrf}` : ''}`);
    if (!inst) {
      inst = { asn, vrf, defaultIpv4Unicast: true, neighbors: new Map(), networks: [], rtImport: [], rtExport: [], at: this.at };
      this.d.bgp.push(inst);
    }
    return inst;
  }

  private bgp(inst: BgpInstance, global: BgpInstance, w: string[]): boolean {
    const [a, b, c, d] = w;
    if (a === 'exit') return (this.stack.pop(), true);
    if (a === 'vrf' && b && inst === global) return this.push({ kind: 'bgp', inst: this.instance(global.asn, b), global }); // OcNOS nesting
    if (a === 'address-family' && b) {
      const vrf = c === 'vrf' && d ? this.instance(global.asn, d) : inst; // OcNOS `address-family ipv4 vrf NAME`
      const af = b === 'l2vpn' ? 'evpn' : c === 'unicast' || c === 'vrf' || c === undefined ? b : `${b} ${c}`;
      if (af === 'evpn') vrf.evpn = this.at;
      return this.push({ kind: 'af', inst: vrf, global, af });
    }
    if (a === 'bgp' || (a === 'no' && b === 'bgp')) return this.bgpFlag(inst, a === 'no' ? w.slice(1) : w, a !== 'no');
    if (a === 'neighbor' && b) return this.neighbor(inst, w, 'ipv4');
    if (a === 'no' && b === 'neighbor' && c) return this.noNeighbor(inst, w, 'ipv4');
    return this.afStatement(inst, 'ipv4', w);
  }

  private bgpFlag(inst: BgpInstance, w: string[], on: boolean): boolean {
    const rest = w.slice(1).join(' ');
    if (rest.startsWith('router-id ')) {
      const id = tryParseIpv4(w[2] ?? '');
      if (id < 0) return (this.skip('bad router-id'), true);
      inst.routerId = id;
      inst.routerIdAt = this.at;
    } else if (rest === 'bestpath as-path multipath-relax' || rest.startsWith('bestpath as-path multipath-relax ')) {
      if (on) inst.relax = this.at;
      else delete inst.relax;
    } else if (rest === 'bestpath compare-routerid') inst.compareRouterId = this.at;
    else if (rest.startsWith('bestpath bandwidth ')) inst.bestpathBandwidth = { mode: w[3] ?? '', at: this.at };
    else if (rest === 'ebgp-requires-policy') inst.requiresPolicy = { on, at: this.at };
    else if (rest === 'default ipv4-unicast') inst.defaultIpv4Unicast = on;
    else if (!/^(log-neighbor-changes|graceful-restart|deterministic-med|always-compare-med|cluster-id|suppress-fib-pending|network import-check|bestpath|default|confederation|fast-external-failover|update-delay|coalesce-time|inbound-route-filter)/.test(rest)) return (this.skip('BGP option not modelled'), true);
    return true;
  }

  private neighbor(inst: BgpInstance, w: string[], af: string): boolean {
    const target = w[1]!;
    const address = tryParseIpv4(target);
    const opt = w[2];
    if (address < 0 && target.includes(':')) return (this.skip('IPv6 neighbours are not imported (IPv4 only)'), true);
    if (address < 0 && opt === 'interface') return (this.skip('unnumbered (interface) sessions are not imported: a VM needs an address'), true);
    if (address < 0) return this.peerGroup(inst, target, w);
    let n = inst.neighbors.get(address);
    if (!n) {
      n = { address, activated: new Set(), deactivated: new Set(), at: this.at };
      inst.neighbors.set(address, n);
    }
    if (opt === 'remote-as') {
      const v = w[3];
      n.remoteAs = v === 'external' || v === 'internal' ? v : parseAsn(v);
      if (n.remoteAs === undefined) this.skip('bad remote-as');
      n.at = this.at;
    } else if (opt === 'activate') n.activated.add(af);
    else if (opt === 'route-map' && w[3] && (w[4] === 'in' || w[4] === 'out')) {
      if (w[4] === 'in') n.routeMapIn = w[3];
      else n.routeMapOut = w[3];
    } else if (opt === 'peer-group' && w[3]) this.groupOf(inst, w[3]).members.push(address);
    else if (opt === 'shutdown') n.deactivated.add('all');
    else if (opt === undefined || !NEIGHBOR_IRRELEVANT.has(opt)) this.skip('neighbour option not modelled');
    return true;
  }

  /** `no neighbor X activate` turns the default IPv4 activation off; other negations are left as written. */
  private noNeighbor(inst: BgpInstance, w: string[], af: string): boolean {
    const n = inst.neighbors.get(tryParseIpv4(w[2]!));
    if (n && w[3] === 'activate') n.deactivated.add(af);
    else if (!n || !NEIGHBOR_IRRELEVANT.has(w[3] ?? '')) this.skip('negation not modelled');
    return true;
  }

  private groupOf(inst: BgpInstance, name: string): { remoteAs?: NeighborConfig['remoteAs']; members: number[]; inst: BgpInstance } {
    let g = this.groups.get(`${inst.vrf ?? ''}|${name}`);
    if (!g) this.groups.set(`${inst.vrf ?? ''}|${name}`, (g = { members: [], inst }));
    return g;
  }

  private peerGroup(inst: BgpInstance, name: string, w: string[]): boolean {
    const g = this.groupOf(inst, name);
    if (w[2] === 'remote-as') g.remoteAs = w[3] === 'external' || w[3] === 'internal' ? w[3] : parseAsn(w[3]);
    else if (w[2] === 'activate' || w[2] === 'route-map') {
      // Options on the group apply to every member: replay them per member once the members are known.
      for (const a of g.members) this.neighbor(inst, ['neighbor', formatAddr(a), ...w.slice(2)], 'ipv4');
    } else if (w[2] !== 'peer-group' && (w[2] === undefined || !NEIGHBOR_IRRELEVANT.has(w[2]))) this.skip('peer-group option not modelled');
    return true;
  }

  private af(inst: BgpInstance, global: BgpInstance, af: string, w: string[]): boolean {
    const [a, b, c] = w;
    if (a === 'exit-address-family' || a === 'exit') return (this.stack.pop(), true);
    if (a === 'neighbor' && b) return this.neighbor(inst, w, af);
    if (af === 'evpn') return this.evpnStatement(inst, w);
    if (a === 'address-family' || (a === 'vrf' && inst === global)) return false; // the enclosing router bgp opens it
    if (a === 'no' && b === 'neighbor' && c) return this.noNeighbor(inst, w, af);
    if (af !== 'ipv4') {
      if (!['network', 'redistribute', 'maximum-paths', 'max-paths', 'aggregate-address'].includes(a!)) return false;
      this.skip(`address-family ${af} is not imported (IPv4 unicast and EVPN only)`);
      return true;
    }
    return this.afStatement(inst, af, w);
  }

  /** Statements valid both at `router bgp` level and under `address-family ipv4 unicast` / `ipv4 vrf NAME`. */
  private afStatement(inst: BgpInstance, af: string, w: string[]): boolean {
    const [a, b, c, d] = w;
    if (a === 'network' && b) {
      const p = tryParsePrefix(b);
      if (!p) return (this.skip(af === 'ipv4' && b.includes(':') ? 'IPv6 prefixes are not imported' : 'bad prefix'), true);
      inst.networks.push({ prefix: p.network, length: p.length, at: this.at });
      return true;
    }
    if (a === 'redistribute' && b === 'connected') return ((inst.redistributeConnected = this.at), true);
    if (a === 'redistribute') return (this.skip(`redistribute ${b ?? ''} is not modelled (only connected)`), true);
    if (a === 'maximum-paths' || (a === 'max-paths' && (b === 'ebgp' || b === 'eibgp'))) {
      const n = Number(a === 'max-paths' ? c : b === 'ibgp' ? undefined : b);
      if (a === 'maximum-paths' && b === 'ibgp') return true; // iBGP multipath: leaves here peer over EBGP
      if (!Number.isInteger(n) || n < 1 || n > 1024) return (this.skip('bad path count'), true);
      inst.maxPaths = { n, at: this.at };
      return true;
    }
    if (a === 'max-paths' && b === 'ibgp') return true;
    if (a === 'no' && (b === 'maximum-paths' || b === 'max-paths')) return (delete inst.maxPaths, true);
    if (a === 'aggregate-address' || a === 'table-map' || a === 'distance' || a === 'timers' || a === 'import') return (this.skip('not modelled'), true);
    return false;
  }

  private evpnStatement(inst: BgpInstance, w: string[]): boolean {
    const [a, b, c, d] = w;
    if (a === 'advertise' && b === 'ipv4' && c === 'unicast') {
      inst.advertiseIpv4 = d === 'route-map' && w[4] ? { routeMap: w[4], at: this.at } : { at: this.at };
      return true;
    }
    if (a === 'advertise' && b === 'ipv6' && c === 'unicast') return ((inst.advertiseIpv6 = this.at), true);
    if (a === 'route-target' && c) return this.routeTarget(inst.rtImport, inst.rtExport, b!, c);
    return a === 'advertise-all-vni' || a === 'advertise-svi-ip' || a === 'advertise-default-gw' || a === 'rd' || a === 'vni' || a === 'exit-vni' || a === 'autort' || a === 'flooding';
  }

  private routeMap(m: RouteMapConfig, w: string[]): boolean {
    const [a, b, c, d] = w;
    if (a === 'exit') return (this.stack.pop(), true);
    if (a === 'set' && b === 'extcommunity' && c === 'bandwidth' && d) return ((m.bandwidth = { value: d, at: this.at }), true);
    return a === 'match' || a === 'set' || a === 'on-match' || a === 'call' || a === 'description';
  }
}

/** Statements that only open a top-level block: an opaque block never swallows them. */
function isTopLevelStart(w: string[]): boolean {
  return ['router', 'vrf', 'interface', 'route-map', 'hostname', 'line'].includes(w[0]!) || (w[0] === 'ip' && w[1] === 'vrf') || (w[0] === 'nvo' && w[1] === 'vxlan');
}

/** An AS number: plain (1..4294967295) or asdot (65000.1). */
function parseAsn(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const dot = /^(\d+)\.(\d+)$/.exec(text);
  const v = dot ? Number(dot[1]) * 65536 + Number(dot[2]) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(v) && v >= 1 && v <= 4294967295 ? v : undefined;
}

function formatAddr(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
