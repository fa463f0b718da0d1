// A `migrate up` process killed with SIGKILL halfway through a migration on a real PostgreSQL
// server: inside a transaction, and inside CREATE INDEX CONCURRENTLY. The server keeps running
// the dead client's statement until it is terminated, as a server does once it notices the
// client is gone; the next `up` must then complete and leave a consistent history.
// The migrations wait on advisory locks the test holds, never on the clock: each step waits for
// the state it needs (pg_stat_activity), so the tests hold however slow the machine is.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { cli, runBinary, spawnCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/databases.ts';
import { writeMigrations, historyOf } from '../helpers/migrations.ts';
import { connect, disconnect, reap, waitFor, watch, type WatchedChild } from '../helpers/processes.ts';

const CREATE_ACCOUNTS = [
  '-- migrate:up',
  'CREATE TABLE accounts (',
  '    id BIGINT PRIMARY KEY,',
  '    name TEXT NOT NULL',
  ');',
  '-- migrate:down',
  'DROP TABLE accounts;',
  '',
].join('\n');

/** The advisory lock the test holds while a migration must wait inside its transaction. */
const MIGRATION_GATE = 727_001;
/** The advisory lock the test holds while an index build must wait, row by row. */
const INDEX_GATE = 727_002;

/**
 * Creates a table, then waits inside its transaction until the test lets go of MIGRATION_GATE
 * (with no lock_timeout: the runner's own would end the wait on its own after 2 s).
 */
const PAUSING_MIGRATION = [
  '-- migrate:up',
  'CREATE TABLE positions (',
  '    id BIGINT PRIMARY KEY,',
  '    quantity NUMERIC NOT NULL',
  ');',
  'SET LOCAL lock_timeout = 0;',
  `SELECT pg_advisory_xact_lock(${MIGRATION_GATE});`,
  '-- migrate:down',
  'DROP TABLE positions;',
  '',
].join('\n');

/** A table and an index function that waits, for every row, until the test lets go of INDEX_GATE. */
const SLOW_INDEX_SETUP = [
  '-- migrate:up',
  'CREATE TABLE fills (',
  '    id BIGINT PRIMARY KEY,',
  '    venue TEXT NOT NULL',
  ');',
  "INSERT INTO fills (id, venue) SELECT g, 'venue-' || (g % 7) FROM generate_series(1, 1500) AS g;",
  'CREATE FUNCTION slow_venue_key(venue TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$',
  'BEGIN',
  "    PERFORM set_config('lock_timeout', '0', true);",
  `    PERFORM pg_advisory_xact_lock_shared(${INDEX_GATE});`,
  '    RETURN lower(venue);',
  'END;',
  '$$;',
  '-- migrate:down',
  'DROP FUNCTION slow_venue_key(TEXT);',
  'DROP TABLE fills;',
  '',
].join('\n');

const CONCURRENT_INDEX = [
  '-- migrate:no-transaction',
  '-- migrate:up',
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_venue_key ON fills (slow_venue_key(venue));',
  '-- migrate:down',
  'DROP INDEX CONCURRENTLY IF EXISTS idx_fills_venue_key;',
  '',
].join('\n');

async function count(client: pg.Client, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await client.query<{ n: string }>(sql, params);
  return Number(rows[0]!.n);
}

async function backendAlive(client: pg.Client, pid: number): Promise<boolean> {
  return (await count(client, 'SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1', [pid])) === 1;
}

async function advisoryLocksHeld(client: pg.Client): Promise<number> {
  return count(
    client,
    `SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()`,
  );
}

/** Takes an advisory lock on the observer's session, so that whatever waits on it waits until `release`. */
async function hold(client: pg.Client, key: number): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [key]);
}

async function release(client: pg.Client, key: number): Promise<void> {
  const { rows } = await client.query<{ released: boolean }>('SELECT pg_advisory_unlock($1) AS released', [key]);
  assert.equal(rows[0]!.released, true);
}

