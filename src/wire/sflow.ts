// sFlow version 5 datagrams (sflow_version_5.txt, XDR: big-endian 32-bit words): the datagram header, flow samples
// (compact and expanded) and their sampled-header records, walked in place with every length checked against what
// is there. Nothing is allocated per datagram; a malformed datagram yields a reason, never an exception.

import { get32, put32 } from './bytes.js';

export const SFLOW_PORT = 6343;
export const SFLOW_VERSION = 5;

/** Agent address types. */
export const SFLOW_ADDRESS_IPV4 = 1;
export const SFLOW_ADDRESS_IPV6 = 2;

/** Sample and record formats are enterprise << 12 | format; enterprise 0 is sFlow's own. */
export const SFLOW_FLOW_SAMPLE = 1;
export const SFLOW_COUNTER_SAMPLE = 2;
export const SFLOW_FLOW_SAMPLE_EXPANDED = 3;
export const SFLOW_COUNTER_SAMPLE_EXPANDED = 4;
export const SFLOW_RECORD_SAMPLED_HEADER = 1;

/** sampled_header's header_protocol values this emulator forwards (the others: Token Ring, FDDI, MPLS, ...). */
export const SFLOW_HEADER_ETHERNET = 1;
export const SFLOW_HEADER_IPV4 = 11;
export const SFLOW_HEADER_IPV6 = 12;

/** Fixed parts, in bytes: the datagram header with an IPv4 agent (28) or an IPv6 one (40), after its address type. */
export const SFLOW_DATAGRAM_MIN_LEN = 28;
export const SFLOW_SAMPLE_HEADER_LEN = 8; // format, length
export const SFLOW_FLOW_SAMPLE_LEN = 32; // sequence, source id, rate, pool, drops, input, output, record count
export const SFLOW_FLOW_SAMPLE_EXPANDED_LEN = 44; // the same with source id, input and output in two words each
export const SFLOW_RECORD_HEADER_LEN = 8; // format, length
export const SFLOW_SAMPLED_HEADER_LEN = 16; // protocol, frame length, stripped, header length

/** Why a datagram (or the rest of it) is not used; 0: read whole. */
export const SFLOW_OK = 0;
export const SFLOW_BAD_VERSION = 1;
export const SFLOW_TRUNCATED = 2;
export const SFLOW_BAD_ADDRESS = 3;
export const SFLOW_BAD_SAMPLE = 4;
export const SFLOW_REASON_NAMES: readonly string[] = Object.freeze(['ok', 'sflow-version', 'sflow-truncated', 'sflow-agent-address', 'sflow-bad-sample']);

/** Where a datagram's sampled packet headers go: one call per sampled_header record of a flow sample. */
export interface SflowSampleSink {
  /**
   * @param buf the datagram's buffer; the sampled header is buf[off .. off + len)
   * @param protocol sampled_header's header_protocol (SFLOW_HEADER_*)
   * @param frameLength the sampled packet's length on the wire; `stripped`: octets removed before the header was taken
   * @param samplingRate one packet in this many was sampled
   */
  sampledHeader(buf: Uint8Array, off: number, len: number, protocol: number, frameLength: number, stripped: number, samplingRate: number): void;
}

/** Counts over every datagram walked with one instance (what a report says the estimate rests on). */
export class SflowCounts {
  datagrams = 0;
  flowSamples = 0;
  counterSamples = 0;
  /** samples of formats other than sFlow's four (an enterprise's own), skipped */
  otherSamples = 0;
  /** sampled_header records handed to the sink */
  headers = 0;
  /** flow records that are not sampled headers (sampled_ipv4, extended_switch, ...): not forwarded */
  otherRecords = 0;
  /** datagrams not read to their end, by SFLOW_REASON_NAMES index */
  readonly bad = new Float64Array(SFLOW_REASON_NAMES.length);
  /** agents seen: IPv4 addresses as u32, and -1 for any IPv6 agent */
  readonly agents = new Set<number>();
}

