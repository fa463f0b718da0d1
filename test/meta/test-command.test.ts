// The project's test command must be able to fail: it runs `npm run test:files` (the command
// `npm test` ends with) on fixture folders, with DATABASE_URL set and without, and asserts that a
// failing test makes it exit non-zero while a passing one exits 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { postgresAdminUrl } from '../helpers/databases.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm run test:files -- FILE` in the project root, as a fresh top-level test run. */
function runTestCommand(file: string, databaseUrl: string | undefined): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Inside a test file, the runner marks the environment as its child's; a nested run must not inherit that.
  delete env['NODE_TEST_CONTEXT'];
  delete env['DATABASE_URL'];
  if (databaseUrl !== undefined) env['DATABASE_URL'] = databaseUrl;
  const npm = process.env['npm_execpath'];
  const [command, args] = npm !== undefined ? [process.execPath, [npm]] : ['npm', []];
  const child = spawn(command, [...args, 'run', '--silent', 'test:files', '--', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

const FAILING = 'test/fixtures/test-command/failing/fails.fixture.ts';
const PASSING = 'test/fixtures/test-command/passing/passes.fixture.ts';

for (const [label, databaseUrl] of [
  ['with DATABASE_URL set', () => postgresAdminUrl()],
  ['without DATABASE_URL (the embedded server starts)', () => undefined],
] as const) {
  describe(`the test command ${label}`, () => {
    it('exits non-zero when a test fails', async () => {
      const run = await runTestCommand(FAILING, databaseUrl());
      assert.match(run.output, /ℹ fail 1\b/, run.output);
      assert.match(run.output, /ℹ pass 1\b/, run.output);
      assert.equal(run.code, 1, run.output);
    });

    it('exits 0 when every test passes', async () => {
      const run = await runTestCommand(PASSING, databaseUrl());
      assert.match(run.output, /ℹ pass 1\b/, run.output);
      assert.equal(run.code, 0, run.output);
    });
  });
}
