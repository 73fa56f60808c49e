// How replay, demo and capture print a report: table, JSON or CSV on stdout; HTML and per-flow CSV to files.

import { writeFileSync } from 'node:fs';
import { EmuError, UsageError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { writeFlowsCsv } from '../analysis/flows-csv.js';
import { renderCsv, renderHtml, renderJson, renderText } from '../report/index.js';
import type { Report } from '../stats/types.js';

export interface OutputOptions {
  json?: boolean;
  csv?: boolean;
  html?: string;
  flowsCsv?: string;
}

export function checkOutputOptions(opts: OutputOptions): void {
  if (opts.json && opts.csv) throw new UsageError('choose one of --json and --csv', 'options');
}

function writeFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new EmuError(`cannot write ${what} (${(e as NodeJS.ErrnoException).code ?? e})`, path, 1);
  }
}

export function emitReport(report: Report, engine: Engine, opts: OutputOptions, meta: { title: string; source: string }, lesson?: string): void {
  if (opts.html !== undefined) {
    writeFile(opts.html, renderHtml(report, { title: meta.title, source: meta.source, topology: engine.fabric.topology.source, generatedBy: 'ecmp-emu' }), 'HTML report');
  }
  if (opts.flowsCsv !== undefined) {
    try {
      writeFlowsCsv(engine, opts.flowsCsv);
    } catch (e) {
      throw new EmuError(`cannot write per-flow CSV (${(e as NodeJS.ErrnoException).code ?? e})`, opts.flowsCsv, 1);
    }
  }
  if (opts.json) process.stdout.write(renderJson(report) + '\n');
  else if (opts.csv) process.stdout.write(renderCsv(report));
  else process.stdout.write(renderText(report) + (lesson ? `\n${lesson}\n` : ''));
}
