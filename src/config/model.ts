// What the importer reads out of one device's config: the parts of FRR and OcNOS that decide the FIB.

export type Dialect = 'frr' | 'ocnos';

/** Where a statement came from, so a finding can name the line that causes it. */
export interface Origin {
  file: string;
  line: number;
  text: string;
}

export interface Prefix4 {
  prefix: number;
  length: number;
}

export interface VrfConfig {
  name: string;
  vni?: number;
  vniAt?: Origin;
  rd?: string;
  /** `route-target both|import|export` (OcNOS `ip vrf`, FRR `router bgp N vrf X` / `address-family l2vpn evpn`) */
  rtImport: string[];
  rtExport: string[];
  at: Origin;
}

export interface InterfaceConfig {
  name: string;
  vrf?: string;
  addresses: { address: number; length: number; at: Origin }[];
}

export interface NeighborConfig {
  address: number;
  /** the AS number, or 'external' / 'internal' as FRR allows */
  remoteAs?: number | 'external' | 'internal';
  /** address families it was activated in ('ipv4', 'ipv6', 'evpn') */
  activated: Set<string>;
  deactivated: Set<string>;
  routeMapIn?: string;
  routeMapOut?: string;
  at: Origin;
}

/** One BGP instance: `router bgp ASN` (vrf undefined) or its VRF instance (FRR `vrf NAME`, OcNOS nested `vrf`). */
export interface BgpInstance {
  asn: number;
  vrf?: string;
  routerId?: number;
  routerIdAt?: Origin;
  /** `bgp bestpath as-path multipath-relax` */
  relax?: Origin;
  compareRouterId?: Origin;
  /** `maximum-paths N` / `max-paths ebgp N`, where written */
  maxPaths?: { n: number; at: Origin };
  /** `bgp ebgp-requires-policy` written explicitly on (true) or off (false) */
  requiresPolicy?: { on: boolean; at: Origin };
  /** `bgp bestpath bandwidth ignore|skip-missing|default-weight-for-missing` */
  bestpathBandwidth?: { mode: string; at: Origin };
  defaultIpv4Unicast: boolean;
  neighbors: Map<number, NeighborConfig>;
  networks: (Prefix4 & { at: Origin })[];
  redistributeConnected?: Origin;
  /** `advertise ipv4 unicast [route-map X]` in address-family l2vpn evpn */
  advertiseIpv4?: { routeMap?: string; at: Origin };
  advertiseIpv6?: Origin;
  /** `address-family l2vpn evpn` route-targets written in this (VRF) instance */
  rtImport: string[];
  rtExport: string[];
  evpn?: Origin;
  at: Origin;
}

export interface RouteMapConfig {
  name: string;
  /** `set extcommunity bandwidth …`: 'num-multipaths', 'cumulative', or Mbps */
  bandwidth?: { value: string; at: Origin };
}

export interface DeviceConfig {
  file: string;
  name: string;
  dialect: Dialect;
  /** how the dialect was decided: the line that says FRR, or 'forced' / 'no FRR marker' */
  dialectReason: string;
  /** `frr defaults datacenter|traditional|…` */
  frrProfile?: string;
  vrfs: Map<string, VrfConfig>;
  interfaces: InterfaceConfig[];
  /** OcNOS `nvo vxlan vtep-ip-global`, FRR/ifupdown-style `vxlan local-tunnelip` */
  vxlanLocal?: { address: number; at: Origin };
  bgp: BgpInstance[];
  routeMaps: Map<string, RouteMapConfig>;
}

/** One line the importer skipped or doubts: `warning [kind] node: message`. */
export interface Finding {
  kind: string;
  node: string;
  message: string;
}
