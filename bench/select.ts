// Benchmark: nanoseconds per NextHopGroup.select() for each selection method and a few group sizes.
import { pathToFileURL } from 'node:url';
import { NextHopGroup, SELECTIONS, type Selection } from '../src/fib/group.js';

export interface SelectBenchResult {
  selection: Selection;
  members: number;
  weights: string;
  nsPerSelect: number;
  medianNsPerSelect: number;
  selectsPerSecond: number;
}

function hashes(count: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>>= 0;
  }
  return out;
}

function timeSelect(group: NextHopGroup, input: Uint32Array): { ns: number; sink: number } {
  let sink = 0;
  const n = input.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = (sink + group.select(input[i])) | 0;
  return { ns: Number(process.hrtime.bigint() - start) / n, sink };
}

export function runSelectBench(rounds = 7): SelectBenchResult[] {
  const input = hashes(1 << 22, 0x5e1ec7);
  const shapes: Array<[string, number[]]> = [
    ['equal x3', [1, 1, 1]],
    ['1,1,3 (weighting: paths)', [1, 1, 3]],
    ['equal x16', new Array<number>(16).fill(1)],
    ['1..64', Array.from({ length: 64 }, (_, i) => i + 1)],
  ];
  const results: SelectBenchResult[] = [];
  let sink = 0;
  for (const selection of SELECTIONS) {
    for (const [name, weights] of shapes) {
      const group = new NextHopGroup(weights, selection, Math.max(128, weights.length));
      timeSelect(group, input); // warm-up
      const times: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t = timeSelect(group, input);
        times.push(t.ns);
        sink ^= t.sink;
      }
      times.sort((a, b) => a - b);
      results.push({
        selection,
        members: weights.length,
        weights: name,
        nsPerSelect: times[0],
        medianNsPerSelect: times[times.length >> 1],
        selectsPerSecond: 1e9 / times[0],
      });
    }
  }
  if (sink === 0.5) console.log(''); // keep the work observable
  return results;
}

function main(): void {
  for (const r of runSelectBench()) {
    console.log(
      `select: ${r.selection.padEnd(14)} ${r.weights.padEnd(26)} ${r.nsPerSelect.toFixed(2)} ns/select ` +
        `(median ${r.medianNsPerSelect.toFixed(2)}), ${(r.selectsPerSecond / 1e6).toFixed(0)} M/s`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
