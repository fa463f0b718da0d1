#!/usr/bin/env node
// Checked in plain JavaScript so that an older Node says what is wrong instead of failing to parse TypeScript.
// A checkout (src/ beside bin/) runs the TypeScript itself, so what you edit is what runs; the
// published package holds no src/ and runs the compiled dist/, since Node strips no types under node_modules.
import { existsSync } from 'node:fs';
import { nodeFloorProblem, PACKAGE_FLOOR, SOURCE_FLOOR } from './node-floor.js';

const source = new URL('../src/cli/main.ts', import.meta.url);
const fromSource = existsSync(source);
const problem = fromSource ? nodeFloorProblem(SOURCE_FLOOR, undefined, ' to run from a checkout (TypeScript)') : nodeFloorProblem(PACKAGE_FLOOR);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}
// Node 22 announces node:sqlite as experimental when it is first loaded: that line would be the only
// stderr output that is not JSON under --json, and there is nothing a user could do about it.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (/^SQLite is an experimental feature/.test(warning instanceof Error ? warning.message : String(warning))) return;
  emitWarning(warning, ...rest);
};
await import(fromSource ? source.href : '../dist/cli/main.js');
