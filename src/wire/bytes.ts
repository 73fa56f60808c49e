// Big-endian (network order) integer access at an offset of a Uint8Array: the one primitive every header uses.
// Callers check lengths first; these never allocate and return u32 values (>>> 0) for 32-bit fields.

export function get8(buf: Uint8Array, off: number): number {
  return buf[off]!;
}

export function get16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function get24(buf: Uint8Array, off: number): number {
  return (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
}

export function get32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export function put8(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v;
}

export function put16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

export function put24(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 16;
  buf[off + 1] = v >>> 8;
  buf[off + 2] = v;
}

export function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}
