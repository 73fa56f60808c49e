// The traffic generator's public face: flow sets for hashing, frames for captures.

export {
  EPHEMERAL_PORT_HIGH,
  EPHEMERAL_PORT_LOW,
  MAX_FLOWS,
  MIX_ICMP_PERCENT,
  PATTERNS,
  PROTO_CHOICES,
  SEQUENTIAL_PORT_BASE,
  SEQUENTIAL_PORTS_PER_SOURCE,
  TCP_SERVICE_PORT,
  UDP_SERVICE_PORT,
  checkPattern,
  checkProtoChoice,
  flowCapacity,
  makeFlows,
  type FlowOptions,
  type FlowSet,
  type Pattern,
  type ProtoChoice,
} from './flows.js';
export { FrameWriter, MIN_FRAME_LEN, PAYLOAD_LEN, type FrameSink, type VxlanFlows } from './frames.js';
export { EPOCH_SEC, FRAME_INTERVAL_NS, MAX_PACKETS, TrafficGenerator, generateCapture, writeTraffic, type DrainableSink, type GenerateOptions } from './generator.js';
export { IndexPermutation } from './permutation.js';
export { Rng, mix2, mix32 } from './prng.js';
export { PacketSchedule, ZIPF_EXPONENT, packetCounts } from './schedule.js';
export { defaultDestination, planUnderlay, underlayFlows, type UnderlayPlan } from './underlay.js';
export { vxlanSourcePort } from '../wire/vxlan.js';
