// The flow table: open addressing over typed arrays, one column per field, no object per flow.

/** Forwarding stages remembered per flow (ingress leaf, egress leaf, and room for static detours). */
export const MAX_STAGES = 4;

const EMPTY = 0;

/** fmix32 from MurmurHash3: a cheap, well-mixed slot hash for the table itself (not an ECMP hash). */
function slotHash(src: number, dst: number, ports: number, meta: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ports, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ meta, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Flows keyed by (source, destination, ports, meta), meta packing the protocol and where the flow entered the
 * fabric. Each flow gets a dense index; per-flow counters and forwarding results live in columns by that index.
 * Growth doubles the columns and the slot array: allocation happens only then, never per packet.
 */
export class FlowTable {
  size = 0;
  /**
   * Two Int32 per slot: flow index + 1 (0 = empty) and the key's slot hash. The hash lets a probe skip a
   * colliding flow without reading its key, and lets a rehash place every flow without reading its key at all
   * (walking the old slots in order: the writes go nearly in order too, so growing a big table stays cheap).
   */
  private slots: Int32Array;
  private slotMask: number;
  private columns = 0;
  /**
   * The keys again, four per flow side by side: a probe that hits reads one cache line, not four. As int32: callers
   * in the hot path pass `x | 0`, a small integer to V8, where a u32 of 2^31 or above passed to a call that is not
   * inlined would be boxed in a new heap number (16 bytes a frame on the decoder path, measured).
   */
  private keys!: Int32Array;

  src!: Uint32Array;
  dst!: Uint32Array;
  /** sport << 16 | dport */
  ports!: Uint32Array;
  /** proto | entry leaf << 8 | entry vrf << 20 */
  meta!: Uint32Array;
  packets!: Float64Array;
  bytes!: Float64Array;
  /** 0 when forwarded, else the skip reason that stopped it */
  reason!: Uint8Array;
  /** the VTEP's leaf index the flow was sent to (or arrived at, for underlay traffic); -1 none */
  vtep!: Int32Array;
  /** the VM it was delivered to; -1 none */
  vm!: Int32Array;
  /** the opaque next-hop index it left by; -1 none */
  other!: Int32Array;
  /** outer UDP source port of its VXLAN encapsulation; 0 when not encapsulated */
  outerSport!: Uint16Array;
  /** number of stages, then MAX_STAGES (route id, member) pairs */
  stageCount!: Uint8Array;
  stageRoute!: Int32Array;
  stageMember!: Int32Array;

  constructor(initialFlows = 1 << 14) {
    const cap = Math.max(16, 1 << Math.ceil(Math.log2(initialFlows)));
    this.slots = new Int32Array(cap * 4);
    this.slotMask = cap * 2 - 1;
    this.growColumns(cap);
  }

  /** The flow's index, or -1 when it is not in the table. Keys as u32 or as int32 (`x | 0`): the same key. */
  find(src: number, dst: number, ports: number, meta: number): number {
    src |= 0;
    dst |= 0;
    ports |= 0;
    meta |= 0;
    const slots = this.slots;
    const mask = this.slotMask;
    const keys = this.keys;
    const h = slotHash(src, dst, ports, meta) | 0;
    let i = h & mask;
    for (;;) {
      const s = slots[2 * i]!;
      if (s === EMPTY) return -1;
      if (slots[2 * i + 1] === h) {
        const k = 4 * (s - 1);
        if (keys[k] === src && keys[k + 1] === dst && keys[k + 2] === ports && keys[k + 3] === meta) return s - 1;
      }
      i = (i + 1) & mask;
    }
  }

  /** The flow's index, inserting it when new; `isNew` tells which (read it before the next call). */
  isNew = false;
  findOrInsert(src: number, dst: number, ports: number, meta: number): number {
    // The probe is kept small so that V8 inlines it into the engine's loop; inserting is the rare case.
    src |= 0;
    dst |= 0;
    ports |= 0;
    meta |= 0;
    const slots = this.slots;
    const mask = this.slotMask;
    const keys = this.keys;
    const h = slotHash(src, dst, ports, meta) | 0;
    let i = h & mask;
    for (;;) {
      const s = slots[2 * i]!;
      if (s === EMPTY) return this.insertAt(i, h, src, dst, ports, meta);
      if (slots[2 * i + 1] === h) {
        const k = 4 * (s - 1);
        if (keys[k] === src && keys[k + 1] === dst && keys[k + 2] === ports && keys[k + 3] === meta) {
          this.isNew = false;
          return s - 1;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Adds a flow in empty slot i (found by findOrInsert's probe for slot hash h). */
  private insertAt(i: number, h: number, src: number, dst: number, ports: number, meta: number): number {
    const f = this.size++;
    if (f >= this.columns) this.growColumns(this.columns * 2);
    const k = 4 * f;
    const kk = this.keys;
    kk[k] = src;
    kk[k + 1] = dst;
    kk[k + 2] = ports;
    kk[k + 3] = meta;
    this.src[f] = src;
    this.dst[f] = dst;
    this.ports[f] = ports;
    this.meta[f] = meta;
    this.vtep[f] = -1;
    this.vm[f] = -1;
    this.other[f] = -1;
    const slots = this.slots;
    slots[2 * i] = f + 1;
    slots[2 * i + 1] = h;
    if (this.size * 2 > this.slotMask + 1) this.rehash((this.slotMask + 1) * 2);
    this.isNew = true;
    return f;
  }

  private rehash(slotCount: number): void {
    const old = this.slots;
    const slots = new Int32Array(slotCount * 2);
    const mask = slotCount - 1;
    for (let j = 0; j < old.length; j += 2) {
      const s = old[j]!;
      if (s === EMPTY) continue;
      const h = old[j + 1]!;
      let i = h & mask;
      while (slots[2 * i] !== EMPTY) i = (i + 1) & mask;
      slots[2 * i] = s;
      slots[2 * i + 1] = h;
    }
    this.slots = slots;
    this.slotMask = mask;
  }

  private growColumns(cap: number): void {
    const grow = <T extends Uint32Array | Int32Array | Float64Array | Uint8Array | Uint16Array>(
      old: T | undefined,
      make: (n: number) => T,
      n: number,
    ): T => {
      const a = make(n);
      if (old) a.set(old as never);
      return a;
    };
    this.src = grow(this.src, (n) => new Uint32Array(n), cap);
    this.dst = grow(this.dst, (n) => new Uint32Array(n), cap);
    this.ports = grow(this.ports, (n) => new Uint32Array(n), cap);
    this.meta = grow(this.meta, (n) => new Uint32Array(n), cap);
    this.packets = grow(this.packets, (n) => new Float64Array(n), cap);
    this.bytes = grow(this.bytes, (n) => new Float64Array(n), cap);
    this.reason = grow(this.reason, (n) => new Uint8Array(n), cap);
    this.vtep = grow(this.vtep, (n) => new Int32Array(n), cap);
    this.vm = grow(this.vm, (n) => new Int32Array(n), cap);
    this.other = grow(this.other, (n) => new Int32Array(n), cap);
    this.outerSport = grow(this.outerSport, (n) => new Uint16Array(n), cap);
    this.stageCount = grow(this.stageCount, (n) => new Uint8Array(n), cap);
    this.stageRoute = grow(this.stageRoute, (n) => new Int32Array(n), cap * MAX_STAGES);
    this.stageMember = grow(this.stageMember, (n) => new Int32Array(n), cap * MAX_STAGES);
    this.keys = grow(this.keys, (n) => new Int32Array(n), cap * 4);
    this.columns = cap;
  }

  static sport(ports: number): number {
    return ports >>> 16;
  }
  static dport(ports: number): number {
    return ports & 0xffff;
  }
  static proto(meta: number): number {
    return meta & 0xff;
  }
  static entryLeaf(meta: number): number {
    return (meta >>> 8) & 0xfff;
  }
  static entryVrf(meta: number): number {
    return meta >>> 20;
  }
  static meta(proto: number, leaf: number, vrf: number): number {
    return (proto | (leaf << 8) | (vrf << 20)) >>> 0;
  }
}
