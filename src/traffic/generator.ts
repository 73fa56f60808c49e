// The generator: a flow set, its packet schedule and the frame writer, driven in batches into a capture writer.

import { UsageError } from '../errors.js';
import { makeFlows, type FlowOptions, type FlowSet } from './flows.js';
import { FrameWriter, type FrameSink } from './frames.js';
import { PcapWriter } from '../capture/writer.js';
import { PacketSchedule, packetCounts } from './schedule.js';
import { underlayFlows, type UnderlayPlan } from './underlay.js';

/** Timestamps start here (2024-01-01T00:00:00Z) and step 1 µs per frame, so captures are byte-for-byte repeatable. */
export const EPOCH_SEC = 1704067200;
export const FRAME_INTERVAL_NS = 1000;
export const MAX_PACKETS = 0xffffffff;

export interface GenerateOptions extends FlowOptions {
  packets: number;
  /** Write underlay frames: each flow VXLAN-encapsulated as the plan says (see planUnderlay). */
  vxlan?: UnderlayPlan;
  /** The ingress leaf's VTEP address: plain frames are sent to its router MAC 02:00 + this (default 02:00:00:00:00:fe). */
  ingressVtep?: number;
}

export class TrafficGenerator {
  readonly flowSet: FlowSet;
  /** Packets per flow. */
  readonly counts: Uint32Array;
  readonly totalPackets: number;
  /** Flows that send at least one packet (all of them unless packets < flows). */
  readonly activeFlows: number;
  /** Frames written so far, and their bytes. */
  written = 0;
  bytes = 0;
  private readonly schedule: PacketSchedule;
  private readonly frames: FrameWriter;

  constructor(o: GenerateOptions) {
    if (!Number.isSafeInteger(o.packets) || o.packets < 1 || o.packets > MAX_PACKETS) {
      throw new UsageError(`${String(o.packets)} packets: expected an integer in 1..${MAX_PACKETS}`, '--packets');
    }
    this.flowSet = makeFlows(o);
    this.counts = packetCounts(this.flowSet.count, o.packets, o.pattern === 'zipf');
    this.totalPackets = o.packets;
    this.activeFlows = Math.min(o.packets, this.flowSet.count);
    this.schedule = new PacketSchedule(this.counts, o.seed);
    const vx = o.vxlan ? underlayFlows(o.vxlan, this.flowSet) : undefined;
    this.frames = new FrameWriter(this.flowSet, o.seed, o.ingressVtep ?? 0xfe, vx);
  }

  get done(): boolean {
    return this.written >= this.totalPackets;
  }

  /** Writes up to `max` frames into the sink; returns how many. */
  writeBatch(sink: FrameSink, max = 4096): number {
    const schedule = this.schedule;
    const sent = schedule.sent;
    let n = 0;
    while (n < max) {
      const f = schedule.next();
      if (f < 0) break;
      const i = this.written++;
      const sec = Math.floor(i / 1e6);
      this.bytes += this.frames.write(sink, f, sent[f]! - 1, EPOCH_SEC + sec, (i - sec * 1e6) * FRAME_INTERVAL_NS);
      n++;
    }
    return n;
  }
}

/** A writer the generator can stream into (PcapWriter is one). */
export interface DrainableSink extends FrameSink {
  drain(): Promise<void>;
}

/** Streams every frame into the writer, yielding to the output's backpressure between batches. */
export async function writeTraffic(gen: TrafficGenerator, writer: DrainableSink, batch = 4096): Promise<void> {
  while (!gen.done) {
    gen.writeBatch(writer, batch);
    await writer.drain();
  }
}

/** The whole capture (classic pcap, Ethernet, microseconds) in memory: for tests and the library. */
export function generateCapture(o: GenerateOptions): Uint8Array {
  const gen = new TrafficGenerator(o);
  const out = PcapWriter.toBuffer();
  while (!gen.done) gen.writeBatch(out, 1 << 16);
  return out.bytes();
}
