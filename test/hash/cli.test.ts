import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerHash } from '../../src/cli/hash.js';
import { UsageError } from '../../src/errors.js';
import { HASH_FIELDS, makeHasher } from '../../src/hash/index.js';
import { makeLinux6Hasher } from '../../src/hash/linux6.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { ip } from './oracle.js';

/** Runs `hash ...args` on a fresh program; returns what it printed. */
async function hash(...args: string[]): Promise<string> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerHash(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['hash', ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('hash command', () => {
  it('prints the first RSS verification row, with and without ports (the conformance check)', async () => {
    expect(await hash('toeplitz', '--src', '66.9.149.187', '--dst', '161.142.100.80', '--proto', 'tcp', '--sport', '2794',
      '--dport', '1766', '--fields', 'src-ip,dst-ip,src-port,dst-port')).toBe('0x51ccc178\n');
    expect(await hash('toeplitz', '--src', '66.9.149.187', '--dst', '161.142.100.80', '--fields', 'src-ip,dst-ip'))
      .toBe('0x323e8fc2\n');
  });
  it('prints linux-l4 as the kernel\'s 31-bit value, lowercase, 8 digits', async () => {
    const h = makeHasher({ algorithm: 'linux-l4', seed: 0xbeef, fields: HASH_FIELDS });
    const want = `0x${(h(ip('10.0.0.1'), ip('192.168.100.10'), 17, 5000, 53) >>> 1).toString(16).padStart(8, '0')}\n`;
    expect(await hash('linux-l4', '--src', '10.0.0.1', '--dst', '192.168.100.10', '--proto', 'udp', '--sport', '5000',
      '--dport', '53', '--seed', '0xbeef')).toBe(want);
    expect(want).toMatch(/^0x[0-7][0-9a-f]{7}\n$/);
  });
  it('accepts a protocol number and defaults seed, ports and fields', async () => {
    const h = makeHasher({ algorithm: 'crc32', seed: 0, fields: HASH_FIELDS });
    expect(await hash('crc32', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--proto', '47'))
      .toBe(`0x${h(ip('1.2.3.4'), ip('5.6.7.8'), 47, 0, 0).toString(16).padStart(8, '0')}\n`);
  });
  it.each([
    [['md5', '--src', '1.2.3.4', '--dst', '5.6.7.8'], /unknown algorithm 'md5'/],
    [['crc32', '--dst', '5.6.7.8'], /--src is required/],
    [['crc32', '--src', '1.2.3', '--dst', '5.6.7.8'], /bad IPv4 address/],
    [['crc32', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--sport', '70000'], /not an integer in 0\.\.65535/],
    [['crc32', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--proto', 'gre'], /not an integer in 0\.\.255/],
    [['crc32', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--seed', '-1'], /not an integer/],
    [['crc32', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--fields', 'src-ip,ttl'], /unknown hash field 'ttl'/],
    [['crc32', '--src', '1.2.3.4', '--dst', '5.6.7.8', '--proto', 'icmp', '--sport', '5'], /icmp has no ports/],
  ])('rejects %j with a UsageError', async (args, message) => {
    const e = await hash(...args).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(message);
  });
});

describe('hash command over IPv6', () => {
  it('prints the RSS verification table\'s IPv6 rows (Toeplitz, with and without ports)', async () => {
    const args = ['--src', '3ffe:2501:200:1fff::7', '--dst', '3ffe:2501:200:3::1', '--proto', 'tcp', '--sport', '2794', '--dport', '1766'];
    expect(await hash('toeplitz', ...args, '--fields', 'src-ip,dst-ip,src-port,dst-port')).toBe('0x40207d3d\n');
    expect(await hash('toeplitz', ...args, '--fields', 'src-ip,dst-ip')).toBe('0x2cc18cd5\n');
  });

  it('prints linux-l3/l4 as rt6_multipath_hash gives them (>> 1); linux-l3 reads the flow label, linux-l4 does not', async () => {
    const src = parseIpv6('2001:db8::1');
    const dst = parseIpv6('2001:db8:100::10');
    const args = ['--src', '2001:db8::1', '--dst', '2001:db8:100::10', '--proto', 'udp', '--sport', '5000', '--dport', '53', '--seed', '7'];
    const l4 = makeLinux6Hasher(1, 7, HASH_FIELDS)(src, dst, 17, 5000, 53, 0) >>> 1;
    expect(await hash('linux-l4', ...args)).toBe(`0x${l4.toString(16).padStart(8, '0')}\n`);
    expect(await hash('linux-l4', ...args, '--flowlabel', '0x12345')).toBe(`0x${l4.toString(16).padStart(8, '0')}\n`);
    const l3 = makeLinux6Hasher(0, 7, HASH_FIELDS)(src, dst, 17, 0, 0, 0x12345) >>> 1;
    expect(await hash('linux-l3', ...args, '--flowlabel', '0x12345')).toBe(`0x${l3.toString(16).padStart(8, '0')}\n`);
    expect(await hash('linux-l3', ...args)).not.toBe(`0x${l3.toString(16).padStart(8, '0')}\n`);
  });

  it.each([
    [['crc32', '--src', '2001:db8::1', '--dst', '10.0.0.1'], /bad IPv6 address '10.0.0.1' \(both addresses of a flow are of one family\)/],
    [['crc32', '--src', '2001:db8::g', '--dst', '2001:db8::1'], /bad IPv6 address/],
    [['crc32', '--src', '10.0.0.2', '--dst', '10.0.0.1', '--flowlabel', '1'], /IPv4 flow has no flow label/],
    [['crc32', '--src', '2001:db8::2', '--dst', '2001:db8::1', '--flowlabel', '0x100000'], /not an integer in 0\.\.1048575/],
    [['crc32', '--src', '2001:db8::2', '--dst', '2001:db8::1', '--fields', 'src-ip,ttl'], /unknown hash field 'ttl'/],
  ])('rejects %j with a UsageError', async (args, message) => {
    const e = await hash(...args).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(message);
  });
});
