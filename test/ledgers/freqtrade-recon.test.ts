import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { integrityCheck } from '../../src/db/sqlite-files.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { dumpTable, freqtradeRows } from '../helpers/freqtrade.ts';
import { EXPECTED_T2, EXPECTED_T3, plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

type Row = Record<string, unknown>;

/** Equal to 12 significant digits: the database stores freqtrade's floats. */
function near(actual: unknown, expected: number, what: string): void {
  const value = Number(actual);
  assert.ok(Math.abs(value - expected) <= Math.abs(expected) * 1e-12 + 1e-12, `${what}: ${value} is not ${expected}`);
}

const bool = (v: unknown) => v === true || v === 1;

async function trade(db: Database, id: number): Promise<Row> {
  const [row] = await db.query<Row>(
    db.dialect === 'postgres'
      ? "SELECT *, to_char(close_date, 'YYYY-MM-DD HH24:MI:SS.US') AS close_text FROM trades WHERE id = $1"
      : 'SELECT *, close_date AS close_text FROM trades WHERE id = $1',
    [id],
  );
  return row as Row;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`recon --ledger freqtrade on ${kind}`, () => {
    let test: TestDatabase;
    let evidence: string;
    const flags = () => ['--ledger', 'freqtrade', '--db', test.url, '--evidence-file', evidence];
    const open = () => openDatabase(test.url);
    before(async () => {
      ({ test, evidence } = await plantedFreqtradeDatabase(kind));
    });
    after(async () => test.cleanup());

    it('detect lists the open trades with what their orders filled', async () => {
      const run = await cli('recon', 'detect', '--ledger', 'freqtrade', '--db', test.url, '--json');
      assert.equal(run.code, 0, run.stderr);
      const rows = JSON.parse(run.stdout) as { tradeId: number; amount: string; entryFilled: string; exitFilled: string }[];
      assert.deepEqual(
        rows.map((r) => `${r.tradeId}:${r.amount}:${r.entryFilled}:${r.exitFilled}`),
        ['2:0.5:0.5:0', '3:10:10:0', '6:30:0:0', '8:5:5:0', '9:10:10:0'],
      );
    });

    it('a dry run decides every open trade and writes nothing', async () => {
      const db = await open();
      const before = await freqtradeRows(db);
      await db.close();
      const run = await cli('recon', 'run', ...flags(), '--enable', '--json');
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { mode: string; decisions: { tradeId: number; decision: string; reason: string | null }[] };
      assert.equal(result.mode, 'dry-run');
      assert.deepEqual(
        result.decisions.map((d) => `${d.tradeId}:${d.decision}:${d.reason}`),
        [
          '2:DRY_RUN:null',
          '3:DRY_RUN:null',
          '6:NO_GO:missing_fill_evidence_for_large_remainder',
          '8:NO_GO:exchange_not_flat',
          '9:NO_GO:missing_fill_evidence_for_large_remainder',
        ],
      );
      const after = await open();
      assert.deepEqual([await dumpTable(after, 'trades'), await dumpTable(after, 'orders')], before);
      const audit = await after.query(
        kind === 'sqlite'
          ? "SELECT name FROM sqlite_master WHERE name = 'tradeledger_freqtrade_audit'"
          : "SELECT to_regclass('tradeledger_freqtrade_audit') AS name",
      );
      assert.ok(audit.length === 0 || (audit[0] as Row)['name'] === null, 'a dry run creates no table');
      await after.close();
    });

    it('refuses to apply while disabled or in dry run (exit 3)', async () => {
      assert.equal((await cli('recon', 'run', ...flags(), '--no-dry-run')).code, 0); // disabled: a run looks at nothing
      assert.equal((await cli('recon', 'apply', ...flags(), '--batch', 'x')).code, 3);
      assert.equal((await cli('recon', 'plan', ...flags())).code, 3);
    });

    let batch = '';
    it('applies: closes the ghost trades the way freqtrade closes them, audit rows first, after a backup', async () => {
      const run = await cli('recon', 'run', ...flags(), '--enable', '--no-dry-run', '--json');
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { mode: string; batchId: string; backup: string | null; counts: Record<string, number> };
      assert.equal(result.mode, 'apply');
      assert.deepEqual(result.counts, { APPLIED: 2, NO_GO: 3 });
      batch = result.batchId;
      if (kind === 'sqlite') {
        assert.ok(result.backup !== null && existsSync(result.backup));
        assert.equal(integrityCheck(result.backup as string), 'ok');
        const copy = await openDatabase(`sqlite:${result.backup}`);
        assert.equal(bool((await trade(copy, 2))['is_open']), true, 'the backup is from before the change');
        await copy.close();
      }
      const db = await open();
      const t2 = await trade(db, 2);
      assert.equal(bool(t2['is_open']), false);
      assert.equal(t2['exit_reason'], 'sold_on_exchange');
      assert.equal(t2['exit_order_status'], 'closed');
      assert.equal(t2['close_text'], EXPECTED_T2.closeDate);
      near(t2['close_rate'], EXPECTED_T2.closeRate, 'close_rate');
      near(t2['close_profit_abs'], EXPECTED_T2.closeProfitAbs, 'close_profit_abs');
      near(t2['realized_profit'], EXPECTED_T2.closeProfitAbs, 'realized_profit');
      near(t2['close_profit'], EXPECTED_T2.closeProfit, 'close_profit');
      near(t2['fee_close_cost'], EXPECTED_T2.feeCloseCost, 'fee_close_cost');
      assert.equal(t2['fee_close_currency'], 'USDT');
      const t3 = await trade(db, 3);
      assert.equal(bool(t3['is_open']), false);
      near(t3['close_rate'], EXPECTED_T3.closeRate, 'close_rate');
      near(t3['close_profit_abs'], EXPECTED_T3.closeProfitAbs, 'short close_profit_abs');
      near(t3['close_profit'], EXPECTED_T3.closeProfit, 'short close_profit');
      near(t3['funding_fees'], EXPECTED_T3.fundingFees, 'funding_fees');
      near(t3['funding_fee_running'], 0, 'funding_fee_running');
      const exits = await db.query<Row>("SELECT * FROM orders WHERE order_id IN ('x2', 'x3') ORDER BY order_id");
      assert.deepEqual(
        exits.map((o) => [o['ft_trade_id'], o['ft_order_side'], o['side'], o['status'], bool(o['ft_is_open']), Number(o['filled']), Number(o['average'])]),
        [
          [2, 'sell', 'sell', 'closed', false, 0.5, EXPECTED_T2.exitAvg],
          [3, 'buy', 'buy', 'closed', false, 10, 140],
        ],
      );
      near(exits[1]?.['funding_fee'], -0.12, 'the exit order takes the running funding fees');
      for (const id of [6, 8, 9]) assert.equal(bool((await trade(db, id))['is_open']), true, `trade ${id} stays open`);
      const audit = await db.query<Row>(
        'SELECT trade_id, decision, reason, before_image FROM tradeledger_freqtrade_audit WHERE batch_id = $1 ORDER BY trade_id',
        [batch],
      );
      assert.deepEqual(
        audit.map((a) => `${a['trade_id']}:${a['decision']}:${a['reason']}`),
        [
          '2:APPLIED:null',
          '3:APPLIED:null',
          '6:NO_GO:missing_fill_evidence_for_large_remainder',
          '8:NO_GO:exchange_not_flat',
          '9:NO_GO:missing_fill_evidence_for_large_remainder',
        ],
      );
      await db.close();
      const report = JSON.parse((await cli('lifecycle', 'report', '--ledger', 'freqtrade', '--db', test.url, '--json')).stdout) as {
        anomalies: { tradeId: number }[];
      };
      assert.ok(!report.anomalies.some((a) => a.tradeId === 2 || a.tradeId === 3), 'the closed trades are consistent');
      const verify = await cli('recon', 'verify', '--ledger', 'freqtrade', '--db', test.url, '--json');
      assert.equal(verify.code, 0, verify.stdout);
      assert.equal(JSON.parse(verify.stdout).applied, 2);
    });

    it('a rerun is idempotent: nothing closed twice, no order twice', async () => {
      const db = await open();
      const before = await freqtradeRows(db);
      await db.close();
      const run = await cli('recon', 'run', ...flags(), '--enable', '--no-dry-run', '--json');
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout).counts, { NO_GO: 3 });
      const again = await open();
      assert.deepEqual([await dumpTable(again, 'trades'), await dumpTable(again, 'orders')], before);
      await again.close();
    });

    it('audit lists the batch; rollback reopens the trades and cancels our exit orders, deleting nothing', async () => {
      const audit = await cli('recon', 'audit', '--ledger', 'freqtrade', '--db', test.url, '--batch', batch, '--json');
      assert.equal(audit.code, 0, audit.stderr);
      assert.equal(JSON.parse(audit.stdout).length, 5);
      const db = await open();
      const ordersBefore = (await dumpTable(db, 'orders')).length;
      await db.close();
      const run = await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', batch, '--json');
      assert.equal(run.code, 0, run.stderr);
      const { backup, ...result } = JSON.parse(run.stdout) as { backup: string | null };
      assert.deepEqual(result, { batchId: batch, reopened: 2, canceled: 2, conflicts: [], alreadyReverted: false });
      assert.equal(backup !== null && existsSync(backup), kind === 'sqlite', 'SQLite: an online backup before the rollback writes');
      const after = await open();
      assert.equal((await dumpTable(after, 'orders')).length, ordersBefore);
      const t2 = await trade(after, 2);
      assert.equal(bool(t2['is_open']), true);
      assert.equal(t2['close_rate'], null);
      assert.equal(t2['exit_reason'], null);
      near((await trade(after, 3))['funding_fee_running'], -0.12, 'funding_fee_running restored');
      const x2 = (await after.query<Row>("SELECT status, filled, ft_is_open FROM orders WHERE order_id = 'x2'"))[0] as Row;
      assert.deepEqual([x2['status'], Number(x2['filled']), bool(x2['ft_is_open'])], ['canceled', 0, false]);
      await after.close();
      const twice = await cli('recon', 'rollback', '--ledger', 'freqtrade', '--db', test.url, '--batch', batch, '--json');
      assert.equal(JSON.parse(twice.stdout).alreadyReverted, true);
    });
  });
}
