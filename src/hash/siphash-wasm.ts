// The WebAssembly SipHash of Linux's flow key (siphash-wasm-source.ts), instantiated once from committed bytes.

import { SIPHASH_WASM_BASE64 } from './siphash-wasm-bytes.js';

/** `linux(seed, proto, src, dst, sport, dport)`: every argument an int32, the hash an int32 (never 0). */
export type WasmLinuxHash = (seed: number, proto: number, src: number, dst: number, sport: number, dport: number) => number;

/** The part of the WebAssembly JS API used here (the project's lib settings have no WebAssembly types). */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

/** The WebAssembly API, or undefined where there is none (`node --jitless`). */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** Instantiates a module that imports nothing and returns its exports. */
export function instantiate(bytes: Uint8Array): Record<string, unknown> {
  const api = wasmApi();
  if (api === undefined) throw new Error('WebAssembly is not available');
  return new api.Instance(new api.Module(bytes), {}).exports;
}

/** The shipped module's bytes. */
export function shippedBytes(): Uint8Array {
  return Uint8Array.from(Buffer.from(SIPHASH_WASM_BASE64, 'base64'));
}

/** The wasm hash, or undefined without WebAssembly (linux.ts then uses the JS form). */
export const wasmLinuxHash: WasmLinuxHash | undefined =
  wasmApi() === undefined ? undefined : (instantiate(shippedBytes()).linux as WasmLinuxHash);
