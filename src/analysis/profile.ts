// What a capture says about the fabric it came from: its busiest destinations, and the VTEPs and VNIs it names.

import { CaptureReader, RecordBatch } from '../capture/reader.js';
import { FlowTable, NEW_FLOW } from '../engine/flowtable.js';
import { FrameKey, REASON_OK, decodeFrame } from '../wire/decode.js';

export interface CaptureProfile {
  frames: number;
  /** distinct IPv4 flows (5-tuples; for VXLAN frames the inner one); IPv6 frames are left out */
  flows: number;
  /** destinations by distinct flows, most first */
  destinations: { address: number; flows: number }[];
  /** VXLAN frames' outer destinations (egress VTEPs), with their VNIs and the inner destinations they carried */
  vteps: { address: number; frames: number; vnis: number[]; inner: number[] }[];
  /** outer sources of VXLAN frames that are no outer destination: where the encapsulating leaf sat */
  ingressVteps: number[];
}

const VXLAN_META = 1 << 31; // tells inner flows apart from client flows with the same 5-tuple

/** Counts a flow in the table (a set here: the profile needs no path, so every flow gets path 0). */
function seen(flows: FlowTable, src: number, dst: number, ports: number, meta: number): void {
  if (flows.findOrAdd(src | 0, dst | 0, ports | 0, meta | 0, 1, 0) === NEW_FLOW) flows.setPath(0, 0);
}

/** Reads the whole capture once (flows deduplicated in a FlowTable, nothing kept per frame). */
export async function profileCapture(path: string, vxlanPort = 4789): Promise<CaptureProfile> {
  const reader = await CaptureReader.open(path);
  const batch = new RecordBatch();
  const key = new FrameKey();
  const flows = new FlowTable();
  const vteps = new Map<number, { frames: number; vnis: Map<number, number>; inner: Set<number> }>();
  const sources = new Set<number>();
  let frames = 0;
  try {
    for (let n; (n = await reader.read(batch)) > 0; ) {
      for (let i = 0; i < n; i++) {
        frames++;
        decodeFrame(batch.buf, batch.offset[i]!, batch.capLen[i]!, batch.linkType[i]!, vxlanPort, key);
        // IPv4 only: an IPv6 frame (outer, or inside VXLAN) is left out of the fit (its addresses are not numbers).
        if (key.reason !== REASON_OK || key.family === 6) continue;
        if (key.vxlan && key.innerReason === REASON_OK) {
          if (key.innerFamily === 6) continue;
          const v = vteps.get(key.dst) ?? { frames: 0, vnis: new Map<number, number>(), inner: new Set<number>() };
          v.frames++;
          v.vnis.set(key.vni, (v.vnis.get(key.vni) ?? 0) + 1);
          v.inner.add(key.innerDst >>> 0);
          vteps.set(key.dst, v);
          sources.add(key.src);
          seen(flows, key.innerSrc, key.innerDst, (key.innerSport << 16) | key.innerDport, VXLAN_META | key.innerProto);
        } else seen(flows, key.src, key.dst, (key.sport << 16) | key.dport, key.proto);
      }
    }
  } finally {
    await reader.close();
  }
  const perDst = new Map<number, number>();
  flows.scan((_f, _src, dst) => perDst.set(dst >>> 0, (perDst.get(dst >>> 0) ?? 0) + 1));
  return {
    frames,
    flows: flows.size,
    destinations: [...perDst.entries()].map(([address, n]) => ({ address, flows: n })).sort((a, b) => b.flows - a.flows || a.address - b.address),
    vteps: [...vteps.entries()].sort((a, b) => a[0] - b[0]).map(([address, v]) => ({
      address,
      frames: v.frames,
      vnis: [...v.vnis.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([vni]) => vni),
      inner: [...v.inner].sort((a, b) => a - b),
    })),
    ingressVteps: [...sources].filter((s) => !vteps.has(s)).sort((a, b) => a - b),
  };
}
