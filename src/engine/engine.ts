// The batch pipeline: classify, look up, select, encapsulate, count — one tight loop per stage over a batch; and
// replay's lane over a run of classic-pcap records, one loop per frame.

import type { Fabric } from '../fabric/converge.js';
import type { PcapRun, RecordBatch } from '../capture/reader.js';
import type { PcapWriter } from '../capture/writer.js';
import { FlowTable, MAX_STAGES } from '../stats/flowtable.js';
import { FrameKey, REASON_OK, decodeFrame } from '../wire/decode.js';
import { PathResult, REASON_UNKNOWN_VNI, SKIP_NAMES, resolvePath } from './path.js';
import { VxlanEncapsulator } from './encap.js';

/** classifyFast's answer for a frame not of the common shape (below every -(reason + 1)). */
const NOT_FAST = -0x10000;

export interface EngineOptions {
  /** where forwarded frames are written as they cross the fabric (`replay --write`) */
  writer?: PcapWriter;
  /** initial flow-table size hint */
  flows?: number;
  /** read the common frame shape straight from the bytes (default true); false sends every frame through decodeFrame */
  fastPath?: boolean;
  /** decode a mirror (ERSPAN, Ethernet over GRE) as the frame it carries (default true); false: as its own packet */
  unwrap?: boolean;
}

/**
 * Forwards frames through a converged fabric and counts the result per flow. Forwarding is decided once per
 * flow (a flow never splits, so the first packet's path is every packet's path) and cached in the flow table:
 * later packets cost a decode, a table probe and a few counter updates.
 */
export class Engine {
  readonly flows: FlowTable;
  packets = 0;
  bytes = 0;
  readonly skipped = new Float64Array(SKIP_NAMES.length);

  private readonly key = new FrameKey();
  private readonly path = new PathResult();
  private readonly encap: VxlanEncapsulator | undefined;
  private readonly vxlanPort: number;
  // Per-batch columns (struct of arrays), sized for the largest batch seen.
  private flowOf = new Int32Array(256);
  private l3Of = new Int32Array(256);
  /** A skipped frame's flow (no-route, say), or -1 when it never became a flow (cut short, not IP). */
  private skipOf = new Int32Array(256);
  /** classify's and classifyFast's flow for a frame they skip, as skipOf holds it. */
  private skipFlow = -1;
  /** The flow-table meta of a client TCP and UDP flow entering at the ingress leaf (the fast path's two cases). */
  private readonly metaTcp: number;
  private readonly metaUdp: number;
  private readonly fastPath: boolean;
  private readonly unwrap: boolean;
  private view: DataView | undefined;

  constructor(
    readonly fabric: Fabric,
    private readonly options: EngineOptions = {},
  ) {
    this.flows = new FlowTable(options.flows);
    this.vxlanPort = fabric.topology.vxlan.port;
    this.metaTcp = FlowTable.meta(6, fabric.ingressLeaf, fabric.ingressVrf);
    this.metaUdp = FlowTable.meta(17, fabric.ingressLeaf, fabric.ingressVrf);
    this.fastPath = options.fastPath ?? true;
    this.unwrap = options.unwrap ?? true;
    this.encap = options.writer ? new VxlanEncapsulator(fabric, options.writer) : undefined;
  }

  /** Forwards every record of a batch. */
  processBatch(batch: RecordBatch): void {
    const n = batch.count;
    if (this.flowOf.length < n) {
      this.flowOf = new Int32Array(n);
      this.l3Of = new Int32Array(n);
      this.skipOf = new Int32Array(n);
    }
    const flowOf = this.flowOf;
    const l3Of = this.l3Of;
    const skipOf = this.skipOf;
    const buf = batch.buf;
    const view = this.viewOf(buf);
    const offsetA = batch.offset;
    const capLenA = batch.capLen;
    const origLenA = batch.origLen;
    const linkTypeA = batch.linkType;
    const flows = this.flows;
    const fast = this.fastPath;
    let bytes = this.bytes;
    // Stage 1: classify each frame into a flow (decode, client or underlay, flow-table probe).
    for (let i = 0; i < n; i++) {
      const off = offsetA[i]!;
      const cap = capLenA[i]!;
      bytes += origLenA[i]!;
      if (fast && linkTypeA[i] === 1) {
        const f = this.classifyFast(buf, view, off, cap);
        if (f !== NOT_FAST) {
          flowOf[i] = f;
          l3Of[i] = off + 14;
          skipOf[i] = this.skipFlow;
          continue;
        }
      }
      flowOf[i] = this.classify(buf, off, cap, linkTypeA[i]!);
      l3Of[i] = this.key.l3Offset;
      skipOf[i] = this.skipFlow;
    }
    this.packets += n;
    this.bytes = bytes;
    // Stage 2: count packets and bytes per flow; skipped frames per reason (and on their flow, when they have one).
    const fp = flows.packets;
    const fb = flows.bytes;
    const skipped = this.skipped;
    for (let i = 0; i < n; i++) {
      const f = flowOf[i]!;
      if (f < 0) {
        skipped[-f - 1]!++;
        const g = skipOf[i]!;
        if (g >= 0) {
          fp[g]!++;
          fb[g]! += origLenA[i]!;
        }
        continue;
      }
      fp[f]!++;
      fb[f]! += origLenA[i]!;
    }
    // Stage 3: write each forwarded frame as it leaves the first leaf.
    const encap = this.encap;
    if (encap !== undefined) {
      for (let i = 0; i < n; i++) {
        const f = flowOf[i]!;
        if (f < 0) continue;
        encap.write(flows, f, buf, offsetA[i]!, capLenA[i]!, origLenA[i]!, linkTypeA[i]!, l3Of[i]!, batch.tsSec[i]!, batch.tsNsec[i]!);
      }
    }
  }

