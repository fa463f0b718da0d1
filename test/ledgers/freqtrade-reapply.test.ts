import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { dumpTable, freqtradeRows, insertRow, orderRow, tradeRow } from '../helpers/freqtrade.ts';
import { plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

type Row = Record<string, unknown>;
const bool = (v: unknown) => v === true || v === 1;
// The trades columns a close writes, as the database holds them.
const CLOSE = ['is_open', 'close_rate', 'close_profit', 'close_profit_abs', 'realized_profit', 'funding_fees', 'fee_close', 'fee_close_cost', 'exit_reason'];

async function closeColumns(db: Database, id: number): Promise<unknown[]> {
  const [row] = await db.query<Row>(`SELECT ${CLOSE.join(', ')} FROM trades WHERE id = $1`, [id]);
  return CLOSE.map((c) => (c === 'is_open' ? bool(row?.[c]) : row?.[c]));
}

async function exitRows(db: Database): Promise<Row[]> {
  return db.query<Row>(
    "SELECT id, ft_trade_id, order_id, status, filled, ft_is_open, ft_cancel_reason, average FROM orders WHERE order_id IN ('x2', 'x3') ORDER BY order_id",
  );
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`recon --ledger freqtrade after a rollback, on ${kind}`, () => {
    let test: TestDatabase;
    let evidence: string;
    const apply = async () => {
      const run = await cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', '--json');
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as {
        batchId: string;
        counts: Record<string, number>;
        decisions: { tradeId: number; decision: string; detail: string | null }[];
      };
    };
    const rollback = async (batch: string) => {
      const run = await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', batch, '--json');
      assert.equal(run.code, 0, run.stderr);
      const { backup: _, ...result } = JSON.parse(run.stdout) as Row;
      return result;
    };
    const withDb = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
      const db = await openDatabase(test.url);
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    };
    before(async () => {
      ({ test, evidence } = await plantedFreqtradeDatabase(kind));
    });
    after(async () => test.cleanup());

    let firstClose: unknown[][] = [];
    let firstExits: Row[] = [];
    let batch2 = '';
    it('an apply after a rollback closes the trades again from the same fills, into our own rolled-back rows', async () => {
      const first = await apply();
      assert.deepEqual(first.counts, { APPLIED: 2, NO_GO: 3 });
      firstClose = await withDb(async (db) => [await closeColumns(db, 2), await closeColumns(db, 3)]);
      firstExits = await withDb(exitRows);
      assert.deepEqual(await rollback(first.batchId), { batchId: first.batchId, reopened: 2, canceled: 2, conflicts: [], alreadyReverted: false });
      const [ordersBefore, otherOrders] = await withDb(async (db) => {
        const all = (await dumpTable(db, 'orders')) as Row[];
        return [all.length, all.filter((o) => o['order_id'] !== 'x2' && o['order_id'] !== 'x3')];
      });

      const second = await apply();
      assert.deepEqual(second.counts, { APPLIED: 2, NO_GO: 3 }, 'the same evidence closes the same two trades again');
      batch2 = second.batchId;
      assert.notEqual(batch2, first.batchId);
      for (const d of second.decisions.filter((d) => d.decision === 'APPLIED'))
        assert.match(d.detail ?? '', /reinstated exit order\(s\) x[23] that a rollback had canceled/);
      await withDb(async (db) => {
        assert.deepEqual([await closeColumns(db, 2), await closeColumns(db, 3)], firstClose, 'closed with the figures of the first apply');
        const all = (await dumpTable(db, 'orders')) as Row[];
        assert.equal(all.length, ordersBefore, 'no order inserted: (ft_pair, order_id) stays unique');
        assert.deepEqual(
          all.filter((o) => o['order_id'] !== 'x2' && o['order_id'] !== 'x3'),
          otherOrders,
          "the bot's own orders are untouched",
        );
        assert.deepEqual(await exitRows(db), firstExits, 'the rolled-back rows are filled again, under their own ids, as the first apply wrote them');
        const audit = await db.query<Row>('SELECT trade_id, decision FROM tradeledger_freqtrade_audit WHERE batch_id = $1 ORDER BY trade_id', [batch2]);
        assert.deepEqual(
          audit.map((a) => `${a['trade_id']}:${a['decision']}`),
          ['2:APPLIED', '3:APPLIED', '6:NO_GO', '8:NO_GO', '9:NO_GO'],
        );
      });
      const verify = await cli('recon', 'verify', '--ledger', 'freqtrade', '--db', test.url, '--json');
      assert.equal(verify.code, 0, verify.stdout);
      assert.equal(JSON.parse(verify.stdout).applied, 2);
    });

    it('a rerun after the re-close is idempotent', async () => {
      const before = await withDb(freqtradeRows);
      assert.deepEqual((await apply()).counts, { NO_GO: 3 });
      assert.deepEqual(await withDb(freqtradeRows), before);
    });

    it('the second batch rolls back too, and an order changed since by someone else is never filled again', async () => {
      assert.deepEqual(await rollback(batch2), { batchId: batch2, reopened: 2, canceled: 2, conflicts: [], alreadyReverted: false });
      await withDb(async (db) => {
        const rows = await exitRows(db);
        assert.deepEqual(
          rows.map((o) => [o['order_id'], o['status'], Number(o['filled']), o['ft_cancel_reason']]),
          [
            ['x2', 'canceled', 0, `tradeledger rollback ${batch2}`],
            ['x3', 'canceled', 0, `tradeledger rollback ${batch2}`],
          ],
        );
        // The bot (or a person) takes x2 over: its row is no longer as our rollback left it.
        await db.query("UPDATE orders SET ft_cancel_reason = 'canceled by the bot' WHERE order_id = 'x2'");
      });
      const ordersBefore = await withDb(async (db) => (await dumpTable(db, 'orders')) as Row[]);
      const third = await apply();
      assert.deepEqual(
        third.decisions.filter((d) => d.tradeId === 2 || d.tradeId === 3).map((d) => `${d.tradeId}:${d.decision}`),
        ['2:NO_GO', '3:APPLIED'],
      );
      await withDb(async (db) => {
        const after = (await dumpTable(db, 'orders')) as Row[];
        assert.equal(after.length, ordersBefore.length);
        assert.deepEqual(
          after.find((o) => o['order_id'] === 'x2'),
          ordersBefore.find((o) => o['order_id'] === 'x2'),
          'x2 left as it is',
        );
        assert.equal(bool((await db.query<Row>('SELECT is_open FROM trades WHERE id = 2'))[0]?.['is_open']), true);
        assert.deepEqual(await closeColumns(db, 3), firstClose[1]);
      });
    });
  });
}

