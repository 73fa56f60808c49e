#!/usr/bin/env node
// ecmp-emu's command line: one commander command per file; errors become one line and an exit code here.

import { Command, CommanderError } from 'commander';
import { isLivePump } from '../capture/live.js';
import { EmuError } from '../errors.js';
import { registerCommands } from './commands.js';

const program = new Command();
program
  .name('ecmp-emu')
  .description('Packet-level ECMP data-plane emulator for EVPN-VXLAN fabrics')
  .option('--debug', 'print stack traces of errors')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({
    outputError: (str, write) => write(`ecmp-emu: ${str.replace(/^error: /, '').trim()}\n`),
  });
registerCommands(program);

function fail(e: unknown): never {
  const debug = process.argv.includes('--debug');
  if (e instanceof CommanderError) {
    // commander has printed its message already; help and version are not errors.
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  if (e instanceof EmuError) {
    process.stderr.write(`ecmp-emu: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    process.exit(e.exitCode);
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPIPE') process.exit(0); // the reader went away (… | head): not our failure
  process.stderr.write(`ecmp-emu: internal error: ${err?.message ?? String(e)}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug) process.stderr.write(`${err?.stack}\n`);
  process.exit(1);
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

// Bundled (npm run build), this file also holds the live-capture pump: a pump process runs that, not a command.
if (!isLivePump()) program.parseAsync(process.argv).catch(fail);
