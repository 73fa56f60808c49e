// Forwarding decisions, interned: the few distinct ways through a fabric, each stored once, a flow holding its id.

import { MAX_STAGES } from './flowtable.js';
import type { PathResult } from './path.js';

/** A path's columns: what a flow's way through the fabric was, apart from its VXLAN source port. */
export interface PathColumns {
  count: number;
  /** 0 when forwarded, else the skip reason that stopped it */
  reason: Uint8Array;
  /** the VTEP's leaf index it was sent to (or arrived at, for underlay traffic); -1 none */
  vtep: Int32Array;
  /** the VM it was delivered to; -1 none */
  vm: Int32Array;
  /** the opaque next-hop index it left by; -1 none */
  other: Int32Array;
  /** number of stages, then MAX_STAGES (route id, member) pairs per path */
  stageCount: Uint8Array;
  stageRoute: Int32Array;
  stageMember: Int32Array;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function pathHash(reason: number, vtep: number, vm: number, other: number, stages: number, routes: Int32Array, members: Int32Array, base: number): number {
  let h = mix(mix(mix(mix(0x9e3779b9, reason), vtep), vm), (other << 8) | stages);
  for (let s = 0; s < stages; s++) h = mix(mix(h, routes[base + s]!), members[base + s]!);
  return h;
}

/**
 * Paths by id, deduplicated: a flow's decision is a route and a member per stage, and flows share those (a
 * fabric has far fewer paths than flows), so a flow costs 4 bytes for it instead of ~45.
 */
export class PathTable implements PathColumns {
  count = 0;
  reason = new Uint8Array(16);
  vtep = new Int32Array(16);
  vm = new Int32Array(16);
  other = new Int32Array(16);
  stageCount = new Uint8Array(16);
  stageRoute = new Int32Array(16 * MAX_STAGES);
  stageMember = new Int32Array(16 * MAX_STAGES);
  /** open addressing: path id + 1, 0 empty */
  private index = new Int32Array(32);

  /** The id of the path `p` describes, adding it when new. */
  intern(p: PathResult): number {
    return this.internParts(p.reason, p.vtep, p.vm, p.other, p.stages, p.stageRoute, p.stageMember, 0);
  }

  /** The id in this table of path `id` of another table (merging engines). */
  internFrom(t: PathColumns, id: number): number {
    return this.internParts(t.reason[id]!, t.vtep[id]!, t.vm[id]!, t.other[id]!, t.stageCount[id]!, t.stageRoute, t.stageMember, id * MAX_STAGES);
  }

  private internParts(reason: number, vtep: number, vm: number, other: number, stages: number, routes: Int32Array, members: Int32Array, base: number): number {
    const h = pathHash(reason, vtep, vm, other, stages, routes, members, base);
    const mask = this.index.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = this.index[i]!;
      if (e === 0) {
        const id = this.add(reason, vtep, vm, other, stages, routes, members, base);
        this.index[i] = id + 1;
        if (this.count * 2 > this.index.length) this.reindex();
        return id;
      }
      if (this.same(e - 1, reason, vtep, vm, other, stages, routes, members, base)) return e - 1;
    }
  }

  private same(id: number, reason: number, vtep: number, vm: number, other: number, stages: number, routes: Int32Array, members: Int32Array, base: number): boolean {
    if (this.reason[id] !== reason || this.vtep[id] !== vtep || this.vm[id] !== vm || this.other[id] !== other || this.stageCount[id] !== stages) return false;
    for (let s = 0; s < stages; s++) {
      if (this.stageRoute[id * MAX_STAGES + s] !== routes[base + s] || this.stageMember[id * MAX_STAGES + s] !== members[base + s]) return false;
    }
    return true;
  }

  private add(reason: number, vtep: number, vm: number, other: number, stages: number, routes: Int32Array, members: Int32Array, base: number): number {
    const id = this.count++;
    if (id === this.reason.length) this.grow(2 * id);
    this.reason[id] = reason;
    this.vtep[id] = vtep;
    this.vm[id] = vm;
    this.other[id] = other;
    this.stageCount[id] = stages;
    for (let s = 0; s < stages; s++) {
      this.stageRoute[id * MAX_STAGES + s] = routes[base + s]!;
      this.stageMember[id * MAX_STAGES + s] = members[base + s]!;
    }
    return id;
  }

  private grow(n: number): void {
    const more = <T extends Uint8Array | Int32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.reason = more(this.reason, n);
    this.vtep = more(this.vtep, n);
    this.vm = more(this.vm, n);
    this.other = more(this.other, n);
    this.stageCount = more(this.stageCount, n);
    this.stageRoute = more(this.stageRoute, n * MAX_STAGES);
    this.stageMember = more(this.stageMember, n * MAX_STAGES);
  }

  /** Rebuilds the index at twice the size (paths are few: this is small and rare). */
  private reindex(): void {
    const old = this.count;
    this.index = new Int32Array(this.index.length * 2);
    const mask = this.index.length - 1;
    for (let id = 0; id < old; id++) {
      let i = pathHash(this.reason[id]!, this.vtep[id]!, this.vm[id]!, this.other[id]!, this.stageCount[id]!, this.stageRoute, this.stageMember, id * MAX_STAGES) & mask;
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = id + 1;
    }
  }

  bytesHeld(): number {
    return this.index.byteLength + this.reason.length * (1 + 4 * 3 + 1 + 8 * MAX_STAGES);
  }
}