/** The pid of the tradeledger backend waiting for advisory lock `key` inside a migration. */
async function waitingOnGate(client: pg.Client, key: number): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
      WHERE a.datname = current_database() AND a.application_name = 'tradeledger'
        AND l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1`,
    [key],
  );
  return rows[0]?.pid;
}

async function killAndConfirm(runner: WatchedChild): Promise<void> {
  runner.child.kill('SIGKILL');
  const end = await runner.exited;
  assert.equal(end.signal, 'SIGKILL');
}

describe('a migrate up process killed with SIGKILL on PostgreSQL', () => {
  it('inside a transactional migration: the rerun retries past the dead transaction, then history and schema are consistent', async () => {
    const test = await createTestDatabase('postgres');
    const observer = await connect(test.url);
    let runner: WatchedChild | undefined;
    let rerun: WatchedChild | undefined;
    try {
      const dir = writeMigrations(test.dir, { '001_create_accounts.sql': CREATE_ACCOUNTS, '002_create_positions.sql': PAUSING_MIGRATION });
      assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
      await hold(observer, MIGRATION_GATE);

      runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir], { cwd: test.dir }));
      const dead = await waitFor('the runner to wait inside migration 002', () => waitingOnGate(observer, MIGRATION_GATE));
      await killAndConfirm(runner);

      // The migration lock's own connection closes with the process, so that lock is free at once
      // (the test's own gate is the one advisory lock left) ...
      await waitFor('the killed runner to release the migration lock', async () => (await advisoryLocksHeld(observer)) === 1);
      // ... but the server is still running the dead client's transaction.
      assert.equal(await backendAlive(observer, dead), true);

      rerun = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '200ms', '--retries', '10'], { cwd: test.dir }));
      const waiting = rerun;
      // It does not queue behind the dead transaction: its lock_timeout fires and it retries.
      await waitFor('the rerun to retry after a lock timeout', () => /lock timeout on 002/.test(waiting.stderr()));
      const { rows } = await observer.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [dead]);
      assert.equal(rows[0]!.ok, true);
      await release(observer, MIGRATION_GATE);

      const end = await rerun.exited;
      assert.equal(end.code, 0, rerun.stderr());
      assert.match(rerun.stdout(), /version 1 → 2 \(1 applied\)/);
      assert.deepEqual(await historyOf(test.url), [
        [1, true, null],
        [2, true, null],
      ]);
      assert.equal(await count(observer, 'SELECT count(*) AS n FROM schema_version WHERE version = 2'), 1);
      assert.equal(await count(observer, "SELECT count(*) AS n FROM pg_class WHERE relname = 'positions' AND relkind = 'r'"), 1);
      assert.equal(await count(observer, 'SELECT count(*) AS n FROM positions'), 0);
    } finally {
      await reap(runner);
      await reap(rerun);
      await disconnect(observer);
      await test.cleanup();
    }
  });

  it('inside a transactional migration, then a rerun that gives up first: it does not wait behind the dead transaction to record its failure, and the dead transaction never commits', async () => {
    const test = await createTestDatabase('postgres');
    const observer = await connect(test.url);
    let runner: WatchedChild | undefined;
    let rerun: WatchedChild | undefined;
    try {
      const dir = writeMigrations(test.dir, { '001_create_accounts.sql': CREATE_ACCOUNTS, '002_create_positions.sql': PAUSING_MIGRATION });
      assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
      await hold(observer, MIGRATION_GATE);
      runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir], { cwd: test.dir }));
      const dead = await waitFor('the runner to wait inside migration 002', () => waitingOnGate(observer, MIGRATION_GATE));
      await killAndConfirm(runner);

      // The dead client's statement waits on the test's gate, holding its uncommitted history row for
      // version 2. The rerun's migration times out on that row, and so does recording its failure: the
      // record has a lock_timeout too, so the rerun gives up and says so while the dead one still waits.
      rerun = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '200ms', '--retries', '1'], { cwd: test.dir }));
      const gaveUp = rerun;
      let exited = false;
      void gaveUp.exited.then(() => (exited = true));
      // Before the record had a lock_timeout, this never happened until the dead transaction ended.
      await waitFor('the rerun to give up while the dead transaction still waits', () => exited);
      const end = await gaveUp.exited;
      assert.equal(end.code, 1, gaveUp.stderr());
      assert.match(
        gaveUp.stderr(),
        new RegExp(
          `migration 2 \\(002_create_positions\\.sql\\) up failed \\[55P03\\]: canceling statement due to lock timeout; blocked by pid ${dead} \\(tradeledger; active; `,
        ),
      );
      assert.match(gaveUp.stderr(), /the failure could not be recorded in schema_version \[55P03\]/);
      assert.equal(await backendAlive(observer, dead), true, "the dead client's statement is still waiting");

      await release(observer, MIGRATION_GATE);
      await waitFor('the dead backend to end', async () => !(await backendAlive(observer, dead)));
      // The server finished the dead client's wait; what it did next must match what history says.
      const applied = (await count(observer, "SELECT count(*) AS n FROM pg_class WHERE relname = 'positions' AND relkind = 'r'")) === 1;
      assert.equal(applied, false, "a killed runner's transaction rolls back: its COMMIT is never sent");
      assert.deepEqual(
        (await historyOf(test.url)).map(([version, success]) => [version, success]),
        [[1, true]],
        'neither the dead transaction nor the unrecorded failure left a row for version 2',
      );
      const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
      assert.deepEqual(JSON.parse(status.stdout).pending, [2]);

      const last = await cli('migrate', 'up', '--db', test.url, '--dir', dir);
      assert.equal(last.code, 0, last.stderr);
      assert.deepEqual(await historyOf(test.url), [
        [1, true, null],
        [2, true, null],
      ]);
    } finally {
      await reap(runner);
      await reap(rerun);
      await disconnect(observer);
      await test.cleanup();
    }
  });

  it('inside CREATE INDEX CONCURRENTLY: the invalid index is shown, dropped and rebuilt by the next up', async () => {
    const test = await createTestDatabase('postgres');
    const observer = await connect(test.url);
    let runner: WatchedChild | undefined;
    try {
      const dir = writeMigrations(test.dir, { '001_create_fills.sql': SLOW_INDEX_SETUP, '002_index_fill_venue.sql': CONCURRENT_INDEX });
      const setup = await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1');
      assert.equal(setup.code, 0, setup.stderr);
      await hold(observer, INDEX_GATE);

      runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir], { cwd: test.dir }));
      const builder = await waitFor('the runner to be building the index', async () => {
        const { rows } = await observer.query<{ pid: number }>(
          `SELECT p.pid FROM pg_stat_progress_create_index p
             JOIN pg_class c ON c.oid = p.index_relid JOIN pg_stat_activity a ON a.pid = p.pid
            WHERE c.relname = 'idx_fills_venue_key' AND p.phase LIKE 'building index%'
              AND a.application_name = 'tradeledger' AND a.query LIKE 'CREATE INDEX CONCURRENTLY%'`,
        );
        return rows[0]?.pid;
      });
      await killAndConfirm(runner);
      assert.equal(await backendAlive(observer, builder), true, 'the server is still building for the dead client');
      await observer.query('SELECT pg_terminate_backend($1)', [builder]);
      await waitFor('the builder backend to end', async () => !(await backendAlive(observer, builder)));
      await release(observer, INDEX_GATE);

      const { rows: left } = await observer.query<{ valid: boolean }>(
        "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx_fills_venue_key'",
      );
      assert.deepEqual(left, [{ valid: false }], 'the interrupted build left an invalid index');

      const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
      assert.equal(status.code, 1, 'status exits non-zero while a migration is unfinished');
      const report = JSON.parse(status.stdout) as { current: number; failed: number[]; migrations: { version: number; state: string; error: string | null }[] };
      assert.equal(report.current, 1);
      assert.deepEqual(report.failed, [2]);
      const second = report.migrations.find((m) => m.version === 2)!;
      assert.equal(second.state, 'failed');
      assert.match(second.error ?? '', /in progress/);

      const plan = await cli('migrate', 'plan', '--db', test.url, '--dir', dir);
      assert.equal(plan.code, 0, plan.stderr);
      const drop = plan.stdout.indexOf('DROP INDEX CONCURRENTLY IF EXISTS idx_fills_venue_key;');
      const create = plan.stdout.indexOf('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_venue_key');
      assert.ok(drop >= 0, plan.stdout);
      assert.ok(create > drop, 'the invalid index is dropped before it is built again');

      const up = await runBinary(['migrate', 'up', '--db', test.url, '--dir', dir], { cwd: test.dir });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /version 1 → 2 \(1 applied\)/);
      const { rows: rebuilt } = await observer.query<{ relname: string; valid: boolean }>(
        "SELECT c.relname, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'idx_fills_venue_key%'",
      );
      assert.deepEqual(rebuilt, [{ relname: 'idx_fills_venue_key', valid: true }]);
      assert.deepEqual(await historyOf(test.url), [
        [1, true, null],
        [2, true, null],
      ]);
      assert.equal((await cli('migrate', 'status', '--db', test.url, '--dir', dir)).code, 0);
    } finally {
      await reap(runner);
      await disconnect(observer);
      await test.cleanup();
    }
  });
});
