import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { runReconCycle, type ReconDeps } from '../../src/recon/cycle.ts';
import { applyBatch } from '../../src/recon/apply-batch.ts';
import { rollbackBatch } from '../../src/recon/rollback.ts';
import { verifyRecon } from '../../src/recon/report.ts';
import { detectOpenLifecycles } from '../../src/recon/detect.ts';
import { backfillOrderId } from '../../src/recon/backfill-id.ts';
import type { ReconFlags } from '../../src/recon/flags.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { cli } from '../helpers/cli.ts';
import { at } from '../helpers/ledger-fixture.ts';
import { exchangePosition, insertFills, loadReconFixture, reconLedger, tableDeps } from './fixture.ts';

/** A cycle's needs with table evidence and the table pause source: a dry run unless `flags` say otherwise. */
function deps(db: Database, flags: Partial<ReconFlags> = {}): Promise<ReconDeps> {
  return tableDeps(db, { dryRun: true, ...flags });
}

const DRY_RUN_COUNT = `SELECT COUNT(*) AS dry_run_backfill_rows FROM orders WHERE profile_id = $1 AND order_id LIKE 'BFILL-%'`;

async function backfillRows(
  db: Database,
): Promise<{ order_id: string; trade_id: string; quantity: string; qty: string; status: string; source: string; action: string }[]> {
  return db.query(
    `SELECT order_id, trade_id, quantity::text AS quantity, qty::text AS qty, status, source, action FROM orders WHERE order_id LIKE 'BFILL-%' ORDER BY trade_id, order_id`,
  );
}

function decisionsByTrade(audit: readonly { tradeId: string | null; decision: string; reason: string }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const row of audit) {
    const key = row.tradeId ?? '';
    out[key] = [...(out[key] ?? []), `${row.decision}:${row.reason}`];
  }
  return out;
}

