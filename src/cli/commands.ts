// Every command of SPEC §4, registered on the program.

import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerCapture } from './capture.js';
import { registerCollect } from './collect.js';
import { registerDemo } from './demo.js';
import { registerGenerate } from './generate.js';
import { registerFailover } from './failover.js';
import { registerFuzz } from './fuzz.js';
import { registerHash } from './hash.js';
import { registerImport } from './import.js';
import { registerInit } from './init.js';
import { registerReplay } from './replay.js';
import { registerRoute } from './route.js';
import { registerShow } from './show.js';

export function registerCommands(program: Command): void {
  registerBench(program);
  registerCapture(program);
  registerCollect(program);
  registerDemo(program);
  registerFailover(program);
  registerFuzz(program);
  registerGenerate(program);
  registerHash(program);
  registerImport(program);
  registerInit(program);
  registerReplay(program);
  registerRoute(program);
  registerShow(program);
}
