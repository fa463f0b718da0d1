import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { generateLedger } from '../../src/generate/generate.ts';
import { lifecycleReport, type LifecycleReport } from '../../src/lifecycle/report.ts';
import { checkSummaries, rebuildSummaries, summariesReady } from '../../src/lifecycle/summaries.ts';
import { cli } from '../helpers/cli.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { baseLedger } from '../generate/ledger.ts';

/** A report without its clock and its source, to compare two reports' content. */
const content = ({ generatedAt, readFrom, ...rest }: LifecycleReport) => {
  void generatedAt;
  void readFrom;
  return rest;
};

/** The report read from the summaries equals the report aggregated from the ledger, on the same data. */
async function sameAsLedger(db: Database): Promise<void> {
  const kept = await lifecycleReport(db);
  assert.equal(kept.readFrom, 'summaries');
  // The ledger's own aggregate: the summaries marked not ready (the triggers still keep them) for one report.
  await db.exec('UPDATE lifecycle_summary_state SET ready = false');
  const aggregated = await lifecycleReport(db);
  await db.exec('UPDATE lifecycle_summary_state SET ready = true');
  assert.equal(aggregated.readFrom, 'ledger');
  assert.deepEqual(content(kept), content(aggregated));
}

for (const kind of ['postgres', 'pglite'] as const satisfies readonly DatabaseKind[]) {
  describe(`lifecycle summaries on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    before(async () => {
      test = await baseLedger(kind);
      db = await openDatabase(test.url);
      await generateLedger(db, { profiles: 6, orders: 1200, anomalyRate: '0.08', seed: 'summaries-test' });
    });
    after(async () => {
      await db?.close();
      await test?.cleanup();
    });
    // PGlite is one process's at a time: the command gets the data directory while this test lets go of it.
    const tl = async (...argv: string[]) => {
      if (kind === 'postgres') return cli(...argv, '--db', test.url);
      await db.close();
      try {
        return await cli(...argv, '--db', test.url);
      } finally {
        db = await openDatabase(test.url);
      }
    };

    it('a ledger without summaries reports from the ledger, as before', async () => {
      assert.equal(await summariesReady(db), false);
      const report = await lifecycleReport(db);
      assert.equal(report.readFrom, 'ledger');
      assert.ok(report.anomalies.length > 0, 'the generated ledger has anomalies to find');
    });

    it('a rebuild counts every lifecycle; the report read from them lists the same anomalies and figures', async () => {
      const rebuilt = await tl('lifecycle', 'summaries', '--rebuild');
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stdout, /lifecycle summaries rebuilt/);
      assert.equal(await summariesReady(db), true);
      assert.equal((await checkSummaries(db)).ok, true);
      await sameAsLedger(db);
    });

    it('stay right through inserts, updates and deletes of every counted column, on one symbol or two, with and without a trade_id', async () => {
      await db.exec(`
        INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source) VALUES
          ('s1', 'p-s', 'BTC', 'TRD-s', 'ENTRY', 'buy', 'filled', 1.5, 'bot'),
          ('s2', 'p-s', 'ETH', 'TRD-s', 'EXIT', 'sell', 'filled', 0.5, 'bot'),
          ('s3', 'p-s', 'BTC', NULL, NULL, 'buy', 'filled', 2, 'manual'),
          ('s4', 'p-s', 'SOL', 'TRD-t', 'ENTRY', 'buy', 'open', 3, 'bot');
        INSERT INTO trade_history (profile_id, symbol, trade_id, quantity) VALUES ('p-s', 'BTC', 'TRD-s', 1), ('p-s', 'ADA', 'TRD-s', 2), ('p-s', 'BTC', NULL, 4);
        UPDATE orders SET status = 'filled', qty = 3 WHERE order_id = 's4';
        UPDATE orders SET symbol = 'ADA', quantity = 1.5 WHERE order_id = 's2';
        UPDATE orders SET trade_id = 'TRD-u' WHERE order_id = 's3';
        UPDATE orders SET action = 'EXIT', source = 'manual' WHERE order_id = 's1';
        UPDATE trade_history SET symbol = 'XRP', quantity = 5 WHERE profile_id = 'p-s' AND symbol = 'ADA';
        DELETE FROM trade_history WHERE profile_id = 'p-s' AND symbol = 'BTC' AND trade_id IS NULL;
        DELETE FROM orders WHERE order_id = 's2';
        UPDATE orders SET updated_at = now() WHERE profile_id = 'p-s';`);
      // Existing generated rows change too: a trade_id moved, a quantity corrected, a row deleted.
      await db.exec(`
        UPDATE orders SET quantity = quantity + 1 WHERE order_id = (SELECT min(order_id) FROM orders WHERE trade_id IS NOT NULL AND profile_id <> 'p-s');
        UPDATE orders SET trade_id = NULL, action = NULL, source = 'manual' WHERE order_id = (SELECT max(order_id) FROM orders WHERE trade_id IS NOT NULL AND profile_id <> 'p-s');
        DELETE FROM orders WHERE order_id = (SELECT max(order_id) FROM orders WHERE profile_id <> 'p-s' AND trade_id IS NOT NULL);`);
      const check = await checkSummaries(db);
      assert.deepEqual(check.mismatches, []);
      assert.equal(check.ok, true);
      await sameAsLedger(db);
    });

    it('a rolled-back write leaves them as they were (they commit or roll back with the write)', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.exec(
            `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source) VALUES ('r1', 'p-r', 'BTC', 'TRD-r', 'ENTRY', 'buy', 'filled', 1, 'bot')`,
          );
          throw new Error('the writer died');
        }),
        /the writer died/,
      );
      assert.equal((await checkSummaries(db)).ok, true);
    });

    it('a write that bypasses the triggers is found by --check (exit 1, naming the lifecycle) and put right by --rebuild', async () => {
      await db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL session_replication_role = replica`);
        await tx.exec(`UPDATE orders SET quantity = 99 WHERE order_id = 's4'`);
      });
      const check = await tl('lifecycle', 'summaries', '--check');
      assert.equal(check.code, 1, check.stderr);
      assert.match(check.stdout, /1 lifecycle summaries differ/);
      assert.match(check.stdout, /p-s\s+t:TRD-t\s+differs\s+entry_qty/);
      assert.equal((await tl('lifecycle', 'summaries', '--rebuild')).code, 0);
      assert.equal((await tl('lifecycle', 'summaries', '--check')).code, 0);
    });

    it('a rebuild waits for an open write no longer than the lock timeout, and then changes nothing', {
      skip: kind === 'pglite' && 'one connection',
    }, async () => {
      const writer = await openDatabase(test.url);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const writing = new Promise<void>((resolve) => (started = resolve));
      const open = writer.transaction(async (tx) => {
        await tx.exec(
          `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source) VALUES ('w1', 'p-w', 'BTC', 'TRD-w', 'ENTRY', 'buy', 'filled', 1, 'bot')`,
        );
        started();
        await held;
        throw new Error('rolled back on purpose');
      });
      try {
        await writing;
        await assert.rejects(rebuildSummaries(db, { lockTimeoutMs: 100 }), (error: Error & { code?: string }) => error.code === '55P03');
        assert.equal(await summariesReady(db), true);
      } finally {
        release();
        await assert.rejects(open, /rolled back on purpose/);
        await writer.close();
      }
      assert.equal((await checkSummaries(db)).ok, true);
    });

    it('a disabled trigger makes them not ready until it is enabled again', async () => {
      await db.exec('ALTER TABLE orders DISABLE TRIGGER trg_lifecycle_summaries_orders_insert');
      assert.equal(await summariesReady(db), false);
      assert.equal((await lifecycleReport(db)).readFrom, 'ledger');
      await db.exec('ALTER TABLE orders ENABLE TRIGGER trg_lifecycle_summaries_orders_insert');
      assert.equal(await summariesReady(db), true);
    });

    it('a trigger enabled for replicas only (it no longer fires for ordinary writers) makes them not ready too', async () => {
      await db.exec('ALTER TABLE orders ENABLE REPLICA TRIGGER trg_lifecycle_summaries_orders_update');
      assert.equal(await summariesReady(db), false);
      assert.equal((await lifecycleReport(db)).readFrom, 'ledger');
      // ENABLE ALWAYS fires for every writer, replicas included: that keeps them.
      await db.exec('ALTER TABLE orders ENABLE ALWAYS TRIGGER trg_lifecycle_summaries_orders_update');
      assert.equal(await summariesReady(db), true);
      await db.exec('ALTER TABLE orders ENABLE TRIGGER trg_lifecycle_summaries_orders_update');
      assert.equal(await summariesReady(db), true);
    });

    it('a TRUNCATE marks them not ready: the report aggregates the ledger until a rebuild', async () => {
      await db.exec('TRUNCATE trade_history');
      assert.equal(await summariesReady(db), false);
      assert.equal((await lifecycleReport(db)).readFrom, 'ledger');
      const check = await tl('lifecycle', 'summaries', '--check');
      assert.equal(check.code, 2);
      assert.match(check.stderr, /--rebuild/);
      await rebuildSummaries(db);
      await sameAsLedger(db);
    });

    it('bot-ledger 007 and its rollback (lifecycle loosen) leave them in place and right', async () => {
      assert.equal((await tl('migrate', 'up', '--pack', 'bot-ledger')).code, 0);
      const loosened = await tl('lifecycle', 'loosen');
      assert.equal(loosened.code, 0, loosened.stderr);
      assert.equal((await checkSummaries(db)).ok, true);
      assert.equal(await summariesReady(db), true);
    });

    it('--drop removes them and their triggers; the report aggregates the ledger again', async () => {
      assert.equal((await tl('lifecycle', 'summaries', '--drop')).code, 0);
      assert.equal(await summariesReady(db), false);
      const left = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_trigger WHERE tgname LIKE 'trg_lifecycle_summaries%'`);
      assert.equal(left[0]!.n, '0');
      assert.equal((await lifecycleReport(db)).readFrom, 'ledger');
    });
  });
}
