import { Decimal } from 'decimal.js';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/port.ts';
import { tableEvidence } from '../../src/evidence/table.ts';
import { runReconCycle, type ReconDeps } from '../../src/recon/cycle.ts';
import type { ReconFlags } from '../../src/recon/flags.ts';
import { cli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { at, insertOrders } from '../helpers/ledger-fixture.ts';

/** Inserts exchange fills (sells unless told) for a profile. */
export async function insertFills(
  db: Database,
  fills: readonly { profile?: string; symbol: string; order: string; quantity: string; at: number; side?: string; client?: string; price?: string }[],
): Promise<void> {
  let n = 0;
  for (const f of fills) {
    n++;
    await db.query(
      `INSERT INTO exchange_fills (profile_id, symbol, exchange_order_id, exchange_trade_id, client_order_id, side, quantity, price, filled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8::numeric, $9)`,
      [f.profile ?? 'p1', f.symbol, f.order, `${f.order}-${n}-${f.at}`, f.client ?? null, f.side ?? 'sell', f.quantity, f.price ?? '100', at(f.at)],
    );
  }
}

/** Sets the exchange's reported position. */
export async function exchangePosition(db: Database, profile: string, symbol: string, quantity: string): Promise<void> {
  await db.query(
    `INSERT INTO exchange_positions (profile_id, symbol, quantity, observed_at) VALUES ($1, $2, $3::numeric, now())
     ON CONFLICT (profile_id, symbol) DO UPDATE SET quantity = excluded.quantity, observed_at = excluded.observed_at`,
    [profile, symbol, quantity],
  );
}

/** Sets a profile's trading state. */
export async function tradingState(db: Database, profile: string, state: 'PAUSED' | 'RUNNING'): Promise<void> {
  await db.query(
    `INSERT INTO trading_status (profile_id, state, reason, updated_by) VALUES ($1, $2, 'test', 'test')
     ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state`,
    [profile, state],
  );
}

/**
 * Ghost lifecycles, one per gate: G1 covered by two sell orders, D1 covered but for dust, L1 with
 * no evidence for a large remainder, N1 whose exchange is not flat, B1 with a pending order, E1
 * with no position observed, two open lifecycles on LTC sharing evidence, and R1 on a running profile.
 */
export async function loadReconFixture(db: Database): Promise<void> {
  await insertOrders(db, [
    { id: 'g1', symbol: 'BTC', tradeId: 'TRD-g1', quantity: '1.0', at: 1 },
    { id: 'd1', symbol: 'ETH', tradeId: 'TRD-d1', quantity: '2.0', at: 1 },
    { id: 'l1', symbol: 'SOL', tradeId: 'TRD-l1', quantity: '10', at: 1 },
    { id: 'n1', symbol: 'ADA', tradeId: 'TRD-n1', quantity: '5', at: 1 },
    { id: 'b1', symbol: 'XRP', tradeId: 'TRD-b1', quantity: '1', at: 1 },
    { id: 'b2', symbol: 'XRP', tradeId: 'TRD-b1', action: 'EXIT', status: 'open', quantity: '1', at: 2 },
    { id: 'e1', symbol: 'DOT', tradeId: 'TRD-e1', quantity: '1', at: 1 },
    { id: 'a1', symbol: 'LTC', tradeId: 'TRD-a', quantity: '1', at: 1 },
    { id: 'a2', symbol: 'LTC', tradeId: 'TRD-b', quantity: '2', at: 2 },
    { id: 'r1', profile: 'p2', symbol: 'BTC', tradeId: 'TRD-r1', quantity: '1', at: 1 },
  ]);
  await insertFills(db, [
    { symbol: 'BTC', order: 'X1', quantity: '0.6', at: 10, client: 'cli-1' },
    { symbol: 'BTC', order: 'X2', quantity: '0.4', at: 11 },
    { symbol: 'BTC', order: 'BUY', quantity: '1', at: 12, side: 'buy' },
    { symbol: 'ETH', order: 'X3', quantity: '1.999', at: 10 },
    { symbol: 'XRP', order: 'X4', quantity: '1', at: 10 },
    { symbol: 'DOT', order: 'X7', quantity: '1', at: 10 },
    { symbol: 'LTC', order: 'X5', quantity: '1.5', at: 10 },
    { symbol: 'LTC', order: 'X6', quantity: '1.5', at: 11 },
    { profile: 'p2', symbol: 'BTC', order: 'Y1', quantity: '1', at: 10 },
  ]);
  for (const symbol of ['BTC', 'ETH', 'SOL', 'XRP', 'LTC']) await exchangePosition(db, 'p1', symbol, '0');
  await exchangePosition(db, 'p1', 'ADA', '5');
  await exchangePosition(db, 'p2', 'BTC', '0');
  await tradingState(db, 'p1', 'PAUSED');
  await tradingState(db, 'p2', 'RUNNING');
}

/** A new bot-ledger database of `kind`, at the latest version, holding the reconciliation fixture. */
export async function reconLedger(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  const test = await createTestDatabase(kind);
  const up = await cli('migrate', 'up', '--pack', 'bot-ledger', '--db', test.url);
  if (up.code !== 0) throw new Error(`migrate up failed: ${up.stderr}`);
  const db = await openDatabase(test.url);
  try {
    await loadReconFixture(db);
  } finally {
    await db.close();
  }
  return test;
}

/** Flags for tests that apply: the switch on, dry run off, the fixture's January 2026 fills within the lookback. */
export const APPLY_FLAGS: ReconFlags = {
  enabled: true,
  dryRun: false,
  requirePause: true,
  dustAbsQty: new Decimal('0.001'),
  dustRelPct: new Decimal('0.002'),
  lookbackMs: 3650 * 24 * 3_600_000,
  mismatchThrottleMs: 300_000,
};

/** What a cycle needs, with table evidence and the table pause source: APPLY_FLAGS with `flags` over them. */
export async function tableDeps(db: Database, flags: Partial<ReconFlags> = {}): Promise<ReconDeps> {
  return { evidence: await tableEvidence(db), flags: { ...APPLY_FLAGS, ...flags }, pause: { kind: 'table' } };
}

/** A reconciliation ledger of `kind`, open (the caller closes it), with a batch planned: PENDING_APPLY rows to apply. */
export async function plannedLedger(kind: 'pglite' | 'postgres'): Promise<{ test: TestDatabase; db: Database; batchId: string }> {
  const test = await reconLedger(kind);
  const db = await openDatabase(test.url);
  const plan = await runReconCycle(db, await tableDeps(db), { mode: 'plan' });
  if (plan.batchId === null || (plan.counts['PENDING_APPLY'] ?? 0) === 0) throw new Error(`the plan has no PENDING_APPLY rows: ${JSON.stringify(plan.counts)}`);
  return { test, db, batchId: plan.batchId };
}
