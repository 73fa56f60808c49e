// The report of SPEC §5 as data: what stats/ computes and report/ renders.

export interface VtepRow {
  name: string; // the leaf that owns the VTEP
  address: string; // dotted quad
  flows: number;
  packets: number;
  bytes: number;
  share: number; // of forwarded flows, 0..1
  expected: number; // analytic share through both stages, 0..1
}

export interface VmRow {
  name: string;
  leaf: string;
  address: string; // the VM's address without prefix length
  flows: number;
  packets: number;
  bytes: number;
  share: number;
  expected: number;
}

/** A next-hop a static route names that is neither a VTEP nor a VM: reported by its address. */
export interface OpaqueRow {
  node: string; // the leaf that forwarded to it
  address: string;
  flows: number;
  packets: number;
  bytes: number;
  share: number;
}

export interface StageNextHop {
  name: string; // VTEP leaf name, VM name or opaque address
  flows: number;
  expected: number; // share of this stage's flows the weights promise, 0..1
}

export interface StageRow {
  node: string; // the leaf that chose
  vrf: string;
  prefix: string; // e.g. 192.168.100.10/32
  flows: number; // flows that reached this choice
  maxOverMean: number; // largest observed/expected ratio among its next-hops
  jain: number; // Jain's fairness index of observed/expected ratios
  chiSquareP: number; // p-value of the observed counts against the expected shares
  nextHops: StageNextHop[];
}

/** A leaf→spine uplink or spine→leaf downlink of a fabric with spines (SPEC §5 `links`). */
export interface LinkRow {
  from: string;
  to: string;
  flows: number;
  packets: number;
  bytes: number;
  share: number; // of forwarded flows, 0..1
  expected: number; // analytic share through the overlay and underlay choices, 0..1
}

/** A destination that had no route (SPEC §5 `unrouted`): how many flows and packets went to it. */
export interface UnroutedRow {
  address: string;
  flows: number;
  packets: number;
}

/**
 * The last three come from the input, not the fabric: frames of a link type the decoder does not read, a capture
 * whose reading stopped early (as libpcap's does), and figures estimated from sampled packets (sFlow).
 */
export type WarningKind = 'polarization' | 'unequal-share' | 'imbalance' | 'unsupported-linktype' | 'capture-stopped' | 'estimated';

export interface Warning {
  kind: WarningKind;
  node: string;
  message: string;
}

export interface Report {
  packets: number; // frames read
  bytes: number; // sum of original lengths
  flows: number; // distinct flow keys forwarded
  skipped: Record<string, number>;
  vteps: VtepRow[];
  vms: VmRow[];
  others: OpaqueRow[];
  stages: StageRow[];
  /** top destinations of no-route frames, most flows first */
  unrouted: UnroutedRow[];
  warnings: Warning[];
  /** with spines: every uplink, then the downlinks that carried or were expected to carry flows */
  links?: LinkRow[];
}
