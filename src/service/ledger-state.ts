import type { Database } from '../db/port.ts';
import { packDefinition } from '../packs/registry.ts';

/** What the daemon found in the ledger at start-up, as the risk-state specification's phase 6 logs it. */
export interface LoadedState {
  readonly positions: number;
  readonly openOrders: number;
}

/** Counts the open positions and orders of a pack that keeps them (the pack says how); null for a pack that does not. */
export async function loadLedgerState(db: Database, pack: string): Promise<LoadedState | null> {
  const queries = (await packDefinition(pack)).loadedState;
  if (queries === undefined) return null;
  const count = async (sql: string) => Number((await db.query<{ n: string | number }>(sql))[0]?.n ?? 0);
  return { positions: await count(queries.positions), openOrders: await count(queries.openOrders) };
}
