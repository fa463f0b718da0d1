import type { Database } from '../db/port.ts';
import { SafetyError, UsageError, driverErrorCode } from '../errors.ts';
import { applyChanges, type TradeIdChange } from './backfill-steps.ts';
import { BACKFILL_LOCK } from './backfill.ts';
import { shortTransaction, type ShortTransactionSettings } from './short-transaction.ts';

/** What `lifecycle backfill --revert BATCH` did. */
export interface RevertSummary {
  readonly batchId: string;
  readonly restored: number;
  /** Rows changed again since the batch (their value is no longer the batch's): left as they are. */
  readonly conflicts: number;
  readonly alreadyReverted: boolean;
}

/**
 * Restores every value a backfill batch changed, newest step first (history, then assigned ids,
 * then blanks), in short transactions of `rowsPerBatch` log rows. A row whose value changed since
 * is left alone and counted as a conflict. Idempotent: reverting twice restores nothing twice.
 */
export async function revertBackfill(db: Database, batchId: string, settings: ShortTransactionSettings, rowsPerBatch = 5000): Promise<RevertSummary> {
  return db.withLock(BACKFILL_LOCK, { waitMs: 0 }, async () => {
    const batch = (await db.query<{ status: string }>('SELECT status FROM lifecycle_backfill_batches WHERE batch_id = $1', [batchId]))[0];
    if (batch === undefined)
      throw new UsageError(`no lifecycle backfill batch '${batchId}': list batches with 'lifecycle backfill --batches'`, 'UNKNOWN_BATCH');
    if (batch.status === 'reverted') return { batchId, restored: 0, conflicts: 0, alreadyReverted: true };
    let restored = 0;
    let conflicts = 0;
    for (const step of ['history', 'assign', 'normalise'] as const) {
      let after = 0;
      for (;;) {
        const rows = await db.query<{
          log_id: string;
          table_name: 'orders' | 'trade_history';
          row_key: string;
          profile_id: string;
          old_trade_id: string | null;
          new_trade_id: string | null;
        }>(
          `SELECT id::text AS log_id, table_name, row_key, profile_id, old_trade_id, new_trade_id FROM lifecycle_backfill_changes
            WHERE batch_id = $1 AND step = $2 AND id > $3 ORDER BY id LIMIT $4`,
          [batchId, step, after, rowsPerBatch],
        );
        if (rows.length === 0) break;
        after = Number(rows[rows.length - 1]!.log_id);
        const undo: TradeIdChange[] = rows.map((row) => ({
          table: row.table_name,
          rowKey: row.row_key,
          profileId: row.profile_id,
          step,
          oldTradeId: row.new_trade_id,
          newTradeId: row.old_trade_id,
        }));
        let changed: number;
        try {
          changed = await shortTransaction(db, settings, (tx) => applyChanges(tx, null, undo));
        } catch (error) {
          // 23514: a value the batch replaced (a blank or missing id) breaks a guardrail now in place.
          if (driverErrorCode(error) !== '23514') throw error;
          throw new SafetyError(
            `cannot restore batch ${batchId}: a previous value violates ${(error as { constraint?: string }).constraint ?? 'a guardrail constraint'}; drop the guardrails first with 'lifecycle loosen', then revert`,
            'REVERT_BLOCKED',
          );
        }
        restored += changed;
        conflicts += undo.length - changed;
      }
    }
    await db.query(`UPDATE lifecycle_backfill_batches SET status = 'reverted', reverted_at = now() WHERE batch_id = $1`, [batchId]);
    return { batchId, restored, conflicts, alreadyReverted: false };
  });
}

/** One row of `lifecycle backfill --batches`. */
export interface BackfillBatch {
  readonly batchId: string;
  readonly status: string;
  readonly profileId: string | null;
  readonly rowsChanged: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly revertedAt: string | null;
}

/** The backfill batches, newest first. */
export async function listBackfillBatches(db: Database): Promise<BackfillBatch[]> {
  const rows = await db.query<{
    batch_id: string;
    status: string;
    profile_id: string | null;
    rows_changed: string;
    started_at: Date;
    finished_at: Date | null;
    reverted_at: Date | null;
  }>('SELECT batch_id, status, profile_id, rows_changed, started_at, finished_at, reverted_at FROM lifecycle_backfill_batches ORDER BY started_at DESC');
  return rows.map((row) => ({
    batchId: row.batch_id,
    status: row.status,
    profileId: row.profile_id,
    rowsChanged: Number(row.rows_changed),
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    revertedAt: row.reverted_at?.toISOString() ?? null,
  }));
}
