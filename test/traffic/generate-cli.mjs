// `ecmp-emu generate` as main.ts runs it, for as long as main.ts does not register the command: the built
// dist/src/cli/generate.js on a bare program, with main.ts's one-line errors and exit codes.
import { Command, CommanderError } from 'commander';
import { registerGenerate } from '../../dist/src/cli/generate.js';

const program = new Command()
  .name('ecmp-emu')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`ecmp-emu: ${str.replace(/^error: /, '').trim()}\n`) });
registerGenerate(program);
program.parseAsync(process.argv).catch((e) => {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  process.stderr.write(`ecmp-emu: ${e.message}\n`);
  process.exit(e.exitCode ?? 1);
});
