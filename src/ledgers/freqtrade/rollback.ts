import type { Database } from '../../db/port.ts';
import { UsageError } from '../../errors.ts';
import { AUDIT_TABLE, listFreqtradeAudit } from './audit.ts';
import { backupFirst } from './backup.ts';
import { writeImage } from './close-rows.ts';
import { rollbackReason } from './reinstate.ts';
import { readTrades } from './rows.ts';
import { requireFreqtradeSchema } from './schema.ts';
import { requireBotStopped, type StopGateOptions } from './stop-gate.ts';

/** What `recon rollback --ledger freqtrade` did. */
export interface FreqtradeRollbackResult {
  readonly batchId: string;
  /** Trades open again, with the values they had before the batch. */
  readonly reopened: number;
  /** Exit orders of the batch now canceled. */
  readonly canceled: number;
  /** Trades changed since the batch (closed again, reopened by hand): left as they are. */
  readonly conflicts: readonly number[];
  readonly alreadyReverted: boolean;
  /** The SQLite online backup taken before the rollback wrote anything. */
  readonly backup: string | null;
}

/**
 * Rolls a batch back by status, deleting nothing: each trade it closed is open again with the values
 * its audit row saved, and the exit orders it inserted are canceled. A canceled order keeps its
 * amount but its `filled` goes to 0 (the audit row keeps what was filled): freqtrade's
 * recalc_trade_from_orders counts every closed order with something filled, canceled or not, so a
 * canceled order still showing its fill would shrink the reopened trade when the bot restarts.
 */
export async function rollbackFreqtradeBatch(
  db: Database,
  batchId: string,
  options: { readonly gate?: StopGateOptions | undefined; readonly backupDir?: string | null | undefined } = {},
): Promise<FreqtradeRollbackResult> {
  const { dialect } = await requireFreqtradeSchema(db);
  const rows = (await listFreqtradeAudit(db, dialect, { batchId })).filter((r) => r.decision === 'APPLIED');
  if (rows.length === 0) throw new UsageError(`batch ${batchId} applied nothing (see recon audit --ledger freqtrade): nothing to roll back`, 'NO_BATCH');
  const pending = rows.filter((r) => r.revertedAt === null);
  if (pending.length === 0) return { batchId, reopened: 0, canceled: 0, conflicts: [], alreadyReverted: true, backup: null };
  await requireBotStopped(db, db, options.gate);
  const backup = await backupFirst(db, `${batchId}.rollback`, options.backupDir);
  const result = await db.transaction(
    async (tx): Promise<Omit<FreqtradeRollbackResult, 'backup'>> => {
      await requireBotStopped(db, tx, { ...options.gate, apiUrl: undefined });
      let reopened = 0;
      let canceled = 0;
      const conflicts: number[] = [];
      const at = new Date().toISOString();
      for (const row of pending) {
        const [trade] = await readTrades(tx, dialect, { sql: 'id = $1', params: [row.tradeId] });
        const after = row.afterImage;
        if (
          trade === undefined ||
          after === null ||
          trade.isOpen ||
          trade.closeDate !== after['close_date'] ||
          trade.exitReason !== after['exit_reason'] ||
          row.beforeImage === null
        ) {
          conflicts.push(row.tradeId);
          continue;
        }
        reopened += await writeImage(tx, row.tradeId, row.beforeImage, false);
        for (const orderId of row.exitOrderIds) {
          const changed = await tx.query(
            `UPDATE orders SET status = 'canceled', filled = 0, remaining = amount, ft_is_open = $1, ft_cancel_reason = $2
              WHERE ft_trade_id = $3 AND order_id = $4 AND status = 'closed' RETURNING id`,
            [false, rollbackReason(batchId), row.tradeId, orderId],
          );
          canceled += changed.length;
        }
        await tx.query(`UPDATE ${AUDIT_TABLE} SET reverted_at = $1 WHERE id = $2`, [at, row.id]);
      }
      return { batchId, reopened, canceled, conflicts, alreadyReverted: false };
    },
    { immediate: true },
  );
  return { ...result, backup };
}
