import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { crc16, crc32 } from '../../src/hash/crc.js';
import {
  displayHash,
  HASH_ALGORITHMS,
  HASH_FIELDS,
  makeHasher,
  parseHashFields,
  type HashAlgorithm,
  type HashField,
} from '../../src/hash/index.js';
import { messageLayout } from '../../src/hash/fields.js';
import { referenceHash } from '../../src/hash/linear.js';
import { RSS_DEFAULT_KEY, toeplitz, toeplitzKey } from '../../src/hash/toeplitz.js';
import { ip, linuxFlowHashBig } from './oracle.js';

const ALL = HASH_FIELDS;
const FC = { seed: 0x5eed, numRuns: 500 };
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const flowArb = fc.tuple(u32, u32, u8, u16, u16);
const fieldsArb = fc.subarray([...HASH_FIELDS]);

/** The message a byte-wise hash reads for this flow and selection, built by hand. */
function message(fields: readonly HashField[], src: number, dst: number, proto: number, sport: number, dport: number): Uint8Array {
  const out: number[] = [];
  if (fields.includes('src-ip')) out.push(src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255);
  if (fields.includes('dst-ip')) out.push(dst >>> 24, (dst >>> 16) & 255, (dst >>> 8) & 255, dst & 255);
  if (fields.includes('src-port')) out.push(sport >>> 8, sport & 255);
  if (fields.includes('dst-port')) out.push(dport >>> 8, dport & 255);
  if (fields.includes('protocol')) out.push(proto);
  return Uint8Array.from(out);
}

describe('CRC', () => {
  const check = new TextEncoder().encode('123456789');
  it('CRC-32/ISO-HDLC check value is 0xCBF43926', () => expect(crc32(check)).toBe(0xcbf43926));
  it('CRC-16/CCITT-FALSE check value is 0x29B1', () => expect(crc16(check)).toBe(0x29b1));

  // Expected values from Python's zlib.crc32 and binascii.crc_hqx (independent implementations) over
  // 10.0.0.1 -> 192.168.100.10 tcp 12345 -> 80, message 0a000001 c0a8640a 3039 0050 06.
  const [s, d, p, sp, dp] = [ip('10.0.0.1'), ip('192.168.100.10'), 6, 12345, 80];
  it('crc32 over a flow key matches zlib', () => {
    expect(makeHasher({ algorithm: 'crc32', seed: 0, fields: ALL })(s, d, p, sp, dp)).toBe(0xba3e08b7);
    expect(makeHasher({ algorithm: 'crc32', seed: 0, fields: ['src-ip', 'dst-ip'] })(s, d, p, sp, dp)).toBe(0x89e04f72);
  });
  it('crc32 seed is the initial register value', () => {
    // zlib.crc32(m, 0x12345678 ^ 0xffffffff): zlib's running value is the register after the final XOR
    expect(makeHasher({ algorithm: 'crc32', seed: 0x12345678, fields: ALL })(s, d, p, sp, dp)).toBe(0xc2ec8884);
  });
  it('crc16 over a flow key matches binascii.crc_hqx, replicated into both halves', () => {
    expect(makeHasher({ algorithm: 'crc16', seed: 0, fields: ALL })(s, d, p, sp, dp)).toBe(0xf75af75a);
    expect(makeHasher({ algorithm: 'crc16', seed: 0, fields: ['dst-ip', 'src-ip'] })(s, d, p, sp, dp)).toBe(0xcb2ecb2e);
    expect(makeHasher({ algorithm: 'crc16', seed: 0x1234, fields: ALL })(s, d, p, sp, dp)).toBe(0x17001700);
  });
  it('xor folds the message into 16 bits, replicated', () => {
    expect(makeHasher({ algorithm: 'xor', seed: 0, fields: ALL })(s, d, p, sp, dp)).toBe(0x98ca98ca);
  });
  it('a CRC seed only XORs every same-length key\'s hash with one constant (SPEC §3)', () => {
    for (const algorithm of ['crc32', 'crc16'] as const) {
      const h0 = makeHasher({ algorithm, seed: 0, fields: ALL });
      const h1 = makeHasher({ algorithm, seed: 0xa5a5f00d, fields: ALL });
      const c = (h0(1, 2, 3, 4, 5) ^ h1(1, 2, 3, 4, 5)) >>> 0;
      fc.assert(fc.property(flowArb, (f) => ((h0(...f) ^ h1(...f)) >>> 0) === c), FC);
    }
  });
});

