// sFlow as an input: the sampled packet headers of sFlow v5 datagrams, from a capture of the datagrams (UDP to the
// collector's port, as `tcpdump -i any udp port 6343` saves them) or from a live UDP socket, handed on as frames
// weighted by their sample's sampling rate.

import { FrameKey, REASON_OK, decodeFrame } from '../wire/decode.js';
import { get16 } from '../wire/bytes.js';
import { IPPROTO_UDP } from '../wire/ipv4.js';
import { formatIpv4 } from '../wire/ipv4.js';
import {
  SFLOW_HEADER_ETHERNET,
  SFLOW_HEADER_IPV4,
  SFLOW_HEADER_IPV6,
  SFLOW_OK,
  SFLOW_REASON_NAMES,
  SflowCounts,
  walkSflowDatagram,
  type SflowSampleSink,
} from '../wire/sflow.js';
import { RecordBatch, type CaptureReader } from './reader.js';

/** What sampled frames go to: Engine.processFrame has this shape. */
export interface WeightedFrameSink {
  processFrame(buf: Uint8Array, offset: number, capLen: number, origLen: number, linkType: number, tsSec: number, tsNsec: number, weight: number): void;
}

/** The link type a sampled header of this header_protocol is decoded as; -1 for the ones not forwarded. */
function linkTypeOf(headerProtocol: number): number {
  return headerProtocol === SFLOW_HEADER_ETHERNET ? 1 : headerProtocol === SFLOW_HEADER_IPV4 ? 228 : headerProtocol === SFLOW_HEADER_IPV6 ? 229 : -1;
}

/**
 * Turns sFlow datagrams into weighted frames for a sink, and counts what it read and what it could not use
 * (by reason, for the report's `skipped`). One per input.
 */
export class SflowFeeder implements SflowSampleSink {
  readonly counts = new SflowCounts();
  /** sampled headers of a header_protocol other than Ethernet, IPv4 and IPv6 */
  otherProtocols = 0;
  /** frames of a capture that are not sFlow datagrams to the port */
  notSflow = 0;
  /** packets the forwarded samples stand for (the sum of their sampling rates) */
  estimatedPackets = 0;
  private tsSec = 0;
  private tsNsec = 0;

  constructor(private readonly sink: WeightedFrameSink) {}

  /** One datagram, buf[off .. off + len), received at the given time. */
  datagram(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void {
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    const why = walkSflowDatagram(buf, off, len, this, this.counts);
    if (why !== SFLOW_OK) this.counts.bad[why]!++;
  }

  sampledHeader(buf: Uint8Array, off: number, len: number, protocol: number, frameLength: number, stripped: number, samplingRate: number): void {
    const linkType = linkTypeOf(protocol);
    if (linkType < 0) {
      this.otherProtocols++;
      return;
    }
    // The packet's length on the wire less what the agent stripped (the FCS, usually): pcap's original length.
    const origLen = stripped <= frameLength ? frameLength - stripped : frameLength;
    this.estimatedPackets += samplingRate;
    this.sink.processFrame(buf, off, len, origLen, linkType, this.tsSec, this.tsNsec, samplingRate);
  }

  /** Datagrams, samples and frames not used, by reason (non-zero only). */
  skipped(): Record<string, number> {
    const out: Record<string, number> = {};
    SFLOW_REASON_NAMES.forEach((name, i) => {
      if (i !== SFLOW_OK && this.counts.bad[i]! > 0) out[name] = this.counts.bad[i]!;
    });
    if (this.otherProtocols > 0) out['sflow-header-protocol'] = this.otherProtocols;
    if (this.notSflow > 0) out['not-sflow'] = this.notSflow;
    return out;
  }

  /** The report's word on what the figures rest on. */
  estimateNote(): string {
    const c = this.counts;
    const agents = [...c.agents].map((a) => (a < 0 ? 'an IPv6 agent' : formatIpv4(a))).sort();
    const shown = agents.length > 4 ? `${agents.slice(0, 4).join(', ')} and ${agents.length - 4} more` : agents.join(', ');
    return (
      `packets and bytes are estimated from ${c.headers} sampled packet headers in ${c.flowSamples} flow samples ` +
      `(${c.datagrams} sFlow datagrams${agents.length ? ` from ${shown}` : ''}), each scaled by its sampling rate; ` +
      `flows are those sampled at least once`
    );
  }
}

/**
 * Feeds every sFlow datagram of a capture to `feeder`: each frame that is IPv4 UDP to `port` (not a fragment) is
 * one datagram; a datagram the capture cut short is walked as far as it goes. Resolves true when `signal` stopped it.
 */
export async function feedSflowCapture(reader: CaptureReader, port: number, feeder: SflowFeeder, signal?: AbortSignal): Promise<boolean> {
  const batch = new RecordBatch(256);
  const key = new FrameKey();
  for (;;) {
    if (signal?.aborted) return true;
    const n = await reader.read(batch);
    if (n === 0) return false;
    const buf = batch.buf;
    for (let i = 0; i < n; i++) {
      const off = batch.offset[i]!;
      const end = off + batch.capLen[i]!;
      decodeFrame(buf, off, batch.capLen[i]!, batch.linkType[i]!, -1, key);
      if (key.reason !== REASON_OK || key.proto !== IPPROTO_UDP || key.fragment || key.dport !== port) {
        feeder.notSflow++;
        continue;
      }
      const udp = key.l3Offset + ((buf[key.l3Offset]! & 0x0f) << 2);
      // The datagram ends where the UDP length says, or earlier where the IPv4 packet or the capture ends.
      let stop = Math.min(end, key.l3Offset + key.ipTotalLength);
      if (stop - udp >= 8) stop = Math.min(stop, udp + get16(buf, udp + 4));
      const data = udp + 8;
      feeder.datagram(buf, data, Math.max(0, stop - data), batch.tsSec[i]!, batch.tsNsec[i]!);
    }
  }
}
