import type { Queryable } from '../db/port.ts';
import { TRADE_ID_FORMAT, tradeIdMissingSql } from '../packs/bot-ledger/trade-id.ts';
import { effectiveTradeId } from './blank.ts';
import { inPartitionsSql, partitionParams, type Partition } from './partitions.ts';

/** A change the backfill makes (or, dry, would make) to one row's trade_id. */
export interface TradeIdChange {
  readonly table: 'orders' | 'trade_history';
  readonly rowKey: string;
  readonly profileId: string;
  readonly step: 'normalise' | 'assign' | 'history';
  readonly oldTradeId: string | null;
  readonly newTradeId: string | null;
}

const LOG_COLUMNS = 'batch_id, table_name, row_key, profile_id, step, old_trade_id, new_trade_id';

/** Step 1: blank or whitespace-only trade_ids in these partitions, as they are now. */
export async function blankTradeIds(db: Queryable, partitions: readonly Partition[]): Promise<TradeIdChange[]> {
  const rows = await db.query<{ table_name: 'orders' | 'trade_history'; row_key: string; profile_id: string; trade_id: string }>(
    `SELECT 'orders' AS table_name, o.order_id AS row_key, o.profile_id, o.trade_id FROM orders o
      WHERE ${inPartitionsSql('o')} AND o.trade_id IS NOT NULL AND ${tradeIdMissingSql('o.trade_id')}
     UNION ALL
     SELECT 'trade_history', h.id::text, h.profile_id, h.trade_id FROM trade_history h
      WHERE ${inPartitionsSql('h')} AND h.trade_id IS NOT NULL AND ${tradeIdMissingSql('h.trade_id')}`,
    partitionParams(partitions),
  );
  return rows.map((row) => ({
    table: row.table_name,
    rowKey: row.row_key,
    profileId: row.profile_id,
    step: 'normalise',
    oldTradeId: row.trade_id,
    newTradeId: null,
  }));
}

/** Step 3: trade_history rows without a trade_id take their entry order's (else their exit order's), as assigned. */
export async function historyAssignments(db: Queryable, partitions: readonly Partition[], assigned: ReadonlyMap<string, string>): Promise<TradeIdChange[]> {
  const rows = await db.query<{
    id: string;
    profile_id: string;
    trade_id: string | null;
    entry_order_id: string | null;
    exit_order_id: string | null;
    entry_trade_id: string | null;
    exit_trade_id: string | null;
  }>(
    `SELECT h.id::text AS id, h.profile_id, h.trade_id, h.entry_order_id, h.exit_order_id, e.trade_id AS entry_trade_id, x.trade_id AS exit_trade_id
       FROM trade_history h
       LEFT JOIN orders e ON e.profile_id = h.profile_id AND e.order_id = h.entry_order_id
       LEFT JOIN orders x ON x.profile_id = h.profile_id AND x.order_id = h.exit_order_id
      WHERE ${inPartitionsSql('h')} AND ${tradeIdMissingSql('h.trade_id')}`,
    partitionParams(partitions),
  );
  const idOf = (orderId: string | null, current: string | null): string | undefined => {
    if (orderId === null) return undefined;
    const id = assigned.get(orderId) ?? effectiveTradeId(current);
    return id !== null && TRADE_ID_FORMAT.test(id) ? id : undefined;
  };
  const changes: TradeIdChange[] = [];
  for (const row of rows) {
    const next = idOf(row.entry_order_id, row.entry_trade_id) ?? idOf(row.exit_order_id, row.exit_trade_id);
    if (next !== undefined)
      changes.push({ table: 'trade_history', rowKey: row.id, profileId: row.profile_id, step: 'history', oldTradeId: null, newTradeId: next });
  }
  return changes;
}

/**
 * Writes changes and logs each one under `batchId` (null: no log, for a revert), in one statement
 * per table: a row changes only while it still holds the value the plan saw, so a writer's
 * newer value always wins. Returns how many rows changed.
 */
export async function applyChanges(db: Queryable, batchId: string | null, changes: readonly TradeIdChange[]): Promise<number> {
  let written = 0;
  for (const table of ['orders', 'trade_history'] as const) {
    const mine = changes.filter((change) => change.table === table);
    if (mine.length === 0) continue;
    const key = table === 'orders' ? 't.order_id' : 't.id::text';
    const rows = await db.query<{ n: string }>(
      `WITH v AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(row_key, profile_id, step, old_id, new_id)
       ), changed AS (
         -- The = ANY on the key lets the planner use the primary key instead of hashing the table.
         UPDATE ${table} t SET trade_id = v.new_id${table === 'orders' ? ', updated_at = now()' : ''}
           FROM v
          WHERE ${key} = v.row_key AND t.profile_id = v.profile_id AND t.trade_id IS NOT DISTINCT FROM v.old_id
            AND ${table === 'orders' ? 't.order_id = ANY ($1::text[])' : 't.id = ANY ($1::bigint[])'}
         RETURNING ${key} AS row_key, t.profile_id, v.step, v.old_id, v.new_id
       )${
         batchId === null
           ? ' SELECT count(*) AS n FROM changed'
           : `, logged AS (
         INSERT INTO lifecycle_backfill_changes (${LOG_COLUMNS})
         SELECT $6, '${table}', row_key, profile_id, step, old_id, new_id FROM changed
         RETURNING 1
       )
       SELECT count(*) AS n FROM logged`
       }`,
      [
        mine.map((c) => c.rowKey),
        mine.map((c) => c.profileId),
        mine.map((c) => c.step),
        mine.map((c) => c.oldTradeId),
        mine.map((c) => c.newTradeId),
        ...(batchId === null ? [] : [batchId]),
      ],
    );
    written += Number(rows[0]?.n ?? 0);
  }
  return written;
}
