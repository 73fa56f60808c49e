// The WebAssembly SipHash (src/hash/siphash-wasm*.ts): the committed bytes are what the emitter gives, its rounds
// pass the paper's vectors, and the hasher makeLinuxHasher returns is the JS reference's bit for bit; without
// WebAssembly (node --jitless) the CLI falls back to the JS form and prints the same.

import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HASH_FIELDS, type HashField } from '../../src/hash/index.js';
import { makeLinuxHasher, makeLinuxHasherJs, makeLinuxHasherWasm } from '../../src/hash/linux.js';
import { shippedModuleBytes, variantsModuleBytes } from '../../src/hash/siphash-wasm-source.js';
import { instantiate, shippedBytes, wasmApi, wasmLinuxHash, type WasmLinuxHash } from '../../src/hash/siphash-wasm.js';
import { BIN, ROOT } from '../cli/run.js';
import { linuxFlowHashBig } from './oracle.js';
import { sipHashLaws } from './vectors.js';

const FC = { seed: 0x5eed, numRuns: 3000 };
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
/** Ports and addresses often equal or byte-swapped: the consistentify swaps' edge cases. */
const pair = <T>(a: fc.Arbitrary<T>, swap: (x: T) => T): fc.Arbitrary<[T, T]> =>
  fc.oneof(fc.tuple(a, a), a.map((x): [T, T] => [x, x]), a.map((x): [T, T] => [x, swap(x)]));
const bswap32 = (x: number): number => ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
const bswap16 = (x: number): number => ((x & 0xff) << 8) | (x >>> 8);

const variants = instantiate(variantsModuleBytes());
const memory = new Uint8Array((variants.memory as { buffer: ArrayBuffer }).buffer);
const generic = variants.siphash as (k0: bigint, k1: bigint, msg: number, len: number) => bigint;

/** The generic wasm SipHash of `msg` (copied into linear memory, zero-padded) as [lo, hi]. */
function wasmSiphash(key: Uint8Array, msg: Uint8Array): [number, number] {
  const dv = new DataView(key.buffer, key.byteOffset, 16);
  memory.fill(0, 0, msg.length + 8);
  memory.set(msg, 0);
  const h = generic(dv.getBigUint64(0, true), dv.getBigUint64(8, true), 0, msg.length);
  return [Number(BigInt.asUintN(32, h)), Number(BigInt.asUintN(64, h) >> 32n)];
}

describe('the WebAssembly module', () => {
  it('the committed bytes are what siphash-wasm-source.ts emits (else: node scripts/gen-siphash-wasm.mjs)', () => {
    expect(Buffer.from(shippedBytes()).equals(Buffer.from(shippedModuleBytes()))).toBe(true);
  });

  it('is valid and imports nothing: one function, linux', () => {
    const api = wasmApi()!;
    expect(api.validate(shippedBytes())).toBe(true);
    const exports = Object.keys(instantiate(shippedBytes()));
    expect(exports).toEqual(['linux']);
  });

  it('makeLinuxHasher uses it where WebAssembly exists', () => {
    expect(wasmLinuxHash).toBeTypeOf('function');
    const calls: number[][] = [];
    const spy: WasmLinuxHash = (...args) => (calls.push(args), wasmLinuxHash!(...args));
    const h = makeLinuxHasherWasm(spy, 1, 0xdeadbeef, HASH_FIELDS);
    expect(h(0x0a000001, 0xc0a8640a, 6, 1234, 80)).toBe(makeLinuxHasher(1, 0xdeadbeef, HASH_FIELDS)(0x0a000001, 0xc0a8640a, 6, 1234, 80));
    // int32 arguments only: the seed and the address above 2^31 arrive as negative int32s
    expect(calls).toEqual([[0xdeadbeef | 0, 6, 0x0a000001, 0xc0a8640a | 0, 1234, 80]]);
  });
});

describe('its SipHash rounds (the generic siphash export, from the same emitter code)', () => sipHashLaws(wasmSiphash));

describe('makeLinuxHasher (wasm) against makeLinuxHasherJs (the JS reference)', () => {
  const flow = fc.tuple(pair(u32, bswap32), u8, pair(u16, bswap16));
  for (const policy of [0, 1] as const) {
    it(`policy ${policy}: every field, random seeds and flows`, () => {
      fc.assert(
        fc.property(u32, flow, (seed, [[s, d], p, [sp, dp]]) => {
          const got = makeLinuxHasher(policy, seed, HASH_FIELDS)(s, d, p, sp, dp);
          return got === makeLinuxHasherJs(policy, seed, HASH_FIELDS)(s, d, p, sp, dp) && got === linuxFlowHashBig(policy, seed, s, d, p, sp, dp);
        }),
        FC,
      );
    });
    it(`policy ${policy}: any field selection`, () => {
      fc.assert(
        fc.property(u32, fc.subarray([...HASH_FIELDS]), flow, (seed, fields: HashField[], [[s, d], p, [sp, dp]]) =>
          makeLinuxHasher(policy, seed, fields)(s, d, p, sp, dp) === makeLinuxHasherJs(policy, seed, fields)(s, d, p, sp, dp)),
        FC,
      );
    });
  }
  it('the extremes: seeds 0 and 2^32-1, all-zero and all-ones keys', () => {
    for (const seed of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
      for (const policy of [0, 1] as const) {
        const w = makeLinuxHasher(policy, seed, HASH_FIELDS);
        const j = makeLinuxHasherJs(policy, seed, HASH_FIELDS);
        for (const [s, d, p, sp, dp] of [[0, 0, 0, 0, 0], [0xffffffff, 0xffffffff, 255, 0xffff, 0xffff], [0x80000000, 0x7fffffff, 17, 0x8000, 0x7fff]]) {
          expect(w(s!, d!, p!, sp!, dp!)).toBe(j(s!, d!, p!, sp!, dp!));
        }
      }
    }
  });
});

describe('without WebAssembly', () => {
  it('node --jitless (no WebAssembly): the bundled CLI hashes with the JS form and prints the same', () => {
    const flows = [
      ['linux-l4', '--src', '10.0.0.1', '--dst', '192.168.100.10', '--proto', 'tcp', '--sport', '1234', '--dport', '80', '--seed', '1'],
      ['linux-l3', '--src', '203.0.113.9', '--dst', '198.51.100.200', '--seed', '4294967295'],
      ['linux-l4', '--src', '250.1.2.3', '--dst', '9.8.7.6', '--proto', 'udp', '--sport', '53', '--dport', '53', '--seed', '2654435769'],
    ];
    for (const args of flows) {
      const run = (flags: string[]): string => {
        const r = spawnSync(process.execPath, [...flags, BIN, 'hash', ...args], { cwd: ROOT, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        return r.stdout;
      };
      const withWasm = run([]);
      expect(withWasm.length).toBeGreaterThan(0);
      expect(run(['--jitless'])).toBe(withWasm);
    }
  });
});
