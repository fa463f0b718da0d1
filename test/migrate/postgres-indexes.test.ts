// CREATE INDEX CONCURRENTLY in a no-transaction migration meeting a long transaction on a real
// PostgreSQL server. A transaction that holds a snapshot (REPEATABLE READ) makes the build wait for
// it after the index is already in the catalog, so lock_timeout leaves the index there, invalid;
// `IF NOT EXISTS` would then keep it. Every step waits for the state it needs (a log line,
// pg_stat_activity, pg_locks), never on the clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { openDatabase } from '../../src/db/open.ts';
import type { TracedStatement } from '../../src/db/port.ts';
import { planUp, renderPlan } from '../../src/migrate/planner.ts';
import { directorySource } from '../../src/migrate/source.ts';
import { readMigrationState } from '../../src/migrate/state.ts';
import { migrateUp } from '../../src/migrate/up.ts';
import { cli, runBinary, spawnCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { writeMigrations, testSettings, historyOf } from '../helpers/migrations.ts';
import { connect, disconnect, reap, waitFor, watch, type WatchedChild } from '../helpers/processes.ts';

const MIGRATIONS = {
  '001_create_fills.sql': [
    '-- migrate:up',
    'CREATE TABLE fills (',
    '    id BIGINT PRIMARY KEY,',
    '    venue TEXT NOT NULL,',
    '    account TEXT NOT NULL',
    ');',
    "INSERT INTO fills (id, venue, account) SELECT g, 'venue-' || (g % 7), 'account-' || (g % 11) FROM generate_series(1, 1000) AS g;",
    '-- migrate:down',
    'DROP TABLE fills;',
    '',
  ].join('\n'),
  '002_index_fills.sql': [
    '-- migrate:no-transaction',
    '-- migrate:up',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_venue ON fills (venue);',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_account ON fills (account);',
    '-- migrate:down',
    'DROP INDEX CONCURRENTLY IF EXISTS idx_fills_account;',
    'DROP INDEX CONCURRENTLY IF EXISTS idx_fills_venue;',
    '',
  ].join('\n'),
};

const PACK = ['--pack', 'bot-ledger'];

/** Every index whose name matches `pattern` (a LIKE pattern), with pg_index.indisvalid. */
async function indexStates(client: pg.Client, pattern: string): Promise<[string, boolean][]> {
  const { rows } = await client.query<{ name: string; valid: boolean }>(
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname LIKE $1 ORDER BY c.relname`,
    [pattern],
  );
  return rows.map((row) => [row.name, row.valid]);
}

async function pidOf(client: pg.Client): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** Opens a REPEATABLE READ transaction with its snapshot taken: every CREATE INDEX CONCURRENTLY waits for it to end. */
async function holdSnapshot(client: pg.Client): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await client.query('SELECT txid_current_snapshot()');
}

/** The pid of a tradeledger backend running `prefix…` and waiting for a heavyweight lock. */
async function waitingRunner(client: pg.Client, prefix: string): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'tradeledger' AND wait_event_type = 'Lock' AND query LIKE $1`,
    [`${prefix}%`],
  );
  return rows[0]?.pid;
}

async function lockWaiter(client: pg.Client, pid: number): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid]);
  return rows.length > 0;
}

async function backendAlive(client: pg.Client, pid: number): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length === 1;
}

