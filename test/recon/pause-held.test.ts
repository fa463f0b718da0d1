// The pause is held until the backfill commits (issue 11): the apply transaction locks each
// profile's trading_status row FOR SHARE and reads PAUSED there. Both orders of events, with real
// concurrent connections on a PostgreSQL server: a resume that commits while the apply waits is
// what the apply sees (NO_GO profile_not_paused, nothing inserted); a resume sent while the apply
// holds the pause waits for the backfill's commit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { Database } from '../../src/db/port.ts';
import { applyBatch } from '../../src/recon/apply-batch.ts';
import { backfillOrderId } from '../../src/recon/backfill-id.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { at } from '../helpers/ledger-fixture.ts';
import { connect, disconnect, waitFor } from '../helpers/processes.ts';
import { plannedLedger, tableDeps } from './fixture.ts';

async function p1Backfills(observer: pg.Client): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE profile_id = 'p1' AND order_id LIKE 'BFILL-%'`);
  return rows[0]!.n;
}

/** The pid of the tradeledger backend waiting on a lock in a statement matching `query` (a LIKE pattern). */
async function waitingIn(observer: pg.Client, query: string): Promise<number | undefined> {
  const { rows } = await observer.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'tradeledger' AND wait_event_type = 'Lock' AND query LIKE $1`,
    [query],
  );
  return rows[0]?.pid;
}

describe('the pause is held until the backfill commits (PostgreSQL, concurrent connections)', () => {
  let test: TestDatabase;
  let db: Database;
  let batchId: string;
  let observer: pg.Client;
  let other: pg.Client;
  before(async () => {
    ({ test, db, batchId } = await plannedLedger('postgres'));
    observer = await connect(test.url);
    other = await connect(test.url);
  });
  after(async () => {
    await disconnect(observer, other);
    await db?.close();
    await test?.cleanup();
  });

  it('a resume that commits while the apply waits for the pause row: the apply sees RUNNING, records NO_GO profile_not_paused, inserts nothing', async () => {
    await other.query('BEGIN');
    await other.query(`UPDATE trading_status SET state = 'RUNNING', updated_by = 'another program' WHERE profile_id = 'p1'`);
    const applying = applyBatch(db, await tableDeps(db), batchId);
    await waitFor('the apply to wait for the pause row', () => waitingIn(observer, '%FROM trading_status%FOR SHARE%'));
    await other.query('COMMIT');
    const result = await applying;
    const p1 = result.audit.filter((row) => row.profileId === 'p1');
    assert.ok(p1.length > 0);
    for (const row of p1) assert.deepEqual([row.decision, row.reason], ['NO_GO', 'profile_not_paused'], JSON.stringify(row));
    assert.equal(await p1Backfills(observer), 0);
  });
});

describe('a resume while the apply holds the pause (PostgreSQL, concurrent connections)', () => {
  let test: TestDatabase;
  let db: Database;
  let batchId: string;
  let observer: pg.Client;
  let blocker: pg.Client;
  let resumer: pg.Client;
  before(async () => {
    ({ test, db, batchId } = await plannedLedger('postgres'));
    observer = await connect(test.url);
    blocker = await connect(test.url);
    resumer = await connect(test.url);
  });
  after(async () => {
    await disconnect(observer, blocker, resumer);
    await db?.close();
    await test?.cleanup();
  });

  it('waits for the backfill to commit; the backfill commits as PAUSED saw it, then the resume lands', async () => {
    // One of the batch's order ids, inserted and not committed: the apply's INSERT waits for it,
    // inside its transaction, after it has read and locked the pause.
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO orders (order_id, profile_id, symbol, status, source) VALUES ($1, 'p1', 'BTC', 'canceled', 'manual')`, [
      backfillOrderId('p1', 'TRD-g1', 'X1', at(10)),
    ]);
    const applying = applyBatch(db, await tableDeps(db), batchId);
    const applier = await waitFor('the apply to wait inside its INSERT INTO orders', () => waitingIn(observer, 'INSERT INTO orders%'));

    const resuming = resumer.query(`UPDATE trading_status SET state = 'RUNNING', updated_by = 'another program' WHERE profile_id = 'p1'`);
    await waitFor('the resume to wait for the apply', async () => {
      const { rows } = await observer.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND $1 = ANY (pg_blocking_pids(pid)) AND query LIKE 'UPDATE trading_status%'`,
        [applier],
      );
      return rows[0]!.n === 1;
    });
    const { rows: state } = await observer.query<{ state: string }>(`SELECT state FROM trading_status WHERE profile_id = 'p1'`);
    assert.deepEqual(state, [{ state: 'PAUSED' }], 'the resume has not happened while the backfill is open');

    await blocker.query('ROLLBACK');
    const result = await applying;
    assert.ok(result.audit.some((row) => row.profileId === 'p1' && row.decision === 'APPLIED'));
    await resuming;
    assert.ok((await p1Backfills(observer)) > 0);
    const { rows: after } = await observer.query<{ state: string }>(`SELECT state FROM trading_status WHERE profile_id = 'p1'`);
    assert.deepEqual(after, [{ state: 'RUNNING' }], 'the resume lands once the backfill has committed');
  });
});
