// The WebAssembly SipHash-2-4 of Linux's multipath flow key, written as the code that emits it (build time).
//
// The exported function `linux(seed, proto, src, dst, sport, dport) -> i32` hashes the kernel's 48-byte
// flow_keys message (linux.ts explains the layout and __flow_hash_consistentify) with native i64 arithmetic and
// key k0 = k1 = seed << 32 | seed, and returns the low 32 bits with 0 replaced by 1. The caller masks the
// fields a selection leaves out (linux.ts). The module has no memory: the state starts from the seed on every
// call (6 rounds that a per-protocol prefix table would save), so a hasher is a closure over its seed with
// nothing to allocate or free. bench/siphash.ts weighs that against the variants below (a prefix table in
// linear memory, a loop over keys in memory) and against JS.
//
// scripts/gen-siphash-wasm.mjs writes the shipped module's bytes into siphash-wasm-bytes.ts;
// test/hash/wasm.test.ts checks that the committed bytes are what this file emits.

import { FuncBuilder, I32, I64, OP, encodeModule } from './wasm-asm.js';

const ROUNDS_C = 2;
const ROUNDS_D = 4;
/** "somepseudorandomlygeneratedbytes", SipHash's initial state words. */
const IV = [0x736f6d6570736575n, 0x646f72616e646f6dn, 0x6c7967656e657261n, 0x7465646279746573n];
/** The length block of a 48-byte message. */
const LENGTH_BLOCK = 48n << 56n;

/** v[a] = v[a] + v[b] (i64). */
function add(f: FuncBuilder, a: string, b: string): void {
  f.get(a).get(b).op(OP.i64Add).set(a);
}
/** v[a] = rotl(v[a], r) ^ v[b]; with b omitted, just the rotation. */
function rotXor(f: FuncBuilder, a: string, r: number, b?: string): void {
  f.get(a).i64(BigInt(r)).op(OP.i64Rotl);
  if (b !== undefined) f.get(b).op(OP.i64Xor);
  f.set(a);
}

/** SipRound, as the paper writes it. */
function sipRound(f: FuncBuilder): void {
  add(f, 'v0', 'v1'); rotXor(f, 'v1', 13, 'v0'); rotXor(f, 'v0', 32);
  add(f, 'v2', 'v3'); rotXor(f, 'v3', 16, 'v2');
  add(f, 'v0', 'v3'); rotXor(f, 'v3', 21, 'v0');
  add(f, 'v2', 'v1'); rotXor(f, 'v1', 17, 'v2'); rotXor(f, 'v2', 32);
}

/** Absorbs the message word left in local `m` (or a zero word: the XORs drop out). */
function absorb(f: FuncBuilder, zero = false): void {
  if (!zero) f.get('v3').get('m').op(OP.i64Xor).set('v3');
  for (let r = 0; r < ROUNDS_C; r++) sipRound(f);
  if (!zero) f.get('v0').get('m').op(OP.i64Xor).set('v0');
}

/** i32 on the stack → bytes reversed: (rotl(x, 8) & 0x00ff00ff) | (rotl(x, 24) & 0xff00ff00). */
function bswap32(f: FuncBuilder, x: string): void {
  f.get(x).i32(8).op(OP.i32Rotl).i32(0x00ff00ff).op(OP.i32And);
  f.get(x).i32(24).op(OP.i32Rotl).i32(0xff00ff00 | 0).op(OP.i32And);
  f.op(OP.i32Or);
}
/** A 16-bit port's two bytes swapped. */
function bswap16(f: FuncBuilder, x: string): void {
  f.get(x).i32(8).op(OP.i32Shl).get(x).i32(8).op(OP.i32ShrU).op(OP.i32Or).i32(0xffff).op(OP.i32And);
}
/** Leaves min (unsigned) of locals a, b in `lo` and the max in `hi`. */
function minMax(f: FuncBuilder, a: string, b: string, lo: string, hi: string): void {
  f.get(a).get(b).get(a).get(b).op(OP.i32LtU).op(OP.select).set(lo);
  f.get(b).get(a).get(a).get(b).op(OP.i32LtU).op(OP.select).set(hi);
}

/** Declares the hash's working locals. */
function declareLocals(f: FuncBuilder): void {
  for (const v of ['v0', 'v1', 'v2', 'v3', 'm']) f.local(v, I64);
  for (const v of ['a', 'b', 'lo', 'hi', 'p', 'q', 'plo', 'phi']) f.local(v, I32);
}