  /**
   * Forwards every record of a classic-pcap run (replay without --write). One loop per frame instead of processBatch's
   * stages: walking the record headers here and counting at once costs 36 ns a frame where reading into a batch's
   * columns and processBatch cost 45 (`npm run bench`, frames in memory), and these frames need no timestamps.
   */
  processPcapRun(run: PcapRun): void {
    const buf = run.buf;
    const view = this.viewOf(buf);
    const end = run.end;
    const le = run.littleEndian;
    const hdr = run.recordHeader;
    const linkType = run.linkType;
    const fast = this.fastPath && linkType === 1;
    const flows = this.flows;
    const skipped = this.skipped;
    let bytes = this.bytes;
    for (let p = run.start; p < end; ) {
      const capLen = view.getUint32(p + 8, le);
      const origLen = view.getUint32(p + 12, le);
      const off = p + hdr;
      p = off + capLen;
      bytes += origLen;
      let f = fast ? this.classifyFast(buf, view, off, capLen) : NOT_FAST;
      if (f === NOT_FAST) f = this.classify(buf, off, capLen, linkType);
      if (f < 0) {
        skipped[-f - 1]!++;
        f = this.skipFlow;
      }
      if (f >= 0) {
        // flows.packets is read per frame: inserting a new flow may have grown the table's columns.
        flows.packets[f]!++;
        flows.bytes[f]! += origLen;
      }
    }
    this.packets += run.count;
    this.bytes = bytes;
  }

