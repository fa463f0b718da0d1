// Safety of `migrate up` on a real PostgreSQL server when it meets other sessions: a second runner,
// and a long transaction holding a lock the migration needs. Runners are real child processes
// where a separate process is the point.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { openDatabase } from '../../src/db/open.ts';
import type { RunEvent } from '../../src/migrate/run-plan.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { cli, runBinary, spawnCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { writeMigrations, testSettings, historyOf } from '../helpers/migrations.ts';
import { connect, disconnect, reap, waitFor, watch, type WatchedChild } from '../helpers/processes.ts';

/** One transactional migration that holds the migration lock for about two seconds. */
const SLOW_MIGRATION = {
  '001_create_orders.sql': [
    '-- migrate:up',
    'CREATE TABLE orders (',
    '    id BIGINT PRIMARY KEY,',
    '    quantity NUMERIC NOT NULL',
    ');',
    'SELECT pg_sleep(2);',
    '-- migrate:down',
    'DROP TABLE orders;',
    '',
  ].join('\n'),
};

/** A table, an unrelated table for writers, and an ALTER that needs ACCESS EXCLUSIVE on the first. */
const LOCKING_MIGRATIONS = {
  '001_create_fills.sql': [
    '-- migrate:up',
    'CREATE TABLE fills (',
    '    id BIGINT PRIMARY KEY,',
    '    quantity NUMERIC NOT NULL',
    ');',
    'CREATE TABLE audit_log (',
    '    id BIGINT PRIMARY KEY,',
    '    note TEXT NOT NULL',
    ');',
    '-- migrate:down',
    'DROP TABLE audit_log;',
    'DROP TABLE fills;',
    '',
  ].join('\n'),
  '002_add_fill_venue.sql': ['-- migrate:up', 'ALTER TABLE fills ADD COLUMN venue TEXT;', '-- migrate:down', 'ALTER TABLE fills DROP COLUMN venue;', ''].join(
    '\n',
  ),
};

async function rowsPerVersion(client: pg.Client): Promise<[number, number][]> {
  // version is BIGINT, which node-postgres returns as text.
  const { rows } = await client.query<{ version: string; n: string }>('SELECT version, count(*) AS n FROM schema_version GROUP BY version ORDER BY version');
  return rows.map((row) => [Number(row.version), Number(row.n)]);
}

async function hasColumn(client: pg.Client, table: string, column: string): Promise<boolean> {
  const { rows } = await client.query(
    'SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2',
    [table, column],
  );
  return rows.length === 1;
}

