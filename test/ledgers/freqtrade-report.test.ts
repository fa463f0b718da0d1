import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { dumpTable, freqtradeDdl, freqtradeRows } from '../helpers/freqtrade.ts';
import { plantedFreqtradeDatabase } from './freqtrade-fixture.ts';

interface Anomaly {
  kind: string;
  tradeId: number | null;
  rows: { table: string; key: number }[];
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`lifecycle report --ledger freqtrade on ${kind}`, () => {
    let test: TestDatabase;
    before(async () => {
      ({ test } = await plantedFreqtradeDatabase(kind));
    });
    after(async () => test.cleanup());

    it("finds every planted anomaly, naming freqtrade's rows, and exits 1", async () => {
      const run = await cli('lifecycle', 'report', '--ledger', 'freqtrade', '--db', test.url, '--json');
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as { trades: number; openTrades: number; anomalies: Anomaly[] };
      assert.equal(report.trades, 9);
      assert.equal(report.openTrades, 5);
      const found = report.anomalies.map((a) => `${a.kind}:${a.tradeId}:${a.rows.map((r) => `${r.table}.${r.key}`).join(',')}`);
      const expected = [
        'exit_without_entry:7:orders.11',
        'closed_amount_mismatch:4:orders.6,orders.7',
        'closed_amount_mismatch:7:orders.11',
        'open_order_on_closed_trade:5:orders.10',
        'open_trade_without_entry:6:trades.6',
        ...(kind === 'sqlite' ? ['orphan_order:999:orders.14'] : []),
      ];
      assert.deepEqual(found.sort(), expected.sort());
    });

    it('reads the database as it is: nothing written', async () => {
      const db = await openDatabase(test.url);
      const before = await freqtradeRows(db);
      await db.close();
      assert.equal((await cli('lifecycle', 'report', '--ledger', 'freqtrade', '--db', test.url)).code, 1);
      const again = await openDatabase(test.url);
      assert.deepEqual([await dumpTable(again, 'trades'), await dumpTable(again, 'orders')], before);
      await again.close();
    });

    it('ledger: freqtrade in tradeledger.yaml does what --ledger does', async () => {
      const { writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const file = join(test.dir, 'tradeledger.yaml');
      writeFileSync(file, `ledger: freqtrade\ndatabase:\n  url: ${JSON.stringify(test.url)}\n`);
      const run = await cli('lifecycle', 'report', '--config', file, '--format', 'csv');
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /^kind,trade_id,pair,detail,rows/);
      assert.match(run.stdout, /open_trade_without_entry,6,XRP\/USDT/);
    });
  });
}

describe('the freqtrade schema check', () => {
  it('refuses an older freqtrade schema (no precision_mode_price) with exit 2, naming the fix', async () => {
    const test = await createTestDatabase('sqlite');
    const db = await openDatabase(test.url);
    await db.exec(freqtradeDdl('sqlite').replace('\tprecision_mode_price INTEGER,\n', ''));
    await db.close();
    const run = await cli('lifecycle', 'report', '--ledger', 'freqtrade', '--db', test.url);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /no precision_mode_price column.*older than 2024\.8: start freqtrade 2024\.8 or later once/);
    await test.cleanup();
  });

  it('refuses an unknown newer schema (a record_version column) with exit 2', async () => {
    const test = await createTestDatabase('sqlite');
    const db = await openDatabase(test.url);
    await db.exec(freqtradeDdl('sqlite'));
    await db.exec('ALTER TABLE trades ADD COLUMN record_version INTEGER');
    await db.close();
    const run = await cli('recon', 'detect', '--ledger', 'freqtrade', '--db', test.url);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /record_version, a freqtrade schema newer than the one tradeledger knows/);
    await test.cleanup();
  });

  it('refuses a SQLite file that does not exist with exit 2, and does not create it', async () => {
    const { existsSync } = await import('node:fs');
    const test = await createTestDatabase('sqlite');
    const missing = test.url.slice('sqlite:'.length);
    for (const argv of [
      ['lifecycle', 'report'],
      ['recon', 'detect'],
    ]) {
      const run = await cli(...argv, '--ledger', 'freqtrade', '--db', test.url);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /no such file; point --db at freqtrade's database/);
    }
    assert.equal(existsSync(missing), false);
    await test.cleanup();
  });

  it('refuses a database that is not freqtrade with exit 2', async () => {
    const test = await createTestDatabase('sqlite');
    const db = await openDatabase(test.url);
    await db.exec('CREATE TABLE fills (id INTEGER PRIMARY KEY)');
    await db.close();
    const run = await cli('lifecycle', 'report', '--ledger', 'freqtrade', '--db', test.url);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /has no freqtrade trades table/);
    await test.cleanup();
  });
});

