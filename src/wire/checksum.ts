// The Internet checksum (RFC 1071) over byte ranges of a Uint8Array, with the IPv4 pseudo-header for TCP/UDP.

/**
 * The ones'-complement sum of `len` bytes at `off`, added to `initial`, not yet folded or inverted.
 * An odd trailing byte is padded with zero, as RFC 1071 says. The result stays below 2^31 for any
 * realistic length (each 16-bit word adds < 2^16; 2^15 words fit), so it is a small integer.
 */
export function onesSum(buf: Uint8Array, off: number, len: number, initial: number): number {
  let sum = initial;
  const end = off + (len & ~1);
  for (let i = off; i < end; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
    // Fold early so huge ranges never leave the small-integer range.
    if (sum > 0x3fffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (len & 1) sum += buf[off + len - 1]! << 8;
  return sum;
}

/** Folds a ones'-complement sum to 16 bits and inverts it: the value that goes into a checksum field. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The Internet checksum of a byte range (the checksum field inside it must be zero, or use verify). */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  return foldChecksum(onesSum(buf, off, len, 0));
}

/** True when a range that includes its own checksum field sums to 0xffff, i.e. the checksum is right. */
export function internetChecksumValid(buf: Uint8Array, off: number, len: number): boolean {
  return foldChecksum(onesSum(buf, off, len, 0)) === 0;
}

/** The sum of the IPv4 pseudo-header (RFC 768 / RFC 793) for a TCP or UDP checksum. */
export function pseudoHeaderSum(src: number, dst: number, proto: number, l4Length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Length;
}

/**
 * The TCP or UDP checksum over `l4Length` bytes at `off` (the checksum field must hold zero), with the pseudo-header.
 * For UDP a computed 0 is sent as 0xffff (RFC 768); pass `udp` = true for that rule.
 */
export function l4Checksum(
  buf: Uint8Array,
  off: number,
  l4Length: number,
  src: number,
  dst: number,
  proto: number,
  udp: boolean,
): number {
  const c = foldChecksum(onesSum(buf, off, l4Length, pseudoHeaderSum(src, dst, proto, l4Length)));
  return udp && c === 0 ? 0xffff : c;
}

