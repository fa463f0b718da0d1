#!/usr/bin/env node
// Checked in plain JavaScript so that an older Node says what is wrong instead of failing to parse TypeScript.
// A checkout (src/ beside bin/) runs the TypeScript itself, so what you edit is what runs; the
// published package holds no src/ and runs the compiled dist/, since Node strips no types under node_modules.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { nodeFloorProblem, PACKAGE_FLOOR, SOURCE_FLOOR } from './node-floor.js';

const source = new URL('../src/cli/main.ts', import.meta.url);
const fromSource = existsSync(source);
const problem = fromSource ? nodeFloorProblem(SOURCE_FLOOR, undefined, ' to run from a checkout (TypeScript)') : nodeFloorProblem(PACKAGE_FLOOR);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
// Node keeps the compiled (and type-stripped) modules on disk, so a second start skips that work
// (NODE_COMPILE_CACHE names the folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off).
module.enableCompileCache?.();
await import(fromSource ? source.href : '../dist/cli/main.js');
