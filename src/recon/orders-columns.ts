import type { Queryable } from '../db/port.ts';

/**
 * The columns of `orders` (as the search path finds it) that can be written: every column of the
 * bot-ledger table; of a custom ledger's view (src/ledgers/custom), only those it maps to a
 * column of the user's table — a constant or a left-out column is read only, and the compensating
 * rows leave it to the view (tests: test/ledgers/custom-recon.test.ts).
 */
export async function writableOrderColumns(tx: Queryable): Promise<ReadonlySet<string>> {
  const rows = await tx.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped AND pg_column_is_updatable('orders'::regclass, attnum, false)`,
  );
  return new Set(rows.map((row) => row.name));
}
