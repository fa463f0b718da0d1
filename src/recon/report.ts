import type { Database } from '../db/port.ts';
import { detectOpenLifecycles, type DetectedLifecycle } from './detect.ts';

/** The post-fix figures of docs/runbooks/reconciliation-exit-backfill.md §8: lifecycles still open above 0.000001, and the audit's decision counts. */
export interface ReconVerification {
  readonly stillOpen: readonly DetectedLifecycle[];
  readonly decisions: readonly { readonly decision: string; readonly rows: number }[];
}

/** docs/runbooks/reconciliation-exit-backfill.md §8: open lifecycles above 0.000001 and the decision counts, for one profile or all. */
export async function verifyRecon(db: Database, profileId?: string): Promise<ReconVerification> {
  const stillOpen = await detectOpenLifecycles(db, profileId, '0.000001');
  const decisions = await db.query<{ decision: string; rows: string }>(
    `SELECT
     decision,
     COUNT(*) AS rows
     FROM reconciliation_backfill_audit
     WHERE ($1::text IS NULL OR profile_id = $1::text)
     GROUP BY decision
     ORDER BY decision`,
    [profileId ?? null],
  );
  return { stillOpen, decisions: decisions.map((row) => ({ decision: row.decision, rows: Number(row.rows) })) };
}

/** One row of the audit listing of docs/runbooks/reconciliation-exit-backfill.md §5. */
export interface AuditListing {
  readonly batchId: string;
  readonly profileId: string;
  readonly symbol: string | null;
  readonly tradeId: string | null;
  readonly decision: string;
  readonly reason: string | null;
  readonly filledQty: string | null;
  readonly dustQty: string | null;
  readonly backfillOrderId: string | null;
  /** The dust threshold the decision used (from its evidence), where one was computed. */
  readonly dustThreshold: string | null;
  readonly createdAt: string;
  readonly revertedAt: string | null;
}

/** The listing of docs/runbooks/reconciliation-exit-backfill.md §5 (newest first, 200 rows), for a batch or a profile or everything. */
export async function listAudit(
  db: Database,
  filter: { batchId?: string | undefined; profileId?: string | undefined; limit?: number },
): Promise<AuditListing[]> {
  const rows = await db.query<{
    batch_id: string;
    profile_id: string;
    symbol: string | null;
    trade_id: string | null;
    decision: string;
    reason: string | null;
    filled_qty: string | null;
    dust_qty: string | null;
    backfill_order_id: string | null;
    dust_threshold: string | null;
    created_at: Date;
    reverted_at: Date | null;
  }>(
    `SELECT
     batch_id,
     profile_id,
     symbol,
     trade_id,
     decision,
     reason,
     filled_qty::text AS filled_qty,
     dust_qty::text AS dust_qty,
     backfill_order_id,
     evidence->>'threshold' AS dust_threshold,
     created_at,
     reverted_at
     FROM reconciliation_backfill_audit
     WHERE ($1::text IS NULL OR profile_id = $1::text)
     AND ($2::text IS NULL OR batch_id = $2::text)
     ORDER BY created_at DESC, id DESC
     LIMIT $3`,
    [filter.profileId ?? null, filter.batchId ?? null, filter.limit ?? 200],
  );
  return rows.map((row) => ({
    batchId: row.batch_id,
    profileId: row.profile_id,
    symbol: row.symbol,
    tradeId: row.trade_id,
    decision: row.decision,
    reason: row.reason,
    filledQty: row.filled_qty,
    dustQty: row.dust_qty,
    backfillOrderId: row.backfill_order_id,
    dustThreshold: row.dust_threshold,
    createdAt: row.created_at.toISOString(),
    revertedAt: row.reverted_at?.toISOString() ?? null,
  }));
}
