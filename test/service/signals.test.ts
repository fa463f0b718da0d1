// The daemon as a real process on a real PostgreSQL server, stopped while a reconciliation cycle
// is inside its transaction. The cycle is held there by a test transaction that has inserted (and
// not committed) one of the batch's BFILL order_ids: the daemon has written its audit rows and
// waits on that row's unique-index entry. SIGTERM must let the cycle finish and exit 0 within
// 10 s; SIGKILL must leave nothing of the batch. Also: /healthz answers 503 once the database is gone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { backfillOrderId } from '../../src/recon/backfill-id.ts';
import { postgresAdminUrl, type TestDatabase } from '../helpers/databases.ts';
import { at } from '../helpers/ledger-fixture.ts';
import { connect, disconnect, reap, waitFor } from '../helpers/processes.ts';
import { reconLedger } from '../recon/fixture.ts';
import { APPLY_ENV, spawnDaemon, startInProcess, type ChildDaemon } from './daemon.ts';

function ledger(): Promise<TestDatabase> {
  return reconLedger('postgres');
}

/** Opens a transaction that inserts one of the batch's order_ids and keeps it open: the daemon's INSERT waits for it. */
async function holdOrderId(url: string): Promise<pg.Client> {
  const blocker = await connect(url);
  await blocker.query('BEGIN');
  await blocker.query(`INSERT INTO orders (order_id, profile_id, symbol, status, source) VALUES ($1, 'p1', 'BTC', 'canceled', 'manual')`, [
    backfillOrderId('p1', 'TRD-g1', 'X1', at(10)),
  ]);
  return blocker;
}

/** The daemon's backend, once it waits on a lock inside its INSERT INTO orders with its audit rows written. */
async function blockedCycle(observer: pg.Client): Promise<number> {
  return waitFor(
    'the cycle to wait inside its transaction with its audit rows written',
    async () => {
      const { rows } = await observer.query<{ pid: number; audit_written: boolean }>(
        `SELECT a.pid,
              EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.mode = 'RowExclusiveLock'
                        AND l.relation = 'reconciliation_backfill_audit'::regclass) AS audit_written
         FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.application_name = 'tradeledger'
          AND a.wait_event_type = 'Lock' AND a.query LIKE 'INSERT INTO orders%'`,
      );
      return rows[0]?.audit_written === true ? rows[0].pid : undefined;
    },
    30_000,
  );
}

