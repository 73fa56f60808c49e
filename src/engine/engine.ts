// The forwarding engine: every input (pcap runs, batches of records, one frame from live capture or sFlow, a
// synthetic flow) goes through one lane: classify, probe the flow table, forward the flow on first sight, count.

import type { Fabric } from '../fabric/converge.js';
import type { PcapRun, RecordBatch } from '../capture/reader.js';
import type { PcapWriter } from '../capture/writer.js';
import { EmuError } from '../errors.js';
import { FlowTable, MAX_STAGES, MAX_VRFS, META_IPV6, NEW_FLOW } from './flowtable.js';
import { foldIpv6, sourcePortOf } from '../fabric/spines.js';
import { PathTable } from './paths.js';
import { AddressTable } from './addrs.js';
import { FrameKey, REASON_OK, decodeFrame } from '../wire/decode.js';
import { PathResult, REASON_UNKNOWN_VNI, SKIP_NAMES, resolvePath, resolvePath6, resolveTunnel } from './path.js';
import { VxlanEncapsulator } from './encap.js';
import { TUNNEL_OK, TUNNEL_TRUNCATED, TunnelDissection, dissectTunnel, isTunnelProto } from '../wire/tunnel.js';
import { REASON_MALFORMED, REASON_TRUNCATED } from '../wire/decode.js';
import { TunnelKey, internTunnel, tunnelOf } from './tunnel-key.js';

/** classifyFast's answer for a frame not of the common shape (below every -(reason + 1)). */
const NOT_FAST = -0x10000;
/** classifyFast's answer for an Ethernet frame of EtherType IPv6: the lane tries classifyFast6. */
const FAST_IPV6 = -0x10001;
/** tunnel()'s answer for a packet the dissector finds no tunnel in: keyed by its own header, as any. */
const NOT_TUNNEL = -0x10002;

export interface EngineOptions {
  /** where forwarded frames are written as they cross the fabric (`replay --write`) */
  writer?: PcapWriter;
  /** flows expected (a hint: the flow table starts with room for them) */
  flows?: number;
  /** read the common frame shape straight from the bytes (default true); false sends every frame through decodeFrame */
  fastPath?: boolean;
  /** decode a mirror (ERSPAN, Ethernet over GRE) as the frame it carries (default true); false: as its own packet */
  unwrap?: boolean;
}

/**
 * Forwards frames through a converged fabric and counts the result per flow. Forwarding is decided once per
 * flow (a flow never splits, so the first packet's path is every packet's path) and cached in the flow table:
 * later packets cost a decode, one table probe (one cache line) and two counter updates.
 */
export class Engine {
  readonly flows: FlowTable;
  /** the decisions flows point at (FlowTable.pathOf) */
  readonly paths = new PathTable();
  /** the IPv6 addresses (and source flow labels) IPv6 flows are keyed by: their src/dst words are ids in here */
  readonly addrs = new AddressTable();
  /** frames (times their weight) and their bytes, forwarded or not */
  packets = 0;
  bytes = 0;
  /** frames (times their weight) not forwarded, by reason (SKIP_NAMES) */
  readonly skipped = new Float64Array(SKIP_NAMES.length);