describe('Toeplitz', () => {
  it('seed 0 is the published RSS key', () => {
    expect(Buffer.from(toeplitzKey(0)).toString('hex')).toBe(
      '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa',
    );
  });
  // Microsoft, "Verifying the RSS Hash Calculation", IPv4 table: source, destination, IPv4 only, IPv4 with TCP.
  const table: [string, number, string, number, number, number][] = [
    ['66.9.149.187', 2794, '161.142.100.80', 1766, 0x323e8fc2, 0x51ccc178],
    ['199.92.111.2', 14230, '65.69.140.83', 4739, 0xd718262a, 0xc626b0ea],
    ['24.19.198.95', 12898, '12.22.207.184', 38024, 0xd2d0a5de, 0x5c2b394a],
    ['38.27.205.30', 48228, '209.142.163.6', 2217, 0x82989176, 0xafc7327f],
    ['153.39.163.191', 44251, '202.188.127.2', 1303, 0x5d1809c5, 0x10e828a2],
  ];
  const l3 = makeHasher({ algorithm: 'toeplitz', seed: 0, fields: ['src-ip', 'dst-ip'] });
  const l4 = makeHasher({ algorithm: 'toeplitz', seed: 0, fields: ['src-ip', 'dst-ip', 'src-port', 'dst-port'] });
  it.each(table)('%s:%i -> %s:%i', (src, sport, dst, dport, ipOnly, withTcp) => {
    expect(l3(ip(src), ip(dst), 6, sport, dport)).toBe(ipOnly);
    expect(l4(ip(src), ip(dst), 6, sport, dport)).toBe(withTcp);
  });
  it('other seeds derive other, fixed keys', () => {
    expect(toeplitzKey(7)).toEqual(toeplitzKey(7));
    expect(toeplitzKey(7)).not.toEqual(RSS_DEFAULT_KEY);
    expect(toeplitzKey(7)).not.toEqual(toeplitzKey(8));
    const h = makeHasher({ algorithm: 'toeplitz', seed: 7, fields: ALL });
    expect(h(1, 2, 6, 3, 4)).toBe(toeplitz(toeplitzKey(7), message(ALL, 1, 2, 6, 3, 4)));
  });
});

describe('compiled tables equal the byte-wise definitions', () => {
  for (const algorithm of ['crc32', 'crc16', 'xor', 'toeplitz'] as const) {
    it(algorithm, () => {
      fc.assert(
        fc.property(fieldsArb, u32, flowArb, (fields, seed, [s, d, p, sp, dp]) => {
          const ref = referenceHash(algorithm, seed);
          return makeHasher({ algorithm, seed, fields })(s, d, p, sp, dp) === ref(message(fields, s, d, p, sp, dp));
        }),
        { ...FC, numRuns: 200 },
      );
    });
  }
  it('message layout reads src-ip, dst-ip, src-port, dst-port, protocol', () => {
    const { length, offset } = messageLayout(['protocol', 'dst-port', 'src-ip']);
    expect(length).toBe(7);
    expect([...offset]).toEqual([0, 1, 2, 3, -1, -1, -1, -1, -1, -1, 4, 5, 6]);
  });
});

describe('linux-l3 / linux-l4', () => {
  it('equal the BigInt reference of the kernel\'s flow_keys hash, for any seed and flow', () => {
    const l3 = new Map<number, ReturnType<typeof makeHasher>>();
    const l4 = new Map<number, ReturnType<typeof makeHasher>>();
    fc.assert(
      fc.property(u32, flowArb, (seed, [s, d, p, sp, dp]) => {
        const h3 = l3.get(seed) ?? makeHasher({ algorithm: 'linux-l3', seed, fields: ALL });
        const h4 = l4.get(seed) ?? makeHasher({ algorithm: 'linux-l4', seed, fields: ALL });
        l3.set(seed, h3);
        l4.set(seed, h4);
        return (
          h3(s, d, p, sp, dp) === linuxFlowHashBig(0, seed, s, d, p, sp, dp) &&
          h4(s, d, p, sp, dp) === linuxFlowHashBig(1, seed, s, d, p, sp, dp)
        );
      }),
      FC,
    );
  });
  it('consistentify edge cases: equal addresses, equal ports, byte-swapped order differing from numeric order', () => {
    const h = makeHasher({ algorithm: 'linux-l4', seed: 99, fields: ALL });
    const cases: [number, number, number, number, number][] = [
      [ip('10.0.0.2'), ip('9.0.0.3'), 6, 0x0100, 0x0002], // numerically src > dst, swapped compare src < dst
      [ip('1.2.3.4'), ip('1.2.3.4'), 17, 5, 5],
      [0, 0xffffffff, 17, 0, 0xffff],
      [0x80000000, 0x7fffffff, 6, 0x8000, 0x7fff],
      [0x00000080, 0x000000ff, 6, 0x0080, 0x00ff], // differ in the byte that lands in the top of the swapped u32
    ];
    for (const [s, d, p, sp, dp] of cases) expect(h(s, d, p, sp, dp)).toBe(linuxFlowHashBig(1, 99, s, d, p, sp, dp));
  });
  it('linux-l4 is symmetric, and (since addresses and ports are sorted independently) so is swapping either pair', () => {
    const h = makeHasher({ algorithm: 'linux-l4', seed: 0xc0ffee, fields: ALL });
    fc.assert(
      fc.property(flowArb, ([s, d, p, sp, dp]) => {
        const x = h(s, d, p, sp, dp);
        return x === h(d, s, p, dp, sp) && x === h(d, s, p, sp, dp) && x === h(s, d, p, dp, sp);
      }),
      FC,
    );
  });
  it('linux-l3 reads only the addresses, and is symmetric', () => {
    const h = makeHasher({ algorithm: 'linux-l3', seed: 5, fields: ALL });
    fc.assert(fc.property(flowArb, u8, u16, u16, ([s, d, p, sp, dp], p2, sp2, dp2) =>
      h(s, d, p, sp, dp) === h(d, s, p2, sp2, dp2)), FC);
  });
  it('never returns 0, and returns the kernel\'s u32 (displayHash shifts it to the 31-bit value)', () => {
    const h = makeHasher({ algorithm: 'linux-l4', seed: 1, fields: ALL });
    fc.assert(fc.property(flowArb, (f) => {
      const x = h(...f);
      return x >= 1 && x <= 0xffffffff && displayHash('linux-l4', x) === x >>> 1;
    }), FC);
    expect(displayHash('crc32', 0xfedcba98)).toBe(0xfedcba98);
  });
});