async function batchState(observer: pg.Client): Promise<{ batches: { batch_id: string; applied: number; rows: number }[]; bfill: number }> {
  const batches = await observer.query<{ batch_id: string; applied: number; rows: number }>(
    `SELECT batch_id, count(*) FILTER (WHERE decision = 'APPLIED')::int AS applied, count(*)::int AS rows FROM reconciliation_backfill_audit GROUP BY batch_id`,
  );
  const bfill = await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE order_id LIKE 'BFILL-%'`);
  return { batches: batches.rows, bfill: bfill.rows[0]!.n };
}

describe('tradeledger serve stopped during a cycle (PostgreSQL, real process)', () => {
  it('SIGTERM: stops taking requests, lets the cycle commit its whole batch, exits 0 within 10 s', async () => {
    const test = await ledger();
    let child: ChildDaemon | undefined;
    let blocker: pg.Client | undefined;
    let observer: pg.Client | undefined;
    try {
      blocker = await holdOrderId(test.url);
      observer = await connect(test.url);
      // A short interval: were cycles to overlap, a second one would start while the first is held.
      child = await spawnDaemon(['--db', test.url, '--interval', '100ms'], { cwd: test.dir, env: APPLY_ENV });
      await blockedCycle(observer);
      assert.deepEqual(await batchState(observer), { batches: [], bfill: 0 }, 'nothing is visible before the commit');
      await sleep(1000);
      const busy = await observer.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tradeledger' AND state <> 'idle'`,
      );
      assert.equal(busy.rows.length, 1, 'a slow cycle delays the next one instead of running beside it');
      const health = (await (await fetch(`${child.base}/healthz`)).json()) as { lastCycle: unknown };
      assert.equal(health.lastCycle, null, 'requests are still answered while the cycle waits');

      child.watched.child.kill('SIGTERM');
      await waitFor(
        'the daemon to stop listening',
        async () =>
          fetch(`${child!.base}/healthz`).then(
            () => false,
            () => true,
          ),
        5000,
      );
      assert.equal(child.watched.child.exitCode, null, 'still running: the cycle has not finished');

      await blocker.query('ROLLBACK');
      const end = await child.watched.exited;
      assert.equal(end.code, 0, child.watched.stderr());

      const state = await batchState(observer);
      assert.equal(state.batches.length, 1);
      assert.equal(state.batches[0]!.applied, 7, 'the whole batch committed');
      assert.equal(state.bfill, 7);
      const messages = child.lines().map((line) => line.msg);
      const stopping = messages.findIndex((msg) => msg.startsWith('Stopping'));
      const cycle = messages.findIndex((msg) => msg.startsWith('Reconciliation cycle (apply)'));
      assert.ok(stopping >= 0 && cycle > stopping, `the cycle ended after the stop began: ${messages.join(' | ')}`);
      const last = child.lines().at(-1)!;
      assert.deepEqual([last.msg, last['clean']], ['Daemon stopped', true]);
    } finally {
      await reap(child?.watched);
      await disconnect(blocker, observer);
      await test.cleanup();
    }
  });

  it('SIGTERM with a cycle held past serve.shutdown_grace: logs it, and exits 1 once the cycle lets go, its batch whole', async () => {
    const test = await ledger();
    let child: ChildDaemon | undefined;
    let blocker: pg.Client | undefined;
    let observer: pg.Client | undefined;
    try {
      writeFileSync(join(test.dir, 'tradeledger.yaml'), 'serve:\n  shutdown_grace: 300ms\n');
      blocker = await holdOrderId(test.url);
      observer = await connect(test.url);
      child = await spawnDaemon(['--db', test.url, '--config', join(test.dir, 'tradeledger.yaml')], { cwd: test.dir, env: APPLY_ENV });
      await blockedCycle(observer);
      child.watched.child.kill('SIGTERM');
      await waitFor('the grace period to run out', () =>
        child!.lines().some((line) => line.level === 50 && line.msg.startsWith('The running cycle did not finish within 300 ms')),
      );
      assert.equal(child.watched.child.exitCode, null, 'its connection is still in use');
      await blocker.query('ROLLBACK');
      const end = await child.watched.exited;
      assert.equal(end.code, 1);
      assert.match(
        child.watched.stderr(),
        /^tradeledger: the running reconciliation cycle did not finish within 300 ms of SIGTERM; it commits or rolls back as a whole\n$/,
      );
      const state = await batchState(observer);
      assert.deepEqual([state.batches.length, state.batches[0]?.applied, state.bfill], [1, 7, 7]);
    } finally {
      await reap(child?.watched);
      await disconnect(blocker, observer);
      await test.cleanup();
    }
  });

  it('SIGKILL mid-cycle: no half-applied batch; the next daemon applies it whole', async () => {
    const test = await ledger();
    let child: ChildDaemon | undefined;
    let blocker: pg.Client | undefined;
    let observer: pg.Client | undefined;
    try {
      blocker = await holdOrderId(test.url);
      observer = await connect(test.url);
      child = await spawnDaemon(['--db', test.url, '--interval', '60s'], { cwd: test.dir, env: APPLY_ENV });
      const pid = await blockedCycle(observer);

      child.watched.child.kill('SIGKILL');
      assert.equal((await child.watched.exited).signal, 'SIGKILL');
      // Let the orphaned backend go on: it inserts its rows, then finds its client gone and never sees a COMMIT.
      await blocker.query('ROLLBACK');
      await waitFor(
        "the killed daemon's backend to end",
        async () => (await observer!.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length === 0,
        15_000,
      );
      assert.deepEqual(await batchState(observer), { batches: [], bfill: 0 }, 'neither audit rows nor orders of the killed batch');

      child = await spawnDaemon(['--db', test.url, '--interval', '60s'], { cwd: test.dir, env: APPLY_ENV });
      const state = await waitFor("the next daemon's batch", async () => {
        const found = await batchState(observer!);
        return found.batches.length > 0 ? found : undefined;
      });
      assert.equal(state.batches.length, 1);
      assert.equal(state.batches[0]!.applied, 7);
      assert.equal(state.bfill, 7);
      child.watched.child.kill('SIGTERM');
      assert.equal((await child.watched.exited).code, 0);
    } finally {
      await reap(child?.watched);
      await disconnect(blocker, observer);
      await test.cleanup();
    }
  });
});

describe('GET /healthz when the database goes away (PostgreSQL)', () => {
  let test: TestDatabase;
  before(async () => {
    test = await ledger();
  });
  after(async () => {
    await test?.cleanup();
  });

  it('answers 503 with the error, and the daemon still stops cleanly', async () => {
    const running = await startInProcess(test.url, test.dir, { yaml: 'serve:\n  port: 0\n  interval: 1h\n' });
    try {
      assert.equal((await fetch(`${running.base}/healthz`)).status, 200);
      const admin = await connect(postgresAdminUrl());
      try {
        await admin.query(`DROP DATABASE ${new URL(test.url).pathname.slice(1)} WITH (FORCE)`);
      } finally {
        await disconnect(admin);
      }
      const response = await fetch(`${running.base}/healthz`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as { status: string; database: { reachable: boolean; schemaVersion: number | null; error: string } };
      assert.deepEqual([body.status, body.database.reachable, body.database.schemaVersion], ['unavailable', false, null]);
      assert.match(body.database.error, /does not exist|terminat/);
      assert.equal((await fetch(`${running.base}/metrics`)).status, 200, 'metrics need no database');
    } finally {
      assert.deepEqual(await running.daemon.stop(), { clean: true });
    }
  });
});
