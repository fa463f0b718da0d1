// Pure unit tests of the values read at the edge: durations, environment variables, database URLs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseDuration } from '../../src/config/duration.ts';
import { ENVIRONMENT_OVERRIDES, parseEnvironmentValue } from '../../src/config/load.ts';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from '../../src/db/open.ts';
import { UsageError } from '../../src/errors.ts';

/** Asserts that `fn` throws a one-line UsageError (exit 2) with `code` and a message matching `pattern`. */
function throwsUsage(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('parseDuration', () => {
  it('reads ms, s, m and h, with decimals, spaces and a bare number in the default unit', () => {
    const cases: [string, number][] = [
      ['500ms', 500],
      ['2s', 2000],
      ['1.5m', 90_000],
      ['1h', 3_600_000],
      ['10m', 600_000],
      [' 3 s ', 3000],
      ['0', 0],
      ['0.0015s', 2],
      ['30', 30_000],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
    assert.equal(parseDuration('250', 'ms'), 250, 'a bare number in milliseconds when asked');
  });

  it('is null for anything else', () => {
    for (const text of ['soon', '', ' ', '-1s', '2 seconds', '1d', 's', '1e3ms', '.5s', '1,5s', '2s5', 'Infinity'])
      assert.equal(parseDuration(text), null, JSON.stringify(text));
  });
});

describe('parseEnvironmentValue', () => {
  it('reads booleans in their usual spellings, whatever the case', () => {
    for (const word of ['true', 'TRUE', '1', 'yes', 'On', ' true '])
      assert.equal(parseEnvironmentValue('TRADELEDGER_AUTO_MIGRATE', 'boolean', word), true, word);
    for (const word of ['false', 'False', '0', 'no', 'OFF']) assert.equal(parseEnvironmentValue('TRADELEDGER_AUTO_MIGRATE', 'boolean', word), false, word);
  });

  it('reads whole numbers, durations (as milliseconds text for the schema) and non-empty strings', () => {
    assert.equal(parseEnvironmentValue('TRADELEDGER_MAX_BACKUPS', 'integer', ' 12 '), 12);
    assert.equal(parseEnvironmentValue('TRADELEDGER_LOCK_WAIT', 'duration', '1.5s'), '1500ms');
    assert.equal(parseEnvironmentValue('TRADELEDGER_LOCK_WAIT', 'duration', '45'), '45000ms', 'a bare number is seconds');
    assert.equal(parseEnvironmentValue('DATABASE_URL', 'string', ' sqlite:x.db '), 'sqlite:x.db');
  });

  it('refuses malformed values with a line naming the variable and what it wants', () => {
    throwsUsage(
      () => parseEnvironmentValue('TRADELEDGER_LOCK_WAIT', 'duration', 'soon'),
      'BAD_ENV',
      /^environment variable TRADELEDGER_LOCK_WAIT='soon' is not a duration: use e\.g\. 500ms, 2s or 5m$/,
    );
    throwsUsage(
      () => parseEnvironmentValue('TRADELEDGER_CREATE_BACKUP', 'boolean', 'maybe'),
      'BAD_ENV',
      /^environment variable TRADELEDGER_CREATE_BACKUP='maybe' is not a boolean: use true or false$/,
    );
    for (const bad of ['-1', '2.5', 'ten', '']) {
      throwsUsage(
        () => parseEnvironmentValue('TRADELEDGER_MAX_BACKUPS', 'integer', bad),
        'BAD_ENV',
        /^environment variable TRADELEDGER_MAX_BACKUPS='.*' is not a whole number/,
      );
    }
    throwsUsage(() => parseEnvironmentValue('DATABASE_URL', 'string', '  '), 'BAD_ENV', /^environment variable DATABASE_URL is set but empty/);
  });

  it('every variable the README documents is read', () => {
    const names = ENVIRONMENT_OVERRIDES.map((o) => o.name);
    for (const name of [
      'DATABASE_URL',
      'TRADELEDGER_AUTO_MIGRATE',
      'TRADELEDGER_TRACK_UNREALIZED_PNL',
      'TRADELEDGER_MIGRATIONS_TABLE',
      'TRADELEDGER_BACKUP_DIR',
      'TRADELEDGER_BACKUP_RETENTION_DAYS',
      'TRADELEDGER_MAX_BACKUPS',
      'TRADELEDGER_REQUIRE_CONFIRMATION',
      'TRADELEDGER_CREATE_BACKUP',
      'TRADELEDGER_VERIFY_AFTER',
      'TRADELEDGER_LOCK_TIMEOUT',
      'TRADELEDGER_STATEMENT_TIMEOUT',
      'TRADELEDGER_LOCK_WAIT',
      'TRADELEDGER_MIGRATION_RETRIES',
    ]) {
      assert.ok(names.includes(name), name);
    }
  });
});

describe('parseDatabaseUrl', () => {
  it('pglite: a directory made absolute, or memory', () => {
    assert.deepEqual(parseDatabaseUrl('pglite:data/pg'), { kind: 'pglite', target: resolve('data/pg'), display: 'pglite:data/pg' });
    assert.deepEqual(parseDatabaseUrl('pglite:///abs/pg'), { kind: 'pglite', target: '/abs/pg', display: 'pglite:/abs/pg' });
    assert.equal(parseDatabaseUrl('pglite:memory').target, 'memory');
    assert.equal(parseDatabaseUrl(DEFAULT_DATABASE_URL).target, resolve('.tradeledger/pglite'));
  });

  it('sqlite: a file made absolute, or :memory:', () => {
    assert.deepEqual(parseDatabaseUrl(' sqlite:data/state.db '), { kind: 'sqlite', target: resolve('data/state.db'), display: 'sqlite:data/state.db' });
    assert.equal(parseDatabaseUrl('sqlite:///var/lib/state.db').target, '/var/lib/state.db');
    assert.equal(parseDatabaseUrl('sqlite::memory:').target, ':memory:');
  });

  it('postgres:// and postgresql:// keep the URL as the target and hide the password in the display', () => {
    const parsed = parseDatabaseUrl('postgres://trader:s3cr%40t@db.example:5433/ledger?sslmode=require');
    assert.equal(parsed.kind, 'postgres');
    assert.equal(parsed.target, 'postgres://trader:s3cr%40t@db.example:5433/ledger?sslmode=require');
    assert.equal(parsed.display, 'postgres://trader:***@db.example:5433/ledger?sslmode=require');
    assert.equal(parseDatabaseUrl('postgresql://u@h/db').display, 'postgresql://u@h/db');
    assert.equal(parseDatabaseUrl('postgres:///ledger?host=/var/run/postgresql').kind, 'postgres', 'a socket host in the query is a host');
  });

  it('hides a password given as a query parameter too', () => {
    const parsed = parseDatabaseUrl('postgres://trader@db.example/ledger?password=s3cret&sslmode=require');
    assert.doesNotMatch(parsed.display, /s3cret/);
    assert.match(parsed.display, /sslmode=require/);
    assert.match(parsed.target, /password=s3cret/, 'the driver still gets it');
  });

  it('refuses anything else with one line listing the forms', () => {
    const forms = /use pglite:<dir>, postgres:\/\/user@host:5432\/db or sqlite:<file>$/;
    for (const url of ['mysql://x', 'pglite', 'state.db', '', 'postgres:/nohost', 'Postgres://h/db']) throwsUsage(() => parseDatabaseUrl(url), 'USAGE', forms);
    throwsUsage(() => parseDatabaseUrl('pglite:'), 'USAGE', /^malformed database URL 'pglite:': pglite: needs a directory/);
    throwsUsage(() => parseDatabaseUrl('sqlite:'), 'USAGE', /^malformed database URL 'sqlite:': sqlite: needs a file path/);
    throwsUsage(() => parseDatabaseUrl('postgres://'), 'USAGE', /^malformed database URL 'postgres:\/\/': /);
    throwsUsage(() => parseDatabaseUrl('postgres://u:p@[bad/db'), 'USAGE', /not a valid postgres:\/\/ URL/);
  });

  it('never shows the password of a malformed postgres URL either', () => {
    for (const url of ['postgres://u:hunter2@[bad/db', ' postgres://u:hunter2@/db', 'mysql://root:hunter2@db/x', 'mysql://root@db/x?password=hunter2&ssl=1']) {
      assert.throws(
        () => parseDatabaseUrl(url),
        (error: unknown) => {
          assert.ok(error instanceof UsageError);
          assert.doesNotMatch(error.message, /hunter2/, url);
          assert.match(error.message, /\*\*\*/, 'it says a password was there');
          return true;
        },
      );
    }
  });
});
