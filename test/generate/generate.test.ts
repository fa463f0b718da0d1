import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/db/open.ts';
import type { Database, DatabaseKind } from '../../src/db/port.ts';
import { generateLedger, type GenerateResult } from '../../src/generate/generate.ts';
import { ANOMALY_KINDS } from '../../src/lifecycle/anomalies.ts';
import { runBackfill } from '../../src/lifecycle/backfill.ts';
import { lifecycleReport } from '../../src/lifecycle/report.ts';
import { runReconCycle } from '../../src/recon/cycle.ts';
import { detectOpenLifecycles } from '../../src/recon/detect.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { baseLedger, decisionsOf, digest, expectedDecisions, found, reconDeps } from './ledger.ts';

const SMALL = { profiles: 20, orders: 3000, anomalyRate: '0.05', seed: 'generate-test' } as const;
const SETTINGS = { lockTimeoutMs: 2000, retry: { tries: 3, baseDelayMs: 50 } };

for (const kind of ['pglite', 'postgres'] as const satisfies readonly DatabaseKind[]) {
  describe(`generate on ${kind}: the tools find exactly what was injected`, () => {
    let test: TestDatabase;
    let db: Database;
    let result: GenerateResult;
    before(async () => {
      test = await baseLedger(kind);
      db = await openDatabase(test.url);
      result = await generateLedger(db, SMALL);
    });
    after(async () => {
      await db?.close();
      await test.cleanup();
    });

    it('writes exactly --orders orders rows, exchange fills that add up to every filled order, and history for closed lifecycles', async () => {
      const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
      assert.equal(await count('orders'), SMALL.orders);
      assert.equal(await count('trading_status'), SMALL.profiles);
      for (const table of ['trade_history', 'exchange_fills', 'exchange_positions', 'positions'])
        assert.equal(await count(table), result.summary.rows[table], table);
      const unmatched = await db.query(
        `SELECT o.order_id FROM orders o LEFT JOIN exchange_fills f ON f.profile_id = o.profile_id AND f.exchange_order_id = o.exchange_order_id
          WHERE o.status = 'filled' GROUP BY o.order_id, o.quantity, o.qty HAVING COALESCE(sum(f.quantity), -1) <> COALESCE(o.quantity, o.qty)`,
      );
      assert.deepEqual(unmatched, [], 'every filled order has fills adding up to its quantity');
      const sources = await db.query<{ source: string; actions: string[] }>(
        `SELECT source, array_agg(DISTINCT COALESCE(action, 'NULL') ORDER BY COALESCE(action, 'NULL')) AS actions FROM orders GROUP BY source ORDER BY source`,
      );
      assert.deepEqual(
        sources.map((s) => s.source),
        ['bot', 'legacy', 'manual'],
      );
      for (const s of sources.slice(1))
        assert.ok(s.actions.includes('NULL') && s.actions.length > 1, `${s.source} rows with and without an action: ${s.actions.join(', ')}`);
      const states = await db.query<{ state: string }>(`SELECT DISTINCT state FROM trading_status ORDER BY state`);
      assert.deepEqual(
        states.map((s) => s.state),
        ['PAUSED', 'RUNNING'],
      );
      // The ids were explicit: the identity sequences continue after them.
      const [next] = await db.query<{ id: string; max: string }>(
        `WITH n AS (INSERT INTO trade_history (profile_id, symbol, quantity) VALUES ('x', 'X', 1) RETURNING id) SELECT n.id::text AS id, (SELECT max(id) FROM trade_history)::text AS max FROM n`,
      );
      assert.ok(BigInt(next!.id) > BigInt(result.summary.rows['trade_history']!), `new id ${next!.id}`);
      await db.query(`DELETE FROM trade_history WHERE profile_id = 'x'`);
    });

    it('injects every anomaly kind the report knows, at the asked rate', () => {
      const kinds = new Set(result.expected.anomalies.map((a) => a.kind));
      assert.deepEqual([...kinds].sort(), [...ANOMALY_KINDS].sort());
      // One injection every 1/R lifecycles, give or take the one the accumulator started on.
      assert.ok(Math.abs(result.summary.injected + result.summary.unplaced - result.summary.lifecycles * 0.05) <= 1, JSON.stringify(result.summary));
      assert.ok(
        result.expected.recon.decisions.some((d) => d.decision === 'close' && d.dustQty !== null),
        'a ghost closes with a dust row',
      );
      assert.ok(
        result.expected.recon.decisions.some((d) => d.reason === 'missing_fill_evidence_for_large_remainder'),
        'a ghost is refused',
      );
    });

    it('the lifecycle report finds exactly the expected anomalies, with the rows that prove them, before any backfill', async () => {
      assert.deepEqual(found(await lifecycleReport(db)), result.expected.anomalies);
    });

    it('lifecycle backfill --apply fills exactly the missing and blank trade_ids, and the report is left with the rest', async () => {
      const summary = await runBackfill(db, { apply: true, settings: SETTINGS });
      const { backfill } = result.expected;
      assert.deepEqual(
        { assigned: summary.assigned, normalised: summary.normalised, history: summary.history, orphanExits: [...summary.orphanExits].sort() },
        { assigned: backfill.assigned, normalised: backfill.normalised, history: backfill.history, orphanExits: backfill.orphanExits },
      );
      const rest = result.expected.anomalies.filter((a) => a.kind !== 'missing_trade_id' && a.kind !== 'blank_trade_id');
      assert.deepEqual(found(await lifecycleReport(db)), rest);
    });

    it('a reconciliation cycle on the paused profiles closes exactly the expected ghosts and refuses the others with the expected reasons', async () => {
      const deps = await reconDeps(db, result.expected);
      const cycle = await runReconCycle(db, deps, { now: new Date(result.expected.recon.now), full: true });
      assert.deepEqual(decisionsOf(cycle.audit), expectedDecisions(result.expected));
      // docs/runbooks/reconciliation-exit-backfill.md §8: what stays open is exactly what was refused.
      const open = (await detectOpenLifecycles(db)).map((l) => `${l.profileId}/${l.tradeId}`).sort();
      const refused = result.expected.recon.decisions
        .filter((d) => d.decision === 'refuse')
        .map((d) => `${d.profileId}/${d.tradeId}`)
        .sort();
      assert.deepEqual(open, refused);
    });

    it('refuses a ledger that already holds rows, and leaves it as it was', async () => {
      const before = await digest(db);
      await assert.rejects(generateLedger(db, SMALL), (error: Error & { exitCode?: number }) => {
        assert.match(error.message, /already holds rows in orders, trade_history, positions, trading_status, exchange_fills, exchange_positions/);
        assert.equal(error.exitCode, 3);
        return true;
      });
      assert.deepEqual(await digest(db), before);
    });
  });
}

describe('generate: one profile with many anomalies', () => {
  let test: TestDatabase;
  let db: Database;
  let result: GenerateResult;
  before(async () => {
    test = await baseLedger('pglite');
    db = await openDatabase(test.url);
    result = await generateLedger(db, { profiles: 1, orders: 2000, anomalyRate: '0.2', seed: 'one-busy-profile' });
  });
  after(async () => {
    await db?.close();
    await test.cleanup();
  });

  // The report groups trade_history rows without a trade_id per (profile, symbol); each anomaly must
  // list only its own symbol's rows.
  it('the report finds exactly the expected anomalies when trade_history rows lack a trade_id on several symbols', async () => {
    const nullHistory = result.expected.anomalies.filter((a) => a.kind === 'missing_trade_id' && a.rows[0]?.table === 'trade_history');
    assert.ok(nullHistory.length >= 2, 'the sample has NULL-trade_id history rows on two symbols or more');
    assert.deepEqual(found(await lifecycleReport(db)), result.expected.anomalies);
  });
});
