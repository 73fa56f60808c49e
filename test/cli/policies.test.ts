// Linux's policies 2 and 3 from the command line: `hash` prints them, and a fabric hashing with them replays.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOPOLOGY_YAML } from '../../src/fabric/topology.js';
import { makeHasher } from '../../src/hash/index.js';
import { ADDR_IPV4, HASH_FIELD_BITS as B, LinuxFlowKeys, policy3Hash } from '../../src/hash/linux-keys.js';
import { emu } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'ecmp-policies-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('linux-l3-inner and linux-custom from the CLI', () => {
  it('hash prints policy 3 over the chosen fields (jhash_2words with no inner header), >> 1', () => {
    const r = emu(['hash', 'linux-custom', '--src', '10.0.0.1', '--dst', '192.168.100.10', '--proto', 'udp', '--sport', '5000', '--dport', '53',
      '--seed', '7', '--fields', 'src-ip,dst-ip,dst-port,inner-src-ip']);
    expect(r.stderr).toBe('');
    const k = new LinuxFlowKeys();
    k.addrType = ADDR_IPV4;
    k.src[0] = 0x0a000001;
    k.dst[0] = 0xc0a8640a | 0;
    k.proto = 17;
    k.sport = 5000;
    k.dport = 53;
    const want = policy3Hash(7, B['src-ip'] | B['dst-ip'] | B['dst-port'] | B['inner-src-ip'], { outer: k, inner: null }) >>> 1;
    expect(r.stdout).toBe(`0x${want.toString(16).padStart(8, '0')}\n`);
    const l3 = makeHasher({ algorithm: 'linux-l3', seed: 7, fields: ['src-ip', 'dst-ip'] })(0x0a000001, 0xc0a8640a, 17, 5000, 53) >>> 1;
    expect(emu(['hash', 'linux-l3-inner', '--src', '10.0.0.1', '--dst', '192.168.100.10', '--seed', '7']).stdout).toBe(`0x${l3.toString(16).padStart(8, '0')}\n`);
  });

  it('a fabric hashing with linux-custom replays, and an inner field on another algorithm is a one-line exit 2', () => {
    const custom = join(tmp, 'custom.yaml');
    writeFileSync(custom, DEFAULT_TOPOLOGY_YAML.replace('leaves:\n', 'defaults:\n  hash: { algorithm: linux-custom, fields: [src-ip, dst-ip, src-port, inner-dst-port] }\nleaves:\n'));
    const r = emu(['replay', 'traces/demo.pcap', '--topology', custom, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { flows: number; vms: { flows: number }[] };
    expect(report.flows).toBeGreaterThan(1000);
    expect(report.vms.filter((v) => v.flows > 0)).toHaveLength(5);
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, DEFAULT_TOPOLOGY_YAML.replace('leaves:\n', 'defaults:\n  hash: { algorithm: linux-l4, fields: [src-ip, inner-dst-port] }\nleaves:\n'));
    const e = emu(['replay', 'traces/demo.pcap', '--topology', bad]);
    expect(e.code).toBe(2);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/^ecmp-emu: hash field 'inner-dst-port' is read by linux-custom only/);
  });
});

describe('fuzz takes the policy algorithms by name', () => {
  it('--algorithms linux-custom,linux-l3-inner runs their rows; the default and `all` stay the six', () => {
    const r = emu(['fuzz', '--algorithms', 'linux-custom,linux-l3-inner', '--selections', 'hash-threshold', '--trials', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { results: { algorithm: string }[] }).results.map((x) => x.algorithm);
    expect(new Set(rows)).toEqual(new Set(['linux-custom', 'linux-l3-inner', 'linux-custom (shared seed)', 'linux-l3-inner (shared seed)']));
    const all = emu(['fuzz', '--algorithms', 'all', '--selections', 'modulo', '--trials', '1', '--json']);
    expect((JSON.parse(all.stdout) as { results: { algorithm: string }[] }).results.some((x) => x.algorithm.startsWith('linux-custom'))).toBe(false);
  });
});
