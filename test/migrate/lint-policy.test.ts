// The lint policy and PostgreSQL's own parser on files written the way real projects write them
// (test/fixtures/real-project: INTEGER and CHAR columns, an index on a table created in the same
// run, BEGIN ATOMIC functions after a CONCURRENTLY index, DO blocks, tagged dollar quotes), through
// `migrate up` on PostgreSQL and PGlite.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/db/open.ts';
import type { DatabaseKind, TracedStatement } from '../../src/db/port.ts';
import { planUp, renderPlan } from '../../src/migrate/planner.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { readMigrationState } from '../../src/migrate/state.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { cli, runBinary } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { historyOf, testSettings, writeMigrations } from '../helpers/migrations.ts';

const REAL_PROJECT = fileURLToPath(new URL('../fixtures/real-project/migrations', import.meta.url));

/** The real-project fixture copied into the test's own folder. */
function project(test: TestDatabase): string {
  const dir = join(test.dir, 'migrations');
  cpSync(REAL_PROJECT, dir, { recursive: true });
  return dir;
}

async function scalar(url: string, sql: string): Promise<unknown> {
  const db = await openDatabase(url);
  try {
    const rows = await db.query<{ value: unknown }>(sql);
    return rows[0]?.value;
  } finally {
    await db.close();
  }
}

async function withDatabase(kind: DatabaseKind, body: (test: TestDatabase) => Promise<void>): Promise<void> {
  const test = await createTestDatabase(kind);
  try {
    await body(test);
  } finally {
    await test.cleanup();
  }
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`lint policy and parser on ${kind}`, () => {
    it("applies a real project's files: type and style findings are warnings with file and line, never blocking", async () => {
      await withDatabase(kind, async (test) => {
        const dir = project(test);
        const run = await cli('migrate', 'up', '--yes', '--db', test.url, '--dir', dir);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stderr, /^warning: 001_create_exchanges\.sql:11 prefer-bigint-over-int: /m);
        assert.match(run.stderr, /^warning: 001_create_exchanges\.sql:5 ban-char-field: /m);
        assert.match(run.stderr, /^warning: 001_create_exchanges\.sql:6 prefer-text-field: /m);
        // Printed before the first migration ran.
        assert.ok(run.stderr.indexOf('warning: ') < run.stderr.indexOf('applying 001'), run.stderr);
        // Lock rules do not flag statements on tables the same run created (the index and the
        // foreign key in 001 on pairs, the index in 002 on pairs from 001), and the runner's own
        // lock_timeout and statement_timeout satisfy squawk's timeout rules.
        assert.doesNotMatch(run.stderr, /require-concurrent-index-creation|adding-foreign-key-constraint|require-(lock|statement)-timeout/);
        assert.deepEqual(
          (await historyOf(test.url)).map(([version, success]) => [version, success]),
          [
            [1, true],
            [2, true],
            [3, true],
          ],
        );
        // The BEGIN ATOMIC bodies arrived whole, after the CONCURRENTLY index before them.
        assert.equal(await scalar(test.url, "SELECT pair_symbol(' btc', 'usdt ') AS value"), 'BTC/USDT');
        assert.equal(String(await scalar(test.url, 'SELECT pair_count(1) AS value')), '0');
        assert.equal(await scalar(test.url, "SELECT count(*)::int AS value FROM pg_type WHERE typname = 'order_side'"), 1);
      });
    });

    it('blocks a lock rule on a table an earlier run created, naming the rule --allow-unsafe lets through', async () => {
      await withDatabase(kind, async (test) => {
        const dir = project(test);
        assert.equal((await cli('migrate', 'up', '--yes', '--to', '1', '--db', test.url, '--dir', dir)).code, 0);
        const refused = await cli('migrate', 'up', '--yes', '--db', test.url, '--dir', dir);
        assert.equal(refused.code, 3, refused.stderr);
        assert.match(
          refused.stderr,
          /squawk: 002_pair_functions\.sql line 3 \(require-concurrent-index-creation\): .* pass --allow-unsafe require-concurrent-index-creation to apply it anyway/,
        );
        assert.deepEqual(
          (await historyOf(test.url)).map(([version]) => version),
          [1],
        );
        const other = await cli('migrate', 'up', '--yes', '--allow-unsafe', 'ban-drop-table', '--db', test.url, '--dir', dir);
        assert.equal(other.code, 3, 'allowing another rule lets nothing else through');
        const allowed = await cli(
          'migrate',
          'up',
          '--yes',
          '--allow-unsafe',
          'ban-drop-table,require-concurrent-index-creation',
          '--db',
          test.url,
          '--dir',
          dir,
        );
        assert.equal(allowed.code, 0, allowed.stderr);
        assert.match(allowed.stderr, /^allowed by --allow-unsafe: 002_pair_functions\.sql:3 require-concurrent-index-creation: /m);
      });
    });

    it('honours .squawk.toml excluded_rules, found from the working directory as squawk finds it', async () => {
      await withDatabase(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_create_exchanges.sql': '-- migrate:up\nCREATE TABLE exchanges (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n',
          '002_drop_exchange_name.sql': '-- migrate:up\nALTER TABLE exchanges DROP COLUMN name;\nALTER TABLE exchanges ADD COLUMN code CHAR(4);\n',
        });
        const refused = await runBinary(['migrate', 'up', '--yes', '--db', test.url, '--dir', dir], { cwd: test.dir });
        assert.equal(refused.code, 3, refused.stderr);
        assert.match(refused.stderr, /002_drop_exchange_name\.sql line 2 \(ban-drop-column\)/);
        writeFileSync(join(test.dir, '.squawk.toml'), 'excluded_rules = ["ban-drop-column", "prefer-text-field"]\n');
        const run = await runBinary(['migrate', 'up', '--yes', '--db', test.url, '--dir', dir], { cwd: test.dir });
        assert.equal(run.code, 0, run.stderr);
        assert.doesNotMatch(run.stderr, /ban-drop-column/);
        assert.match(run.stderr, /^warning: 002_drop_exchange_name\.sql:3 ban-char-field: /m, 'the rules it does not exclude still warn');
        assert.equal(await scalar(test.url, "SELECT count(*)::int AS value FROM information_schema.columns WHERE table_name = 'exchanges'"), 2);
      });
    });

    it('refuses CONCURRENTLY in a transactional file and psql meta-commands before anything runs (exit 2)', async () => {
      await withDatabase(kind, async (test) => {
        const concurrently = writeMigrations(
          test.dir,
          {
            '001_accounts.sql': '-- migrate:up\nCREATE TABLE accounts (id BIGINT PRIMARY KEY, name TEXT);\n',
            '002_index.sql': '-- migrate:up\n-- the index every lookup wants\nCREATE INDEX CONCURRENTLY accounts_name ON accounts (name);\n',
          },
          'concurrently',
        );
        const run = await cli('migrate', 'up', '--yes', '--allow-unsafe', '--db', test.url, '--dir', concurrently);
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, /002_index\.sql line 3: CREATE INDEX CONCURRENTLY cannot run inside a transaction block.*'-- migrate:no-transaction'/);
        assert.equal(await scalar(test.url, "SELECT to_regclass('accounts') IS NULL AS value"), true, 'not even 001 ran');

        const psql = writeMigrations(
          test.dir,
          { '001_accounts.sql': '-- migrate:up\n\\connect trading\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);\n\\i 002_more.sql\n' },
          'psql',
        );
        const meta = await cli('migrate', 'plan', '--db', test.url, '--dir', psql);
        assert.equal(meta.code, 2, meta.stderr);
        assert.match(meta.stderr, /001_accounts\.sql line 2: '\\connect' is a psql meta-command, not SQL/);
      });
    });

    it('plans byte for byte what up sends, BEGIN ATOMIC and DO blocks included', async () => {
      await withDatabase(kind, async (test) => {
        const dir = project(test);
        const source = directorySource(dir);
        const trace: TracedStatement[] = [];
        const db = await openDatabase(test.url, { trace: (statement) => trace.push(statement) });
        try {
          const state = await readMigrationState(db, source, testSettings().plan);
          const planned = renderPlan(planUp(state.status, state.context));
          trace.length = 0;
          // Whatever squawk says: this is about what is sent.
          await migrateUp(db, source, testSettings(), { allowUnsafe: true });
          assert.equal(
            trace
              .filter((t) => t.method === 'exec')
              .map((t) => t.sql)
              .join('\n'),
            planned,
          );
          assert.match(planned, /\nBEGIN ATOMIC\n {4}SELECT count\(\*\) FROM pairs WHERE exchange_id = p_exchange;\nEND;\n/);
        } finally {
          await db.close();
        }
      });
    });
  });
}

