#!/usr/bin/env node
// Checked in plain JavaScript so that an older Node says what is wrong instead of failing to parse TypeScript.
import { nodeFloorProblem } from './node-floor.js';

const problem = nodeFloorProblem();
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
await import('../src/cli/main.ts');
