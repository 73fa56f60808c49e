// Every command of SPEC §4, registered on the program.

import type { Command } from 'commander';
import { registerRoute } from './route.js';
import { registerShow } from './show.js';

export function registerCommands(program: Command): void {
  registerRoute(program);
  registerShow(program);
}
