import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { runBackfill } from '../../src/lifecycle/backfill.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { historyTradeIds, insertHistory, insertOrders, orderTradeIds, setPosition } from '../helpers/ledger-fixture.ts';

/** The fixture's known anomalies and expected ids, for the lifecycle tests. */
export interface LifecycleFixture {
  readonly h1: string;
  readonly h2: string;
  readonly dup1: string;
  readonly dup2: string;
}

/**
 * A ledger with every anomaly kind the report knows, scale-ins, partial exits, a re-entry on the
 * same symbol, legacy and manual rows, blank ids (spaces and a no-break space), and a lifecycle
 * that closes at exactly zero only in decimal arithmetic (0.1 + 0.2 - 0.3).
 */
export async function loadLifecycleFixture(db: Database): Promise<LifecycleFixture> {
  await insertOrders(db, [
    // p1 BTC: a scale-in lifecycle closed by two partial exits (one with a blank id) ...
    { id: 'o1', at: 1, quantity: '1.0' },
    { id: 'o2', at: 2, quantity: '0.5' },
    { id: 'o3', at: 3, action: 'EXIT', quantity: '0.7', tradeId: '   ' },
    { id: 'o4', at: 4, action: 'EXIT', quantity: null, qty: '0.8' },
    // ... a re-entry that closes at exactly zero in decimal ...
    { id: 'o5', at: 5, quantity: '0.1' },
    { id: 'o6', at: 6, quantity: '0.2' },
    { id: 'o7', at: 7, action: 'EXIT', quantity: '0.3' },
    // ... an EXIT while flat (orphan) and a canceled ENTRY while flat.
    { id: 'o8', at: 8, action: 'EXIT', quantity: '0.5' },
    { id: 'o9', at: 9, status: 'canceled' },
    // Rows the backfill never touches.
    { id: 'm1', at: 10, source: 'manual', action: null, quantity: '2' },
    { id: 'l1', at: 11, source: 'legacy', action: 'EXIT', quantity: '3' },
    // p1 ETH: a lifecycle that already carries a valid id, still open (positions agrees).
    { id: 'e1', at: 1, symbol: 'ETH', tradeId: 'TRD-existing1', quantity: '2' },
    { id: 'e2', at: 2, symbol: 'ETH', action: 'EXIT', quantity: '1' },
    // p2: one lifecycle per anomaly kind.
    { id: 's1', at: 1, profile: 'p2', symbol: 'SOL', action: 'EXIT', tradeId: 'TRD-noentry' },
    { id: 's2', at: 2, profile: 'p2', symbol: 'ADA', tradeId: 'TRD-over' },
    { id: 's3', at: 3, profile: 'p2', symbol: 'ADA', action: 'EXIT', quantity: '2', tradeId: 'TRD-over' },
    { id: 's4', at: 4, profile: 'p2', symbol: 'XRP', quantity: '3', tradeId: 'TRD-ghost' },
    { id: 's5', at: 5, profile: 'p2', symbol: 'BNB', tradeId: 'bad id' },
    { id: 's6', at: 6, profile: 'p2', symbol: 'LTC', tradeId: 'TRD-closed' },
    { id: 's7', at: 7, profile: 'p2', symbol: 'LTC', action: 'EXIT', tradeId: 'TRD-closed' },
    { id: 's8', at: 8, profile: 'p2', symbol: 'DOGE', tradeId: 'TRD-two' },
    { id: 's9', at: 9, profile: 'p2', symbol: 'TRX', action: 'EXIT', tradeId: 'TRD-two' },
  ]);
  const h1 = await insertHistory(db, { entry: 'o1', exit: 'o4', quantity: '1.5' });
  const h2 = await insertHistory(db, { entry: 'o5', exit: 'o7', quantity: '0.3', tradeId: '\u00a0' });
  const dup1 = await insertHistory(db, { profile: 'p2', symbol: 'DOGE', tradeId: 'TRD-two', entry: 's8', exit: 's9', quantity: '1' });
  const dup2 = await insertHistory(db, { profile: 'p2', symbol: 'DOGE', tradeId: 'TRD-two', entry: 's8', exit: 's9', quantity: '0' });
  await setPosition(db, 'p1', 'ETH', '1', 'TRD-existing1');
  await setPosition(db, 'p2', 'XRP', '0');
  await setPosition(db, 'p2', 'ETC', '5');
  return { h1, h2, dup1, dup2 };
}

/** Short-transaction settings for the tests' backfills. */
export const BACKFILL_SETTINGS = { lockTimeoutMs: 2000, retry: { tries: 3, baseDelayMs: 50 } };

/** A ledger taken to docs/runbooks/trade-lifecycle-integrity.md Phase B (migration 007) with the fixture, and backfilled: what a revert starts from. */
export interface BackfilledLedger {
  readonly test: TestDatabase;
  /** Open on the ledger; the caller closes it (and may close and reopen it around CLI calls). */
  readonly db: Database;
  readonly batchId: string;
  /** Every trade_id as it was before the backfill. */
  readonly beforeApply: { readonly orders: Map<string, string | null>; readonly history: Map<string, string | null> };
}

/** A new database of `kind` at version 6 with the fixture, then migration 007, then `backfill --apply` in batches of 3 rows. */
export async function backfilledAtPhaseB(kind: 'pglite' | 'postgres'): Promise<BackfilledLedger> {
  const test = await createTestDatabase(kind);
  const to6 = await cli('migrate', 'up', '--pack', 'bot-ledger', '--to', '6', '--db', test.url);
  if (to6.code !== 0) throw new Error(`migrate up --to 6 failed: ${to6.stderr}`);
  let db = await openDatabase(test.url);
  await loadLifecycleFixture(db);
  const beforeApply = { orders: await orderTradeIds(db), history: await historyTradeIds(db) };
  // PGlite serves one opener at a time: the CLI opens its own.
  await db.close();
  const phaseB = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url);
  if (phaseB.code !== 0) throw new Error(`migrate up (007) failed: ${phaseB.stderr}`);
  db = await openDatabase(test.url);
  const summary = await runBackfill(db, { apply: true, settings: BACKFILL_SETTINGS, rowsPerBatch: 3 });
  if (!summary.completed || summary.batchId === null) throw new Error('the backfill did not complete');
  return { test, db, batchId: summary.batchId, beforeApply };
}
