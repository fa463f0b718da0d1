import { Decimal } from 'decimal.js';
import type { Queryable } from '../db/port.ts';
import { tradeIdMissingSql } from '../packs/bot-ledger/trade-id.ts';
import { ledgerRowOf, type LedgerRow, type WalkRecord } from './ledger-row.ts';

/** One (profile_id, symbol) the walk must visit, with its row count for batching. */
export interface Partition {
  readonly profileId: string;
  readonly symbol: string;
  readonly rows: number;
}

/**
 * Partitions with something to fix: a bot ENTRY/EXIT row without a trade_id, a blank trade_id in
 * orders, or a trade_history row without one. One pass over each table; clean partitions cost nothing later.
 */
export async function dirtyPartitions(db: Queryable, profileId?: string): Promise<Partition[]> {
  const params: unknown[] = profileId === undefined ? [] : [profileId];
  const scope = profileId === undefined ? '' : 'AND profile_id = $1';
  const rows = await db.query<{ profile_id: string; symbol: string; rows: string }>(
    `WITH dirty AS (
       SELECT DISTINCT profile_id, symbol FROM orders
        WHERE ((trade_id IS NULL AND source = 'bot' AND action IN ('ENTRY', 'EXIT'))
            OR (trade_id IS NOT NULL AND ${tradeIdMissingSql('trade_id')})) ${scope}
       UNION
       SELECT DISTINCT profile_id, symbol FROM trade_history WHERE ${tradeIdMissingSql('trade_id')} ${scope}
     )
     SELECT d.profile_id, d.symbol,
            (SELECT count(*) FROM orders o WHERE o.profile_id = d.profile_id AND o.symbol = d.symbol) AS rows
       FROM dirty d
      ORDER BY d.profile_id, d.symbol`,
    params,
  );
  return rows.map((row) => ({ profileId: row.profile_id, symbol: row.symbol, rows: Number(row.rows) }));
}

/** Groups partitions into batches of about `rowsPerBatch` rows (a big partition is a batch of its own). */
export function batchPartitions(partitions: readonly Partition[], rowsPerBatch: number): Partition[][] {
  const batches: Partition[][] = [];
  let current: Partition[] = [];
  let size = 0;
  for (const partition of partitions) {
    if (current.length > 0 && size + partition.rows > rowsPerBatch) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(partition);
    size += partition.rows;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The partitions as two parallel arrays for `unnest($1::text[], $2::text[])`. */
export function partitionParams(partitions: readonly Partition[]): [string[], string[]] {
  return [partitions.map((p) => p.profileId), partitions.map((p) => p.symbol)];
}

/**
 * SQL that limits `alias` to the partitions passed as $1 and $2. The `= ANY` conditions let the
 * planner walk the (profile_id, symbol, …) index instead of hashing the whole table against the
 * list; the pair test then keeps exactly the partitions asked for.
 */
export function inPartitionsSql(alias: string): string {
  return `${alias}.profile_id = ANY ($1::text[]) AND ${alias}.symbol = ANY ($2::text[])
      AND (${alias}.profile_id, ${alias}.symbol) IN (SELECT p, s FROM unnest($1::text[], $2::text[]) AS u(p, s))`;
}

/** The bot and backfill rows of some partitions, as the walk reads them (one query for the batch). */
export async function readWalkRows(db: Queryable, partitions: readonly Partition[]): Promise<LedgerRow[]> {
  const rows = await db.query<WalkRecord<Date>>(
    `SELECT o.order_id, o.profile_id, o.symbol, o.trade_id, o.action, o.status, o.source,
            COALESCE(o.quantity, o.qty, 0)::text AS quantity, o.filled_at, o.created_at
       FROM orders o
      WHERE ${inPartitionsSql('o')} AND o.source IN ('bot', 'backfill')`,
    partitionParams(partitions),
  );
  return rows.map((row) => ledgerRowOf(row, new Decimal(row.quantity), row.filled_at, row.created_at));
}

/** Rows grouped by partition key `profile_id \0 symbol`. */
export function groupByPartition<T extends { readonly profileId: string; readonly symbol: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = `${row.profileId}\u0000${row.symbol}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  }
  return groups;
}
