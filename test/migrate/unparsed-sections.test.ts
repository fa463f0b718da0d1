// A transactional PostgreSQL file without a keyword the transaction check looks for is sent as
// written, unparsed (src/migrate/transaction-check.ts, mayNeedNoTransaction). What the parse used to
// catch before anything ran still is: a syntax error squawk finds is read by PostgreSQL's parser and
// refused with its line (exit 2); an error only the server finds names the file's line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, runBinary } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { historyOf, writeMigrations } from '../helpers/migrations.ts';

async function scalar(url: string, sql: string): Promise<unknown> {
  const db = await openDatabase(url);
  try {
    return (await db.query<{ value: unknown }>(sql))[0]?.value;
  } finally {
    await db.close();
  }
}

async function withDatabase(kind: 'postgres' | 'pglite', body: (test: TestDatabase) => Promise<void>): Promise<void> {
  const test = await createTestDatabase(kind);
  try {
    await body(test);
  } finally {
    await test.cleanup();
  }
}

const ACCOUNTS = '-- migrate:up\nCREATE TABLE accounts (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n\n-- migrate:down\nDROP TABLE accounts;\n';

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`transactional files sent unparsed on ${kind}`, () => {
    it('refuses a syntax error with PostgreSQL’s message and the line before anything runs (exit 2), --allow-unsafe or not', async () => {
      await withDatabase(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_accounts.sql': ACCOUNTS,
          '002_orders.sql': '-- migrate:up\n-- every order belongs to an account\n\nCREAT TABLE orders (id BIGINT PRIMARY KEY);\n',
        });
        for (const flags of [[], ['--allow-unsafe']]) {
          const run = await cli('migrate', 'up', '--yes', ...flags, '--db', test.url, '--dir', dir);
          assert.equal(run.code, 2, run.stderr);
          assert.match(run.stderr, /002_orders\.sql line 4: PostgreSQL cannot parse it \(syntax error at or near "CREAT"\); fix the SQL — nothing was run/);
          assert.equal(await scalar(test.url, "SELECT to_regclass('accounts') IS NULL AS value"), true, 'not even 001 ran');
        }
        // migrate plan runs no squawk: it parses what the planner sent unparsed, and never prints a plan up would refuse.
        const plan = await cli('migrate', 'plan', '--db', test.url, '--dir', dir);
        assert.equal(plan.code, 2, plan.stderr);
        assert.match(plan.stderr, /002_orders\.sql line 4: PostgreSQL cannot parse it \(syntax error at or near "CREAT"\)/);
        assert.equal(plan.stdout, '');
      });
    });

    it('a file squawk does not read (.squawk.toml excluded_paths) is still parsed before anything runs (exit 2)', async () => {
      await withDatabase(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_accounts.sql': ACCOUNTS,
          '002_orders.sql': '-- migrate:up\nCREAT TABLE orders (id BIGINT PRIMARY KEY);\n',
        });
        writeFileSync(join(test.dir, '.squawk.toml'), 'excluded_paths = ["002_*.sql"]\n');
        const run = await runBinary(['migrate', 'up', '--yes', '--db', test.url, '--dir', dir], { cwd: test.dir });
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, /002_orders\.sql line 2: PostgreSQL cannot parse it \(syntax error at or near "CREAT"\); fix the SQL — nothing was run/);
        assert.equal(await scalar(test.url, "SELECT to_regclass('accounts') IS NULL AS value"), true, 'not even 001 ran');
      });
    });

    it('migrate down refuses a down section PostgreSQL cannot parse before any step runs (exit 2)', async () => {
      await withDatabase(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_accounts.sql': '-- migrate:up\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLEE accounts;\n',
          '002_orders.sql': '-- migrate:up\nCREATE TABLE orders (id BIGINT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE orders;\n',
        });
        assert.equal((await cli('migrate', 'up', '--yes', '--db', test.url, '--dir', dir)).code, 0);
        const run = await cli('migrate', 'down', '--steps', '2', '--yes', '--db', test.url, '--dir', dir);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, /001_accounts\.sql.*PostgreSQL cannot parse it \(syntax error at or near "TABLEE"\)/);
        assert.equal(await scalar(test.url, "SELECT to_regclass('orders') IS NOT NULL AS value"), true, '002 was not reverted');
      });
    });

    it('names the file line the server’s error points at when a migration fails (exit 1)', async () => {
      await withDatabase(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_accounts.sql': ACCOUNTS,
          '002_orders.sql':
            '-- migrate:up\n-- orders copied from the accounts\nCREATE TABLE orders (id BIGINT PRIMARY KEY, account_id BIGINT);\n\nINSERT INTO orders (id, account_id)\n  SELECT id, account_number FROM accounts;\n',
        });
        const run = await cli('migrate', 'up', '--yes', '--db', test.url, '--dir', dir);
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stderr, /migration 2 \(002_orders\.sql\) up failed \[42703\] at 002_orders\.sql line 6: column "account_number" does not exist/);
        assert.deepEqual(
          (await historyOf(test.url)).map(([version, success]) => [version, success]),
          [
            [1, true],
            [2, false],
          ],
        );
        assert.equal(await scalar(test.url, "SELECT to_regclass('orders') IS NULL AS value"), true, '002 rolled back');
      });
    });
  });
}