/** The state after the key and message words 0..2, from the seed (k0 = k1 = seed:seed). */
function prefixFromSeed(f: FuncBuilder): void {
  f.get('seed').op(OP.i64ExtendI32U).tee('m').get('m').i64(32n).op(OP.i64Shl).op(OP.i64Or).set('m');
  IV.forEach((c, i) => f.i64(c).get('m').op(OP.i64Xor).set(`v${i}`));
  // m0 = ip_proto << 16; m1 = m2 = 0 (tags, vlan, cvlan)
  f.get('proto').i32(16).op(OP.i32Shl).op(OP.i64ExtendI32U).set('m');
  absorb(f);
  absorb(f, true);
  absorb(f, true);
}

/** The state after words 0..2 from a table in memory: 32 bytes per protocol from address `table`. */
function prefixFromTable(f: FuncBuilder): void {
  for (let i = 0; i < 4; i++) f.get('table').get('proto').i32(5).op(OP.i32Shl).op(OP.i32Add).mem(OP.i64Load, 3, 8 * i).set(`v${i}`);
}

/** Words 3..5 from the key fields, the length block, finalisation; leaves the i32 result on the stack. */
function suffix(f: FuncBuilder): void {
  bswap32(f, 'src'); f.set('a');
  bswap32(f, 'dst'); f.set('b');
  minMax(f, 'a', 'b', 'lo', 'hi');
  bswap16(f, 'sport'); f.set('p');
  bswap16(f, 'dport'); f.set('q');
  minMax(f, 'p', 'q', 'plo', 'phi');
  // m3 = (plo | phi << 16) << 32: keyid 0, then the ports
  f.get('plo').get('phi').i32(16).op(OP.i32Shl).op(OP.i32Or).op(OP.i64ExtendI32U).i64(32n).op(OP.i64Shl).set('m');
  absorb(f);
  // m4 = lo << 32: icmp 0, then the smaller address
  f.get('lo').op(OP.i64ExtendI32U).i64(32n).op(OP.i64Shl).set('m');
  absorb(f);
  // m5 = hi: the larger address, then the 4 zero bytes of the addrs union
  f.get('hi').op(OP.i64ExtendI32U).set('m');
  absorb(f);
  f.i64(LENGTH_BLOCK).set('m');
  absorb(f);
  f.get('v2').i64(0xffn).op(OP.i64Xor).set('v2');
  for (let r = 0; r < ROUNDS_D; r++) sipRound(f);
  f.get('v0').get('v1').op(OP.i64Xor).get('v2').op(OP.i64Xor).get('v3').op(OP.i64Xor).op(OP.i32WrapI64).set('a');
  // 0 → 1, as fib_multipath_hash's callers never see a zero hash
  f.get('a').i32(1).get('a').op(OP.select);
}

const KEY_PARAMS = [['proto', I32], ['src', I32], ['dst', I32], ['sport', I32], ['dport', I32]] as const;

/** The state after words 0..2 passed as eight i32 halves, v0 lo, v0 hi, .., v3 hi (siphash.ts's layout). */
function prefixFromArgs(f: FuncBuilder): void {
  for (let i = 0; i < 4; i++) {
    f.get(`s${2 * i}`).op(OP.i64ExtendI32U).get(`s${2 * i + 1}`).op(OP.i64ExtendI32U).i64(32n).op(OP.i64Shl).op(OP.i64Or).set(`v${i}`);
  }
}

const STATE_PARAMS = Array.from({ length: 8 }, (_, i) => [`s${i}`, I32] as const);

/** A flow-key hash function: the given parameters, the prefix state from `prefix`, then the common suffix. */
function linuxFunction(params: ReadonlyArray<readonly [string, number]>, prefix: (f: FuncBuilder) => void): FuncBuilder {
  const f = new FuncBuilder(params, [I32]);
  declareLocals(f);
  prefix(f);
  suffix(f);
  return f;
}

/** `linux(seed, proto, src, dst, sport, dport) -> i32`: the shipped function. */
export const linuxFromSeed = (): FuncBuilder => linuxFunction([['seed', I32], ...KEY_PARAMS], prefixFromSeed);
/** `linuxTable(table, proto, src, dst, sport, dport) -> i32`: the prefix state from a table in memory. */
export const linuxFromTable = (): FuncBuilder => linuxFunction([['table', I32], ...KEY_PARAMS], prefixFromTable);
/** `linuxArgs(s0..s7, src, dst, sport, dport) -> i32`: the prefix state passed in (the caller picks it by protocol). */
export const linuxFromArgs = (): FuncBuilder => linuxFunction([...STATE_PARAMS, ...KEY_PARAMS.slice(1)], prefixFromArgs);

