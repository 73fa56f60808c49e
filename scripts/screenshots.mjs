// Makes the README's screenshots (docs/screenshots/*.png): the three HTML pages as the built CLI writes them, in
// headless Chromium. Run after `npm run build`: node scripts/screenshots.mjs
//
// Every page comes from a fixed seed, so a rerun draws the same pictures (up to font rendering).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const out = join(root, 'docs/screenshots');
const work = mkdtempSync(join(tmpdir(), `ecmp-emu-shots-${process.pid}-`));
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => {
  try {
    execFileSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!chromium) throw new Error('no chromium on PATH');

const run = (...args) => execFileSync(process.execPath, [cli, ...args], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
// replay runs from the checkout, so the page names the capture and topology as a reader would type them.
const replay = (...args) => execFileSync(process.execPath, [cli, 'replay', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const pages = [
  // name, window size, the command that writes the page
  ['fuzz-search', '1200,1060', () => run('fuzz', '--search', '--seed', '1', '--save-worst', 'worst', '--html', 'fuzz-search.html')],
  ['failover', '1200,560', () => run('failover', '--fail', 'VM-A', '--html', 'failover.html')],
  ['replay', '1200,1280', () => replay('traces/demo.pcap', '--topology', 'examples/polarized.yaml', '--html', join(work, 'replay.html'))],
];
try {
  for (const [name, size, make] of pages) {
    make();
    const profile = join(work, `profile-${name}`);
    execFileSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-background-networking', `--user-data-dir=${profile}`, `--window-size=${size}`, `--screenshot=${join(out, `${name}.png`)}`, `file://${join(work, `${name}.html`)}`], { stdio: 'ignore' });
    process.stdout.write(`docs/screenshots/${name}.png\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
