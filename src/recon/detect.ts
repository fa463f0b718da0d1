import { Decimal } from 'decimal.js';
import type { Queryable } from '../db/port.ts';
import { FILLED_STATUSES, TERMINAL_STATUSES } from '../lifecycle/ledger-row.ts';
import { summariesReady } from '../lifecycle/summaries.ts';
import { SUMMARY_TABLE } from '../packs/bot-ledger/summaries.ts';
import type { OpenLifecycle } from './lifecycle.ts';

/** One row of the docs/runbooks/reconciliation-exit-backfill.md §1 query. */
export interface DetectedLifecycle {
  readonly profileId: string;
  readonly symbol: string;
  readonly tradeId: string;
  readonly entryQty: string;
  readonly exitQty: string;
  readonly openQty: string;
}

/**
 * docs/runbooks/reconciliation-exit-backfill.md §1 as written, with the profile as a parameter
 * (`$1`, or NULL for every profile) and the threshold as `$2` (§1 uses 0; §8's post-fix check
 * uses 0.000001).
 */
export const DETECT_SQL = `WITH lifecycle AS (
SELECT
profile_id,
symbol,
trade_id,
SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
SUM(CASE WHEN action = 'EXIT' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
FROM orders
WHERE ($1::text IS NULL OR profile_id = $1::text)
AND status IN ('filled', 'partially_filled', 'partially-filled')
AND trade_id IS NOT NULL
GROUP BY profile_id, symbol, trade_id
)
SELECT
profile_id,
symbol,
trade_id,
entry_qty::text AS entry_qty,
exit_qty::text AS exit_qty,
(entry_qty - exit_qty)::text AS open_qty
FROM lifecycle
WHERE (entry_qty - exit_qty) > $2::numeric
ORDER BY profile_id, symbol, trade_id`;

/** Open lifecycles by the docs/runbooks/reconciliation-exit-backfill.md §1 query (above `threshold`, default 0). */
export async function detectOpenLifecycles(db: Queryable, profileId?: string, threshold = '0'): Promise<DetectedLifecycle[]> {
  const rows = await db.query<{ profile_id: string; symbol: string; trade_id: string; entry_qty: string; exit_qty: string; open_qty: string }>(DETECT_SQL, [
    profileId ?? null,
    threshold,
  ]);
  return rows.map((row) => ({
    profileId: row.profile_id,
    symbol: row.symbol,
    tradeId: row.trade_id,
    entryQty: row.entry_qty,
    exitQty: row.exit_qty,
    openQty: row.open_qty,
  }));
}

const FILLED = FILLED_STATUSES.map((s) => `'${s}'`).join(', ');
const TERMINAL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

/** An open lifecycle with what the gates need, and the orders that block it. */
export interface CycleLifecycle extends OpenLifecycle {
  readonly pendingBlockers: readonly string[];
}

/** A lifecycle's key: profile_id + trade_id. */
export interface LifecycleKey {
  readonly profileId: string;
  readonly tradeId: string;
}

/**
 * The open lifecycles of a cycle in one pass: the figures of
 * docs/runbooks/reconciliation-exit-backfill.md §1 (same filters) plus each lifecycle's entry side,
 * first entry, last own fill and non-terminal orders. With `keys`, only those lifecycles are read,
 * through the (profile_id, trade_id) index: no scan of the table.
 */
export async function cycleLifecycles(db: Queryable, profileId?: string, keys?: readonly LifecycleKey[]): Promise<CycleLifecycle[]> {
  if (keys !== undefined && keys.length === 0) return [];
  const rows = await db.query<{
    profile_id: string;
    symbol: string;
    trade_id: string;
    entry_qty: string;
    exit_qty: string;
    entry_side: string | null;
    first_entry_at: Date | null;
    last_fill_at: Date | null;
    blockers: string[] | null;
  }>(
    `WITH lifecycle AS (
       SELECT profile_id, symbol, trade_id,
              COALESCE(sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'ENTRY' AND status IN (${FILLED})), 0) AS entry_qty,
              COALESCE(sum(COALESCE(quantity, qty, 0)) FILTER (WHERE action = 'EXIT' AND status IN (${FILLED})), 0) AS exit_qty,
              (array_agg(lower(side) ORDER BY COALESCE(filled_at, created_at), order_id) FILTER (WHERE action = 'ENTRY'))[1] AS entry_side,
              min(filled_at) FILTER (WHERE action = 'ENTRY' AND status IN (${FILLED})) AS first_entry_at,
              max(filled_at) FILTER (WHERE source <> 'backfill' AND status IN (${FILLED})) AS last_fill_at,
              array_agg(order_id ORDER BY order_id) FILTER (WHERE status NOT IN (${TERMINAL})) AS blockers
         FROM orders
        WHERE ($1::text IS NULL OR profile_id = $1::text)
          -- = ANY lets the planner walk the (profile_id, trade_id) index; the pair test keeps exactly the keys.
          AND ($2::text[] IS NULL OR (profile_id = ANY ($2::text[]) AND trade_id = ANY ($3::text[])
               AND (profile_id, trade_id) IN (SELECT p, t FROM unnest($2::text[], $3::text[]) AS k(p, t))))
          AND trade_id IS NOT NULL
        GROUP BY profile_id, symbol, trade_id
     )
     SELECT profile_id, symbol, trade_id, entry_qty::text AS entry_qty, exit_qty::text AS exit_qty, entry_side, first_entry_at, last_fill_at, blockers
       FROM lifecycle WHERE entry_qty - exit_qty > 0
      ORDER BY profile_id, symbol, first_entry_at, trade_id`,
    [profileId ?? null, keys === undefined ? null : keys.map((k) => k.profileId), keys === undefined ? null : keys.map((k) => k.tradeId)],
  );
  return rows.map((row) => {
    const entryQty = new Decimal(row.entry_qty);
    const exitQty = new Decimal(row.exit_qty);
    const firstEntryAt = row.first_entry_at ?? new Date(0);
    return {
      profileId: row.profile_id,
      symbol: row.symbol,
      tradeId: row.trade_id,
      entryQty,
      exitQty,
      openQty: entryQty.minus(exitQty),
      entrySide: row.entry_side === 'sell' ? 'sell' : 'buy',
      firstEntryAt,
      lastFillAt: row.last_fill_at ?? firstEntryAt,
      pendingBlockers: row.blockers ?? [],
    };
  });
}

