// Linux's IPv4 multipath hash (fib_multipath_hash_policy 0 and 1), bit for bit, as an x86-64 kernel computes it.
//
// What the kernel does (net/ipv4/route.c fib_multipath_hash, include/net/ip_fib.h, net/core/flow_dissector.c):
// - zero a struct flow_keys; policy 1 copies in the IPv4 addresses, both ports and ip_proto; policy 0 only the
//   addresses. Ports and addresses stay in network byte order; basic.n_proto stays 0.
// - __flow_hash_consistentify: swap the addresses if (u32)dst < (u32)src, and, independently, the ports if
//   (u16)dst < (u16)src. The casts read the big-endian bytes as native integers, so on a little-endian host
//   the comparison is between byte-swapped values (10.0.0.2 vs 9.0.0.3 compares 0x0200000a with 0x0300000a);
//   both compare unsigned (since 2022's "net: core: fix flow symmetric hash"; before it, the addresses went by
//   the sign of their difference and the ports swapped only with them). test/hash/kernel.test.ts tells these apart.
// - siphash the 48 bytes from `basic` (offset 8): basic {n_proto u16, ip_proto u8, pad}, tags {flow_label},
//   vlan (8), cvlan (8), keyid (4), ports {src, dst}, icmp (4), v4addrs {src, dst}, 4 zero bytes of the addrs
//   union; key k0 = k1 = seed << 32 | seed (fib_multipath_hash_construct_key); keep the low 32 bits; 0 → 1.
// - fib_select_multipath then compares hash >> 1 with each next-hop's upper bound.
//
// As SipHash little-endian 64-bit words the message is: m0 = ip_proto << 16, m1 = m2 = 0,
// m3 = (P | Q << 16) << 32 with P, Q the byte-swapped ports, m4 = S << 32 and m5 = D with S, D the
// byte-swapped addresses, then the length block 48 << 56.
//
// Two implementations, bit for bit the same: the WebAssembly one (siphash-wasm-source.ts: native i64, the
// state from the seed on every call, 18 rounds) that makeLinuxHasher returns, and the JS reference in 32-bit
// halves (m0..m2 depend only on seed and protocol, so the state after them is precomputed for all 256
// protocols: 12 rounds), which is the tests' oracle and the fallback where WebAssembly is missing (--jitless).
// bench/siphash.ts measures both: the wasm one takes 0.35-0.5x the JS one's time (single calls and batches).

import type { HashField } from './fields.js';
import { SIP_STATE_WORDS, sipInit, sipRun } from './siphash.js';
import { wasmLinuxHash, type WasmLinuxHash } from './siphash-wasm.js';
import type { FlowHasher } from './types.js';

const bswap32 = (x: number): number =>
  ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

/** The length block of a 48-byte message: 48 << 56, high half. */
const LENGTH_BLOCK_HI = 48 << 24;

/** Per field, the mask that keeps it (all ones) or zeroes it (unselected, or not read by linux-l3). */
function keyMasks(policy: 0 | 1, fields: readonly HashField[]): { src: number; dst: number; sport: number; dport: number; proto: number } {
  const has = (f: HashField): boolean => fields.includes(f);
  return {
    src: has('src-ip') ? -1 : 0,
    dst: has('dst-ip') ? -1 : 0,
    sport: policy === 1 && has('src-port') ? 0xffff : 0,
    dport: policy === 1 && has('dst-port') ? 0xffff : 0,
    proto: policy === 1 && has('protocol') ? 0xff : 0,
  };
}

/**
 * `policy` 0 (linux-l3) or 1 (linux-l4). With every field selected (the default) this is the kernel's hash bit
 * for bit. Unselected fields are left zero in the key, the way policy 3 builds its key from
 * fib_multipath_hash_fields; but on the forwarding path policy 3 then mixes the result through
 * jhash_2words(outer, inner, 0), so a field subset is this emulator's extension, not a kernel setting.
 * linux-l3 never reads protocol or ports, whatever the selection.
 */
export function makeLinuxHasher(policy: 0 | 1, seed: number, fields: readonly HashField[]): FlowHasher {
  return wasmLinuxHash === undefined ? makeLinuxHasherJs(policy, seed, fields) : makeLinuxHasherWasm(wasmLinuxHash, policy, seed, fields);
}

/** makeLinuxHasher on the WebAssembly hash: the masked fields go in as int32s, the wasm does the rest. */
export function makeLinuxHasherWasm(hash: WasmLinuxHash, policy: 0 | 1, seed: number, fields: readonly HashField[]): FlowHasher {
  const { src: srcMask, dst: dstMask, sport: sportMask, dport: dportMask, proto: protoMask } = keyMasks(policy, fields);
  const k = seed | 0;
  return (src, dst, proto, sport, dport) =>
    hash(k, proto & protoMask, src & srcMask, dst & dstMask, sport & sportMask, dport & dportMask) >>> 0;
}

/** makeLinuxHasher in JS, SipHash in 32-bit halves: the reference the wasm hash is tested against. */
export function makeLinuxHasherJs(policy: 0 | 1, seed: number, fields: readonly HashField[]): FlowHasher {
  const { src: srcMask, dst: dstMask, sport: sportMask, dport: dportMask, proto: protoMask } = keyMasks(policy, fields);
  const k = seed | 0;
  const prefix = new Int32Array(256 * SIP_STATE_WORDS);
  // basic {n_proto 0, ip_proto, pad} + tags {flow_label 0}; vlan; cvlan
  const head = new Int32Array(6);
  for (let p = 0; p <= protoMask; p++) {
    const o = p * SIP_STATE_WORDS;
    sipInit(prefix, o, k, k, k, k);
    head[0] = p << 16;
    sipRun(prefix, o, head, 3, false);
  }

  // keyid 0 + ports; icmp 0 + v4 src; v4 dst + 4 zero bytes; the length block
  const m = new Int32Array(8);
  m[7] = LENGTH_BLOCK_HI;
  return (src, dst, proto, sport, dport) => {
    // consistentify as min/max: branch-free selects, since which side is smaller is a coin toss per flow
    const a = bswap32(src & srcMask);
    const b = bswap32(dst & dstMask);
    const p = bswap16(sport & sportMask);
    const q = bswap16(dport & dportMask);
    m[1] = Math.min(p, q) | (Math.max(p, q) << 16);
    m[3] = Math.min(a, b);
    m[4] = Math.max(a, b);
    const h = sipRun(prefix, (proto & protoMask) * SIP_STATE_WORDS, m, 4, true) >>> 0;
    return h === 0 ? 1 : h;
  };
}