describe('migrate lint', () => {
  it('says it lints PostgreSQL only when the database is SQLite', async () => {
    await withDatabase('sqlite', async (test) => {
      const run = await cli('migrate', 'lint', '--db', test.url, '--dir', REAL_PROJECT);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /is SQLite: migrate lint lints PostgreSQL migrations only/);
    });
  });

  it('fails only on findings that would block up, each file on its own; warnings are listed with file and line', async () => {
    await withDatabase('pglite', async (test) => {
      const dir = writeMigrations(test.dir, {
        '001_create_exchanges.sql':
          '-- migrate:up\nCREATE TABLE exchanges (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX exchanges_name ON exchanges (name);\n',
      });
      const clean = await cli('migrate', 'lint', '--dir', dir);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /^warning: 001_create_exchanges\.sql:2 prefer-identity: /m);
      assert.match(clean.stdout, /squawk: 0 blocking finding\(s\), 2 warning\(s\) in 1 migration\(s\)/);
    });
    // The real project's 002 indexes a table 001 created: new in a first `up`, but `migrate lint`
    // cannot know 001 was not applied long ago, so there it blocks.
    const run = await cli('migrate', 'lint', '--dir', REAL_PROJECT);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^blocks: 002_pair_functions\.sql:3 require-concurrent-index-creation: /m);
    assert.match(run.stdout, /^warning: 001_create_exchanges\.sql:5 ban-char-field: /m);
    assert.match(run.stdout, /squawk: 1 blocking finding\(s\), 10 warning\(s\) in 3 migration\(s\)/);
  });

  it('refuses --allow-unsafe with a name that is no squawk rule (exit 2)', async () => {
    const run = await cli('migrate', 'up', '--yes', '--allow-unsafe', 'ban-drop-tables', '--dir', REAL_PROJECT, '--db', 'pglite:memory');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--allow-unsafe: 'ban-drop-tables' is not a squawk rule/);
  });
});
