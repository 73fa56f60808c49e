// A one-line progress display on standard error, only when it is a terminal.

import type { ReplayProgress } from '../engine/replay.js';

export class ProgressLine {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly enabled = process.stderr.isTTY === true,
  ) {}

  update(p: ReplayProgress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const secs = Math.max((now - this.started) / 1000, 1e-3);
    const pct = p.size ? `${Math.min(100, (100 * p.bytesRead) / p.size).toFixed(1).padStart(5)}% ` : '';
    const width = 24;
    const bar = p.size ? `[${'#'.repeat(Math.round((width * Math.min(p.bytesRead, p.size)) / p.size)).padEnd(width, '.')}] ` : '';
    const line = `${this.label} ${bar}${pct}${fmt(p.packets)} frames, ${fmt(p.flows)} flows, ${(p.packets / secs / 1e6).toFixed(2)} Mpps`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\x1b[K`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
