import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseXml, textOf } from '../report/helpers.js';
import { BIN, emu } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), `ecmp-pages-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--html through the built CLI', () => {
  it('fuzz --search --html writes the heat map with every row\'s finding and reproducer', () => {
    const page = join(dir, 'search.html');
    const r = emu(['fuzz', '--search', '--algorithms', 'xor,linux-l4', '--budget', '60000', '--flows', '2000', '--save-worst', join(dir, 'w'), '--html', page, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).results as Array<{ algorithm: string; finding: string; reproducer: string; replayArgs: string[]; worstMaxOverMean: number }>;
    // Each reproducer, replayed by the built CLI as the row says, has a stage at exactly the row's max/mean.
    for (const row of rows) {
      const replay = emu(['replay', row.reproducer, ...row.replayArgs]);
      expect(replay.code, replay.stderr).toBe(0);
      expect(JSON.parse(replay.stdout).stages.map((st: { maxOverMean: number }) => st.maxOverMean)).toContain(row.worstMaxOverMean);
    }
    const text = textOf(parseXml(readFileSync(page, 'utf8')));
    expect(text).toContain('What breaks each hash: fuzz --search');
    for (const row of rows) {
      expect(text).toContain(row.finding);
      expect(text).toContain(`ecmp-emu replay ${row.reproducer}`);
    }
    // The JSON went to stdout alone: no progress line when stderr is not a terminal.
    expect(r.stderr).toBe('');
  });

  it('fuzz --html (trials) and failover --html write their pages', () => {
    const f = join(dir, 'fuzz.html');
    const o = join(dir, 'failover.html');
    expect(emu(['fuzz', '--trials', '3', '--flows', '300', '--algorithms', 'crc32', '--html', f]).code).toBe(0);
    expect(textOf(parseXml(readFileSync(f, 'utf8')))).toContain('Hash fairness: fuzz');
    const r = emu(['failover', '--fail', 'VM-A', '--flows', '3000', '--html', o]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^failover: VM-A removed/);
    expect(textOf(parseXml(readFileSync(o, 'utf8')))).toMatch(/resilient.*minimal/s);
  });

  it('an unwritable --html path is one line and exit 1', () => {
    const r = emu(['failover', '--fail', 'VM-A', '--flows', '300', '--html', join(dir, 'no/such/dir/x.html')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ecmp-emu: cannot write HTML page \(ENOENT\) \(.*x\.html\)\n$/);
  });

  it('replay --html draws the fabric diagram', () => {
    const page = join(dir, 'replay.html');
    const r = emu(['replay', 'traces/demo.pcap', '--topology', 'examples/polarized.yaml', '--html', page, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('<svg class="fabric"');
    expect(textOf(parseXml(html))).toMatch(/10,912 · \+199\.7%/);
  });
});

describe('demo --html', () => {
  it('draws the fabric diagram of the built-in fabric too', () => {
    const page = join(dir, 'demo.html');
    const r = emu(['demo', '--html', page]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('<svg class="fabric"');
    for (const n of ['border', 'leaf-1', 'leaf-2', 'leaf-3', 'VM-1', 'VM-2', 'VM-A', 'VM-B', 'VM-C']) expect(textOf(parseXml(html))).toContain(n);
  });
});

describe('progress on a terminal', () => {
  const script = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
  it.skipIf(!script)('fuzz --search shows a progress line on standard error when it is a terminal, and clears it', () => {
    // script(1) gives the command a pseudo-terminal; stdout goes to a file so only stderr reaches the terminal.
    const out = join(dir, 'tty.txt');
    const cmd = `${process.execPath} ${BIN} fuzz --search --algorithms linux-l4 --seeds per-leaf --budget 600000 >${out}`;
    const r = spawnSync(script!, ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\rfuzz: \d+\/1800000 flow evaluations \(\d+%\)/);
    expect(r.stdout).toMatch(/\r\x1b\[K/);
    expect(readFileSync(out, 'utf8')).toMatch(/^fuzz --search: 200 shapes/);
  });
});
