// `migrate up` on a PostgreSQL server opens its lock's connection at open, beside the pool's first
// (src/db/postgres.ts, lockAhead), so that taking the migration lock waits for no connect. The lock
// is still held on a connection of its own for the whole run, and a connection nobody took is closed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openDatabase } from '../../src/db/open.ts';
import { LockHeldError } from '../../src/db/lock-held-error.ts';
import { advisoryLockKeys } from '../../src/db/postgres.ts';
import { MIGRATION_LOCK } from '../../src/migrate/state.ts';
import { cli } from '../helpers/cli.ts';
import { adminQuery, createTestDatabase, postgresAdminUrl } from '../helpers/databases.ts';
import { writeMigrations } from '../helpers/migrations.ts';

/** The server's sessions of tradeledger on database `name` (the admin connection asking is not one). */
async function sessionsOn(name: string): Promise<number> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tradeledger'", [name]);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

/** Waits until the server has no session of tradeledger on `name` left (a closed socket ends its backend soon after). */
async function noSessionsLeft(name: string): Promise<void> {
  while ((await sessionsOn(name)) > 0) await sleep(20);
}

describe('the migration lock’s connection opened ahead (PostgreSQL)', () => {
  it('holds the lock on it for the whole locked work, and closes it whether it was taken or not', async () => {
    const test = await createTestDatabase('postgres');
    const name = new URL(test.url).pathname.slice(1);
    try {
      const unused = await openDatabase(test.url, { lockAhead: true });
      await unused.query('SELECT 1');
      await unused.close();
      await noSessionsLeft(name);

      const db = await openDatabase(test.url, { lockAhead: true });
      const other = await openDatabase(test.url);
      try {
        await db.withLock('tradeledger migration', { waitMs: 0 }, async () => {
          await db.query('SELECT 1');
          await assert.rejects(
            other.withLock('tradeledger migration', { waitMs: 0 }, async () => undefined),
            (error: unknown) => error instanceof LockHeldError,
          );
        });
        // Released: another session takes it now; a second lock of the same database opens a connection of its own.
        await other.withLock('tradeledger migration', { waitMs: 0 }, async () => undefined);
        await db.withLock('tradeledger migration', { waitMs: 0 }, async () => undefined);
      } finally {
        await other.close();
        await db.close();
      }
      await noSessionsLeft(name);
    } finally {
      await test.cleanup();
    }
  });

  it('migrate up to a server nobody listens on: the first connection’s error, one line, exit 1', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const test = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(test.dir, { '001_accounts.sql': '-- migrate:up\nCREATE TABLE accounts (id BIGINT PRIMARY KEY);\n' });
      const run = await cli('migrate', 'up', '--yes', '--db', `postgres://trader:secret@127.0.0.1:${port}/ledger`, '--dir', dir);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        /^tradeledger: \[ECONNREFUSED\] cannot connect to postgres:\/\/trader:\*\*\*@127\.0\.0\.1:\d+\/ledger: .*; nothing listens there/,
      );
      assert.equal(run.stderr.trim().split('\n').length, 1);
    } finally {
      await test.cleanup();
    }
  });
});

describe('the migration lock under a server-wide idle_session_timeout', () => {
  it('is held for the whole run: the idle lock session is not ended by the timeout', async () => {
    const test = await createTestDatabase('postgres');
    try {
      const database = decodeURIComponent(new URL(test.url).pathname.slice(1));
      await adminQuery(`ALTER DATABASE "${database}" SET idle_session_timeout = '300ms'`);
      const [k1, k2] = advisoryLockKeys(MIGRATION_LOCK);
      // The migration outlasts the timeout, then asks whether the lock is free: it must not be.
      const dir = writeMigrations(test.dir, {
        '001_slow.sql': `-- migrate:up\nSELECT pg_sleep(1.5);\nDO $$ BEGIN IF pg_try_advisory_lock(${k1}, ${k2}) THEN RAISE EXCEPTION 'the migration lock was free: its session had ended'; END IF; END $$;\n`,
      });
      const run = await cli('migrate', 'up', '--yes', '--allow-unsafe', '--db', test.url, '--dir', dir);
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await test.cleanup();
    }
  });
});