// The issue's transcript: a freqtrade operator running the commands without --ledger.
for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`without --ledger, a freqtrade database on ${kind}`, () => {
    let test: TestDatabase;
    before(async () => {
      ({ test } = await plantedFreqtradeDatabase(kind));
    });
    after(async () => test.cleanup());

    it('lifecycle report says to add --ledger freqtrade, not to create the bot-ledger schema (exit 2)', async () => {
      const run = await cli('lifecycle', 'report', '--db', test.url);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /is a freqtrade database \(orders\.ft_trade_id\): add --ledger freqtrade/);
      assert.doesNotMatch(run.stderr, /migrate up --pack bot-ledger|is SQLite/);
    });

    it('recon detect says the same instead of a raw column "profile_id" does not exist (exit 2)', async () => {
      const run = await cli('recon', 'detect', '--db', test.url);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /add --ledger freqtrade/);
      assert.doesNotMatch(run.stderr, /42703|profile_id/);
    });
  });
}

describe('the freqtrade report over more trades than one read takes (2000)', () => {
  it('finds anomalies on both sides of a chunk boundary, and an orphan in a gap of trade ids, once each', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const test = await createTestDatabase('sqlite');
    // As freqtrade's Python sqlite3 runs it: foreign keys off, so an order can outlive its trade.
    const db = new DatabaseSync(test.url.slice('sqlite:'.length), { enableForeignKeyConstraints: false });
    db.exec(freqtradeDdl('sqlite'));
    const trade = db.prepare(
      "INSERT INTO trades (id, exchange, pair, is_open, fee_open, fee_close, open_rate, stake_amount, amount, open_date, is_stop_loss_trailing, is_short, interest_rate) VALUES (?, 'binance', 'BTC/USDT', 0, 0.001, 0.001, 10, 10, 1, '2026-01-01 00:00:00.000000', 0, 0, 0)",
    );
    const order = db.prepare(
      "INSERT INTO orders (id, ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount, ft_price, order_id, status, amount, filled, average) VALUES (?, ?, ?, 'BTC/USDT', 0, 1, 10, ?, 'closed', 1, ?, 10)",
    );
    db.exec('BEGIN');
    let id = 0;
    for (let t = 1; t <= 4200; t++) {
      if (t === 3000) continue; // a gap: trade 3000 was deleted, its order stayed
      trade.run(t);
      order.run(++id, t, 'buy', `b${t}`, 1);
      // Trades 2000 and 2001 sit on either side of the first chunk's end; 4200 is in the last chunk.
      order.run(++id, t, 'sell', `s${t}`, t === 2000 || t === 2001 || t === 4200 ? 0.5 : 1);
    }
    order.run(++id, 3000, 'buy', 'b3000', 1);
    db.exec('COMMIT');
    db.close();
    const run = await cli('lifecycle', 'report', '--ledger', 'freqtrade', '--db', test.url, '--json');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { trades: number; orders: number; anomalies: Anomaly[] };
    assert.equal(report.trades, 4199);
    assert.equal(report.orders, 4199 * 2 + 1);
    assert.deepEqual(
      report.anomalies.map((a) => `${a.kind}:${a.tradeId}`),
      // The report's order: by kind (orphan_order before closed_amount_mismatch), then by trade.
      ['orphan_order:3000', 'closed_amount_mismatch:2000', 'closed_amount_mismatch:2001', 'closed_amount_mismatch:4200'],
    );
    await test.cleanup();
  });
});
