// Headless Chromium for the page tests and the README screenshots: find it, load a page, screenshot or dump the DOM.

import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export function findChromium(): string | undefined {
  const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) {
      try {
        accessSync(join(dir, n), constants.X_OK);
        return join(dir, n);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Runs headless Chromium on a URL with extra flags; resolves to what it printed (the DOM with --dump-dom). */
export function chromium(bin: string, args: string[], url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), `ecmp-emu-chromium-${process.pid}-`));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    ...args,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(bin, flags, { timeout: 90_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`${bin} failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}
