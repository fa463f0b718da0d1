// Under --json every error is one JSON document on stderr, {"error": {"code", "message"}}, with the
// exit code the text form has: 2 bad usage (ours or commander's), 3 refused by a gate, 1 failed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { PORTABLE_MIGRATIONS, writeMigrations } from '../helpers/migrations.ts';
import { cli, runBinary, type CliRun } from '../helpers/cli.ts';

interface JsonError {
  readonly error: { readonly code: string; readonly message: string; readonly details?: readonly string[] };
}

/**
 * The run's error: stderr's last line, one JSON document (nothing on stdout). Lines before it can
 * only be progress a command printed before it failed (`applying 001 …`), never an error in text.
 */
function jsonError(run: CliRun, progressLines = 0): JsonError['error'] {
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, progressLines + 1, `${progressLines} progress line(s) and the error on stderr, got:\n${run.stderr}`);
  for (const line of lines.slice(0, -1)) assert.doesNotMatch(line, /^(tradeledger: |error: )/);
  const parsed = JSON.parse(lines.at(-1)!) as JsonError;
  assert.deepEqual(Object.keys(parsed), ['error']);
  assert.equal(typeof parsed.error.code, 'string');
  assert.equal(typeof parsed.error.message, 'string');
  return parsed.error;
}

/** Runs `argv` with and without --json: the same exit code, JSON in one, `tradeledger: …` / `error: …` text in the other. */
async function bothForms(argv: readonly string[], expectedCode: number, progressLines = 0): Promise<{ json: JsonError['error']; text: string }> {
  const text = await cli(...argv);
  const json = await cli(...argv, '--json');
  assert.equal(text.code, expectedCode, `text exit code (stderr: ${text.stderr})`);
  assert.equal(json.code, expectedCode, `JSON exit code (stderr: ${json.stderr})`);
  assert.doesNotMatch(text.stderr, /^\{/, 'the text form stays text');
  return { json: jsonError(json, progressLines), text: text.stderr };
}

describe('errors under --json', () => {
  let test: TestDatabase;
  before(async () => (test = await createTestDatabase('sqlite')));
  after(() => test.cleanup());

  it('a bad value the library refuses: exit 2, code and message', async () => {
    const { json, text } = await bothForms(['migrate', 'up', '--db', 'bogus:x', '--pack', 'risk-state'], 2);
    assert.equal(json.code, 'USAGE');
    assert.match(json.message, /^malformed database URL 'bogus:x'/);
    assert.equal(text, `tradeledger: ${json.message}\n`);
  });

  it("a command line commander refuses (unknown option, bad argument, unknown command): exit 2, commander's message without its prefix", async () => {
    assert.deepEqual(jsonError(await cli('migrate', 'up', '--bogus', '--json')), { code: 'UNKNOWN_OPTION', message: "unknown option '--bogus'" });
    const bad = await cli('migrate', 'up', '--lock-wait', 'soon', '--json');
    assert.equal(bad.code, 2);
    const invalid = jsonError(bad);
    assert.equal(invalid.code, 'INVALID_ARGUMENT');
    assert.match(invalid.message, /'soon' is not a duration/);
    const unknown = await cli('migrate', 'uo', '--json');
    assert.equal(unknown.code, 2);
    assert.equal(jsonError(unknown).code, 'UNKNOWN_COMMAND');
  });

  it('a refusal by a safety gate (drift): exit 3', async () => {
    const dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS, 'drift');
    const url = `sqlite:${join(test.dir, 'drift.db')}`;
    assert.equal((await cli('migrate', 'up', '--db', url, '--dir', dir, '--no-backup')).code, 0);
    appendFileSync(join(dir, '001_create_accounts.sql'), '-- edited\n');
    const { json } = await bothForms(['migrate', 'up', '--db', url, '--dir', dir, '--no-backup'], 3);
    assert.match(json.message, /001_create_accounts\.sql\) was edited after it was applied/);
  });

  it('a failed migration: exit 1, with the driver error in the message', async () => {
    const dir = writeMigrations(
      test.dir,
      { '001_broken.sql': '-- migrate:up\nCREATE TABLE broken (id INTEGER PRIMARY KEY,);\n-- migrate:down\nDROP TABLE broken;\n' },
      'broken',
    );
    const url = `sqlite:${join(test.dir, 'broken.db')}`;
    const { json } = await bothForms(['migrate', 'up', '--db', url, '--dir', dir, '--no-backup'], 1, 1);
    assert.match(json.message, /migration 1 \(001_broken\.sql\) up failed/);
  });

  it('control characters in a message are escaped by JSON, and the document stays one line', async () => {
    const run = await cli('migrate', 'up', '--db', 'sqlite::memory:', '--pack', 'no\x1b[31msuch\npack', '--json');
    assert.equal(run.code, 2);
    assert.ok(run.stderr.includes('\\u001b[31msuch\\npack'), run.stderr);
    assert.ok(jsonError(run).message.startsWith("unknown pack 'no\x1b[31msuch\npack'"), 'parsed, the message is the original text');
  });

  it('the installed command prints only the JSON document on stderr', async () => {
    const run = await runBinary(['migrate', 'up', '--db', 'bogus:x', '--pack', 'risk-state', '--json']);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(jsonError(run).code, 'USAGE');
  });
});