/**
 * The keys of every open lifecycle in scope, found with one aggregate over the filled orders (the
 * docs/runbooks/reconciliation-exit-backfill.md §1 filters and sums, nothing else): a full cycle
 * then reads the details of these keys alone, by index, instead of aggregating every lifecycle.
 * Grouped by symbol as cycleLifecycles is, so a trade_id open on any symbol is kept. On a ledger
 * that keeps per-lifecycle summaries the keys come from them, by a partial index, with no scan of
 * orders: those open, and those spanning two symbols (which the keyed read then sorts out).
 */
export async function openLifecycleKeys(db: Queryable, profileId?: string): Promise<LifecycleKey[]> {
  if (await summariesReady(db)) {
    const kept = await db.query<{ profile_id: string; trade_id: string }>(
      `SELECT profile_id, trade_id FROM ${SUMMARY_TABLE}
        WHERE trade_id IS NOT NULL AND (entry_qty > exit_qty OR symbol <> max_symbol) AND ($1::text IS NULL OR profile_id = $1::text)
        ORDER BY profile_id, trade_id`,
      [profileId ?? null],
    );
    return kept.map((row) => ({ profileId: row.profile_id, tradeId: row.trade_id }));
  }
  const rows = await db.query<{ profile_id: string; trade_id: string }>(
    `SELECT DISTINCT profile_id, trade_id FROM (
       SELECT profile_id, trade_id
         FROM orders
        WHERE ($1::text IS NULL OR profile_id = $1::text) AND trade_id IS NOT NULL AND status IN (${FILLED})
        GROUP BY profile_id, symbol, trade_id
       HAVING sum(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END)
            - sum(CASE WHEN action = 'EXIT' THEN COALESCE(quantity, qty, 0) ELSE 0 END) > 0
     ) AS open
     ORDER BY profile_id, trade_id`,
    [profileId ?? null],
  );
  return rows.map((row) => ({ profileId: row.profile_id, tradeId: row.trade_id }));
}

/**
 * Exchange order ids that a filled EXIT order already records, per profile, for the symbols of the
 * given lifecycles: their fills are not evidence again. One read for every profile.
 */
export async function recordedExitOrders(
  db: Queryable,
  lifecycles: readonly Pick<CycleLifecycle, 'profileId' | 'symbol'>[],
): Promise<Map<string, Set<string>>> {
  const pairs = [...new Map(lifecycles.map((l) => [`${l.profileId}\u0000${l.symbol}`, l])).values()];
  const result = new Map<string, Set<string>>();
  if (pairs.length === 0) return result;
  const rows = await db.query<{ profile_id: string; exchange_order_id: string }>(
    `SELECT DISTINCT o.profile_id, o.exchange_order_id FROM orders o
       JOIN unnest($1::text[], $2::text[]) AS k(p, s) ON o.profile_id = k.p AND o.symbol = k.s
      WHERE o.profile_id = ANY ($1::text[]) AND o.symbol = ANY ($2::text[]) AND o.action = 'EXIT' AND o.exchange_order_id IS NOT NULL AND o.status IN (${FILLED})`,
    [pairs.map((p) => p.profileId), pairs.map((p) => p.symbol)],
  );
  for (const row of rows) result.set(row.profile_id, (result.get(row.profile_id) ?? new Set()).add(row.exchange_order_id));
  return result;
}
