import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createFreqtradeDatabase, dumpTable, freqtradeDdl } from '../helpers/freqtrade.ts';
import { plantFreqtradeScenario } from './freqtrade-fixture.ts';

interface Anomaly {
  kind: string;
  tradeId: number | null;
  rows: { table: string; key: number }[];
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`lifecycle report --ledger freqtrade on ${kind}`, () => {
    let test: TestDatabase;
    before(async () => {
      const made = await createFreqtradeDatabase(kind);
      test = made.test;
      await plantFreqtradeScenario(made.db, kind);
      await made.db.close();
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
      const before = [await dumpTable(db, 'trades'), await dumpTable(db, 'orders')];
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

  it('refuses a database that is not freqtrade with exit 2', async () => {
    const test = await createTestDatabase('sqlite');
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
      const made = await createFreqtradeDatabase(kind);
      test = made.test;
      await plantFreqtradeScenario(made.db, kind);
      await made.db.close();
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
