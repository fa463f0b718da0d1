import type { Database } from '../db/port.ts';

/** What the daemon found in the ledger at start-up, as the risk-state specification's phase 6 logs it. */
export interface LoadedState {
  readonly positions: number;
  readonly openOrders: number;
}

// Per pack: open positions and working orders. bot-ledger: a position with a quantity and an order
// that can still fill; risk-state: the mirrored positions and PENDING (1) / WORKING (2) orders.
const QUERIES: Readonly<Record<string, { readonly positions: string; readonly openOrders: string }>> = {
  'bot-ledger': {
    positions: 'SELECT count(*) AS n FROM positions WHERE COALESCE(quantity, 0) <> 0',
    openOrders: `SELECT count(*) AS n FROM orders WHERE status IN ('new', 'pending', 'open', 'partially_filled', 'partially-filled')`,
  },
  'risk-state': {
    positions: 'SELECT count(*) AS n FROM positions',
    openOrders: 'SELECT count(*) AS n FROM orders WHERE state IN (1, 2)',
  },
};

/** Counts the open positions and orders of a pack that keeps them; null for a pack that does not. */
export async function loadLedgerState(db: Database, pack: string): Promise<LoadedState | null> {
  const queries = QUERIES[pack];
  if (queries === undefined) return null;
  const count = async (sql: string) => Number((await db.query<{ n: string | number }>(sql))[0]?.n ?? 0);
  return { positions: await count(queries.positions), openOrders: await count(queries.openOrders) };
}
