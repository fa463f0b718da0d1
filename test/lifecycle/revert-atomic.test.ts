// A refused revert changes nothing (issue 11): `lifecycle backfill --revert` under the guardrails
// used to restore the trade_history rows, then stop at the first order a guardrail refused, with
// the batch still 'done'. Now the whole revert is one transaction: refused, every row and the
// batch are as they were; after `lifecycle loosen` it restores everything in one go.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { revertBackfill } from '../../src/lifecycle/backfill-revert.ts';
import { isTradeledgerError } from '../../src/errors.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { historyTradeIds, orderTradeIds } from '../helpers/ledger-fixture.ts';
import { BACKFILL_SETTINGS, backfilledAtPhaseB } from './fixture.ts';

const SETTINGS = BACKFILL_SETTINGS;

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`lifecycle backfill --revert under the guardrails (${kind})`, () => {
    let test: TestDatabase;
    let db: Database;
    let batchId: string;
    let beforeApply: { orders: Map<string, string | null>; history: Map<string, string | null> };
    before(async () => {
      ({ test, db, batchId, beforeApply } = await backfilledAtPhaseB(kind));
    });
    after(async () => {
      await db?.close();
      await test?.cleanup();
    });

    it('refused by a guardrail (exit 3): no row restored, the batch still done; after loosen, everything restored at once', async () => {
      const applied = { orders: await orderTradeIds(db), history: await historyTradeIds(db) };
      const status = async () =>
        (await db.query<{ status: string }>('SELECT status FROM lifecycle_backfill_batches WHERE batch_id = $1', [batchId]))[0]?.status;
      const statusBefore = await status();

      await assert.rejects(
        revertBackfill(db, batchId, SETTINGS),
        (error) =>
          isTradeledgerError(error) &&
          error.exitCode === 3 &&
          /violates chk_orders_action_lifecycle.*nothing was restored.*lifecycle loosen/.test(error.message),
      );
      assert.deepEqual(await orderTradeIds(db), applied.orders, 'no order restored');
      assert.deepEqual(await historyTradeIds(db), applied.history, 'no trade_history row restored');
      assert.equal(await status(), statusBefore, 'the batch is as it was');

      await db.close();
      assert.equal((await cli('lifecycle', 'loosen', '--db', test.url)).code, 0);
      db = await openDatabase(test.url);
      const result = await revertBackfill(db, batchId, SETTINGS);
      assert.deepEqual(
        { restored: result.restored, conflicts: result.conflicts },
        { restored: 12, conflicts: 0 },
        'nothing was restored before, so nothing conflicts',
      );
      assert.deepEqual(await orderTradeIds(db), beforeApply.orders);
      assert.deepEqual(await historyTradeIds(db), beforeApply.history);
      assert.equal(await status(), 'reverted');
    });
  });
}