/**
 * Walks the datagram buf[off .. off + len): every sampled-header record of every flow sample goes to `sink`.
 * Returns SFLOW_OK, or why it stopped (what came before the bad part was delivered). Loops are bounded by the
 * bytes present: a count field only says how many to look for.
 */
export function walkSflowDatagram(buf: Uint8Array, off: number, len: number, sink: SflowSampleSink, counts: SflowCounts): number {
  const end = off + len;
  if (len < 8) return SFLOW_TRUNCATED;
  if (get32(buf, off) !== SFLOW_VERSION) return SFLOW_BAD_VERSION;
  const addrType = get32(buf, off + 4);
  const addrLen = addrType === SFLOW_ADDRESS_IPV4 ? 4 : addrType === SFLOW_ADDRESS_IPV6 ? 16 : -1;
  if (addrLen < 0) return SFLOW_BAD_ADDRESS;
  let p = off + 8 + addrLen;
  if (end - p < 16) return SFLOW_TRUNCATED;
  counts.datagrams++;
  counts.agents.add(addrLen === 4 ? get32(buf, off + 8) : -1);
  // sub-agent id, sequence number, uptime; then the sample count
  let samples = get32(buf, p + 12);
  p += 16;
  for (; samples > 0; samples--) {
    if (end - p < SFLOW_SAMPLE_HEADER_LEN) return SFLOW_TRUNCATED;
    const format = get32(buf, p);
    const sampleLen = get32(buf, p + 4);
    const body = p + SFLOW_SAMPLE_HEADER_LEN;
    if (sampleLen > end - body) return SFLOW_TRUNCATED;
    if (format === SFLOW_FLOW_SAMPLE || format === SFLOW_FLOW_SAMPLE_EXPANDED) {
      const why = walkFlowSample(buf, body, body + sampleLen, format === SFLOW_FLOW_SAMPLE_EXPANDED, sink, counts);
      if (why !== SFLOW_OK) return why;
    } else if (format === SFLOW_COUNTER_SAMPLE || format === SFLOW_COUNTER_SAMPLE_EXPANDED) {
      counts.counterSamples++;
    } else {
      counts.otherSamples++;
    }
    // XDR pads opaque data to 4 bytes; a well-formed sample length is already a multiple of 4.
    p = body + ((sampleLen + 3) & ~3);
  }
  return SFLOW_OK;
}

/** One flow sample (compact or expanded) in buf[p .. end): its sampling rate, then its records. */
function walkFlowSample(buf: Uint8Array, p: number, end: number, expanded: boolean, sink: SflowSampleSink, counts: SflowCounts): number {
  const fixed = expanded ? SFLOW_FLOW_SAMPLE_EXPANDED_LEN : SFLOW_FLOW_SAMPLE_LEN;
  if (end - p < fixed) return SFLOW_TRUNCATED;
  // sequence, source id (one word, or type and index), then the sampling rate
  const rate = get32(buf, p + (expanded ? 12 : 8));
  if (rate === 0) return SFLOW_BAD_SAMPLE;
  let records = get32(buf, p + fixed - 4);
  counts.flowSamples++;
  let q = p + fixed;
  for (; records > 0; records--) {
    if (end - q < SFLOW_RECORD_HEADER_LEN) return SFLOW_TRUNCATED;
    const format = get32(buf, q);
    const recLen = get32(buf, q + 4);
    const body = q + SFLOW_RECORD_HEADER_LEN;
    if (recLen > end - body) return SFLOW_TRUNCATED;
    if (format === SFLOW_RECORD_SAMPLED_HEADER) {
      if (recLen < SFLOW_SAMPLED_HEADER_LEN) return SFLOW_BAD_SAMPLE;
      const headerLen = get32(buf, body + 12);
      if (headerLen > recLen - SFLOW_SAMPLED_HEADER_LEN) return SFLOW_BAD_SAMPLE;
      counts.headers++;
      sink.sampledHeader(buf, body + SFLOW_SAMPLED_HEADER_LEN, headerLen, get32(buf, body), get32(buf, body + 4), get32(buf, body + 8), rate);
    } else {
      counts.otherRecords++;
    }
    q = body + ((recLen + 3) & ~3);
  }
  return SFLOW_OK;
}

