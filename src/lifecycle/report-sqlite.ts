import type { Database, Queryable } from '../db/port.ts';
import { impossibleDay } from '../domain/iso-time.ts';
import { UsageError } from '../errors.ts';
import { ledgerRowOf, type LedgerRow, type WalkRecord } from './ledger-row.ts';
import type { Partition } from './partitions.ts';
import { LifecycleTally, parseNumeric, type ReportRow, type TallyHistory, type TallyOrder, type TallyPosition } from './report-derive.ts';

// The lifecycle report on SQLite (a custom ledger's temporary views: src/ledgers/custom): the same
// reads as src/lifecycle/report-sql.ts in portable SQL, quantities as decimal text, and JSON arrays
// (json_each) where PostgreSQL takes arrays (unnest, ANY).

const PROFILE = '($1 IS NULL OR profile_id = $1)';

/** Rows one at a time where the adapter can (SQLite), else all at once. */
function rowsOf<T extends object>(db: Database, sql: string, params: readonly unknown[]): Iterable<T> | Promise<T[]> {
  return db.iterate === undefined ? db.query<T>(sql, params) : db.iterate<T>(sql, params);
}

/**
 * The report statement's rows on SQLite: one pass over orders and one over trade_history,
 * streamed into LifecycleTally (src/lifecycle/report-derive.ts, which mirrors REPORT_SQL's
 * aggregate and derivations), and one read of positions; all three in one read transaction, so
 * they see one state of the file.
 */
export async function sqliteReportRows(db: Database, profileId?: string): Promise<ReportRow[]> {
  const params = [profileId ?? null];
  return db.transaction(async () => {
    const tally = new LifecycleTally();
    for (const row of await rowsOf<TallyOrder>(
      db,
      `SELECT profile_id, trade_id, symbol, action, status, source, quantity, qty FROM orders WHERE ${PROFILE}`,
      params,
    ))
      tally.addOrder(row);
    for (const row of await rowsOf<TallyHistory>(db, `SELECT profile_id, trade_id, symbol, quantity FROM trade_history WHERE ${PROFILE}`, params))
      tally.addHistory(row);
    const positions = await db.query<TallyPosition>(`SELECT profile_id, symbol, quantity FROM positions WHERE ${PROFILE}`, params);
    return tally.rows(positions);
  });
}

/** PROOF_ORDERS_SQL on SQLite: `$1` a JSON array of [profile_id, trade_id] pairs. */
export const SQLITE_PROOF_ORDERS_SQL = `
SELECT profile_id, trade_id, order_id FROM orders
 WHERE (profile_id, trade_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($1))`;

/** PROOF_HISTORY_SQL on SQLite: `$1` a JSON array of [profile_id, trade_id, symbol]; a NULL trade id stands for the rows without one on that symbol. */
export const SQLITE_PROOF_HISTORY_SQL = `
SELECT profile_id, trade_id, symbol, id FROM trade_history
 WHERE (profile_id, trade_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($1))
    OR (trade_id IS NULL AND (profile_id, symbol) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[2]') FROM json_each($1)
                                                        WHERE json_extract(value, '$[1]') IS NULL))`;

const TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A time column as a SQLite ledger stores it: ISO-8601 or SQLite's `YYYY-MM-DD HH:MM:SS[.fff]`
 * text (without a zone: UTC, as SQLite's date functions mean it), or a number of Unix seconds.
 * Milliseconds are kept, as the PostgreSQL drivers keep them.
 */
export function ledgerTime(value: unknown, where: string): Date | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value) * 1000);
  const text = String(value).trim();
  const match = TIME.exec(text);
  if (match !== null && impossibleDay(text) === null) {
    const [, day, minutes, seconds, fraction, zone] = match;
    const offset =
      zone === undefined || zone.toUpperCase() === 'Z'
        ? 'Z'
        : zone.length === 3
          ? `${zone}:00`
          : zone.includes(':')
            ? zone
            : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const date = new Date(`${day}T${minutes}:${seconds ?? '00'}.${(fraction ?? '').slice(0, 3).padEnd(3, '0')}${offset}`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return new Date(Number(text) * 1000);
  throw new UsageError(
    `${where}: '${text}' is not a time: store ISO-8601 text ('2026-01-01T00:00:00Z', SQLite's datetime()) or Unix seconds`,
    'BAD_LEDGER_VALUE',
  );
}

/** readWalkRows (src/lifecycle/partitions.ts) on SQLite: `$1` the partitions as a JSON array of [profile_id, symbol]. */
export async function readWalkRowsSqlite(db: Queryable, partitions: readonly Partition[]): Promise<LedgerRow[]> {
  const rows = await db.query<WalkRecord<unknown>>(
    `SELECT order_id, profile_id, symbol, trade_id, action, status, source, COALESCE(quantity, qty, '0') AS quantity, filled_at, created_at
       FROM orders
      WHERE (profile_id, symbol) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($1))
        AND source IN ('bot', 'backfill')`,
    [JSON.stringify(partitions.map((p) => [p.profileId, p.symbol]))],
  );
  return rows.map((row) => {
    const where = (column: string) => `orders.${column} of order ${row.order_id}`;
    const createdAt = ledgerTime(row.created_at, where('created_at'));
    if (createdAt === null) throw new UsageError(`${where('created_at')} is empty: the walk orders a lifecycle's rows by time; fill it`, 'BAD_LEDGER_VALUE');
    return ledgerRowOf(row, parseNumeric(row.quantity, where('quantity')).value, ledgerTime(row.filled_at, where('filled_at')), createdAt);
  });
}
