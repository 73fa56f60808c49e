// Byte-wise, table-driven CRCs: the reference definitions the per-position flow-key tables are built from.

function makeCrc32Table(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

function makeCrc16Table(): Uint16Array {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    t[n] = c & 0xffff;
  }
  return t;
}

const CRC32_TABLE = makeCrc32Table();
const CRC16_TABLE = makeCrc16Table();

/**
 * CRC-32/ISO-HDLC (reflected polynomial 0xEDB88320, final XOR 0xFFFFFFFF; check value 0xCBF43926).
 * `init` is the initial register value, 0xFFFFFFFF for the standard CRC.
 */
export function crc32(data: Uint8Array, init = 0xffffffff): number {
  let c = init >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC32_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * CRC-16/CCITT-FALSE (polynomial 0x1021, not reflected, no final XOR; check value 0x29B1).
 * `init` is the initial register value, 0xFFFF for the standard CRC.
 */
export function crc16(data: Uint8Array, init = 0xffff): number {
  let c = init & 0xffff;
  for (let i = 0; i < data.length; i++) c = (CRC16_TABLE[((c >>> 8) ^ data[i]) & 0xff] ^ (c << 8)) & 0xffff;
  return c;
}
