import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { deterministicTradeId } from '../../src/lifecycle/trade-id.ts';
import { lifecycleReport } from '../../src/lifecycle/report.ts';
import { runBackfill } from '../../src/lifecycle/backfill.ts';
import { revertBackfill } from '../../src/lifecycle/backfill-revert.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli } from '../helpers/cli.ts';
import { historyTradeIds, orderTradeIds } from '../helpers/ledger-fixture.ts';
import { backfilledAtPhaseB, loadLifecycleFixture, type LifecycleFixture } from './fixture.ts';

const SETTINGS = { lockTimeoutMs: 2000, retry: { tries: 3, baseDelayMs: 50 } };
const A = deterministicTradeId('p1', 'BTC', 'o1');
const B = deterministicTradeId('p1', 'BTC', 'o5');
const C = deterministicTradeId('p1', 'BTC', 'o9');

function kinds(report: Awaited<ReturnType<typeof lifecycleReport>>, profile: string): string[] {
  return report.anomalies.filter((a) => a.profileId === profile).map((a) => `${a.kind}:${a.symbol ?? ''}:${a.rows.map((r) => r.key).join(',')}`);
}

for (const kind of ['pglite', 'postgres'] as const satisfies readonly DatabaseKind[]) {
  describe(`lifecycle on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    let fixture: LifecycleFixture;
    before(async () => {
      test = await createTestDatabase(kind);
      const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--to', '6', '--db', test.url);
      assert.equal(up.code, 0, up.stderr);
      db = await openDatabase(test.url);
      fixture = await loadLifecycleFixture(db);
    });
    after(async () => {
      await db?.close();
      await test.cleanup();
    });

    it('reports every anomaly kind with the rows that prove it, before the backfill', async () => {
      const report = await lifecycleReport(db);
      assert.deepEqual(
        kinds(report, 'p1').sort(),
        [
          'orphan_exit:BTC:o8',
          // e2's EXIT has no trade_id yet, so the orders still say 2 open where positions holds 1.
          'ghost_position:ETH:e1,p1/ETH',
          'missing_trade_id:BTC:o1,o2,o3,o4,o5,o6,o7,o9',
          'missing_trade_id:ETH:e2',
          `missing_trade_id:BTC:${fixture.h1}`,
          'blank_trade_id:BTC:o3',
          `blank_trade_id:BTC:${fixture.h2}`,
        ].sort(),
      );
      assert.deepEqual(
        kinds(report, 'p2').sort(),
        [
          'missing_entry_order:SOL:s1',
          'over_exit:ADA:s2,s3',
          'ghost_position:BNB:s5',
          'ghost_position:XRP:s4,p2/XRP',
          'untracked_position:ETC:p2/ETC',
          'history_mismatch:LTC:s6,s7',
          'duplicate_lifecycle_key:DOGE:s8,s9',
          `duplicate_lifecycle_key:DOGE:${fixture.dup1},${fixture.dup2}`,
          'malformed_trade_id:BNB:s5',
        ].sort(),
      );
      const blocking = report.anomalies.filter((a) => a.blocking).map((a) => a.kind);
      assert.deepEqual([...new Set(blocking)].sort(), ['blank_trade_id', 'malformed_trade_id', 'missing_entry_order', 'missing_trade_id', 'orphan_exit']);
      assert.equal(report.blocking, true);
    });

    it('backfill dry-run writes nothing and says what it would change', async () => {
      const before = await orderTradeIds(db);
      const summary = await runBackfill(db, { apply: false, settings: SETTINGS });
      assert.deepEqual({ n: summary.normalised, a: summary.assigned, h: summary.history, o: summary.orphanExits }, { n: 1, a: 9, h: 2, o: ['o8'] });
      assert.deepEqual(await orderTradeIds(db), before);
      assert.equal((await db.query('SELECT 1 FROM lifecycle_backfill_batches')).length, 0);
    });

    // docs/runbooks/trade-lifecycle-integrity.md Phase B, then Phase C's backfill.
    it('backfill --apply after Phase B (migration 007) gives deterministic ids, keeps carried ones, leaves manual, legacy and orphan rows', async () => {
      await db.close();
      const phaseB = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url);
      assert.equal(phaseB.code, 0, phaseB.stderr);
      db = await openDatabase(test.url);
      const summary = await runBackfill(db, { apply: true, settings: SETTINGS, rowsPerBatch: 3 });
      assert.equal(summary.completed, true);
      const ids = await orderTradeIds(db);
      for (const id of ['o1', 'o2', 'o3', 'o4']) assert.equal(ids.get(id), A, id);
      for (const id of ['o5', 'o6', 'o7']) assert.equal(ids.get(id), B, id);
      assert.equal(ids.get('o9'), C);
      assert.equal(ids.get('o8'), null, 'orphan EXIT stays NULL');
      assert.equal(ids.get('e2'), 'TRD-existing1', 'a lifecycle keeps the valid id it carries');
      assert.equal(ids.get('m1'), null);
      assert.equal(ids.get('l1'), null);
      assert.equal(ids.get('s5'), 'bad id', 'malformed ids are reported, not rewritten');
      const history = await historyTradeIds(db);
      assert.equal(history.get(fixture.h1), A);
      assert.equal(history.get(fixture.h2), B);
      const report = await lifecycleReport(db, 'p1');
      assert.deepEqual(kinds(report, 'p1'), ['orphan_exit:BTC:o8']);
    });

    // What follows the backfill starts from a ledger of its own, brought there by this block's own hook.
    // docs/runbooks/trade-lifecycle-integrity.md Phase B (migration 007), then the Phase C backfill.
    describe('after backfill --apply at Phase B', () => {
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

      it('running the backfill again changes nothing', async () => {
        const ids = await orderTradeIds(db);
        const again = await runBackfill(db, { apply: true, settings: SETTINGS });
        assert.deepEqual({ n: again.normalised, a: again.assigned, h: again.history }, { n: 0, a: 0, h: 0 });
        assert.deepEqual(await orderTradeIds(db), ids);
      });

      it('--revert BATCH is blocked by the guardrails, and after loosen restores exactly the previous values', async () => {
        await assert.rejects(revertBackfill(db, batchId, SETTINGS), /violates chk_orders_action_lifecycle.*lifecycle loosen/);
        await db.close();
        assert.equal((await cli('lifecycle', 'loosen', '--db', test.url)).code, 0);
        db = await openDatabase(test.url);
        const result = await revertBackfill(db, batchId, SETTINGS);
        // The first attempt restored the history rows before the guardrail stopped it; they now count as changed since.
        assert.equal(result.restored + result.conflicts, 12);
        assert.deepEqual(await orderTradeIds(db), beforeApply.orders);
        assert.deepEqual(await historyTradeIds(db), beforeApply.history);
        assert.equal((await revertBackfill(db, batchId, SETTINGS)).alreadyReverted, true);
        await runBackfill(db, { apply: true, settings: SETTINGS });
        await db.close();
        assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
        db = await openDatabase(test.url);
      });

      // docs/runbooks/trade-lifecycle-integrity.md Phase A
      it('snapshot stores Phase A counts and --compare shows what changed', async () => {
        await db.close(); // PGlite serves one process: let the CLI open it
        const first = await cli('lifecycle', 'snapshot', '--db', test.url, '--json');
        assert.equal(first.code, 0, first.stderr);
        const taken = JSON.parse(first.stdout).snapshot;
        const total = taken.profiles.find((p: { profileId: string }) => p.profileId === '*');
        // o8 (orphan), m1 (manual) and l1 (legacy) keep no trade_id.
        assert.deepEqual([total.ordersTotal, total.ordersMissingTradeId, total.historyTotal, total.historyMissingTradeId], [22, 3, 4, 0]);
        db = await openDatabase(test.url);
        await db.query(`UPDATE orders SET trade_id = 'TRD-manual1' WHERE order_id = 'm1'`);
        await db.close();
        const second = await cli('lifecycle', 'snapshot', '--db', test.url, '--compare', '--json');
        db = await openDatabase(test.url);
        const differences = JSON.parse(second.stdout).differences;
        assert.deepEqual(
          differences
            .filter((d: { figure: string }) => d.figure === 'ordersMissingTradeId')
            .map((d: { profileId: string; before: number; after: number }) => [d.profileId, d.before, d.after]),
          [
            ['*', 3, 2],
            ['p1', 3, 2],
          ],
        );
        await db.query(`UPDATE orders SET trade_id = NULL WHERE order_id = 'm1'`);
      });

      it('tighten refuses while blockers remain, validates once clean, and loosen rolls it back', async () => {
        await db.close();
        const refused = await cli('lifecycle', 'tighten', '--db', test.url);
        assert.equal(refused.code, 3);
        assert.match(refused.stderr, /orphan_exit/);
        assert.match(refused.stderr, /missing_entry_order/);
        assert.match(refused.stderr, /chk_orders_trade_id_format: 1 row/);
        assert.match(refused.stderr, /chk_orders_action_lifecycle: 1 row/);
        const report = await cli('lifecycle', 'report', '--db', test.url, '--format', 'csv');
        assert.equal(report.code, 1);
        assert.match(report.stdout, /^kind,profile_id,symbol,trade_id,blocking,detail,rows\n/);
        db = await openDatabase(test.url);
        // The operator's decisions: o8 and s1 were manual trades; s5's id is corrected.
        await db.query(`UPDATE orders SET source = 'manual' WHERE order_id IN ('o8', 's1')`);
        await db.query(`UPDATE orders SET trade_id = NULL WHERE order_id = 's1'`);
        await db.query(`UPDATE orders SET trade_id = 'TRD-bnb1' WHERE order_id = 's5'`);
        await db.close();
        const tightened = await cli('lifecycle', 'tighten', '--db', test.url, '--json');
        assert.equal(tightened.code, 0, tightened.stderr);
        assert.deepEqual(
          JSON.parse(tightened.stdout).constraints.map((c: { convalidated: boolean }) => c.convalidated),
          [true, true, true, true, true],
        );
        const clean = await cli('lifecycle', 'report', '--db', test.url, '--json');
        assert.equal(clean.code, 0, 'no blocking anomaly is left');
        const loosened = await cli('lifecycle', 'loosen', '--db', test.url);
        assert.equal(loosened.code, 0, loosened.stderr);
        db = await openDatabase(test.url);
        assert.deepEqual(
          await db.query(`SELECT conname FROM pg_constraint WHERE conname LIKE 'chk_%trade_id%' OR conname = 'chk_orders_action_lifecycle'`),
          [],
        );
        const indexes = await db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx_%trade_id%' ORDER BY 1`);
        assert.deepEqual(
          indexes.map((r) => r.indexname),
          ['idx_orders_profile_trade_id', 'idx_trade_history_profile_trade_id'],
        );
      });
    });
  });
}
