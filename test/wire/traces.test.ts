// The committed scapy traces are what traces/make-traces.py makes: re-run it and compare byte for byte.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { haveTool } from '../helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Debian's python3 has scapy (python3-scapy); another python3 on PATH may not.
const PY = '/usr/bin/python3';
const haveScapy = haveTool(PY, ['-c', 'import scapy.all']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecmp-traces-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveScapy)('traces/make-traces.py', () => {
  it('re-makes every committed scapy-*.pcap byte for byte', () => {
    execFileSync(PY, [path.join(root, 'traces/make-traces.py'), tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    const made = fs.readdirSync(tmp).filter((f) => f.startsWith('scapy-')).sort();
    const committed = fs.readdirSync(path.join(root, 'traces')).filter((f) => f.startsWith('scapy-')).sort();
    expect(made).toEqual(committed);
    for (const f of made) expect(fs.readFileSync(path.join(tmp, f)).equals(fs.readFileSync(path.join(root, 'traces', f))), f).toBe(true);
  });
});
