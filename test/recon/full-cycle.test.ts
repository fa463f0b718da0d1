import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { generateLedger } from '../../src/generate/generate.ts';
import { runReconCycle, type ReconDeps } from '../../src/recon/cycle.ts';
import { decideAll, gatherEvidence, type LifecycleDecision } from '../../src/recon/gather.ts';
import { rebuildSummaries } from '../../src/lifecycle/summaries.ts';
import type { AuditRow } from '../../src/recon/audit-rows.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { baseLedger } from '../generate/ledger.ts';
import { reconLedger, tableDeps } from './fixture.ts';

const NOW = new Date('2026-03-01T00:00:00Z');

/** A dry-run cycle's needs: table evidence, the table pause source, the fixture's flags. */
function deps(db: Database): Promise<ReconDeps> {
  return tableDeps(db, { dryRun: true });
}

/** What a dry-run cycle's audit says per lifecycle: the refusal's reason, or each planned row. */
function fromAudit(audit: readonly AuditRow[]): string[] {
  return audit
    .map((row) =>
      row.decision === 'NO_GO'
        ? `${row.profileId}/${row.symbol}/${row.tradeId} NO_GO ${row.reason}`
        : `${row.profileId}/${row.symbol}/${row.tradeId} ${row.backfillOrderId} ${row.exchangeOrderId} ${(row.filledQty ?? row.dustQty)?.toString()}`,
    )
    .sort();
}

/** The same projection of decisions made the way every cycle made them before: every lifecycle read, twice, with no keys. */
function fromDecisions(decisions: readonly LifecycleDecision[]): string[] {
  return decisions
    .flatMap(({ lifecycle: l, decision }) =>
      decision.go
        ? decision.rows.map((r) => `${l.profileId}/${l.symbol}/${l.tradeId} ${r.orderId} ${r.exchangeOrderId} ${r.quantity.toString()}`)
        : [`${l.profileId}/${l.symbol}/${l.tradeId} NO_GO ${decision.failed[0]!.reason}`],
    )
    .sort();
}

async function everyLifecycleDecided(db: Database, d: ReconDeps): Promise<string[]> {
  const evidence = await gatherEvidence(db, d.evidence, d.flags, {}, NOW);
  return db.transaction(async (tx) => fromDecisions((await decideAll(tx, evidence, d.flags, d.pause, {})).decisions));
}

for (const ledger of ['the reconciliation fixture', 'a generated ledger', 'a generated ledger that keeps lifecycle summaries'] as const) {
  describe(`a full reconciliation cycle on ${ledger} (PostgreSQL)`, () => {
    let test: TestDatabase;
    let db: Database;
    const trace: { sql: string; params: readonly unknown[] }[] = [];
    before(async () => {
      if (ledger === 'the reconciliation fixture') {
        test = await reconLedger('postgres');
      } else {
        test = await baseLedger('postgres');
        const seeding = await openDatabase(test.url);
        await generateLedger(seeding, { profiles: 12, orders: 2000, anomalyRate: '0.05', seed: 'full-cycle-test' });
        if (ledger.endsWith('summaries')) await rebuildSummaries(seeding);
        await seeding.close();
      }
      db = await openDatabase(test.url, { trace: (t) => trace.push(t) });
    });
    after(async () => {
      await db?.close();
      await test?.cleanup();
    });

    it('makes the same decisions as deciding every lifecycle read in full', async () => {
      const reference = await everyLifecycleDecided(db, await deps(db));
      assert.ok(reference.length > 0);
      const cycle = await runReconCycle(db, await deps(db), { now: NOW, full: true });
      assert.deepEqual(fromAudit(cycle.audit), reference);
    });

    const scans = ledger.endsWith('summaries') ? 0 : 1;
    it(`aggregates the whole ledger ${scans === 0 ? 'never (the open keys come from the summaries)' : 'once, for the open keys,'} and reads lifecycle details only by key`, async () => {
      trace.length = 0;
      await runReconCycle(db, await deps(db), { now: NOW, full: true });
      const unkeyed = trace.filter((t) => /FROM orders/.test(t.sql) && /GROUP BY profile_id, symbol, trade_id/.test(t.sql) && !Array.isArray(t.params[1]));
      assert.equal(unkeyed.length, scans, `${scans} unkeyed aggregate(s), not ${unkeyed.length}:\n${unkeyed.map((s) => s.sql.slice(0, 120)).join('\n')}`);
      const detailReads = trace.filter((t) => t.sql.includes('WITH lifecycle AS') && t.sql.includes('blockers'));
      assert.equal(detailReads.length, 2, 'once for the evidence, once inside the transaction');
      for (const read of detailReads) assert.ok(Array.isArray(read.params[1]), 'a detail read is limited to the open keys');
    });
  });
}
