// The defects issue 14 found with dbmate users' folders, one test each: each failed before the fix.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { migrateDown } from '../../src/migrate/down.ts';
import { readHistory } from '../../src/migrate/history.ts';
import { planUp, renderPlan } from '../../src/migrate/planner.ts';
import { MigrationFailedError } from '../../src/migrate/run-plan.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { readMigrationState } from '../../src/migrate/state.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { cli, spawnCli } from '../helpers/cli.ts';
import { connect, disconnect, reap, waitFor, watch, type WatchedChild } from '../helpers/processes.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { testSettings, writeMigrations } from '../helpers/migrations.ts';

const SETTINGS = testSettings();
const UP = { allowUnsafe: true } as const;

async function withDb<T>(url: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function onFresh(kind: DatabaseKind, fn: (test: TestDatabase) => Promise<void>): Promise<void> {
  const test = await createTestDatabase(kind);
  try {
    await fn(test);
  } finally {
    await test.cleanup();
  }
}

/** The history table as tradeledger before 64-bit versions and the source column created it. */
const OLD_HISTORY_DDL = `CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL,
    description TEXT NOT NULL,
    migration_script TEXT,
    rollback_script TEXT,
    execution_time_ms INTEGER,
    success BOOLEAN NOT NULL DEFAULT TRUE,
    error_message TEXT,
    checksum TEXT,
    applied_by TEXT
);
CREATE INDEX IF NOT EXISTS idx_schema_version_applied ON schema_version (applied_at DESC);`;

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`dbmate users' defects on ${kind}`, () => {
    it('a timestamp version (20240115093000_x.sql) applies and is recorded as itself', () =>
      onFresh(kind, async (test) => {
        const dir = writeMigrations(test.dir, { '20240115093000_create_users.sql': '-- migrate:up\nCREATE TABLE users (id BIGINT PRIMARY KEY);\n' });
        const result = await withDb(test.url, (db) => migrateUp(db, directorySource(dir), SETTINGS, UP));
        assert.deepEqual(
          result.applied.map((step) => step.version),
          [20240115093000],
        );
        const rows = await withDb(test.url, async (db) => (await readHistory(db)).rows);
        assert.deepEqual(
          rows.map((row) => [row.version, row.success]),
          [[20240115093000, true]],
        );
      }));

    it('a history table made by an older tradeledger (INTEGER versions, no source) is upgraded in the first step, rows kept', () =>
      onFresh(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_create_accounts.sql': '-- migrate:up\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);\n-- migrate:down\nDROP TABLE accounts;\n',
          '20240115093000_create_users.sql': '-- migrate:up\nCREATE TABLE users (id BIGINT PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n',
        });
        const source = directorySource(dir);
        await withDb(test.url, async (db) => {
          await db.exec(`${OLD_HISTORY_DDL}\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);`);
          await db.query(
            "INSERT INTO schema_version (version, applied_at, description, migration_script, success, checksum, applied_by) VALUES (1, now(), 'create accounts', '001_create_accounts.sql', TRUE, $1, 'old')",
            [source.migrations[0]!.checksum],
          );
          const state = await readMigrationState(db, source, SETTINGS.plan);
          assert.equal(state.history.narrowVersion, true);
          assert.deepEqual(state.history.missingColumns, ['source']);
          const first = planUp(state.status, state.context).steps[0]!.chunks[0]!.sql;
          // One transaction: the upgrade commits with the first migration or not at all.
          assert.match(
            first,
            /^BEGIN;\n[\s\S]*ALTER TABLE public\.schema_version ALTER COLUMN version TYPE BIGINT;\nALTER TABLE public\.schema_version ADD COLUMN source TEXT;\nINSERT INTO public\.schema_version/m,
          );
          assert.doesNotMatch(first, /COMMIT/);
        });
        await withDb(test.url, (db) => migrateUp(db, source, SETTINGS, UP));
        await withDb(test.url, async (db) => {
          const type = await db.query<{ type: string }>(
            "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'schema_version'::regclass AND attname = 'version'",
          );
          assert.deepEqual(type, [{ type: 'bigint' }]);
          const history = await readHistory(db);
          assert.deepEqual(
            history.rows.map((row) => [row.version, row.appliedBy, row.source]),
            [
              [1, 'old', null],
              [20240115093000, SETTINGS.plan.appliedBy, `dir:${dir}`],
            ],
          );
          assert.equal(history.narrowVersion, false);
          assert.deepEqual(history.missingColumns, []);
          // Idempotent: nothing left to upgrade, nothing to apply.
          assert.deepEqual((await migrateUp(db, source, SETTINGS, UP)).applied, []);
        });
      }));

    it('-- migrate:up transaction:false runs CREATE INDEX CONCURRENTLY outside a transaction', () =>
      onFresh(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          // Three-digit names: on the code before the fix this fails on the index, not on the version.
          '001_create_users.sql': '-- migrate:up\nCREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT);\n',
          '002_users_email.sql':
            '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email ON users (email);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY IF EXISTS idx_users_email;\n',
        });
        await withDb(test.url, (db) => migrateUp(db, directorySource(dir), SETTINGS, UP));
        await withDb(test.url, async (db) => {
          assert.deepEqual(await db.query("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'idx_users_email'::regclass"), [{ valid: true }]);
          await migrateDown(db, directorySource(dir), SETTINGS, { steps: 1 });
          assert.deepEqual(await db.query("SELECT to_regclass('idx_users_email') IS NULL AS gone"), [{ gone: true }]);
        });
      }));

    it("a migration's SET search_path TO other does not move the history writes", () =>
      onFresh(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '001_other_schema.sql':
            '-- migrate:up\nCREATE SCHEMA other;\nSET search_path TO other;\nCREATE TABLE things (id INT);\n-- migrate:down\nDROP SCHEMA other CASCADE;\n',
          '002_more.sql': '-- migrate:up\nCREATE TABLE more_things (id INT);\n-- migrate:down\nDROP TABLE more_things;\n',
        });
        const result = await withDb(test.url, (db) => migrateUp(db, directorySource(dir), SETTINGS, UP));
        assert.deepEqual(
          result.applied.map((step) => step.version),
          [1, 2],
        );
        await withDb(test.url, async (db) => {
          assert.deepEqual(
            (await readHistory(db)).rows.map((row) => [row.version, row.success]),
            [
              [1, true],
              [2, true],
            ],
          );
          assert.deepEqual(
            await db.query("SELECT to_regclass('public.schema_version') IS NOT NULL AS here, to_regclass('other.schema_version') IS NULL AS not_there"),
            [{ here: true, not_there: true }],
          );
        });
      }));

    it('a failure, and a failure to record it, are both reported with the migration named', () =>
      onFresh(kind, async (test) => {
        const dir = writeMigrations(test.dir, {
          '20240115093000_ok.sql': '-- migrate:up\nCREATE TABLE ok (id INT);\n',
          '20240115093100_broken.sql': '-- migrate:up\nSELECT 1 / 0;\n',
        });
        const source = directorySource(dir);
        await withDb(test.url, (db) => migrateUp(db, source, SETTINGS, { ...UP, to: 20240115093000 }));
        await withDb(test.url, async (db) => {
          // The history refuses failure rows, as a table another process locks or a trigger guards would.
          await db.exec(`CREATE FUNCTION refuse_failures() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NOT NEW.success AND NEW.error_message NOT LIKE 'in progress%' THEN RAISE EXCEPTION 'no failure rows here'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_failures BEFORE INSERT OR UPDATE ON schema_version FOR EACH ROW EXECUTE FUNCTION refuse_failures();`);
          const error = await migrateUp(db, source, SETTINGS, UP).then(
            () => assert.fail('the broken migration applied'),
            (caught: unknown) => caught,
          );
          assert.ok(error instanceof MigrationFailedError);
          assert.match(
            error.message,
            /^migration 20240115093100 \(20240115093100_broken\.sql\) up failed \[22012\]: division by zero .* \(the failure could not be recorded in schema_version \[P0001\]: no failure rows here\)$/,
          );
        });
      }));
  });
}

