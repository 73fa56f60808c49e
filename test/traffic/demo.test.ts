// traces/demo.pcap is exactly what traces/make-demo.sh says: our generator's output for its options.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCapture } from '../../src/traffic/generator.js';
import { tryParseIpv4 } from '../../src/wire/ipv4.js';
import { readPcap } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('traces/demo.pcap', () => {
  it('is byte for byte the generator output make-demo.sh asks for (at least 30k flows, a few MB)', () => {
    const script = readFileSync(resolve(ROOT, 'traces/make-demo.sh'), 'utf8');
    expect(script).toMatch(/generate --out traces\/demo\.pcap \\\n\s+--flows 32768 --packets 49152 --pattern zipf --proto mix --dst 192\.168\.100\.10 --seed 2024\n/);
    const demo = readFileSync(resolve(ROOT, 'traces/demo.pcap'));
    const want = generateCapture({
      flows: 32768,
      packets: 49152,
      pattern: 'zipf',
      proto: 'mix',
      dst: tryParseIpv4('192.168.100.10'),
      seed: 2024,
      ingressVtep: tryParseIpv4('10.1.1.254'), // the built-in fabric's ingress leaf (border)
    });
    expect(demo.length).toBeLessThan(6_000_000);
    expect(readPcap(demo).records.length).toBe(49152);
    expect(Buffer.from(want).equals(demo)).toBe(true);
  });
});