describe('a rolled-back exit row belongs to its own trade only', () => {
  it('another open trade on the same pair still sees the order as known: no second row, no unique violation', async () => {
    const { test, evidence } = await plantedFreqtradeDatabase('sqlite');
    const run = () => cli('recon', 'run', '--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence, '--enable', '--no-dry-run', '--json');
    try {
      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      assert.equal((await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', JSON.parse(first.stdout).batchId)).code, 0);
      // A second ETH/USDT trade opened before x2 filled: x2's fills fall in its window too.
      const db = await openDatabase(test.url);
      await insertRow(
        db,
        'trades',
        tradeRow({ id: 20, pair: 'ETH/USDT', amount: 0.5, open_rate: 3000, stake_amount: 1500, open_date: '2026-01-12 09:00:00.000000' }),
      );
      await insertRow(
        db,
        'orders',
        orderRow({ id: 20, ft_trade_id: 20, ft_pair: 'ETH/USDT', order_id: 'e20', ft_order_side: 'buy', amount: 0.5, price: 3000 }),
      );
      const orders = (await dumpTable(db, 'orders')).length;
      await db.close();
      const again = await run();
      assert.equal(again.code, 0, again.stderr);
      const decisions = (JSON.parse(again.stdout) as { decisions: { tradeId: number; decision: string; reason: string | null }[] }).decisions;
      assert.deepEqual(
        decisions.filter((d) => d.tradeId === 2 || d.tradeId === 20).map((d) => `${d.tradeId}:${d.decision}:${d.reason}`),
        ['2:APPLIED:null', '20:NO_GO:missing_fill_evidence_for_large_remainder'],
      );
      const after = await openDatabase(test.url);
      assert.equal((await dumpTable(after, 'orders')).length, orders);
      await after.close();
    } finally {
      await test.cleanup();
    }
  });
});
