import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerHash } from '../../src/cli/hash.js';
import { UsageError } from '../../src/errors.js';
import { HASH_FIELDS, makeHasher } from '../../src/hash/index.js';
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
