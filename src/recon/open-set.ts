import type { Queryable } from '../db/port.ts';
import type { CycleLifecycle, LifecycleKey } from './detect.ts';

/** How far back a cycle looks past its watermark, for transactions that committed late. */
export const WATERMARK_OVERLAP_MS = 5 * 60_000;

/** How often a cycle rebuilds the open set from the whole table, for writers that skip updated_at. */
export const FULL_REFRESH_MS = 60 * 60_000;

/** Which lifecycles a cycle must look at. */
export interface CycleKeys {
  /** undefined: every lifecycle (a full refresh). */
  readonly keys: readonly LifecycleKey[] | undefined;
  readonly full: boolean;
  readonly scope: string;
}

/**
 * The lifecycles a cycle must decide: those open at the last cycle, plus those with an order
 * written since (orders.updated_at, by its index), so that a cycle never scans the table. With
 * no watermark for the scope yet, or the last full refresh an hour old, it looks at everything.
 */
export async function cycleKeys(db: Queryable, profileId: string | undefined, now: Date, forceFull = false): Promise<CycleKeys> {
  const scope = profileId ?? '*';
  const state = (
    await db.query<{ watermark: Date; full_refresh_at: Date }>('SELECT watermark, full_refresh_at FROM recon_cycle_state WHERE scope = $1', [scope])
  )[0];
  if (forceFull || state === undefined || now.getTime() - state.full_refresh_at.getTime() >= FULL_REFRESH_MS) return { keys: undefined, full: true, scope };
  const since = new Date(state.watermark.getTime() - WATERMARK_OVERLAP_MS);
  const rows = await db.query<{ profile_id: string; trade_id: string }>(
    `SELECT profile_id, trade_id FROM orders
      WHERE updated_at > $1 AND trade_id IS NOT NULL AND ($2::text IS NULL OR profile_id = $2::text)
     UNION
     SELECT profile_id, trade_id FROM recon_open_lifecycles WHERE ($2::text IS NULL OR profile_id = $2::text)`,
    [since, profileId ?? null],
  );
  return { keys: rows.map((row) => ({ profileId: row.profile_id, tradeId: row.trade_id })), full: false, scope };
}

/**
 * Records what the cycle saw inside its transaction: the looked-at lifecycles that are open are
 * upserted, the others removed, and the scope's watermark moves to the cycle's start.
 */
export async function saveOpenSet(tx: Queryable, looked: CycleKeys, open: readonly CycleLifecycle[], profileId: string | undefined, now: Date): Promise<void> {
  if (looked.keys === undefined) {
    await tx.query('DELETE FROM recon_open_lifecycles WHERE ($1::text IS NULL OR profile_id = $1::text)', [profileId ?? null]);
  } else if (looked.keys.length > 0) {
    await tx.query(`DELETE FROM recon_open_lifecycles WHERE (profile_id, trade_id) IN (SELECT p, t FROM unnest($1::text[], $2::text[]) AS k(p, t))`, [
      looked.keys.map((k) => k.profileId),
      looked.keys.map((k) => k.tradeId),
    ]);
  }
  if (open.length > 0) {
    await tx.query(
      `INSERT INTO recon_open_lifecycles (profile_id, trade_id, symbol, open_qty)
       SELECT p, t, s, q::numeric FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS o(p, t, s, q)
       ON CONFLICT (profile_id, trade_id) DO UPDATE SET symbol = excluded.symbol, open_qty = excluded.open_qty, refreshed_at = now()`,
      [open.map((l) => l.profileId), open.map((l) => l.tradeId), open.map((l) => l.symbol), open.map((l) => l.openQty.toString())],
    );
  }
  await tx.query(
    `INSERT INTO recon_cycle_state (scope, watermark, full_refresh_at) VALUES ($1, $2, $2)
     ON CONFLICT (scope) DO UPDATE SET watermark = excluded.watermark,
       full_refresh_at = CASE WHEN $3 THEN excluded.full_refresh_at ELSE recon_cycle_state.full_refresh_at END, updated_at = now()`,
    [looked.scope, now, looked.full],
  );
}
