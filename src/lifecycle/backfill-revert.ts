import type { Database, Queryable } from '../db/port.ts';
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
 * then blanks), and marks the batch reverted, all in one transaction: a restoration the
 * guardrails refuse (or a kill halfway) leaves every row and the batch as they were. A row whose
 * value changed since is left alone and counted as a conflict. Idempotent: reverting twice
 * restores nothing twice. The transaction holds row locks on the batch's rows until it commits;
 * a writer that holds one of them makes it give up and retry (lock_timeout), never wait.
 */
export async function revertBackfill(db: Database, batchId: string, settings: ShortTransactionSettings, rowsPerBatch = 5000): Promise<RevertSummary> {
  return db.withLock(BACKFILL_LOCK, { waitMs: 0 }, async () => {
    const batch = (await db.query<{ status: string }>('SELECT status FROM lifecycle_backfill_batches WHERE batch_id = $1', [batchId]))[0];
    if (batch === undefined)
      throw new UsageError(`no lifecycle backfill batch '${batchId}': list batches with 'lifecycle backfill --batches'`, 'UNKNOWN_BATCH');
    if (batch.status === 'reverted') return { batchId, restored: 0, conflicts: 0, alreadyReverted: true };
    try {
      return await shortTransaction(db, settings, async (tx) => {
        let restored = 0;
        let conflicts = 0;
        for (const step of ['history', 'assign', 'normalise'] as const) {
          for (let after = 0; ; ) {
            const undo = await undoPage(tx, batchId, step, after, rowsPerBatch);
            if (undo.changes.length === 0) break;
            after = undo.lastLogId;
            const changed = await applyChanges(tx, null, undo.changes);
            restored += changed;
            conflicts += undo.changes.length - changed;
          }
        }
        await tx.query(`UPDATE lifecycle_backfill_batches SET status = 'reverted', reverted_at = now() WHERE batch_id = $1`, [batchId]);
        return { batchId, restored, conflicts, alreadyReverted: false };
      });
    } catch (error) {
      // 23514: a value the batch replaced (a blank or missing id) breaks a guardrail now in place.
      if (driverErrorCode(error) !== '23514') throw error;
      throw new SafetyError(
        `cannot restore batch ${batchId}: a previous value violates ${(error as { constraint?: string }).constraint ?? 'a guardrail constraint'}; nothing was restored; drop the guardrails first with 'lifecycle loosen', then revert`,
        'REVERT_BLOCKED',
      );
    }
  });
}

/** One page of a step's logged changes, turned around (new value back to old). */
async function undoPage(
  tx: Queryable,
  batchId: string,
  step: TradeIdChange['step'],
  after: number,
  limit: number,
): Promise<{ changes: TradeIdChange[]; lastLogId: number }> {
  const rows = await tx.query<{
    log_id: string;
    table_name: 'orders' | 'trade_history';
    row_key: string;
    profile_id: string;
    old_trade_id: string | null;
    new_trade_id: string | null;
  }>(
    `SELECT id::text AS log_id, table_name, row_key, profile_id, old_trade_id, new_trade_id FROM lifecycle_backfill_changes
      WHERE batch_id = $1 AND step = $2 AND id > $3 ORDER BY id LIMIT $4`,
    [batchId, step, after, limit],
  );
  return {
    lastLogId: Number(rows.at(-1)?.log_id ?? after),
    changes: rows.map((row) => ({
      table: row.table_name,
      rowKey: row.row_key,
      profileId: row.profile_id,
      step,
      oldTradeId: row.new_trade_id,
      newTradeId: row.old_trade_id,
    })),
  };
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
