// A minimal WebAssembly binary writer: the sections and opcodes the SipHash module needs, nothing more.
//
// Build-time code (scripts/gen-siphash-wasm.mjs and the test that checks the committed bytes); the hot path
// never imports it. Encoding per the WebAssembly core spec, "Binary Format": LEB128 integers, sections as
// id + byte length + contents, a function body as its locals then an expression ending in `end`.

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;

/** Opcodes used here (core spec §5.4). */
export const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i64Load: 0x29, i32Store: 0x36,
  i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f,
  i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Shl: 0x74, i32ShrU: 0x76, i32Rotl: 0x77,
  i64Add: 0x7c, i64Or: 0x84, i64Xor: 0x85, i64Shl: 0x86, i64Rotl: 0x89,
  i32WrapI64: 0xa7, i64ExtendI32U: 0xad,
} as const;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of a 64-bit two's-complement value (i32.const and i64.const immediates). */
export function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n; // arithmetic: BigInt shifts keep the sign
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** A function body under construction: locals by name, opcodes appended in order. */
export class FuncBuilder {
  readonly bytes: number[] = [];
  private readonly names = new Map<string, number>();
  private readonly extra: number[] = [];

  constructor(readonly params: readonly (readonly [string, number])[], readonly results: readonly number[]) {
    params.forEach(([name], i) => this.names.set(name, i));
  }

  /** Declares a local of `type` (after the parameters) and returns its index. */
  local(name: string, type: number): number {
    if (this.names.has(name)) throw new Error(`local ${name} declared twice`);
    const index = this.params.length + this.extra.length;
    this.names.set(name, index);
    this.extra.push(type);
    return index;
  }

  private index(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`unknown local ${name}`);
    return i;
  }

  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }
  get(name: string): this {
    return this.op(OP.localGet, ...uleb(this.index(name)));
  }
  set(name: string): this {
    return this.op(OP.localSet, ...uleb(this.index(name)));
  }
  tee(name: string): this {
    return this.op(OP.localTee, ...uleb(this.index(name)));
  }
  i32(v: number): this {
    return this.op(OP.i32Const, ...sleb(BigInt(v | 0)));
  }
  i64(v: bigint): this {
    return this.op(OP.i64Const, ...sleb(BigInt.asIntN(64, v)));
  }
  /** A load or store with its memarg: alignment as log2 bytes, then the constant offset. */
  mem(code: number, alignLog2: number, offset = 0): this {
    return this.op(code, ...uleb(alignLog2), ...uleb(offset));
  }

  /** The body as the code section wants it: locals run-length grouped, the expression, `end`. */
  encode(): number[] {
    const groups: [number, number][] = [];
    for (const t of this.extra) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), t]), ...this.bytes, OP.end];
    return [...uleb(body.length), ...body];
  }
}

const name = (s: string): number[] => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};
const section = (id: number, items: number[][]): number[] => {
  const content = [...uleb(items.length), ...items.flat()];
  return [id, ...uleb(content.length), ...content];
};

/**
 * A module of exported functions (one type each) and, when `memoryPages` > 0, one exported memory named
 * "memory". No imports, tables, globals or data.
 */
export function encodeModule(funcs: ReadonlyArray<{ name: string; body: FuncBuilder }>, memoryPages = 0): Uint8Array {
  const types = funcs.map(({ body }) => [0x60, ...uleb(body.params.length), ...body.params.map(([, t]) => t), ...uleb(body.results.length), ...body.results]);
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  if (memoryPages > 0) exports.push([...name('memory'), 0x02, 0x00]);
  const out = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, funcs.map((_, i) => uleb(i))),
    ...(memoryPages > 0 ? section(5, [[0x00, ...uleb(memoryPages)]]) : []),
    ...section(7, exports),
    ...section(10, funcs.map((f) => f.body.encode())),
  ];
  return Uint8Array.from(out);
}