/** Versions 1 and 2 recorded as applied while idx_fills_venue is invalid: what an older tradeledger left behind. */
async function appliedWithInvalidIndex(test: TestDatabase, dir: string, observer: pg.Client): Promise<void> {
  assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
  const holder = await connect(test.url);
  const builder = await connect(test.url);
  try {
    await holdSnapshot(holder);
    await builder.query("SET lock_timeout = '300ms'");
    await assert.rejects(builder.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_venue ON fills (venue)'), /lock timeout/);
    await holder.query('COMMIT');
    await builder.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_account ON fills (account)');
  } finally {
    await disconnect(holder, builder);
  }
  const stamp = await cli('migrate', 'stamp', '2', '--db', test.url, '--dir', dir);
  assert.equal(stamp.code, 0, stamp.stderr);
  assert.deepEqual(await indexStates(observer, 'idx_fills_%'), [
    ['idx_fills_account', true],
    ['idx_fills_venue', false],
  ]);
}

/** Both indexes of the two-migration folder valid, and both versions recorded as applied without error. */
async function assertBothIndexesValidAndApplied(observer: pg.Client, url: string): Promise<void> {
  assert.deepEqual(await indexStates(observer, 'idx_fills_%'), [
    ['idx_fills_account', true],
    ['idx_fills_venue', true],
  ]);
  assert.deepEqual(await historyOf(url), [
    [1, true, null],
    [2, true, null],
  ]);
}

describe('CREATE INDEX CONCURRENTLY meeting a long transaction on PostgreSQL', () => {
  it('a lock timeout mid-build: the retry drops the invalid index and builds it again, and the version is recorded only then', async () => {
    const test = await createTestDatabase('postgres');
    const holder = await connect(test.url);
    const observer = await connect(test.url);
    let runner: WatchedChild | undefined;
    try {
      const dir = writeMigrations(test.dir, MIGRATIONS);
      assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
      const holderPid = await pidOf(holder);
      await holdSnapshot(holder);
      runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '300ms', '--retries', '20'], { cwd: test.dir }));
      const current = runner;
      await waitFor('a lock timeout on the index build', () => /lock timeout on 002 index fills \(try 1\)/.test(current.stderr()));
      await holder.query('COMMIT');

      const end = await runner.exited;
      assert.equal(end.code, 0, runner.stderr());
      await assertBothIndexesValidAndApplied(observer, test.url);
      // The retry line names the transaction the build waited for.
      assert.match(
        runner.stderr(),
        new RegExp(
          `lock timeout on 002 index fills \\(try 1\\): .*blocked by pid ${holderPid} \\(tradeledger-test; idle in transaction; transaction open [^;]+; query: SELECT txid_current_snapshot\\(\\)\\)`,
        ),
      );
      const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir);
      assert.equal(status.code, 0, status.stdout);
    } finally {
      await reap(runner);
      await holder.query('ROLLBACK').catch(() => undefined);
      await disconnect(holder, observer);
      await test.cleanup();
    }
  });

  it('every try rebuilds: giving up records the failure and names the blocker, and the next up builds a valid index', async () => {
    const test = await createTestDatabase('postgres');
    const holder = await connect(test.url);
    const observer = await connect(test.url);
    try {
      const dir = writeMigrations(test.dir, MIGRATIONS);
      assert.equal((await cli('migrate', 'up', '--db', test.url, '--dir', dir, '--to', '1')).code, 0);
      const holderPid = await pidOf(holder);
      await holdSnapshot(holder);
      const run = await runBinary(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '300ms', '--retries', '2'], { cwd: test.dir });
      assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, /migration 2 \(002_index_fills\.sql\) up failed \[55P03\]: canceling statement due to lock timeout/);
      const blocker = `pid ${holderPid} \\(tradeledger-test; idle in transaction; transaction open [^;]+; query: SELECT txid_current_snapshot\\(\\)\\)`;
      assert.match(run.stderr, new RegExp(`up failed \\[55P03\\][^\\n]*blocked by ${blocker}[^\\n]*retry later or raise --lock-timeout`));
      assert.doesNotMatch(run.stderr, /fix it/);
      assert.deepEqual(await indexStates(observer, 'idx_fills_venue%'), [['idx_fills_venue', false]], 'one index left by the last try, no stray copies');
      const history = await historyOf(test.url);
      assert.deepEqual(
        history.map(([version, success]) => [version, success]),
        [
          [1, true],
          [2, false],
        ],
      );
      assert.match(history[1]![2] ?? '', new RegExp(blocker));
      const failed = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
      assert.equal(failed.code, 1);
      assert.deepEqual(JSON.parse(failed.stdout).failed, [2]);

      await holder.query('COMMIT');
      const again = await cli('migrate', 'up', '--db', test.url, '--dir', dir);
      assert.equal(again.code, 0, again.stderr);
      await assertBothIndexesValidAndApplied(observer, test.url);
      assert.equal((await cli('migrate', 'status', '--db', test.url, '--dir', dir)).code, 0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await disconnect(holder, observer);
      await test.cleanup();
    }
  });

  it('an applied migration whose index is invalid: status exits 1 naming it, and up rebuilds it exactly as planned', async () => {
    const test = await createTestDatabase('postgres');
    const observer = await connect(test.url);
    try {
      const dir = writeMigrations(test.dir, MIGRATIONS);
      await appliedWithInvalidIndex(test, dir, observer);

      const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir);
      assert.equal(status.code, 1, status.stdout);
      assert.match(status.stdout, /index idx_fills_venue of migration 2 \(002_index_fills\.sql\) is invalid[^\n]*`migrate up` rebuilds it/);
      assert.doesNotMatch(status.stdout, /idx_fills_account/);
      const json = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
      assert.equal(json.code, 1);
      assert.deepEqual(JSON.parse(json.stdout).rebuild, [{ version: 2, file: '002_index_fills.sql', index: 'idx_fills_venue', state: 'invalid' }]);
      const verify = await cli('migrate', 'verify', '--db', test.url, '--dir', dir);
      assert.equal(verify.code, 1, verify.stdout);
      assert.match(verify.stdout, /idx_fills_venue/);

      const printed = await cli('migrate', 'plan', '--db', test.url, '--dir', dir);
      assert.equal(printed.code, 0, printed.stderr);
      const drop = printed.stdout.indexOf('DROP INDEX CONCURRENTLY IF EXISTS idx_fills_venue;');
      const create = printed.stdout.indexOf('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_fills_venue ON fills (venue);');
      assert.ok(drop >= 0 && create > drop, printed.stdout);
      assert.doesNotMatch(printed.stdout, /idx_fills_account ON/, 'the valid index is left alone');

      // What up sends is what plan printed, byte for byte.
      const trace: TracedStatement[] = [];
      const traced = await openDatabase(test.url, { trace: (statement) => trace.push(statement) });
      try {
        const source = directorySource(dir);
        const state = await readMigrationState(traced, source, testSettings().plan);
        const planned = renderPlan(planUp(state.status, state.context));
        assert.equal(printed.stdout, `${planned}\n`);
        trace.length = 0;
        const result = await migrateUp(traced, source, testSettings());
        assert.deepEqual([result.from, result.to, result.applied.length], [2, 2, 0]);
        assert.deepEqual(
          result.rebuilt.map((step) => step.version),
          [2],
        );
        assert.equal(
          trace
            .filter((t) => t.method === 'exec')
            .map((t) => t.sql)
            .join('\n'),
          planned,
        );
        for (const other of trace.filter((t) => t.method === 'query')) assert.match(other.sql.trim(), /^(SELECT|WITH)\b/i);
      } finally {
        await traced.close();
      }
      await assertBothIndexesValidAndApplied(observer, test.url);
      assert.equal((await cli('migrate', 'status', '--db', test.url, '--dir', dir)).code, 0);
      const up = await cli('migrate', 'up', '--db', test.url, '--dir', dir);
      assert.match(up.stdout, /is up to date at version 2/);
    } finally {
      await disconnect(observer);
      await test.cleanup();
    }
  });

  it('a rebuild killed between its DROP and its CREATE: status still names the missing index, and the next up builds it', async () => {
    const test = await createTestDatabase('postgres');
    const observer = await connect(test.url);
    const reader = await connect(test.url);
    const sharer = await connect(test.url);
    let runner: WatchedChild | undefined;
    try {
      const dir = writeMigrations(test.dir, MIGRATIONS);
      await appliedWithInvalidIndex(test, dir, observer);
      const planned = await cli('migrate', 'plan', '--db', test.url, '--dir', dir);
      assert.match(planned.stdout, /DROP INDEX CONCURRENTLY IF EXISTS idx_fills_venue;/);

      // A reader makes DROP INDEX CONCURRENTLY wait; a SHARE lock queued behind the DROP is granted the
      // moment it ends, so the CREATE that follows waits for it. No lock_timeout fires: 10 minutes.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM fills');
      runner = watch(spawnCli(['migrate', 'up', '--db', test.url, '--dir', dir, '--lock-timeout', '10m'], { cwd: test.dir }));
      await waitFor('the rebuild to wait in DROP INDEX CONCURRENTLY', () => waitingRunner(observer, 'DROP INDEX CONCURRENTLY'));
      const sharerPid = await pidOf(sharer);
      await sharer.query('BEGIN');
      const shared = sharer.query('LOCK TABLE fills IN SHARE MODE');
      await waitFor('the SHARE lock to queue behind the DROP', () => lockWaiter(observer, sharerPid));
      await reader.query('COMMIT');
      await shared;
      const builder = await waitFor('the rebuild to wait in CREATE INDEX CONCURRENTLY', () => waitingRunner(observer, 'CREATE INDEX CONCURRENTLY'));
      assert.deepEqual(await indexStates(observer, 'idx_fills_venue%'), [], 'dropped, not yet built');
      runner.child.kill('SIGKILL');
      await runner.exited;
      await observer.query('SELECT pg_terminate_backend($1)', [builder]);
      await waitFor('the killed build to end', async () => !(await backendAlive(observer, builder)));
      await sharer.query('ROLLBACK');
      assert.deepEqual(await indexStates(observer, 'idx_fills_venue%'), [], 'the index is gone');

      const status = await cli('migrate', 'status', '--db', test.url, '--dir', dir, '--json');
      assert.equal(status.code, 1);
      assert.deepEqual(JSON.parse(status.stdout).rebuild, [{ version: 2, file: '002_index_fills.sql', index: 'idx_fills_venue', state: 'missing' }]);
      const text = await cli('migrate', 'status', '--db', test.url, '--dir', dir);
      assert.match(text.stdout, /index idx_fills_venue of migration 2 \(002_index_fills\.sql\) is missing[^\n]*`migrate up` rebuilds it/);

      const up = await runBinary(['migrate', 'up', '--db', test.url, '--dir', dir], { cwd: test.dir });
      assert.equal(up.code, 0, up.stderr);
      await assertBothIndexesValidAndApplied(observer, test.url);
      assert.equal((await cli('migrate', 'status', '--db', test.url, '--dir', dir)).code, 0);
    } finally {
      await reap(runner);
      await reader.query('ROLLBACK').catch(() => undefined);
      await sharer.query('ROLLBACK').catch(() => undefined);
      await disconnect(observer, reader, sharer);
      await test.cleanup();
    }
  });

  it('bot-ledger 007 under a long transaction: never recorded applied with an invalid trade_id index', async () => {
    const test = await createTestDatabase('postgres');
    const holder = await connect(test.url);
    const observer = await connect(test.url);
    try {
      assert.equal((await cli('migrate', 'up', '--to', '6', '--db', test.url, ...PACK)).code, 0);
      const holderPid = await pidOf(holder);
      await holdSnapshot(holder);
      const run = await runBinary(['migrate', 'up', '--db', test.url, ...PACK, '--lock-timeout', '300ms', '--retries', '2'], { cwd: test.dir });
      const history = await historyOf(test.url);
      assert.deepEqual(
        { code: run.code, version7: history.find(([version]) => version === 7)?.[1], indexes: await indexStates(observer, 'idx_%_profile_trade_id') },
        { code: 1, version7: false, indexes: [['idx_orders_profile_trade_id', false]] },
        run.stderr,
      );
      assert.match(run.stderr, /migration 7 \(007_trade_lifecycle_integrity_constraints\.sql\) up failed \[55P03\]/);
      assert.match(run.stderr, new RegExp(`blocked by pid ${holderPid} `));
      assert.match(run.stderr, /retry later or raise --lock-timeout/);

      await holder.query('COMMIT');
      const again = await cli('migrate', 'up', '--db', test.url, ...PACK);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await indexStates(observer, 'idx_%_profile_trade_id'), [
        ['idx_orders_profile_trade_id', true],
        ['idx_trade_history_profile_trade_id', true],
      ]);
      assert.equal((await cli('migrate', 'status', '--db', test.url, ...PACK)).code, 0);
      assert.equal((await cli('migrate', 'verify', '--db', test.url, ...PACK)).code, 0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await disconnect(holder, observer);
      await test.cleanup();
    }
  });
});