describe('PGlite extensions', () => {
  it('pgcrypto, citext and uuid-ossp, shipped with the pglite package, load when a migration creates them', () =>
    onFresh('pglite', async (test) => {
      const dir = writeMigrations(test.dir, {
        '001_extensions.sql':
          '-- migrate:up\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE EXTENSION IF NOT EXISTS citext;\nCREATE EXTENSION IF NOT EXISTS "uuid-ossp";\n',
      });
      const probe = "SELECT length(gen_random_bytes(4)) AS bytes, 'Ab'::citext = 'aB'::citext AS same, length(uuid_generate_v4()::text) AS uuid_length";
      await withDb(test.url, async (db) => {
        await migrateUp(db, directorySource(dir), SETTINGS, UP);
        assert.deepEqual(await db.query(probe), [{ bytes: 4, same: true, uuid_length: 36 }]);
      });
      // Opened again, the database loads the extensions it has installed.
      await withDb(test.url, async (db) => assert.deepEqual(await db.query(probe), [{ bytes: 4, same: true, uuid_length: 36 }]));
    }));
});

describe('dbmate users on SQLite', () => {
  it('PRAGMA journal_mode = WAL under transaction:false is in effect, and an empty down is a no-op with a warning', () =>
    onFresh('sqlite', async (test) => {
      const dir = writeMigrations(test.dir, {
        '20240115093000_wal.sql': '-- migrate:up transaction:false\nPRAGMA journal_mode = WAL;\n\n-- migrate:down\n',
        '20240115093100-create-users.sql': '-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n',
      });
      await withDb(test.url, async (db) => {
        await migrateUp(db, directorySource(dir), SETTINGS);
        assert.deepEqual(await db.query('PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
        const down = await migrateDown(db, directorySource(dir), SETTINGS, { to: 0 });
        assert.deepEqual(
          down.reverted.map((step) => step.version),
          [20240115093100, 20240115093000],
        );
        assert.deepEqual(down.warnings, [
          "empty '-- migrate:down' section in version 20240115093000 (20240115093000_wal.sql): rolling back removes only the history row; nothing in the schema is undone",
        ]);
        assert.deepEqual((await readHistory(db)).rows, []);
      });
    }));

  it('VACUUM in a transactional migration runs outside the transaction', () =>
    onFresh('sqlite', async (test) => {
      const dir = writeMigrations(test.dir, {
        '001_users.sql': '-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\nINSERT INTO users VALUES (1);\nVACUUM;\nINSERT INTO users VALUES (2);\n',
      });
      await withDb(test.url, async (db) => {
        const state = await readMigrationState(db, directorySource(dir), SETTINGS.plan);
        assert.match(renderPlan(planUp(state.status, state.context)), /COMMIT;\nVACUUM;\nBEGIN IMMEDIATE;/);
        await migrateUp(db, directorySource(dir), SETTINGS);
        assert.deepEqual(await db.query('SELECT id FROM users ORDER BY id'), [{ id: 1 }, { id: 2 }]);
      });
    }));
});

describe('a database migrated from another source', () => {
  it("is reported as applied from that source, not as drift (the README's examples/ then --pack bot-ledger)", () =>
    onFresh('postgres', async (test) => {
      const examples = await cli('migrate', 'up', '--db', test.url, '--dir', 'examples/migrations', '--yes');
      assert.equal(examples.code, 0, examples.stderr);
      const status = await cli('migrate', 'status', '--db', test.url, '--pack', 'bot-ledger');
      assert.equal(status.code, 1);
      assert.match(status.stdout, /applied from folder examples\/migrations/);
      assert.doesNotMatch(status.stdout, /drifted/);
      const up = await cli('migrate', 'up', '--db', test.url, '--pack', 'bot-ledger', '--yes');
      assert.equal(up.code, 3);
      assert.match(up.stderr, /was applied from folder examples\/migrations, not from pack bot-ledger: .*--dir examples\/migrations/);
      assert.doesNotMatch(up.stderr, /edited after it was applied/);
      const serve = await cli('serve', '--db', test.url, '--port', '0');
      assert.equal(serve.code, 3);
      assert.match(serve.stderr, /migration 1 was applied from folder examples\/migrations, not from pack bot-ledger/);
      assert.doesNotMatch(serve.stderr, /drift/);
    }));
});

describe("another tool's history table", () => {
  it("Flyway's schema_version is refused with exit 2 naming Flyway and --migrations-table, and --migrations-table works beside it", () =>
    onFresh('postgres', async (test) => {
      await withDb(test.url, (db) =>
        db.exec(`CREATE TABLE schema_version (
          installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,
          script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
          execution_time INT NOT NULL, success BOOLEAN NOT NULL)`),
      );
      for (const command of [['status'], ['up', '--yes']]) {
        const run = await cli('migrate', ...command, '--db', test.url, '--dir', 'examples/migrations');
        assert.equal(run.code, 2, run.stderr);
        assert.match(
          run.stderr,
          /public\.schema_version in this database belongs to Flyway \(columns installed_rank, version, .*\), not to tradeledger: pass --migrations-table NAME/,
        );
      }
      const beside = await cli('migrate', 'up', '--db', test.url, '--dir', 'examples/migrations', '--migrations-table', 'tradeledger_history', '--yes');
      assert.equal(beside.code, 0, beside.stderr);
      const history = await cli('migrate', 'history', '--db', test.url, '--migrations-table', 'tradeledger_history', '--json');
      assert.deepEqual(
        JSON.parse(history.stdout).map((row: { version: number }) => row.version),
        [1, 2, 3],
      );
      await withDb(test.url, async (db) => assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM schema_version'), [{ n: 0 }]));
    }));

  it("dbmate's schema_migrations and Alembic's alembic_version are named when --migrations-table points at them", () =>
    onFresh('sqlite', async (test) => {
      await withDb(test.url, (db) =>
        db.exec(
          "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240115093000'); CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);",
        ),
      );
      const dbmate = await cli('migrate', 'status', '--db', test.url, '--dir', 'examples/migrations', '--migrations-table', 'schema_migrations');
      assert.equal(dbmate.code, 2);
      assert.match(dbmate.stderr, /schema_migrations in this database belongs to dbmate .*--migrations-table schema_version.*'migrate stamp VERSION'/);
      const alembic = await cli('migrate', 'history', '--db', test.url, '--migrations-table', 'alembic_version');
      assert.equal(alembic.code, 2);
      assert.match(alembic.stderr, /alembic_version in this database belongs to Alembic/);
    }));
});

describe('the history table upgrade killed halfway (PostgreSQL)', () => {
  it('leaves the old table as it was, and the next up upgrades it', () =>
    onFresh('postgres', async (test) => {
      const gate = 727_014;
      const dir = writeMigrations(test.dir, {
        '001_create_accounts.sql': '-- migrate:up\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);\n',
        // Waits inside its transaction, after the upgrade, until the test lets go of the gate.
        '20240115093000_wait.sql': `-- migrate:up\nCREATE TABLE users (id BIGINT PRIMARY KEY);\nSET LOCAL lock_timeout = 0;\nSELECT pg_advisory_xact_lock(${gate});\n`,
      });
      const checksum = directorySource(dir).migrations[0]!.checksum;
      const observer = await connect(test.url);
      let runner: WatchedChild | undefined;
      try {
        await observer.query(`${OLD_HISTORY_DDL}\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);`);
        await observer.query(
          "INSERT INTO schema_version (version, applied_at, description, migration_script, success, checksum, applied_by) VALUES (1, now(), 'create accounts', '001_create_accounts.sql', TRUE, $1, 'old')",
          [checksum],
        );
        const shape = async () =>
          (
            await observer.query<{ columns: string }>(
              "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS columns FROM pg_attribute WHERE attrelid = 'schema_version'::regclass AND attnum > 0 AND NOT attisdropped",
            )
          ).rows[0]!.columns;
        const before = await shape();
        assert.match(before, /^version integer, /);
        await observer.query('SELECT pg_advisory_lock($1)', [gate]);
        runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--allow-unsafe', '--yes'], { cwd: test.dir }));
        const pid = await waitFor('the runner to wait inside the migration', async () => {
          const { rows } = await observer.query<{ pid: number }>(
            "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1",
            [gate],
          );
          return rows[0]?.pid;
        });
        runner.child.kill('SIGKILL');
        await runner.exited;
        await observer.query('SELECT pg_terminate_backend($1)', [pid]);
        await waitFor('the dead backend to go', async () => (await observer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length === 0);
        assert.equal(await shape(), before, 'the upgrade rolled back with the migration');
        assert.deepEqual((await observer.query('SELECT version FROM schema_version ORDER BY version')).rows, [{ version: 1 }]);
        await observer.query('SELECT pg_advisory_unlock($1)', [gate]);
        const rerun = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--allow-unsafe', '--yes');
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.match(await shape(), /^version bigint, .*, source text$/);
      } finally {
        await reap(runner);
        await disconnect(observer);
      }
    }));
});