  /** One DataView per buffer (the reader reuses its buffer): a big-endian u32 read is one load and a byte swap. */
  private viewOf(buf: Uint8Array): DataView {
    let view = this.view;
    if (view === undefined || view.buffer !== buf.buffer || view.byteOffset !== buf.byteOffset || view.byteLength !== buf.byteLength) {
      view = this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return view;
  }

  /**
   * The fast path, the shape nearly every frame has: Ethernet (the caller checks the link type) without VLAN tags,
   * IPv4 with a 20-byte header, not a fragment, TCP or non-VXLAN UDP, ports captured. It reads the flow key straight
   * from the frame; for these frames decodeFrame would yield the same key (the engine test checks both ways agree
   * on mutated frames). Returns classify()'s result, or NOT_FAST for any other frame.
   */
  private classifyFast(buf: Uint8Array, view: DataView, off: number, cap: number): number {
    if (cap < 38 || view.getUint16(off + 12) !== 0x0800 || buf[off + 14] !== 0x45) return NOT_FAST;
    const totalLen = view.getUint16(off + 16);
    const proto = buf[off + 23]!;
    // Key words as int32 (getInt32, `| 0`): small integers to V8, never boxed when passed on (see FlowTable.keys).
    const ports = view.getInt32(off + 34);
    const dport = ports & 0xffff;
    if (totalLen < 24 || (view.getUint16(off + 20) & 0x3fff) !== 0 || !(proto === 6 || (proto === 17 && dport !== this.vxlanPort))) return NOT_FAST;
    const src = view.getInt32(off + 26);
    const dst = view.getInt32(off + 30);
    const flows = this.flows;
    const f = flows.findOrInsert(src, dst, ports, proto === 6 ? this.metaTcp : this.metaUdp);
    if (flows.isNew) this.forward(f, this.fabric.ingressLeaf, this.fabric.ingressVrf, src >>> 0, dst >>> 0, proto, ports >>> 16, dport, -1);
    const reason = flows.reason[f]!;
    if (reason === 0) return f;
    this.skipFlow = f;
    return -reason - 1;
  }

  /**
   * Forwards one frame (live capture hands them over one at a time). `weight`: how many packets it stands for (an
   * sFlow sample's sampling rate); its packets and bytes are counted that many times.
   */
  processFrame(buf: Uint8Array, offset: number, capLen: number, origLen: number, linkType: number, tsSec: number, tsNsec: number, weight = 1): void {
    this.packets += weight;
    this.bytes += origLen * weight;
    const f = this.classify(buf, offset, capLen, linkType);
    if (f < 0) {
      this.skipped[-f - 1]! += weight;
      const g = this.skipFlow;
      if (g >= 0) {
        this.flows.packets[g]! += weight;
        this.flows.bytes[g]! += origLen * weight;
      }
      return;
    }
    this.flows.packets[f]! += weight;
    this.flows.bytes[f]! += origLen * weight;
    this.encap?.write(this.flows, f, buf, offset, capLen, origLen, linkType, this.key.l3Offset, tsSec, tsNsec);
  }

  /**
   * Forwards a synthetic client flow entering at the ingress leaf, without frames (fuzzing, notebooks): counts
   * `packets` packets of `bytes` bytes in all. Returns its flow index, or -(reason + 1) when it is not forwarded.
   */
  processFlow(src: number, dst: number, proto: number, sport: number, dport: number, packets = 1, bytes = 0): number {
    const fabric = this.fabric;
    const flows = this.flows;
    const withPorts = proto === 6 || proto === 17;
    if (!withPorts) sport = dport = 0;
    const f = flows.findOrInsert(src, dst, ((sport << 16) | dport) >>> 0, FlowTable.meta(proto, fabric.ingressLeaf, fabric.ingressVrf));
    if (flows.isNew) this.forward(f, fabric.ingressLeaf, fabric.ingressVrf, src, dst, proto, sport, dport, -1);
    this.packets += packets;
    this.bytes += bytes;
    const reason = flows.reason[f]!;
    flows.packets[f]! += packets;
    flows.bytes[f]! += bytes;
    if (reason !== 0) {
      this.skipped[reason]! += packets;
      return -reason - 1;
    }
    return f;
  }

  /** The frame's flow index, forwarding the flow when it is new; -(reason + 1) when the frame is skipped. */
  private classify(buf: Uint8Array, offset: number, capLen: number, linkType: number): number {
    const key = this.key;
    const fabric = this.fabric;
    this.skipFlow = -1;
    decodeFrame(buf, offset, capLen, linkType, this.vxlanPort, key, this.unwrap);
    if (key.reason !== REASON_OK) return -key.reason - 1;
    let leaf = fabric.ingressLeaf;
    let vrf = fabric.ingressVrf;
    let arrived = -1;
    let src = key.src;
    let dst = key.dst;
    let proto = key.proto;
    let sport = key.sport;
    let dport = key.dport;
    if (key.vxlan) {
      // Underlay: VXLAN to a known VTEP enters at that VTEP's leaf, in the VRF its VNI names.
      const vtepLeaf = fabric.vtepToLeaf.get(dst);
      if (vtepLeaf !== undefined) {
        const vniVrf = fabric.vniToVrf.get(key.vni);
        if (vniVrf === undefined) return -REASON_UNKNOWN_VNI - 1;
        if (key.innerReason !== REASON_OK) return -key.innerReason - 1;
        leaf = arrived = vtepLeaf;
        vrf = vniVrf;
        src = key.innerSrc;
        dst = key.innerDst;
        proto = key.innerProto;
        sport = key.innerSport;
        dport = key.innerDport;
      }
    }
    const flows = this.flows;
    const f = flows.findOrInsert(src | 0, dst | 0, (sport << 16) | dport, FlowTable.meta(proto, leaf, vrf));
    if (flows.isNew) this.forward(f, leaf, vrf, src, dst, proto, sport, dport, arrived);
    const reason = flows.reason[f]!;
    if (reason === 0) return f;
    this.skipFlow = f;
    return -reason - 1;
  }

  private forward(f: number, leaf: number, vrf: number, src: number, dst: number, proto: number, sport: number, dport: number, arrived: number): void {
    const p = this.path;
    const flows = this.flows;
    resolvePath(this.fabric, leaf, vrf, src, dst, proto, sport, dport, arrived, p);
    flows.reason[f] = p.reason;
    flows.vtep[f] = p.vtep;
    flows.vm[f] = p.vm;
    flows.other[f] = p.other;
    flows.outerSport[f] = p.outerSport;
    flows.stageCount[f] = p.stages;
    const base = f * MAX_STAGES;
    for (let s = 0; s < p.stages; s++) {
      flows.stageRoute[base + s] = p.stageRoute[s]!;
      flows.stageMember[base + s] = p.stageMember[s]!;
    }
  }

  /** Skipped frames by reason name, non-zero ones only. */
  skippedByReason(): Record<string, number> {
    const out: Record<string, number> = {};
    SKIP_NAMES.forEach((name, i) => {
      if (i !== 0 && this.skipped[i]! > 0) out[name] = this.skipped[i]!;
    });
    return out;
  }
}
