import type { Database } from '../db/port.ts';
import { UsageError } from '../errors.ts';
import { writableOrderColumns } from './orders-columns.ts';

/** What `recon rollback --batch B` changed. */
export interface RollbackResult {
  readonly batchId: string;
  readonly canceled: number;
  readonly auditRowsMarked: number;
}

/**
 * docs/runbooks/reconciliation-exit-backfill.md §9 exactly, status-only and never a delete: the
 * batch's APPLIED and SKIP_EXISTING backfill orders get status 'canceled' and a new updated_at,
 * and the batch's audit rows get reverted_at. One transaction; idempotent (a second run changes
 * nothing: rows already canceled or marked are left).
 */
export async function rollbackBatch(db: Database, batchId: string): Promise<RollbackResult> {
  return db.transaction(async (tx) => {
    const known = await tx.query('SELECT 1 FROM reconciliation_backfill_audit WHERE batch_id = $1 LIMIT 1', [batchId]);
    if (known.length === 0) throw new UsageError(`no reconciliation batch '${batchId}': list batches with 'recon audit'`, 'UNKNOWN_BATCH');
    // A custom ledger's orders view may have no updated_at to write (src/recon/orders-columns.ts).
    const stamp = (await writableOrderColumns(tx)).has('updated_at') ? ',\n       updated_at = now()' : '';
    const canceled = await tx.query(
      `UPDATE orders
       SET
       status = 'canceled'${stamp}
       WHERE order_id IN (
       SELECT backfill_order_id
       FROM reconciliation_backfill_audit
       WHERE batch_id = $1
       AND decision IN ('APPLIED', 'SKIP_EXISTING')
       AND backfill_order_id IS NOT NULL
       )
       AND status <> 'canceled'
       RETURNING order_id`,
      [batchId],
    );
    const marked = await tx.query(
      `UPDATE reconciliation_backfill_audit
       SET reverted_at = now()
       WHERE batch_id = $1
       AND reverted_at IS NULL
       RETURNING id`,
      [batchId],
    );
    return { batchId, canceled: canceled.length, auditRowsMarked: marked.length };
  });
}
