// ecmp-emu as a library: load a topology, open a capture, run the engine over frames or synthetic flows, build reports.

export { EmuError, UsageError } from './errors.js';
export { DEFAULT_TOPOLOGY_YAML, loadTopology, parseTopology, seedFromName } from './fabric/topology.js';
export type { LeafSpec, StaticRoute, Topology, VmSpec, VrfSpec, Weighting } from './fabric/topology.js';
export { converge, HOP_OPAQUE, HOP_VM, HOP_VTEP, tableOf } from './fabric/converge.js';
export type { ConvergeOptions, Fabric, FabricNextHop, FabricRoute } from './fabric/converge.js';
export { showBgp, showEvpn, showRoute } from './fabric/show.js';
export { Engine } from './engine/engine.js';
export type { EngineOptions } from './engine/engine.js';
export { PathResult, resolvePath, resolvePath6, SKIP_NAMES, vxlanSourcePort } from './engine/path.js';
export { buildReport, reportFromFlows } from './analysis/report.js';
export { replayCapture, runEngine } from './engine/replay.js';
export type { ReplayOptions, ReplayProgress, ReplayResult } from './engine/replay.js';
export { defaultWorkers, replayParallel, ReplayWorkerPool, startReplayWorkers } from './engine/workers.js';
export type { ParallelReplayOptions, ParallelReplayResult } from './engine/workers.js';
export { CaptureReader, PcapRun, RecordBatch } from './capture/reader.js';
export { PcapWriter } from './capture/writer.js';
export { decodeFrame, FrameKey, REASON_NAMES } from './wire/decode.js';
export { formatIpv4, tryParseIpv4 } from './wire/ipv4.js';
export { ALL_HASH_ALGORITHMS, ALL_HASH_FIELDS, displayHash, HASH_ALGORITHMS, HASH_FIELDS, HASH_FIELDS6, makeHasher, makeHasher6 } from './hash/index.js';
export type { FlowHasher, FlowHasher6, HashAlgorithm, HashField, HashField6, HashSpec } from './hash/index.js';
// IPv6 and Linux's other hash policies (issue 12 and 13 pieces; README "IPv6 and Linux's other hash policies")
export { formatIpv6, Ipv6Walk, tryParseIpv6, tryParsePrefix6, walkIpv6 } from './wire/ipv6.js';
export { writeVxlan6Encap, vxlan6FillChecksum } from './wire/vxlan.js';
export { ADDR_IPV4, ADDR_IPV6, LinuxFlowKeys, linuxKeysHash, policy2Hash, policy3Hash, policy3HashNoPacket, type Dissected } from './hash/linux-keys.js';
export { Lpm6 } from './fib/lpm6.js';
export { Lpm } from './fib/lpm.js';
export { NextHopGroup, SELECTIONS } from './fib/group.js';
export type { Selection } from './fib/group.js';
export { FlowTable } from './engine/flowtable.js';
export { PathTable } from './engine/paths.js';
export type { PathColumns } from './engine/paths.js';
export { FLOW_COLUMNS, PATH_COLUMNS, flowColumns, pathColumns } from './engine/columns.js';
export type { FlowColumns } from './engine/columns.js';
export * from './stats/fairness.js';
export type * from './stats/types.js';
export type * from './stats/trials.js';
export { renderCsv, renderHtml, renderJson, renderText } from './report/index.js';
// Captures from the field (issue 14): where reading stopped and why, sFlow datagrams as weighted frames.
export { CAPTURE_SKIP_REASONS, CorruptCaptureError } from './capture/reader.js';
export { SflowFeeder, feedSflowCapture } from './capture/sflow.js';
export { buildSflowDatagram, SflowCounts, SFLOW_PORT, walkSflowDatagram } from './wire/sflow.js';
export { addCaptureFindings, addSampledFindings } from './analysis/report.js';
export { formatFinding, importConfigFiles, importConfigs, parseDeviceConfig } from './config/index.js';
export type { ConfigText, DeviceConfig, Dialect, Finding, ImportOptions, ImportResult } from './config/index.js';
export { initTopology } from './config/init.js';
export { profileCapture } from './analysis/profile.js';
export { unroutedDestinations } from './analysis/unrouted.js';
// The underlay (issue 13): spines, the VXLAN source port, the leaf's choice of spine, the report's links.
export { HOP_SPINE, skbHashSeed, sourcePortHasher, sourcePortOf, UNDERLAY_VRF, type SourcePortMode, type SpineSpec, type UnderlayFabric } from './fabric/spines.js';
export { crossSpines, outerHash, outerSourcePort } from './engine/underlay.js';
export { linkRows } from './analysis/links.js';