/**
 * `linuxBatch(seed, keys, out, n)`: hashes n keys laid out in memory as 5 int32s each (proto, src, dst, sport,
 * dport) from address `keys`, writing n int32 results from `out`: the hash with no JS→wasm call per key.
 */
export function linuxBatch(): FuncBuilder {
  const f = new FuncBuilder([['seed', I32], ['keys', I32], ['out', I32], ['n', I32]], [I32]);
  for (const [v] of KEY_PARAMS) f.local(v, I32);
  declareLocals(f);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get('n').op(OP.i32Eqz).op(OP.brIf, 1);
  KEY_PARAMS.forEach(([v], i) => f.get('keys').mem(OP.i32Load, 2, 4 * i).set(v));
  f.get('out');
  prefixFromSeed(f);
  suffix(f);
  f.mem(OP.i32Store, 2, 0);
  f.get('keys').i32(20).op(OP.i32Add).set('keys');
  f.get('out').i32(4).op(OP.i32Add).set('out');
  f.get('n').i32(1).op(OP.i32Sub).set('n');
  f.op(OP.br, 0, OP.end, OP.end);
  f.i32(0);
  return f;
}

/**
 * `siphash(k0: i64, k1: i64, msg: i32, len: i32) -> i64`: SipHash-2-4 of any message in memory, from the same
 * round and absorb code as `linux`, for the paper's test vectors. The 8 bytes after the message must be zero
 * (the caller's padding): the last block is read as one i64 and the length ORed into its top byte.
 */
export function sipHashGeneric(): FuncBuilder {
  const f = new FuncBuilder([['k0', I64], ['k1', I64], ['msg', I32], ['len', I32]], [I64]);
  declareLocals(f);
  f.local('end', I32);
  IV.forEach((c, i) => f.i64(c).get(i % 2 === 0 ? 'k0' : 'k1').op(OP.i64Xor).set(`v${i}`));
  // end = msg + (len & ~7): the first byte after the last whole word
  f.get('msg').get('len').i32(-8).op(OP.i32And).op(OP.i32Add).set('end');
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get('msg').get('end').op(OP.i32GeU).op(OP.brIf, 1);
  f.get('msg').mem(OP.i64Load, 0, 0).set('m');
  absorb(f);
  f.get('msg').i32(8).op(OP.i32Add).set('msg');
  f.op(OP.br, 0, OP.end, OP.end);
  f.get('end').mem(OP.i64Load, 0, 0).get('len').op(OP.i64ExtendI32U).i64(56n).op(OP.i64Shl).op(OP.i64Or).set('m');
  absorb(f);
  f.get('v2').i64(0xffn).op(OP.i64Xor).set('v2');
  for (let r = 0; r < ROUNDS_D; r++) sipRound(f);
  f.get('v0').get('v1').op(OP.i64Xor).get('v2').op(OP.i64Xor).get('v3').op(OP.i64Xor);
  return f;
}

/** `nop(seed, proto, src, dst, sport, dport) -> i32`: the XOR of its arguments, to time the call alone. */
export function nop(): FuncBuilder {
  const f = new FuncBuilder([['seed', I32], ...KEY_PARAMS], [I32]);
  f.get('seed');
  for (const [v] of KEY_PARAMS) f.get(v).op(OP.i32Xor);
  return f;
}

/** The module linux.ts instantiates: `linux` only, no memory. */
export function shippedModuleBytes(): Uint8Array {
  return encodeModule([{ name: 'linux', body: linuxFromSeed() }]);
}

/** Pages of memory the variants module has: room for prefix tables and a batch of 4096 keys. */
export const VARIANT_PAGES = 4;

/** Every variant, with VARIANT_PAGES pages of memory (for the bench and the tests). */
export function variantsModuleBytes(): Uint8Array {
  return encodeModule(
    [
      { name: 'linux', body: linuxFromSeed() },
      { name: 'linuxTable', body: linuxFromTable() },
      { name: 'linuxBatch', body: linuxBatch() },
      { name: 'linuxArgs', body: linuxFromArgs() },
      { name: 'nop', body: nop() },
      { name: 'siphash', body: sipHashGeneric() },
    ],
    VARIANT_PAGES,
  );
}
