// Child processes for pipe tests: our sources transpiled to plain ES modules in a temporary folder (no build needed).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Transpiles src/errors.ts, src/wire and src/capture into `dir`/src; returns that folder's path. */
export function transpileSources(dir: string): string {
  const files = ['src/errors.ts', ...['src/wire', 'src/capture'].flatMap((d) => fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith('.ts')).map((f) => `${d}/${f}`))];
  for (const rel of files) {
    const out = ts.transpileModule(fs.readFileSync(path.join(root, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: rel,
    });
    const dest = path.join(dir, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, out.outputText);
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  return path.join(dir, 'src');
}