// ---- writing (tests and the documentation's examples build datagrams with these) ----

export interface SflowHeaderRecord {
  protocol: number;
  frameLength: number;
  stripped?: number;
  header: Uint8Array;
}

export interface SflowFlowSampleRepr {
  expanded?: boolean;
  sequence: number;
  sourceIdType?: number;
  sourceIdIndex: number;
  samplingRate: number;
  samplePool: number;
  drops?: number;
  input: number;
  output: number;
  headers: SflowHeaderRecord[];
}

export interface SflowDatagramRepr {
  agent: number; // IPv4 as a u32
  subAgent?: number;
  sequence: number;
  uptime: number;
  samples: SflowFlowSampleRepr[];
  /** counter samples after the flow samples, each with no counter records (what the walker skips) */
  counterSamples?: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

function sampleLength(s: SflowFlowSampleRepr): number {
  let n = s.expanded ? SFLOW_FLOW_SAMPLE_EXPANDED_LEN : SFLOW_FLOW_SAMPLE_LEN;
  for (const h of s.headers) n += SFLOW_RECORD_HEADER_LEN + SFLOW_SAMPLED_HEADER_LEN + pad4(h.header.length);
  return n;
}

/** An sFlow v5 datagram with an IPv4 agent and flow samples of sampled-header records, as the spec lays it out. */
export function buildSflowDatagram(d: SflowDatagramRepr): Uint8Array {
  let len = SFLOW_DATAGRAM_MIN_LEN;
  for (const s of d.samples) len += SFLOW_SAMPLE_HEADER_LEN + sampleLength(s);
  const counters = d.counterSamples ?? 0;
  len += counters * (SFLOW_SAMPLE_HEADER_LEN + 12);
  const b = new Uint8Array(len);
  let p = 0;
  const w = (v: number): void => {
    put32(b, p, v >>> 0);
    p += 4;
  };
  w(SFLOW_VERSION);
  w(SFLOW_ADDRESS_IPV4);
  w(d.agent);
  w(d.subAgent ?? 0);
  w(d.sequence);
  w(d.uptime);
  w(d.samples.length + counters);
  for (const s of d.samples) {
    w(s.expanded ? SFLOW_FLOW_SAMPLE_EXPANDED : SFLOW_FLOW_SAMPLE);
    w(sampleLength(s));
    w(s.sequence);
    if (s.expanded) (w(s.sourceIdType ?? 0), w(s.sourceIdIndex));
    else w(((s.sourceIdType ?? 0) << 24) | (s.sourceIdIndex & 0xffffff));
    w(s.samplingRate);
    w(s.samplePool);
    w(s.drops ?? 0);
    if (s.expanded) (w(0), w(s.input), w(0), w(s.output));
    else (w(s.input), w(s.output));
    w(s.headers.length);
    for (const h of s.headers) {
      w(SFLOW_RECORD_SAMPLED_HEADER);
      w(SFLOW_SAMPLED_HEADER_LEN + pad4(h.header.length));
      w(h.protocol);
      w(h.frameLength);
      w(h.stripped ?? 0);
      w(h.header.length);
      b.set(h.header, p);
      p += pad4(h.header.length);
    }
  }
  for (let i = 0; i < counters; i++) {
    // counters_sample: sequence, source id, no records
    w(SFLOW_COUNTER_SAMPLE);
    w(12);
    w(i + 1);
    w(3);
    w(0);
  }
  return b;
}
