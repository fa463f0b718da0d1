import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind, TracedStatement } from '../../src/db/port.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { migrateDown } from '../../src/migrate/down.ts';
import { readMigrationState } from '../../src/migrate/state.ts';
import { planUp, renderPlan } from '../../src/migrate/planner.ts';
import { readHistory } from '../../src/migrate/history.ts';
import { stampVersion } from '../../src/migrate/stamp.ts';
import { verifyDatabase } from '../../src/migrate/verify.ts';
import { MigrationFailedError } from '../../src/migrate/run-plan.ts';
import { SafetyError } from '../../src/errors.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { catalogSnapshot, tableNames } from '../helpers/catalog.ts';
import { PORTABLE_MIGRATIONS, writeMigrations, testSettings } from '../helpers/migrations.ts';
import { cli } from '../helpers/cli.ts';

const KINDS: readonly DatabaseKind[] = ['pglite', 'postgres', 'sqlite'];

for (const kind of KINDS) {
  describe(`migration engine on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    let dir: string;
    // The shared database starts at version 3; a test that needs an empty one makes its own.
    before(async () => {
      test = await createTestDatabase(kind);
      dir = writeMigrations(test.dir, PORTABLE_MIGRATIONS);
      const setup = await openDatabase(test.url);
      try {
        await migrateUp(setup, directorySource(dir), testSettings());
      } finally {
        await setup.close();
      }
    });
    after(async () => {
      await db?.close();
      await test.cleanup();
    });

    it('up, down to 0 and up again leave the same catalog, and history has one row per version', async () => {
      const fresh = await createTestDatabase(kind);
      const db = await openDatabase(fresh.url);
      try {
        const source = directorySource(dir);
        const empty = await catalogSnapshot(db);
        const first = await migrateUp(db, source, testSettings());
        assert.deepEqual(
          first.applied.map((step) => step.version),
          [1, 2, 3],
        );
        const applied = await catalogSnapshot(db);
        assert.match(applied, /accounts/);
        assert.match(applied, /email/);

        const down = await migrateDown(db, source, testSettings(), { to: 0 });
        assert.deepEqual(
          down.reverted.map((step) => step.version),
          [3, 2, 1],
        );
        assert.equal(await catalogSnapshot(db), empty);
        assert.deepEqual((await readHistory(db)).rows, []);

        await migrateUp(db, source, testSettings());
        assert.equal(await catalogSnapshot(db), applied);
        const rows = (await readHistory(db)).rows;
        assert.deepEqual(
          rows.map((row) => [row.version, row.success]),
          [
            [1, true],
            [2, true],
            [3, true],
          ],
        );
        for (const row of rows) {
          assert.equal(row.checksum, source.migrations.find((m) => m.version === row.version)!.checksum);
          assert.ok(row.executionTimeMs !== null && row.executionTimeMs >= 0, 'execution time recorded');
          assert.match(row.appliedBy ?? '', /@/);
        }
      } finally {
        await db.close();
        await fresh.cleanup();
      }
    });

    it('down --steps 1 undoes only the newest migration', async () => {
      db = await openDatabase(test.url);
      const source = directorySource(dir);
      const result = await migrateDown(db, source, testSettings(), { steps: 1 });
      assert.equal(result.to, 2);
      const state = await readMigrationState(db, source, testSettings().plan);
      assert.equal(state.status.current, 2);
      assert.deepEqual(
        state.status.pending.map((m) => m.version),
        [3],
      );
      await migrateUp(db, source, testSettings());
      await db.close();
    });

    it('migrate plan prints byte for byte what up then executes', async () => {
      const fresh = await createTestDatabase(kind);
      const trace: TracedStatement[] = [];
      const traced = await openDatabase(fresh.url, { trace: (statement) => trace.push(statement) });
      try {
        const source = directorySource(dir);
        const state = await readMigrationState(traced, source, testSettings().plan);
        const planned = renderPlan(planUp(state.status, state.context));
        await traced.close();
        const printed = await cli('migrate', 'plan', '--db', fresh.url, '--dir', dir);
        assert.equal(printed.code, 0, printed.stderr);
        assert.equal(printed.stdout, `${planned}\n`);

        const running = await openDatabase(fresh.url, { trace: (statement) => trace.push(statement) });
        trace.length = 0;
        await migrateUp(running, source, testSettings());
        await running.close();
        const sent = trace.filter((t) => t.method === 'exec').map((t) => t.sql);
        assert.equal(sent.join('\n'), planned);
        // Everything else the runner sent only read (history, invalid indexes, the advisory lock).
        for (const other of trace.filter((t) => t.method === 'query')) assert.match(other.sql.trim(), /^(SELECT|WITH|PRAGMA)\b/i);
        assert.match(planned, kind === 'sqlite' ? /BEGIN IMMEDIATE;/ : /SET LOCAL lock_timeout = '2000ms';/);
      } finally {
        await fresh.cleanup();
      }
    });

    it('a failing migration leaves the previous version, records the error, and the next up retries it', async () => {
      const fresh = await createTestDatabase(kind);
      try {
        const folder = writeMigrations(fresh.dir, {
          '001_create_accounts.sql': PORTABLE_MIGRATIONS['001_create_accounts.sql']!,
          '002_broken.sql':
            '-- migrate:up\nCREATE TABLE positions (id BIGINT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n-- migrate:down\nDROP TABLE positions;\n',
        });
        const failing = await openDatabase(fresh.url);
        await assert.rejects(migrateUp(failing, directorySource(folder), testSettings()), (error: unknown) => {
          assert.ok(error instanceof MigrationFailedError);
          assert.match(error.message, /no_such_table/);
          assert.equal(error.exitCode, 1);
          assert.ok(error.driverCode !== undefined, 'driver error code kept');
          return true;
        });
        const rows = (await readHistory(failing)).rows;
        assert.deepEqual(
          rows.map((r) => [r.version, r.success]),
          [
            [1, true],
            [2, false],
          ],
        );
        assert.match(rows[1]!.errorMessage ?? '', /no_such_table/);
        assert.deepEqual(await tableNames(failing), ['accounts', 'schema_version'], 'the failed migration left no table behind');
        await failing.close();
        const status = await cli('migrate', 'status', '--db', fresh.url, '--dir', folder);
        assert.equal(status.code, 1, 'status exits non-zero on a failed migration');
        assert.match(status.stdout, /failed/);

        writeFileSync(
          join(folder, '002_broken.sql'),
          '-- migrate:up\nCREATE TABLE positions (id BIGINT PRIMARY KEY);\n-- migrate:down\nDROP TABLE positions;\n',
        );
        const retry = await openDatabase(fresh.url);
        const result = await migrateUp(retry, directorySource(folder), testSettings());
        assert.deepEqual(
          result.applied.map((s) => s.version),
          [2],
        );
        const after = (await readHistory(retry)).rows;
        assert.deepEqual(
          after.map((r) => [r.version, r.success, r.errorMessage]),
          [
            [1, true, null],
            [2, true, null],
          ],
        );
        await retry.close();
      } finally {
        await fresh.cleanup();
      }
    });

    it('detects a migration edited after it was applied: status exits 1 and up refuses', async () => {
      const fresh = await createTestDatabase(kind);
      try {
        const folder = writeMigrations(fresh.dir, { '001_create_accounts.sql': PORTABLE_MIGRATIONS['001_create_accounts.sql']! });
        const first = await openDatabase(fresh.url);
        await migrateUp(first, directorySource(folder), testSettings());
        await first.close();
        writeFileSync(join(folder, '001_create_accounts.sql'), PORTABLE_MIGRATIONS['001_create_accounts.sql']!.replace('name TEXT', 'full_name TEXT'));
        writeFileSync(join(folder, '002_more.sql'), '-- migrate:up\nCREATE TABLE more (id BIGINT PRIMARY KEY);\n');
        const status = await cli('migrate', 'status', '--db', fresh.url, '--dir', folder, '--json');
        assert.equal(status.code, 1);
        assert.deepEqual(JSON.parse(status.stdout).drifted, [1]);
        const up = await cli('migrate', 'up', '--db', fresh.url, '--dir', folder);
        assert.equal(up.code, 3);
        assert.match(up.stderr, /edited after it was applied/);
        const check = await openDatabase(fresh.url);
        assert.deepEqual(await tableNames(check), ['accounts', 'schema_version'], 'nothing applied past the drift');
        await check.close();
        // Line endings alone are not drift.
        writeFileSync(join(folder, '001_create_accounts.sql'), PORTABLE_MIGRATIONS['001_create_accounts.sql']!.replaceAll('\n', '\r\n'));
        const crlf = await cli('migrate', 'status', '--db', fresh.url, '--dir', folder, '--json');
        assert.deepEqual(JSON.parse(crlf.stdout).drifted, []);
      } finally {
        await fresh.cleanup();
      }
    });

    it('stamp marks versions without running them, and unmarks later ones', async () => {
      const fresh = await createTestDatabase(kind);
      try {
        const folder = writeMigrations(fresh.dir, PORTABLE_MIGRATIONS);
        const stamped = await openDatabase(fresh.url);
        const source = directorySource(folder);
        const result = await stampVersion(stamped, source, testSettings(), 2);
        assert.deepEqual(result.marked, [1, 2]);
        assert.deepEqual(await tableNames(stamped), ['schema_version'], 'no migration SQL ran');
        const rows = (await readHistory(stamped)).rows;
        assert.deepEqual(
          rows.map((r) => [r.version, r.success, r.executionTimeMs]),
          [
            [1, true, null],
            [2, true, null],
          ],
        );
        assert.match(rows[0]!.appliedBy ?? '', /\(stamp\)$/);
        const back = await stampVersion(stamped, source, testSettings(), 1);
        assert.deepEqual(back.unmarked, [2]);
        assert.deepEqual(
          (await readHistory(stamped)).rows.map((r) => r.version),
          [1],
        );
        await stamped.close();
      } finally {
        await fresh.cleanup();
      }
    });

    it('verify reports history problems and, on SQLite, integrity_check', async () => {
      db = await openDatabase(test.url);
      const report = await verifyDatabase(db, directorySource(dir), {});
      assert.equal(report.ok, true, JSON.stringify(report));
      assert.equal(report.version, 3);
      assert.deepEqual(
        report.checks.map((c) => c.name),
        kind === 'sqlite' ? ['history', 'integrity_check'] : ['history'],
      );
      await db.close();
    });

    it('refuses a pending migration numbered below the applied version (exit 2)', async () => {
      writeFileSync(join(dir, '002_5_late.sql'), '-- migrate:up\nCREATE TABLE late (id BIGINT PRIMARY KEY);\n');
      try {
        const run = await cli('migrate', 'up', '--db', test.url, '--dir', dir);
        assert.equal(run.code, 2, run.stderr);
      } finally {
        // the fixture folder is shared by this describe block's tests
        (await import('node:fs')).rmSync(join(dir, '002_5_late.sql'));
      }
    });

    it('refuses up when the database has a version the source does not have (exit 3)', async () => {
      const fresh = await createTestDatabase(kind);
      try {
        const folder = writeMigrations(fresh.dir, PORTABLE_MIGRATIONS);
        const onlyFirst = writeMigrations(fresh.dir, { '001_create_accounts.sql': PORTABLE_MIGRATIONS['001_create_accounts.sql']! }, 'short');
        assert.equal((await cli('migrate', 'up', '--db', fresh.url, '--dir', folder)).code, 0);
        const run = await cli('migrate', 'up', '--db', fresh.url, '--dir', onlyFirst);
        assert.equal(run.code, 3);
        assert.match(run.stderr, /ahead of this source/);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

describe('a held migration lock', () => {
  it('is reported as a SafetyError naming the holder', async () => {
    const fresh = await createTestDatabase('postgres');
    const holder = await openDatabase(fresh.url);
    const waiter = await openDatabase(fresh.url);
    try {
      const folder = writeMigrations(fresh.dir, PORTABLE_MIGRATIONS);
      let release!: () => void;
      const held = holder.withLock('tradeledger migration', { waitMs: 1000 }, () => new Promise<void>((resolve) => (release = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(migrateUp(waiter, directorySource(folder), testSettings({ lockWaitMs: 300 })), (error: unknown) => {
        assert.ok(error instanceof SafetyError);
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /backend pid \d+ \(tradeledger\)/);
        return true;
      });
      release();
      await held;
    } finally {
      await holder.close();
      await waiter.close();
      await fresh.cleanup();
    }
  });
});
