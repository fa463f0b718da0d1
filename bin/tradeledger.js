#!/usr/bin/env node
// Checked in plain JavaScript so that an older Node says what is wrong instead of failing to parse TypeScript.
import module from 'node:module';
import { nodeFloorProblem } from './node-floor.js';

const problem = nodeFloorProblem();
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
// Node keeps the compiled (and type-stripped) modules on disk, so a second start skips that work
// (NODE_COMPILE_CACHE names the folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off).
module.enableCompileCache?.();
await import('../src/cli/main.ts');