  private readonly key = new FrameKey();
  private readonly path = new PathResult();
  private readonly encap: VxlanEncapsulator | undefined;
  private readonly vxlanPort: number;
  /** The flow-table meta of a client TCP and UDP flow entering at the ingress leaf (the fast path's two cases). */
  private readonly metaTcp: number;
  private readonly metaUdp: number;
  private readonly metaTcp6: number;
  private readonly metaUdp6: number;
  private readonly fastPath: boolean;
  private readonly unwrap: boolean;
  /**
   * some leaf's IPv6 hasher reads the flow label: the source's id then includes it and the first next header
   * (label | next header << 20, what policy 0 hashes besides the addresses), else both are left out
   */
  private readonly labels: boolean;
  /** an IPv6 flow's addresses read back from its ids on first sight, for resolvePath6 */
  private readonly src6 = new Uint32Array(4);
  private readonly dst6 = new Uint32Array(4);
  /**
   * The last IPv6 destination interned and its id (-1 none): a capture's frames mostly go to few services, so the
   * destination's probe is usually four compares (measured: see bench/README.md, IPv6).
   */
  private lastDst = -1;
  private lastDst0 = 0;
  private lastDst1 = 0;
  private lastDst2 = 0;
  private lastDst3 = 0;
  /** some leaf hashes inner headers (fabric.readsInner): tunnelled client frames are dissected (tunnel()) */
  private readonly readsInner: boolean;
  /** the last tunnelled frame's dissection and key; a tunnelled flow's Dissected rebuilt from its key on first sight */
  private readonly dissection = new TunnelDissection();
  private readonly tunnelKey = new TunnelKey();
  private readonly firstSight = new TunnelDissection();
  private view: DataView | undefined;
  /** where the last frame's IPv4 header starts (for the encapsulator) */
  private l3 = 0;
  /** the last forwarded frame's flow meta and path (for the encapsulator) */
  private lastMeta = 0;
  private lastPath = 0;

  constructor(
    readonly fabric: Fabric,
    options: EngineOptions = {},
  ) {
    this.flows = new FlowTable(options.flows);
    // --write encapsulates every frame as it comes: its flows' ports are computed on first sight
    this.path.deferSport = options.writer === undefined;
    this.vxlanPort = fabric.topology.vxlan.port;
    this.metaTcp = FlowTable.meta(6, fabric.ingressLeaf, fabric.ingressVrf);
    this.metaUdp = FlowTable.meta(17, fabric.ingressLeaf, fabric.ingressVrf);
    this.metaTcp6 = (this.metaTcp | META_IPV6) >>> 0;
    this.metaUdp6 = (this.metaUdp | META_IPV6) >>> 0;
    if (fabric.vrfNames.length > MAX_VRFS) throw new EmuError(`more than ${MAX_VRFS} VRFs: the flow table keys at most ${MAX_VRFS}`, 'topology');
    this.labels = fabric.readsFlowLabel;
    this.readsInner = fabric.readsInner;
    this.fastPath = options.fastPath ?? true;
    this.unwrap = options.unwrap ?? true;
    this.encap = options.writer ? new VxlanEncapsulator(fabric, options.writer, this.paths) : undefined;
  }

  /** Forwards every record of a classic-pcap run, walking the record headers (replay's lane: no columns written). */
  processPcapRun(run: PcapRun, weight = 1): void {
    const buf = run.buf;
    const view = this.viewOf(buf);
    const end = run.end;
    const le = run.littleEndian;
    const hdr = run.recordHeader;
    const linkType = run.linkType;
    for (let p = run.start; p < end; ) {
      const capLen = view.getUint32(p + 8, le);
      const origLen = view.getUint32(p + 12, le);
      const off = p + hdr;
      p = off + capLen;
      this.lane(buf, view, off, capLen, origLen, linkType, weight);
    }
  }

