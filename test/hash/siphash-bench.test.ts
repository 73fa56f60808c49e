// bench/siphash.ts runs every variant in every pattern, after checking each against the JS reference.

import { describe, expect, it } from 'vitest';
import { formatSipHashBench, runSipHashBench } from '../../bench/siphash.js';

describe('the SipHash benchmark', () => {
  it('times each variant single-call and batched, with the net first-sight cost beside the raw one', async () => {
    const rows = await runSipHashBench(256, 20);
    const names = rows.map((r) => `${r.variant} / ${r.pattern}`);
    for (const v of ['js', 'js unrolled', 'wasm (shipped)', 'wasm table', 'wasm state args']) {
      expect(names).toContain(`${v} / first sight`);
      expect(names).toContain(`${v} / batch`);
    }
    expect(names).toContain('wasm / wasm loop');
    for (const r of rows) {
      expect(r.nsPerHash, r.variant).toBeGreaterThan(0);
      expect(r.bestNs, r.variant).toBeGreaterThan(0);
      expect(r.netNs !== undefined, r.variant).toBe(r.pattern === 'first sight' && r.variant !== 'trivial hasher');
    }
    expect(formatSipHashBench(rows).split('\n')).toHaveLength(rows.length + 1);
  });
});