/** The pid of a tradeledger backend waiting (not granted) for a lock on `table`, if there is one. */
async function waitingMigrationPid(client: pg.Client, table: string): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE NOT l.granted AND l.locktype = 'relation' AND l.relation = to_regclass($1) AND a.application_name = 'tradeledger'`,
    [table],
  );
  return rows[0]?.pid;
}

describe('two migrate up processes at once on PostgreSQL', () => {
  it('one applies; the other waits for the lock and then finds nothing pending', async () => {
    const test = await createTestDatabase('postgres');
    const runners: WatchedChild[] = [];
    const observer = await connect(test.url);
    try {
      const dir = writeMigrations(test.dir, SLOW_MIGRATION);
      const started = Date.now();
      for (let i = 0; i < 2; i++) runners.push(watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir], { cwd: test.dir })));
      const ends = await Promise.all(runners.map((runner) => runner.exited));
      for (const [i, end] of ends.entries()) assert.equal(end.code, 0, runners[i]!.stderr());
      const appliers = runners.filter((runner) => /version 0 → 1 \(1 applied\)/.test(runner.stdout()));
      const waiters = runners.filter((runner) => /is up to date at version 1/.test(runner.stdout()));
      assert.equal(appliers.length, 1, runners.map((r) => r.stdout()).join('\n'));
      assert.equal(waiters.length, 1, runners.map((r) => r.stdout()).join('\n'));
      // It could only find nothing pending after waiting out the applier's two-second migration.
      const waiterEnd = ends[runners.indexOf(waiters[0]!)]!;
      assert.ok(waiterEnd.at - started >= 2000, `the waiter ended after ${waiterEnd.at - started} ms, before the applier could have finished`);
      assert.doesNotMatch(waiters[0]!.stderr(), /applying/, 'the waiter ran no migration');

      assert.deepEqual(await historyOf(test.url), [[1, true, null]]);
      assert.deepEqual(await rowsPerVersion(observer), [[1, 1]]);
      const { rows } = await observer.query<{ ms: number }>('SELECT execution_time_ms AS ms FROM schema_version WHERE version = 1');
      assert.ok(rows[0]!.ms >= 1900, `the recorded run took ${rows[0]!.ms} ms, so the sleep ran once inside it`);
    } finally {
      await Promise.all(runners.map(reap));
      await disconnect(observer);
      await test.cleanup();
    }
  });

  it('with --lock-wait 500ms the loser exits 3 naming the backend pid that holds the lock', async () => {
    const test = await createTestDatabase('postgres');
    const runners: WatchedChild[] = [];
    const observer = await connect(test.url);
    const holders = new Set<number>();
    let observing = true;
    try {
      const dir = writeMigrations(test.dir, SLOW_MIGRATION);
      // Note every backend seen holding an advisory lock in this database while the runners race.
      const observed = (async () => {
        while (observing) {
          const { rows } = await observer.query<{ pid: number }>(
            `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
              WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()`,
          );
          for (const row of rows) holders.add(row.pid);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      for (let i = 0; i < 2; i++) {
        runners.push(watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-wait', '500ms'], { cwd: test.dir })));
      }
      const ends = await Promise.all(runners.map((runner) => runner.exited));
      observing = false;
      await observed;
      const codes = ends.map((end) => end.code).sort();
      assert.deepEqual(codes, [0, 3], runners.map((r) => r.stderr()).join('\n'));
      const winner = runners[ends.findIndex((end) => end.code === 0)]!;
      const loser = runners[ends.findIndex((end) => end.code === 3)]!;
      assert.match(winner.stdout(), /version 0 → 1 \(1 applied\)/);
      const message = loser.stderr().trim();
      assert.equal(message.split('\n').length, 1, `one line: ${message}`);
      const match = /another process holds the tradeledger migration lock \(held by backend pid (\d+) \(tradeledger\)\).*--lock-wait/.exec(message);
      assert.ok(match !== null, message);
      assert.ok(holders.has(Number(match[1])), `pid ${match[1]} was seen holding the lock (seen: ${[...holders].join(', ')})`);
      assert.equal(loser.stdout(), '', 'the loser applied nothing');

      assert.deepEqual(await historyOf(test.url), [[1, true, null]]);
      assert.deepEqual(await rowsPerVersion(observer), [[1, 1]]);
    } finally {
      observing = false;
      await Promise.all(runners.map(reap));
      await disconnect(observer);
      await test.cleanup();
    }
  });
});

describe('a migration meeting a held lock on PostgreSQL', () => {
  /** A fresh database with 001 applied and 002 (the ALTER) pending. */
  async function prepared(): Promise<{ test: TestDatabase; dir: string }> {
    const test = await createTestDatabase('postgres');
    const dir = writeMigrations(test.dir, LOCKING_MIGRATIONS);
    const first = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1');
    assert.equal(first.code, 0, first.stderr);
    return { test, dir };
  }

  it('times out, retries with backoff and applies once the holder lets go, while other writers go on', async () => {
    const { test, dir } = await prepared();
    const holder = await connect(test.url);
    const writer = await connect(test.url);
    let runner: WatchedChild | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE fills IN ACCESS EXCLUSIVE MODE');
      const held = Date.now();
      runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '200ms'], { cwd: test.dir }));
      const current = runner;

      // While the migration's ALTER waits in the lock queue, a write to another table completes.
      await waitFor('the migration to wait for the lock on fills', () => waitingMigrationPid(writer, 'fills'));
      await writer.query("INSERT INTO audit_log (id, note) VALUES (1, 'written while the migration waits')");
      assert.ok((await waitingMigrationPid(writer, 'fills')) !== undefined, 'the insert into another table completed while the migration still waited');

      await waitFor('a lock timeout retry', () => /lock timeout on 002/.test(current.stderr()));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1500 - (Date.now() - held))));
      await holder.query('COMMIT');

      const end = await runner.exited;
      assert.equal(end.code, 0, runner.stderr());
      assert.match(runner.stderr(), /lock timeout on 002 add fill venue \(try 1\): canceling statement due to lock timeout; retrying in 500 ms/);
      assert.match(runner.stderr(), /done in \d+ ms after [2-9] tries/);
      assert.match(runner.stdout(), /version 1 → 2 \(1 applied\)/);
      assert.equal(await hasColumn(writer, 'fills', 'venue'), true);
      assert.deepEqual(await historyOf(test.url), [
        [1, true, null],
        [2, true, null],
      ]);
      assert.deepEqual((await writer.query('SELECT note FROM audit_log')).rows, [{ note: 'written while the migration waits' }]);
    } finally {
      await reap(runner);
      await disconnect(holder, writer);
      await test.cleanup();
    }
  });

  it('does not make writers of the same table queue behind it for longer than lock_timeout (library, attempts > 1)', async () => {
    const { test, dir } = await prepared();
    const reader = await connect(test.url);
    const writer = await connect(test.url);
    const db = await openDatabase(test.url);
    let running: Promise<unknown> | undefined;
    try {
      // A long read: ALTER TABLE must wait for it, and a plain INSERT is queued behind the waiting ALTER.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM fills');
      const readerPid = (await reader.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const retries: RunEvent[] = [];
      const base = testSettings();
      const up = migrateUp(db, directorySource(dir), testSettings({ plan: { ...base.plan, lockTimeoutMs: 500 }, retry: { tries: 10, baseDelayMs: 50 } }), {
        onEvent: (event) => event.type === 'retry' && retries.push(event),
      });
      running = up.catch(() => undefined);
      await waitFor('the migration to wait for the lock on fills', () => waitingMigrationPid(writer, 'fills'));
      // Without lock_timeout this INSERT would wait as long as the reader's transaction; bound it so a regression fails, not hangs.
      await writer.query("SET statement_timeout = '5s'");
      // It completes (within the 5 s statement_timeout): the queued ALTER gave up at its lock_timeout.
      await writer.query("INSERT INTO fills (id, quantity) VALUES (1, '0.25')");
      const { rows: still } = await writer.query(
        `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE a.pid = $1 AND a.state = 'idle in transaction' AND l.granted AND l.relation = to_regclass('fills')`,
        [readerPid],
      );
      assert.equal(still.length, 1, 'the long transaction still held its lock on fills');

      await waitFor('a retry', () => retries.length > 0);
      await reader.query('COMMIT');
      const result = await up;
      assert.equal(result.applied.length, 1);
      assert.ok(result.applied[0]!.attempts > 1, `attempts: ${result.applied[0]!.attempts}`);
      assert.equal(retries.length, result.applied[0]!.attempts - 1);
      assert.equal(await hasColumn(writer, 'fills', 'venue'), true);
      assert.deepEqual((await writer.query('SELECT id, quantity::text AS quantity FROM fills')).rows, [{ id: '1', quantity: '0.25' }]);
      assert.deepEqual(await historyOf(test.url), [
        [1, true, null],
        [2, true, null],
      ]);
    } finally {
      await reader.query('ROLLBACK').catch(() => undefined);
      await running;
      await db.close();
      await disconnect(reader, writer);
      await test.cleanup();
    }
  });

  it('gives up after --retries 1: exit 1 with SQLSTATE 55P03, success = false recorded, no column; the next up applies it', async () => {
    const { test, dir } = await prepared();
    const holder = await connect(test.url);
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE fills IN ACCESS EXCLUSIVE MODE');
      const run = await runBinary(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '200ms', '--retries', '1'], { cwd: test.dir });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /migration 2 \(002_add_fill_venue\.sql\) up failed \[55P03\]: canceling statement due to lock timeout/);
      assert.doesNotMatch(run.stderr, /retrying/, 'one try only');
      const history = await historyOf(test.url);
      assert.deepEqual(
        history.map(([version, success]) => [version, success]),
        [
          [1, true],
          [2, false],
        ],
      );
      assert.match(history[1]![2] ?? '', /lock timeout/);
      await holder.query('ROLLBACK');
      assert.equal(await hasColumn(holder, 'fills', 'venue'), false, 'the failed migration added nothing');

      const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
      assert.equal(status.code, 1);
      assert.deepEqual(JSON.parse(status.stdout).failed, [2]);
      const again = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '200ms');
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await hasColumn(holder, 'fills', 'venue'), true);
      assert.deepEqual(await historyOf(test.url), [
        [1, true, null],
        [2, true, null],
      ]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await disconnect(holder);
      await test.cleanup();
    }
  });

  it('names the backend holding the lock (pid, state, how long, query, application) on each retry and in the error, and says to retry later', async () => {
    const { test, dir } = await prepared();
    const holder = await connect(test.url);
    try {
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE fills IN ACCESS EXCLUSIVE MODE');
      const run = await runBinary(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '300ms', '--retries', '2'], { cwd: test.dir });
      assert.equal(run.code, 1, run.stderr);
      const blocker = `pid ${holderPid} \\(tradeledger-test; idle in transaction; transaction open [^;]+; query: LOCK TABLE fills IN ACCESS EXCLUSIVE MODE\\)`;
      assert.match(
        run.stderr,
        new RegExp(`lock timeout on 002 add fill venue \\(try 1\\): canceling statement due to lock timeout; retrying in 500 ms — blocked by ${blocker}`),
      );
      assert.match(
        run.stderr,
        new RegExp(
          `migration 2 \\(002_add_fill_venue\\.sql\\) up failed \\[55P03\\]: canceling statement due to lock timeout; blocked by ${blocker} — left at the previous version; retry later or raise --lock-timeout`,
        ),
      );
      assert.doesNotMatch(run.stderr, /fix it/);
      const history = await historyOf(test.url);
      assert.match(history[1]![2] ?? '', new RegExp(`blocked by ${blocker}`), 'the recorded error names the blocker too');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await disconnect(holder);
      await test.cleanup();
    }
  });
});