  /** Forwards every record of a batch (pcapng, the copied chunks of workers, and --write, which needs timestamps). */
  processBatch(batch: RecordBatch, weight = 1): void {
    const buf = batch.buf;
    const view = this.viewOf(buf);
    const encap = this.encap;
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset[i]!;
      const capLen = batch.capLen[i]!;
      const origLen = batch.origLen[i]!;
      const linkType = batch.linkType[i]!;
      const f = this.lane(buf, view, off, capLen, origLen, linkType, weight);
      if (encap !== undefined && f >= 0) this.write(encap, f, buf, off, capLen, origLen, linkType, batch.tsSec[i]!, batch.tsNsec[i]!);
    }
  }

  /** Forwards one frame (live capture hands them over one at a time; an sFlow sample stands for `weight` frames). */
  processFrame(buf: Uint8Array, offset: number, capLen: number, origLen: number, linkType: number, tsSec: number, tsNsec: number, weight = 1): void {
    const f = this.lane(buf, this.viewOf(buf), offset, capLen, origLen, linkType, weight);
    if (this.encap !== undefined && f >= 0) this.write(this.encap, f, buf, offset, capLen, origLen, linkType, tsSec, tsNsec);
  }

  /** Writes the frame the lane just forwarded as flow f (its key and path are still the lane's last). */
  private write(encap: VxlanEncapsulator, f: number, buf: Uint8Array, off: number, capLen: number, origLen: number, linkType: number, tsSec: number, tsNsec: number): void {
    encap.write(this.lastMeta, this.lastPath, this.outerSportOf(f, this.lastPath), buf, off, capLen, origLen, linkType, this.l3, tsSec, tsNsec);
  }

  /**
   * processFlow for an IPv6 client flow: addresses as four u32 words each (word 0 the most significant), and the
   * flow label (hashed where a leaf's algorithm reads it). Returns its flow index, or -(reason + 1).
   */
  processFlow6(src: ArrayLike<number>, dst: ArrayLike<number>, flowLabel: number, proto: number, sport: number, dport: number, packets = 1, bytes = 0): number {
    const fabric = this.fabric;
    const withPorts = proto === 6 || proto === 17;
    this.packets += packets;
    this.bytes += bytes;
    const ports = withPorts ? (sport << 16) | dport : 0;
    return this.account6(src, dst, flowLabel, proto, ports, proto, fabric.ingressLeaf, fabric.ingressVrf, -1, packets, bytes);
  }

  /**
   * Forwards a synthetic client flow entering at the ingress leaf, without frames (fuzzing, notebooks): counts
   * `packets` packets of `bytes` bytes in all. Returns its flow index, or -(reason + 1) when it is not forwarded.
   */
  processFlow(src: number, dst: number, proto: number, sport: number, dport: number, packets = 1, bytes = 0): number {
    const fabric = this.fabric;
    const withPorts = proto === 6 || proto === 17;
    this.packets += packets;
    this.bytes += bytes;
    const ports = withPorts ? (sport << 16) | dport : 0;
    return this.account(src | 0, dst | 0, ports, FlowTable.meta(proto, fabric.ingressLeaf, fabric.ingressVrf), fabric.ingressLeaf, fabric.ingressVrf, -1, packets, bytes);
  }

  /**
   * The lane: one frame counted in the totals, classified (fast path, else the decoder) and accounted on its flow.
   * Returns the flow index when the flow is forwarded, -(reason + 1) when the frame is skipped.
   */
  private lane(buf: Uint8Array, view: DataView, off: number, capLen: number, origLen: number, linkType: number, weight: number): number {
    const bytes = origLen * weight;
    this.packets += weight;
    this.bytes += bytes;
    if (linkType === 1 && this.fastPath) {
      let f = this.classifyFast(buf, view, off, capLen, weight, bytes);
      // IPv6 apart, so that the IPv4 fast path stays the function it was (small enough to inline what it calls)
      if (f === FAST_IPV6) f = this.classifyFast6(buf, view, off, capLen, weight, bytes);
      if (f !== NOT_FAST) return f;
    }
    return this.classify(buf, off, capLen, linkType, weight, bytes);
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
   * on mutated frames). Returns account()'s result, or NOT_FAST for any other frame.
   */
  private classifyFast(buf: Uint8Array, view: DataView, off: number, cap: number, weight: number, bytes: number): number {
    if (cap < 38) return NOT_FAST;
    const type = view.getUint16(off + 12);
    if (type !== 0x0800 || buf[off + 14] !== 0x45) return type === 0x86dd ? FAST_IPV6 : NOT_FAST;
    const totalLen = view.getUint16(off + 16);
    const proto = buf[off + 23]!;
    // Key words as int32 (getInt32): small integers to V8, never boxed in a heap number when passed on.
    const ports = view.getInt32(off + 34);
    const dport = ports & 0xffff;
    if (totalLen < 24 || (view.getUint16(off + 20) & 0x3fff) !== 0 || !(proto === 6 || (proto === 17 && dport !== this.vxlanPort))) return NOT_FAST;
    this.l3 = off + 14;
    const fabric = this.fabric;
    return this.account(view.getInt32(off + 26), view.getInt32(off + 30), ports, proto === 6 ? this.metaTcp : this.metaUdp, fabric.ingressLeaf, fabric.ingressVrf, -1, weight, bytes);
  }

  /**
   * The fast path's IPv6 shape: Ethernet without VLAN tags, IPv6 whose next header is TCP or non-VXLAN UDP (no
   * extension header), ports captured and inside the payload length. The addresses are interned straight from the
   * frame's words; decodeFrame would yield the same key (the engine test checks both ways agree on mutated frames).
   */
  private classifyFast6(buf: Uint8Array, view: DataView, off: number, cap: number, weight: number, bytes: number): number {
    if (cap < 58 || buf[off + 14]! >>> 4 !== 6) return NOT_FAST;
    const nh = buf[off + 20]!;
    const ports = view.getInt32(off + 54);
    const dport = ports & 0xffff;
    if (view.getUint16(off + 18) < 4 || !(nh === 6 || (nh === 17 && dport !== this.vxlanPort))) return NOT_FAST;
    this.l3 = off + 14;
    const a = this.addrs;
    // No extension header here: the first next header is the protocol.
    const s = a.intern(view.getInt32(off + 22), view.getInt32(off + 26), view.getInt32(off + 30), view.getInt32(off + 34), this.labels ? (view.getInt32(off + 14) & 0xfffff) | (nh << 20) : 0);
    const d = this.dstId(view.getInt32(off + 38), view.getInt32(off + 42), view.getInt32(off + 46), view.getInt32(off + 50));
    const fabric = this.fabric;
    return this.account(s, d, ports, nh === 6 ? this.metaTcp6 : this.metaUdp6, fabric.ingressLeaf, fabric.ingressVrf, -1, weight, bytes);
  }

  /** The decoder path: any link type and shape; an underlay VXLAN frame to a known VTEP is its inner flow. */
  private classify(buf: Uint8Array, offset: number, capLen: number, linkType: number, weight: number, bytes: number): number {
    const key = this.key;
    const fabric = this.fabric;
    decodeFrame(buf, offset, capLen, linkType, this.vxlanPort, key, this.unwrap);
    if (key.reason !== REASON_OK) return this.skip(key.reason, weight);
    this.l3 = key.l3Offset;
    const v6 = key.family === 6;
    if (key.vxlan) {
      // Underlay: VXLAN to a known VTEP (IPv4, or IPv6 in vtep6Table) enters at that VTEP's leaf, in the VRF its VNI names.
      const d6 = key.dst6;
      const vtepLeaf = v6 ? fabric.vtep6Table.lookup(d6[0]!, d6[1]!, d6[2]!, d6[3]!) : (fabric.vtepToLeaf.get(key.dst) ?? -1);
      if (vtepLeaf >= 0) {
        const vniVrf = fabric.vniToVrf.get(key.vni);
        if (vniVrf === undefined) return this.skip(REASON_UNKNOWN_VNI, weight);
        if (key.innerReason !== REASON_OK) return this.skip(key.innerReason, weight);
        if (this.readsInner && isTunnelProto(key.innerProto) && !key.innerFragment) {
          const t = this.tunnel(buf, key.innerL3Offset, key.innerL2Offset + key.innerCapLen, vtepLeaf, vniVrf, vtepLeaf, weight, bytes);
          if (t !== NOT_TUNNEL) return t;
        }
        const ports = (key.innerSport << 16) | key.innerDport;
        if (key.innerFamily === 6) return this.account6(key.innerSrc6, key.innerDst6, key.innerFlowLabel, key.innerNextHeader, ports, key.innerProto, vtepLeaf, vniVrf, vtepLeaf, weight, bytes);
        const meta = FlowTable.meta(key.innerProto, vtepLeaf, vniVrf);
        return this.account(key.innerSrc | 0, key.innerDst | 0, ports, meta, vtepLeaf, vniVrf, vtepLeaf, weight, bytes);
      }
    }
    // The IPv4 and IPv6 fast paths take TCP and UDP only: a tunnel's protocol (4, 41, 47) always comes here.
    if (this.readsInner && isTunnelProto(key.proto) && !key.fragment) {
      const t = this.tunnel(buf, key.l3Offset, offset + capLen, fabric.ingressLeaf, fabric.ingressVrf, -1, weight, bytes);
      if (t !== NOT_TUNNEL) return t;
    }
    const ports = (key.sport << 16) | key.dport;
    if (v6) return this.account6(key.src6, key.dst6, key.flowLabel, key.nextHeader, ports, key.proto, fabric.ingressLeaf, fabric.ingressVrf, -1, weight, bytes);
    const meta = FlowTable.meta(key.proto, fabric.ingressLeaf, fabric.ingressVrf);
    return this.account(key.src | 0, key.dst | 0, ports, meta, fabric.ingressLeaf, fabric.ingressVrf, -1, weight, bytes);
  }

  /**
   * A tunnelled packet (IP-in-IP, IPv6-in-IP, GRE) at buf[l3 ..) as Linux's flow dissector sees it (wire/tunnel.ts),
   * keyed by everything policies 2 and 3 read (tunnel-key.ts) and accounted; NOT_TUNNEL when the dissector does
   * not look inside (GRE with routing or a version other than 0), so that it is keyed by its own header.
   */
  private tunnel(buf: Uint8Array, l3: number, end: number, leaf: number, vrf: number, arrived: number, weight: number, bytes: number): number {
    const d = this.dissection;
    const rc = dissectTunnel(buf, l3, end, d);
    if (rc !== TUNNEL_OK) return this.skip(rc === TUNNEL_TRUNCATED ? REASON_TRUNCATED : REASON_MALFORMED, weight);
    if (d.inner === null) return NOT_TUNNEL;
    const k = this.tunnelKey;
    internTunnel(this.addrs, d, leaf, vrf, k);
    return this.account(k.src, k.dst, k.ports, k.meta, leaf, vrf, arrived, weight, bytes);
  }

  /**
   * An IPv6 flow's key: its source (with the flow label when a hasher reads it) and destination interned as ids,
   * the IPv6 bit in its meta; then accounted as any flow.
   */
  private account6(src: ArrayLike<number>, dst: ArrayLike<number>, flowLabel: number, nextHeader: number, ports: number, proto: number, leaf: number, vrf: number, arrived: number, packets: number, bytes: number): number {
    const a = this.addrs;
    const s = a.intern(src[0]! | 0, src[1]! | 0, src[2]! | 0, src[3]! | 0, this.labels ? flowLabel | (nextHeader << 20) : 0);
    const d = this.dstId(dst[0]! | 0, dst[1]! | 0, dst[2]! | 0, dst[3]! | 0);
    return this.account(s, d, ports, (FlowTable.meta(proto, leaf, vrf) | META_IPV6) >>> 0, leaf, vrf, arrived, packets, bytes);
  }

  /** An IPv6 destination's id (int32 words): the last one's without a probe when it is the same. */
  private dstId(d0: number, d1: number, d2: number, d3: number): number {
    if (d3 === this.lastDst3 && d0 === this.lastDst0 && d1 === this.lastDst1 && d2 === this.lastDst2 && this.lastDst >= 0) return this.lastDst;
    const id = this.addrs.intern(d0, d1, d2, d3, 0);
    this.lastDst = id;
    this.lastDst0 = d0;
    this.lastDst1 = d1;
    this.lastDst2 = d2;
    this.lastDst3 = d3;
    return id;
  }

  private skip(reason: number, weight: number): number {
    this.skipped[reason]! += weight;
    return -reason - 1;
  }

  /**
   * Counts a frame (or a synthetic flow's packets) on its flow, forwarding the flow when it is new. Every flow is
   * counted, forwarded or not; a flow that is not forwarded counts in `skipped` by its reason too. Returns the flow
   * index when forwarded, -(reason + 1) when not.
   */
  private account(src: number, dst: number, ports: number, meta: number, leaf: number, vrf: number, arrived: number, packets: number, bytes: number): number {
    const flows = this.flows;
    let path = flows.findOrAdd(src, dst, ports, meta, packets, bytes);
    if (path === NEW_FLOW) path = this.forward(leaf, vrf, src >>> 0, dst >>> 0, meta, ports >>> 16, ports & 0xffff, arrived);
    const reason = this.paths.reason[path]!;
    if (reason === 0) {
      this.lastMeta = meta;
      this.lastPath = path;
      return flows.last;
    }
    this.skipped[reason]! += packets;
    return -reason - 1;
  }

  /**
   * First sight of a flow: its way through the fabric, interned, stored as the flow's decision. An IPv6 flow's
   * src and dst are address ids: read back into words for resolvePath6.
   */
  private forward(leaf: number, vrf: number, src: number, dst: number, meta: number, sport: number, dport: number, arrived: number): number {
    const p = this.path;
    const proto = meta & 0xff;
    if (FlowTable.isIpv6(meta) && this.readsInner && this.addrs.isTunnelFlow(src)) {
      resolveTunnel(this.fabric, leaf, vrf, tunnelOf(this.addrs, src, dst, (sport << 16) | dport, meta, this.firstSight), arrived, p);
    } else if (FlowTable.isIpv6(meta)) {
      const a = this.addrs;
      const w = a.labelOf(src);
      resolvePath6(this.fabric, leaf, vrf, a.wordsOf(src, this.src6), a.wordsOf(dst, this.dst6), w & 0xfffff, proto, sport, dport, arrived, p, this.labels ? w >>> 20 : proto);
    } else resolvePath(this.fabric, leaf, vrf, src, dst, proto, sport, dport, arrived, p);
    const path = this.paths.intern(p);
    this.flows.setPath(path, p.outerSport);
    return path;
  }

  /**
   * The VXLAN source port flow f (of path `path`) was encapsulated with, 0 when it was not. A leaf's `independent`
   * port (Linux's own hash of the flow, a third SipHash besides the two ECMP stages) is not part of the path
   * without spines, so first sight leaves it out (PathResult.deferSport) and it is computed here when first asked
   * for (--write, --flows-csv, tests), then kept: a replay that needs neither never pays it (~5% of a replay where
   * every frame is a new flow). The encapsulating leaf is the first stage's: a flow that arrived as VXLAN (its
   * VTEP the first stage's leaf) was not encapsulated.
   */
  outerSportOf(f: number, path = this.flows.pathOf(f)): number {
    const stored = this.flows.outerSportOf(f);
    const paths = this.paths;
    const vtep = paths.vtep[path]!;
    if (stored !== 0 || !this.path.deferSport || vtep < 0 || paths.stageCount[path] === 0) return stored;
    const leaf = this.fabric.routes[paths.stageRoute[path * MAX_STAGES]!]!.leaf;
    const hasher = this.fabric.underlay.sourcePort[leaf]!;
    if (leaf === vtep || hasher === null || this.fabric.underlay.vrf >= 0) return stored;
    const meta = this.flows.metaOf(f);
    let src = this.flows.srcOf(f);
    let dst = this.flows.dstOf(f);
    if (FlowTable.isIpv6(meta)) {
      // a tunnelled flow's port is computed on first sight (its addresses are the outer header's)
      if (this.addrs.isTunnelFlow(src)) return stored;
      src = foldIpv6(this.addrs.wordsOf(src, this.src6));
      dst = foldIpv6(this.addrs.wordsOf(dst, this.dst6));
    }
    const ports = this.flows.portsOf(f);
    const port = sourcePortOf(hasher, 0, this.fabric.topology.vxlan, src, dst, meta & 0xff, ports >>> 16, ports & 0xffff);
    this.flows.setOuterSport(f, port);
    return port;
  }

  /** A flow's decision by flow index: the skip reason (0 forwarded), VTEP and VM of its path (-1 none). */
  reasonOf(f: number): number {
    return this.paths.reason[this.flows.pathOf(f)]!;
  }
  vtepOf(f: number): number {
    return this.paths.vtep[this.flows.pathOf(f)]!;
  }
  vmOf(f: number): number {
    return this.paths.vm[this.flows.pathOf(f)]!;
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