describe('every algorithm', () => {
  it('reads each selected field and ignores each unselected one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASH_ALGORITHMS), fieldsArb, u32, flowArb, fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 255 }), (algorithm, fields, seed, flow, which, delta) => {
          const h = makeHasher({ algorithm, seed, fields });
          const field = HASH_FIELDS[which];
          const changed = [...flow] as typeof flow;
          // flow tuple order: src, dst, proto, sport, dport; HASH_FIELDS order: src-ip, dst-ip, protocol, src-port, dst-port
          changed[which] = which === 2 ? flow[2] ^ delta : which >= 3 ? flow[which] ^ delta : (flow[which] ^ (delta << 24)) >>> 0;
          const read = fields.includes(field) && !(algorithm === 'linux-l3' && which >= 2);
          const same = h(...flow) === h(...changed);
          // a one-byte change in a selected field always shows for the CRCs and the fold; for Toeplitz and
          // SipHash it could cancel only with negligible probability, which fixed seeds make reproducible
          return read ? !same : same;
        }),
      FC,
    );
  });
  it('is deterministic: same spec, same hash, across hasher instances', () => {
    for (const algorithm of HASH_ALGORITHMS) {
      const a = makeHasher({ algorithm, seed: 42, fields: ALL });
      const b = makeHasher({ algorithm, seed: 42, fields: [...ALL].reverse() });
      fc.assert(fc.property(flowArb, (f) => a(...f) === b(...f) && a(...f) === a(...f)), { ...FC, numRuns: 100 });
    }
  });
  it('distinct seeds give distinct hashes', () => {
    for (const algorithm of HASH_ALGORITHMS) {
      const a = makeHasher({ algorithm, seed: 1, fields: ALL });
      const b = makeHasher({ algorithm, seed: 2, fields: ALL });
      expect(a(ip('10.0.0.1'), ip('10.0.0.2'), 6, 1000, 80), algorithm).not.toBe(b(ip('10.0.0.1'), ip('10.0.0.2'), 6, 1000, 80));
    }
  });
});

describe('spec validation', () => {
  it('parseHashFields validates and de-duplicates', () => {
    expect(parseHashFields('src-ip, dst-ip,src-ip')).toEqual(['src-ip', 'dst-ip']);
    expect(() => parseHashFields('src-ip,colour')).toThrow(UsageError);
    expect(() => parseHashFields('')).toThrow(UsageError);
  });
  it('makeHasher rejects unknown algorithms, fields and bad seeds', () => {
    expect(() => makeHasher({ algorithm: 'md5' as HashAlgorithm, seed: 0, fields: ALL })).toThrow(UsageError);
    expect(() => makeHasher({ algorithm: 'crc32', seed: -1, fields: ALL })).toThrow(UsageError);
    expect(() => makeHasher({ algorithm: 'crc32', seed: 2 ** 32, fields: ALL })).toThrow(UsageError);
    expect(() => makeHasher({ algorithm: 'crc32', seed: 0, fields: ['vlan' as HashField] })).toThrow(UsageError);
  });
  it('HASH_FIELDS is the default list, in order', () => {
    expect(HASH_FIELDS).toEqual(['src-ip', 'dst-ip', 'protocol', 'src-port', 'dst-port']);
  });
});