for (const kind of ['pglite', 'postgres'] as const satisfies readonly DatabaseKind[]) {
  describe(`recon on ${kind}`, () => {
    let test: TestDatabase;
    let db: Database;
    before(async () => {
      test = await createTestDatabase(kind);
      const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url);
      assert.equal(up.code, 0, up.stderr);
      db = await openDatabase(test.url);
      await loadReconFixture(db);
    });
    after(async () => {
      await db?.close();
      await test.cleanup();
    });

    it('does nothing while ENABLE_RECON_EXIT_BACKFILL is off', async () => {
      const result = await runReconCycle(db, await deps(db, { enabled: false }));
      assert.equal(result.disabled, true);
      assert.deepEqual(await db.query('SELECT 1 FROM reconciliation_backfill_audit'), []);
    });

    // docs/runbooks/reconciliation-exit-backfill.md §5: the dry run writes audit rows only.
    it('dry run: audit rows only, every gate its own NO_GO, orders untouched (§5 returns 0)', async () => {
      const result = await runReconCycle(db, await deps(db));
      assert.equal(result.mode, 'dry-run');
      const byTrade = decisionsByTrade(result.audit);
      assert.deepEqual(byTrade['TRD-g1'], ['DRY_RUN:covered by exchange fill evidence', 'DRY_RUN:covered by exchange fill evidence']);
      assert.deepEqual(byTrade['TRD-d1'], ['DRY_RUN:covered by exchange fill evidence', 'DRY_RUN:dust remainder within threshold']);
      assert.deepEqual(byTrade['TRD-l1'], ['NO_GO:missing_fill_evidence_for_large_remainder']);
      assert.deepEqual(byTrade['TRD-n1'], ['NO_GO:exchange_not_flat']);
      assert.deepEqual(byTrade['TRD-b1'], ['NO_GO:pending_blocker']);
      assert.deepEqual(byTrade['TRD-e1'], ['NO_GO:evidence_incomplete']);
      assert.deepEqual(byTrade['TRD-r1'], ['NO_GO:profile_not_paused']);
      assert.equal(byTrade['TRD-a']!.length, 1);
      assert.equal(byTrade['TRD-b']!.length, 2);
      for (const profile of ['p1', 'p2'])
        assert.equal(Number((await db.query<{ dry_run_backfill_rows: string }>(DRY_RUN_COUNT, [profile]))[0]!.dry_run_backfill_rows), 0);
      const client = result.audit.find((a) => a.exchangeOrderId === 'X1')!;
      assert.equal(client.exchangeClientOrderId, 'cli-1', 'the exchange client_order_id is kept in the audit row');
    });

    // docs/runbooks/reconciliation-exit-backfill.md §6, §7 and §8: plan, apply, then the post-fix check.
    it('plan records PENDING_APPLY with an evidence hash; apply inserts them and §8 then finds those trades closed', async () => {
      const plan = await runReconCycle(db, await deps(db), { mode: 'plan' });
      const batchId = plan.batchId!;
      assert.equal(plan.counts['PENDING_APPLY'], 7);
      assert.deepEqual(await backfillRows(db), [], 'plan writes no order');
      const applied = await applyBatch(db, await deps(db, { dryRun: false }), batchId);
      assert.equal(applied.counts['APPLIED'], 7);
      const rows = await backfillRows(db);
      assert.equal(rows.length, 7);
      for (const row of rows) {
        assert.deepEqual([row.action, row.status, row.source, row.quantity], ['EXIT', 'filled', 'backfill', row.qty]);
      }
      assert.ok(rows.some((r) => r.order_id === backfillOrderId('p1', 'TRD-g1', 'X1', at(10))));
      assert.ok(rows.some((r) => r.order_id === backfillOrderId('p1', 'TRD-d1', 'dust', at(10)) && r.quantity === '0.001'));
      assert.deepEqual(
        rows.filter((r) => r.trade_id === 'TRD-a').map((r) => r.quantity),
        ['1'],
      );
      assert.deepEqual(
        rows
          .filter((r) => r.trade_id === 'TRD-b')
          .map((r) => r.quantity)
          .sort(),
        ['0.5', '1.5'],
      );
      const verify = await verifyRecon(db, 'p1');
      assert.deepEqual(verify.stillOpen.map((l) => l.tradeId).sort(), ['TRD-b1', 'TRD-e1', 'TRD-l1', 'TRD-n1']);
    });

    describe('once a batch is applied', () => {
      // A ledger of its own, its batch planned and applied here, so that these tests do not lean on the test above.
      let test: TestDatabase;
      let db: Database;
      let batchId: string;
      before(async () => {
        test = await reconLedger(kind);
        db = await openDatabase(test.url);
        const plan = await runReconCycle(db, await deps(db), { mode: 'plan' });
        batchId = plan.batchId!;
        const applied = await applyBatch(db, await deps(db, { dryRun: false }), batchId);
        assert.equal(applied.counts['APPLIED'], 7, 'setup: the batch applies');
      });
      after(async () => {
        await db?.close();
        await test?.cleanup();
      });

      it('applying the same batch again gives SKIP_EXISTING and no new rows', async () => {
        const again = await applyBatch(db, await deps(db, { dryRun: false }), batchId);
        assert.deepEqual(again.counts, { SKIP_EXISTING: 7 });
        assert.equal((await backfillRows(db)).length, 7);
      });

      it('rollback cancels by status only, is idempotent, and applying again reinstates', async () => {
        const before = (await db.query<{ n: string }>('SELECT count(*) AS n FROM orders'))[0]!.n;
        const first = await rollbackBatch(db, batchId);
        assert.equal(first.canceled, 7);
        assert.deepEqual(
          (await backfillRows(db)).map((r) => r.status),
          Array(7).fill('canceled'),
        );
        assert.equal((await db.query<{ n: string }>('SELECT count(*) AS n FROM orders'))[0]!.n, before, 'no row deleted');
        assert.equal((await rollbackBatch(db, batchId)).canceled, 0);
        assert.ok(
          (await detectOpenLifecycles(db, 'p1')).some((l) => l.tradeId === 'TRD-g1'),
          'the ghost is open again',
        );
        const reapplied = await applyBatch(db, await deps(db, { dryRun: false }), batchId);
        assert.equal(reapplied.counts['APPLIED'], 7);
        assert.ok(reapplied.audit.every((a) => a.decision !== 'APPLIED' || a.reason.startsWith('reinstated')));
        assert.deepEqual(
          (await backfillRows(db)).map((r) => r.status),
          Array(7).fill('filled'),
        );
      });
    });

    it('refuses a planned candidate whose evidence changed since the plan', async () => {
      await db.query(
        `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source, filled_at) VALUES ('z1', 'p1', 'BNB', 'TRD-z', 'ENTRY', 'buy', 'filled', 1, 'bot', $1)`,
        [at(1)],
      );
      await insertFills(db, [{ symbol: 'BNB', order: 'Z1', quantity: '1', at: 10 }]);
      await exchangePosition(db, 'p1', 'BNB', '0');
      const plan = await runReconCycle(db, await deps(db), { mode: 'plan', scope: { profileId: 'p1' } });
      // The exchange corrects the fill's time: the planned row's deterministic id no longer matches.
      await db.query(`UPDATE exchange_fills SET filled_at = filled_at + interval '1 minute' WHERE exchange_order_id = 'Z1'`);
      const applied = await applyBatch(db, await deps(db, { dryRun: false }), plan.batchId!);
      const z = applied.audit.filter((a) => a.tradeId === 'TRD-z');
      assert.deepEqual(
        z.map((a) => [a.decision, a.reason]),
        [['NO_GO', 'evidence_changed']],
      );
    });

    it('if the audit table cannot be written, nothing is inserted and the run fails', async () => {
      await db.query(
        `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source, filled_at) VALUES ('w1', 'p1', 'AVAX', 'TRD-w', 'ENTRY', 'buy', 'filled', 1, 'bot', $1)`,
        [at(1)],
      );
      await insertFills(db, [{ symbol: 'AVAX', order: 'W1', quantity: '1', at: 10 }]);
      await exchangePosition(db, 'p1', 'AVAX', '0');
      await db.exec(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit table unavailable'; END $$;
                     CREATE TRIGGER refuse_audit BEFORE INSERT ON reconciliation_backfill_audit FOR EACH ROW EXECUTE FUNCTION refuse_audit();`);
      try {
        await assert.rejects(runReconCycle(db, await deps(db, { dryRun: false })), /audit table unavailable/);
        assert.deepEqual(await db.query(`SELECT 1 FROM orders WHERE trade_id = 'TRD-w' AND source = 'backfill'`), []);
      } finally {
        await db.exec('DROP TRIGGER refuse_audit ON reconciliation_backfill_audit; DROP FUNCTION refuse_audit();');
      }
      const ok = await runReconCycle(db, await deps(db, { dryRun: false }), { scope: { profileId: 'p1' } });
      assert.ok(ok.audit.some((a) => a.tradeId === 'TRD-w' && a.decision === 'APPLIED'));
    });
  });
}

describe('two concurrent applies on PostgreSQL', () => {
  it('insert each row once', async () => {
    const test = await createTestDatabase('postgres');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
      const setup = await openDatabase(test.url);
      await loadReconFixture(setup);
      const plan = await runReconCycle(setup, await deps(setup), { mode: 'plan' });
      const one = await openDatabase(test.url);
      const two = await openDatabase(test.url);
      const [a, b] = await Promise.all([
        applyBatch(one, await deps(one, { dryRun: false }), plan.batchId!),
        applyBatch(two, await deps(two, { dryRun: false }), plan.batchId!),
      ]);
      await one.close();
      await two.close();
      const applied = (a.counts['APPLIED'] ?? 0) + (b.counts['APPLIED'] ?? 0);
      const skipped = (a.counts['SKIP_EXISTING'] ?? 0) + (b.counts['SKIP_EXISTING'] ?? 0);
      assert.deepEqual([applied, skipped], [7, 7]);
      assert.equal((await backfillRows(setup)).length, 7);
      await setup.close();
    } finally {
      await test.cleanup();
    }
  });
});

describe('incremental cycles', () => {
  it('look only at lifecycles open at the last cycle or written since, and still find new ghosts', async () => {
    const test = await createTestDatabase('postgres');
    try {
      assert.equal((await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url)).code, 0);
      const trace: { sql: string; params: readonly unknown[] }[] = [];
      const db = await openDatabase(test.url, { trace: (t) => trace.push(t) });
      await loadReconFixture(db);
      const first = await runReconCycle(db, await deps(db));
      assert.equal(first.lifecycles, 9);
      const stored = await db.query<{ n: string }>('SELECT count(*) AS n FROM recon_open_lifecycles');
      assert.equal(Number(stored[0]!.n), 9);
      // A new ghost appears after the first cycle.
      await db.query(
        `INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, source, filled_at) VALUES ('k1', 'p1', 'KSM', 'TRD-k', 'ENTRY', 'buy', 'filled', 1, 'bot', $1)`,
        [at(1)],
      );
      await insertFills(db, [{ symbol: 'KSM', order: 'K1', quantity: '1', at: 10 }]);
      await exchangePosition(db, 'p1', 'KSM', '0');
      trace.length = 0;
      const second = await runReconCycle(db, await deps(db, { dryRun: false }));
      assert.equal(second.lifecycles, 10);
      assert.ok(second.audit.some((a) => a.tradeId === 'TRD-k' && a.decision === 'APPLIED'));
      const lifecycleReads = trace.filter((t) => t.sql.includes('WITH lifecycle AS') && t.sql.includes('blockers'));
      assert.ok(lifecycleReads.length > 0);
      for (const read of lifecycleReads) assert.ok(Array.isArray(read.params[1]), 'every lifecycle read is limited to known keys');
      // The lifecycles this cycle closed leave the open set at the next one.
      const third = await runReconCycle(db, await deps(db));
      assert.equal(third.lifecycles, 5, 'g1, d1, a, b and k were closed; l1, n1, b1, e1 and r1 stay open');
      await db.close();
    } finally {
      await test.cleanup();
    }
  });
});
