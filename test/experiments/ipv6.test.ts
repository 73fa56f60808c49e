// fuzz and failover on IPv6: flow sets with IPv6 sources and flow labels through the leaves' IPv6 tables and
// hashers. The evaluator must agree with the engine: a saved worst trial replays (frames through the engine's lane)
// to a stage with exactly the row's worst max/mean, and failover's per-flow VMs are the engine's.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DUAL_STACK_YAML } from '../../bench/captures.js';
import { converge } from '../../src/fabric/converge.js';
import { loadTopology, parseTopology } from '../../src/fabric/topology.js';
import { replayCapture } from '../../src/engine/replay.js';
import { Engine } from '../../src/engine/engine.js';
import { runFailover, runFuzz } from '../../src/experiments/index.js';
import { cli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ecmp-emu-fuzz6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** IPv6 only: every VM announces the IPv6 service and nothing IPv4. */
const V6_ONLY = DUAL_STACK_YAML.replaceAll('[192.168.100.10/32, ', '[');
const v6Only = parseTopology(V6_ONLY, 'v6-only.yaml');
const dual = parseTopology(DUAL_STACK_YAML, 'dual.yaml');

describe('fuzz on IPv6', () => {
  it('an IPv6-only topology fuzzes IPv6 flows; each saved worst trial replays to a stage with exactly worstMaxOverMean', async () => {
    const run = runFuzz({ topology: v6Only, trials: 4, flows: 600, algorithms: ['linux-l3', 'linux-l4', 'xor'], seeds: ['per-leaf'], saveWorst: dir });
    expect(run.result.results).toHaveLength(9);
    for (const r of run.result.results) {
      const { report } = await replayCapture(r.reproducer!, converge(loadTopology(r.replayArgs[1]!)));
      const plan = run.plan[run.variants.find((v) => v.row === r)!.worstTrial]!;
      expect(report.flows).toBe(plan.flows);
      expect(report.stages.every((s) => s.prefix === '2001:db8:100::10/128')).toBe(true);
      const stages = report.stages.map((s) => s.maxOverMean);
      expect(stages, `${r.algorithm}/${r.selection}`).toContain(r.worstMaxOverMean);
      expect(Math.max(...stages, 1)).toBe(r.worstMaxOverMean);
    }
  });

  it('--ipv6 on a dual-stack topology gives other rows than IPv4 (other addresses hashed), the same ones twice', async () => {
    const a = JSON.parse(await cli('fuzz', '--topology', join(dir, 'dual.yaml'), '--trials', '3', '--flows', '500', '--algorithms', 'linux-l4,xor', '--seeds', 'per-leaf', '--ipv6', '--json'));
    const b = JSON.parse(await cli('fuzz', '--topology', join(dir, 'dual.yaml'), '--trials', '3', '--flows', '500', '--algorithms', 'linux-l4,xor', '--seeds', 'per-leaf', '--ipv6', '--json'));
    const v4 = JSON.parse(await cli('fuzz', '--topology', join(dir, 'dual.yaml'), '--trials', '3', '--flows', '500', '--algorithms', 'linux-l4,xor', '--seeds', 'per-leaf', '--json'));
    expect(a).toEqual(b);
    expect(a.results).toHaveLength(6);
    expect(a.results.map((r: { meanMaxOverMean: number }) => r.meanMaxOverMean)).not.toEqual(v4.results.map((r: { meanMaxOverMean: number }) => r.meanMaxOverMean));
  });
});
writeFileSync(join(dir, 'dual.yaml'), DUAL_STACK_YAML);

describe('failover on IPv6', () => {
  const r = runFailover({ topology: v6Only, fail: 'VM-A', flows: 20_000 });

  it('resilient moves exactly the flows that were on VM-A; the IPv6 flows carry flow labels', () => {
    expect(r.flows.src6).toBeDefined();
    expect(new Set(r.flows.flowLabel!).size).toBeGreaterThan(10_000);
    const d = r.details.find((x) => x.selection === 'resilient')!;
    expect(d.moved).toBe(d.minimum);
    expect(d.minimum).toBeGreaterThan(0.05);
  });

  it('each flow\'s VM before the failure is the engine\'s (processFlow6), for every selection', () => {
    for (const d of r.details) {
      const topo = parseTopology(V6_ONLY.replace('ingress:', `defaults: { selection: ${d.selection} }\ningress:`), 'sel.yaml');
      const engine = new Engine(converge(topo));
      const src = new Uint32Array(4);
      const vms = new Int32Array(r.flows.count);
      for (let f = 0; f < r.flows.count; f++) {
        for (let k = 0; k < 4; k++) src[k] = r.flows.src6![4 * f + k]!;
        const i = engine.processFlow6(src, r.flows.dst6!, r.flows.flowLabel![f]!, r.flows.proto[f]!, r.flows.sport[f]!, r.flows.dport[f]!);
        vms[f] = i >= 0 ? engine.vmOf(i) : -1;
      }
      expect(Buffer.from(vms.buffer).equals(Buffer.from(d.before.buffer)), d.selection).toBe(true);
      expect(new Set(vms).size).toBe(5);
    }
  });

  it('the dual-stack topology stays IPv4 by default, IPv6 with ipv6: true', () => {
    expect(runFailover({ topology: dual, fail: 'VM-A', flows: 1000 }).flows.src6).toBeUndefined();
    expect(runFailover({ topology: dual, fail: 'VM-A', flows: 1000, ipv6: true }).flows.src6).toBeDefined();
  });
});
